"""The review's read side: open tasks grouped, counts per group, and the chart's figures.

Each is one query whatever the number of tasks, so the page costs the same at any scale.
"""

from __future__ import annotations

from datetime import UTC, date, time, timedelta
from typing import Any

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, case, false, func, select
from sqlalchemy.orm import InstrumentedAttribute

from tracker.accounts.models import Person
from tracker.calendar.models import CalendarState
from tracker.core import timeutil
from tracker.core.limits import PER_PAGE
from tracker.core.model import Record
from tracker.exchanges.models import Exchange
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.tasks.models import Task
from tracker.tasks.queries import paginate_rows

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


def grouped_page(by: str, page: int, per_page: int = PER_PAGE,
                 order: str = "attention") -> Pagination:
    """Sorted by group first, so a group's tasks stay together across a page break."""
    return paginate_rows(grouped(by, order), page, per_page)


def group_counts(by: str, keys: list[int | None]) -> dict[int | None, tuple[int, int]]:
    """(open, overdue) per group key, for the groups on this page."""
    column = GROUPINGS[by][0]
    if not keys:
        return {}
    real = [k for k in keys if k is not None]
    condition: ColumnElement[bool] = column.in_(real) if real else false()
    if None in keys:
        condition = column.is_(None) if not real else (column.in_(real) | column.is_(None))
    rows = db.session.execute(
        select(column, func.count(), func.sum(case((Task.is_overdue(timeutil.today()), 1),
                                                   else_=0)))
        .where(Task.status == "open", Task.is_live, condition)
        .group_by(column)
    )
    return {key: (count, int(overdue or 0)) for key, count, overdue in rows}


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


def over_time(ends: list[date]) -> list[dict]:
    """Open, done and overdue commitments as they stood at the end of each month.

    The figures need a scan of every task, so each app keeps the last ones with the key
    they were computed under: the change counter that triggers bump on every write to
    tasks (migration 0003_calendar), and the newest task change, read *before* the scan
    so a write racing it can only make the kept figures newer than their key, not older.
    """
    counter = select(CalendarState.counter).where(CalendarState.id == 1).scalar_subquery()
    key = (*db.session.execute(select(counter, func.count(), func.max(Task.updated_at))
                               .select_from(Task)).one(), tuple(ends))
    kept = current_app.extensions.setdefault("review_over_time", {})
    if key[0] is not None and kept.get("key") == key:
        return kept["figures"]
    figures = _count_over_time(ends)
    kept.update(key=key, figures=figures)
    return figures


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
    """Open, done and overdue commitments per organisation, most open first."""
    today = timeutil.today()
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


