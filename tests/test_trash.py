"""Deleting is recoverable: an exchange goes with its outcomes and tasks and comes back with
them; pages ask first and offer Undo; /trash lists deletions; the API restores."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.api_support import api_as, assert_problem
from tests.web import fresh, login, post
from tracker.core.audit import AuditEntry
from tracker.core.database import transaction
from tracker.exchanges import services as exchanges
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.tasks import services as tasks
from tracker.tasks.models import Task


def _live_task_ids() -> set[int]:
    return set(db.session.scalars(tasks.live_tasks().with_only_columns(Task.id)))


def _live_outcome_ids() -> set[int]:
    return set(db.session.scalars(select(Outcome.id).where(Outcome.is_live)))


# -- services ------------------------------------------------------------------------------


def test_deleting_an_exchange_takes_its_outcomes_and_tasks_and_restoring_brings_them_back(
        world):
    w = world
    other_task = w.editor_task.id, w.viewer_task.id
    with transaction():
        exchanges.delete_exchange(w.exchange, w.editor)
    assert not set(other_task) & _live_task_ids()
    assert w.outcome.id not in _live_outcome_ids()
    deletes = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "delete"))
    assert {(e.entity_type, e.actor_id) for e in deletes} == {
        ("exchanges", w.editor.id), ("outcomes", w.editor.id), ("tasks", w.editor.id)}

    with transaction():
        exchanges.restore_exchange(fresh(w.exchange), w.editor)
    assert set(other_task) <= _live_task_ids()
    assert w.outcome.id in _live_outcome_ids()
    assert fresh(w.exchange).is_live


def test_restoring_an_exchange_leaves_what_was_deleted_before_it_in_the_trash(world):
    w = world
    with transaction():
        tasks.delete_task(w.editor_task, w.editor)
    with transaction():
        exchanges.delete_exchange(fresh(w.exchange), w.editor)
    with transaction():
        exchanges.restore_exchange(fresh(w.exchange), w.editor)
    assert w.viewer_task.id in _live_task_ids()
    assert w.editor_task.id not in _live_task_ids()


def test_restoring_an_outcome_brings_back_its_tasks(world, make):
    w = world
    own = make.task(title="Eigene", owner_id=w.editor.id, exchange_id=w.exchange.id)
    with transaction():
        exchanges.delete_outcome(w.outcome, w.editor)
    assert w.viewer_task.id not in _live_task_ids()
    assert {own.id, w.editor_task.id} <= _live_task_ids()  # not of the outcome
    with transaction():
        exchanges.restore_outcome(fresh(w.outcome), w.editor)
    assert w.viewer_task.id in _live_task_ids()
    assert fresh(w.outcome).is_live


def test_an_outcome_or_task_of_a_deleted_exchange_waits_for_its_exchange(world):
    w = world
    with transaction():
        exchanges.delete_exchange(w.exchange, w.editor)
    for restore, record, field in ((exchanges.restore_outcome, w.outcome, "exchange_id"),
                                   (tasks.restore_task, w.viewer_task, "outcome_id"),
                                   (tasks.restore_task, w.editor_task, "exchange_id")):
        try:
            with transaction():
                restore(fresh(record), w.editor)
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "field", None) == field, exc
        else:
            raise AssertionError(f"{record} was restored without its parent")
        assert not fresh(record).is_live


# -- pages ---------------------------------------------------------------------------------


def test_deleting_an_exchange_asks_first_and_says_what_goes_with_it(web, world):
    login(web, world.editor, locale="en")
    page = web.get(f"/exchanges/{world.exchange.id}")
    assert f'href="/exchanges/{world.exchange.id}/delete"' in page.get_data(as_text=True)
    html = web.get(f"/exchanges/{world.exchange.id}/delete").get_data(as_text=True)
    assert "Delete the exchange" in html and "Besuch in Lübeck" in html
    assert "1 outcome" in html and "2 tasks" in html
    assert fresh(world.exchange).is_live  # asking changed nothing


def test_deleting_a_task_asks_first_then_undo_restores_it(web, world):
    login(web, world.editor, locale="en")
    html = web.get(f"/tasks/{world.editor_task.id}/delete").get_data(as_text=True)
    assert "Delete the task" in html and "Raum buchen" in html
    response = post(web, f"/tasks/{world.editor_task.id}/delete", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Task deleted: Raum buchen" in html and ">Undo</button>" in html
    assert not fresh(world.editor_task).is_live
    undo = re.search(r'action="(/trash/tasks/\d+/restore)"', html)
    assert undo
    response = post(web, undo.group(1), follow_redirects=True)
    assert "Restored: Raum buchen" in response.get_data(as_text=True)
    assert fresh(world.editor_task).is_live


def test_an_exchange_deleted_by_mistake_comes_back_whole_with_undo(web, world):
    login(web, world.editor, locale="en")
    response = post(web, f"/exchanges/{world.exchange.id}/delete", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Exchange deleted: Besuch in Lübeck" in html
    assert web.get(f"/exchanges/{world.exchange.id}").status_code == 404
    assert not fresh(world.viewer_task).is_live and not fresh(world.outcome).is_live
    post(web, f"/trash/exchanges/{world.exchange.id}/restore")
    page = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    assert "Lübeck, Kiel und Rostock halten einen Workshop ab" in page
    assert "Protokoll verschicken" in page and "Raum buchen" in page


def test_the_trash_lists_deletions_newest_first_with_who_and_restores(web, world, make):
    with transaction():
        tasks.delete_task(world.editor_task, world.admin)
    with transaction():
        exchanges.delete_exchange(fresh(world.exchange), world.editor)
    login(web, world.editor, locale="en")
    html = web.get("/trash").get_data(as_text=True)
    exchange_row = html.index(f'id="trash-exchanges-{world.exchange.id}"')
    task_row = html.index(f'id="trash-tasks-{world.editor_task.id}"')
    assert exchange_row < task_row  # newest first
    assert "with 1 outcome, 1 task" in html  # the viewer's task; the editor's went before
    assert world.editor.name in html[exchange_row:task_row]
    assert world.admin.name in html[task_row:]
    assert f'id="trash-outcomes-{world.outcome.id}"' not in html  # it went with the exchange
    assert f'id="trash-tasks-{world.viewer_task.id}"' not in html

    response = post(web, f"/trash/tasks/{world.editor_task.id}/restore", follow_redirects=True)
    assert "restore the exchange first" in response.get_data(as_text=True)
    assert not fresh(world.editor_task).is_live
    post(web, f"/trash/exchanges/{world.exchange.id}/restore")
    post(web, f"/trash/tasks/{world.editor_task.id}/restore")
    assert fresh(world.editor_task).is_live and fresh(world.viewer_task).is_live
    assert "The trash is empty." in web.get("/trash").get_data(as_text=True)


def test_viewers_see_no_trash_and_cannot_restore(web, world):
    with transaction():
        tasks.delete_task(world.editor_task, world.editor)
    login(web, world.viewer, locale="en")
    assert web.get("/trash").status_code == 403
    assert post(web, f"/trash/tasks/{world.editor_task.id}/restore").status_code == 403
    assert web.get(f"/tasks/{world.viewer_task.id}/delete").status_code == 403
    assert not fresh(world.editor_task).is_live


def test_restore_and_delete_need_the_csrf_token(web, world):
    with transaction():
        tasks.delete_task(world.editor_task, world.editor)
    login(web, world.editor, locale="en")
    assert web.post(f"/trash/tasks/{world.editor_task.id}/restore").status_code == 400
    assert web.post(f"/exchanges/{world.exchange.id}/delete").status_code == 400
    assert not fresh(world.editor_task).is_live and fresh(world.exchange).is_live


def test_restoring_what_does_not_exist_is_404(web, world):
    login(web, world.editor, locale="en")
    for path in ("/trash/tasks/999999/restore", "/trash/people/1/restore",
                 "/trash/tasks/99999999999/restore"):
        assert post(web, path).status_code == 404, path


def test_the_exchange_page_shows_its_history_and_its_outcomes(web, world):
    with transaction():
        exchanges.update_outcome(world.outcome, world.editor, {"text": "Neu formuliert"})
    login(web, world.viewer, locale="en")
    html = web.get(f"/exchanges/{world.exchange.id}").get_data(as_text=True)
    history = html[html.index(">History<"):]
    assert "created" in history
    assert "Outcome “Neu formuliert”" in history and "changed" in history
    assert world.editor.name in history


# -- API -----------------------------------------------------------------------------------


def test_the_api_restores_an_exchange_with_its_outcomes_and_tasks(make, client, world):
    api = api_as(make, client, "editor")
    assert api.delete(f"/exchanges/{world.exchange.id}").status_code == 204
    assert api.get(f"/tasks/{world.viewer_task.id}").status_code == 404
    response = api.post(f"/exchanges/{world.exchange.id}/restore")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["id"] == world.exchange.id
    assert api.get(f"/tasks/{world.viewer_task.id}").status_code == 200
    outcomes = api.get(f"/exchanges/{world.exchange.id}/outcomes").get_json()["items"]
    assert [o["id"] for o in outcomes] == [world.outcome.id]


def test_the_api_restores_outcomes_and_tasks(make, client, world):
    api = api_as(make, client, "editor")
    with transaction():
        exchanges.delete_outcome(world.outcome, world.editor)
    response = api.post(f"/outcomes/{world.outcome.id}/restore")
    assert response.status_code == 200 and response.get_json()["id"] == world.outcome.id
    assert api.get(f"/tasks/{world.viewer_task.id}").status_code == 200
    api.delete(f"/tasks/{world.editor_task.id}")
    response = api.post(f"/tasks/{world.editor_task.id}/restore")
    assert response.status_code == 200 and response.get_json()["title"] == "Raum buchen"


def test_restoring_what_is_not_deleted_answers_it_unchanged(make, client, world):
    api = api_as(make, client, "editor")
    before = api.get(f"/tasks/{world.editor_task.id}").get_json()
    response = api.post(f"/tasks/{world.editor_task.id}/restore")
    assert response.status_code == 200 and response.get_json() == before
    assert api.post(f"/exchanges/{world.exchange.id}/restore").status_code == 200
    assert api.post(f"/outcomes/{world.outcome.id}/restore").status_code == 200


def test_restore_errors_in_the_api(make, client, world):
    editor, viewer = api_as(make, client, "editor"), api_as(make, client, "viewer")
    for path in ("/tasks/999999/restore", "/outcomes/999999/restore",
                 "/exchanges/999999/restore", "/tasks/0/restore"):
        assert_problem(editor.post(path), 404)
    with transaction():
        exchanges.delete_exchange(world.exchange, world.editor)
    assert_problem(viewer.post(f"/exchanges/{world.exchange.id}/restore"), 403)
    assert_problem(editor.post(f"/outcomes/{world.outcome.id}/restore"), 422, "exchange_id")
    assert_problem(editor.post(f"/tasks/{world.editor_task.id}/restore"), 422, "exchange_id")
    assert not fresh(world.exchange).is_live and not fresh(world.outcome).is_live
    assert Exchange  # the model the test checks against


def test_a_deleted_series_waits_in_the_trash_with_its_coming_meetings(web, world, make):
    """Deleting the Werkstatt takes its coming meetings; the trash lists the series alone,
    and restoring it brings them back."""
    from datetime import UTC, datetime, time, timedelta

    from tracker.core.timeutil import from_local, today
    from tracker.series.models import Series
    from tracker.series.services import create_series

    first = today() + timedelta(days=14)
    with transaction():
        series = create_series(fresh(world.editor), title="Werkstatt", kind="werkstatt",
                               starts_at=from_local(first, time(14)),
                               rrule="FREQ=MONTHLY;INTERVAL=3")
    series_id = series.id
    coming = set(db.session.scalars(select(Exchange.id).where(
        Exchange.series_id == series_id, Exchange.is_live,
        Exchange.starts_at >= datetime.now(UTC))))
    assert len(coming) >= 2
    login(web, world.editor, locale="en")
    version = fresh(series).version
    assert post(web, f"/series/{series_id}/delete", {"version": version}).status_code == 302
    assert not fresh(series).is_live
    page = web.get("/trash").get_data(as_text=True)
    assert f"trash-series-{series_id}" in page
    assert not any(f"trash-exchanges-{meeting}" in page for meeting in coming)
    assert post(web, f"/trash/series/{series_id}/restore").status_code == 302
    db.session.rollback()
    assert db.session.get(Series, series_id).is_live
    assert coming <= set(db.session.scalars(select(Exchange.id).where(
        Exchange.series_id == series_id, Exchange.is_live)))
