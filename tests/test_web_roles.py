"""Every mutating route (the table in tests/web.py) against every role, and CSRF refusal."""

from __future__ import annotations

import pytest

from tests.web import MUTATING_ROUTES, csrf_token, fresh, login, post
from tracker.tasks.models import Task


@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
@pytest.mark.parametrize("name,allowed,path,data", MUTATING_ROUTES,
                         ids=[r[0] for r in MUTATING_ROUTES])
def test_role_against_mutating_route(web, world, role, name, allowed, path, data):
    user = {"admin": world.admin, "editor": world.editor, "viewer": world.viewer}[role]
    login(web, user)
    response = post(web, path(world), data(world) if data else {})
    if role in allowed:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:2000]
    else:
        assert response.status_code == 403
    if name == "check off another's task" and role not in allowed:
        assert fresh(world.editor_task).status == "open"


@pytest.mark.parametrize("path", ["/tasks/{t}/complete", "/tasks/new", "/account/tokens",
                                  "/logout", "/language", "/tasks/bulk-complete"])
def test_forms_without_a_csrf_token_are_refused(web, world, path):
    login(web, world.editor)
    response = web.post(path.format(t=world.editor_task.id),
                        data={"title": "x", "owner_id": world.editor.id, "ids": [1]})
    assert response.status_code == 400
    assert "Formular abgelaufen" in response.get_data(as_text=True)
    assert fresh(world.editor_task).status == "open"
    assert web.get("/").status_code == 200  # still signed in


def test_a_token_from_another_session_is_refused(web, world, app):
    other = app.test_client()
    foreign = csrf_token(other)
    login(web, world.editor)
    response = web.post(f"/tasks/{world.editor_task.id}/complete", data={"csrf_token": foreign})
    assert response.status_code == 400
    assert fresh(world.editor_task).status == "open"
    assert Task  # the model is what the test checks against
