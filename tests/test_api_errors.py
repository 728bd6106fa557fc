"""Errors under /api/v1 are always RFC 9457 problem details, never an HTML page or a 500
for bad input."""

from __future__ import annotations

import json

from sqlalchemy.exc import OperationalError

from tests.api_support import PROBLEM, api_as, assert_problem
from tracker.extensions import db
from tracker.tasks import services as tasks
from tracker.tasks.models import Task


def test_unknown_paths_and_methods_answer_problem_json(make, client):
    api = api_as(make, client, "viewer")
    assert_problem(api.get("/nothing/here"), 404)
    assert_problem(client.get("/api/v1/nothing"), 404)  # even without a token
    assert_problem(api.get("/tasks/"), 404)
    response = api._call("PUT", "/tasks")
    assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    delete_all = api.delete("/exchanges")
    assert_problem(delete_all, 405)


def test_pages_outside_the_api_keep_their_own_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype != PROBLEM


def test_an_unexpected_error_is_a_problem_json_500_and_is_rolled_back(make, client,
                                                                     monkeypatch):
    api = api_as(make, client, "editor")
    task = make.task()

    def broken(task, actor, expected_version=None):
        task.title = "half-done"
        raise RuntimeError("bug")

    monkeypatch.setattr(tasks, "complete_task", broken)
    body = assert_problem(api.post(f"/tasks/{task.id}/complete"), 500)
    assert "bug" not in body.get("detail", "")  # no internals leak
    assert api.get(f"/tasks/{task.id}").get_json()["title"] != "half-done"


def test_a_busy_database_is_a_503_to_retry(make, client, monkeypatch):
    api = api_as(make, client, "editor")
    task = make.task()

    def busy(*args, **kwargs):
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    monkeypatch.setattr(tasks, "complete_task", busy)
    response = api.post(f"/tasks/{task.id}/complete")
    assert_problem(response, 503)
    assert response.headers["Retry-After"]


def test_odd_input_never_gives_a_500(make, client):
    api = api_as(make, client, "editor")
    task = make.task()
    exchange = make.exchange()
    bodies = [
        b"null", b"0", b'"x"', b"[]", b"{}", b'{"title": {}}', b'{"title": []}',
        b'{"owner_id": 1e400}', b'{"owner_id": -1}', b'{"due_date": 20261201}',
        b'{"title": "x", "owner_id": 1, "due_time": "09:00+02:00", "due_date": "2026-12-01"}',
        b'{"version": 1, "title": "\\u0000"}', b'{"version": 99999999999999999999}',
        b"\x00\x01\x02", "{\"title\": \"\u00e4\u00f6\u00fc \U0001F600\"}".encode(),
        b'{"organisation_ids": {"a": 1}}', b'{"participant_ids": [1, 1, 1]}',
        b'{"starts_at": "2026-12-03T09:00:00+99:00"}', b'{"all_day": null}',
    ]
    paths = [("POST", "/tasks"), ("PATCH", f"/tasks/{task.id}"), ("POST", "/exchanges"),
             ("PATCH", f"/exchanges/{exchange.id}"), ("POST", f"/tasks/{task.id}/complete"),
             ("POST", "/people"), ("POST", "/organisations"),
             ("POST", f"/exchanges/{exchange.id}/outcomes")]
    for method, path in paths:
        for raw in bodies:
            response = api._call(method, path, data=raw, content_type="application/json")
            assert response.status_code < 500, (method, path, raw, response.get_json())
            if response.status_code >= 400:
                assert response.mimetype == PROBLEM


def test_a_body_must_be_sent_as_json_or_is_refused_with_415(make, client):
    """A browser posts text/plain or a form to another site without asking first: the API
    takes a body only when it says it is JSON, and saves nothing otherwise."""
    api = api_as(make, client, "editor")
    task = make.task(title="Bericht")
    body = json.dumps({"title": "Eingeschleust", "owner_id": api.person.id})
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "application/jsonx", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = api.post("/tasks", data=body, headers=headers)
        assert_problem(response, 415)
        assert "application/json" in response.get_json()["detail"]
        patch = api.patch(f"/tasks/{task.id}", data=json.dumps({"version": 1, "title": "x"}),
                          headers=headers)
        assert_problem(patch, 415)
        assert_problem(api.post(f"/tasks/{task.id}/complete", data=b"{}", headers=headers),
                       415)
    assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 1
    assert db.session.get(Task, task.id).title == "Bericht"
    # JSON with a charset, and the +json types, are JSON.
    created = api.post("/tasks", data=body,
                       headers={"Content-Type": "application/json; charset=utf-8"})
    assert created.status_code == 201
    merged = api.patch(f"/tasks/{task.id}", data=json.dumps({"version": 1, "title": "Neu"}),
                       headers={"Content-Type": "application/merge-patch+json"})
    assert merged.status_code == 200 and merged.get_json()["title"] == "Neu"
    # No body at all needs no type.
    assert api.post(f"/tasks/{task.id}/complete").status_code == 200


def test_a_stranger_learns_nothing_from_a_wrongly_typed_body(client):
    response = client.post("/api/v1/tasks", data="{}", content_type="text/plain")
    assert_problem(response, 401)  # who you are comes first


def test_a_query_with_a_body_of_another_type_is_refused_too(make, client):
    api = api_as(make, client, "viewer")
    assert_problem(api.get("/tasks", data="owner_id=1", content_type="text/plain"), 415)
    assert api.get("/tasks", data="{}", content_type="application/json").status_code == 200
