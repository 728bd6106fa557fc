"""What the organisation pages read: an organisation's commitments, people, exchanges and
series, when it last reported, and the open and overdue counts of the list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Person
from tracker.core import timeutil
from tracker.core.audit import AuditEntry
from tracker.exchanges.models import Exchange, exchange_organisations
from tracker.exchanges.queries import sort_key
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.partners.models import PartnerLink
from tracker.series.models import Series, series_organisations
from tracker.tasks.models import Task
from tracker.tasks.queries import row_options

#: The page shows this many done commitments, the latest first; open ones are all shown.
DONE_SHOWN = 20
#: Beyond this many open commitments the page says so instead of growing without end.
OPEN_SHOWN = 500


@dataclass
class Counts:
    open: int = 0
    overdue: int = 0


def open_counts(organisation_ids: list[int], today: date | None = None) -> dict[int, Counts]:
    """Open and overdue commitments per organisation, in one query for a page of the list."""
    if not organisation_ids:
        return {}
    today = today or timeutil.today()
    rows = db.session.execute(
        select(
            Task.organisation_id,
            func.count(),
            func.sum(case((Task.is_overdue(today), 1), else_=0)),
        )
        .where(Task.organisation_id.in_(organisation_ids), Task.is_live, Task.status == "open")
        .group_by(Task.organisation_id)
    )
    return {org_id: Counts(int(n), int(overdue or 0)) for org_id, n, overdue in rows}


@dataclass
class OrganisationPage:
    organisation: Organisation
    overdue: list[Task] = field(default_factory=list)
    open: list[Task] = field(default_factory=list)
    done: list[Task] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    last_reported: datetime | None = None
    open_cut: bool = False


def organisation_page(organisation: Organisation, today: date | None = None) -> OrganisationPage:
    """Everything /organisations/<id> shows, in a fixed number of queries."""
    today = today or timeutil.today()
    page = OrganisationPage(organisation)
    mine = (Task.organisation_id == organisation.id, Task.is_live)
    still_open = list(db.session.scalars(
        select(Task).where(*mine, Task.status == "open").options(*row_options())
        .order_by(Task.due_date.is_(None), Task.due_date, Task.id).limit(OPEN_SHOWN + 1)
    ))
    page.open_cut = len(still_open) > OPEN_SHOWN
    for task in still_open[:OPEN_SHOWN]:
        (page.overdue if task.is_overdue(today) else page.open).append(task)
    page.done = list(db.session.scalars(
        select(Task).where(*mine, Task.status == "done").options(*row_options())
        .order_by(Task.completed_at.desc(), Task.id.desc()).limit(DONE_SHOWN)
    ))
    page.people = list(db.session.scalars(
        select(Person).where(Person.organisation_id == organisation.id)
        .order_by(Person.active.desc(), Person.name)
    ))
    taking_part = select(exchange_organisations.c.exchange_id).where(
        exchange_organisations.c.organisation_id == organisation.id
    )
    page.exchanges = list(db.session.scalars(
        select(Exchange).where(Exchange.id.in_(taking_part), Exchange.is_live)
        .options(selectinload(Exchange.series))
        .order_by(sort_key().desc(), Exchange.id.desc())
    ))
    in_series = select(series_organisations.c.series_id).where(
        series_organisations.c.organisation_id == organisation.id
    )
    series_ids = {e.series_id for e in page.exchanges if e.series_id is not None}
    page.series = list(db.session.scalars(
        select(Series).where(or_(Series.id.in_(in_series), Series.id.in_(series_ids)),
                             Series.is_live).order_by(Series.title)
    ))
    page.last_reported = last_reported(organisation.id)
    return page


def last_reported(organisation_id: int) -> datetime | None:
    """When the organisation last did anything through one of its partner links (marked a
    task done, wrote a note, proposed a date); None: never."""
    at = db.session.scalar(
        select(func.max(AuditEntry.at))
        .join(PartnerLink, PartnerLink.id == AuditEntry.partner_link_id)
        .where(PartnerLink.organisation_id == organisation_id)
    )
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
