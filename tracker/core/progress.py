"""How long jobs (export, import, demo data, digests) report how far they are.

A job calls `progress(step, done, total)` now and then: `step` names what it is on (a
table, "digests"), `done` of `total` are finished. The commands show it as a progress
bar on a terminal and pass None (no reports) otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
