"""Helpers for the page tests: sign in, find the CSRF token, post forms like a browser; a
test client whose every request runs in its own application context (the `web` fixture in
conftest.py); the World its `world` fixture builds; and the table of mutating routes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser

from flask import has_app_context
from flask.testing import FlaskClient

from tests.passwords import each_password_checked_once
from tracker.core import timeutil
from tracker.extensions import db

PASSWORD = "correct horse battery"


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, user, password: str = PASSWORD, locale: str = "de"):
    """Sign `user` in through the login form; later requests speak `locale`."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    token = csrf_token(client, "/login")
    with each_password_checked_once():
        response = client.post("/login", data={"email": user.email, "password": password,
                                               "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def post(client, path: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token (taken from the home page)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/account"))
    return client.post(path, data=data, **kwargs)


class _Text(HTMLParser):
    """Visible text nodes and the attributes people read (labels, alt, title, placeholder)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.texts.append(value)
            if tag in ("input", "button") and name == "value" and value and (
                ("type", "submit") in attrs
            ):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def visible_texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.texts


# -- a test client whose every request runs in its own application context ----------------


class IsolatedClient(FlaskClient):
    """Requests get a fresh app context (own DB session, own `g`), as in production,
    even while the test holds one open for its factories."""

    def run_wsgi_app(self, environ, buffered=False):
        # The test's own session ends its transaction first: on SQLite it would otherwise
        # hold the write lock the request needs.
        if has_app_context():
            db.session.rollback()
        # A request finds this context on top and uses it instead of the test's; it ends
        # with the request (each redirect followed is a request of its own).
        with self.application.app_context():
            return super().run_wsgi_app(environ, buffered=buffered)


def fresh(record):
    """The record as the database has it now (after requests in other sessions)."""
    db.session.rollback()
    return db.session.get(type(record), record.id)


@dataclass
class World:
    admin: object
    editor: object
    viewer: object
    luebeck: object
    kiel: object
    exchange: object
    later: object
    outcome: object
    viewer_task: object
    editor_task: object


def a_date(days: int = 0) -> date:
    return timeutil.today() + timedelta(days=days)


def task_form_data(w: World) -> dict:
    """The smallest valid task form."""
    return {"title": "Neu", "owner_id": w.editor.id, "due_date": str(a_date(3))}


def exchange_form_data(w: World) -> dict:
    """The smallest valid exchange form."""
    return {"title": "Neu", "kind": "workshop", "status": "planned", "all_day": "y",
            "start_date": str(a_date(9)), "organisation_ids": [w.kiel.id]}


def series_of(w: World):
    """The world's series (a Werkstatt without a rule), made the first time it is asked for,
    so the world itself stays as the other tests know it."""
    from sqlalchemy import select

    from tracker.core.database import transaction
    from tracker.series.models import Series
    from tracker.series.services import create_series

    found = db.session.scalar(select(Series).order_by(Series.id))
    if found is not None:
        return found
    with transaction():
        return create_series(w.editor, title="Werkstatt", kind="werkstatt", all_day=True,
                             start_date=a_date(20), organisation_ids=[w.kiel.id])


def new_series_form_data(w: World) -> dict:
    """The smallest valid series form: quarterly from the first meeting's date."""
    return {"title": "Werkstatt", "kind": "werkstatt", "starts_at": f"{a_date(12)}T14:00",
            "duration_minutes": "180", "frequency": "quarterly", "interval": "1",
            "by_weekday": "weekday", "end": "never"}


def series_form_data(w: World) -> dict:
    """The series form for the world's series, with the version read."""
    return {**new_series_form_data(w), "version": str(series_of(w).version)}
def agenda_topic_id(w: World) -> int:
    """A topic on the world's exchange's agenda (made once per world), for the route tables."""
    from tracker.agenda.services import add_topic
    from tracker.core.database import transaction

    if not hasattr(w, "topic_id"):
        with transaction():
            w.topic_id = add_topic(db.session.merge(w.exchange), None, "Begrüßung").id  # type: ignore[attr-defined]
    return w.topic_id  # type: ignore[attr-defined]


def document_id(w: World) -> int:
    """A document link on the world's exchange (made once per world)."""
    from tracker.core.database import transaction
    from tracker.exchanges.services import add_document

    if not hasattr(w, "document_id"):
        with transaction():
            w.document_id = add_document(  # type: ignore[attr-defined]
                db.session.merge(w.exchange), None, "Protokoll", "https://example.org/p.pdf").id
    return w.document_id  # type: ignore[attr-defined]


def partner_of(world) -> dict:
    """A partner link of Lübeck (the viewer's task is Lübeck's), its tokens, and a proposed
    date on the editor's task; made once per world."""
    from flask import current_app

    from tracker.core.database import transaction
    from tracker.partners import services as partner_services
    from tracker.partners.models import DueDateProposal

    if not hasattr(world, "_partner"):
        with transaction():
            link = partner_services.create_link(world.luebeck, None)
            proposal = DueDateProposal(task_id=world.editor_task.id, link_id=None,
                                       proposed_date=a_date(50), reason="", state="proposed")
            db.session.add(proposal)
            db.session.flush()
        secret = current_app.config["SECRET_KEY"]
        world._partner = {"link": link.id, "token": link.token(secret),
                          "feed": link.feed_token(secret), "proposal": proposal.id,
                          "organisation": world.luebeck.id, "task": world.viewer_task.id}
    return world._partner


# -- the forms that change something, and who may send them -------------------------------

ALL = {"admin", "editor", "viewer"}
EDITORS = {"admin", "editor"}
ADMINS = {"admin"}

#: Every form that changes something: (name, who may, path, form data); paths and data are
#: built from the world. test_web_roles tries each role on each; test_security_attacks checks
#: that a refusal changes nothing.
MUTATING_ROUTES = [
    ("task create", EDITORS, lambda w: "/tasks/new", task_form_data),
    ("task edit", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/edit", task_form_data),
    ("check off own task", ALL, lambda w: f"/tasks/{w.viewer_task.id}/complete", None),
    ("check off another's task", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/complete",
     None),
    ("reopen own task", ALL, lambda w: f"/tasks/{w.viewer_task.id}/reopen", None),
    ("reopen another's task", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/reopen", None),
    ("note on own task", ALL, lambda w: f"/tasks/{w.viewer_task.id}/notes",
     lambda w: {"text": "Termin steht"}),
    ("note on another's task", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/notes",
     lambda w: {"text": "Termin steht"}),
    ("task cancel", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/cancel", None),
    ("task delete", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/delete", None),
    ("task plan exchange", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/plan",
     exchange_form_data),
    ("bulk check-off", ALL, lambda w: "/tasks/bulk-complete",
     lambda w: {"ids": [w.viewer_task.id]}),
    ("undo", ALL, lambda w: "/tasks/undo", lambda w: {"ids": [w.viewer_task.id]}),
    ("exchange create", EDITORS, lambda w: "/exchanges/new", exchange_form_data),
    ("exchange edit", EDITORS, lambda w: f"/exchanges/{w.later.id}/edit", exchange_form_data),
    ("outcome add", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/outcomes",
     lambda w: {"text": "Vereinbart", "tasks-0-title": "Protokoll",
                "tasks-0-owner_id": w.viewer.id}),
    ("exchange quick create", EDITORS, lambda w: "/exchanges/quick",
     lambda w: {"title": "SCCON 2023", "start_date": str(a_date(40))}),
    ("task add in place", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/tasks",
     lambda w: {"x-title": "Neu", "x-owner_id": w.viewer.id}),
    ("outcome drop", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/outcomes/{w.outcome.id}/drop",
     lambda w: {"dropped": "1"}),
    ("exchange delete", EDITORS, lambda w: f"/exchanges/{w.later.id}/delete", None),
    ("series create", EDITORS, lambda w: "/series/new", new_series_form_data),
    ("series edit", EDITORS, lambda w: f"/series/{series_of(w).id}/edit", series_form_data),
    ("series add meeting", EDITORS, lambda w: f"/series/{series_of(w).id}/meetings",
     lambda w: {"title": "Werkstatt", "starts_at": f"{a_date(40)}T10:00"}),
    ("series delete", EDITORS, lambda w: f"/series/{series_of(w).id}/delete", None),
    ("series restore", EDITORS, lambda w: f"/series/{series_of(w).id}/restore", None),
    ("outcome edit", EDITORS,
     lambda w: f"/exchanges/{w.exchange.id}/outcomes/{w.outcome.id}/edit",
     lambda w: {"text": "Neu formuliert"}),
    ("outcome delete", EDITORS,
     lambda w: f"/exchanges/{w.exchange.id}/outcomes/{w.outcome.id}/delete", None),
    ("document add", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/documents",
     lambda w: {"title": "Folien", "url": "https://example.org/folien.pdf"}),
    ("document remove", EDITORS,
     lambda w: f"/exchanges/{w.exchange.id}/documents/{document_id(w)}/delete", None),
    ("agenda topic add", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/agenda/topics",
     lambda w: {"topic": "Stand Datenplattform"}),
    ("agenda topic edit", EDITORS,
     lambda w: f"/exchanges/{w.exchange.id}/agenda/topics/{agenda_topic_id(w)}",
     lambda w: {"topic": "Begrüßung und Runde"}),
    ("agenda topic move", EDITORS,
     lambda w: f"/exchanges/{w.exchange.id}/agenda/topics/{agenda_topic_id(w)}/move",
     lambda w: {"direction": "down"}),
    ("agenda topic delete", EDITORS,
     lambda w: f"/exchanges/{w.exchange.id}/agenda/topics/{agenda_topic_id(w)}/delete", None),
    ("agenda send", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/agenda/send", None),
    ("minutes finish", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/minutes/finish", None),
    ("agenda: own task done", ALL,
     lambda w: f"/exchanges/{w.later.id}/agenda/tasks/{w.viewer_task.id}/done", None),
    ("agenda: task new date", EDITORS,
     lambda w: f"/exchanges/{w.later.id}/agenda/tasks/{w.editor_task.id}/move",
     lambda w: {"due_date": str(a_date(20))}),
    ("agenda: note on own task", ALL,
     lambda w: f"/exchanges/{w.later.id}/agenda/tasks/{w.viewer_task.id}/note",
     lambda w: {"text": "Termin steht"}),
    ("trash restore", EDITORS, lambda w: f"/trash/tasks/{w.editor_task.id}/restore", None),
    ("person create", EDITORS, lambda w: "/people/new",
     lambda w: {"name": "Neue Person", "role": "", "active": "y"}),
    ("person edit", ADMINS, lambda w: f"/people/{w.viewer.id}/edit",
     lambda w: {"name": "Mehmet", "email": w.viewer.email, "role": "viewer", "active": "y"}),
    ("organisation create", EDITORS, lambda w: "/organisations/new",
     lambda w: {"name": "Stadt Flensburg", "kind": "city", "active": "y"}),
    ("organisation edit", EDITORS, lambda w: f"/organisations/{w.kiel.id}/edit",
     lambda w: {"name": "Kiel", "kind": "city", "active": "y"}),
    ("organisation create inline", EDITORS, lambda w: "/organisations/inline",
     lambda w: {"new_org-name": "Stadt Husum", "new_org-locale": "de"}),
    ("person create inline", EDITORS, lambda w: "/people/inline",
     lambda w: {"new_person-name": "Neue Kontaktperson"}),
    ("own account", ALL, lambda w: "/account",
     lambda w: {"name": "Ich", "locale": "de", "digest": "weekly"}),
    ("own API token", ALL, lambda w: "/account/tokens", lambda w: {"token-name": "x"}),
    ("language", ALL, lambda w: "/language", lambda w: {"locale": "en"}),
    ("partner link make", EDITORS, lambda w: f"/organisations/{w.luebeck.id}/partner-links/new",
     None),
    ("partner link renew", EDITORS, lambda w: f"/organisations/{w.luebeck.id}/partner-links/"
     f"{partner_of(w)['link']}/renew", None),
    ("partner link mail", EDITORS, lambda w: f"/organisations/{w.luebeck.id}/partner-links/"
     f"{partner_of(w)['link']}/mail", None),
    ("partner link revoke", EDITORS, lambda w: f"/organisations/{w.luebeck.id}/partner-links/"
     f"{partner_of(w)['link']}/revoke", None),
    ("proposed date accept", EDITORS, lambda w: f"/proposals/{partner_of(w)['proposal']}/accept",
     None),
    ("proposed date decline", EDITORS,
     lambda w: f"/proposals/{partner_of(w)['proposal']}/decline", None),
]
