"""The review's read side: open tasks grouped, counts per group, and the chart's figures.

Each is one query whatever the number of tasks, so the page costs the same at any scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, time, timedelta
from typing import Any, cast

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from tracker.accounts.models import Person
from tracker.calendar import cache
from tracker.core import timeutil
from tracker.core.limits import PER_PAGE
from tracker.core.model import Record
from tracker.exchanges.models import Exchange
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.tasks.models import Task
from tracker.tasks.queries import ComputedPagination, rows_by_id

#: A grouping's task column, the model it points to, and the name a group is sorted by.
GROUPINGS: dict[
    str, tuple[InstrumentedAttribute[Any], type[Record], InstrumentedAttribute[str]]
] = {
    "exchange": (Task.exchange_id, Exchange, Exchange.title),
    "owner": (Task.owner_id, Person, Person.name),
    "organisation": (Task.organisation_id, Organisation, Organisation.name),
}


def open_tasks() -> Select:
    """The review is about what is still owed: open tasks that are not deleted."""
    return select(Task).where(Task.status == "open", Task.is_live)


#: How the groups follow each other: what needs attention first (most overdue, then most
#: open), or by name.
ORDERS = ("attention", "name")


def grouped(by: str, order: str = "attention") -> Select:
    """The open tasks in their groups' order, the page's and the CSV's alike.

    "attention": groups with the most overdue tasks first, then the most open ones, then
    by name; "name": by name alone (the tasks without a group last either way). Within a
    group, the earliest due first."""
    column, model, name = GROUPINGS[by]
    stmt = open_tasks().outerjoin(model, model.id == column)
    keys: list[Any] = [name.is_(None), name, column]
    if order == "attention":
        # Window sums over the group's rows (the open tasks this select reads anyway).
        group = func.coalesce(column, 0)
        overdue = func.sum(case((Task.is_overdue(timeutil.today()), 1), else_=0))
        keys = [overdue.over(partition_by=group).desc(),
                func.count().over(partition_by=group).desc(), *keys]
    return stmt.order_by(*keys, Task.due_date.is_(None), Task.due_date, Task.id)


def group_figures(by: str) -> dict[int | None, tuple[int, int]]:
    """(open, overdue) of every group: one pass over the open tasks' index
    (ix_tasks_live_due), the figures the page's order and its heads both need."""
    column = GROUPINGS[by][0]
    overdue = func.sum(case((Task.is_overdue(timeutil.today()), 1), else_=0))
    rows = db.session.execute(
        select(column, func.count(), overdue)
        .where(Task.status == "open", Task.is_live)
        .group_by(column)
    )
    return {key: (count, int(late or 0)) for key, count, late in rows}


def group_order(by: str, order: str, figures: dict[int | None, tuple[int, int]]
                ) -> list[int | None]:
    """The groups as `grouped` orders them, worked out from their figures and the names'
    order (the database's collation, as the CSV's sort uses it)."""
    _column, model, name = GROUPINGS[by]
    ranks = {key: rank for rank, key in enumerate(
        db.session.scalars(select(model.id).order_by(name, model.id)))}

    def by_name(key: int | None) -> tuple[bool, int, int]:
        rank = ranks.get(key) if key is not None else None
        return rank is None, rank or 0, key or 0

    if order == "attention":
        return sorted(figures, key=lambda k: (-figures[k][1], -figures[k][0], *by_name(k)))
    return sorted(figures, key=by_name)


@dataclass
class GroupedPage:
    """A page of the review and every group's (open, overdue)."""

    pagination: Pagination
    counts: dict[int | None, tuple[int, int]]


def grouped_page(by: str, page: int, per_page: int = PER_PAGE,
                 order: str = "attention") -> GroupedPage:
    """The page's tasks in `grouped`'s order, a group's tasks together across a page break.

    Counted per group first (one index pass), the groups ordered in Python; then only the
    tasks of the groups this page touches are read and sorted. Four queries at any size,
    where sorting every open task by window sums took a third of a second at 50,000."""
    column = GROUPINGS[by][0]
    figures = group_figures(by)
    ordered = group_order(by, order, figures)

    def items(offset: int, limit: int) -> list[Task]:
        keys: list[int | None] = []
        start = seen = 0
        for key in ordered:
            count = figures[key][0]
            if seen + count > offset and seen < offset + limit:
                if not keys:
                    start = seen
                keys.append(key)
            seen += count
        if not keys:
            return []
        real = [k for k in keys if k is not None]
        condition: ColumnElement[bool] = column.in_(real) if real else false()
        if None in keys:
            condition = or_(condition, column.is_(None))
        rows = list(db.session.execute(
            select(Task.id, column, Task.due_date)
            .where(Task.status == "open", Task.is_live, condition)
        ))
        position = {key: i for i, key in enumerate(keys)}
        rows.sort(key=lambda r: (position[r[1]], r[2] is None, r[2] or date.min, r[0]))
        return rows_by_id([r[0] for r in rows[offset - start : offset - start + limit]])

    pagination = ComputedPagination(
        page=page, per_page=per_page, error_out=False, items=items,
        total=lambda: sum(count for count, _late in figures.values()),
    )
    return GroupedPage(pagination, figures)


def group_key(task: Task, by: str) -> int | None:
    """The page starts a new group where this changes, in the order grouped_page sorts."""
    return {"exchange": task.exchange_id, "owner": task.owner_id,
            "organisation": task.organisation_id}[by]


def month_ends(count: int = 12) -> list[date]:
    """The last day of each of the past `count` months, this month ending today."""
    today = timeutil.today()
    ends = [today]
    first = today.replace(day=1)
    for _ in range(count - 1):
        ends.append(first - timedelta(days=1))
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(ends))


def _kept(name: str, compute: Callable[[], Any], *also: Any) -> Any:
    """Figures that need a scan of every task, kept per app under the key they were
    computed with (calendar.cache.change_key, with `also`: the days asked about)."""
    key = cache.change_key(*also)
    kept = current_app.extensions.setdefault("review_kept", {}).setdefault(name, {})
    if key is not None and kept.get("key") == key:
        return kept["figures"]
    figures = compute()
    kept.update(key=key, figures=figures)
    return figures


def over_time(ends: list[date]) -> list[dict]:
    """Open, done and overdue commitments as they stood at the end of each month (kept)."""
    return cast(list[dict], _kept("over_time", lambda: _count_over_time(ends), tuple(ends)))


def _count_over_time(ends: list[date]) -> list[dict]:
    live = Task.is_live
    columns = []
    for day in ends:
        cutoff = timeutil.from_local(day + timedelta(days=1), time(0)).astimezone(UTC)
        created = Task.created_at < cutoff
        done = and_(Task.completed_at.is_not(None), Task.completed_at < cutoff)
        still_open = and_(created, Task.status != "cancelled", ~done)
        # Overdue as it stood then: open at that day's end and due before it (Task.is_overdue
        # asks the task's state now, which a month-end in the past cannot use).
        columns += [
            func.sum(case((and_(still_open, Task.status.is_not(None)), 1), else_=0)),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((and_(still_open, Task.due_date < day), 1), else_=0)),
        ]
    row = db.session.execute(select(*columns).where(live)).one()
    values = [int(v or 0) for v in row]
    return [
        {"day": day, "open": values[3 * i], "done": values[3 * i + 1],
         "overdue": values[3 * i + 2]}
        for i, day in enumerate(ends)
    ]


def per_partner(limit: int = 8) -> list[dict]:
    """Open, done and overdue commitments per organisation, most open first (kept: a scan
    of every task, two tenths of a second at 50,000)."""
    today = timeutil.today()
    return cast(list[dict], _kept("per_partner", lambda: _count_per_partner(today, limit),
                                  today, limit))


def _count_per_partner(today: date, limit: int) -> list[dict]:
    open_ = func.sum(case((Task.status == "open", 1), else_=0))
    rows = db.session.execute(
        select(
            Organisation.name,
            Organisation.short_name,
            open_,
            func.sum(case((Task.status == "done", 1), else_=0)),
            func.sum(case((Task.is_overdue(today), 1), else_=0)),
        )
        .join(Task, Task.organisation_id == Organisation.id)
        .where(Task.is_live)
        .group_by(Organisation.id, Organisation.name, Organisation.short_name)
        .order_by(open_.desc(), Organisation.name)
        .limit(limit)
    )
    return [
        {"name": short or name, "open": int(o or 0), "done": int(d or 0),
         "overdue": int(od or 0)}
        for name, short, o, d, od in rows
    ]


