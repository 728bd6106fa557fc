"""Times are stored in UTC and come back aware on every database; dates stay dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tracker.core.database import transaction
from tracker.extensions import db
from tracker.models import Exchange, Task

BERLIN = ZoneInfo("Europe/Berlin")


def test_an_aware_time_comes_back_aware_and_the_same_instant(make):
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)  # the night clocks go forward
    exchange = make.exchange(starts_at=start, ends_at=start.astimezone(UTC) + timedelta(hours=3))
    db.session.expire_all()
    stored = db.session.get(Exchange, exchange.id)
    assert stored.starts_at.tzinfo is not None
    assert stored.starts_at.utcoffset() == timedelta(0)
    assert stored.starts_at == start
    assert stored.ends_at - stored.starts_at == timedelta(hours=3)


def test_an_offset_other_than_utc_is_converted(make):
    helsinki = timezone(timedelta(hours=2))
    exchange = make.exchange(starts_at=datetime(2026, 4, 26, 12, tzinfo=helsinki))
    db.session.expire_all()
    assert db.session.get(Exchange, exchange.id).starts_at == datetime(
        2026, 4, 26, 10, tzinfo=UTC
    )


def test_a_naive_time_is_refused(make):
    owner = make.person()
    with pytest.raises(Exception, match="naive"):
        with transaction():
            db.session.add(
                Task(title="x", owner_id=owner.id, status="done",
                     completed_at=datetime(2026, 1, 1, 12))
            )
            db.session.flush()


def test_dates_and_times_without_zone_stay_what_they_are(make):
    task = make.task(due_date=date(2026, 12, 24), due_time=time(9, 30))
    db.session.expire_all()
    row = db.session.execute(select(Task.due_date, Task.due_time).where(Task.id == task.id)).one()
    assert row.due_date == date(2026, 12, 24) and type(row.due_date) is date
    assert row.due_time == time(9, 30)


def test_an_all_day_exchange_keeps_its_dates(make):
    exchange = make.exchange(all_day=True, start_date=date(2026, 10, 18),
                             end_date=date(2026, 10, 20))
    db.session.expire_all()
    stored = db.session.get(Exchange, exchange.id)
    assert (stored.start_date, stored.end_date) == (date(2026, 10, 18), date(2026, 10, 20))
    assert stored.starts_at is None
    assert stored.first_day == date(2026, 10, 18)


def test_first_day_of_a_timed_exchange_is_in_the_team_zone(make):
    # 23:30 UTC on 31 Dec is already 1 Jan in Berlin.
    exchange = make.exchange(starts_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert exchange.first_day == date(2027, 1, 1)
