"""The review of open commitments: groups, counts, relative dates, charts, print, CSV."""

from __future__ import annotations

import csv
import io

from tests.web import a_date, login, web, world


def test_review_groups_by_exchange_owner_and_partner(web, world, make):
    make.task(title="Ohne Partner", owner_id=world.editor.id, due_date=None)
    login(web, world.viewer)
    by_exchange = web.get("/review").get_data(as_text=True)
    assert "Offene Zusagen" in by_exchange and "Besuch in Lübeck" in by_exchange
    assert "Ohne Austausch" in by_exchange
    by_owner = web.get("/review?by=owner").get_data(as_text=True)
    assert by_owner.index("Jonas Editor") < by_owner.index("Mehmet Viewer")
    by_partner = web.get("/review?by=organisation").get_data(as_text=True)
    assert "Hansestadt Lübeck" in by_partner and "Landeshauptstadt Kiel" in by_partner
    assert "Ohne Organisation" in by_partner
    assert "1 überfällig" in by_partner  # Lübeck's protocol is 3 days late
    assert "3 Tage überfällig" in by_partner
    assert "in 2 Tagen" in by_partner
    # Each outcome's status is shown with its task.
    assert "Lübeck, Kiel und Rostock halten einen Workshop ab" in by_partner
    assert "vereinbart" in by_partner


def test_overdue_first_within_a_group(web, world, make):
    make.task(title="Spät", owner_id=world.viewer.id, due_date=a_date(20))
    make.task(title="Sehr überfällig", owner_id=world.viewer.id, due_date=a_date(-20))
    login(web, world.viewer)
    page = web.get("/review?by=owner").get_data(as_text=True)
    assert page.index("Sehr überfällig") < page.index("Protokoll verschicken") < page.index("Spät")


def test_review_charts_are_svg_drawn_on_the_server(web, world):
    login(web, world.viewer)
    response = web.get("/review")
    page = response.get_data(as_text=True)
    assert page.count("<svg") == 2 and 'role="img"' in page
    assert "<polyline" in page and "<rect" in page
    assert "style=" not in page and "<script>" not in page
    assert "Die Zahlen als Tabelle" in page


def test_review_has_a_print_stylesheet(web, world):
    login(web, world.viewer)
    with web.get("/static/app.css") as response:
        css = response.get_data(as_text=True)
    assert "@media print" in css


def test_review_csv(web, world):
    login(web, world.viewer)
    response = web.get("/review.csv?by=organisation")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Gruppe"
    assert ["Hansestadt Lübeck", str(world.viewer_task.id), "Protokoll verschicken"] == rows[1][:3]
