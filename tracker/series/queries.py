"""Read-side series queries: the list with each next meeting, a series' meetings."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.core import timeutil
from tracker.exchanges.models import Exchange
from tracker.exchanges.queries import sort_key
from tracker.extensions import db
from tracker.series.models import Series


def start_day(series: Series) -> date:
    """The first meeting's day in the team's zone (what the rule's words are about)."""
    if series.all_day:
        assert series.start_date is not None
        return series.start_date
    assert series.starts_at is not None
    return timeutil.local_date(series.starts_at)


def live_series() -> list[Series]:
    return list(db.session.scalars(
        select(Series).where(Series.is_live).order_by(Series.title, Series.id)
        .options(selectinload(Series.organisations))
    ))


def series_for_page(series_id: int) -> Series | None:
    return db.session.scalar(
        select(Series).where(Series.id == series_id, Series.is_live)
        .options(selectinload(Series.organisations), selectinload(Series.participants))
    )


def next_meetings(series_ids: list[int]) -> dict[int, Exchange]:
    """Each series' next meeting that takes place: one query for the list."""
    if not series_ids:
        return {}
    today = timeutil.today()
    rows = db.session.scalars(
        select(Exchange).where(
            Exchange.series_id.in_(series_ids), Exchange.is_live,
            Exchange.status != "cancelled", sort_key() >= today,
        ).order_by(sort_key(), Exchange.starts_at, Exchange.id)
    )
    found: dict[int, Exchange] = {}
    for meeting in rows:
        assert meeting.series_id is not None
        found.setdefault(meeting.series_id, meeting)
    return found


def all_meetings(series: Series) -> list[Exchange]:
    """Its live meetings in time order, with what a calendar item shows of them."""
    return list(db.session.scalars(
        select(Exchange).where(Exchange.series_id == series.id, Exchange.is_live)
        .order_by(sort_key(), Exchange.starts_at, Exchange.id)
        .options(selectinload(Exchange.outcomes), selectinload(Exchange.organisations))
    ))


def meetings_of(series: Series) -> tuple[list[Exchange], list[Exchange]]:
    """(coming soonest first, past latest first)."""
    today = timeutil.today()
    meetings = all_meetings(series)
    coming = [m for m in meetings if (m.first_day or date.max) >= today]
    past = [m for m in meetings if (m.first_day or date.max) < today]
    return coming, list(reversed(past))


def neighbours(meeting: Exchange) -> tuple[Exchange | None, Exchange | None]:
    """The meetings before and after this one in its series (for the exchange page)."""
    if meeting.series_id is None:
        return None, None
    rows = db.session.execute(
        select(Exchange.id, Exchange.start_date, Exchange.starts_at).where(
            Exchange.series_id == meeting.series_id, Exchange.is_live)
    ).all()
    order = sorted(rows, key=lambda r: (
        r.start_date or timeutil.local_date(r.starts_at),
        r.starts_at.timestamp() if r.starts_at else 0, r.id))
    ids = [r.id for r in order]
    at = ids.index(meeting.id) if meeting.id in ids else -1
    before = ids[at - 1] if at > 0 else None
    after = ids[at + 1] if 0 <= at < len(ids) - 1 else None
    return (db.session.get(Exchange, before) if before else None,
            db.session.get(Exchange, after) if after else None)

