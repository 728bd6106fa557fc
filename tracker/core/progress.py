"""How long jobs (export, import, demo data, digests) report how far they are.

A job calls `progress(step, done, total)` now and then: `step` names what it is on (a
table, "digests"), `done` of `total` are finished. The commands show it as a progress
bar on a terminal and pass None (no reports) otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

Progress = Callable[[str, int, int], None]


class _Bars:
    """A progress bar on standard error for each step a long job reports (each table of
    an export or import, the digests, the mail), labelled with the step's name."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.step: str | None = None
        self.done = 0
        self.bar: Any = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step:
            self.close()
            self.step, self.done = step, 0
            if total == 0:  # nothing to do in this step (an empty table)
                return
            self.bar = click.progressbar(
                length=total, label=f"{self.verb} {step}", file=sys.stderr,
                show_pos=True, show_eta=False,
            )
            self.bar.render_progress()
        if self.bar is not None:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None


@contextmanager
def terminal_progress(verb: str) -> Iterator[Progress | None]:
    """Progress bars when standard error is a terminal; None (quiet) in cron, pipes, logs."""
    if not sys.stderr.isatty():
        yield None
        return
    bars = _Bars(verb)
    try:
        yield bars
    finally:
        bars.close()
