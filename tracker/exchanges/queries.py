"""Read-side exchange queries: lists with their organisations, the exchange page's tasks."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import cast

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import selectinload

from tracker.core import timeutil
from tracker.core.audit import AuditEntry
from tracker.exchanges.models import Exchange, Outcome, exchange_organisations
from tracker.extensions import db
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


def carried_over(exchange: Exchange, limit: int = 50) -> list[Task]:
    """Open tasks from earlier exchanges this one follows up or shares partners with."""
    org_ids = [o.id for o in exchange.organisations]
    earlier = select(Exchange.id).where(
        Exchange.id != exchange.id,
        Exchange.is_live,
        sort_key() <= (exchange.first_day or datetime.max.date()),
    )
    related = [Exchange.id == exchange.follows_up_id] if exchange.follows_up_id else []
    if org_ids:
        related.append(
            Exchange.id.in_(
                select(exchange_organisations.c.exchange_id).where(
                    exchange_organisations.c.organisation_id.in_(org_ids)
                )
            )
        )
    if not related:
        return []
    ids = earlier.where(or_(*related))
    return first_rows(
        select(Task)
        .where(Task.exchange_id.in_(ids), Task.status == "open", Task.is_live)
        .order_by(Task.due_date.is_(None), Task.due_date, Task.id),
        limit,
    )


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
