"""The team overview on the home page: overdue and due this week, per person, for those who
share out the work (editors and admins)."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.web import login
from tracker.core import timeutil
from tracker.core.database import transaction
from tracker.tasks import services as tasks


def _team_rows(page: str) -> list[tuple[str, str, str]]:
    section = page[page.index('id="h-team"'):]
    section = section[:section.index("</section>")]
    rows = re.findall(r'<tr>\s*<th scope="row"><a [^>]*>(.*?)</a></th>\s*<td>(.*?)</td>\s*'
                      r'<td>(.*?)</td>', section, re.S)
    return [(name, re.sub(r"<[^>]+>", "", late), week) for name, late, week in rows]


def test_editors_see_each_persons_overdue_and_this_weeks_tasks(web, world, make, app):
    today = timeutil.today()
    week_end = today + timedelta(days=6 - today.weekday())
    late = make.person(name="Lea Spät")
    for n in range(3):
        make.task(title=f"Spät {n}", owner_id=late.id, due_date=today - timedelta(days=n + 1))
    make.task(title="Diese Woche", owner_id=late.id, due_date=week_end)
    make.task(title="Nächste Woche", owner_id=late.id, due_date=week_end + timedelta(days=1))
    done = make.task(title="Erledigt", owner_id=late.id, due_date=today - timedelta(days=9))
    gone = make.task(title="Gelöscht", owner_id=late.id, due_date=today - timedelta(days=9))
    with transaction():
        tasks.complete_task(done, None)
        tasks.delete_task(gone, None)
    make.person(name="Nils Nichts")  # nothing due: not listed
    login(web, world.editor)
    rows = _team_rows(web.get("/").get_data(as_text=True))
    # Most overdue first; the viewer's protocol is overdue, the editor's room is due in 2
    # days (this week, or later when the week ends sooner).
    assert rows[0] == ("Lea Spät", "3", "1")
    assert ("Mehmet Viewer", "1", "0") in rows
    assert all(name != "Nils Nichts" for name, _l, _w in rows)
    editor_due_this_week = world.editor_task.due_date <= week_end
    assert (("Jonas Editor", "0", "1") in rows) == editor_due_this_week
    admin = app.test_client()
    login(admin, world.admin)
    assert _team_rows(admin.get("/").get_data(as_text=True))[0] == ("Lea Spät", "3", "1")


def test_the_overview_links_to_the_persons_tasks(web, world):
    login(web, world.admin)
    page = web.get("/").get_data(as_text=True)
    assert f'href="/tasks?owner_id={world.viewer.id}&amp;overdue=true"' in page


def test_viewers_see_no_team_overview(web, world):
    login(web, world.viewer)
    assert 'id="h-team"' not in web.get("/").get_data(as_text=True)


def test_an_empty_overview_says_so(web, make, english):
    editor = make.user("editor", name="Ed Itor", email="ed@rostock.example")
    login(web, editor, locale="en")
    assert "Nobody in the team has anything overdue" in web.get("/").get_data(as_text=True)
