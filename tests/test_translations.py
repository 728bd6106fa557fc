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
