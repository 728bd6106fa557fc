"""Flask-Login glue: who the session's cookie belongs to, and whether it still counts.

The session remembers "id:epoch", so a password change ends every session of the user
(`Person.session_epoch` moves on). Each sign-in also gets a random session id and its
start and last-use times (in the signed cookie): signing out records that id as ended
(`accounts.services.end_session`), so a copy of the cookie taken before no longer opens
anything, while the user's other devices stay signed in. We chose this over bumping the
epoch at sign-out (which would sign out every device) and over a table of live sessions
(which would need a write at every sign-in and on every use to track idleness); the
server keeps only sessions that ended early, the cookie carries its times.
A session unused for TRACKER_SESSION_IDLE_HOURS, or older than TRACKER_SESSION_MAX_DAYS,
ends too.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any

from flask import current_app, session

from tracker.accounts import services
from tracker.accounts.models import Person
from tracker.core.database import database_failed
from tracker.extensions import db, login_manager

#: The last use is written to the cookie at most this often (seconds), not on every request.
SEEN_PRECISION = 60


def session_lifetime() -> timedelta:
    """The longest a session lives (TRACKER_SESSION_MAX_DAYS): ended ones are kept this long."""
    return timedelta(days=int(current_app.config["TRACKER_SESSION_MAX_DAYS"]))


def start_session(store: MutableMapping[str, Any]) -> None:
    """Give a new sign-in its own session id and times (call after `login_user`)."""
    now = int(time.time())
    store["sid"] = secrets.token_urlsafe(32)
    store["started"] = now
    store["seen"] = now


def _session_is_current(store: MutableMapping[str, Any]) -> bool:
    sid, started, seen = store.get("sid"), store.get("started"), store.get("seen")
    if not isinstance(sid, str) or not isinstance(started, int) or not isinstance(seen, int):
        return False  # signed in before sessions had ids, or not through start_session
    now = int(time.time())
    idle = int(current_app.config["TRACKER_SESSION_IDLE_HOURS"]) * 3600
    if now - seen > idle or now - started > session_lifetime().total_seconds():
        return False
    if services.session_has_ended(sid):
        return False
    if now - seen >= SEEN_PRECISION:
        store["seen"] = now
    return True


@login_manager.user_loader
def load_user(session_id: str) -> Person | None:
    """The signed-in user, if the session is current and the password unchanged since."""
    person_id, _, epoch = session_id.partition(":")
    if database_failed():  # the error page after a database fault: nobody, no query
        return None
    if not person_id.isdigit() or not epoch.isdigit():
        return None
    if not _session_is_current(session):
        return None
    person = db.session.get(Person, int(person_id))
    if person is None or not person.is_active or person.session_epoch != int(epoch):
        return None
    return person
