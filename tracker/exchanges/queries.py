"""Read-side exchange queries: lists with their organisations, the exchange page's tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import cast

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from tracker.core import timeutil
from tracker.core.audit import AuditEntry
from tracker.core.limits import MAX_PER_PAGE
from tracker.exchanges.models import Exchange, Outcome, exchange_organisations
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.organisations.services import home_organisation_id
from tracker.tasks.models import Task
from tracker.tasks.queries import first_rows, row_options


def _upcoming_condition() -> ColumnElement[bool]:
    today = timeutil.today()
    start_of_today = timeutil.from_local(today, time(0))
    return or_(
        and_(Exchange.all_day.is_(True), Exchange.end_date >= today),
        and_(Exchange.all_day.is_(False), Exchange.ends_at >= start_of_today),
    )


def sort_key() -> ColumnElement[date]:
    """All-day and timed exchanges on one time line (start date, else start time)."""
    return func.coalesce(Exchange.start_date, func.date(Exchange.starts_at))


def exchanges_page(when: str, page: int, q: str = "", per_page: int = 30) -> Pagination:
    """Upcoming soonest first, past latest first: each list starts with the nearest."""
    stmt = select(Exchange).where(Exchange.is_live)
    if when == "past":
        stmt = stmt.where(~_upcoming_condition()).order_by(sort_key().desc(), Exchange.id.desc())
    else:
        stmt = stmt.where(_upcoming_condition()).order_by(sort_key(), Exchange.id)
    if q:
        # Title, place and minutes, as the API's list reads `q` (/search ranks all records).
        needle = q.lower()
        stmt = stmt.where(or_(*(func.lower(column).contains(needle, autoescape=True)
                                for column in (Exchange.title, Exchange.location,
                                               Exchange.description))))
    stmt = stmt.options(selectinload(Exchange.organisations))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def open_counts(exchange_ids: list[int]) -> dict[int, int]:
    """A list shows each exchange's open tasks; one query for the page, not one per row."""
    if not exchange_ids:
        return {}
    rows = db.session.execute(
        select(Task.exchange_id, func.count())
        .where(Task.exchange_id.in_(exchange_ids), Task.status == "open",
               Task.is_live)
        .group_by(Task.exchange_id)
    )
    # Keyed by exchange ids only: the rows are filtered to them.
    return cast(dict[int, int], dict(rows.all()))


def exchange_for_page(exchange_id: int) -> Exchange | None:
    """All the page shows of the exchange itself, loaded up front; deleted ones are None."""
    return db.session.scalar(
        select(Exchange)
        .where(Exchange.id == exchange_id, Exchange.is_live)
        .options(
            selectinload(Exchange.organisations),
            selectinload(Exchange.participants),
            selectinload(Exchange.outcomes).selectinload(Outcome.organisations),
            selectinload(Exchange.follows_up),
            selectinload(Exchange.series),
            selectinload(Exchange.documents),
        )
    )


def tasks_of(exchange: Exchange) -> list[Task]:
    """The page lists what was agreed there with its tasks, the undated last."""
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.exchange_id == exchange.id, Task.is_live)
            .options(*row_options())
            .order_by(Task.due_date.is_(None), Task.due_date, Task.id)
        )
    )


def tasks_due_at(exchange: Exchange) -> list[Task]:
    """Tasks due *at* this exchange are what to report there ("first results at SCCON")."""
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.due_exchange_id == exchange.id, Task.is_live)
            .options(*row_options())
            .order_by(Task.status, Task.id)
        )
    )


@dataclass
class Carried:
    """A task an upcoming exchange should take up, and why it is on its list."""

    task: Task
    #: "series": from an earlier meeting of the same series; "partner": from an earlier
    #: exchange that shares a partner organisation (not the home organisation) with it.
    because: str
    #: The shared partner organisations it came through (empty for "series" alone).
    partners: list[Organisation]

    @property
    def group(self) -> Organisation | None:
        """The partner it is listed under: who committed to it, else the partner it came
        through (None: the team's own, or no partner)."""
        if self.task.organisation is not None:
            return self.task.organisation
        return self.partners[0] if self.partners else None


def meeting_start(exchange: Exchange) -> datetime | None:
    """The start of the meeting's first day (team zone): what was done or noted since then
    was taken up there."""
    day = exchange.first_day
    return timeutil.from_local(day, time(0)) if day else None


#: How many carried-over tasks a page shows (the most pressing first); the API gives more.
CARRIED_ON_PAGE = 40
CARRIED_IN_API = MAX_PER_PAGE


def _partners(exchange: Exchange) -> dict[int, Organisation]:
    """The exchange's organisations that count as partners: all but the home organisation."""
    home = home_organisation_id()
    return {o.id: o for o in exchange.organisations if o.id != home}


def _carried_statement(exchange: Exchange, partner_ids: list[int]) -> Select | None:
    """The carried-over tasks of `exchange`, unordered; None when nothing can be."""
    related = []
    if exchange.series_id is not None:
        related.append(Exchange.series_id == exchange.series_id)
    if partner_ids:
        related.append(Exchange.id.in_(
            select(exchange_organisations.c.exchange_id)
            .where(exchange_organisations.c.organisation_id.in_(partner_ids))
        ))
    if not related:
        return None
    earlier = select(Exchange.id).where(
        Exchange.id != exchange.id,
        Exchange.is_live,
        sort_key() <= (exchange.first_day or datetime.max.date()),
        or_(*related),
    )
    # The statuses as IN (the index ix_tasks_exchange_live reads them), the time of a
    # check-off apart: an OR of statuses had SQLite read every open task by status.
    statuses, still_here = ["open"], Task.status == "open"
    started = meeting_start(exchange)
    if started is not None:
        taken_up = Task.completed_at >= started
        if exchange.minutes_sent_at is not None:
            taken_up = and_(taken_up, Task.completed_at <= exchange.minutes_sent_at)
        statuses, still_here = ["open", "done"], or_(still_here, taken_up)
    return select(Task).where(Task.exchange_id.in_(earlier), Task.status.in_(statuses),
                              Task.is_live, still_here)


def carried_count(exchange: Exchange) -> int:
    """How many tasks are carried over in all (a page shows the first CARRIED_ON_PAGE)."""
    stmt = _carried_statement(exchange, list(_partners(exchange)))
    if stmt is None:
        return 0
    return db.session.scalar(
        select(func.count()).select_from(stmt.with_only_columns(Task.id).subquery())
    ) or 0


def carried_over(exchange: Exchange, limit: int = CARRIED_IN_API) -> list[Carried]:
    """Open tasks from earlier meetings of the series and earlier exchanges sharing a partner.

    The home organisation never counts as shared: it takes part in nearly everything.
    Tasks checked off since the meeting's day began stay on the list (taken up there),
    so the agenda and the minutes show what became of them. Overdue first, then by due
    date; grouped by partner (`group_by_partner`). Three queries, whatever the data.
    """
    partners = _partners(exchange)
    stmt = _carried_statement(exchange, list(partners))
    if stmt is None:
        return []
    today = timeutil.today()
    tasks = first_rows(
        stmt.order_by(case((Task.is_overdue(today), 0), else_=1),
                      Task.due_date.is_(None), Task.due_date, Task.id),
        limit,
    )
    shared: dict[int, list[Organisation]] = {}
    source_ids = {t.exchange_id for t in tasks if t.exchange_id is not None}
    if source_ids and partners:
        rows = db.session.execute(
            select(exchange_organisations.c.exchange_id, exchange_organisations.c.organisation_id)
            .where(exchange_organisations.c.exchange_id.in_(source_ids),
                   exchange_organisations.c.organisation_id.in_(list(partners)))
        )
        for exchange_id, organisation_id in rows:
            shared.setdefault(exchange_id, []).append(partners[organisation_id])
    found = []
    for task in tasks:
        through = sorted(shared.get(task.exchange_id or 0, []), key=lambda o: o.name)
        same_series = (exchange.series_id is not None and task.exchange is not None
                       and task.exchange.series_id == exchange.series_id)
        found.append(Carried(task, "series" if same_series else "partner", through))
    return found


def group_by_partner(carried: list[Carried]) -> list[tuple[Organisation | None, list[Carried]]]:
    """The carried-over list by partner (named partners first, by name), each in its order."""
    groups: dict[int | None, list[Carried]] = {}
    names: dict[int | None, Organisation | None] = {}
    for item in carried:
        key = item.group.id if item.group else None
        groups.setdefault(key, []).append(item)
        names[key] = item.group

    def by_name(key: int | None) -> tuple[bool, str]:
        organisation = names[key]
        return organisation is None, organisation.name if organisation else ""

    return [(names[k], groups[k]) for k in sorted(groups, key=by_name)]


def deletion_counts(exchange: Exchange) -> tuple[int, int]:
    """(outcomes, tasks) that a delete of the exchange takes with it: its live ones."""
    outcomes = db.session.scalar(
        select(func.count()).select_from(Outcome)
        .where(Outcome.exchange_id == exchange.id, Outcome.is_live)
    )
    tasks = db.session.scalar(
        select(func.count()).select_from(Task).where(Task.exchange_id == exchange.id, Task.is_live)
    )
    return outcomes or 0, tasks or 0


def history_of(exchange: Exchange) -> tuple[list[AuditEntry], dict[int, Outcome]]:
    """The exchange's audit trail and its outcomes' (deleted ones too), oldest first.

    Also the outcomes by id, so the page can say which one an entry is about.
    """
    of_exchange = select(Outcome).where(Outcome.exchange_id == exchange.id)
    outcomes = {o.id: o for o in db.session.scalars(of_exchange)}
    entries = db.session.scalars(
        select(AuditEntry)
        .where(or_(
            and_(AuditEntry.entity_type == Exchange.__tablename__,
                 AuditEntry.entity_id == exchange.id),
            and_(AuditEntry.entity_type == Outcome.__tablename__,
                 AuditEntry.entity_id.in_(list(outcomes))),
        ))
        .order_by(AuditEntry.id)
        .options(selectinload(AuditEntry.actor))
    )
    return list(entries), outcomes
