"""/api/v1/exchanges and their outcomes; /organisations and /people."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.api_support import api_as, assert_problem
from tracker.extensions import db
from tracker.models import Exchange, Task


def test_create_a_timed_exchange(make, client):
    api = api_as(make, client, "editor")
    kiel = make.organisation(name="Kiel")
    response = api.post("/exchanges", json={
        "title": "Smart City Werkstatt",
        "kind": "werkstatt",
        "starts_at": "2026-12-02T14:00:00+01:00",
        "ends_at": "2026-12-02T16:00:00+01:00",
        "location": "Rathaus Rostock",
        "rrule": "FREQ=MONTHLY;BYDAY=1WE",
        "organisation_ids": [kiel.id],
        "participant_ids": [api.person.id],
    })
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/exchanges/{body['id']}")
    assert body["starts_at"] == "2026-12-02T13:00:00Z" and body["all_day"] is False
    assert body["start_date"] is None and body["rrule"] == "FREQ=MONTHLY;BYDAY=1WE"
    assert body["organisation_ids"] == [kiel.id] and body["participant_ids"] == [api.person.id]
    contract = {"id", "title", "kind", "status", "all_day", "starts_at", "ends_at", "start_date",
                "end_date", "location", "description", "rrule", "organisation_ids",
                "participant_ids", "created_at", "updated_at", "version"}
    assert contract <= set(body)


def test_create_an_all_day_exchange(make, client):
    api = api_as(make, client, "editor")
    body = api.post("/exchanges", json={"title": "SCCON", "kind": "conference", "all_day": True,
                                        "start_date": "2026-11-10", "end_date": "2026-11-12"})
    assert body.status_code == 201
    assert body.get_json()["end_date"] == "2026-11-12"
    assert body.get_json()["starts_at"] is None


def test_create_exchange_names_each_invalid_field(make, client):
    api = api_as(make, client, "editor")
    timed = {"title": "Besuch", "starts_at": "2026-12-03T09:00:00+01:00"}
    cases = [
        ({"ends_at": "2026-12-03T08:00:00+01:00"}, "ends_at"),
        ({"starts_at": "2026-12-03T09:00:00"}, "starts_at"),
        ({"starts_at": "9999-12-31T23:00:00-05:00"}, "starts_at"),
        ({"starts_at": "2026-13-03T09:00:00Z"}, "starts_at"),
        ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
        ({"rrule": "BYDAY=MO"}, "rrule"),
        ({"rrule": "FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z"}, "rrule"),
        ({"rrule": "FREQ=DAILY;INTERVAL=0"}, "rrule"),
        ({"rrule": "FREQ=DAILY;COUNT=0"}, "rrule"),
        ({"rrule": "FREQ=MONTHLY;BYMONTHDAY=40"}, "rrule"),
        ({"rrule": "FREQ=MINUTELY"}, "rrule"),
        ({"rrule": "FREQ=DAILY;;"}, "rrule"),
        ({"kind": "party"}, "kind"),
        ({"status": "maybe"}, "status"),
        ({"organisation_ids": [424242]}, "organisation_ids"),
        ({"participant_ids": [1, "2"]}, "participant_ids.1"),
        ({"title": "x" * 301}, "title"),
        ({"title": "zwei\nZeilen"}, "title"),
        ({"follows_up_id": 424242}, "follows_up_id"),
        ({"all_day": "yes"}, "all_day"),
    ]
    for change, field in cases:
        assert_problem(api.post("/exchanges", json={**timed, **change}), 422, field)
    all_day = {"title": "Werkstatt", "all_day": True, "start_date": "2026-12-02"}
    assert_problem(api.post("/exchanges", json={**all_day, "end_date": "2026-12-01"}), 422,
                   "end_date")
    assert_problem(api.post("/exchanges", json={**all_day, "start_date": "2026-02-30"}), 422,
                   "start_date")
    for written in ("0", "20261202", "2026-12-02T00:00:00"):
        assert_problem(api.post("/exchanges", json={**all_day, "start_date": written}), 422,
                       "start_date")
        assert_problem(api.post("/exchanges", json={**all_day, "end_date": written}), 422,
                       "end_date")
    assert_problem(api.post("/exchanges", json={"title": "ohne Zeit"}), 422, "starts_at")
    assert_problem(api.post("/exchanges", json={"title": "x", "all_day": True}), 422,
                   "start_date")
    assert_problem(api.post("/exchanges", data="[", content_type="application/json"), 400)
    assert db.session.scalar(db.select(db.func.count()).select_from(Exchange)) == 0


def test_get_patch_and_delete_an_exchange(make, client):
    api = api_as(make, client, "editor")
    exchange = make.exchange(title="Besuch Kiel")
    assert api.get(f"/exchanges/{exchange.id}").get_json()["title"] == "Besuch Kiel"
    changed = api.patch(f"/exchanges/{exchange.id}",
                        json={"status": "held", "description": "Protokoll", "version": 1})
    assert changed.status_code == 200
    assert changed.get_json()["status"] == "held" and changed.get_json()["version"] == 2
    stale = assert_problem(api.patch(f"/exchanges/{exchange.id}",
                                     json={"title": "x", "version": 1}), 409)
    assert stale["current"]["status"] == "held" and stale["current"]["version"] == 2
    assert_problem(api.patch(f"/exchanges/{exchange.id}", json={"title": "x"}), 422, "version")
    assert_problem(api.patch(f"/exchanges/{exchange.id}",
                             json={"ends_at": "2020-01-01T00:00:00Z", "version": 2}),
                   422, "ends_at")
    assert_problem(api.delete(f"/exchanges/{exchange.id}?version=1"), 409)
    assert api.delete(f"/exchanges/{exchange.id}").status_code == 204
    assert_problem(api.get(f"/exchanges/{exchange.id}"), 404)
    assert_problem(api.delete(f"/exchanges/{exchange.id}"), 404)
    assert_problem(api.patch(f"/exchanges/{exchange.id}", json={"title": "x", "version": 3}),
                   404)
    assert api.get("/exchanges").get_json()["items"] == []
    assert_problem(api.get("/exchanges/999999"), 404)


def test_moving_an_exchange_moves_the_tasks_due_at_it(make, client):
    api = api_as(make, client, "editor")
    exchange = make.exchange(starts_at=datetime(2026, 12, 3, 9, tzinfo=UTC), kind="workshop",
                             status="planned", location="Rostock")
    task = make.task(due_exchange_id=exchange.id, due_date=None)
    assert task.due_date == date(2026, 12, 3)
    response = api.patch(f"/exchanges/{exchange.id}", json={
        "starts_at": "2027-01-14T10:00:00+01:00", "ends_at": "2027-01-14T12:00:00+01:00",
        "version": 1})
    assert response.status_code == 200
    moved = response.get_json()
    assert (moved["kind"], moved["location"]) == ("workshop", "Rostock")  # not sent: unchanged
    assert api.get(f"/tasks/{task.id}").get_json()["due_date"] == "2027-01-14"
    db.session.expire_all()
    assert db.session.get(Task, task.id).due_date == date(2027, 1, 14)


def test_outcomes_of_an_exchange(make, client):
    api = api_as(make, client, "editor")
    exchange = make.exchange()
    kiel = make.organisation(name="Kiel")
    created = api.post(f"/exchanges/{exchange.id}/outcomes",
                       json={"text": "Workshop in Rostock", "organisation_ids": [kiel.id]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["exchange_id"] == exchange.id and body["status"] == "agreed"
    assert body["organisation_ids"] == [kiel.id] and body["version"] == 1
    listed = api.get(f"/exchanges/{exchange.id}/outcomes").get_json()
    assert [o["id"] for o in listed["items"]] == [body["id"]] and listed["next"] is None
    assert_problem(api.post(f"/exchanges/{exchange.id}/outcomes", json={"text": "  "}), 422,
                   "text")
    assert_problem(api.post(f"/exchanges/{exchange.id}/outcomes", json={}), 422, "text")
    assert_problem(api.post(f"/exchanges/{exchange.id}/outcomes",
                            json={"text": "x", "organisation_ids": [424242]}),
                   422, "organisation_ids")
    assert_problem(api.get("/exchanges/999999/outcomes"), 404)
    assert_problem(api.post("/exchanges/999999/outcomes", json={"text": "x"}), 404)


def test_organisations(make, client):
    api = api_as(make, client, "editor")
    created = api.post("/organisations", json={"name": "Hansestadt Lübeck", "short_name": "HL",
                                               "kind": "city", "country": "de"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["country"] == "DE" and body["version"] == 1
    assert [o["name"] for o in api.get("/organisations").get_json()["items"]] == [
        "Hansestadt Lübeck"]
    assert_problem(api.post("/organisations", json={"name": "hansestadt lübeck"}), 422, "name")
    assert_problem(api.post("/organisations", json={"name": "X", "country": "DEU"}), 422,
                   "country")
    assert_problem(api.post("/organisations", json={"name": "X", "kind": "pub"}), 422, "kind")
    assert_problem(api.post("/organisations", json={}), 422, "name")


def test_people(make, client):
    api = api_as(make, client, "admin", email="admin@rostock.example")
    kiel = make.organisation(name="Kiel")
    created = api.post("/people", json={"name": "Jan Petersen", "email": "Jan@Kiel.example",
                                        "organisation_id": kiel.id})
    assert created.status_code == 201
    body = created.get_json()
    assert body["email"] == "jan@kiel.example" and body["role"] is None
    names = [p["name"] for p in api.get("/people").get_json()["items"]]
    assert "Jan Petersen" in names
    assert_problem(api.post("/people", json={"name": "Jan", "email": "jan@kiel.example"}), 422,
                   "email")
    assert_problem(api.post("/people", json={"name": "Jan", "email": "not-an-address"}), 422,
                   "email")
    assert_problem(api.post("/people", json={"name": "Jan", "role": "boss"}), 422, "role")
    assert_problem(api.post("/people", json={"name": "Jan", "reminder_minutes": -1440}), 422,
                   "reminder_minutes")
    assert_problem(api.post("/people", json={"name": "Jan", "organisation_id": 424242}), 422,
                   "organisation_id")
    assert_problem(api.post("/people", json={"name": "Jan", "password": "secret-secret"}), 422,
                   "password")


def test_an_organisation_name_with_capital_umlauts_cannot_be_taken_twice(make, client):
    api = api_as(make, client, "editor")
    assert api.post("/organisations", json={"name": "ÄRZTEKAMMER MV"}).status_code == 201
    assert_problem(api.post("/organisations", json={"name": "ÄRZTEKAMMER MV"}), 422, "name")
