"""The home page keeps what it counted (the team's tasks, someone's next exchanges) until
something changes, and its templates' quicker helpers say exactly what the slow ones said."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask import render_template_string, url_for
from flask_babel import force_locale

from tests.web import login
from tracker.accounts.services import update_person
from tracker.core import timeutil
from tracker.core.database import transaction
from tracker.exchanges.services import update_exchange
from tracker.tasks import services as tasks
from tracker.web import helpers


def _team_row(page: str, name: str) -> tuple[str, str] | None:
    section = page[page.index('id="h-team"'):]
    match = re.search(rf'<th scope="row"><a [^>]*>{re.escape(name)}</a></th>\s*<td>(.*?)</td>'
                      r"\s*<td>(.*?)</td>", section, re.S)
    if not match:
        return None
    return re.sub(r"<[^>]+>", "", match.group(1)), match.group(2)


def _next_exchanges(page: str) -> list[str]:
    section = page[page.index('id="h-next"'):]
    return re.findall(r'<li class="card"><a [^>]*>(.*?)</a>', section)


def test_the_team_overview_follows_every_change(web, world, make):
    late = make.person(name="Lea Spät")
    login(web, world.editor)
    assert _team_row(web.get("/").get_data(as_text=True), "Lea Spät") is None
    task = make.task(owner_id=late.id, due_date=timeutil.today() - timedelta(days=2))
    assert _team_row(web.get("/").get_data(as_text=True), "Lea Spät") == ("1", "0")
    with transaction():
        update_person(late, None, {"name": "Lea Früh"})
    page = web.get("/").get_data(as_text=True)
    assert _team_row(page, "Lea Früh") == ("1", "0") and "Lea Spät" not in page
    with transaction():
        tasks.complete_task(task, None)
    assert _team_row(web.get("/").get_data(as_text=True), "Lea Früh") is None


def test_someones_next_exchanges_follow_every_change(web, world, make, app):
    login(web, world.viewer)
    assert _next_exchanges(web.get("/").get_data(as_text=True)) == [
        "Besuch in Lübeck", "Governance-Workshop"]
    with transaction():
        update_exchange(world.later, world.editor, {"status": "cancelled"})
    assert _next_exchanges(web.get("/").get_data(as_text=True)) == ["Besuch in Lübeck"]
    make.exchange(title="Netzwerktreffen", all_day=True,
                  start_date=timeutil.today() + timedelta(days=1),
                  participant_ids=[world.viewer.id])
    assert _next_exchanges(web.get("/").get_data(as_text=True)) == [
        "Besuch in Lübeck", "Netzwerktreffen"]
    # Another person's list is their own.
    other = app.test_client()
    login(other, world.editor)
    assert _next_exchanges(other.get("/").get_data(as_text=True)) == ["Besuch in Lübeck"]


def test_the_kept_answers_are_the_counted_ones_on_the_first_and_later_views(web, world,
                                                                             app):
    login(web, world.admin)
    web.get("/")  # the welcome message, shown once
    for store in ("home_team_overview", "home_next_exchanges", "home_my_tasks"):
        app.extensions.pop(store)
    first = web.get("/").get_data(as_text=True)  # counted
    assert app.extensions["home_team_overview"]["last"][1]
    assert app.extensions["home_next_exchanges"][world.admin.id][1] == []
    assert len(app.extensions["home_my_tasks"]) == 1
    second = web.get("/").get_data(as_text=True)  # kept
    token = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')
    assert token.sub("", first) == token.sub("", second)


def test_my_task_list_follows_every_change_and_has_the_pages_own_token(web, world, make):
    from tracker.organisations.services import update_organisation

    login(web, world.viewer)
    page = web.get("/").get_data(as_text=True)
    assert "Protokoll verschicken" in page and "<span>Lübeck</span>" in page
    with transaction():
        update_organisation(world.luebeck, world.admin, {"short_name": "HL"})
    page = web.get("/").get_data(as_text=True)
    assert "<span>HL</span>" in page and "<span>Lübeck</span>" not in page
    make.task(title="Neue Aufgabe", owner_id=world.viewer.id)
    assert "Neue Aufgabe" in web.get("/").get_data(as_text=True)
    # Checking off from the kept list works (its form carries this page's token) and
    # the task leaves the list.
    page = web.get("/").get_data(as_text=True)
    token = re.search(rf'action="/tasks/{world.viewer_task.id}/complete".*?'
                      r'name="csrf_token" type="hidden" value="([^"]+)"', page, re.S).group(1)
    response = web.post(f"/tasks/{world.viewer_task.id}/complete",
                        data={"csrf_token": token, "next": "/"})
    assert response.status_code == 302
    assert f'id="task-{world.viewer_task.id}"' not in web.get("/").get_data(as_text=True)


def test_links_by_id_are_the_ones_url_for_builds(app):
    from tracker.web.setup import PageUrls

    with app.test_request_context("/"):
        urls = PageUrls()
        for _ in range(2):  # the first call learns the pattern, the second uses it
            for endpoint, values in [
                ("tasks.show", {"task_id": 7}),
                ("tasks.complete", {"task_id": 1_234_567}),
                ("exchanges.show", {"exchange_id": 42}),
                ("tasks.index", {"owner_id": 3}),
                ("tasks.index", {"owner_id": 3, "overdue": "true"}),
                ("tasks.index", {}),
                ("tasks.show", {"task_id": 5, "_anchor": "notes"}),
                ("tasks.index", {"owner_id": 12, "status": "a b&c"}),
            ]:
                assert urls(endpoint, **values) == url_for(endpoint, **values), values


def test_page_texts_are_the_translations_flask_babel_gives(app):
    template = ("{{ _('Check off') }}|{{ _('from %(title)s', title='<Hafen>') }}|"
                "{{ ngettext('%(num)d task', '%(num)d tasks', 3) }}|{{ _('Check off') }}")
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        german = render_template_string(template)
        with force_locale("en"):
            english = render_template_string(template)
    assert german == "Abhaken|aus &lt;Hafen&gt;|3 Aufgaben|Abhaken"
    assert english == "Check off|from &lt;Hafen&gt;|3 tasks|Check off"


def test_days_and_due_words_kept_per_language_stay_in_that_language(app):
    day = date(2026, 3, 5)
    today = date(2026, 3, 8)
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert helpers.fmt_date(day) == "05.03.2026"
        assert helpers.relative_due(day, today) == "3 Tage überfällig"
        with force_locale("en"):
            assert helpers.fmt_date(day) == "Mar 5, 2026"
            assert helpers.relative_due(day, today) == "3 days overdue"
        page = render_template_string("{{ d|date }} {{ d|relative_due(t) }}", d=day, t=today)
        assert page == "05.03.2026 3 Tage überfällig"
