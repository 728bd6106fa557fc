"""Build on write: a feed's items are built when their records are written (or by `flask
calendar warm` and `flask import`), so no fetch builds them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from tests.calendar_support import issue, parse_both
from tests.db_support import empty_all_tables
from tracker.accounts.services import update_person
from tracker.calendar import cache
from tracker.calendar.models import CalendarState, FeedItem
from tracker.core.database import transaction
from tracker.exchanges.services import update_exchange
from tracker.extensions import db
from tracker.tasks.models import Task
from tracker.tasks.services import update_task
from tracker.transfer.dump import export_database

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def built(monkeypatch):
    """The items built (each build counted; clear it before the fetch)."""
    calls: list[int] = []
    original = cache._build

    def counting(make, record):
        calls.append(record.id)
        return original(make, record)

    monkeypatch.setattr(cache, "_build", counting)
    return calls


def _kept(kind: str, record_id: int) -> list[str]:
    return list(db.session.scalars(
        select(FeedItem.variant).where(FeedItem.record_kind == kind,
                                       FeedItem.record_id == record_id)
    ))


def test_a_written_task_is_built_by_the_write_not_by_the_next_fetch(client, make, built):
    anna, bert = make.user(), make.user(locale="de")
    url = f"/calendar/{issue(anna, 'team')}.ics"
    assert client.get(url).status_code == 200
    task = make.task(owner_id=bert.id, title="Neu geschrieben")
    assert set(_kept("task", task.id)) == {"vevent:en"}  # anna's language
    built.clear()
    body = client.get(url).data
    assert b"Neu geschrieben" in body and built == []
    parse_both(body)

    with transaction():
        update_task(task, None, {"title": "Umbenannt"}, task.version)
    with transaction():
        update_person(bert, None, {"name": "Bert Neu"})
    built.clear()
    body = client.get(url).data
    assert b"Umbenannt (Bert Neu)" in body and built == []


def test_every_presentation_in_use_is_built_and_none_other(client, make, built):
    anna = make.user(locale="de")
    issue(anna, "personal", vtodo=True)
    issue(anna, "team")
    mine = make.task(owner_id=anna.id)
    others = make.task(title="Nicht meine")
    assert set(_kept("task", mine.id)) == {"vtodo-mine:de", "vevent-mine:de"}
    assert set(_kept("task", others.id)) == {"vevent:de"}  # not in anna's personal feed
    exchange = make.exchange(participant_ids=[anna.id])
    assert set(_kept("exchange", exchange.id)) == {"vevent:de"}
    with transaction():
        update_exchange(exchange, None, {"title": "Umbenannt"}, exchange.version)
    make.outcome(exchange, text="Neu vereinbart")
    built.clear()
    body = client.get(f"/calendar/{issue(anna, 'team')}.ics").data
    assert b"Neu vereinbart" in body and built == []


def test_no_feeds_no_items(make):
    make.task()
    assert db.session.scalar(select(func.count()).select_from(FeedItem)) == 0


def test_warm_builds_what_a_bulk_load_left_missing(client, make, runner, built):
    anna = make.user()
    url = f"/calendar/{issue(anna, 'team')}.ics"
    owner = make.person()
    template = make.task(owner_id=owner.id)
    db.session.execute(insert(Task), [  # a bulk load, past the services
        {"title": f"Geladen {i}", "owner_id": owner.id, "due_date": template.due_date,
         "status": "open", "created_at": template.created_at, "updated_at": template.updated_at}
        for i in range(5)
    ])
    db.session.commit()
    result = runner.invoke(args=["calendar", "warm"])
    assert result.exit_code == 0, result.output
    assert "Built 5 calendar items for 1 feed(s)" in result.output
    assert "\r" not in result.output  # no progress counts when not on a terminal
    built.clear()
    body = client.get(url).data
    assert body.count(b"Geladen") == 5 and built == []
    again = runner.invoke(args=["calendar", "warm"])
    assert "Built 0 calendar items" in again.output


def test_import_builds_the_items_of_the_feeds_it_brings(client, make, runner, built, tmp_path):
    anna = make.user()
    url = f"/calendar/{issue(anna, 'team')}.ics"
    make.task(title="Bleibt erhalten")
    make.outcome(make.exchange(title="Auch das"))
    target = tmp_path / "export.json"
    export_database(target)
    db.session.remove()
    empty_all_tables()
    db.session.execute(CalendarState.__table__.insert().values(id=1, counter=0))
    db.session.commit()
    result = runner.invoke(args=["import", str(target)])
    assert result.exit_code == 0, result.output
    assert "Built 2 calendar items for 1 feed(s)" in result.output
    db.session.expire_all()
    built.clear()
    body = client.get(url).data
    assert b"Bleibt erhalten" in body and b"Auch das" in body and built == []
    parse_both(body)


def test_a_partner_link_s_feed_is_built_on_write_too(client, make, built):
    from flask import current_app

    from tracker.partners import services as partners

    org = make.organisation()
    with transaction():
        link = partners.create_link(org, None)
    feed_token = link.feed_token(current_app.config["SECRET_KEY"])
    task = make.task(organisation_id=org.id, title="Zugesagt")
    make.task(title="Nicht von ihnen")
    assert _kept("task", task.id) == ["vevent-partner:de"]
    built.clear()
    body = client.get(f"/partner/feed/{feed_token}.ics").data
    assert b"Zugesagt" in body and b"Nicht von ihnen" not in body and built == []
