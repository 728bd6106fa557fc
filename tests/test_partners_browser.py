"""A partner opens its link on a phone, reports one task done and proposes a date for
another; the owner accepts it on the task page; axe finds nothing on the partner page."""

from __future__ import annotations

from flask import current_app

from tests.browser_support import assert_no_problems, scan_problems
from tests.test_web_browser import (  # noqa: F401,F811  (fixtures)
    _new_context,
    _sign_in,
    browser,
    live_server,
    pytestmark,
)
from tests.web import a_date
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.partners import services


def test_a_partner_reports_through_its_link_and_the_owner_accepts_the_date(
    browser, live_server, make,  # noqa: F811
):
    from axe_playwright_python.sync_playwright import Axe

    jonas = make.user("editor", name="Jonas Becker", email="jonas@rostock.example")
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    exchange = make.exchange(title="Besuch in Kiel", all_day=True, start_date=a_date(-5),
                             organisation_ids=[kiel.id])
    outcome = make.outcome(exchange, text="Kiel lädt zum Datenstrategie-Workshop ein")
    make.exchange(title="Regionalkonferenz Nord", all_day=True, start_date=a_date(20),
                  organisation_ids=[kiel.id])
    make.task(title="Workshop vorbereiten", owner_id=jonas.id, organisation_id=kiel.id,
              outcome_id=outcome.id, due_date=a_date(3))
    late = make.task(title="Persona-Material schicken", owner_id=jonas.id,
                     organisation_id=kiel.id, exchange_id=exchange.id, due_date=a_date(5))
    with transaction():
        link = services.create_link(kiel, None)
    token = link.token(current_app.config["SECRET_KEY"])
    late_id, new_day = late.id, a_date(60)
    db.session.rollback()

    axe = Axe()
    context = _new_context(browser, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/partner/{token}")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Zusagen von Landeshauptstadt Kiel")
    problems = {}
    for lang in ("de", "en"):
        page.goto(f"{live_server}/partner/{token}?lang={lang}")
        problems |= scan_problems(page, axe, lang, 375)
    assert_no_problems(problems)

    page.goto(f"{live_server}/partner/{token}")
    first = page.locator("li.partner-task", has_text="Workshop vorbereiten")
    first.get_by_role("button", name="Als erledigt melden").click()
    page.wait_for_url("**saved=done**")
    assert "als erledigt gemeldet" in page.content()
    second = page.locator("li.partner-task", has_text="Persona-Material schicken")
    second.get_by_text("Neuen Termin vorschlagen").click()
    second.get_by_label("Neuer Termin").fill(str(new_day))
    second.get_by_label("Begründung").fill("Der Kreistag tagt erst im Februar")
    second.get_by_role("button", name="Vorschlag senden").click()
    page.wait_for_url("**saved=propose**")
    assert_no_problems(scan_problems(page, axe, "after proposing", 375))
    context.close()

    owner = _new_context(browser)
    page = owner.new_page()
    _sign_in(page, live_server, "jonas@rostock.example")
    page.goto(f"{live_server}/tasks/{late_id}")
    assert "Der Kreistag tagt erst im Februar" in page.content()
    page.get_by_role("button", name="Neuen Termin annehmen").click()
    page.wait_for_url(f"{live_server}/tasks/{late_id}")
    assert "Der neue Termin wurde angenommen." in page.content()
    assert "über den Partner-Link von Landeshauptstadt Kiel" in page.content()
    owner.close()
    assert not problems, "\n".join(f"{k}:\n{v}" for k, v in problems.items())
