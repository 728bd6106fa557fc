"""User text is shown escaped and intact everywhere; pages speak German or English fully;
no inline scripts or styles (the strict CSP of the reliability issue)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from markupsafe import escape

from tests.web import a_date, fresh, login, post, visible_texts

NASTY = "<script>alert(\"x\")</script> \"Zitat\" 'Apostroph' Ärger über Öl & Größe 😀🚲"
LONG = ("Sehr lange Beschreibung mit Umlauten äöüß und Emoji 🎉. " * 200)[:5000]

CATALOG = Path(__file__).resolve().parent.parent / "tracker/translations/de/LC_MESSAGES"


@pytest.fixture
def nasty(world, make):
    org = make.organisation(name=NASTY[:190], short_name="<b>kurz</b>")
    exchange = make.exchange(title=NASTY, all_day=True, start_date=a_date(3),
                             description=LONG, location=NASTY,
                             organisation_ids=[org.id], participant_ids=[world.editor.id])
    outcome = make.outcome(exchange, text=NASTY)
    task = make.task(title=NASTY, description=LONG, owner_id=world.editor.id,
                     exchange_id=exchange.id, outcome_id=outcome.id, organisation_id=org.id,
                     due_date=a_date(-1))
    return {"org": org, "exchange": exchange, "task": task}


def test_user_text_is_escaped_and_intact_on_every_page(web, world, nasty):
    login(web, world.editor)
    escaped = str(escape(NASTY))
    task, exchange = nasty["task"], nasty["exchange"]
    pages = ["/", "/tasks", f"/tasks/{task.id}", f"/tasks/{task.id}/edit", "/exchanges",
             f"/organisations/{task.organisation_id}",
             f"/exchanges/{exchange.id}", f"/exchanges/{exchange.id}/edit", "/review",
             "/review?by=owner", "/review?by=organisation"]
    for path in pages:
        page = web.get(path).get_data(as_text=True)
        assert "<script>alert" not in page, path
        assert "<b>kurz</b>" not in page, path
        assert escaped in page or escaped[:180] in page, path
    task_page = web.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert str(escape(LONG)) in task_page
    exchange_page = web.get(f"/exchanges/{exchange.id}").get_data(as_text=True)
    assert str(escape(LONG)) in exchange_page
    # The admin pages show organisation names.
    post(web, "/logout")
    login(web, world.admin)
    page = web.get("/organisations").get_data(as_text=True)
    assert "&lt;b&gt;kurz&lt;/b&gt;" in page and "<b>kurz</b>" not in page


def test_user_text_round_trips_through_the_edit_form(web, world, nasty):
    login(web, world.editor)
    task = nasty["task"]
    response = post(web, f"/tasks/{task.id}/edit", {
        "title": NASTY, "description": LONG, "owner_id": world.editor.id,
        "due_date": str(a_date(-1)), "version": str(task.version)})
    assert response.status_code == 302
    stored = fresh(task)
    assert stored.title == NASTY and stored.description == LONG


def test_csv_keeps_user_text_intact(web, world, nasty):
    login(web, world.editor)
    body = web.get("/tasks.csv").data.decode("utf-8-sig")
    assert '"<script>alert(""x"")</script> ""Zitat""' in body and "😀🚲" in body


def _english_msgids() -> set[str]:
    with open(CATALOG / "messages.po", "rb") as f:
        catalog = read_po(f)
    english, german = set(), set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        assert "fuzzy" not in message.flags, f"fuzzy: {message.id!r}"
        german.update(strings)
        for msgid, msgstr in zip(ids, strings, strict=False):
            if msgid != msgstr and "%(" not in msgid:
                english.add(msgid)
    # A word both languages spell alike ("Filter") is not a leftover.
    return english - german


def test_the_catalog_is_complete_and_compiled():
    _english_msgids()
    po = (CATALOG / "messages.po").stat().st_mtime
    assert (CATALOG / "messages.mo").exists()
    assert (CATALOG / "messages.mo").stat().st_mtime >= po - 5


#: Words that on a German page can only be untranslated English.
ENGLISH_WORDS = re.compile(
    r"\b(the|and|your|with|from|Save|Cancel|Edit|Delete|Search|Due|Owner|Tasks?|"
    r"Exchanges?|Outcomes?|Sign|Overdue|overdue|week|Later|Add|New|none|nobody|choose|"
    r"required|Page|Next|Previous|People|Account|Password|Language|Check|"
    r"Undo|Reopen|open|done|planned|held|cancelled|This field)\b"
)


def _german_pages(world, nasty_free_task, exchange):
    return [
        "/", "/tasks", "/tasks?status=all", f"/tasks/{nasty_free_task.id}",
        f"/tasks/{nasty_free_task.id}/edit", "/tasks/new", f"/tasks/{nasty_free_task.id}/plan",
        "/exchanges", "/exchanges?when=past", "/exchanges/new", f"/exchanges/{exchange.id}",
        f"/exchanges/{exchange.id}/edit", "/review", "/review?by=owner",
        "/review?by=organisation", "/account", "/people", "/people/new",
        f"/people/{world.viewer.id}/edit", "/organisations", "/organisations/new",
        f"/organisations/{world.kiel.id}/edit", f"/organisations/{world.luebeck.id}",
        f"/organisations/{world.kiel.id}", "/logout", "/no-such-page",
    ]


def test_no_english_is_left_on_german_pages(web, world, make):
    from tracker.core.database import transaction
    from tracker.tasks.services import complete_task

    done = make.task(title="Erledigte Aufgabe", owner_id=world.admin.id, due_date=None)
    with transaction():
        complete_task(done, world.admin)
    english = _english_msgids()
    login(web, world.admin, locale="de")
    pages = _german_pages(world, world.viewer_task, world.exchange)
    # Pages with form errors, too.
    checked = []
    for path in pages:
        checked.append((path, web.get(path).get_data(as_text=True)))
    checked.append(("task errors", post(web, "/tasks/new", {"title": "",
                                                            "due_date": "kein Datum"}).get_data(
        as_text=True)))
    checked.append(("exchange errors", post(web, "/exchanges/new", {"title": ""}).get_data(
        as_text=True)))
    user_text = {world.admin.name, world.editor.name, world.viewer.name}
    for path, html in checked:
        assert '<html lang="de">' in html, path
        texts = [t for t in visible_texts(html) if t not in user_text]
        leftovers = [t for t in texts if t in english]
        assert not leftovers, (path, leftovers)
        joined = " ".join(t for t in texts if not any(n in t for n in user_text))
        match = ENGLISH_WORDS.search(joined)
        assert match is None, (path, match and joined[max(0, match.start() - 60):match.end() + 60])


def test_english_when_the_user_or_browser_asks(web, world):
    login(web, world.editor, locale="en")
    page = web.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "My follow-ups" in page and "Check off" in page
    assert "3 days overdue" in web.get("/review").get_data(as_text=True)


def test_dates_are_formatted_per_language(web, world):
    login(web, world.editor, locale="de")
    day = a_date(-3)
    months_de = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                 "September", "Oktober", "November", "Dezember"]
    page = web.get(f"/tasks/{world.viewer_task.id}").get_data(as_text=True)
    assert f"{day.day}. {months_de[day.month - 1]} {day.year}" in page
    assert day.strftime("%d.%m.%Y") in page
    post(web, "/language", {"locale": "en"})
    page = web.get(f"/tasks/{world.viewer_task.id}").get_data(as_text=True)
    assert f"{day.strftime('%B')} {day.day}, {day.year}" in page


def test_no_inline_scripts_or_styles_and_a_strict_csp(web, world):
    login(web, world.editor)
    for path in ["/", "/tasks", f"/exchanges/{world.exchange.id}", "/review", "/account"]:
        response = web.get(path)
        html = response.get_data(as_text=True)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, path
        assert "<style" not in html and " style=" not in html, path
        assert re.search(r"\son[a-z]+=", html) is None, path  # no onclick= handlers
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", ""), path
