"""Flask-Login glue: the session remembers "id:epoch", so a password change ends old sessions."""

from __future__ import annotations

from tracker.accounts.models import Person
from tracker.core.database import database_failed
from tracker.extensions import db, login_manager


@login_manager.user_loader
def load_user(session_id: str) -> Person | None:
    person_id, _, epoch = session_id.partition(":")
    if database_failed():  # the error page after a database fault: nobody, no query
        return None
    if not person_id.isdigit() or not epoch.isdigit():
        return None
    person = db.session.get(Person, int(person_id))
    if person is None or not person.is_active or person.session_epoch != int(epoch):
        return None
    return person
