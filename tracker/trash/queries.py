"""What the trash lists: each deletion once, with who made it (from the audit trail).

An outcome or task deleted together with its exchange (or a task with its outcome) shares
its parent's `deleted_at` (see `exchanges.services.delete_exchange`); it is not listed on
its own but counted under its parent, and comes back when the parent is restored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, selectinload

from tracker.accounts.models import Person
from tracker.core.audit import AuditEntry
from tracker.core.limits import MAX_PER_PAGE, is_id
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.series.models import Series
from tracker.tasks.models import Task

#: The kinds the trash holds, by the name the restore URL uses.
KINDS: dict[str, Any] = {
    "series": Series, "exchanges": Exchange, "outcomes": Outcome, "tasks": Task,
}


@dataclass
class TrashItem:
    """One deletion: the record, when and by whom, and what went with it."""

    kind: str
    record: Any
    deleted_at: datetime
    deleted_by: Person | None = None
    outcomes: int = 0
    tasks: int = 0

    @property
    def title(self) -> str:
        """The record's name as the list shows it (an outcome's text)."""
        return str(self.record.text if self.kind == "outcomes" else self.record.title)


def deleted_record(kind: str, record_id: int) -> Any | None:
    """The record of this kind and id, deleted or not; None for an unknown kind or id."""
    model = KINDS.get(kind)
    if model is None or not is_id(record_id):
        return None
    return db.session.get(model, record_id)


def trash_items(limit: int = MAX_PER_PAGE) -> list[TrashItem]:
    """The newest `limit` deletions, newest first."""
    series = db.session.scalars(
        select(Series).where(~Series.is_live).order_by(Series.deleted_at.desc()).limit(limit)
    )
    # A meeting deleted with its series comes back with it: listed under the series.
    of_series = aliased(Series)
    exchanges = db.session.scalars(
        select(Exchange)
        .outerjoin(of_series, of_series.id == Exchange.series_id)
        .where(~Exchange.is_live,
               or_(of_series.id.is_(None), of_series.is_live,
                   Exchange.deleted_at < of_series.deleted_at))
        .order_by(Exchange.deleted_at.desc()).limit(limit)
    )
    parent = aliased(Exchange)
    outcomes = db.session.scalars(
        select(Outcome).join(parent, parent.id == Outcome.exchange_id)
        .where(~Outcome.is_live,
               or_(parent.is_live, parent.deleted_at != Outcome.deleted_at))
        .order_by(Outcome.deleted_at.desc()).limit(limit)
    )
    of_outcome, of_exchange = aliased(Outcome), aliased(Exchange)
    tasks = db.session.scalars(
        select(Task)
        .outerjoin(of_outcome, of_outcome.id == Task.outcome_id)
        .outerjoin(of_exchange, of_exchange.id == Task.exchange_id)
        .where(~Task.is_live,
               or_(of_outcome.is_live, of_outcome.deleted_at != Task.deleted_at),
               or_(of_exchange.is_live, of_exchange.deleted_at != Task.deleted_at))
        .order_by(Task.deleted_at.desc()).limit(limit)
    )
    items = [_item("series", s) for s in series]
    items += [_item("exchanges", e) for e in exchanges]
    items += [_item("outcomes", o) for o in outcomes]
    items += [_item("tasks", t) for t in tasks]
    items.sort(key=lambda item: item.deleted_at, reverse=True)
    items = items[:limit]
    _add_who(items)
    _add_what_went_with(items)
    return items


def _item(kind: str, record: Any) -> TrashItem:
    return TrashItem(kind, record, record.deleted_at)


def _add_who(items: list[TrashItem]) -> None:
    for kind in KINDS:
        ids = [item.record.id for item in items if item.kind == kind]
        if not ids:
            continue
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "delete", AuditEntry.entity_type == kind,
                   AuditEntry.entity_id.in_(ids))
            .order_by(AuditEntry.id).options(selectinload(AuditEntry.actor))
        )
        last = {entry.entity_id: entry for entry in entries}
        for item in items:
            if item.kind == kind and item.record.id in last:
                item.deleted_by = last[item.record.id].actor


def _add_what_went_with(items: list[TrashItem]) -> None:
    for kind, child, attr in (("exchanges", Outcome, "outcomes"), ("exchanges", Task, "tasks"),
                              ("outcomes", Task, "tasks")):
        parents = [item for item in items if item.kind == kind]
        if not parents:
            continue
        model = KINDS[kind]
        link = child.exchange_id if kind == "exchanges" else Task.outcome_id
        rows = db.session.execute(
            select(link, func.count()).join(model, model.id == link)
            .where(link.in_([p.record.id for p in parents]),
                   child.deleted_at == model.deleted_at)
            .group_by(link)
        )
        counts = {parent_id: count for parent_id, count in rows}
        for item in parents:
            setattr(item, attr, counts.get(item.record.id, 0))
