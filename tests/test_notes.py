"""Progress notes on tasks: the service, the API, the task page, the history and the digest."""

from __future__ import annotations

import pytest

from tracker.core import audit
from tracker.core.database import transaction
from tracker.core.errors import Forbidden, InvalidField
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
        note = services.add_note(task, None, "Entwurf folgt", organisation_id=kiel.id,
                                 partner_link_id=7)
    assert note.author_id is None and note.organisation_id == kiel.id
    assert audit.history(task)[-1].changes["partner_link_id"] == [None, 7]


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
