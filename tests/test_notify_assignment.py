"""The note someone gets when someone else gives them a task or moves its due date."""

from __future__ import annotations

from datetime import date, time

import icalendar
import pytest
import vobject
from sqlalchemy import select

from tests.calendar_support import parse_with_icaljs
from tests.notify_support import parts
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.notify.services import deliver_outbox, mail_suppressed
from tracker.tasks.services import complete_task, create_task, update_task


def _notes() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def people(make):
    anna = make.user(name="Anna Schmidt", email="anna@rostock.example", locale="de")
    jonas = make.user(name="Jonas Becker", email="jonas@rostock.example", locale="de")
    lea = make.user(role="viewer", name="Lea Hoffmann", email="lea@rostock.example", locale="en")
    return anna, jonas, lea


def _give(actor, **fields):
    fields.setdefault("title", "Governance-Workshop vorbereiten")
    with transaction():
        return create_task(actor, **fields)


def test_a_task_given_by_someone_else_brings_one_note_with_a_parseable_ics(
    people, make, smtp_server
):
    anna, jonas, _ = people
    kiel = make.organisation(name="Landeshauptstadt Kiel")
    task = _give(anna, owner_id=jonas.id, due_date=date(2026, 12, 10), due_time=time(9, 30),
                 organisation_id=kiel.id, description="Mit Lübeck und Kiel abstimmen.")

    [note] = _notes()
    assert note.kind == "assignment" and note.recipient == "jonas@rostock.example"
    assert note.sent_at is None  # queued with the task, sent afterwards
    assert deliver_outbox()["sent"] == 1

    [message] = smtp_server.messages
    assert smtp_server.recipients == [["jonas@rostock.example"]]
    assert message["Subject"] == "Neue Aufgabe für Sie: Governance-Workshop vorbereiten"
    assert message.get_content_type() == "multipart/mixed"
    found = parts(message)
    plain = found["text/plain"]
    assert "Anna Schmidt hat Ihnen eine Aufgabe gegeben:" in plain
    assert "Fällig: 10.12.2026, 09:30 Uhr" in plain
    assert "Organisation: Landeshauptstadt Kiel" in plain
    assert "Mit Lübeck und Kiel abstimmen." in plain
    assert f"https://tracker.test/tasks/{task.id}" in plain
    assert f'href="https://tracker.test/tasks/{task.id}"' in found["text/html"]

    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == f"task-{task.id}.ics"
    data = attachment.get_content()

    calendar = icalendar.Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"task-{task.id}@tracker.test"
    assert event.decoded("DTSTART") == date(2026, 12, 10)  # all day
    assert event.decoded("DTEND") == date(2026, 12, 11)
    assert str(event["SUMMARY"]) == "Governance-Workshop vorbereiten"
    assert str(event["URL"]) == f"https://tracker.test/tasks/{task.id}"

    parsed = vobject.readOne(data)
    assert parsed.vevent.uid.value == f"task-{task.id}@tracker.test"
    assert parsed.vevent.dtstart.value == date(2026, 12, 10)
    assert parsed.vevent.summary.value == "Governance-Workshop vorbereiten"

    [read] = parse_with_icaljs(data if isinstance(data, bytes) else data.encode()).values()
    assert (read["uid"], read["start"], read["end"]) == (
        f"task-{task.id}@tracker.test", "2026-12-10", "2026-12-11")


def test_the_note_speaks_the_owners_language(people):
    anna, _, lea = people
    _give(anna, title="Send the minutes", owner_id=lea.id, due_date=date(2026, 12, 10))
    [note] = _notes()
    assert note.subject == "New task for you: Send the minutes"
    assert "Anna Schmidt gave you a task:" in note.body_text
    assert "Due: Dec 10, 2026\n" in note.body_text
    assert "The task is attached as a calendar entry (.ics)." in note.body_text


def test_no_note_for_your_own_tasks_or_for_the_system(people, make):
    anna, jonas, _ = people
    _give(anna, owner_id=anna.id, due_date=date(2026, 12, 10))
    make.task(owner_id=jonas.id)  # created by a command (actor None)
    with mail_suppressed():
        _give(anna, owner_id=jonas.id)
    assert _notes() == []


def test_reassigning_and_moving_the_due_date_each_bring_one_note(people):
    anna, jonas, lea = people
    task = _give(anna, owner_id=anna.id, due_date=date(2026, 12, 10))
    assert _notes() == []

    with transaction():
        update_task(task, anna, {"owner_id": jonas.id, "due_date": date(2026, 12, 12)})
    [given] = _notes()
    assert task.created_by_id == anna.id
    assert given.recipient == "jonas@rostock.example"
    assert given.subject.startswith("Neue Aufgabe für Sie")

    with transaction():
        update_task(task, anna, {"due_date": date(2026, 12, 15)})
    moved = _notes()[-1]
    assert len(_notes()) == 2
    assert moved.subject == "Neuer Termin für Ihre Aufgabe: Governance-Workshop vorbereiten"
    assert "(12.12.2026 → 15.12.2026)" in moved.body_text
    assert "DTSTART;VALUE=DATE:20261215" in moved.ics

    with transaction():
        update_task(task, anna, {"title": "Workshop vorbereiten"})  # not the due date
    with transaction():
        update_task(task, jonas, {"due_date": date(2026, 12, 16)})  # the owner himself
    assert len(_notes()) == 2

    with transaction():
        update_task(task, jonas, {"owner_id": lea.id})
    assert _notes()[-1].recipient == "lea@rostock.example"
    assert "Jonas Becker gave you a task:" in _notes()[-1].body_text
    assert task.created_by_id == jonas.id


def test_no_note_for_a_closed_task_and_no_ics_without_a_due_date(people):
    anna, jonas, _ = people
    task = _give(anna, owner_id=jonas.id)
    [note] = _notes()
    assert note.ics is None and note.ics_filename is None
    assert "Fällig: ohne Termin" in note.body_text
    with transaction():
        complete_task(task, anna)
        update_task(task, anna, {"due_date": date(2026, 12, 1)})
    assert len(_notes()) == 1


def test_the_note_commits_or_rolls_back_with_the_task(people):
    anna, jonas, _ = people
    with pytest.raises(RuntimeError):
        with transaction():
            create_task(anna, title="Wird verworfen", owner_id=jonas.id)
            raise RuntimeError("the request failed after the task was written")
    assert _notes() == []


def test_no_note_for_someone_who_switched_them_off_by_the_mailed_link(people, client):
    import re

    from tracker.notify.services import settings_token

    anna, jonas, _ = people
    path = "/notify/settings/" + settings_token(jonas)
    form = client.get(path).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert "Aufgabe gibt oder ihr Fälligkeitsdatum verschiebt" in form
    answer = client.post(path, data={"csrf_token": csrf, "digest": "weekly"})  # box unticked
    assert answer.status_code == 303
    db.session.expire_all()
    assert jonas.assignment_notes is False and jonas.digest == "weekly"

    _give(anna, owner_id=jonas.id, due_date=date(2026, 12, 10))
    assert _notes() == []
    _give(jonas, owner_id=anna.id)  # others still get theirs
    assert [n.recipient for n in _notes()] == ["anna@rostock.example"]
