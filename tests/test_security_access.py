"""People who must not get in: a foreign Host, a copied cookie after sign-out, an idle or
old session, guesses at the current password, weak passwords."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.web import PASSWORD, csrf_token, login, post
from tracker import config
from tracker.accounts import services
from tracker.core.errors import InvalidField
from tracker.extensions import db
from tracker.notify.models import OutboxMessage

# --- 4. the app answers only to its own hosts ----------------------------------------------


@pytest.fixture
def no_base_url(app):
    """TRACKER_BASE_URL unset: links would come from the request's host."""
    app.config["TRACKER_BASE_URL"] = None
    app.config["TRUSTED_HOSTS"] = config.trusted_hosts(None, None)
    return app


def test_a_foreign_host_gets_400_and_no_mail_is_queued(no_base_url, web, world):
    login(web, world.admin)
    data = {"title": "Für Jonas", "owner_id": world.editor.id, "due_date": "2026-12-10",
            "csrf_token": csrf_token(web, "/tasks/new")}
    answer = web.post("/tasks/new", data=data, headers={"Host": "evil.example"})
    assert answer.status_code == 400
    assert "Unbekannte Adresse" in answer.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # From its own address the same form works and the note is queued.
    assert web.post("/tasks/new", data=data).status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_api_with_a_foreign_host_gets_problem_json(no_base_url, client, make):
    with make_token(make) as token:
        bearer = {"Authorization": f"Bearer {token}"}
        answer = client.get("/api/v1/me", headers={**bearer, "Host": "evil.example"})
        assert answer.status_code == 400
        assert answer.content_type == "application/problem+json"
        me = client.get("/api/v1/me", headers={**bearer, "Host": "localhost:5000"})
        assert me.status_code == 200
        assert me.json["calendar_feed_url"].startswith("http://localhost:5000/calendar/")


class make_token:
    """A user and their API token, for `with`."""

    def __init__(self, make) -> None:
        from tracker.core.database import transaction

        user = make.user()
        with transaction():
            _row, self.plain = services.issue_api_token(user)

    def __enter__(self) -> str:
        return self.plain

    def __exit__(self, *exc: object) -> None:
        return None


def test_trusted_hosts_are_loopback_the_base_urls_host_and_the_configured_ones():
    assert config.trusted_hosts(None, None) == ["localhost", "127.0.0.1", "::1"]
    assert config.trusted_hosts("https://tracker.rostock.example/", " a.example ,B.example") == [
        "localhost", "127.0.0.1", "::1", "tracker.rostock.example", "a.example", "b.example"]


def test_with_a_base_url_links_use_it_whatever_the_host(app, client, make):
    app.config["TRUSTED_HOSTS"] = config.trusted_hosts("https://tracker.test", "proxy.internal")
    with make_token(make) as token:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}",
                                               "Host": "proxy.internal"})
        assert me.status_code == 200
        assert me.json["calendar_feed_url"].startswith("https://tracker.test/calendar/")


# --- 5. signing out ends the session on the server ------------------------------------------


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_copied_before_sign_out_opens_nothing_after(web, world, app):
    login(web, world.editor)
    copied = _cookie(web)
    assert post(web, "/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/account").status_code == 302  # to the sign-in page


def test_signing_out_leaves_the_users_other_devices_signed_in(web, world, app):
    phone = app.test_client()
    login(phone, world.editor)
    login(web, world.editor)
    post(web, "/logout")
    assert phone.get("/account").status_code == 200


def test_an_idle_or_too_old_session_ends(web, world, app, monkeypatch):
    login(web, world.editor)
    assert web.get("/account").status_code == 200
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 11 * 3600)
    assert web.get("/account").status_code == 200  # used again: idle time starts over
    monkeypatch.setattr(time, "time", lambda: now + 23.5 * 3600)
    assert web.get("/account").status_code == 302  # 12 h 30 min unused

    login(web, world.editor)
    started = time.time()
    app.config["TRACKER_SESSION_MAX_DAYS"] = 2
    for hours in range(10, 48, 10):  # used every ten hours, never idle
        monkeypatch.setattr(time, "time", lambda h=hours: started + h * 3600)
        assert web.get("/account").status_code == 200
    monkeypatch.setattr(time, "time", lambda: started + 49 * 3600)
    assert web.get("/account").status_code == 302


def test_session_settings_come_from_the_environment(tmp_path):
    settings = config.from_environment(tmp_path, environ={"TRACKER_SESSION_IDLE_HOURS": "2"})
    assert settings["TRACKER_SESSION_IDLE_HOURS"] == 2
    assert settings["TRACKER_SESSION_MAX_DAYS"] == 30


# --- 6, 7. password guesses are throttled; successful sign-ins are not -----------------------


def test_eleven_wrong_current_passwords_get_429(database_url, make):
    from tracker import create_app
    from tracker.core.security import limiter

    make.user(email="anna@rostock.example")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True})
    limiter.reset()
    client = app.test_client()
    client.post("/login", data={"email": "anna@rostock.example", "password": PASSWORD})
    answers = [client.post("/account/password", data={
        "current": f"guess {n}", "new": "ein ganz neues Passwort", "repeat":
        "ein ganz neues Passwort"}).status_code for n in range(11)]
    assert answers[:10] == [400] * 10 and answers[10] == 429
    page = client.post("/account/password", data={"current": PASSWORD}).get_data(as_text=True)
    assert "Zu viele falsche Passwörter" in page
    # The same account's sign-in is throttled too: the guesses count together.
    other = app.test_client()
    signed_in = other.post("/login", data={"email": "anna@rostock.example", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.5.0.9"})
    assert signed_in.status_code == 429
    limiter.reset()


def test_successful_sign_ins_do_not_count_toward_the_limit(database_url, make):
    from tracker import create_app
    from tracker.core.security import limiter

    make.user(email="anna@rostock.example")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True})
    limiter.reset()
    answers = []
    for _attempt in range(25):
        client = app.test_client()
        answers.append(client.post("/login", data={"email": "anna@rostock.example",
                                                   "password": PASSWORD}).status_code)
    assert answers == [302] * 25
    limiter.reset()


# --- 8. weak passwords are refused ---------------------------------------------------------


@pytest.mark.parametrize("password", ["password123", "QWERTYUIOP", "1234567890", "iloveyou12"])
def test_common_passwords_are_refused(ctx, password):
    with pytest.raises(InvalidField) as refused:
        services.hash_password(password)
    assert refused.value.code == "password_too_common"


def test_the_list_is_shipped_and_large():
    assert len(services.common_passwords()) >= 10_000


@pytest.mark.parametrize("password", ["Schmidt-2026!x", "my anna.schmidt key", "xxANNAxxxxxx"])
def test_a_password_with_the_persons_name_or_address_is_refused(make, password):
    with pytest.raises(InvalidField) as refused:
        make.user(name="Anna Schmidt", email="anna.schmidt@rostock.example", password=password)
    assert refused.value.code == "password_contains_name"


def test_short_name_parts_do_not_count(make):
    make.user(name="Li Wu", email="li@rostock.example", password="li wu and the tracker")


def test_the_account_page_explains_a_weak_new_password(web, world):
    login(web, world.editor)
    answer = post(web, "/account/password", {"current": PASSWORD, "new": "jonas-editor-2026",
                                             "repeat": "jonas-editor-2026"})
    assert answer.status_code == 400
    assert "darf weder den Namen noch die E-Mail-Adresse" in answer.get_data(as_text=True)


def test_the_demo_and_bench_passwords_pass(ctx):
    from bench.data import PASSWORD as BENCH_PASSWORD
    from tracker.transfer.demo import DEMO_PASSWORD, PEOPLE

    for _key, name, email, _org, role, _locale in PEOPLE:
        if role:
            services.hash_password(DEMO_PASSWORD)
            services.check_personal_password(DEMO_PASSWORD, email, name)
    services.hash_password(BENCH_PASSWORD)
    services.hash_password(PASSWORD)
