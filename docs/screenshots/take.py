"""Take the README's screenshots: demo data, German, desktop and phone width.

    python docs/screenshots/take.py        (from the repository root; needs /usr/bin/chromium)
"""

from __future__ import annotations

import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.core.database import transaction  # noqa: E402
from tracker.transfer.demo import DEMO_LOGIN, DEMO_PASSWORD, load_demo  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZES = {"desktop": (1280, 900), "phone": (375, 812)}


def main() -> None:
    workdir = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/demo.sqlite3",
                      "SECRET_KEY": "screenshots"})
    with app.app_context():
        upgrade()
        with transaction():
            load_demo()
        from tracker.extensions import db
        from tracker.models import Exchange

        exchange = db.session.scalar(
            db.select(Exchange).where(Exchange.title.like("%Lübeck%")).limit(1)
        ) or db.session.scalar(db.select(Exchange).limit(1))
        exchange_id = exchange.id
        from tracker.models import Organisation, Series
        from tracker.partners.services import create_link

        werkstatt = db.session.scalar(db.select(Series).where(Series.rrule.is_not(None)))
        next_meeting = db.session.scalar(
            db.select(Exchange).where(Exchange.series_id == werkstatt.id,
                                      Exchange.starts_at >= datetime.now(UTC))
            .order_by(Exchange.starts_at).limit(1))
        kiel = db.session.scalar(db.select(Organisation).where(Organisation.short_name == "Kiel"))
        with transaction():
            token = create_link(kiel, None).token(app.config["SECRET_KEY"])
        ids = {"series": werkstatt.id, "meeting": next_meeting.id, "kiel": kiel.id}
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    pages = {
        "home": "/",
        "exchange": f"/exchanges/{exchange_id}",
        "exchanges": "/exchanges?when=past",
        "tasks": "/tasks",
        "review": "/review?by=organisation",
        "account": "/account",
        "calendar": "/calendar/subscriptions?kind=view&query=status%3Dopen",
        "search": "/search?q=LoRaWAN",
        "series": f"/series/{ids['series']}",
        "agenda": f"/exchanges/{ids['meeting']}/agenda",
        "organisation": f"/organisations/{ids['kiel']}",
        "partner": f"/partner/{token}",
    }
    #: Shots of a form being filled in: name -> (path, what to do there, what to capture).
    scenes = {
        "capture": (f"/exchanges/{exchange_id}#record", fill_capture_form, "#record"),
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height},
                                          locale="de-DE",
                                          extra_http_headers={"Accept-Language": "de"})
            page = context.new_page()
            page.goto(f"{base}/login")
            page.get_by_label("E-Mail").fill(DEMO_LOGIN)
            page.get_by_label("Passwort").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Anmelden").click()
            page.wait_for_url(f"{base}/")
            for name, path in pages.items():
                page.goto(base + path)
                page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=size == "desktop")
            for name, (path, act, selector) in scenes.items():
                page.goto(base + path)
                act(page)
                page.locator(selector).screenshot(path=str(OUT / f"{name}-{size}.png"))
            context.close()
        browser.close()
    server.shutdown()


def fill_capture_form(page) -> None:
    """An outcome with one task written and a second row started, its owner picker open."""
    page.locator("#record textarea[name='text']").fill("Workshop zum Thema Datenstrategie")
    rows = page.locator("#record .task-row")
    rows.nth(0).locator("input[name$='-title']").fill("Datenstrategie-Workshop vorbereiten")
    rows.nth(0).get_by_role("combobox").first.fill("Jan")
    page.keyboard.press("Enter")
    rows.nth(0).locator("input[name$='-due_date']").fill("2023-03-31")
    rows.nth(1).locator("input[name$='-title']").fill("Termin mit Kiel abstimmen")
    rows.nth(1).get_by_role("combobox").first.fill("Le")


if __name__ == "__main__":
    main()
