"""Every mutating route against every role (a table), and CSRF refusal."""

from __future__ import annotations

import pytest

from tests.web import (
    a_date,
    csrf_token,
    exchange_form_data,
    fresh,
    login,
    post,
    task_form_data,
    web,
    world,
)
from tracker.tasks.models import Task

ALL = {"admin", "editor", "viewer"}
EDITORS = {"admin", "editor"}
ADMINS = {"admin"}




#: (name, who may, method path, form data) — paths and data are built from the world.
ROUTES = [
    ("task create", EDITORS, lambda w: "/tasks/new", task_form_data),
    ("task edit", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/edit", task_form_data),
    ("check off own task", ALL, lambda w: f"/tasks/{w.viewer_task.id}/complete", None),
    ("check off another's task", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/complete",
     None),
    ("reopen own task", ALL, lambda w: f"/tasks/{w.viewer_task.id}/reopen", None),
    ("reopen another's task", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/reopen", None),
    ("task cancel", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/cancel", None),
    ("task delete", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/delete", None),
    ("task plan exchange", EDITORS, lambda w: f"/tasks/{w.editor_task.id}/plan",
     exchange_form_data),
    ("bulk check-off", ALL, lambda w: "/tasks/bulk-complete",
     lambda w: {"ids": [w.viewer_task.id]}),
    ("undo", ALL, lambda w: "/tasks/undo", lambda w: {"ids": [w.viewer_task.id]}),
    ("exchange create", EDITORS, lambda w: "/exchanges/new", exchange_form_data),
    ("exchange edit", EDITORS, lambda w: f"/exchanges/{w.later.id}/edit", exchange_form_data),
    ("outcome add", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/outcomes",
     lambda w: {"text": "Vereinbart"}),
    ("task add in place", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/tasks",
     lambda w: {"x-title": "Neu", "x-owner_id": w.viewer.id}),
    ("outcome drop", EDITORS, lambda w: f"/exchanges/{w.exchange.id}/outcomes/{w.outcome.id}/drop",
     lambda w: {"dropped": "1"}),
    ("exchange delete", EDITORS, lambda w: f"/exchanges/{w.later.id}/delete", None),
    ("person create", ADMINS, lambda w: "/people/new",
     lambda w: {"name": "Neue Person", "role": "", "active": "y"}),
    ("person edit", ADMINS, lambda w: f"/people/{w.viewer.id}/edit",
     lambda w: {"name": "Mehmet", "email": w.viewer.email, "role": "viewer", "active": "y"}),
    ("organisation create", ADMINS, lambda w: "/organisations/new",
     lambda w: {"name": "Stadt Flensburg", "kind": "city", "active": "y"}),
    ("organisation edit", ADMINS, lambda w: f"/organisations/{w.kiel.id}/edit",
     lambda w: {"name": "Kiel", "kind": "city", "active": "y"}),
    ("own account", ALL, lambda w: "/account",
     lambda w: {"name": "Ich", "locale": "de", "digest": "weekly"}),
    ("own API token", ALL, lambda w: "/account/tokens", lambda w: {"token-name": "x"}),
    ("language", ALL, lambda w: "/language", lambda w: {"locale": "en"}),
]


@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
@pytest.mark.parametrize("name,allowed,path,data", ROUTES, ids=[r[0] for r in ROUTES])
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
