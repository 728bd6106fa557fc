"""The forms a newcomer meets first: every mistake at once, required fields marked, one
wording, typed values kept; an outcome recorded with its tasks in one form; the quick new
exchange; the task form's outcomes; organisation labels; reminders in words; the sign-in
message in the page's language; the calendar reachable."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.web import a_date, fresh, login, post
from tracker.core.timeutil import today
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.tasks.models import Task

REQUIRED_DE = "Dieses Feld ist erforderlich."


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# -- the exchange form -------------------------------------------------------------------


def test_the_exchange_form_reports_every_missing_field_at_once(web, world):
    login(web, world.editor)
    before = count(Exchange)
    response = post(web, "/exchanges/new", {"title": "", "kind": "visit", "status": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    # Title and start, both in the one answer, each tied to its field and listed at the top.
    assert 'id="title-error"' in html and 'id="starts_at-error"' in html
    assert re.search(r'<div class="form-errors" role="alert" data-error-summary>', html)
    assert 'href="#title"' in html and 'href="#starts_at"' in html
    assert 'aria-describedby="title-error"' in html
    assert count(Exchange) == before


def test_one_wording_for_required_in_german(web, world):
    login(web, world.editor)
    exchange = post(web, "/exchanges/new", {"title": "", "kind": "visit"}).get_data(as_text=True)
    task = post(web, "/tasks/new", {"title": ""}).get_data(as_text=True)
    assert 'id="title-error"' in task and 'id="owner_id-error"' in task  # both at once
    for html in (exchange, task):
        assert REQUIRED_DE in html
        assert "Dieses Feld wird benötigt." not in html


def test_required_fields_are_marked_visibly_and_for_screen_readers(web, world):
    login(web, world.editor)
    for path, names in (("/exchanges/new", ("title", "starts_at", "start_date")),
                        ("/tasks/new", ("title", "owner_id"))):
        html = web.get(path).get_data(as_text=True)
        for name in names:
            tag = re.search(rf'<(?:input|select)[^>]*\bid="{name}"[^>]*>', html).group(0)
            assert 'aria-required="true"' in tag, (path, name)
        assert "(Pflichtfeld)" in html
    html = web.get("/exchanges/new").get_data(as_text=True)
    location = re.search(r'<input[^>]*\bid="location"[^>]*>', html).group(0)
    assert "aria-required" not in location


def test_a_wrong_date_is_kept_as_typed_and_the_message_names_the_format(web, world):
    login(web, world.editor)
    response = post(web, "/exchanges/new", {
        "title": "Besuch in Lübeck", "kind": "visit", "all_day": "y",
        "start_date": "31.02.2022", "location": "TraveKom", "description": "LoRaWAN",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "TT.MM.JJJJ" in html and "06.12.2022" in html
    field = re.search(r'<input[^>]*\bid="start_date"[^>]*>', html).group(0)
    assert 'value="31.02.2022"' in field and 'type="text"' in field
    for kept in ('value="Besuch in Lübeck"', 'value="TraveKom"', "LoRaWAN</textarea>"):
        assert kept in html


def test_a_date_typed_the_german_way_is_taken(web, world):
    login(web, world.editor)
    response = post(web, "/exchanges/new", {"title": "Besuch", "kind": "visit", "all_day": "y",
                                            "start_date": "06.12.2022", "status": "held"})
    assert response.status_code == 302, response.get_data(as_text=True)
    exchange = db.session.scalar(select(Exchange).where(Exchange.title == "Besuch"))
    assert exchange.start_date.isoformat() == "2022-12-06"


@pytest.mark.parametrize("days,expected", [(-30, "held"), (30, "planned")])
def test_status_follows_the_date_when_none_is_chosen(web, world, days, expected):
    login(web, world.editor)
    response = post(web, "/exchanges/new", {"title": "Nach Datum", "kind": "visit",
                                            "status": "", "all_day": "y",
                                            "start_date": str(a_date(days))})
    assert response.status_code == 302
    assert db.session.scalar(select(Exchange.status).where(Exchange.title == "Nach Datum")) \
        == expected


def test_status_by_date_in_the_service_for_timed_exchanges(ctx, make):
    from datetime import UTC, datetime, timedelta

    past = make.exchange(title="Vorbei", starts_at=datetime.now(UTC) - timedelta(days=2))
    ahead = make.exchange(title="Kommt", starts_at=datetime.now(UTC) + timedelta(days=2))
    chosen = make.exchange(title="Gewählt", status="cancelled",
                           starts_at=datetime.now(UTC) - timedelta(days=2))
    assert (past.status, ahead.status, chosen.status) == ("held", "planned", "cancelled")


def test_a_new_exchange_flows_into_the_outcome_form(web, world):
    login(web, world.editor)
    response = post(web, "/exchanges/new", {"title": "Besuch", "kind": "visit", "all_day": "y",
                                            "start_date": str(a_date(-1))})
    assert response.status_code == 302 and response.location.endswith("#record")
    page = web.get(response.location).get_data(as_text=True)
    assert 'id="record"' in page and 'name="tasks-0-title"' in page


# -- organisation lists ------------------------------------------------------------------


def test_organisation_lists_show_short_and_full_sorted_by_what_is_shown(web, world, make):
    make.organisation(name="Bundesministerium für Wohnen", short_name="BMWSB")
    make.organisation(name="Kommunale Technologie-Services", short_name="KTS")
    make.organisation(name="Zweckverband ohne Kürzel")
    login(web, world.editor)
    html = web.get("/exchanges/new").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*id="organisation_ids".*?</select>', html, re.S).group(0)
    shown = re.findall(r"<option[^>]*>([^<]*)</option>", select_html)
    assert "BMWSB — Bundesministerium für Wohnen" in shown
    assert "Kiel — Landeshauptstadt Kiel" in shown
    assert "Zweckverband ohne Kürzel" in shown
    assert shown == sorted(shown, key=str.casefold)


# -- the outcome with its tasks ------------------------------------------------------------


def rows(*tasks: dict) -> dict:
    data = {}
    for number, task in enumerate(tasks):
        data.update({f"tasks-{number}-{k}": v for k, v in task.items()})
    return data


def test_an_outcome_is_recorded_with_its_tasks_in_one_form(web, world):
    login(web, world.editor)
    w = world
    response = post(web, f"/exchanges/{w.exchange.id}/outcomes", {
        "text": "Workshop zum Thema Datenstrategie",
        "organisation_ids": [w.kiel.id],
        **rows({"title": "Workshop vorbereiten", "owner_id": w.viewer.id,
                "organisation_id": w.kiel.id, "due_date": str(a_date(20))},
               {"title": "Modelle sammeln", "owner_id": w.editor.id,
                "due_exchange_id": w.later.id},
               {"title": "", "owner_id": "", "organisation_id": "", "due_date": "",
                "due_exchange_id": ""}),
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith(f"/exchanges/{w.exchange.id}#record")
    outcome = db.session.scalar(select(Outcome).where(Outcome.text.like("%Datenstrategie")))
    tasks = {t.title: t for t in db.session.scalars(select(Task).where(
        Task.outcome_id == outcome.id))}
    assert set(tasks) == {"Workshop vorbereiten", "Modelle sammeln"}
    assert tasks["Workshop vorbereiten"].organisation_id == w.kiel.id
    assert tasks["Modelle sammeln"].due_date == w.later.start_date
    assert all(t.exchange_id == w.exchange.id for t in tasks.values())
    page = web.get(response.location).get_data(as_text=True)
    assert "Ergebnis mit 2 Aufgaben festgehalten" in page
    assert 'name="text"' in page and "Workshop zum Thema Datenstrategie</textarea>" not in page


def test_one_bad_row_saves_nothing_and_marks_every_row_at_fault(web, world):
    login(web, world.editor)
    w = world
    outcomes, tasks = count(Outcome), count(Task)
    response = post(web, f"/exchanges/{w.exchange.id}/outcomes", {
        "text": "Workshop zum Thema Governance",
        **rows({"title": "Gut", "owner_id": w.viewer.id},
               {"title": "", "owner_id": w.viewer.id},
               {"title": "Ohne Verantwortliche", "due_date": "32.13.2023"}),
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (count(Outcome), count(Task)) == (outcomes, tasks)
    assert 'id="tasks-1-title-error"' in html
    assert 'id="tasks-2-owner_id-error"' in html and 'id="tasks-2-due_date-error"' in html
    assert 'value="32.13.2023"' in html and 'value="Ohne Verantwortliche"' in html
    assert "Workshop zum Thema Governance</textarea>" in html


def test_a_row_refused_by_the_task_rules_saves_nothing(web, world, make):
    """The rows go through tasks.services: a deactivated owner is refused there."""
    gone = make.user("editor", name="Ehemalig", email="ehemalig@rostock.example")
    from tracker.accounts.services import update_person
    from tracker.core.database import transaction

    with transaction():
        update_person(gone, None, {"active": False})
    db.session.rollback()
    login(web, world.editor)
    outcomes, tasks = count(Outcome), count(Task)
    response = post(web, f"/exchanges/{world.exchange.id}/outcomes", {
        "text": "Etwas", **rows({"title": "A", "owner_id": world.viewer.id},
                               {"title": "B", "owner_id": gone.id})})
    assert response.status_code == 400
    assert (count(Outcome), count(Task)) == (outcomes, tasks)


def test_the_service_checks_every_row_and_keeps_nothing(ctx, world):
    from tracker.core.database import transaction
    from tracker.exchanges.services import InvalidRows, record_outcome

    with pytest.raises(InvalidRows) as caught, transaction():
        record_outcome(world.exchange, world.editor, text="", organisation_ids=[],
                       tasks=[{"title": "", "owner_id": world.viewer.id},
                              {"title": "Gut", "owner_id": world.viewer.id},
                              {"title": "X", "owner_id": world.viewer.id, "outcome_id": 1}])
    assert [p.field for p in caught.value.outcome] == ["text"]
    assert {n: p.field for n, p in caught.value.rows.items()} == {0: "title", 2: "outcome_id"}
    assert caught.value.field == "text"
    assert db.session.scalar(select(func.count()).select_from(Task).where(
        Task.title == "Gut")) == 0


def test_the_capture_partial_goes_back_to_a_local_next_only(web, world):
    login(web, world.editor)
    data = {"text": "A", "next": "/tasks"}
    assert post(web, f"/exchanges/{world.exchange.id}/outcomes", data).location == "/tasks#record"
    data = {"text": "B", "next": "https://evil.example/"}
    location = post(web, f"/exchanges/{world.exchange.id}/outcomes", data).location
    assert location == f"/exchanges/{world.exchange.id}#record"


def test_dropped_is_a_secondary_action(web, world):
    login(web, world.editor)
    html = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*>Als verworfen markieren</button>', html).group(0)
    assert "link-button" in button and "primary" not in button


# -- quick new exchange -------------------------------------------------------------------


def test_a_quick_exchange_answers_json_for_the_script(web, world):
    login(web, world.editor)
    response = post(web, "/exchanges/quick", {"title": "SCCON 2023", "start_date": "2023-09-26"},
                    headers={"Accept": "application/json"})
    assert response.status_code == 201
    body = response.get_json()
    exchange = db.session.get(Exchange, body["id"])
    assert exchange.title == "SCCON 2023" and exchange.all_day and exchange.status == "held"
    assert body["label"].startswith("SCCON 2023 (")
    bad = post(web, "/exchanges/quick", {"title": "", "start_date": "bald"},
               headers={"Accept": "application/json"})
    assert bad.status_code == 400
    assert set(bad.get_json()["errors"]) == {"title", "start_date"}


def test_a_quick_exchange_without_script_goes_back(web, world):
    login(web, world.editor)
    response = post(web, "/exchanges/quick", {"title": "SCCON 2023", "start_date": "26.09.2023",
                                              "next": f"/exchanges/{world.exchange.id}"})
    assert response.status_code == 302
    assert response.location == f"/exchanges/{world.exchange.id}"


# -- the task form -----------------------------------------------------------------------


def test_the_task_form_lists_only_the_chosen_exchanges_outcomes(web, world, make):
    other = make.outcome(world.later, text="Anderes Ergebnis beim Workshop")
    login(web, world.editor)

    def outcome_options(html: str) -> list[str]:
        found = re.search(r'<select[^>]*id="outcome_id".*?</select>', html, re.S).group(0)
        return re.findall(r"<option[^>]*>([^<]*)</option>", found)

    html = web.get(f"/tasks/new?exchange_id={world.exchange.id}").get_data(as_text=True)
    assert any("halten einen Workshop ab" in o for o in outcome_options(html))
    assert not any("Anderes Ergebnis" in o for o in outcome_options(html))
    # The script narrows from all of them, kept apart and not sent.
    assert f'data-exchange="{world.later.id}"' in html
    html = web.get(f"/tasks/{world.viewer_task.id}/edit").get_data(as_text=True)
    assert not any("Anderes Ergebnis" in o for o in outcome_options(html))
    html = web.get("/tasks/new").get_data(as_text=True)
    assert len(outcome_options(html)) == 1  # "— none —" until an exchange is chosen
    # An outcome of another exchange is refused, nothing saved.
    tasks = count(Task)
    response = post(web, "/tasks/new", {"title": "X", "owner_id": world.viewer.id,
                                        "exchange_id": world.exchange.id, "outcome_id": other.id})
    assert response.status_code == 400 and count(Task) == tasks


# -- words -------------------------------------------------------------------------------


@pytest.mark.parametrize("language,expected", [
    ("de-DE,de;q=0.9", "Bitte melden Sie sich an, um diese Seite zu sehen."),
    ("en-GB,en;q=0.9", "Please sign in to see this page."),
])
def test_the_sign_in_message_speaks_the_pages_language(web, language, expected):
    web.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    html = web.get("/tasks", follow_redirects=True).get_data(as_text=True)
    assert expected in html
    assert "Please log in to access this page." not in html


def test_reminders_are_offered_in_words(web, world):
    login(web, world.viewer)
    html = web.get("/account").get_data(as_text=True)
    found = re.search(r'<select[^>]*id="reminder_minutes".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', found)
    assert ("900", "am Vortag um 09:00") in options
    assert ("-480", "am Tag selbst um 08:00") in options
    assert ("", "keine") in options
    assert "900 bedeutet" not in html
    response = post(web, "/account", {"name": "Mehmet", "locale": "de", "digest": "weekly",
                                      "reminder_minutes": "2340"})
    assert response.status_code == 302
    assert fresh(world.viewer).reminder_minutes == 2340
    post(web, "/account", {"name": "Mehmet", "locale": "de", "digest": "weekly",
                           "reminder_minutes": ""})
    assert fresh(world.viewer).reminder_minutes is None
    bad = post(web, "/account", {"name": "Mehmet", "locale": "de", "digest": "weekly",
                                 "reminder_minutes": "bald"})
    assert bad.status_code == 400


def test_the_task_page_shows_the_title_once(web, world):
    login(web, world.viewer)
    html = web.get(f"/tasks/{world.viewer_task.id}").get_data(as_text=True)
    main = html[html.index("<main"):]
    assert main.count(">Protokoll verschicken<") == 1


def test_calendar_is_in_the_navigation_and_its_form_has_no_raw_fields(web, world):
    login(web, world.viewer)
    html = web.get("/").get_data(as_text=True)
    assert re.search(r'<a href="/calendar/subscriptions"[^>]*>Kalender</a>', html)
    page = web.get("/calendar/subscriptions?kind=view&query=status%3Dopen%26owner_id%3D"
                   f"{world.viewer.id}").get_data(as_text=True)
    assert "Austausch-Nummer" not in page
    assert 'type="text" name="query"' not in page and 'name="query" type="text"' not in page
    owner = re.search(r'<select[^>]*id="view_owner_id".*?</select>', page, re.S).group(0)
    assert f'value="{world.viewer.id}" selected' in owner
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = web.post("/calendar/subscriptions", data={
        "csrf_token": token, "kind": "view", "view_fields": "1", "view_status": "",
        "view_owner_id": str(world.viewer.id), "view_overdue": "y"})
    assert response.status_code == 303
    from tracker.calendar.models import FeedToken

    db.session.rollback()
    assert db.session.scalar(select(FeedToken.query)) == f"overdue=1&owner_id={world.viewer.id}"
    listing = web.get("/calendar/subscriptions").get_data(as_text=True)
    assert "data-copy=" in listing


def test_the_task_list_folds_its_filters_unless_one_is_set(web, world):
    login(web, world.viewer)
    plain = web.get("/tasks").get_data(as_text=True)
    assert '<details class="filter-box">' in plain
    filtered = web.get("/tasks?overdue=1").get_data(as_text=True)
    assert '<details class="filter-box" open>' in filtered
    assert plain.index('class="tasks plain"') < plain.index('id="bulk-form"')


def test_today_is_used(ctx):
    assert today()


def test_the_quick_exchange_page_without_script(web, world):
    login(web, world.editor)
    page = web.get(f"/exchanges/quick?next=/exchanges/{world.exchange.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'aria-required="true"' in html
    assert f'value="/exchanges/{world.exchange.id}"' in html
    before = count(Exchange)
    bad = post(web, "/exchanges/quick", {"title": "SCCON 2023", "start_date": "bald"})
    assert bad.status_code == 400 and "TT.MM.JJJJ" in bad.get_data(as_text=True)
    assert 'value="bald"' in bad.get_data(as_text=True)
    assert count(Exchange) == before
