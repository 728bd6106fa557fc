"""axe-core scans of the search page and of the pages it changed (home with the team
overview, the review with its group order), in German and English, at 1280 and 375 px."""

from __future__ import annotations

import pytest

from tests.browser_support import assert_no_problems, scan_problems
from tests.test_web_browser import (  # noqa: F401  (fixtures)
    _new_context,
    _sign_in,
    browser,
    live_server,
    pytestmark,
)
from tests.web import a_date
from tracker.extensions import db

PAGES = ["/search?q=LoRaWAN", "/search?q=Workshop", "/search", "/search?q=nirgendwo", "/",
         "/review", "/review?by=organisation&order=name", "/review?by=owner"]


@pytest.fixture
def searched(make):
    editor = make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    lea = make.person(name="Lea Hoffmann", email="lea@rostock.example")
    exchange = make.exchange(
        title="Smart City Exchange in Lübeck", all_day=True, start_date=a_date(-20),
        location="TraveKom, Lübeck", organisation_ids=[kiel.id], participant_ids=[editor.id],
        description="LoRaWAN, Datenplattform, Kommunikationskonzept und Persona-Entwicklung "
        "<b>der</b> Smart City Lübeck. " * 3)
    outcome = make.outcome(exchange, text="Workshop zum Thema Datenstrategie")
    for n in range(3):
        make.task(title=f"Workshop {n} vorbereiten", owner_id=lea.id, organisation_id=kiel.id,
                  exchange_id=exchange.id, outcome_id=outcome.id, due_date=a_date(n - 2))
    make.task(title="LoRaWAN-Erfahrungen aufbereiten", owner_id=editor.id,
              due_date=a_date(2))
    email = editor.email
    # The live server writes from another thread: the test's session must not hold a lock.
    db.session.rollback()
    return email


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("width", [1280, 375])
def test_search_home_and_review_pass_the_accessibility_scan(browser, live_server,  # noqa: F811
                                                             searched, width, language):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = _new_context(browser, viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server, searched)
    if language == "en":
        page.get_by_role("button", name="English").click()
    # The header's field leads to the search.
    page.get_by_role("searchbox", name="Search everything" if language == "en"
                     else "Alles durchsuchen").fill("LoRaWAN")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/search?q=LoRaWAN")
    assert page.locator("mark").first.inner_text() == "LoRaWAN"
    problems = {}
    for path in PAGES:
        page.goto(live_server + path)
        assert page.locator("html").get_attribute("lang") == language
        problems |= scan_problems(page, axe, path, width)
    context.close()
    assert_no_problems(problems)
    assert errors == [], errors
