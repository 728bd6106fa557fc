"""/api/v1/tasks: create, read, change, check off, reopen, delete; and every way to fail."""

from __future__ import annotations

import json
from datetime import date

from tests.api_support import api_as, assert_problem
from tracker.core import audit
from tracker.extensions import db
from tracker.models import Task
from tracker.tasks import services as tasks_module


def _fresh(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task_id)


def test_create_a_task(make, client):
    api = api_as(make, client, "editor")
    owner = make.person(name="Lea Hoffmann")
    kiel = make.organisation(name="Kiel")
    exchange = make.exchange(title="Besuch Lübeck")
    outcome = make.outcome(exchange, "Governance-Workshop in Rostock")
    response = api.post("/tasks", json={
        "title": "Workshop vorbereiten",
        "description": "Raum und Moderation",
        "owner_id": owner.id,
        "organisation_id": kiel.id,
        "outcome_id": outcome.id,
        "due_date": "2026-12-10",
        "due_time": "09:30",
    })
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/tasks/{body['id']}")
    assert body["title"] == "Workshop vorbereiten" and body["owner_id"] == owner.id
    assert body["exchange_id"] == exchange.id  # taken from the outcome
    assert body["due_date"] == "2026-12-10" and body["due_time"] == "09:30"
    assert body["status"] == "open" and body["version"] == 1
    assert body["completed_at"] is None and body["completed_by_id"] is None
    assert body["created_at"].endswith("Z") or "+" in body["created_at"]
    [entry] = audit.history(_fresh(body["id"]))
    assert entry.action == "create" and entry.actor_id == api.person.id


def test_task_fields_are_those_of_the_contract(make, client):
    api = api_as(make, client, "viewer")
    task = make.task()
    body = api.get(f"/tasks/{task.id}").get_json()
    contract = {"id", "title", "description", "exchange_id", "outcome_id", "owner_id",
                "organisation_id", "due_date", "due_time", "status", "completed_at",
                "completed_by_id", "created_at", "updated_at", "version"}
    assert contract <= set(body)


def test_create_refuses_malformed_json_with_400(make, client):
    api = api_as(make, client, "editor")
    for raw in (b"{not json", b"", b"\xff\xfe", b'{"title": "\\ud800"}'):
        response = api.post("/tasks", data=raw, content_type="application/json")
        assert_problem(response, 400)
    assert_problem(api.post("/tasks", json=["a", "list"]), 400)
    assert_problem(api.post("/tasks", json="text"), 400)


def test_create_names_each_invalid_field(make, client):
    api = api_as(make, client, "editor")
    owner = make.person()
    valid = {"title": "Protokoll", "owner_id": owner.id}
    cases = [
        ({"owner_id": 999_999}, "owner_id"),
        ({"owner_id": 2**40}, "owner_id"),
        ({"owner_id": "7"}, "owner_id"),
        ({"owner_id": True}, "owner_id"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"due_date": "30.01.2026"}, "due_date"),
        ({"due_date": "0001-01-01"}, "due_date"),
        ({"due_date": "0"}, "due_date"),  # not the Unix epoch
        ({"due_date": "1764720000"}, "due_date"),
        ({"due_date": "2026-12-03T00:00:00"}, "due_date"),
        ({"title": "x" * 100_000}, "title"),
        ({"title": "   "}, "title"),
        ({"title": ""}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": None}, "title"),
        ({"due_time": "25:00", "due_date": "2026-12-01"}, "due_time"),
        ({"due_time": "09:00"}, "due_time"),
        ({"organisation_id": 424242}, "organisation_id"),
        ({"exchange_id": 424242}, "exchange_id"),
        ({"colour": "red"}, "colour"),
        ({"description": "x" * 20_001}, "description"),
    ]
    for change, field in cases:
        response = api.post("/tasks", json={**valid, **change})
        body = assert_problem(response, 422, field)
        assert body["detail"].startswith(field)
    missing = api.post("/tasks", json={"title": "ohne Besitzer"})
    assert_problem(missing, 422, "owner_id")
    assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 0


def test_an_outcome_of_another_exchange_is_refused(make, client):
    api = api_as(make, client, "editor")
    outcome = make.outcome()
    other = make.exchange()
    response = api.post("/tasks", json={"title": "x", "owner_id": api.person.id,
                                        "outcome_id": outcome.id, "exchange_id": other.id})
    assert_problem(response, 422, "outcome_id")


def test_a_body_over_the_limit_gets_413(app, make, client):
    api = api_as(make, client, "editor")
    body = json.dumps({"title": "x", "owner_id": 1, "description": "y" * 1_100_000})
    assert_problem(api.post("/tasks", data=body, content_type="application/json"), 413)
    app.config["API_MAX_BODY_BYTES"] = 100
    assert_problem(api.post("/tasks", json={"title": "z" * 200, "owner_id": 1}), 413)


def test_get_a_task_and_404s(make, client):
    api = api_as(make, client, "viewer")
    task = make.task(title="Bericht")
    assert api.get(f"/tasks/{task.id}").get_json()["title"] == "Bericht"
    assert_problem(api.get("/tasks/999999"), 404)
    assert_problem(api.get(f"/tasks/{2**70}"), 404)
    assert_problem(api.get("/tasks/0"), 404)
    assert_problem(api.get("/tasks/abc"), 404)


def test_patch_changes_only_what_is_sent_and_bumps_the_version(make, client):
    api = api_as(make, client, "editor")
    task = make.task(title="Alt", description="bleibt", due_date=date(2026, 12, 1))
    response = api.patch(f"/tasks/{task.id}", json={"title": "Neu", "due_date": "2026-12-08",
                                                     "version": 1})
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Neu" and body["description"] == "bleibt"
    assert body["due_date"] == "2026-12-08" and body["version"] == 2
    cleared = api.patch(f"/tasks/{task.id}", json={"due_date": None, "version": 2}).get_json()
    assert cleared["due_date"] is None and cleared["version"] == 3


def test_patch_needs_the_version(make, client):
    api = api_as(make, client, "editor")
    task = make.task()
    assert_problem(api.patch(f"/tasks/{task.id}", json={"title": "Neu"}), 422, "version")
    assert_problem(api.patch(f"/tasks/{task.id}", json={"title": "Neu", "version": "1"}), 422,
                   "version")


def test_a_stale_version_gets_409_with_the_current_record_and_changes_nothing(make, client):
    api = api_as(make, client, "editor")
    task = make.task(title="Erste Fassung")
    assert api.patch(f"/tasks/{task.id}", json={"title": "Zweite", "version": 1}).status_code == 200
    response = api.patch(f"/tasks/{task.id}", json={"title": "Dritte", "version": 1})
    body = assert_problem(response, 409)
    assert body["current"]["title"] == "Zweite" and body["current"]["version"] == 2
    assert _fresh(task.id).title == "Zweite"
    for path in (f"/tasks/{task.id}/complete", f"/tasks/{task.id}/reopen"):
        assert_problem(api.post(path, json={"version": 1}), 409)
    assert_problem(api.delete(f"/tasks/{task.id}?version=1"), 409)
    assert _fresh(task.id).deleted_at is None


def test_patch_errors(make, client):
    api = api_as(make, client, "editor")
    task = make.task()
    assert_problem(api.patch("/tasks/999999", json={"title": "x", "version": 1}), 404)
    assert_problem(api.patch(f"/tasks/{task.id}", json={"owner_id": 999_999, "version": 1}),
                   422, "owner_id")
    assert_problem(api.patch(f"/tasks/{task.id}", json={"status": "maybe", "version": 1}),
                   422, "status")
    assert_problem(api.patch(f"/tasks/{task.id}", data="{", content_type="application/json"),
                   400)
    assert _fresh(task.id).version == 1


def test_patch_status_cancels_and_reopens(make, client):
    api = api_as(make, client, "editor")
    task = make.task()
    cancelled = api.patch(f"/tasks/{task.id}", json={"status": "cancelled", "version": 1})
    assert cancelled.get_json()["status"] == "cancelled"
    body = assert_problem(api.post(f"/tasks/{task.id}/complete"), 422, "status")
    assert "reopen" in body["detail"]
    assert api.post(f"/tasks/{task.id}/reopen").get_json()["status"] == "open"


def test_complete_and_reopen(make, client):
    api = api_as(make, client, "editor")
    task = make.task()
    done = api.post(f"/tasks/{task.id}/complete", json={"version": 1})
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "done" and body["completed_by_id"] == api.person.id
    assert body["completed_at"] is not None and body["version"] == 2
    # Checking off twice changes nothing.
    assert api.post(f"/tasks/{task.id}/complete").get_json()["version"] == 2
    reopened = api.post(f"/tasks/{task.id}/reopen").get_json()
    assert reopened["status"] == "open" and reopened["completed_at"] is None
    assert_problem(api.post("/tasks/999999/complete"), 404)
    assert_problem(api.post("/tasks/999999/reopen"), 404)
    assert_problem(api.post(f"/tasks/{task.id}/complete", json={"version": 0}), 422, "version")
    assert_problem(api.post(f"/tasks/{task.id}/complete", json={"extra": 1}), 422, "extra")
    # An optional body is absent or JSON; a vertical tab is neither.
    as_json = "application/json"
    assert_problem(api.post(f"/tasks/{task.id}/complete", data=b"\x0b", content_type=as_json),
                   400)
    assert api.post(f"/tasks/{task.id}/reopen", data=b" \n", content_type=as_json).status_code \
        == 200


def test_delete_is_soft_and_the_task_is_gone_from_the_api(make, client):
    api = api_as(make, client, "editor")
    task = make.task()
    response = api.delete(f"/tasks/{task.id}")
    assert response.status_code == 204 and response.data == b""
    assert_problem(api.get(f"/tasks/{task.id}"), 404)
    assert_problem(api.delete(f"/tasks/{task.id}"), 404)
    assert_problem(api.patch(f"/tasks/{task.id}", json={"title": "x", "version": 2}), 404)
    assert api.get("/tasks").get_json()["items"] == []
    assert _fresh(task.id).deleted_at is not None  # still on record
    assert_problem(api.delete("/tasks/999999"), 404)
    assert_problem(api.delete(f"/tasks/{task.id}?version=x"), 422, "version")


def test_a_save_that_loses_a_race_gets_409_with_the_record(make, client, monkeypatch):
    """Both read version 1; the other save lands between our check and our UPDATE, so the
    database refuses ours (UPDATE … WHERE version = 1) and nothing of ours is kept."""
    from sqlalchemy import update

    api = api_as(make, client, "editor")
    task = make.task(title="Entwurf")
    original = tasks_module.update_task

    def racing(task, actor, changes, expected_version=None):
        table = Task.__table__
        db.session.execute(
            update(table).where(table.c.id == task.id).values(version=table.c.version + 1)
        )
        return original(task, actor, changes, expected_version)

    monkeypatch.setattr(tasks_module, "update_task", racing)
    body = assert_problem(api.patch(f"/tasks/{task.id}", json={"title": "Meins", "version": 1}),
                          409)
    assert body["current"]["id"] == task.id
    assert _fresh(task.id).title == "Entwurf"
