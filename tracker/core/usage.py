"""When a secret (an API token, a feed link) was last used, recorded coarsely.

The account page shows it, so people can spot a link or token they no longer use. A write
on every request would turn each read into a write (and, on SQLite, contend for the one
write lock), so a use is recorded only once the last recorded one is `every` old.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class Used(Protocol):
    """A record with a `last_used_at` column (ApiToken, FeedToken)."""

    last_used_at: datetime | None


def is_due(last_used_at: datetime | None, now: datetime, every: timedelta) -> bool:
    """Whether a use at `now` is worth a write: never recorded, or the last one `every` old."""
    return last_used_at is None or now - last_used_at >= every


def touch(record: Used, now: datetime, every: timedelta) -> bool:
    """Record a use on `record` (the caller's transaction saves it); False if not yet due."""
    if not is_due(record.last_used_at, now, every):
        return False
    record.last_used_at = now
    return True
