"""A second language for what was agreed: the model's rule, the services' checks, the API,
the forms, and every place that shows the reader's language (pages, feeds, mails, CSV)."""

from __future__ import annotations

import pytest

from tests.api_support import api_as, assert_problem
from tracker.core.database import transaction
from tracker.core.errors import InvalidField
from tracker.tasks import services as tasks

EN = {"en": {"title": "Prepare the data strategy workshop", "description": "Room and agenda"}}


def test_localized_falls_back_to_the_original(make):
    task = make.task(title="Workshop vorbereiten", description="Raum", translations=EN)
    assert task.localized("title", "en") == "Prepare the data strategy workshop"
    assert task.localized("title", "de") == "Workshop vorbereiten"
    assert task.localized("title", None) == "Workshop vorbereiten"
    only_title = make.task(title="Nur Titel", description="Nur deutsch",
                           translations={"en": {"title": "Title only"}})
    assert only_title.localized("description", "en") == "Nur deutsch"
    english = make.task(title="Set the date", language="en",
                        translations={"de": {"title": "Termin festlegen"}})
    assert english.localized("title", "de") == "Termin festlegen"
    assert english.localized("title", "en") == "Set the date"


def test_empty_translations_are_left_out(make):
    task = make.task(translations={"en": {"title": "  ", "description": ""}})
    assert task.translations == {}


@pytest.mark.parametrize("language, translations, field", [
    ("fr", {}, "language"),
    ("de", {"de": {"title": "Doppelt"}}, "translations.de"),
    ("de", {"fr": {"title": "Non"}}, "translations.fr"),
    ("de", {"en": {"owner": "x"}}, "translations.en.owner"),
    ("de", {"en": {"title": "x" * 501}}, "translations.en.title"),
    ("de", {"en": {"title": 5}}, "translations.en.title"),
    ("de", {"en": "Title"}, "translations.en"),
    ("de", ["en"], "translations"),
])
def test_the_service_refuses_bad_translations(make, language, translations, field):
    owner = make.person()
    with pytest.raises(InvalidField) as caught, transaction():
        tasks.create_task(None, title="T", owner_id=owner.id, language=language,
                          translations=translations)
    assert caught.value.field == field


def test_an_outcome_carries_its_text_in_english(make):
    outcome = make.outcome(text="Gemeinsamer Workshop", language="de",
                           translations={"en": {"text": "A joint workshop"}})
    assert outcome.localized("text", "en") == "A joint workshop"
    with pytest.raises(InvalidField) as caught, transaction():
        from tracker.exchanges.services import update_outcome

        update_outcome(outcome, None, {"translations": {"en": {"title": "x"}}})
    assert caught.value.field == "translations.en.title"


# -- the API ------------------------------------------------------------------------------

def test_the_api_takes_and_shows_language_and_translations(make, client):
    api = api_as(make, client, "editor")
    response = api.post("/tasks", json={"title": "Workshop vorbereiten",
                                        "owner_id": api.person.id, "translations": EN})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["language"] == "de" and body["translations"] == EN
    patched = api.patch(f"/tasks/{body['id']}", json={
        "version": body["version"], "language": "en", "title": "Prepare the workshop",
        "translations": {"de": {"title": "Workshop vorbereiten"}}})
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert patched.get_json()["translations"] == {"de": {"title": "Workshop vorbereiten"}}
    plain = api.post("/tasks", json={"title": "Ohne", "owner_id": api.person.id}).get_json()
    assert plain["language"] == "de" and plain["translations"] == {}


def test_the_api_outcome_in_two_languages(make, client):
    api = api_as(make, client, "editor")
    exchange = make.exchange()
    response = api.post(f"/exchanges/{exchange.id}/outcomes", json={
        "text": "Return visit to Turku", "language": "en",
        "translations": {"de": {"text": "Gegenbesuch in Turku"}}})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["language"] == "en" and body["translations"]["de"]["text"]
    listed = api.get(f"/exchanges/{exchange.id}/outcomes").get_json()["items"]
    assert listed[0]["translations"] == {"de": {"text": "Gegenbesuch in Turku"}}
    changed = api.patch(f"/outcomes/{body['id']}", json={
        "version": body["version"], "translations": {"de": {"text": "Besuch in Turku"}}})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["translations"] == {"de": {"text": "Besuch in Turku"}}


def test_an_outcome_edited_on_its_page_keeps_and_changes_its_english(web, world):
    from tests.web import fresh, login, post

    login(web, world.editor)
    path = f"/exchanges/{world.exchange.id}/outcomes/{world.outcome.id}/edit"
    assert "other_text" in web.get(path).get_data(as_text=True)
    response = post(web, path, {"text": "Gemeinsamer Antrag", "language": "de",
                                "other_text": "Joint application",
                                "organisation_ids": [world.kiel.id],
                                "version": fresh(world.outcome).version})
    assert response.status_code == 302
    outcome = fresh(world.outcome)
    assert outcome.translations == {"en": {"text": "Joint application"}}
    assert 'value="Joint application"' in web.get(path).get_data(as_text=True) or \
        "Joint application</textarea>" in web.get(path).get_data(as_text=True)


@pytest.mark.parametrize("extra, field", [
    ({"language": "fr"}, "language"),
    ({"translations": {"fr": {"title": "x"}}}, "translations.fr"),
    ({"translations": {"en": {"title": "x" * 501}}}, "translations.en.title"),
    ({"translations": {"en": {"status": "done"}}}, "translations.en.status"),
    ({"translations": {"de": {"title": "Gleich"}}}, "translations.de"),
])
def test_the_api_refuses_bad_translations(make, client, extra, field):
    api = api_as(make, client, "editor")
    response = api.post("/tasks", json={"title": "T", "owner_id": api.person.id, **extra})
    body = assert_problem(response, 422)
    assert body["field"].startswith(field.split(".")[0]), body
    assert api.get("/tasks").get_json()["items"] == []


# -- the forms ------------------------------------------------------------------------------

def test_the_task_form_takes_the_english_text(web, world):
    from tests.web import fresh, login, post, task_form_data

    login(web, world.editor, locale="en")
    page = web.get("/tasks/new").get_data(as_text=True)
    assert "Add English text" in page and 'name="other_title"' in page
    response = post(web, "/tasks/new", {**task_form_data(world), "title": "Workshop vorbereiten",
                                        "language": "de", "other_title": "Prepare the workshop",
                                        "other_description": "Room and agenda"})
    assert response.status_code == 302, response.get_data(as_text=True)
    task_id = int(response.headers["Location"].rsplit("/", 1)[1])
    from tracker.extensions import db
    from tracker.tasks.models import Task

    task = db.session.get(Task, task_id)
    assert task.translations == {"en": {"title": "Prepare the workshop",
                                        "description": "Room and agenda"}}
    edit = web.get(f"/tasks/{task_id}/edit").get_data(as_text=True)
    assert 'value="Prepare the workshop"' in edit and "<details class=\"translation\" open>" in edit
    response = post(web, f"/tasks/{task_id}/edit", {
        **task_form_data(world), "title": "Workshop vorbereiten", "language": "de",
        "other_title": "", "other_description": "", "version": str(task.version)})
    assert response.status_code == 302 and fresh(task).translations == {}


@pytest.mark.parametrize("data, field", [
    ({"other_title": "x" * 501}, "other_title"),
    ({"language": "fr"}, "language"),
    ({"other_title": "a\x01b"}, "other_title"),
])
def test_a_bad_translation_on_the_form_is_a_message(web, world, data, field):
    from tests.web import login, post, task_form_data

    login(web, world.editor)
    response = post(web, "/tasks/new", {**task_form_data(world), "title": "Nichts", **data})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    from sqlalchemy import select

    from tracker.extensions import db
    from tracker.tasks.models import Task

    assert db.session.scalar(select(Task).where(Task.title == "Nichts")) is None


# -- where it is read: pages, feeds, mails, CSV ---------------------------------------------

def _bilingual(make, world):
    from tests.web import a_date

    return make.task(title="Workshop vorbereiten", description="Raum buchen",
                     owner_id=world.viewer.id, exchange_id=world.exchange.id,
                     organisation_id=world.kiel.id, due_date=a_date(4),
                     translations={"en": {"title": "Prepare the workshop",
                                          "description": "Book the room"}})


def test_pages_show_the_readers_language(web, world, make):
    from tests.web import login, post

    task = _bilingual(make, world)
    outcome = make.outcome(world.exchange, text="Return visit to Turku", language="en",
                           translations={"de": {"text": "Gegenbesuch in Turku"}})
    login(web, world.viewer, locale="en")
    english = web.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Prepare the workshop" in english and "Book the room" in english
    assert "Workshop vorbereiten" not in english
    assert "Return visit to Turku" in web.get(f"/exchanges/{world.exchange.id}").get_data(
        as_text=True)
    post(web, "/logout")
    login(web, world.editor, locale="de")
    german = web.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Workshop vorbereiten" in german and "Prepare the workshop" not in german
    exchange_page = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    assert "Gegenbesuch in Turku" in exchange_page and outcome.text not in exchange_page
    assert "Workshop vorbereiten" in web.get("/tasks").get_data(as_text=True)


def test_the_csv_is_in_the_readers_language(web, world, make):
    from tests.web import login

    _bilingual(make, world)
    login(web, world.viewer, locale="en")
    csv = web.get("/tasks.csv").get_data(as_text=True)
    assert "Prepare the workshop" in csv and "Book the room" in csv
    assert "Workshop vorbereiten" not in csv
    assert "Prepare the workshop" in web.get("/review.csv").get_data(as_text=True)


def test_each_feed_in_its_owners_language(client, world, make):
    from tests.calendar_support import issue, items_by_uid

    task = _bilingual(make, world)
    english = make.user("viewer", locale="en", email="en@rostock.example")
    german = make.user("viewer", locale="de", email="de@rostock.example")
    summaries = {}
    for person in (english, german):
        token = issue(person, kind="team")
        body = client.get(f"/calendar/{token}.ics").data
        items = items_by_uid(body)
        summaries[person.locale] = [str(i["SUMMARY"]) for uid, i in items.items()
                                    if f"task-{task.id}@" in uid]
        descriptions = [str(i.get("DESCRIPTION", "")) for i in items.values()]
        assert ("Book the room" if person.locale == "en" else "Raum buchen") in "".join(
            descriptions)
    assert summaries["en"][0].startswith("Prepare the workshop")
    assert summaries["de"][0].startswith("Workshop vorbereiten")


def test_the_assignment_mail_in_the_owners_language(make, world):
    from sqlalchemy import select

    from tracker.extensions import db
    from tracker.notify.models import OutboxMessage

    anna = make.user("viewer", locale="en", email="anna.en@rostock.example")
    with transaction():
        tasks.create_task(world.editor, title="Workshop vorbereiten", owner_id=anna.id,
                          description="Raum buchen",
                          translations={"en": {"title": "Prepare the workshop",
                                               "description": "Book the room"}})
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.person_id == anna.id))
    assert "Prepare the workshop" in mail.subject
    assert "Book the room" in mail.body_text and "Workshop vorbereiten" not in mail.body_text


def test_the_demo_holds_the_turku_exchange_in_english_with_german(ctx, runner):
    from sqlalchemy import select

    from tracker.exchanges.models import Outcome
    from tracker.extensions import db
    from tracker.organisations.models import Organisation
    from tracker.tasks.models import Task

    assert runner.invoke(args=["demo"]).exit_code == 0
    turku = db.session.scalar(select(Organisation).where(Organisation.short_name == "Turku"))
    assert turku.locale == "en" and not turku.home
    assert db.session.scalar(select(Organisation).where(Organisation.home)).short_name == "Rostock"
    turku_tasks = list(db.session.scalars(select(Task).where(Task.organisation_id == turku.id)))
    assert turku_tasks and all(t.language == "en" and t.translations["de"]["title"]
                               for t in turku_tasks)
    outcome = db.session.get(Outcome, turku_tasks[0].outcome_id)
    assert outcome.language == "en"
    assert outcome.localized("text", "de") == "Erfahrungen zur Fahrradmobilität teilen"


def test_the_digest_in_the_owners_language(make):
    from tracker.core import timeutil
    from tracker.notify.services import build_digest

    english = make.user("viewer", locale="en", email="digest.en@rostock.example")
    make.task(title="Workshop vorbereiten", owner_id=english.id, due_date=timeutil.today(),
              translations={"en": {"title": "Prepare the workshop"}})
    mail = build_digest(english, timeutil.today(), "daily")
    assert "Prepare the workshop" in mail.text and "Prepare the workshop" in mail.html
    assert "Workshop vorbereiten" not in mail.text
