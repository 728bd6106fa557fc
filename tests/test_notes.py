"""Progress notes on tasks: the service, the API, the task page, the history and the digest."""

from __future__ import annotations

import pytest

from tracker.core import audit
from tracker.core.database import transaction
from tracker.core.errors import Forbidden, InvalidField
from tracker.partners.services import create_link
from tracker.tasks import services
from tracker.tasks.models import TaskNote


def test_a_note_is_stored_and_audited_on_its_task(make):
    owner = make.user("viewer")
    task = make.task(owner_id=owner.id)
    with transaction():
        note = services.add_note(task, owner, "  Termin mit dem Kreis steht  ")
    assert note.text == "Termin mit dem Kreis steht"
    assert note.author_id == owner.id and note.organisation_id is None
    entry = audit.history(task)[-1]
    assert entry.action == "note" and entry.changes["note"] == [None, note.text]


def test_a_note_through_a_partner_link_names_the_organisation_and_the_link(make):
    kiel = make.organisation(name="Kiel")
    task = make.task(organisation_id=kiel.id)
    with transaction():
        link = create_link(kiel, None)
        note = services.add_note(task, None, "Entwurf folgt", organisation_id=kiel.id,
                                 partner_link_id=link.id)
    assert note.author_id is None and note.organisation_id == kiel.id
    assert audit.history(task)[-1].partner_link_id == link.id


def test_a_viewer_writes_notes_only_on_their_own_tasks(make):
    viewer = make.user("viewer")
    task = make.task()
    with pytest.raises(Forbidden), transaction():
        services.add_note(task, viewer, "Nicht meine")
    assert services.notes_of(task) == []


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001, "a\x00b", 5])
def test_a_bad_note_is_refused(make, text):
    task = make.task()
    with pytest.raises(InvalidField) as caught, transaction():
        services.add_note(task, None, text)
    assert caught.value.field == "text"
    from tracker.extensions import db

    assert db.session.query(TaskNote).count() == 0


# -- the API ------------------------------------------------------------------------------

def test_notes_through_the_api(make, client):
    from tests.api_support import api_as

    api = api_as(make, client, "editor")
    task = make.task()
    response = api.post(f"/tasks/{task.id}/notes", json={"text": "Termin steht"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"id", "task_id", "text", "author_id", "organisation_id", "created_at"}
    assert body["author_id"] == api.person.id and body["task_id"] == task.id
    listed = api.get(f"/tasks/{task.id}/notes").get_json()
    assert [n["text"] for n in listed["items"]] == ["Termin steht"] and listed["next"] is None


@pytest.mark.parametrize("body, field", [
    ({"text": ""}, "text"), ({"text": "   "}, "text"), ({"text": "x" * 5001}, "text"),
    ({}, "text"), ({"text": "ok", "author_id": 1}, "author_id"), ({"text": 5}, "text"),
])
def test_a_bad_note_is_a_problem(make, client, body, field):
    from tests.api_support import api_as, assert_problem

    api = api_as(make, client, "editor")
    task = make.task()
    assert_problem(api.post(f"/tasks/{task.id}/notes", json=body), 422, field)
    assert services.notes_of(task) == []


def test_a_viewer_notes_only_their_own_tasks_through_the_api(make, client):
    from tests.api_support import api_as, assert_problem

    api = api_as(make, client, "viewer")
    theirs, others = make.task(owner_id=api.person.id), make.task()
    assert api.post(f"/tasks/{theirs.id}/notes", json={"text": "Läuft"}).status_code == 201
    assert_problem(api.post(f"/tasks/{others.id}/notes", json={"text": "Nein"}), 403)
    assert services.notes_of(others) == []
    assert api.get(f"/tasks/{others.id}/notes").status_code == 200


def test_notes_of_a_deleted_or_unknown_task_are_404(make, client):
    from tests.api_support import api_as, assert_problem
    from tracker.tasks.services import delete_task

    api = api_as(make, client, "editor")
    task = make.task()
    with transaction():
        delete_task(task, None)
    assert_problem(api.get(f"/tasks/{task.id}/notes"), 404)
    assert_problem(api.post(f"/tasks/{task.id}/notes", json={"text": "x"}), 404)
    assert_problem(api.get("/tasks/99999999/notes"), 404)


# -- the owner's digest -------------------------------------------------------------------

def test_the_digest_lists_others_notes_since_the_last_one(make):
    from datetime import timedelta

    from tracker.core import timeutil
    from tracker.core.model import utcnow
    from tracker.notify.models import DigestRun
    from tracker.notify.services import build_digest

    owner = make.user("viewer", name="Lea", locale="de")
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    task = make.task(title="Datenstrategie-Workshop", owner_id=owner.id,
                     due_date=timeutil.today() + timedelta(days=60))
    with transaction():
        services.add_note(task, owner, "Meine eigene Notiz")
        services.add_note(task, None, "Termin mit dem Kreis steht", organisation_id=kiel.id)
    today = timeutil.today()
    mail = build_digest(owner, today, "weekly")
    assert mail is not None, "a note alone is worth a digest"
    assert "Neue Notizen zu Ihren Aufgaben" in mail.text
    assert "Kiel über den Partner-Link: Termin mit dem Kreis steht" in mail.text
    assert "Meine eigene Notiz" not in mail.text and "Termin mit dem Kreis steht" in mail.html
    from tracker.extensions import db

    db.session.add(DigestRun(person_id=owner.id, period="x", created_at=utcnow()))
    db.session.commit()
    assert build_digest(owner, today, "weekly") is None


def test_the_digest_names_the_note_author_in_english(make):
    from datetime import timedelta

    from tracker.core import timeutil
    from tracker.notify.services import build_digest

    owner = make.user("viewer", name="Lea", locale="en")
    editor = make.user("editor", name="Jonas")
    kiel = make.organisation(name="Kiel")
    task = make.task(owner_id=owner.id, due_date=timeutil.today() + timedelta(days=60))
    with transaction():
        services.add_note(task, editor, "Draft follows in January")
        services.add_note(task, None, "Date set", organisation_id=kiel.id)
    mail = build_digest(owner, timeutil.today(), "daily")
    assert "New notes on your tasks" in mail.text
    assert "Jonas: Draft follows in January" in mail.text
    assert "Kiel through the partner link: Date set" in mail.text


# -- the task page --------------------------------------------------------------------------

def test_notes_on_the_task_page_and_in_its_history(web, world):
    from tests.web import login, post

    login(web, world.viewer, locale="en")
    response = post(web, f"/tasks/{world.viewer_task.id}/notes",
                    {"text": "Date with the district set"})
    assert response.status_code == 302
    with transaction():
        link = create_link(world.luebeck, None)
        services.add_note(world.viewer_task, None, "Draft follows",
                          organisation_id=world.luebeck.id, partner_link_id=link.id)
    page = web.get(f"/tasks/{world.viewer_task.id}").get_data(as_text=True)
    notes = page[page.index('id="notes-h"'):page.index("<h2>History")]
    assert "Date with the district set" in notes and "Mehmet Viewer" in notes
    assert "Lübeck through the partner link" in notes and "Draft follows" in notes
    assert notes.index("Draft follows") < notes.index("Date with the district set")
    history = page[page.index("<h2>History"):]
    assert "added a note" in history and "through the partner link of" in history
    assert f'action="/tasks/{world.viewer_task.id}/notes"' in page


def test_a_viewer_sees_no_note_form_on_anothers_task(web, world):
    from tests.web import login

    login(web, world.viewer)
    page = web.get(f"/tasks/{world.editor_task.id}").get_data(as_text=True)
    assert f'action="/tasks/{world.editor_task.id}/notes"' not in page


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001, "a\x01b"])
def test_a_bad_note_on_the_page_is_a_form_message(web, world, text):
    from tests.web import login, post

    login(web, world.editor)
    response = post(web, f"/tasks/{world.editor_task.id}/notes", {"text": text})
    assert response.status_code == 400
    assert 'id="text-error"' in response.get_data(as_text=True)
    assert services.notes_of(world.editor_task) == []


def test_the_task_page_costs_the_same_with_many_notes(web, world):
    from tests.querycount import counting_queries
    from tests.web import login

    def page_queries() -> int:
        with counting_queries() as statements:
            assert web.get(f"/tasks/{world.viewer_task.id}").status_code == 200
        return len(statements)

    login(web, world.editor)
    counts = []
    for _ in range(2):
        with transaction():
            for n in range(10):
                services.add_note(world.viewer_task, world.editor, f"Notiz {n}")
                services.add_note(world.viewer_task, None, f"Bericht {n}",
                                  organisation_id=world.luebeck.id)
        counts.append(page_queries())
    assert counts[0] == counts[1], counts
