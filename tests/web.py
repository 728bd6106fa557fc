"""Helpers for the page tests: sign in, find the CSRF token, post forms like a browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                    r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, user, password: str = PASSWORD, locale: str = "de"):
    """Sign `user` in through the login form; later requests speak `locale`."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    token = csrf_token(client, "/login")
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

import contextvars  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, timedelta  # noqa: E402

import pytest  # noqa: E402
from flask.globals import _cv_app  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from tracker.core import timeutil  # noqa: E402
from tracker.extensions import db  # noqa: E402


class IsolatedClient(FlaskClient):
    """Requests get a fresh app context (own DB session, own `g`), as in production,
    even while the test holds one open for its factories."""

    def open(self, *args, **kwargs):
        # The test's own session ends its transaction first: on SQLite it would otherwise
        # hold the write lock the request needs.
        if _cv_app.get(None) is not None:
            db.session.rollback()

        def run():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)

        return contextvars.copy_context().run(run)


@pytest.fixture
def web(app, ctx):
    app.test_client_class = IsolatedClient
    return app.test_client()


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


@pytest.fixture
def world(make) -> World:
    """A small team: an admin, an editor, a viewer; two partner cities; an exchange with an
    outcome, a later exchange, and open tasks owned by the viewer and by the editor."""
    today = timeutil.today()
    admin = make.user("admin", name="Anna Admin", email="anna@rostock.example")
    editor = make.user("editor", name="Jonas Editor", email="jonas@rostock.example")
    viewer = make.user("viewer", name="Mehmet Viewer", email="mehmet@rostock.example")
    luebeck = make.organisation(name="Hansestadt Lübeck", short_name="Lübeck")
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    exchange = make.exchange(title="Besuch in Lübeck", all_day=True, start_date=today,
                             organisation_ids=[luebeck.id, kiel.id],
                             participant_ids=[editor.id, viewer.id])
    later = make.exchange(title="Governance-Workshop", all_day=True,
                          start_date=today + timedelta(days=30),
                          organisation_ids=[luebeck.id], participant_ids=[viewer.id])
    outcome = make.outcome(exchange, text="Lübeck, Kiel und Rostock halten einen Workshop ab")
    viewer_task = make.task(title="Protokoll verschicken", owner_id=viewer.id,
                            exchange_id=exchange.id, outcome_id=outcome.id,
                            organisation_id=luebeck.id, due_date=today - timedelta(days=3))
    editor_task = make.task(title="Raum buchen", owner_id=editor.id, exchange_id=exchange.id,
                            organisation_id=kiel.id, due_date=today + timedelta(days=2))
    return World(admin, editor, viewer, luebeck, kiel, exchange, later, outcome, viewer_task,
                 editor_task)


def a_date(days: int = 0) -> date:
    return timeutil.today() + timedelta(days=days)


def task_form_data(w: World) -> dict:
    """The smallest valid task form."""
    return {"title": "Neu", "owner_id": w.editor.id, "due_date": str(a_date(3))}


def exchange_form_data(w: World) -> dict:
    """The smallest valid exchange form."""
    return {"title": "Neu", "kind": "workshop", "status": "planned", "all_day": "y",
            "start_date": str(a_date(9)), "organisation_ids": [w.kiel.id]}
