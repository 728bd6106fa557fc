"""Recording the Lübeck visit of 06.12.2022 (the seed) in Chromium, counting every click and
keystroke, as a newcomer would do it: at most 40 clicks and 450 keystrokes at 1280 px; the
same flow at 375 px. Also: Tab presses from the skip link to the first "check off", the
sticky bulk bar and touch targets on a phone, and axe on every page these changes touched.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser_support import assert_no_problems, scan_problems
from tests.test_web_browser import CHROMIUM, _new_context, _sign_in, live_server
from tests.web import a_date
from tracker.exchanges.models import Exchange
from tracker.extensions import db
from tracker.tasks.models import Task
from tracker.transfer.demo import ORGANISATIONS, PEOPLE

__all__ = ["live_server"]  # the fixture shared with the story test

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
        reason="needs Debian's chromium at /usr/bin/chromium",
    ),
]

MAX_CLICKS, MAX_KEYSTROKES = 40, 450


@pytest.fixture(scope="module")
def browser():
    """Chromium in German, so date fields take 06.12.2022 as a German user types it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--lang=de-DE"],
            env={**os.environ, "LANG": "de_DE.UTF-8", "LANGUAGE": "de_DE:de"},
        )
        yield browser
        browser.close()


class Counted:
    """Every click and key press of the flow goes through here, so the counts are honest:
    a select counts as two clicks, typed text as one keystroke per character, a chord
    (Control+Enter) as two."""

    def __init__(self, page) -> None:
        self.page = page
        self.clicks = 0
        self.keys = 0

    def click(self, locator) -> None:
        self.clicks += 1
        locator.click()

    def select(self, locator, value: str) -> None:
        self.clicks += 2  # open the list, pick the option
        locator.select_option(value)

    def type(self, text: str) -> None:
        self.keys += len(text)
        self.page.keyboard.type(text)

    def press(self, key: str) -> None:
        self.keys += len(key.split("+"))
        self.page.keyboard.press(key)

    def learn_date_fields(self) -> None:
        """Chromium orders a date field's parts by its language pack (06.12.2022 with German,
        12/06/2022 AM/PM without): find out on a scratch page, outside the count."""
        scratch = self.page.context.new_page()
        scratch.set_content('<input type=date id=d><input type=datetime-local id=t>')
        scratch.focus("#d")
        scratch.keyboard.type("01022003")
        self.month_first = scratch.eval_on_selector("#d", "e => e.value") == "2003-01-02"
        scratch.focus("#t")
        scratch.keyboard.type("01022003")
        scratch.keyboard.press("ArrowRight")
        scratch.keyboard.type("1000")
        self.am_pm = scratch.eval_on_selector("#t", "e => e.value") == ""
        scratch.close()

    def day(self, day: str) -> None:
        """Type a date "06.12.2022" into the focused date field, in the field's order."""
        dd, mm, yyyy = day.split(".")
        self.type(mm + dd + yyyy if self.month_first else dd + mm + yyyy)

    def moment(self, day: str, hour: str) -> None:
        """Type "06.12.2022", "10:00" into the focused date-and-time field."""
        self.day(day)
        self.press("ArrowRight")  # the year takes up to six digits: on to the hour
        hh, mi = hour.split(":")
        if self.am_pm:
            self.type(f"{int(hh) % 12 or 12:02d}{mi}" + ("P" if int(hh) >= 12 else "A"))
        else:
            self.type(hh + mi)

    def choose(self, text: str) -> None:
        """In a focused picker: type to filter, Enter to choose."""
        self.type(text)
        self.page.locator("[role=listbox]:visible [role=option]").first.wait_for()
        self.press("Enter")


@pytest.fixture
def network(make):
    """The demo's 24 organisations and its people; Anna (editor) records."""
    orgs = {key: make.organisation(name=name, short_name=short, kind=kind)
            for key, name, short, kind, _country in ORGANISATIONS}
    anna = None
    for key, name, email, org, _role, _locale in PEOPLE:
        if key == "anna":
            anna = make.user("editor", name=name, email=email, organisation_id=orgs[org].id)
        else:
            make.person(name=name, email=email, organisation_id=orgs[org].id)
    email = anna.email
    db.session.rollback()
    return {"email": email}


def record_the_luebeck_visit(page, base: str, width: int = 1280) -> Counted:
    """The seed's visit: six organisations, four participants, three outcomes, four tasks,
    one due at SCCON 2023 (made on the spot)."""
    c = Counted(page)
    c.learn_date_fields()
    c.click(page.get_by_role("link", name="Austausche"))
    c.click(page.get_by_role("link", name="Neuer Austausch"))
    c.click(page.get_by_label("Titel", exact=True))
    c.type("Smart City Exchange in Lübeck")
    c.select(page.get_by_label("Art", exact=True), "visit")
    # A click on a date field's label starts at its first part (on the field: at the part
    # under the pointer).
    c.click(page.locator("label[for=starts_at]"))
    c.moment("06.12.2022", "10:00")
    c.click(page.locator("label[for=ends_at]"))
    c.moment("06.12.2022", "15:00")
    c.click(page.get_by_label("Ort", exact=True))
    c.type("TraveKom, Lübeck")
    c.click(page.get_by_role("combobox", name="Organisationen"))
    for name in ("Lüb", "Trav", "Kiel", "Rost", "V-R", "V-G"):
        c.choose(name)
    c.click(page.get_by_role("combobox", name="Teilnehmende"))
    for name in ("Jon", "Kai", "Jan"):
        c.choose(name)
    if os.environ.get("CAPTURE_DEBUG"):
        page.screenshot(path="/tmp/capture-before-save.png", full_page=True)
    c.click(page.get_by_role("button", name="Austausch speichern"))
    page.wait_for_load_state()
    if os.environ.get("CAPTURE_DEBUG"):
        page.screenshot(path="/tmp/capture-after-save.png", full_page=True)
    page.wait_for_url(f"{base}/exchanges/*#record")

    def outcome(text: str, tasks: list[list[tuple[str, str]]]) -> None:
        page.locator("#record textarea[name='text']").wait_for()
        assert page.evaluate("document.activeElement.name") == "text", page.evaluate(
            "document.activeElement.outerHTML.slice(0, 200)")  # ready to type
        c.type(text)
        c.click(page.locator("input[name='tasks-0-title']"))
        for number, steps in enumerate(tasks):
            if number:
                c.press("Enter")  # the next row (added when it is the last)
            for kind, value in steps:
                if kind == "type":
                    c.type(value)
                elif kind == "day":
                    c.day(value)
                elif kind == "see it made":  # the panel closes once the exchange exists
                    page.locator(".quick-exchange:visible").wait_for(state="detached")
                elif kind == "new exchange":  # beside "or due at an exchange"
                    c.click(page.locator(".task-row").nth(number).get_by_role(
                        "button", name="Neuer Austausch"))
                elif kind == "pick":
                    c.choose(value)
                else:
                    c.press(value)
        if os.environ.get("CAPTURE_DEBUG"):
            page.screenshot(path=f"/tmp/capture-outcome-{width}.png", full_page=True)
        with page.expect_navigation():
            c.press("Control+Enter")
        if os.environ.get("CAPTURE_DEBUG"):
            print(page.locator("[data-error-summary]").all_inner_texts())
        page.locator(".flash-success").wait_for()

    tab = ("press", "Tab")
    outcome("Dauerhafter Austausch der fünf Partner", [
        [("type", "Verteiler anlegen"), tab, ("pick", "Meh"), tab, tab, ("day", "20.12.2022")],
    ])
    outcome("Governance-Workshop in Rostock", [
        [("type", "Workshop ausrichten"), tab, ("pick", "Anna"), tab, ("pick", "Rost"), tab,
         ("day", "15.03.2023")],
        [("type", "Bericht auf der SCCON 2023"), tab, ("pick", "Jon"),
         ("new exchange", ""), ("type", "SCCON 2023"), tab, ("day", "26.09.2023"),
         ("press", "Enter"), ("see it made", "")],
    ])
    outcome("Workshop Datenstrategie", [
        [("type", "Workshop vorbereiten"), tab, ("pick", "Jan"), tab, ("pick", "Kiel"), tab,
         ("day", "31.03.2023")],
    ])
    return c


def check_the_record() -> None:
    db.session.rollback()
    visit = db.session.scalar(select(Exchange).where(
        Exchange.title == "Smart City Exchange in Lübeck"))
    assert visit is not None and visit.status == "held" and visit.kind == "visit"
    assert len(visit.organisations) == 6 and len(visit.participants) == 4
    assert len([o for o in visit.outcomes if o.is_live]) == 3
    tasks = db.session.scalars(select(Task).where(Task.exchange_id == visit.id)).all()
    assert len(tasks) == 4
    sccon = db.session.scalar(select(Exchange).where(Exchange.title == "SCCON 2023"))
    assert sccon is not None and sccon.start_date == date(2023, 9, 26)
    due = {t.title: t for t in tasks}
    assert due["Bericht auf der SCCON 2023"].due_exchange_id == sccon.id
    assert due["Verteiler anlegen"].due_date == date(2022, 12, 20)
    assert due["Workshop vorbereiten"].organisation.short_name == "Kiel"


@pytest.mark.parametrize("width", [1280, 375])
def test_recording_the_luebeck_visit_takes_few_clicks_and_keystrokes(
    browser, live_server, network, width
):
    context = _new_context(browser, viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live_server, network["email"])
    if os.environ.get("CAPTURE_DEBUG"):
        page.on("pageerror", lambda e: print("PAGE ERROR", e))
    counted = record_the_luebeck_visit(page, live_server, width)
    check_the_record()
    print(f"\n{width}px: {counted.clicks} clicks, {counted.keys} keystrokes")
    assert counted.clicks <= MAX_CLICKS, counted.clicks
    assert counted.keys <= MAX_KEYSTROKES, counted.keys
    assert errors == [], errors
    context.close()


def test_the_first_check_off_is_a_few_tabs_from_the_skip_link(browser, live_server, make):
    owner = make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    for n in range(3):
        make.task(title=f"Aufgabe {n}", owner_id=owner.id, due_date=a_date(n))
    db.session.rollback()
    context = _new_context(browser)
    page = context.new_page()
    _sign_in(page, live_server, "jonas@rostock.example")
    page.goto(f"{live_server}/tasks")
    page.keyboard.press("Tab")
    assert "skip-link" in page.evaluate("document.activeElement.className")
    page.keyboard.press("Enter")
    presses = 0
    while presses < 30:
        page.keyboard.press("Tab")
        presses += 1
        label = page.evaluate("document.activeElement.textContent || ''")
        if label.strip().startswith("Abhaken"):
            break
    assert presses <= 8, presses
    context.close()


def test_bulk_check_off_on_a_phone(browser, live_server, make):
    owner = make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    for n in range(25):
        make.task(title=f"Aufgabe {n}", owner_id=owner.id, due_date=a_date(n))
    db.session.rollback()
    context = _new_context(browser, viewport={"width": 375, "height": 700}, has_touch=True)
    page = context.new_page()
    _sign_in(page, live_server, "jonas@rostock.example")
    page.goto(f"{live_server}/tasks")
    for selector in ("li.task .select-hit", "li.task button.check"):
        box = page.locator(selector).first.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (selector, box)
    page.locator("li.task .select").first.check()
    bar = page.get_by_role("button", name="Ausgewählte abhaken")
    assert bar.is_visible()
    box = bar.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 700  # in view, near the bottom
    assert box["height"] >= 44
    bar.click()
    page.wait_for_load_state()
    assert "1 Aufgabe abgehakt" in page.locator("#messages").inner_text()
    context.close()


def test_a_form_sent_back_puts_the_focus_on_the_first_mistake(browser, live_server, make):
    make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    db.session.rollback()
    context = _new_context(browser)
    page = context.new_page()
    _sign_in(page, live_server, "jonas@rostock.example")
    page.goto(f"{live_server}/exchanges/new")
    page.get_by_label("Ort", exact=True).fill("Lübeck")
    page.get_by_role("button", name="Austausch speichern").click()
    page.locator("[data-error-summary]").wait_for()
    page.wait_for_load_state()  # the script moves the focus once the page's DOM is read
    assert page.evaluate("document.activeElement.id") == "title"
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == \
        "title-error"
    assert page.get_by_role("alert").first.inner_text().startswith("Bitte korrigieren Sie 2")
    assert page.get_by_label("Ort", exact=True).input_value() == "Lübeck"
    context.close()


CHANGED_PAGES = ["/exchanges/new", "/exchanges/{exchange}", "/tasks", "/tasks?overdue=1",
                 "/tasks/new", "/exchanges/quick",
                 "/tasks/{task}", "/tasks/{task}/edit", "/account", "/calendar/subscriptions",
                 "/calendar/subscriptions?kind=view&query=status%3Dopen"]


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["de", "en"])
def test_changed_pages_pass_axe(browser, live_server, make, width, language):
    from axe_playwright_python.sync_playwright import Axe

    owner = make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    exchange = make.exchange(title="Besuch in Kiel", all_day=True, start_date=a_date(-1),
                             organisation_ids=[kiel.id], participant_ids=[owner.id])
    outcome = make.outcome(exchange, text="Datenplattform teilen")
    task = make.task(title="Zugang beantragen", owner_id=owner.id, outcome_id=outcome.id,
                     due_date=a_date(2))
    ids = {"exchange": exchange.id, "task": task.id}
    db.session.rollback()
    axe = Axe()
    context = browser.new_context(locale=language, viewport={"width": width, "height": 900},
                                  extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.locator("#email").fill("jonas@rostock.example")
    page.locator("#password").fill("correct horse battery")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server}/")
    problems = {}
    pages = [*CHANGED_PAGES, "/exchanges/{exchange}#record+error"]
    for path in pages:
        if path.endswith("+error"):  # the capture form sent back with a mistake, picker open
            page.goto(f"{live_server}/exchanges/{ids['exchange']}")
            page.locator("input[name='tasks-0-title']").fill("Ohne Verantwortliche")
            page.locator("#record button[type=submit]").click()
            page.wait_for_load_state()
            page.locator("#record input[role=combobox]").first.click()
        else:
            page.goto(live_server + path.format(**ids))
        problems |= scan_problems(page, axe, path, width)
    context.close()
    assert_no_problems(problems)
