"""Attacks that must fail, one table per kind of attack.

SQL injection through every filter and search box; script through every text field on
every page that shows it; forms posted without their CSRF token; `next` pointing away
from the tracker; each role against each route; stolen, revoked and guessed tokens;
hostile uploads; and text that could reach a file name. Bad input gets a clear 4xx (a
page or problem+json) and changes nothing; a 5xx on any input is a bug.

Where a table is built from the app itself (its URL map, the API's operations, the
filter parameters), a new route, form or filter is attacked without anyone adding it;
where a table is written by hand, a completeness test fails until the new route is in it.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import icalendar
import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.api_support import PROBLEM, Api, token_for
from tests.db_support import empty_all_tables
from tests.web import (
    MUTATING_ROUTES,
    a_date,
    agenda_topic_id,
    csrf_token,
    document_id,
    exchange_form_data,
    fresh,
    login,
    new_series_form_data,
    partner_of,
    series_of,
    task_form_data,
)
from tracker.accounts import services as account_services
from tracker.accounts.models import ApiToken
from tracker.api.routing import OPERATIONS
from tracker.calendar.models import FeedToken
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.tasks.queries import FILTER_PARAMS

BASE = "https://tracker.test"


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """One hashing round: these tests sign in often, and password hashing is not under test."""
    monkeypatch.setattr(
        account_services, "generate_password_hash",
        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"),
    )


# -- helpers ------------------------------------------------------------------------------

#: Caches the feeds keep for themselves, and the day the series' meetings were last made
#: ahead (the day's first request sets it): a read may fill them, that is no change of data.
_CACHES = {"feed_items", "series_upkeep"}
#: When a token was last used is recorded on every use, by design.
_USAGE_COLUMNS = {"last_used_at"}


def snapshot() -> dict[str, list[str]]:
    """Every row of every table (caches and usage times left out), to compare before/after."""
    db.session.rollback()
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name in _CACHES:
            continue
        columns = [c for c in table.columns if c.name not in _USAGE_COLUMNS]
        state[table.name] = sorted(repr(tuple(row)) for row in db.session.execute(
            select(*columns)))
    db.session.rollback()
    return state


def assert_unchanged(before: dict, what: str = "") -> None:
    after = snapshot()
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"{what}: these tables changed: {changed}"


def page_text(response) -> str:
    """The page as a reader sees it: entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def assert_clear_refusal(response, what: str, api: bool = False) -> None:
    """A 4xx a person or a script can act on; an API answer in problem+json."""
    assert 400 <= response.status_code < 500, (what, response.status_code)
    if api:
        assert response.mimetype == PROBLEM, (what, response.mimetype)
        body = response.get_json(force=True)
        assert body["status"] == response.status_code and body.get("detail"), (what, body)


def as_admin(web, world):
    login(web, world.admin)
    return web


def feed_of(token: FeedToken) -> str:
    from flask import current_app

    return f"/calendar/{token.token(current_app.config['SECRET_KEY'])}.ics"


def summaries(body: bytes) -> set[str]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(c["SUMMARY"]) for c in cal.subcomponents if c.name in ("VEVENT", "VTODO")}


def titles_in_feed(body: bytes, candidates) -> set[str]:
    """Which of these titles the feed holds (a task's summary may carry a status before the
    title and another owner's name after it: "Done: Title (Owner)")."""
    shown = summaries(body)
    return {title for title in candidates
            if any(re.fullmatch(rf"(?:[^:]*: )?{re.escape(title)}(?: \([^()]*\))?", s)
                   for s in shown)}


# == 1. SQL injection through every filter and search ======================================

#: Titles that hold what some payloads look for: a search must find exactly these, as text.
QUOTE_NOTE = "Notiz: ' OR 1=1 -- bleibt Text"
PERCENT_NOTE = "Quote von 100%_% erreichen"
DONE_TASK = "Erledigter Rückruf bei Kiel"
DELETED_TASK = "Gelöschter Entwurf für Lübeck"
OPEN_TASKS = {"Protokoll verschicken", "Raum buchen", QUOTE_NOTE, PERCENT_NOTE}
ALL_TASKS = OPEN_TASKS | {DONE_TASK, DELETED_TASK}

#: A search with nothing left once control characters are dropped: the whole list (pages),
#: or a 4xx naming the parameter (API, feeds).
NOTHING_LEFT = None

#: (name, payload, the open task titles a text search for it finds)
SQLI = [
    ("quote", "' OR 1=1 --", {QUOTE_NOTE}),
    ("stacked statement", "1; DROP TABLE tasks; --", set()),
    ("union", "%' UNION SELECT id, email, password_hash FROM people --", set()),
    ("like wildcards", "%_%", {PERCENT_NOTE}),
    ("backslash", "\\'; DELETE FROM tasks; --", set()),
    ("nul byte", "\x00", NOTHING_LEFT),
    ("nul inside a word", "Raum\x00buchen", set()),
    ("very long", "' OR 'x'='x" * 600, set()),
    ("unicode", "ʼ OR 1=1 -- \u202e ＡＤＭＩＮ", set()),
]


@pytest.fixture
def decoys(world, make):
    """Tasks whose titles look like the payloads, one done and one deleted task."""
    from tracker.tasks.services import complete_task, delete_task

    make.task(title=QUOTE_NOTE, owner_id=world.editor.id)
    make.task(title=PERCENT_NOTE, owner_id=world.editor.id)
    done = make.task(title=DONE_TASK, owner_id=world.editor.id)
    deleted = make.task(title=DELETED_TASK, owner_id=world.editor.id)
    with transaction():
        complete_task(done, world.admin)
        delete_task(deleted, world.admin)
    return world


#: Text searches of the pages: (path, what it lists that the payload must not reveal).
PAGE_SEARCHES = [
    ("/tasks", OPEN_TASKS | {DONE_TASK, DELETED_TASK}),
    ("/tasks.csv", OPEN_TASKS | {DONE_TASK, DELETED_TASK}),
    ("/exchanges", {"Besuch in Lübeck", "Governance-Workshop"}),
    ("/people", {"Jonas Editor", "Mehmet Viewer"}),
    ("/organisations", {"Hansestadt Lübeck", "Landeshauptstadt Kiel"}),
    # Searches by words: none of the payloads' words is in these titles.
    ("/search", {DONE_TASK, DELETED_TASK}),
]

#: Every other query parameter a page reads, by page; each gets the payload (all at once:
#: pages read them leniently). The task list's filters come from the list the API and the
#: feeds use, so a new filter is attacked here too.
PAGE_PARAMETERS = {
    "/tasks": (*FILTER_PARAMS, "sort", "page"),
    "/tasks.csv": (*FILTER_PARAMS, "sort"),
    "/review": ("by", "order", "page"), "/review.csv": ("by", "order"),
    "/exchanges": ("when", "page"), "/people": ("page",), "/organisations": ("page",),
    "/tasks/new": ("exchange_id", "outcome_id", "owner_id", "due_exchange_id"),
    "/exchanges/new": ("follows_up_id",),
    "/calendar/subscriptions": ("kind", "name", "exchange_id", "query"),
    "/exchanges/quick": ("next",),
    "/search": ("page",),
}


def _api_list_parameters(world) -> list[tuple[str, str]]:
    """Every query parameter of every API list, read from the API's own declarations."""
    out = []
    for op in OPERATIONS:
        if op.method == "GET" and op.query is not None:
            path = op.rule.replace("<int:exchange_id>", str(world.exchange.id)).replace(
                "<int:task_id>", str(world.editor_task.id))
            out += [(path, parameter) for parameter in op.query.model_fields]
    return out


def test_every_api_list_and_filter_is_attacked(world):
    parameters = _api_list_parameters(world)
    assert {"/tasks", "/exchanges", "/people", "/organisations"} <= {p for p, _ in parameters}
    assert {name for path, name in parameters if path == "/tasks"} >= set(FILTER_PARAMS)


@pytest.mark.parametrize("name,payload,finds", SQLI, ids=[s[0] for s in SQLI])
def test_sql_injection_through_every_filter_and_search(web, client, decoys, name, payload,
                                                       finds):
    """Pages, CSV exports, API lists and feed filters read the payload as text: a search
    finds the rows that hold it and no others, anything else is a clear 4xx."""
    as_admin(web, decoys)
    token = csrf_token(web, "/exchanges")
    api = Api(client, token_for(decoys.viewer), decoys.viewer)
    before = snapshot()
    # The pages' search boxes.
    for path, listed in PAGE_SEARCHES:
        response = web.get(path, query_string={"q": payload})
        assert response.status_code == 200, (path, name, response.status_code)
        shown = {title for title in listed if title in page_text(response)}
        if finds is NOTHING_LEFT:
            expected = listed - {DONE_TASK, DELETED_TASK}
        else:
            expected = finds if path.startswith("/tasks") else set()
        assert shown == expected, (path, name, shown)
    # Every other parameter of the pages: an unusable value is ignored, never widens a list.
    for path, parameters in PAGE_PARAMETERS.items():
        response = web.get(path, query_string=dict.fromkeys(parameters, payload))
        assert response.status_code == 200, (path, name, response.status_code)
        text = page_text(response)
        assert DELETED_TASK not in text and DONE_TASK not in text, (path, name)
    # The API's lists and filters.
    for path, parameter in _api_list_parameters(decoys):
        response = api.get(f"{path}?{urlencode({parameter: payload})}")
        if response.status_code != 200:
            assert_clear_refusal(response, f"{path}?{parameter} {name}", api=True)
            continue
        titles = {item.get("title") for item in response.get_json()["items"]}
        assert DELETED_TASK not in titles, (path, parameter, name)
        if path == "/tasks" and parameter == "q":
            assert finds is not NOTHING_LEFT and titles == finds, (name, titles)
        if path == "/exchanges" and parameter == "q":
            assert titles == set(), (name, titles)
    assert_unchanged(before, name)
    # "Subscribe to this view" stores a filter: refused at once, or the feed reads it as text.
    for parameter in FILTER_PARAMS:
        before = snapshot()
        response = web.post("/calendar/subscriptions", data={
            "kind": "view", "query": urlencode({parameter: payload}), "csrf_token": token})
        if response.status_code != 303:
            assert_clear_refusal(response, f"feed {parameter} {name}")
            assert 'role="alert"' in response.get_data(as_text=True)
            assert_unchanged(before, f"feed {parameter} {name}")
            continue
        feed = web.get(feed_of(db.session.scalar(
            select(FeedToken).order_by(FeedToken.id.desc()))))
        assert feed.status_code == 200, (parameter, name, feed.status_code)
        shown = titles_in_feed(feed.data, ALL_TASKS)
        assert len(summaries(feed.data)) == len(shown), summaries(feed.data)
        assert shown <= OPEN_TASKS, shown
        if parameter == "q":
            assert shown == finds, (name, shown)


# == 2. Script in every text field, on every page that shows it ==========================

XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
#: The organisation's short name holds at most 50 characters.
SHORT_XSS = "\"'><svg onload=alert(1)>"


def hostile(label: str) -> str:
    return f"{XSS} {label}"


class _Injected(HTMLParser):
    """Elements and attributes a payload would have added had it not been escaped, and
    every text and attribute value (decoded) to find the payload shown as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.injected: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes:
            self.injected.append("inline <script>")
        if tag in ("img", "svg") and (attributes.get("src") == "x" or "onload" in attributes):
            self.injected.append(f"<{tag}>")
        self.injected += [f"{tag} {name}=" for name, _ in attrs if name.startswith("on")]
        self.texts += [value for _, value in attrs if value]

    def handle_data(self, data):
        self.texts.append(data)


def inspect_page(body: str) -> tuple[list[str], str]:
    parser = _Injected()
    parser.feed(body)
    parser.close()
    return parser.injected, "\n".join(parser.texts)


@pytest.fixture
def hostile_world(web, world, make):
    """An admin whose name, tasks, exchange, outcome, organisation, tokens and feed all
    hold a script payload; it is signed in."""
    from tracker.exchanges.services import update_exchange
    from tracker.tasks.services import update_task

    org = make.organisation(name=hostile("org-name"), short_name=f"{SHORT_XSS} org-short")
    me = make.user("admin", name=hostile("person-name"), email="mallory@rostock.example",
                   organisation_id=org.id)
    exchange = make.exchange(title=hostile("exchange-title-old"), all_day=True,
                             start_date=a_date(3), location=hostile("exchange-location"),
                             description=hostile("exchange-description"),
                             organisation_ids=[org.id], participant_ids=[me.id])
    outcome = make.outcome(exchange, text=hostile("outcome-text"), organisation_ids=[org.id])
    task = make.task(title=hostile("task-title-old"), description=hostile("task-description"),
                     owner_id=me.id, exchange_id=exchange.id, outcome_id=outcome.id,
                     organisation_id=org.id, due_date=a_date(-1))
    with transaction():
        # Renamed by the hostile admin: the task's history names them.
        update_task(task, me, {"title": hostile("task-title")})
        update_exchange(exchange, me, {"title": hostile("exchange-title")})
        account_services.issue_api_token(me, hostile("api-token-name"))
    login(web, me)
    made = web.post("/calendar/subscriptions", data={
        "kind": "personal", "name": hostile("feed-name"),
        "csrf_token": csrf_token(web, "/exchanges")})
    assert made.status_code == 303
    return {"me": me, "org": org, "exchange": exchange, "outcome": outcome, "task": task}


#: (page, the fields it shows); every page a signed-in admin can open that shows user text.
HOSTILE_PAGES = [
    ("/", {"task-title", "org-short", "exchange-title", "person-name"}),
    ("/tasks", {"task-title", "org-short", "exchange-title"}),
    ("/tasks?status=all&q=alert", {"task-title"}),
    ("/tasks/{task}", {"task-title", "task-description", "exchange-title", "outcome-text",
                       "org-short", "person-name"}),
    ("/tasks/{task}/edit", {"task-title", "task-description", "outcome-text"}),
    ("/tasks/{task}/plan", {"task-title"}),
    ("/tasks/new", {"person-name", "outcome-text", "exchange-title"}),
    ("/exchanges", {"exchange-title", "org-short"}),
    ("/exchanges/{exchange}", {"exchange-title", "exchange-location", "exchange-description",
                               "outcome-text", "task-title", "person-name"}),
    ("/exchanges/{exchange}/edit", {"exchange-title", "exchange-location",
                                    "exchange-description"}),
    ("/exchanges/new", {"person-name"}),
    ("/review", {"exchange-title", "task-title"}),
    ("/review?by=owner", {"person-name", "task-title"}),
    ("/review?by=organisation", {"org-name", "task-title"}),
    ("/people", {"person-name", "org-short"}),
    ("/people/{me}/edit", {"person-name"}),
    ("/organisations", {"org-name", "org-short"}),
    ("/organisations/{org}/edit", {"org-name", "org-short"}),
    # Matches are marked, so the text is split; tests/test_search.py checks what is shown.
    ("/search?q=alert", set()),
    ("/account", {"person-name", "api-token-name", "feed-name"}),
    ("/calendar/subscriptions", {"feed-name"}),
    ("/notify/settings/{settings}", {"person-name"}),
]


def test_stored_text_is_shown_escaped_on_every_page(web, hostile_world):
    from tracker.notify.services import settings_token

    ids = {name: record.id for name, record in hostile_world.items()}
    ids["settings"] = settings_token(hostile_world["me"])
    for path, fields in HOSTILE_PAGES:
        response = web.get(path.format(**ids))
        assert response.status_code == 200, path
        injected, text = inspect_page(response.get_data(as_text=True))
        assert injected == [], (path, injected)
        for field in fields:
            shown = f"{SHORT_XSS} {field}" if field == "org-short" else hostile(field)
            assert shown in text, (path, field)


#: Input a page shows back: (path, parameter).
REFLECTED = [
    ("/tasks", "q"), ("/exchanges", "q"), ("/people", "q"), ("/organisations", "q"),
    ("/calendar/subscriptions", "query"), ("/calendar/subscriptions", "name"),
    ("/tasks", "status"), ("/review", "by"), ("/exchanges", "when"), ("/exchanges/quick", "next"),
]


def test_input_is_shown_back_escaped(web, world, app):
    as_admin(web, world)
    for path, parameter in REFLECTED:
        response = web.get(path, query_string={parameter: XSS})
        injected, _text = inspect_page(response.get_data(as_text=True))
        assert response.status_code == 200 and injected == [], (path, parameter, injected)
    # A page that shows back where it was reached from, and the error pages.
    anonymous = app.test_client()
    for response in (anonymous.get("/login", query_string={"next": f"/tasks?{XSS}"}),
                     web.get(f"/tasks/{XSS}"), web.get(f"/notify/settings/{XSS}"),
                     web.get(f"/calendar/{XSS}.ics")):
        injected, _text = inspect_page(response.get_data(as_text=True))
        assert response.status_code < 500 and injected == [], (response.request.path, injected)


def test_an_invitation_with_script_is_previewed_as_text(web, world):
    as_admin(web, world)
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:xss@test\r\n"
           f"DTSTART;VALUE=DATE:20270101\r\nSUMMARY:{XSS} ics-title\r\n"
           f"LOCATION:{XSS} ics-location\r\nDESCRIPTION:{XSS} ics-description\r\n"
           "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    response = web.post("/calendar/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(web, "/calendar/import"),
        "file": (io.BytesIO(ics), "invite.ics")})
    assert response.status_code == 200
    injected, text = inspect_page(response.get_data(as_text=True))
    assert injected == []
    for field in ("ics-title", "ics-location", "ics-description"):
        assert f"{XSS} {field}" in text, field


def test_feeds_csv_and_json_carry_the_payload_as_text_never_as_html(web, client,
                                                                     hostile_world):
    me, task = hostile_world["me"], hostile_world["task"]
    token = db.session.scalar(select(FeedToken).where(FeedToken.person_id == me.id))
    feed = web.get(feed_of(token))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert feed.headers["X-Content-Type-Options"] == "nosniff"
    cal = icalendar.Calendar.from_ical(feed.data)
    assert str(cal["X-WR-CALNAME"]) == hostile("feed-name")
    items = {str(c["SUMMARY"]): c for c in cal.subcomponents if c.name == "VEVENT"}
    assert titles_in_feed(feed.data, [hostile("task-title"), hostile("exchange-title")]) == {
        hostile("task-title"), hostile("exchange-title")}
    assert str(items[hostile("exchange-title")]["DESCRIPTION"]).startswith(
        hostile("exchange-description"))
    assert str(items[hostile("exchange-title")]["LOCATION"]) == hostile("exchange-location")
    for path in ("/tasks.csv", "/review.csv"):
        response = web.get(path)
        assert response.mimetype == "text/csv"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert hostile("task-title").replace('"', '""') in response.data.decode("utf-8-sig")
    api = Api(client, token_for(me), me)
    response = api.get(f"/tasks/{task.id}")
    assert response.mimetype == "application/json"
    assert response.get_json()["title"] == hostile("task-title")


def test_mail_carries_the_payload_as_text_and_no_extra_header(world):
    """A task given to someone is mailed: its title reaches a Subject, an HTML body and an
    attachment's name."""
    from tracker.notify.delivery import as_email
    from tracker.notify.models import OutboxMessage
    from tracker.tasks.services import create_task

    with transaction():
        task = create_task(
            world.editor, title=hostile("mail-title") + "\r\nBcc: victim@evil.example",
            description=hostile("mail-description"), owner_id=world.viewer.id,
            due_date=a_date(2))
    message = db.session.scalar(select(OutboxMessage))
    injected, text = inspect_page(message.body_html)
    assert injected == []
    assert hostile("mail-title") in text and hostile("mail-description") in text
    email = as_email(message, "tracker@rostock.example")
    assert "\r" not in email["Subject"] and "\n" not in email["Subject"]
    assert email["Bcc"] is None and email["To"] == world.viewer.email
    names = [part.get_filename() for part in email.iter_attachments()]
    assert names == [f"task-{task.id}.ics"]




#: Every text field of every form: (form, path, the rest of the form, the field).
TEXT_FIELDS = [
    ("new task", "/tasks/new", task_form_data, "title"),
    ("new task", "/tasks/new", task_form_data, "description"),
    ("task edit", "/tasks/{task}/edit", task_form_data, "title"),
    ("new exchange", "/exchanges/new", exchange_form_data, "title"),
    ("new exchange", "/exchanges/new", exchange_form_data, "location"),
    ("new exchange", "/exchanges/new", exchange_form_data, "description"),
    ("new series", "/series/new", new_series_form_data, "title"),
    ("new series", "/series/new", new_series_form_data, "location"),
    ("new series", "/series/new", new_series_form_data, "description"),
    ("exchange edit", "/exchanges/{exchange}/edit", exchange_form_data, "title"),
    ("exchange planned from a task", "/tasks/{task}/plan", exchange_form_data, "title"),
    ("outcome", "/exchanges/{exchange}/outcomes", lambda w: {}, "text"),
    ("outcome's task row", "/exchanges/{exchange}/outcomes",
     lambda w: {"text": "Vereinbart", "tasks-0-owner_id": w.viewer.id}, "tasks-0-title"),
    ("quick new exchange", "/exchanges/quick", lambda w: {"start_date": str(a_date(40))},
     "title"),
    ("task added in place", "/exchanges/{exchange}/tasks",
     lambda w: {"x-owner_id": w.viewer.id}, "x-title"),
    ("new organisation", "/organisations/new", lambda w: {"kind": "city", "active": "y"},
     "name"),
    ("new organisation", "/organisations/new",
     lambda w: {"name": "Flensburg", "kind": "city", "active": "y"}, "short_name"),
    ("new person", "/people/new", lambda w: {"role": "", "active": "y"}, "name"),
    ("new person", "/people/new", lambda w: {"name": "Neu", "role": "", "active": "y"},
     "email"),
    ("own account", "/account", lambda w: {"locale": "de", "digest": "weekly"}, "name"),
    ("API token", "/account/tokens", lambda w: {}, "token-name"),
    ("calendar subscription", "/calendar/subscriptions", lambda w: {"kind": "personal"},
     "name"),
    ("password change", "/account/password",
     lambda w: {"new": "x" * 12, "repeat": "x" * 12}, "current"),
]
#: A NUL (PostgreSQL refuses it in text, SQLite cuts text at it) and other control characters.
CONTROL = ["Ab\x00cd", "Ab\x1bcd", "Ab\x08cd"]


def test_control_characters_in_any_text_field_get_a_form_message(web, world):
    ids = {"task": world.editor_task.id, "exchange": world.exchange.id}
    as_admin(web, world)
    token = csrf_token(web, "/exchanges")
    before = snapshot()
    for form, path, rest, field in TEXT_FIELDS:
        for text in CONTROL:
            response = web.post(path.format(**ids),
                                data={**rest(world), field: text, "csrf_token": token})
            what = f"{form}: {field} {text!r}"
            assert response.status_code == 400, (what, response.status_code)
            assert 'class="error"' in response.get_data(as_text=True), what
    assert_unchanged(before, "control characters")
    # Signing in with one is a wrong email or password, nothing more.
    anonymous = web.application.test_client()
    for text in CONTROL:
        response = anonymous.post("/login", data={
            "email": text, "password": text, "csrf_token": csrf_token(anonymous, "/login")})
        assert response.status_code == 400, text


def _api_bodies(w) -> list[tuple[str, str, dict, str]]:
    """Every text field of the API: (method, path, body with `{}` where the text goes, field)."""
    exchange = {"title": "Neu", "all_day": True, "start_date": str(a_date(5))}
    return [
        ("POST", "/tasks", {"title": "{}", "owner_id": w.viewer.id}, "title"),
        ("POST", "/tasks", {"title": "Neu", "owner_id": w.viewer.id, "description": "{}"},
         "description"),
        ("PATCH", f"/tasks/{w.editor_task.id}", {"title": "{}", "version": 1}, "title"),
        ("POST", "/exchanges", {**exchange, "title": "{}"}, "title"),
        ("POST", "/exchanges", {**exchange, "location": "{}"}, "location"),
        ("POST", "/exchanges", {**exchange, "description": "{}"}, "description"),
        ("POST", "/exchanges", {**exchange, "rrule": "{}"}, "rrule"),
        ("PATCH", f"/exchanges/{w.later.id}", {"location": "{}", "version": 1}, "location"),
        ("POST", f"/exchanges/{w.exchange.id}/outcomes", {"text": "{}"}, "text"),
        ("POST", "/organisations", {"name": "{}"}, "name"),
        ("POST", "/organisations", {"name": "Neu", "short_name": "{}"}, "short_name"),
        ("POST", "/people", {"name": "{}"}, "name"),
        ("POST", "/people", {"name": "Neu", "email": "{}"}, "email"),
        ("POST", "/series", {**exchange, "title": "{}"}, "title"),
        ("POST", "/series", {**exchange, "location": "{}"}, "location"),
        ("POST", "/series", {**exchange, "description": "{}"}, "description"),
        ("POST", "/series", {**exchange, "rrule": "{}"}, "rrule"),
        ("PATCH", f"/series/{series_of(w).id}", {"location": "{}", "version": 1}, "location"),
    ]


def test_control_characters_in_any_api_text_field_are_a_422(client, world):
    api = Api(client, token_for(world.admin), world.admin)
    bodies = _api_bodies(world)
    before = snapshot()
    for method, path, body, field in bodies:
        for text in CONTROL:
            filled = {k: (text if v == "{}" else v) for k, v in body.items()}
            response = api._call(method, path, json=filled)
            assert response.status_code == 422, (method, path, field, response.status_code)
            assert response.mimetype == PROBLEM
            assert response.get_json()["field"] == field, (path, response.get_json())
    assert_unchanged(before, "API control characters")


# == 3. CSRF on every form ================================================================


def _path_values(world, feed_token: FeedToken, api_token: ApiToken) -> dict[str, dict]:
    """A real value for each URL argument, per endpoint where the same name means another
    record (a token id of the API, a token id of a feed)."""
    from tracker.notify.services import settings_token

    partner = partner_of(world)
    common = {"task_id": world.editor_task.id, "exchange_id": world.exchange.id,
              "outcome_id": world.outcome.id, "person_id": world.viewer.id,
              "organisation_id": world.kiel.id, "filename": "app.css",
              "series_id": series_of(world).id,
              "document_id": document_id(world), "topic_id": agenda_topic_id(world),
              "link_id": partner["link"], "proposal_id": partner["proposal"]}
    partner_page = {**common, "token": partner["token"], "task_id": partner["task"]}
    return {
        "*": common,
        **{f"partners.{name}": partner_page for name in ("page", "done", "note", "propose")},
        "partners.feed": {**common, "token": partner["feed"]},
        **{f"partners.{name}": {**common, "organisation_id": partner["organisation"]}
           for name in ("renew", "revoke", "mail")},
        "accounts.revoke_token": {**common, "token_id": api_token.id},
        "calendar.revoke": {**common, "token_id": feed_token.id},
        "calendar.feed": {**common, "token": feed_of(feed_token)[10:-4]},
        "notify.settings": {**common, "token": settings_token(world.admin)},
        "trash.restore": {**common, "kind": "tasks", "record_id": world.editor_task.id},
    }


def _url(rule, values: dict[str, dict]) -> str:
    known = values.get(rule.endpoint, values["*"])
    missing = set(rule.arguments) - set(known)
    assert not missing, f"{rule.rule}: add a value for {missing} to _path_values"
    return rule.build({name: known[name] for name in rule.arguments})[1]


@pytest.fixture
def tokens(world):
    with transaction():
        feed = FeedToken.issue(_secret(), person_id=world.admin.id, kind="personal")
        db.session.add(feed)
        api_token, _plain = account_services.issue_api_token(world.admin, "Skript")
    return feed, api_token


def _secret() -> str:
    from flask import current_app

    return current_app.config["SECRET_KEY"]


def _form_posts(app):
    """Every rule outside the API that takes a POST (or another writing method)."""
    return [
        rule for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/")
        and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
    ]


#: Form fields a careless handler might act on, sent along with every forged post.
FORGED = {"title": "Gefälscht", "name": "Gefälscht", "text": "Gefälscht", "ids": ["1", "2"],
          "owner_id": "1", "locale": "en", "digest": "never", "token-name": "x",
          "kind": "team", "dropped": "1", "x-title": "Gefälscht", "x-owner_id": "1"}


@pytest.mark.parametrize("csrf", ["missing", "forged", "another session's"])
def test_every_form_refuses_a_post_without_its_csrf_token(web, world, tokens, app, csrf):
    """Enumerated from the URL map: a new form cannot escape this test."""
    values = _path_values(world, *tokens)
    as_admin(web, world)
    other = app.test_client()
    token = {"missing": None, "forged": "ImZha2Ui.Z2VmYWxzY2h0",
             "another session's": csrf_token(other, "/login")}[csrf]
    posts = _form_posts(app)
    assert len(posts) >= 30
    before = snapshot()
    for rule in posts:
        data = dict(FORGED, **({"csrf_token": token} if token else {}))
        if rule.endpoint == "calendar.import_invitation":
            data["file"] = (io.BytesIO(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), "x.ics")
        if rule.endpoint == "calendar.import_save":
            data["ics"] = base64.b64encode(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").decode()
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            response = web.open(_url(rule, values), method=method, data=data)
            assert response.status_code == 400, (rule.rule, method, response.status_code)
    assert_unchanged(before, f"CSRF {csrf}")
    assert web.get("/").status_code == 200  # still signed in


def test_a_signed_in_browser_cannot_write_through_the_api(web, world, tokens):
    """The API reads a bearer token only: a session cookie (what a forged cross-site
    request carries) and even a valid CSRF token get 401 and change nothing."""
    values = _path_values(world, *tokens)["*"]
    as_admin(web, world)
    page_token = csrf_token(web, "/account")
    before = snapshot()
    writes = [op for op in OPERATIONS if op.method != "GET"]
    assert len(writes) >= 10
    for op in writes:
        path = "/api/v1" + re.sub(r"<int:(\w+)>", lambda m: str(values[m.group(1)]), op.rule)
        for headers in ({}, {"X-CSRFToken": page_token}):
            response = web.open(path, method=op.method, headers=headers,
                                json={"title": "x", "owner_id": world.admin.id, "text": "x",
                                      "name": "x", "version": 1})
            assert response.status_code == 401, (op.method, path, response.status_code)
            assert response.mimetype == PROBLEM
    assert_unchanged(before, "API with a cookie")


# == 4. Open redirects through `next` =====================================================

#: Targets a browser would take off the site, written the ways filters get fooled.
FOREIGN = [
    "//evil.example", "https://evil.example", "http:evil.example", "/\\evil.example",
    "\\\\evil.example", "\\/evil.example", "javascript:alert(1)", "%2F%2Fevil.example",
    "/%09/evil.example", "/\t/evil.example", " //evil.example", "///evil.example",
    "https:/\\evil.example", "/\r\n/evil.example", "//evil.example/%2e%2e",
    "data:text/html,<script>alert(1)</script>", "/" + "\u3002evil.example",
]


def browser_target(location: str) -> str:
    """Where a browser goes for this Location: it drops tabs and line breaks, reads
    backslashes as slashes, and resolves the rest against the page."""
    cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/").strip()
    return urljoin(BASE + "/start", cleaned)


def assert_stays_on_the_site(response, what: str) -> None:
    assert response.status_code in (302, 303), (what, response.status_code)
    target = urlsplit(browser_target(response.headers["Location"]))
    assert target.scheme == "https" and target.netloc == "tracker.test", (what, target)


#: Every place that reads `next` (grep safe_next), and what else its form needs.
NEXT_READERS = [
    ("sign in", "/login", lambda w: {"email": w.viewer.email,
                                     "password": "correct horse battery"}),
    ("signed in, back to the sign-in page", "/login", None),
    ("language", "/language", lambda w: {"locale": "de"}),
    ("check off", "/tasks/{task}/complete", lambda w: {}),
    ("reopen", "/tasks/{task}/reopen", lambda w: {}),
    ("bulk check-off", "/tasks/bulk-complete", lambda w: {"ids": [w.viewer_task.id]}),
    ("undo", "/tasks/undo", lambda w: {"ids": [w.viewer_task.id]}),
    ("revoke a feed", "/calendar/subscriptions/{feed}/revoke", lambda w: {}),
    ("restore from the trash", "/trash/tasks/{task}/restore", lambda w: {}),
]


@pytest.mark.parametrize("place,path,data", NEXT_READERS, ids=[n[0] for n in NEXT_READERS])
def test_next_never_leads_off_the_site(web, world, tokens, app, place, path, data):
    feed, _api_token = tokens
    url = path.format(task=world.editor_task.id, feed=feed.id)
    browser = web
    if place != "sign in":
        as_admin(browser, world)
        token = csrf_token(browser, "/exchanges")
    for target in FOREIGN:
        if place == "sign in":  # signing in starts a new session, with a new CSRF token
            browser = app.test_client()
            token = csrf_token(browser, "/login")
        if data is None:
            response = browser.get(url, query_string={"next": target})
        else:
            response = browser.post(url, data={**data(world), "next": target,
                                               "csrf_token": token})
        assert_stays_on_the_site(response, f"{place}: {target!r}")


def test_a_local_next_is_still_followed(web, world, app):
    client = app.test_client()
    response = client.post("/login", data={
        "email": world.viewer.email, "password": "correct horse battery",
        "next": "/tasks?status=all", "csrf_token": csrf_token(client, "/login")})
    assert response.headers["Location"] == "/tasks?status=all"


# == 5. Each role against each route ======================================================

ANYONE, ALL, EDITORS, ADMINS = "anyone", {"admin", "editor", "viewer"}, {"admin", "editor"}, {
    "admin"}
#: Whoever holds a partner link, signed in or not.
PARTNER = ALL | {"anonymous"}
#: The sign-in page: signed-in users are sent on, home.
SIGNED_OUT = "signed out"

#: Every page (GET) and who may open it; `anyone` pages need no sign-in.
PAGES = [
    ("/", ALL), ("/account", ALL), ("/logout", ALL), ("/tasks", ALL),
    ("/tasks?status=all", ALL), ("/tasks.csv", ALL), ("/tasks/{task}", ALL),
    ("/tasks/{task}.ics", ALL), ("/tasks/new", EDITORS), ("/tasks/{task}/edit", EDITORS),
    ("/tasks/{task}/plan", EDITORS), ("/exchanges", ALL), ("/exchanges/{exchange}", ALL),
    ("/exchanges/{exchange}.ics", ALL), ("/exchanges/new", EDITORS),
    ("/exchanges/{exchange}/edit", EDITORS), ("/review", ALL), ("/review.csv", ALL),
    ("/people", EDITORS), ("/people/new", EDITORS), ("/people/{person}/edit", ADMINS),
    ("/organisations", ALL), ("/organisations/new", EDITORS),
    ("/organisations/{organisation}", ALL), ("/organisations/{organisation}/edit", EDITORS),
    ("/calendar/subscriptions", ALL),
    ("/calendar/import", EDITORS), ("/login", SIGNED_OUT), ("/static/app.css", ANYONE),
    ("/calendar/{feed}.ics", ANYONE), ("/notify/settings/{settings}", ANYONE),
    ("/api/v1/openapi.json", ANYONE), ("/api/v1/docs", ANYONE),
    ("/trash", EDITORS), ("/tasks/{task}/delete", EDITORS),
    ("/exchanges/{exchange}/delete", EDITORS), ("/healthz", ANYONE),
    ("/exchanges/quick", EDITORS),
    ("/series", ALL), ("/series/{series}", ALL), ("/series/{series}.ics", ALL),
    ("/series/new", EDITORS), ("/series/{series}/edit", EDITORS),
    ("/series/{series}/delete", EDITORS), ("/series/preview", ALL),
    ("/exchanges/{exchange}/agenda", ALL), ("/exchanges/{exchange}/minutes", ALL),
    ("/exchanges/{exchange}/outcomes/{outcome}/edit", EDITORS),
    ("/search?q=Lübeck", ALL),
    ("/partner/{partner}", ANYONE), ("/partner/feed/{partner_feed}.ics", ANYONE),
    ("/organisations/{partner_organisation}/partner-links", EDITORS),
]

#: Writing routes the table of test_web_roles leaves out: (name, who may, path, data).
MORE_POSTS = [
    ("change own password", ALL, "/account/password", {"current": "falsch", "new": "x" * 12}),
    ("revoke own API token", ALL, "/account/tokens/{api_token}/revoke", {}),
    ("new calendar subscription", ALL, "/calendar/subscriptions", {"kind": "personal"}),
    ("revoke own calendar feed", ALL, "/calendar/subscriptions/{own_feed}/revoke", {}),
    ("import an invitation", EDITORS, "/calendar/import", {"file": b"BEGIN:VCALENDAR"}),
    ("save an imported invitation", EDITORS, "/calendar/import/save", {"ics": "eA=="}),
    # The partner's forms: the secret link is the permission, whoever sends them.
    ("partner reports done", PARTNER, "/partner/{partner}/tasks/{partner_task}/done", {}),
    ("partner adds a note", PARTNER, "/partner/{partner}/tasks/{partner_task}/notes",
     {"text": "Termin steht"}),
    ("partner proposes a date", PARTNER, "/partner/{partner}/tasks/{partner_task}/proposals",
     {"due_date": "2027-03-01"}),
    ("make a partner link", EDITORS, "/organisations/{partner_organisation}/partner-links/new", {}),
    ("renew a partner link", EDITORS,
     "/organisations/{partner_organisation}/partner-links/{partner_link}/renew", {}),
    ("revoke a partner link", EDITORS,
     "/organisations/{partner_organisation}/partner-links/{partner_link}/revoke", {}),
    ("mail a partner link", EDITORS,
     "/organisations/{partner_organisation}/partner-links/{partner_link}/mail", {}),
    # The proposal is on the editor's task: its owner or an editor decides.
    ("accept a proposed date", EDITORS, "/proposals/{proposal}/accept", {}),
    ("decline a proposed date", EDITORS, "/proposals/{proposal}/decline", {}),
    ("sign out", ALL, "/logout", {}),  # last: it ends the session and its CSRF token
]


def _ids(world, tokens) -> dict:
    from tracker.notify.services import settings_token

    feed, api_token = tokens
    partner = partner_of(world)
    return {"task": world.editor_task.id, "exchange": world.exchange.id,
            "outcome": world.outcome.id,
            "person": world.viewer.id, "organisation": world.kiel.id,
            "feed": feed_of(feed)[10:-4], "settings": settings_token(world.viewer),
            "api_token": api_token.id, "own_feed": feed.id, "series": series_of(world).id,
            "partner": partner["token"], "partner_feed": partner["feed"],
            "partner_task": partner["task"], "partner_link": partner["link"],
            "partner_organisation": partner["organisation"], "proposal": partner["proposal"]}


def _user(world, role):
    return {"admin": world.admin, "editor": world.editor, "viewer": world.viewer}.get(role)


@pytest.mark.parametrize("role", ["anonymous", "viewer", "editor", "admin"])
def test_each_role_against_each_page(web, world, tokens, role):
    ids = _ids(world, tokens)
    if role != "anonymous":
        login(web, _user(world, role))
    wrong = []
    for path, allowed in PAGES:
        url = path.format(**ids)
        response = web.get(url)
        if allowed == SIGNED_OUT:
            expected = 200 if role == "anonymous" else 302
        elif allowed == ANYONE or role in allowed:
            expected = 200
        elif role == "anonymous":
            expected = 302
        else:
            expected = 403
        if response.status_code != expected:
            wrong.append((url, response.status_code))
        elif role == "anonymous" and expected == 302:
            # Sent to sign in, and back here afterwards (signing out needs no way back).
            assert response.headers["Location"].startswith(
                "/login" if url == "/logout" else "/login?next="), url
    assert not wrong, wrong


@pytest.mark.parametrize("role", ["anonymous", "viewer", "editor"])
def test_each_role_is_refused_every_write_it_may_not_make(web, world, tokens, role):
    """Refusals change nothing; what each role may do is tested in test_web_roles."""
    ids = _ids(world, tokens)
    routes = [(name, allowed, path(world), data(world) if data else {})
              for name, allowed, path, data in MUTATING_ROUTES]
    routes += [(name, allowed, path.format(**ids), data)
               for name, allowed, path, data in MORE_POSTS]
    if role != "anonymous":
        login(web, _user(world, role))
    token = csrf_token(web, "/login" if role == "anonymous" else "/account")
    before = snapshot()
    wrong = []
    for name, allowed, path, data in routes:
        if role in allowed or (role == "anonymous" and name == "language"):
            continue
        data = dict(data, csrf_token=token)
        if isinstance(data.get("file"), bytes):
            data["file"] = (io.BytesIO(data["file"]), "x.ics")
        response = web.post(path, data=data)
        expected = 302 if role == "anonymous" else 403
        if response.status_code != expected:
            wrong.append((name, response.status_code))
        elif role == "anonymous":
            assert response.headers["Location"].startswith("/login"), name
    assert not wrong, wrong
    assert_unchanged(before, f"{role} refused")


def test_the_role_tables_cover_every_route(app, world, tokens):
    """A new page or form must be added to PAGES, MORE_POSTS or tests/web.py's MUTATING_ROUTES."""
    ids = _ids(world, tokens)
    adapter = app.url_map.bind("tracker.test")
    covered = set()
    for path, _allowed in PAGES:
        covered.add((adapter.match(urlsplit(path.format(**ids)).path, method="GET")[0], "GET"))
    for _name, _allowed, path, _data in MUTATING_ROUTES:
        covered.add((adapter.match(path(world), method="POST")[0], "POST"))
    for _name, _allowed, path, _data in MORE_POSTS:
        covered.add((adapter.match(path.format(**ids), method="POST")[0], "POST"))
    # Signing in and the mailed settings link are tested in test_web_accounts / test_notify.
    covered |= {("accounts.login", "POST"), ("notify.settings", "POST")}
    missing = sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules() if not rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if (rule.endpoint, method) not in covered
    )
    assert not missing, missing


def _api_writes(world) -> list[tuple]:
    """(endpoint, who may, method, path, body)."""
    w = world
    exchange = {"title": "Neu", "all_day": True, "start_date": str(a_date(5))}
    return [
        ("create_organisation_view", EDITORS, "POST", "/organisations", {"name": "Neu"}),
        ("create_person_view", EDITORS, "POST", "/people", {"name": "Neu"}),
        ("create_person_view", ADMINS, "POST", "/people", {"name": "Neu", "role": "admin"}),
        ("create_exchange_view", EDITORS, "POST", "/exchanges", exchange),
        ("update_exchange_view", EDITORS, "PATCH", f"/exchanges/{w.later.id}",
         {"title": "Neu", "version": w.later.version}),
        ("delete_exchange_view", EDITORS, "DELETE", f"/exchanges/{w.later.id}", None),
        ("create_outcome", EDITORS, "POST", f"/exchanges/{w.exchange.id}/outcomes",
         {"text": "Neu"}),
        ("create_task_view", EDITORS, "POST", "/tasks", {"title": "Neu", "owner_id": w.viewer.id}),
        ("update_task_view", EDITORS, "PATCH", f"/tasks/{w.editor_task.id}",
         {"title": "Neu", "version": w.editor_task.version}),
        ("update_task_view", EDITORS, "PATCH", f"/tasks/{w.viewer_task.id}",
         {"title": "Neu", "version": w.viewer_task.version}),
        ("delete_task_view", EDITORS, "DELETE", f"/tasks/{w.editor_task.id}", None),
        ("restore_exchange_view", EDITORS, "POST", f"/exchanges/{w.later.id}/restore", None),
        ("restore_outcome_view", EDITORS, "POST", f"/outcomes/{w.outcome.id}/restore", None),
        ("update_outcome_view", EDITORS, "PATCH", f"/outcomes/{w.outcome.id}",
         {"text": "Neu", "version": w.outcome.version}),
        ("delete_outcome_view", EDITORS, "DELETE", f"/outcomes/{w.outcome.id}", None),
        ("restore_task_view", EDITORS, "POST", f"/tasks/{w.editor_task.id}/restore", None),
        ("complete_task_view", EDITORS, "POST", f"/tasks/{w.editor_task.id}/complete", None),
        ("reopen_task_view", EDITORS, "POST", f"/tasks/{w.editor_task.id}/reopen", None),
        ("complete_task_view", ALL, "POST", f"/tasks/{w.viewer_task.id}/complete", None),
        ("create_series_view", EDITORS, "POST", "/series", exchange_like_series()),
        ("update_series_view", EDITORS, "PATCH", f"/series/{series_of(w).id}",
         {"title": "Neu", "version": series_of(w).version}),
        ("delete_series_view", EDITORS, "DELETE", f"/series/{series_of(w).id}", None),
        ("restore_series_view", EDITORS, "POST", f"/series/{series_of(w).id}/restore", None),
        ("create_note_view", EDITORS, "POST", f"/tasks/{w.editor_task.id}/notes",
         {"text": "Neu"}),
        ("create_note_view", ALL, "POST", f"/tasks/{w.viewer_task.id}/notes", {"text": "Neu"}),
        ("create_partner_link_view", EDITORS, "POST",
         f"/organisations/{w.luebeck.id}/partner-links", None),
        ("revoke_partner_link_view", EDITORS, "DELETE",
         f"/organisations/{w.luebeck.id}/partner-links/{partner_of(w)['link']}", None),
    ]


def exchange_like_series() -> dict:
    return {"title": "Neu", "all_day": True, "start_date": str(a_date(5))}


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_each_role_against_each_api_write(client, world, role):
    api = Api(client, token_for(_user(world, role)), _user(world, role))
    table = _api_writes(world)
    writes = {op.endpoint for op in OPERATIONS if op.method != "GET"}
    assert writes <= {row[0] for row in table}, "add the new operation to _api_writes"
    before = snapshot()
    for endpoint, allowed, method, path, body in table:
        if role in allowed:
            continue
        response = api._call(method, path, **({"json": body} if body is not None else {}))
        assert response.status_code == 403, (endpoint, path, response.status_code)
        assert response.mimetype == PROBLEM
    assert_unchanged(before, f"API {role}")


def test_without_a_token_every_api_operation_is_401(client, world):
    values = {"task_id": world.editor_task.id, "exchange_id": world.exchange.id,
              "outcome_id": world.outcome.id, "series_id": 1,
              "organisation_id": world.luebeck.id, "link_id": partner_of(world)["link"]}
    for op in OPERATIONS:
        path = "/api/v1" + re.sub(r"<int:(\w+)>", lambda m: str(values[m.group(1)]), op.rule)
        response = client.open(path, method=op.method, json={})
        expected = 200 if op.public else 401
        assert response.status_code == expected, (op.method, path, response.status_code)


# == 6. Tokens: another user's, revoked, guessed ===========================================


def _revoked_token(person) -> str:
    plain = token_for(person)
    with transaction():
        token = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
        account_services.revoke_api_token(token)
    return plain


def _deactivated_users_token(make) -> str:
    from tracker.accounts.services import update_person

    person = make.user("editor")
    plain = token_for(person)
    with transaction():
        update_person(person, make.user("admin"), {"active": False})
    return plain


#: (case, the Authorization header, built from a real token where it needs one)
BAD_AUTHORIZATION = [
    ("revoked", lambda real, make, w: f"Bearer {_revoked_token(w.editor)}"),
    ("of a deactivated user", lambda real, make, w: f"Bearer {_deactivated_users_token(make)}"),
    ("guessed", lambda real, make, w: "Bearer trk_" + "A" * 43),
    ("one character changed", lambda real, make, w: "Bearer " + real[:-1]
     + ("A" if real[-1] != "A" else "B")),
    ("with a character more", lambda real, make, w: f"Bearer {real}x"),
    ("without its prefix", lambda real, make, w: "Bearer " + real.removeprefix("trk_")),
    ("empty", lambda real, make, w: "Bearer "),
    ("scheme only", lambda real, make, w: "Bearer"),
    ("basic auth", lambda real, make, w: "Basic " + base64.b64encode(
        b"anna@rostock.example:correct horse battery").decode()),
    ("token as the scheme", lambda real, make, w: real),
    ("huge", lambda real, make, w: "Bearer " + "trk_" + "A" * 100_000),
    ("non-ascii", lambda real, make, w: "Bearer trk_Ärger\u00ff\u00e9"),
    ("sql", lambda real, make, w: "Bearer ' OR 1=1 --"),
    ("nul", lambda real, make, w: "Bearer trk_\x00"),
    ("two tokens", lambda real, make, w: f"Bearer {real}, Bearer {real}"),
]


def test_a_bad_api_token_gets_401_problem_json(client, world, make):
    real = token_for(world.admin)
    for case, header in BAD_AUTHORIZATION:
        value = header(real, make, world)
        before = snapshot()
        response = client.post("/api/v1/tasks", headers={"Authorization": value},
                               json={"title": "x", "owner_id": world.admin.id})
        assert response.status_code == 401, (case, response.status_code)
        assert response.mimetype == PROBLEM, case
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), case
        me = client.get("/api/v1/me", headers={"Authorization": value})
        assert me.status_code == 401, case
        assert_unchanged(before, case)


def test_a_token_in_the_url_or_a_cookie_is_not_a_token(client, world):
    real = token_for(world.admin)
    assert client.get(f"/api/v1/me?access_token={real}").status_code in (401, 422)
    client.set_cookie("Authorization", f"Bearer {real}")
    assert client.get("/api/v1/me").status_code == 401


def test_a_token_acts_only_as_the_user_it_belongs_to(client, world):
    viewer = Api(client, token_for(world.viewer), world.viewer)
    assert viewer.get("/me").get_json()["id"] == world.viewer.id
    before = snapshot()
    response = viewer.patch(f"/tasks/{world.editor_task.id}",
                            json={"title": "Übernommen", "version": world.editor_task.version})
    assert response.status_code == 403
    assert_unchanged(before, "viewer patch")
    # Another user's revoked token does not open the API to whoever still holds it.
    gone = _revoked_token(world.editor)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {gone}"}).status_code == 401


#: Feed URLs nobody was given: (case, the token part of /calendar/<token>.ics).
BAD_FEED_TOKENS = [
    ("guessed", "A" * 43), ("short", "abc"), ("long", "A" * 5000),
    ("path traversal", "..%2F..%2Fetc%2Fpasswd"), ("dots", "...."),
    ("sql", "' OR 1=1 --"), ("nul", "%00" * 30), ("unicode", "Ä" * 30),
    ("api token", "trk_" + "A" * 43),
]


def test_feed_tokens_revoked_guessed_or_of_another_person(client, world):
    from tests.calendar_support import issue
    from tracker.calendar.services import revoke_feed

    mine = issue(world.viewer)
    theirs = issue(world.editor)
    mine_body = client.get(f"/calendar/{mine}.ics").data
    theirs_body = client.get(f"/calendar/{theirs}.ics").data
    both = {"Protokoll verschicken", "Raum buchen"}
    assert titles_in_feed(mine_body, both) == {"Protokoll verschicken"}
    assert titles_in_feed(theirs_body, both) == {"Raum buchen"}
    for case, raw in BAD_FEED_TOKENS:
        response = client.get(f"/calendar/{raw}.ics")
        assert response.status_code == 404, (case, response.status_code)
        assert b"BEGIN:VCALENDAR" not in response.data
    token = db.session.scalar(select(FeedToken).where(FeedToken.person_id == world.viewer.id))
    with transaction():
        revoke_feed(token)
    assert client.get(f"/calendar/{mine}.ics").status_code == 404
    assert client.get(f"/calendar/{theirs}.ics").status_code == 200


def test_mailed_settings_links_cannot_be_guessed_or_forged(client, world):
    from itsdangerous import URLSafeSerializer

    forged = URLSafeSerializer("not-our-key").dumps({"p": world.viewer.id, "e": "x"})
    for raw in ("", "x", "A" * 5000, "' OR 1=1 --", forged, "..%2F..%2Fetc%2Fpasswd"):
        response = client.get(f"/notify/settings/{raw}")
        assert response.status_code == 404, (raw[:20], response.status_code)
        response = client.post(f"/notify/settings/{raw}", data={"digest": "never"})
        assert response.status_code in (400, 404), (raw[:20], response.status_code)
    assert fresh(world.viewer).digest != "never"


# == 7. Uploads: huge, binary, malformed ==================================================

TRUNCATED = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:t@test\r\n"
             b"DTSTART;VALUE=DATE:20270101\r\nSUMMARY:Abgeschni")
ONE_EVENT = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u@test\r\n"
             b"DTSTART;VALUE=DATE:20270101\r\nSUMMARY:Workshop\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")

#: (case, the request's form data, the status it gets)
BAD_UPLOADS = [
    ("binary garbage", lambda: {"file": (io.BytesIO(bytes(range(256)) * 64), "x.ics")}, 400),
    ("a gzip file", lambda: {"file": (io.BytesIO(b"\x1f\x8b\x08\x00" + b"\x00" * 500),
                                      "invite.ics.gz")}, 400),
    ("a truncated invitation", lambda: {"file": (io.BytesIO(TRUNCATED), "x.ics")}, 400),
    ("deeply nested components", lambda: {"file": (io.BytesIO(
        b"BEGIN:VCALENDAR\r\n" + b"BEGIN:X-A\r\n" * 5_000 + ONE_EVENT[17:-15]
        + b"END:X-A\r\n" * 5_000 + b"END:VCALENDAR\r\n"), "x.ics")}, (200, 400)),
    ("10,000 events", lambda: {"file": (io.BytesIO(
        b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\nDTSTART:20270101\r\nEND:VEVENT\r\n" * 10_000
        + b"END:VCALENDAR\r\n"), "x.ics")}, 400),
    ("an empty file", lambda: {"file": (io.BytesIO(b""), "x.ics")}, 400),
    ("UTF-16", lambda: {"file": (io.BytesIO(ONE_EVENT.decode().encode("utf-16")), "x.ics")},
     (200, 400)),
    ("a NUL in the title", lambda: {"file": (io.BytesIO(
        ONE_EVENT.replace(b"SUMMARY:Workshop", b"SUMMARY:Work\x00shop")), "x.ics")}, (200, 400)),
    ("no file, only text", lambda: {"file": ONE_EVENT.decode()}, 400),
    ("the file under another name", lambda: {"upload": (io.BytesIO(ONE_EVENT), "x.ics")}, 400),
    ("a file name that climbs", lambda: {"file": (io.BytesIO(b"%PDF-1.7"), "../../etc/passwd")},
     400),
    ("larger than allowed", lambda: {"file": (io.BytesIO(b"BEGIN:VCALENDAR\r\n"
                                                         + b"X" * 700_000), "x.ics")}, 413),
]


def test_a_bad_invitation_upload_gets_a_clear_message_and_saves_nothing(web, world):
    as_admin(web, world)
    token = csrf_token(web, "/calendar/import")
    for case, data, status in BAD_UPLOADS:
        before = snapshot()
        response = web.post("/calendar/import", data={"csrf_token": token, **data()},
                            content_type="multipart/form-data")
        assert response.status_code in (status if isinstance(status, tuple) else (status,)), (
            case, response.status_code)
        body = response.get_data(as_text=True)
        if response.status_code != 200:
            assert 'role="alert"' in body, case
        if case == "10,000 events":
            assert "100" in page_text(response), case
        assert_unchanged(before, case)
        # What a preview shows can be saved as it is, or is refused as clearly.
        match = re.search(r'name="ics" type="hidden" value="([^"]+)"', body)
        if match:
            saved = web.post("/calendar/import/save",
                             data={"csrf_token": token, "ics": match.group(1)})
            assert saved.status_code in (303, 400), (case, saved.status_code)


#: What a tampered preview could send back instead of the file it showed.
TAMPERED_SAVES = ["", "!!!", "A" * 2_000_000, base64.b64encode(bytes(range(256))).decode(),
                  base64.b64encode(b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\n" * 500).decode()]


def test_a_tampered_import_save_is_refused(web, world):
    as_admin(web, world)
    token = csrf_token(web, "/calendar/import")
    before = snapshot()
    for ics in TAMPERED_SAVES:
        response = web.post("/calendar/import/save",
                            data={"csrf_token": token, "ics": ics, "uid": "x"})
        assert response.status_code in (400, 413), (ics[:20], response.status_code)
        assert 'role="alert"' in response.get_data(as_text=True), ics[:20]
    assert_unchanged(before, "import save")


#: Pages with a form, each sent a 20 MB upload it never asked for.
HUGE_POST_TARGETS = ["/tasks/new", "/exchanges/new", "/account", "/login",
                     "/calendar/subscriptions", "/tasks/bulk-complete"]


def test_a_huge_post_to_any_page_gets_413_with_a_clear_page(web, world):
    as_admin(web, world)
    token = csrf_token(web, "/exchanges")
    before = snapshot()
    for path in HUGE_POST_TARGETS:
        response = web.post(path, content_type="multipart/form-data", data={
            "csrf_token": token, "title": "x", "name": "x", "kind": "team",
            "owner_id": world.admin.id,
            "attachment": (io.BytesIO(b"\0" * 20_000_000), "big.bin")})
        assert response.status_code == 413, (path, response.status_code)
        page = response.get_data(as_text=True)
        assert "<h1>" in page and "2 MB" in page, path
    assert_unchanged(before, "huge posts")


def test_a_huge_api_body_gets_413_problem_json(client, world):
    api = Api(client, token_for(world.admin), world.admin)
    before = snapshot()
    response = api.post("/tasks", data=b'{"title": "' + b"x" * 20_000_000 + b'"}',
                        content_type="application/json")
    assert response.status_code == 413 and response.mimetype == PROBLEM
    assert_unchanged(before, "API")


def assert_failed_clearly(result, what: str) -> None:
    """A command refused with one line saying why (exit code 1), not a traceback."""
    assert result.exit_code == 1, (what, result.output)
    assert isinstance(result.exception, SystemExit), (what, result.exception)
    assert "Error: " in result.output and "Traceback" not in result.output, (what, result.output)


#: Export files a careless or damaged copy could hand to `flask import`.
BAD_EXPORTS = [
    ("deeply nested JSON", "[" * 100_000 + "]" * 100_000),
    ("a JSON string", json.dumps("followup-tracker-export")),
    ("a NUL byte", "\x00"),
    ("a number longer than Python reads", "[" + "7" * 5000 + "]"),
    ("UTF-16", json.dumps({"format": "followup-tracker-export"}).encode("utf-16").decode(
        "latin-1")),
]


def test_import_of_a_hostile_file_fails_clearly(ctx, runner, tmp_path):
    before = snapshot()
    for case, content in BAD_EXPORTS:
        path = tmp_path / "export.json"
        path.write_text(content, encoding="latin-1")
        result = runner.invoke(args=["import", str(path)])
        assert_failed_clearly(result, case)
        assert_unchanged(before, case)


def test_import_of_values_a_column_cannot_hold_fails_clearly(ctx, runner, tmp_path, make):
    make.task(title="Vorher")
    good = tmp_path / "good.json"
    assert runner.invoke(args=["export", str(good)]).exit_code == 0
    data = json.loads(good.read_text())
    columns = data["tables"]["tasks"]["columns"]
    empty_all_tables()
    for column, value in (("id", 2**70), ("title", "Null\x00Byte"), ("title", "x" * 100_000)):
        row = list(data["tables"]["tasks"]["rows"][0])
        row[columns.index(column)] = value
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({**data, "tables": {**data["tables"], "tasks": {
            "columns": columns, "rows": [row]}}}))
        before = snapshot()
        result = runner.invoke(args=["import", str(bad)])
        assert result.exit_code in (0, 1), (column, result.output, result.exception)
        if result.exit_code == 1:
            assert_failed_clearly(result, column)
            assert_unchanged(before, column)
        else:
            empty_all_tables()


# == 8. Text that reaches a file name ======================================================

HOSTILE_NAMES = ["../../etc/passwd", "..\\..\\boot.ini", 'a"b\r\nSet-Cookie: x=1',
                 "Ärger über Öl 😀 résumé", "con.ics", "<script>x</script>.csv"]


def test_titles_never_reach_a_download_s_file_name_or_headers(web, world, make):
    as_admin(web, world)
    downloads = ["/tasks.csv", "/tasks.csv?status=all", "/review.csv",
                 "/review.csv?by=owner", "/review.csv?by=organisation"]
    for n, name in enumerate(HOSTILE_NAMES):
        clean = name.replace("\r\n", " ")
        exchange = make.exchange(title=clean, all_day=True, start_date=a_date(n + 1),
                                 participant_ids=[world.admin.id])
        task = make.task(title=clean, owner_id=world.admin.id, exchange_id=exchange.id)
        downloads += [f"/exchanges/{exchange.id}.ics", f"/tasks/{task.id}.ics"]
    from tests.calendar_support import issue

    downloads.append(f"/calendar/{issue(world.admin)}.ics")
    for path in downloads:
        response = web.get(path)
        assert response.status_code == 200, path
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(r'(attachment|inline); filename="[A-Za-z0-9._-]+"', disposition), (
            path, disposition)
        assert ".." not in disposition
        assert "Set-Cookie" not in response.headers or "x=1" not in response.headers[
            "Set-Cookie"], path
        for header, value in response.headers.items():
            assert "\r" not in value and "\n" not in value, (path, header)


def test_export_to_a_path_that_cannot_be_written_fails_clearly(ctx, runner, tmp_path):
    for target in (tmp_path / "no-such-dir" / "export.json", tmp_path):
        result = runner.invoke(args=["export", str(target)])
        assert result.exit_code != 0, target
        assert "Error" in result.output and "Traceback" not in result.output, (
            target, result.output, result.exception)
    assert not (tmp_path / "no-such-dir").exists()


# -- a check on the tables themselves ---------------------------------------------------


def test_the_attack_tables_hold_what_the_issue_asks_for():
    assert {"'", ";", "%", "\x00", "\\"} <= set("".join(p for _, p, _ in SQLI))
    assert any(len(p) > 1000 for _, p, _ in SQLI)
    assert {"//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
            "javascript:alert(1)", "%2F%2Fevil.example", "/%09/evil.example",
            " //evil.example"} <= set(FOREIGN)
