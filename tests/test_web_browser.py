"""The user's story in real headless Chromium against a live server, and axe-core scans.

Skipped when /usr/bin/chromium is missing, unless CI=true (then a missing browser fails).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_support import assert_no_problems, scan_problems
from tests.web import PASSWORD, a_date
from tracker.extensions import db

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
        reason="needs Debian's chromium at /usr/bin/chromium",
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def team(make):
    """Jonas (editor) signs in; Lübeck and Kiel; Jan from Kiel; a later workshop."""
    jonas = make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    luebeck = make.organisation(name="Hansestadt Lübeck", short_name="Lübeck")
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    jan = make.person(name="Jan Thomsen", email="jan@kiel.example", organisation_id=kiel.id)
    later = make.exchange(title="Governance-Workshop", all_day=True, start_date=a_date(30),
                          organisation_ids=[luebeck.id, kiel.id], participant_ids=[jonas.id])
    values = {"email": jonas.email, "jan": jan.name, "later_id": later.id,
              "later_day": later.start_date}
    # The live server writes from another thread: the test's session must not hold a lock.
    db.session.rollback()
    return values


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{base}/")


def _new_context(browser, **kwargs):
    return browser.new_context(locale="de-DE", extra_http_headers={"Accept-Language": "de"},
                               accept_downloads=True, **kwargs)


def test_the_users_story(browser, live_server, team, tmp_path):
    base = live_server
    context = _new_context(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Sign in.
    _sign_in(page, base, team["email"])
    assert page.get_by_role("heading", level=1).inner_text() == "Meine Aufgaben"

    # Create an exchange with two organisations.
    page.get_by_role("link", name="Austausche").click()
    page.get_by_role("link", name="Neuer Austausch").click()
    page.get_by_label("Titel").fill("Besuch in Lübeck: Smart-City-Austausch")
    page.get_by_label("Art").select_option("visit")
    page.get_by_label("Ganztägig (Daten ohne Uhrzeit)").check()
    page.get_by_label("Erster Tag").fill(str(a_date(0)))
    page.get_by_label("Ort").fill("Lübeck, Rathaus")
    # The organisations picker: type to filter, Enter to choose.
    page.get_by_role("combobox", name="Organisationen").click()
    for name in ("Lüb", "Kiel"):
        page.keyboard.type(name)
        page.keyboard.press("Enter")
    page.get_by_role("button", name="Austausch speichern").click()
    page.wait_for_url(f"{base}/exchanges/*")
    exchange_url = page.url.split("#")[0]
    assert "Hansestadt Lübeck, Landeshauptstadt Kiel" in page.content()

    # An outcome with two tasks in one form, one of them due at a later exchange.
    page.get_by_label("Was vereinbart wurde").fill(
        "Lübeck, Kiel und Rostock halten einen Governance-Workshop in Rostock ab")
    rows = page.locator(".task-row")

    def pick(row, label: str, text: str) -> None:
        row.get_by_role("combobox", name=label).fill(text)
        page.keyboard.press("Enter")

    rows.nth(0).get_by_label("Aufgabe", exact=True).fill("Protokoll an alle verschicken")
    pick(rows.nth(0), "Verantwortlich", "Jonas")
    rows.nth(0).get_by_label("Fällig am").fill(str(a_date(2)))
    rows.nth(1).get_by_label("Aufgabe", exact=True).fill(
        "Ergebnisse der Persona-Arbeit vorstellen")
    pick(rows.nth(1), "Verantwortlich", team["jan"])
    pick(rows.nth(1), "Partner", "Kiel")
    pick(rows.nth(1), "oder fällig zu einem Austausch", "Governance")
    page.get_by_role("button", name="Ergebnis festhalten").click()
    page.locator(".flash-success").wait_for()
    outcome = page.locator("article.outcome").first
    assert "Governance-Workshop in Rostock" in outcome.inner_text()
    text = outcome.inner_text()
    assert "Protokoll an alle verschicken" in text
    assert "fällig zu Governance-Workshop" in text

    # Check one off from the home page, with JavaScript: no reload.
    page.get_by_role("link", name="Meine Aufgaben").click()
    page.evaluate("window.__noReload = true")
    row = page.locator("li.task", has_text="Protokoll an alle verschicken")
    row.get_by_role("button", name="Abhaken").click()
    row = page.locator("li.task", has_text="Protokoll an alle verschicken")
    row.get_by_role("button", name="Wieder öffnen").wait_for()
    assert page.evaluate("window.__noReload") is True
    assert "Abgehakt: Protokoll an alle verschicken" in page.locator("#messages").inner_text()
    row.get_by_role("button", name="Wieder öffnen").click()
    page.locator("li.task", has_text="Protokoll an alle verschicken").get_by_role(
        "button", name="Abhaken").wait_for()

    # ... and without JavaScript: a plain form POST, then the page again with an undo.
    plain = _new_context(browser, java_script_enabled=False)
    nojs = plain.new_page()
    _sign_in(nojs, base, team["email"])
    nojs.locator("li.task", has_text="Protokoll an alle verschicken").get_by_role(
        "button", name="Abhaken").click()
    nojs.wait_for_load_state()
    assert "Abgehakt: Protokoll an alle verschicken" in nojs.locator("#messages").inner_text()
    assert nojs.get_by_role("button", name="Rückgängig").is_visible()
    assert "Protokoll an alle verschicken" not in nojs.locator("main ul.tasks").all_inner_texts()
    plain.close()

    # Find the other on the review page, grouped by partner.
    page.get_by_role("link", name="Rückschau").click()
    page.get_by_role("link", name="Partnerorganisation").click()
    kiel = page.locator("section.review-group", has=page.get_by_role(
        "heading", name="Landeshauptstadt Kiel"))
    assert "Ergebnisse der Persona-Arbeit vorstellen" in kiel.inner_text()
    assert "in 4 Wochen" in kiel.inner_text()

    # Export the CSV.
    with page.expect_download() as info:
        page.get_by_role("link", name="Als CSV exportieren").click()
    path = tmp_path / "review.csv"
    info.value.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    assert "Landeshauptstadt Kiel;" in raw.decode("utf-8-sig")

    # Switch to English and back.
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Open commitments"
    page.get_by_role("button", name="Deutsch").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Offene Zusagen"

    page.goto(exchange_url)
    assert errors == [], errors  # no CSP violations or script errors on the way
    context.close()


PAGES = ["/", "/exchanges/{exchange}", "/tasks", "/review", "/review?by=organisation",
         "/account", "/exchanges", "/exchanges/new", "/tasks/new", "/tasks/{task}"]


@pytest.fixture
def scanned(make, team):
    from tracker.accounts.models import Person

    owner = db.session.scalar(db.select(Person).where(Person.email == team["email"]))
    exchange = make.exchange(title="Werkstatt Rostock", all_day=True, start_date=a_date(1),
                             participant_ids=[owner.id])
    outcome = make.outcome(exchange, text="Gemeinsame Datenplattform prüfen")
    task = make.task(title="Angebot einholen", owner_id=owner.id, exchange_id=exchange.id,
                     outcome_id=outcome.id, due_date=a_date(-2))
    make.task(title="Termin abstimmen", owner_id=owner.id, exchange_id=exchange.id,
              due_date=a_date(3))
    ids = {"exchange": exchange.id, "task": task.id}
    db.session.rollback()
    return ids


@pytest.mark.parametrize("width", [1280, 375])
def test_accessibility_scan_finds_no_violations(browser, live_server, team, scanned, width):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = _new_context(browser, viewport={"width": width, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server, team["email"])
    problems = {}
    for path in PAGES:
        page.goto(live_server + path.format(**scanned))
        problems |= scan_problems(page, axe, path, width)
    context.close()
    assert_no_problems(problems)


def test_keyboard_focus_is_visible(browser, live_server, team, scanned):
    context = _new_context(browser)
    page = context.new_page()
    _sign_in(page, live_server, team["email"])
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    context.close()


def test_the_review_prints_without_navigation_and_forms(browser, live_server, team, scanned):
    context = _new_context(browser)
    page = context.new_page()
    _sign_in(page, live_server, team["email"])
    page.goto(f"{live_server}/review")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("button", name="Abhaken").first.is_visible()
    assert page.get_by_role("link", name="Angebot einholen").is_visible()
    assert page.locator(".print-only").is_visible()  # "Stand: <date>"
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")
    context.close()


def test_admin_and_sign_in_pages_pass_the_accessibility_scan(browser, live_server, make):
    from axe_playwright_python.sync_playwright import Axe

    admin = make.user("admin", name="Anna Schmidt", email="anna@rostock.example")
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    ids = {"person": admin.id, "organisation": kiel.id, "email": admin.email}
    db.session.rollback()
    axe = Axe()
    context = _new_context(browser, viewport={"width": 375, "height": 800})
    page = context.new_page()
    problems = {}
    page.goto(f"{live_server}/login")
    if (results := axe.run(page)).violations_count:
        problems["/login"] = results.generate_report()
    _sign_in(page, live_server, ids["email"])
    for path in ["/people", "/people/new", f"/people/{ids['person']}/edit", "/organisations",
                 "/organisations/new", f"/organisations/{ids['organisation']}/edit",
                 "/no-such-page"]:
        page.goto(live_server + path)
        if (results := axe.run(page)).violations_count:
            problems[path] = results.generate_report()
    context.close()
    assert_no_problems(problems)


def test_a_deleted_exchange_is_restored_whole_from_the_trash(browser, live_server, make):
    """Jonas deletes an exchange with its outcome and tasks, then restores it from /trash."""
    jonas = make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    exchange = make.exchange(title="Besuch in Kiel", all_day=True, start_date=a_date(1))
    outcome = make.outcome(exchange, text="Kiel teilt seine Datenplattform")
    make.task(title="Zugang beantragen", owner_id=jonas.id, outcome_id=outcome.id)
    make.task(title="Fotos verschicken", owner_id=jonas.id, exchange_id=exchange.id)
    exchange_id = exchange.id
    # The live server writes from another thread: the test's session must not hold a lock.
    db.session.rollback()
    base = live_server
    context = _new_context(browser)
    page = context.new_page()
    _sign_in(page, base, "jonas@rostock.example")

    page.goto(f"{base}/exchanges/{exchange_id}")
    page.get_by_role("link", name="Austausch löschen").click()
    assert "1 Ergebnis · 2 Aufgaben" in page.content()
    page.get_by_role("button", name="Löschen").click()
    page.wait_for_url(f"{base}/exchanges")
    assert "Austausch gelöscht: Besuch in Kiel" in page.content()
    assert page.get_by_role("button", name="Rückgängig").is_visible()

    page.get_by_role("link", name="Papierkorb").click()
    row = page.locator(f"#trash-exchanges-{exchange_id}")
    assert "mit 1 Ergebnis, 2 Aufgaben" in row.inner_text()
    assert "Jonas Becker" in row.inner_text()
    row.get_by_role("button", name="Wiederherstellen").click()
    page.wait_for_url(f"{base}/exchanges/{exchange_id}")
    text = page.content()
    assert "Wiederhergestellt: Besuch in Kiel" in text
    for shown in ("Kiel teilt seine Datenplattform", "Zugang beantragen", "Fotos verschicken"):
        assert shown in text
    context.close()


# -- series ------------------------------------------------------------------------------


def _first_wednesday_in(months: int):
    """The first Wednesday of the month `months` after this one."""
    from datetime import date, timedelta

    today = a_date(0)
    total = today.year * 12 + today.month - 1 + months
    first = date(total // 12, total % 12 + 1, 1)
    return first + timedelta(days=(2 - first.weekday()) % 7)


def test_a_series_made_with_the_recurrence_form_shows_its_next_meetings(
        browser, live_server, team):
    context = _new_context(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server, team["email"])
    page.get_by_role("link", name="Reihen").click()
    page.get_by_role("link", name="Neue Reihe").click()
    page.get_by_label("Titel").fill("Smart City-Werkstatt")
    page.get_by_label("Art", exact=True).select_option("werkstatt")
    start = _first_wednesday_in(2)
    page.get_by_label("Erstes Treffen beginnt").fill(f"{start}T14:00")
    page.get_by_label("Wiederholung", exact=True).select_option("quarterly")
    # The words and dates follow the choices at once (app.js asks /series/preview) …
    page.get_by_text("jeden ersten Mittwoch im Quartal").wait_for()
    assert page.locator("#series-preview li").count() == 6
    # … and the button shows them without the script too.
    page.get_by_role("button", name="Termine anzeigen").click()
    assert page.get_by_text("jeden ersten Mittwoch im Quartal").is_visible()
    assert "FREQ=" not in page.content()
    page.get_by_role("button", name="Reihe speichern").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Smart City-Werkstatt"
    assert page.get_by_role("heading", name="Nächstes Treffen").is_visible()
    coming = page.locator("#coming-heading + ul li")
    assert coming.count() >= 4
    assert "14:00" in coming.first.inner_text()
    assert errors == [], errors
    context.close()


@pytest.fixture
def a_series(team):
    from tracker.accounts.models import Person
    from tracker.core.database import transaction
    from tracker.core.timeutil import from_local
    from tracker.series.services import create_series

    owner = db.session.scalar(db.select(Person).where(Person.email == team["email"]))
    from datetime import time

    with transaction():
        series = create_series(
            owner, title="Smart City-Werkstatt", kind="werkstatt",
            starts_at=from_local(_first_wednesday_in(-4), time(14)),
            rrule="FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE", location="Rathaus Rostock",
            participant_ids=[owner.id])
    ident = series.id
    db.session.rollback()
    return ident


# -- the organisation page and adding an organisation from inside the exchange form --------

@pytest.fixture
def partner(make, team):
    """Kiel with an overdue, an open and a done commitment, a contact, an exchange and a
    report through its partner link."""
    from sqlalchemy import select

    from tracker.accounts.models import Person
    from tracker.core.database import transaction
    from tracker.organisations.models import Organisation
    from tracker.tasks.services import add_note, complete_task

    owner = db.session.scalar(select(Person).where(Person.email == team["email"]))
    kiel = db.session.scalar(select(Organisation).where(Organisation.short_name == "Kiel"))
    exchange = make.exchange(title="Datenstrategie-Workshop", all_day=True,
                             start_date=a_date(-20), organisation_ids=[kiel.id])
    late = make.task(title="Persona-Unterlagen schicken", owner_id=owner.id,
                     organisation_id=kiel.id, exchange_id=exchange.id, due_date=a_date(-3),
                     translations={"en": {"title": "Send the persona material"}})
    make.task(title="Workshop vorbereiten", owner_id=owner.id, organisation_id=kiel.id,
              due_date=a_date(9))
    done = make.task(title="Raum buchen", owner_id=owner.id, organisation_id=kiel.id)
    with transaction():
        complete_task(done, None)
        add_note(late, None, "Entwurf folgt im Januar", organisation_id=kiel.id)
    ids = {"organisation": kiel.id}
    db.session.rollback()
    return ids


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["de", "en"])
def test_the_series_pages_pass_the_accessibility_scan(browser, live_server, team, a_series,
                                                      width, language):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(
        locale="de-DE" if language == "de" else "en-GB",
        extra_http_headers={"Accept-Language": language},
        viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.locator("input[type=email]").fill(team["email"])
    page.locator("input[type=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server}/")
    problems = {}
    for path in ["/series", f"/series/{a_series}", f"/series/{a_series}/edit", "/series/new"]:
        page.goto(live_server + path)
        assert page.locator("html").get_attribute("lang") == language
        problems |= scan_problems(page, axe, path, width)
    context.close()
    assert_no_problems(problems)


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["de", "en"])
def test_the_organisation_page_passes_the_accessibility_scan(
    browser, live_server, team, partner, width, language
):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(
        locale="de-DE" if language == "de" else "en-GB",
        extra_http_headers={"Accept-Language": language},
        viewport={"width": width, "height": 900},
    )
    page = context.new_page()
    _sign_in_any(page, live_server, team["email"], language)
    page.goto(f"{live_server}/organisations/{partner['organisation']}")
    heading = "Zusagen von Kiel" if language == "de" else "What Kiel committed to"
    assert page.get_by_role("heading", name=heading).is_visible()
    title = "Persona-Unterlagen schicken" if language == "de" else "Send the persona material"
    assert title in page.locator("#overdue-h + ul").inner_text()
    problems = scan_problems(page, Axe(), "/organisations/<id>", width)
    page.goto(f"{live_server}/organisations")
    problems |= scan_problems(page, Axe(), "/organisations", width)
    context.close()
    assert_no_problems(problems)


def _sign_in_any(page, base: str, email: str, language: str) -> None:
    if language == "de":
        _sign_in(page, base, email)
        return
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_an_organisation_is_added_from_inside_the_exchange_form(browser, live_server, team):
    from axe_playwright_python.sync_playwright import Axe

    context = _new_context(browser, viewport={"width": 375, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server, team["email"])
    page.goto(f"{live_server}/exchanges/new")
    page.get_by_label("Titel").fill("Besuch aus Turku")
    page.get_by_label("Ganztägig (Daten ohne Uhrzeit)").check()
    page.get_by_label("Erster Tag").fill(str(a_date(5)))
    assert not page.get_by_text("Neue Organisation auf eigener Seite anlegen").is_visible()
    page.get_by_text("Neue Organisation", exact=True).click()
    page.get_by_label("Name der neuen Organisation").fill("City of Turku")
    page.get_by_label("Ihre Sprache").select_option("en")
    assert Axe().run(page).violations_count == 0
    page.get_by_role("button", name="Hinzufügen und auswählen").first.click()
    # Chosen in the organisations picker, beside what was chosen before.
    page.locator(".chip", has_text="City of Turku").wait_for()
    chosen = page.locator("select[name='organisation_ids'] option:checked").all_inner_texts()
    assert any("City of Turku" in text for text in chosen)
    assert "Hinzugefügt und ausgewählt: City of Turku" in page.locator(".inline-status").first \
        .inner_text()
    assert page.get_by_label("Titel").input_value() == "Besuch aus Turku"  # the form stays
    page.get_by_role("button", name="Austausch speichern").click()
    page.wait_for_url(f"{live_server}/exchanges/*")
    assert "City of Turku" in page.content()
    assert errors == [], errors
    context.close()
