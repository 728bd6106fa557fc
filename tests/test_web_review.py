"""The review of open commitments: groups, counts, relative dates, charts, print, CSV."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import text

from tests.web import a_date, login, post
from tracker.extensions import db


def test_review_groups_by_exchange_owner_and_partner(web, world, make):
    make.task(title="Ohne Partner", owner_id=world.editor.id, due_date=None)
    login(web, world.viewer)
    by_exchange = web.get("/review").get_data(as_text=True)
    assert "Offene Zusagen" in by_exchange and "Besuch in Lübeck" in by_exchange
    assert "Ohne Austausch" in by_exchange
    by_owner = web.get("/review?by=owner&order=name").get_data(as_text=True)
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



def _this_month(web) -> tuple[int, int, int]:
    """Open, done and overdue in the chart's table, for the month ending today."""
    page = web.get("/review").get_data(as_text=True)
    table = page[page.index("Zusagen je Monat"):]
    row = table[:table.index("</tbody>")].rsplit("<tr>", 1)[1]
    return tuple(int(v) for v in re.findall(r"<td>(\d+)</td>", row))


def test_chart_figures_follow_each_change_though_the_scan_is_kept(web, world):
    """The over-time figures are kept between requests; any write to tasks renews them,
    whether through the pages or plain SQL."""
    check_off, cancel = world.viewer_task.id, world.editor_task.id
    db.session.rollback()  # the test's own session holds no lock while the app writes
    login(web, world.viewer)
    open_, done, overdue = _this_month(web)
    assert _this_month(web) == (open_, done, overdue)
    assert post(web, f"/tasks/{check_off}/complete").status_code == 302
    assert _this_month(web) == (open_ - 1, done + 1, overdue - 1)
    db.session.execute(text("UPDATE tasks SET status = 'cancelled' WHERE id = :id"),
                       {"id": cancel})
    db.session.commit()
    assert _this_month(web) == (open_ - 2, done + 1, overdue - 1)


def _group_headings(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", " ", h).split("  ")[0].strip()
            for h in re.findall(r'<h2 id="g-\d+">(.*?)</h2>', page, re.S)]


def test_groups_needing_attention_come_first_and_by_name_on_request(web, world, make):
    """Most overdue first, then most open; "by name" puts them in alphabetical order."""
    quiet = make.organisation(name="Amt Anklam")  # many open, none overdue
    late = make.organisation(name="Zweckverband Ostsee")  # two overdue
    for n in range(4):
        make.task(title=f"Ruhig {n}", owner_id=world.editor.id, organisation_id=quiet.id,
                  due_date=a_date(10))
    for n in range(2):
        make.task(title=f"Spät {n}", owner_id=world.editor.id, organisation_id=late.id,
                  due_date=a_date(-5))
    make.task(title="Ohne Partner", owner_id=world.viewer.id, due_date=None)
    login(web, world.viewer)
    attention = _group_headings(web.get("/review?by=organisation").get_data(as_text=True))
    # Zweckverband (2 overdue), Lübeck (1 overdue), Amt Anklam (4 open), then Kiel (1 open)
    # by name before the tasks without a partner (1 open).
    assert attention == ["Zweckverband Ostsee", "Hansestadt Lübeck", "Amt Anklam",
                         "Landeshauptstadt Kiel", "Ohne Organisation"], attention
    by_name = _group_headings(
        web.get("/review?by=organisation&order=name").get_data(as_text=True))
    assert by_name[:4] == ["Amt Anklam", "Hansestadt Lübeck", "Landeshauptstadt Kiel",
                           "Zweckverband Ostsee"], by_name
    assert by_name[-1] == "Ohne Organisation"
    page = web.get("/review?by=owner&order=nonsense").get_data(as_text=True)
    assert _group_headings(page)[0] == "Jonas Editor"  # 2 overdue; unknown order: attention
    # The CSV lists the groups in the page's order.
    for order, expected in (("attention", attention), ("name", by_name)):
        response = web.get(f"/review.csv?by=organisation&order={order}")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
        assert list(dict.fromkeys(row[0] for row in rows[1:])) == expected, order


def test_the_group_heading_and_the_partner_chart_count_the_same(web, world, make):
    travekom = make.organisation(name="TraveKom", short_name="TraveKom")
    for n in range(2):
        make.task(title=f"Überfällig {n}", owner_id=world.editor.id,
                  organisation_id=travekom.id, due_date=a_date(-3))
    make.task(title="Pünktlich", owner_id=world.editor.id, organisation_id=world.kiel.id,
              due_date=a_date(5))
    login(web, world.viewer)
    page = web.get("/review?by=organisation").get_data(as_text=True)
    heading = re.search(r'<h2 id="g-\d+">TraveKom(.*?)</h2>', page, re.S).group(1)
    assert "2 offen" in heading and "davon 2 überfällig" in heading
    chart = page[page.index('aria-labelledby="chart-partner-title"'):]
    chart = chart[:chart.index("</svg>")]
    assert "2 offen, davon 2 überfällig" in chart
    assert "2 offen, davon 1 überfällig" not in chart
    kiel = re.search(r'<h2 id="g-\d+">Landeshauptstadt Kiel(.*?)</h2>', page, re.S).group(1)
    assert "2 offen" in kiel and "überfällig" not in kiel
    assert ">2 offen<" in chart  # Kiel: two open, none overdue, in the same words
    # Overdue drawn in red as part of the open bar, the rest in blue beside it.
    from tracker.review.chart import COLOURS

    reds = re.findall(rf'<rect x="([\d.]+)" y="\d+" width="([\d.]+)" height="14" '
                      rf'fill="{COLOURS["overdue"]}"/>', chart)
    assert reds and all(float(x) == 120 for x, _w in reds)


def test_pages_read_group_by_group_follow_the_whole_order(ctx, world, make):
    """The page counts groups first and reads only the page's groups: page after page,
    small pages breaking groups, it lists the tasks exactly as the whole sort (the CSV's)."""
    from tracker.review import queries
    from tracker.tasks.models import Task

    other = make.exchange(title="Aachen Treffen")
    for n in range(7):
        make.task(title=f"Gruppe {n}", owner_id=world.editor.id if n % 2 else world.viewer.id,
                  organisation_id=None if n % 3 == 0 else world.luebeck.id,
                  exchange_id=None if n % 4 == 0 else other.id,
                  due_date=None if n == 5 else a_date(n - 3))
    for by in queries.GROUPINGS:
        for order in queries.ORDERS:
            whole = list(db.session.scalars(
                queries.grouped(by, order).with_only_columns(Task.id)))
            paged, page = [], 1
            while True:
                found = queries.grouped_page(by, page, per_page=3, order=order)
                if not found.pagination.items:
                    break
                assert found.pagination.total == len(whole)
                paged += [task.id for task in found.pagination.items]
                page += 1
            assert paged == whole, (by, order)
            assert sum(n for n, _late in found.counts.values()) == len(whole)
