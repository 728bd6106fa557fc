"""The meeting cycle in real headless Chromium: open the next meeting's agenda, take up a
carried-over task, record an outcome with a task there, finish the minutes; axe scans the
agenda and the minutes in both languages, at 375 px and on a desktop."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.browser_support import assert_no_problems, scan_problems
from tests.test_web_browser import (  # noqa: F401  (fixtures)
    CHROMIUM,
    _sign_in,
    browser,
    live_server,
    pytestmark,
)
from tests.web import a_date, fresh
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.tasks.models import Task

assert CHROMIUM and pytestmark


@pytest.fixture
def meeting(make):
    """Rostock (home) and Kiel; a Werkstatt series whose last meeting left two tasks open;
    its next meeting with Jonas (editor) and Jan from Kiel (no login)."""
    from tracker.series.models import Series

    jonas = make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    rostock = make.organisation(name="Hanse- und Universitätsstadt Rostock",
                                short_name="Rostock", home=True)
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    jan = make.person(name="Jan Thomsen", email="jan@kiel.example", organisation_id=kiel.id)
    with transaction():
        series = Series(title="Smart City-Werkstatt", kind="werkstatt", all_day=True,
                        start_date=a_date(-90))
        db.session.add(series)
    last = make.exchange(title="Werkstatt im Herbst", all_day=True, start_date=a_date(-90),
                         organisation_ids=[rostock.id, kiel.id])
    nxt = make.exchange(title="Werkstatt im Winter", all_day=True, start_date=a_date(0),
                        organisation_ids=[rostock.id, kiel.id],
                        participant_ids=[jonas.id, jan.id])
    last, nxt = fresh(last), fresh(nxt)
    with transaction():
        last.series_id = nxt.series_id = series.id
    noted = make.task(title="Sensordaten aus Kiel bereitstellen", owner_id=jan.id,
                      organisation_id=kiel.id, exchange_id=last.id, due_date=a_date(-3))
    done = make.task(title="Datenplattform vorstellen", owner_id=jonas.id,
                     exchange_id=last.id, due_date=a_date(5))
    ids = {"email": jonas.email, "next": nxt.id, "noted": noted.id, "done": done.id}
    db.session.rollback()
    return ids


def _context(browser, lang: str = "de", width: int = 1280):  # noqa: F811
    return browser.new_context(
        locale="de-DE" if lang == "de" else "en-GB",
        extra_http_headers={"Accept-Language": lang},
        viewport={"width": width, "height": 900})


def test_a_meeting_from_agenda_to_minutes(browser, live_server, meeting):  # noqa: F811
    base = live_server
    context = _context(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, base, meeting["email"])

    # The next meeting's page leads to its agenda, which carries over the last one's tasks.
    page.goto(f"{base}/exchanges/{meeting['next']}")
    page.get_by_role("link", name="Tagesordnung").first.click()
    page.wait_for_url(f"{base}/exchanges/{meeting['next']}/agenda")
    carried = page.locator("#carried")
    assert "Sensordaten aus Kiel bereitstellen" in carried.inner_text()
    assert "Gleiche Reihe" in carried.inner_text()

    # A topic for the meeting.
    page.get_by_label("Thema", exact=True).fill("Stand der Datenplattform")
    page.get_by_role("button", name="Thema hinzufügen").click()
    assert "Stand der Datenplattform" in page.locator("#topics").inner_text()

    # Take up the carried-over tasks: one stays open with a note, one is done.
    item = page.locator(f"#carried-{meeting['noted']}")
    item.get_by_label("Offen lassen, mit Notiz").fill("Kiel liefert im Mai")
    item.get_by_role("button", name="Notiz hinzufügen").click()
    page.wait_for_url(f"**/agenda#carried-{meeting['noted']}")
    assert "Kiel liefert im Mai" in page.locator(f"#carried-{meeting['noted']}").inner_text()
    page.locator(f"#carried-{meeting['done']}").get_by_role("button", name="Erledigt").click()
    page.wait_for_url(f"**/agenda#carried-{meeting['done']}")
    assert "erledigt am" in page.locator(f"#carried-{meeting['done']}").inner_text()

    # Record an outcome with a task, there on the agenda, in one form.
    page.get_by_label("Was vereinbart wurde").fill("Gemeinsamer Förderantrag bis März")
    row = page.locator(".task-row").first
    row.get_by_label("Aufgabe", exact=True).fill("Antragsentwurf schreiben")
    row.get_by_role("combobox", name="Verantwortlich").fill("Jan")  # the owner picker
    page.keyboard.press("Enter")
    with page.expect_navigation():
        page.get_by_role("button", name="Ergebnis festhalten").click()
    page.wait_for_url("**/agenda#record")
    assert "Antragsentwurf schreiben" in page.locator("article.outcome").first.inner_text()

    # Finish the minutes: held, one mail per participant; the minutes page shows it all.
    page.get_by_role("button", name="Protokoll abschließen").first.click()
    page.wait_for_url(f"**/exchanges/{meeting['next']}/minutes")
    text = page.locator("main").inner_text()
    assert "Gemeinsamer Förderantrag bis März" in text and "Antragsentwurf schreiben" in text
    assert "Kiel liefert im Mai" in text
    assert page.get_by_role("button", name="Protokoll abschließen").count() == 0
    db.session.rollback()
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == "minutes"))
    assert sent == 2
    assert errors == [], errors
    context.close()


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("width", [1280, 375])
def test_agenda_and_minutes_pass_the_accessibility_scan(browser, live_server, meeting,  # noqa: F811
                                                        lang, width):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = _context(browser, lang, width)
    page = context.new_page()
    _sign_in(page, live_server, meeting["email"]) if lang == "de" else _sign_in_en(
        page, live_server, meeting["email"])
    problems = {}
    for path in (f"/exchanges/{meeting['next']}/agenda", f"/exchanges/{meeting['next']}/minutes",
                 f"/exchanges/{meeting['next']}"):
        page.goto(live_server + path)
        # Open every folded form, so the scan sees them too.
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        problems |= scan_problems(page, axe, path, width)
    context.close()
    assert_no_problems(problems)


def _sign_in_en(page, base: str, email: str) -> None:
    from tests.web import PASSWORD

    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_the_agenda_prints_on_at_most_two_a4_pages(browser, live_server, meeting, make):  # noqa: F811
    """Ten topics and a dozen carried-over tasks: the print leaves out forms and navigation."""
    import re

    from tracker.agenda.services import add_topic
    from tracker.exchanges.models import Exchange

    nxt = db.session.get(Exchange, meeting["next"])
    with transaction():
        for n in range(10):
            add_topic(nxt, None, f"Thema {n + 1}: Stand und nächste Schritte")
    last_task = db.session.get(Task, meeting["done"])
    for n in range(12):
        make.task(title=f"Zusage {n + 1} aus der letzten Werkstatt", owner_id=last_task.owner_id,
                  exchange_id=last_task.exchange_id, due_date=a_date(n - 6))
    db.session.rollback()
    context = _context(browser)
    page = context.new_page()
    _sign_in(page, live_server, meeting["email"])
    page.goto(f"{live_server}/exchanges/{meeting['next']}/agenda")
    page.emulate_media(media="print")
    assert not page.locator("form").first.is_visible()
    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 2, pages
    context.close()


@pytest.fixture
def partners(make):
    """Rostock (home), Kiel, Jonas (editor) and Jan from Kiel (no login, an email)."""
    jonas = make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    make.organisation(name="Hanse- und Universitätsstadt Rostock", short_name="Rostock",
                      home=True)
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    jan = make.person(name="Jan Thomsen", email="jan@kiel.example", organisation_id=kiel.id)
    ids = {"email": jonas.email, "jonas": jonas.id, "jan": jan.id, "kiel": kiel.id}
    db.session.rollback()
    return ids


def test_the_cycle_from_a_series_made_with_the_form_to_its_minutes(
        browser, live_server, partners, make):  # noqa: F811
    """The whole cycle in one go: a quarterly Werkstatt made with the recurrence form (no
    RRULE typed), the task left open at its first meeting carried into the next one's
    agenda, taken up there, an outcome with two tasks recorded there, the minutes sent."""
    from tests.test_web_browser import _first_wednesday_in
    from tracker.exchanges.models import Exchange, Outcome
    from tracker.series.models import Series

    base = live_server
    context = _context(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, base, partners["email"])

    # The series, from plain choices: every first Wednesday of the quarter.
    page.goto(f"{base}/series/new")
    page.get_by_label("Titel").fill("Smart City-Werkstatt")
    page.get_by_label("Art", exact=True).select_option("werkstatt")
    page.get_by_label("Erstes Treffen beginnt").fill(f"{_first_wednesday_in(-3)}T14:00")
    page.get_by_label("Wiederholung", exact=True).select_option("quarterly")
    page.get_by_text("jeden ersten Mittwoch im Quartal").wait_for()
    page.get_by_label("Jan Thomsen").check()
    page.get_by_label("Jonas Becker").check()
    page.get_by_role("button", name="Reihe speichern").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Smart City-Werkstatt"
    assert "FREQ=" not in page.content()

    # Its first meeting, three months ago, left a task open for Kiel.
    db.session.rollback()
    series = db.session.scalar(select(Series).where(Series.title == "Smart City-Werkstatt"))
    meetings = db.session.scalars(select(Exchange).where(Exchange.series_id == series.id)
                                  .order_by(Exchange.starts_at)).all()
    first, following = meetings[0].id, meetings[1].id
    carried = make.task(title="Sensordaten aus Kiel bereitstellen", owner_id=partners["jan"],
                        organisation_id=partners["kiel"], exchange_id=first,
                        due_date=a_date(-3)).id
    db.session.rollback()  # (the test's own session holds no lock while the browser writes)

    # The next meeting's agenda carries it over, marked "same series".
    page.goto(f"{base}/exchanges/{following}")
    page.get_by_role("link", name="Tagesordnung").first.click()
    page.wait_for_url(f"{base}/exchanges/{following}/agenda")
    item = page.locator(f"#carried-{carried}")
    assert "Gleiche Reihe" in page.locator("#carried").inner_text()
    item.get_by_role("button", name="Erledigt").click()
    page.wait_for_url(f"**/agenda#carried-{carried}")
    db.session.rollback()
    assert db.session.get(Task, carried).status == "done"
    db.session.rollback()

    # An outcome with two tasks, in one form, there on the agenda.
    page.get_by_label("Was vereinbart wurde").fill("Gemeinsamer Förderantrag bis März")
    rows = page.locator(".task-row")
    for number, (title, owner) in enumerate([("Antragsentwurf schreiben", "Jan"),
                                             ("Haushaltsmittel klären", "Jonas")]):
        rows.nth(number).get_by_label("Aufgabe", exact=True).fill(title)
        rows.nth(number).get_by_role("combobox", name="Verantwortlich").fill(owner)
        page.keyboard.press("Enter")
    with page.expect_navigation():
        page.get_by_role("button", name="Ergebnis festhalten").click()
    page.wait_for_url(f"**/exchanges/{following}/agenda#record")
    db.session.rollback()
    outcome = db.session.scalar(select(Outcome).where(Outcome.exchange_id == following))
    assert outcome is not None and outcome.text == "Gemeinsamer Förderantrag bis März"
    titles = set(db.session.scalars(select(Task.title).where(Task.outcome_id == outcome.id)))
    assert titles == {"Antragsentwurf schreiben", "Haushaltsmittel klären"}
    db.session.rollback()

    # Finish the minutes: one mail per participant, and a second click sends nothing more.
    page.get_by_role("button", name="Protokoll abschließen").first.click()
    page.wait_for_url(f"**/exchanges/{following}/minutes")
    text = page.locator("main").inner_text()
    assert "Antragsentwurf schreiben" in text and "Haushaltsmittel klären" in text
    db.session.rollback()
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == "minutes"))
    assert sent == 2
    assert errors == [], errors
    context.close()
