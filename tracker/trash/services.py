"""Restoring from the trash: one door to the restore of each kind (pages and undo use it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracker.accounts.models import Person
from tracker.exchanges import services as exchanges
from tracker.series import services as series
from tracker.tasks import services as tasks

_RESTORE: dict[str, Callable[[Any, Person | None], Any]] = {
    "series": series.restore_series,
    "exchanges": exchanges.restore_exchange,
    "outcomes": exchanges.restore_outcome,
    "tasks": tasks.restore_task,
}


def restore(kind: str, record: Any, actor: Person | None) -> Any:
    """Restore `record` of `kind` (with what was deleted together with it); raise as they do."""
    return _RESTORE[kind](record, actor)
