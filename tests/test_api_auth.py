"""API authentication by bearer token, /me, and what each role may do."""

from __future__ import annotations

from datetime import date

from tests.api_support import Api, api_as, assert_problem, token_for
from tracker.accounts.models import ApiToken
from tracker.accounts.services import revoke_api_token, update_person
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.models import Task


def test_no_token_gets_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/tasks")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_malformed_authorization_header_gets_401(client):
    for header in ("Basic dXNlcjpwdw==", "Bearer", "Bearer    ", "trk_abc"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert_problem(response, 401)
        assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


def test_an_unknown_token_gets_401(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer trk_nonsense"})
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    long = client.get("/api/v1/me", headers={"Authorization": "Bearer " + "x" * 5000})
    assert_problem(long, 401)


def test_a_revoked_token_gets_401_at_once(make, client):
    api = api_as(make, client, "editor")
    assert api.get("/me").status_code == 200
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.person_id == api.person.id))
    with transaction():
        revoke_api_token(token)
    assert_problem(api.get("/me"), 401)


def test_a_deactivated_users_token_gets_401(make, client):
    api = api_as(make, client, "editor")
    with transaction():
        update_person(api.person, None, {"active": False})
    assert_problem(api.get("/me"), 401)


def test_using_a_token_records_when_it_was_last_used(make, client):
    api = api_as(make, client, "viewer")
    assert api.get("/me").status_code == 200
    db.session.expire_all()
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.person_id == api.person.id))
    assert token.last_used_at is not None


def test_me_shows_the_user_and_their_feed_links(make, client):
    api = api_as(make, client, "viewer", name="Anna Schulz")
    body = api.get("/me").get_json()
    assert body["id"] == api.person.id and body["name"] == "Anna Schulz"
    assert body["role"] == "viewer"
    assert {"created_at", "updated_at", "version"} <= set(body)
    assert body["calendar_feed_url"].startswith("https://tracker.test/calendar/")
    assert body["team_feed_url"].startswith("https://tracker.test/calendar/")
    assert body["calendar_feed_url"] != body["team_feed_url"]
    # Asking again gives the same links, and they answer with a calendar.
    again = api.get("/me").get_json()
    assert again["calendar_feed_url"] == body["calendar_feed_url"]
    for url in (body["calendar_feed_url"], body["team_feed_url"]):
        feed = client.get(url.removeprefix("https://tracker.test"))
        assert feed.status_code == 200
        assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"


def test_a_token_needs_no_session_cookie_and_no_csrf_token(app, make):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    owner = make.person()
    client = app.test_client(use_cookies=False)
    api = Api(client, token_for(make.user("editor")), None)
    response = api.post("/tasks", json={"title": "Protokoll verschicken", "owner_id": owner.id})
    assert response.status_code == 201


# ---------------------------------------------------------------- roles


def test_a_viewer_reads_everything(make, client):
    api = api_as(make, client, "viewer")
    task = make.task()
    exchange = make.exchange()
    make.organisation()
    for path in ("/tasks", f"/tasks/{task.id}", "/exchanges", f"/exchanges/{exchange.id}",
                 f"/exchanges/{exchange.id}/outcomes", "/people", "/organisations", "/me"):
        assert api.get(path).status_code == 200, path


def test_a_viewer_may_not_write(make, client):
    api = api_as(make, client, "viewer")
    task = make.task()
    exchange = make.exchange()
    attempts = [
        api.post("/tasks", json={"title": "x", "owner_id": api.person.id}),
        api.patch(f"/tasks/{task.id}", json={"title": "y", "version": 1}),
        api.delete(f"/tasks/{task.id}"),
        api.post("/exchanges", json={"title": "x", "starts_at": "2026-12-03T09:00:00+01:00"}),
        api.patch(f"/exchanges/{exchange.id}", json={"title": "y", "version": 1}),
        api.delete(f"/exchanges/{exchange.id}"),
        api.post(f"/exchanges/{exchange.id}/outcomes", json={"text": "x"}),
        api.post("/organisations", json={"name": "Kiel"}),
        api.post("/people", json={"name": "Jan"}),
        api.post(f"/tasks/{task.id}/complete"),
        api.patch(f"/tasks/{task.id}", json={"status": "cancelled", "version": 1}),
    ]
    for response in attempts:
        assert_problem(response, 403)
    db.session.expire_all()
    assert db.session.get(Task, task.id).version == 1


def test_a_viewer_checks_off_and_reopens_their_own_tasks(make, client):
    api = api_as(make, client, "viewer")
    task = make.task(owner_id=api.person.id)
    done = api.post(f"/tasks/{task.id}/complete")
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    assert done.get_json()["completed_by_id"] == api.person.id
    reopened = api.post(f"/tasks/{task.id}/reopen")
    assert reopened.get_json()["status"] == "open"
    again = api.patch(f"/tasks/{task.id}", json={"status": "done", "version": 3})
    assert again.status_code == 200 and again.get_json()["status"] == "done"


def test_an_editor_writes_but_gives_no_roles(make, client):
    api = api_as(make, client, "editor")
    assert api.post("/organisations", json={"name": "Kiel", "kind": "city"}).status_code == 201
    assert api.post("/people", json={"name": "Jan Petersen"}).status_code == 201
    assert_problem(api.post("/people", json={"name": "Eve", "role": "admin"}), 403)
    exchange = api.post("/exchanges", json={"title": "Werkstatt", "all_day": True,
                                            "start_date": "2026-12-02"})
    assert exchange.status_code == 201
    task = api.post("/tasks", json={"title": "Einladen", "owner_id": api.person.id,
                                    "due_date": str(date(2026, 12, 1))})
    assert task.status_code == 201


def test_an_admin_gives_roles(make, client):
    api = api_as(make, client, "admin")
    response = api.post("/people", json={"name": "Ida", "email": "ida@kiel.example",
                                         "role": "editor"})
    assert response.status_code == 201
    assert response.get_json()["role"] == "editor"


def test_last_used_is_recorded_to_the_minute_not_on_every_request(make, client):
    from datetime import timedelta

    api = api_as(make, client, "viewer")
    api.get("/me")

    def last_used():
        db.session.expire_all()
        return db.session.scalar(
            db.select(ApiToken.last_used_at).where(ApiToken.person_id == api.person.id)
        )

    first = last_used()
    api.get("/me")
    assert last_used() == first
    with transaction():
        db.session.execute(db.update(ApiToken).values(last_used_at=first - timedelta(minutes=5)))
    api.get("/me")
    assert last_used() > first - timedelta(minutes=5)


def test_first_asks_for_me_at_once_make_one_feed_each_and_no_error(app, make):
    """/me makes the feed links on the first ask; eight clients asking at once all get
    the same links, and a later ask only reads."""
    from concurrent.futures import ThreadPoolExecutor

    from tracker.calendar.models import FeedToken

    person = make.user("viewer")
    token = token_for(person)
    db.session.rollback()

    def ask(_):
        response = app.test_client().get("/api/v1/me",
                                          headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    assert {status for status, _ in answers} == {200}
    links = {(body["calendar_feed_url"], body["team_feed_url"]) for _, body in answers}
    if db.engine.dialect.name == "sqlite":  # PostgreSQL may make two at once; both work
        assert len(links) == 1
    kinds = db.session.scalars(
        db.select(FeedToken.kind).where(FeedToken.person_id == person.id)).all()
    assert sorted(set(kinds)) == ["personal", "team"]
