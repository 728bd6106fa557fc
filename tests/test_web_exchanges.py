"""Exchanges: lists, create/edit (timed and all-day), outcomes and tasks added in place,
and what is still open from earlier exchanges with the same partners."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from tests.web import a_date, fresh, login, post
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.tasks.models import Task


def first_wednesday_after(day: date) -> date:
    """The first Wednesday of the month after `day`: a start FREQ=MONTHLY;BYDAY=1WE produces."""
    first = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(2 - first.weekday()) % 7)


def test_upcoming_and_past_lists(web, world, make):
    make.exchange(title="SCCON 2022", all_day=True, start_date=a_date(-400), status="held")
    login(web, world.viewer)
    upcoming = web.get("/exchanges").get_data(as_text=True)
    assert "Besuch in Lübeck" in upcoming and "Governance-Workshop" in upcoming
    assert "SCCON 2022" not in upcoming
    assert upcoming.index("Besuch in Lübeck") < upcoming.index("Governance-Workshop")
    assert "2 offene Aufgaben" in upcoming
    past = web.get("/exchanges?when=past").get_data(as_text=True)
    assert "SCCON 2022" in past and "Besuch in Lübeck" not in past


def test_create_a_timed_exchange_with_two_organisations(web, world):
    login(web, world.editor)
    assert web.get("/exchanges/new").status_code == 200
    response = post(web, "/exchanges/new", {
        "title": "Smart-City-Werkstatt Kiel", "kind": "werkstatt", "status": "planned",
        "starts_at": f"{a_date(10)}T09:30", "ends_at": f"{a_date(10)}T12:00",
        "location": "Kiel, Rathaus", "description": "Zweite Runde",
        "organisation_ids": [world.luebeck.id, world.kiel.id],
        "participant_ids": [world.editor.id], "follows_up_id": world.exchange.id, "rrule": "",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    exchange = db.session.scalar(db.select(Exchange).where(Exchange.title.like("Smart-City%")))
    assert {o.id for o in exchange.organisations} == {world.luebeck.id, world.kiel.id}
    assert exchange.follows_up_id == world.exchange.id
    # 09:30 in Rostock is 08:30 UTC in winter / 07:30 in summer: stored as UTC.
    from tracker.core.timeutil import to_local

    assert to_local(exchange.starts_at).strftime("%H:%M") == "09:30"
    page = web.get(response.location).get_data(as_text=True)
    assert "Hansestadt Lübeck" in page and "Landeshauptstadt Kiel" in page
    assert "09:30" in page


def test_create_an_all_day_series_and_see_field_errors(web, world):
    login(web, world.editor)
    bad = post(web, "/exchanges/new", {"title": "Netzwerktreffen", "kind": "network_meeting",
                                       "status": "planned", "all_day": "y",
                                       "start_date": str(a_date(5)), "end_date": str(a_date(4))})
    assert bad.status_code == 400
    assert 'id="end_date-error"' in bad.get_data(as_text=True)
    # No RRULE is typed here any more: a recurring exchange is a series (its own form).
    page = web.get("/exchanges/new").get_data(as_text=True)
    assert 'name="rrule"' not in page and 'href="/series/new"' in page
    ok = post(web, "/exchanges/new", {"title": "Netzwerktreffen", "kind": "network_meeting",
                                      "status": "planned", "all_day": "y",
                                      "start_date": str(first_wednesday_after(a_date(5))),
                                      "rrule": "FREQ=MONTHLY;BYDAY=1WE"})
    assert ok.status_code == 302
    assert db.session.scalar(select(Exchange.rrule).where(
        Exchange.title == "Netzwerktreffen")) is None


def test_edit_moves_tasks_due_at_it_and_detects_stale_saves(web, world, make):
    due_there = make.task(title="Ergebnisse vorstellen", owner_id=world.editor.id,
                          due_exchange_id=world.later.id)
    login(web, world.editor)
    form = {"title": "Governance-Workshop", "kind": "workshop", "status": "planned",
            "all_day": "y", "start_date": str(a_date(35)), "organisation_ids": [world.luebeck.id],
            "participant_ids": [world.viewer.id], "version": str(world.later.version)}
    assert web.get(f"/exchanges/{world.later.id}/edit").status_code == 200
    assert post(web, f"/exchanges/{world.later.id}/edit", form).status_code == 302
    assert fresh(due_there).due_date == a_date(35)
    stale = post(web, f"/exchanges/{world.later.id}/edit", {**form, "title": "Veraltet"})
    assert stale.status_code == 409
    assert "Inzwischen von jemand anderem geändert" in stale.get_data(as_text=True)
    assert fresh(world.later).title == "Governance-Workshop"


def test_record_an_outcome_and_its_tasks_in_place(web, world):
    login(web, world.editor)
    response = post(web, f"/exchanges/{world.exchange.id}/outcomes", {
        "text": "Kiel teilt die Persona-Unterlagen", "organisation_ids": [world.kiel.id]})
    assert response.status_code == 302
    outcome = db.session.scalar(db.select(Outcome).where(Outcome.text.like("Kiel teilt%")))
    prefix = f"o{outcome.id}-"
    response = post(web, f"/exchanges/{world.exchange.id}/tasks?outcome_id={outcome.id}", {
        prefix + "title": "Unterlagen an Lübeck weiterleiten",
        prefix + "owner_id": world.viewer.id, prefix + "organisation_id": world.kiel.id,
        prefix + "due_date": "", prefix + "due_exchange_id": world.later.id,
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    task = db.session.scalar(db.select(Task).where(Task.title.like("Unterlagen an%")))
    assert task.outcome_id == outcome.id and task.exchange_id == world.exchange.id
    assert task.due_exchange_id == world.later.id and task.due_date == a_date(30)
    page = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    assert "Kiel teilt die Persona-Unterlagen" in page and "Unterlagen an Lübeck" in page
    later = web.get(f"/exchanges/{world.later.id}").get_data(as_text=True)
    assert "Fällig zu diesem Austausch" in later and "Unterlagen an Lübeck" in later


def test_in_place_tasks_can_be_due_only_at_a_later_exchange(web, world, make):
    earlier = make.exchange(title="Netzwerktreffen im Mai", all_day=True,
                            start_date=a_date(-60)).id
    login(web, world.editor)
    page = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    due_select = page[page.index('id="x-due_exchange_id"'):]
    due_select = due_select[:due_select.index("</select>")]
    assert f'value="{world.later.id}"' in due_select
    assert f'value="{earlier}"' not in due_select
    assert f'value="{world.exchange.id}"' not in due_select
    response = post(web, f"/exchanges/{world.exchange.id}/tasks", {
        "x-title": "Bericht", "x-owner_id": world.editor.id, "x-due_exchange_id": earlier})
    assert response.status_code == 400
    assert not db.session.scalar(db.select(Task).where(Task.title == "Bericht"))


def test_in_place_task_errors_stay_on_the_exchange_page(web, world):
    login(web, world.editor)
    response = post(web, f"/exchanges/{world.exchange.id}/tasks", {"x-title": "", "x-owner_id": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="x-title-error"' in page and "Besuch in Lübeck" in page


def test_open_tasks_from_earlier_exchanges_with_these_partners(web, world, make):
    earlier = make.exchange(title="Erstes Treffen", all_day=True, start_date=a_date(-60),
                            organisation_ids=[world.kiel.id])
    make.task(title="Aus dem ersten Treffen", owner_id=world.editor.id, exchange_id=earlier.id)
    unrelated = make.exchange(title="Anderes Treffen", all_day=True, start_date=a_date(-50))
    make.task(title="Hat damit nichts zu tun", owner_id=world.editor.id,
              exchange_id=unrelated.id)
    login(web, world.viewer)
    page = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    assert "Noch offen aus früheren Austauschen" in page
    assert "Aus dem ersten Treffen" in page and "Hat damit nichts zu tun" not in page


def test_viewers_see_no_editing_forms(web, world):
    login(web, world.viewer)
    page = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    assert "Ergebnis festhalten" not in page and "/edit" not in page
    assert web.get("/exchanges/new").status_code == 403


def test_deleting_an_exchange(web, world):
    login(web, world.editor)
    assert post(web, f"/exchanges/{world.later.id}/delete").status_code == 302
    assert web.get(f"/exchanges/{world.later.id}").status_code == 404
    assert fresh(world.later).deleted_at is not None
    assert timedelta(0) is not None


def test_an_outcome_can_be_dropped_and_taken_up_again(web, world):
    login(web, world.editor)
    path = f"/exchanges/{world.exchange.id}/outcomes/{world.outcome.id}/drop"
    assert post(web, path, {"dropped": "1"}).status_code == 302
    assert fresh(world.outcome).status == "dropped"
    page = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    assert "verworfen" in page and "Wieder aufnehmen" in page
    post(web, path, {"dropped": "0"})
    assert fresh(world.outcome).status == "agreed"
