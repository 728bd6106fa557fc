"""The meeting cycle: what is carried over into the next meeting, the agenda (topics, mail
with the meeting as .ics), taking up tasks there, finishing the minutes once, editing and
deleting outcomes, document links."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.api_support import Api, assert_problem, token_for
from tests.calendar_support import parse_both, parse_with_icaljs
from tests.notify_support import parts
from tests.web import a_date, fresh, login, post
from tracker.agenda.models import AgendaTopic
from tracker.core.audit import AuditEntry
from tracker.core.database import transaction
from tracker.exchanges.models import ExchangeDocument, Outcome
from tracker.exchanges.queries import carried_over
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.notify.services import deliver_outbox
from tracker.series.models import Series
from tracker.tasks.models import Task, TaskNote


@pytest.fixture
def cycle(make, world):
    """Rostock (home), a Werkstatt series with a last and a next meeting, and exchanges
    sharing Kiel or only Rostock with the next meeting."""
    rostock = make.organisation(name="Hanse- und Universitätsstadt Rostock",
                                short_name="Rostock", home=True)
    with transaction():
        series = Series(title="Smart City-Werkstatt", kind="werkstatt", all_day=True,
                        start_date=a_date(-90))
        db.session.add(series)
    partner = make.person(name="Kirsten Kiel", email="kirsten@kiel.example",
                          organisation_id=world.kiel.id)
    last = make.exchange(title="Werkstatt im Herbst", all_day=True, start_date=a_date(-90),
                         organisation_ids=[rostock.id])
    nxt = make.exchange(title="Werkstatt im Winter", all_day=True, start_date=a_date(0),
                        organisation_ids=[rostock.id, world.kiel.id],
                        participant_ids=[world.editor.id, world.viewer.id, partner.id])
    with transaction():
        fresh_last, fresh_next = fresh(last), fresh(nxt)
        fresh_last.series_id = fresh_next.series_id = series.id
        fresh_last.recurrence_id = "20260101"
        fresh_next.recurrence_id = "20260401"
    with_kiel = make.exchange(title="Treffen mit Kiel", all_day=True, start_date=a_date(-30),
                              organisation_ids=[world.kiel.id, rostock.id])
    only_rostock = make.exchange(title="Nur Rostock", all_day=True, start_date=a_date(-20),
                                 organisation_ids=[rostock.id])
    from_series = make.task(title="Datenplattform vorstellen", owner_id=world.editor.id,
                            exchange_id=last.id, due_date=a_date(-5))
    from_kiel = make.task(title="Kieler Sensoren prüfen", owner_id=world.viewer.id,
                          exchange_id=with_kiel.id, organisation_id=world.kiel.id,
                          due_date=a_date(10))
    from_rostock = make.task(title="Nur Rostocker Aufgabe", owner_id=world.editor.id,
                             exchange_id=only_rostock.id, due_date=a_date(1))
    return {"rostock": rostock, "series": series, "last": last, "next": fresh(nxt),
            "partner": partner, "from_series": from_series, "from_kiel": from_kiel,
            "from_rostock": from_rostock, "with_kiel": with_kiel}


def _carried(exchange) -> dict[str, str]:
    return {c.task.title: c.because for c in carried_over(fresh(exchange))}


def test_carried_over_by_series_and_by_partner_never_by_home(cycle):
    carried = _carried(cycle["next"])
    assert carried["Datenplattform vorstellen"] == "series"
    assert carried["Kieler Sensoren prüfen"] == "partner"
    assert "Nur Rostocker Aufgabe" not in carried
    items = carried_over(fresh(cycle["next"]))
    assert items[0].task.title == "Datenplattform vorstellen"  # overdue first
    kiel_item = next(c for c in items if c.because == "partner")
    assert [o.short_name for o in kiel_item.partners] == ["Kiel"]


def test_without_home_organisation_marked_rostock_counts_as_a_partner(cycle, world):
    from tracker.organisations.services import update_organisation

    with transaction():
        update_organisation(fresh(cycle["rostock"]), None, {"home": False})
    assert "Nur Rostocker Aufgabe" in _carried(cycle["next"])


def test_agenda_api_names_why(cycle, make, client, world):
    api = Api(client, token_for(world.viewer), world.viewer)
    body = api.get(f"/exchanges/{cycle['next'].id}/agenda").get_json()
    by_title = {t["title"]: t for t in body["carried_over"]}
    assert by_title["Datenplattform vorstellen"]["carried_because"] == "series"
    kiel = by_title["Kieler Sensoren prüfen"]
    assert kiel["carried_because"] == "partner"
    assert kiel["carried_partner_ids"] == [world.kiel.id]
    assert kiel["owner_id"] == world.viewer.id and kiel["version"] >= 1
    assert "Nur Rostocker Aufgabe" not in by_title
    assert api.get("/exchanges/999999/agenda").status_code == 404
    [first] = api.get(f"/exchanges/{cycle['next'].id}/agenda?limit=1").get_json()["carried_over"]
    assert first["title"] == "Datenplattform vorstellen"  # overdue first
    assert_problem(api.get(f"/exchanges/{cycle['next'].id}/agenda?limit=0"), 422)


def test_the_agenda_page_lists_carried_tasks_grouped_and_marked(cycle, web, world):
    login(web, world.editor, locale="en")
    page = web.get(f"/exchanges/{cycle['next'].id}/agenda").get_data(as_text=True)
    assert "Datenplattform vorstellen" in page and "Same series" in page
    assert "Shared partner: Landeshauptstadt Kiel" in page
    assert "Nur Rostocker Aufgabe" not in page
    shown = web.get(f"/exchanges/{cycle['next'].id}").get_data(as_text=True)
    assert "Kieler Sensoren prüfen" in shown and "Nur Rostocker Aufgabe" not in shown


def test_topics_are_added_edited_reordered_and_removed(cycle, web, world):
    login(web, world.editor)
    path = f"/exchanges/{cycle['next'].id}/agenda"
    for text in ("Begrüßung", "Stand Datenplattform", "Nächster Termin"):
        assert post(web, f"{path}/topics", {"topic": text}).status_code == 302
    assert post(web, f"{path}/topics", {"topic": "  "}).status_code == 302

    def order():
        db.session.rollback()
        return [t.text for t in db.session.scalars(
            select(AgendaTopic).where(AgendaTopic.exchange_id == cycle["next"].id)
            .order_by(AgendaTopic.position, AgendaTopic.id))]

    assert order() == ["Begrüßung", "Stand Datenplattform", "Nächster Termin"]
    topics = db.session.scalars(select(AgendaTopic).order_by(AgendaTopic.id)).all()
    post(web, f"{path}/topics/{topics[2].id}/move", {"direction": "up"})
    assert order() == ["Begrüßung", "Nächster Termin", "Stand Datenplattform"]
    post(web, f"{path}/topics/{topics[0].id}/move", {"direction": "up"})  # first stays first
    assert order() == ["Begrüßung", "Nächster Termin", "Stand Datenplattform"]
    post(web, f"{path}/topics/{topics[0].id}/move", {"direction": "down"})
    assert order() == ["Nächster Termin", "Begrüßung", "Stand Datenplattform"]
    topic = fresh(topics[1])
    version = topic.version
    post(web, f"{path}/topics/{topic.id}", {"topic": "Stand der Plattform", "version": version})
    post(web, f"{path}/topics/{topic.id}", {"topic": "Veraltet", "version": version})
    assert fresh(topic).text == "Stand der Plattform"  # the stale save changed nothing
    post(web, f"{path}/topics/{topics[0].id}/delete")
    assert order() == ["Nächster Termin", "Stand der Plattform"]
    page = web.get(path).get_data(as_text=True)
    assert "Stand der Plattform" in page and "@page" not in page


def test_the_agenda_mail_reaches_each_participant_with_an_ics(cycle, web, world, smtp_server):
    login(web, world.editor)
    path = f"/exchanges/{cycle['next'].id}/agenda"
    post(web, f"{path}/topics", {"topic": "Stand Datenplattform"})
    assert post(web, f"{path}/send").status_code == 302
    history = web.get(f"/exchanges/{cycle['next'].id}").get_data(as_text=True)
    assert "Tagesordnung versandt" in history
    assert deliver_outbox()["sent"] == 3
    assert sorted(r[0] for r in smtp_server.recipients) == [
        "jonas@rostock.example", "kirsten@kiel.example", "mehmet@rostock.example"]
    for message in smtp_server.messages:
        found = parts(message)
        assert "Stand Datenplattform" in found["text/plain"]
        assert "Datenplattform vorstellen" in found["text/html"]
        body = found["text/calendar"]
        raw = body.encode() if isinstance(body, str) else body
        parse_both(raw)
        [event] = parse_with_icaljs(raw).values()  # Thunderbird's parser
        assert event["summary"] == "Werkstatt im Winter"
        assert event["start"] == a_date(0).isoformat()


def test_each_reader_gets_their_own_language(cycle, world, smtp_server):
    from tracker.agenda.services import send_agenda
    from tracker.organisations.services import update_organisation

    with transaction():
        update_organisation(fresh(world.kiel), None, {"locale": "en"})
    with transaction():
        send_agenda(fresh(cycle["next"]), fresh(world.editor))
    deliver_outbox()
    subjects = {m["To"]: m["Subject"] for m in smtp_server.messages}
    assert subjects["kirsten@kiel.example"].startswith("Agenda: Werkstatt im Winter")
    assert subjects["jonas@rostock.example"].startswith("Tagesordnung: Werkstatt im Winter")


def test_taking_up_carried_tasks_on_the_agenda(cycle, web, world):
    login(web, world.editor)
    path = f"/exchanges/{cycle['next'].id}/agenda"
    done = post(web, f"{path}/tasks/{cycle['from_series'].id}/done")
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"{path}#carried-{cycle['from_series'].id}")
    assert fresh(cycle["from_series"]).status == "done"
    post(web, f"{path}/tasks/{cycle['from_kiel'].id}/move", {"due_date": str(a_date(40))})
    assert fresh(cycle["from_kiel"]).due_date == a_date(40)
    post(web, f"{path}/tasks/{cycle['from_kiel'].id}/note", {"text": "Kiel meldet sich im Mai"})
    [note] = db.session.scalars(select(TaskNote)).all()
    assert note.task_id == cycle["from_kiel"].id and note.author_id == world.editor.id
    page = web.get(path).get_data(as_text=True)
    # Checked off at the meeting, it stays on the list, done; the note shows.
    assert "Datenplattform vorstellen" in page and "Kiel meldet sich im Mai" in page
    assert post(web, f"{path}/tasks/{cycle['from_kiel'].id}/note", {"text": ""}).status_code == 302
    assert len(db.session.scalars(select(TaskNote)).all()) == 1


def test_outcome_with_a_task_recorded_on_the_agenda_returns_there(cycle, web, world):
    login(web, world.editor)
    nxt = cycle["next"]
    response = post(web, f"/exchanges/{nxt.id}/outcomes",
                    {"text": "Gemeinsamer Antrag", "back": "agenda"})
    assert f"/exchanges/{nxt.id}/agenda#outcome-" in response.headers["Location"]
    outcome = db.session.scalars(select(Outcome).where(Outcome.exchange_id == nxt.id)).one()
    response = post(web, f"/exchanges/{nxt.id}/tasks?outcome_id={outcome.id}",
                    {f"o{outcome.id}-title": "Antrag schreiben",
                     f"o{outcome.id}-owner_id": world.viewer.id, "back": "agenda"})
    assert f"/exchanges/{nxt.id}/agenda#outcome-{outcome.id}" in response.headers["Location"]


def test_finishing_the_minutes_sends_once_to_each_participant(cycle, web, world, make,
                                                               smtp_server):
    nxt = cycle["next"]
    outcome = make.outcome(fresh(nxt), text="Gemeinsamer Antrag bis März")
    make.task(title="Antrag schreiben", owner_id=world.viewer.id, exchange_id=nxt.id,
              outcome_id=outcome.id, organisation_id=world.kiel.id, due_date=a_date(20))
    make.task(title="Kiel liefert Daten", owner_id=cycle["partner"].id, exchange_id=nxt.id,
              organisation_id=world.kiel.id, due_date=a_date(25))
    login(web, world.editor)
    path = f"/exchanges/{nxt.id}"
    post(web, f"{path}/agenda/tasks/{cycle['from_series'].id}/done")
    assert post(web, f"{path}/minutes/finish").status_code == 302
    assert post(web, f"{path}/minutes/finish").status_code == 302  # the second click
    minutes = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "minutes")).all()
    assert len(minutes) == 3
    assert fresh(nxt).status == "held" and fresh(nxt).minutes_sent_at is not None
    assert deliver_outbox()["sent"] == 3
    by_to = {m["To"]: parts(m) for m in smtp_server.messages}
    viewer = by_to["mehmet@rostock.example"]["text/plain"]
    assert "Ihre Aufgaben" in viewer
    mine = viewer.split("Ihre Aufgaben")[1].split("Vereinbart")[0]
    assert "Antrag schreiben" in mine and "Kiel liefert Daten" not in mine
    assert "Gemeinsamer Antrag bis März" in viewer
    assert "Datenplattform vorstellen" in viewer and "erledigt" in viewer
    partner = by_to["kirsten@kiel.example"]
    assert "Kiel liefert Daten" in partner["text/plain"] and "<html" in partner["text/html"]
    # A second finish afterwards sends nothing either.
    from tracker.agenda.services import finish_minutes

    with transaction():
        assert finish_minutes(fresh(nxt), fresh(world.editor)) == []
    page = web.get(f"{path}/minutes").get_data(as_text=True)
    assert "Gemeinsamer Antrag bis März" in page and "Datenplattform vorstellen" in page


def test_outcomes_are_edited_and_deleted_on_the_pages(web, world):
    login(web, world.editor)
    path = f"/exchanges/{world.exchange.id}/outcomes/{world.outcome.id}"
    assert web.get(f"{path}/edit").status_code == 200
    version = fresh(world.outcome).version
    response = post(web, f"{path}/edit", {"text": "Neu formuliert",
                                          "organisation_ids": [world.kiel.id],
                                          "version": version})
    assert response.status_code == 302
    assert fresh(world.outcome).text == "Neu formuliert"
    stale = post(web, f"{path}/edit", {"text": "Alt", "version": version})
    assert stale.status_code == 409 and fresh(world.outcome).text == "Neu formuliert"
    assert post(web, f"{path}/delete").status_code == 302
    assert fresh(world.outcome).deleted_at is not None
    assert fresh(world.viewer_task).deleted_at is not None  # its task went with it
    trash = web.get("/trash").get_data(as_text=True)
    assert "Neu formuliert" in trash
    assert post(web, f"/trash/outcomes/{world.outcome.id}/restore").status_code == 302
    assert fresh(world.outcome).is_live and fresh(world.viewer_task).is_live


def test_outcomes_through_the_api(client, world):
    api = Api(client, token_for(world.editor), world.editor)
    outcome_id, version = world.outcome.id, fresh(world.outcome).version
    path = f"/outcomes/{outcome_id}"
    answer = api.patch(path, json={"text": "Per API", "version": version})
    assert answer.status_code == 200 and answer.get_json()["text"] == "Per API"
    stale = api.patch(path, json={"text": "Alt", "version": version})
    assert_problem(stale, 409)
    assert fresh(world.outcome).text == "Per API"
    assert_problem(api.patch(path, json={"text": "  ", "version": version + 1}), 422)
    assert_problem(api.delete(f"{path}?version={version}"), 409)
    assert api.delete(path).status_code == 204
    assert api.get(f"/exchanges/{world.exchange.id}/outcomes").get_json()["items"] == []
    assert api.post(f"{path}/restore").status_code == 200
    assert fresh(world.outcome).is_live
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity_type == "outcomes", AuditEntry.entity_id == outcome_id)).all()
    assert {"update", "delete", "restore"} <= {e.action for e in entries}
    viewer = Api(client, token_for(world.viewer, "v"), world.viewer)
    assert_problem(viewer.patch(path, json={"text": "x", "version": 1}), 403)
    assert_problem(viewer.delete(path), 403)


def test_document_links_on_the_page_and_in_the_api(web, client, world):
    login(web, world.editor)
    path = f"/exchanges/{world.exchange.id}/documents"
    assert post(web, path, {"title": "Protokoll", "url": "https://example.org/p.pdf"}
                ).status_code == 302
    refused = post(web, path, {"title": "Böse", "url": "javascript:alert(1)"})
    assert refused.status_code == 400
    assert "http:// oder https://" in refused.get_data(as_text=True)
    [document] = db.session.scalars(select(ExchangeDocument)).all()
    page = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    assert 'href="https://example.org/p.pdf"' in page
    api = Api(client, token_for(world.viewer), world.viewer)
    body = api.get(f"/exchanges/{world.exchange.id}").get_json()
    assert body["documents"] == [{"id": document.id, "title": "Protokoll",
                                  "url": "https://example.org/p.pdf"}]
    assert post(web, f"{path}/{document.id}/delete").status_code == 302
    assert db.session.scalars(select(ExchangeDocument)).all() == []


def test_later_exchanges_are_not_carried_into_earlier_ones(cycle):
    assert "Datenplattform vorstellen" not in _carried(cycle["with_kiel"])


def test_a_task_of_a_later_meeting_does_not_count_as_earlier(cycle, make, world):
    later = make.exchange(title="Werkstatt im Frühjahr", all_day=True, start_date=a_date(90),
                          organisation_ids=[world.kiel.id])
    make.task(title="Aus der Zukunft", owner_id=world.editor.id, exchange_id=later.id,
              due_date=a_date(100))
    assert "Aus der Zukunft" not in _carried(cycle["next"])


def test_viewers_may_take_up_their_own_task_only(cycle, web, world):
    login(web, world.viewer)
    path = f"/exchanges/{cycle['next'].id}/agenda/tasks"
    assert post(web, f"{path}/{cycle['from_series'].id}/done").status_code == 403
    assert post(web, f"{path}/{cycle['from_kiel'].id}/done").status_code == 302
    assert fresh(cycle["from_kiel"]).status == "done"
    assert post(web, f"{path}/{cycle['from_series'].id}/move",
                {"due_date": str(a_date(3))}).status_code == 403
    assert db.session.get(Task, cycle["from_series"].id).status == "open"


def test_two_finishes_at_once_send_the_minutes_once(app, cycle, world):
    """A double click's second request waits for the first's row lock, then sends nothing."""
    import threading

    from tracker.accounts.models import Person
    from tracker.agenda.services import finish_minutes
    from tracker.exchanges.models import Exchange

    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises the two writers; the race cannot happen there")
    exchange_id, editor_id = cycle["next"].id, world.editor.id
    second: list[int] = []

    def the_other_click():
        with app.app_context(), transaction():
            second.append(len(finish_minutes(db.session.get(Exchange, exchange_id),
                                             db.session.get(Person, editor_id))))

    exchange, editor = fresh(cycle["next"]), fresh(world.editor)
    with transaction():
        first = finish_minutes(exchange, editor)
        other = threading.Thread(target=the_other_click)
        other.start()
        other.join(timeout=1)
        assert other.is_alive()  # waiting for the first click's row lock
    other.join(timeout=30)
    assert len(first) == 3 and second == [0]
    assert len(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "minutes")).all()) == 3
