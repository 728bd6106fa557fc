"""Signing in and out, `next`, the account page, language, password and API tokens."""

from __future__ import annotations

import pytest

from tests.web import PASSWORD, csrf_token, fresh, login, post
from tracker.accounts.models import ApiToken
from tracker.accounts.services import person_for_api_token
from tracker.extensions import db


def test_signed_out_visitors_are_sent_to_login_with_next(web, world):
    for path in ["/", "/tasks?status=done", "/exchanges", "/review", "/account", "/people"]:
        response = web.get(path)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")



def test_the_sign_in_page_says_why_in_the_visitor_s_language(web, world):
    web.get("/tasks")
    assert "Bitte melden Sie sich an, um diese Seite zu sehen." in web.get("/login").text
    web.get("/tasks", headers={"Accept-Language": "en"})
    page = web.get("/login", headers={"Accept-Language": "en"}).text
    assert "Please sign in to see this page." in page and "Please log in" not in page

def test_sign_in_goes_to_a_local_next_only(web, world):
    token = csrf_token(web)
    data = {"email": world.editor.email, "password": PASSWORD, "csrf_token": token,
            "next": "/tasks?status=done"}
    assert web.post("/login", data=data).location == "/tasks?status=done"
    web.post("/logout", data={"csrf_token": csrf_token(web, "/account")})
    for evil in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]:
        token = csrf_token(web)
        response = web.post("/login", data={**data, "csrf_token": token, "next": evil})
        assert response.location == "/", evil
        web.post("/logout", data={"csrf_token": csrf_token(web, "/account")})


def test_wrong_password_and_deactivated_user_are_refused(web, world, make):
    token = csrf_token(web)
    response = web.post("/login", data={"email": world.editor.email, "password": "nope",
                                        "csrf_token": token}, headers={"Accept-Language": "de"})
    assert response.status_code == 400
    assert "E-Mail oder Passwort ist falsch" in response.get_data(as_text=True)
    gone = make.user("editor", email="gone@rostock.example", active=False)
    response = web.post("/login", data={"email": gone.email, "password": PASSWORD,
                                        "csrf_token": token})
    assert response.status_code == 400


def test_logout_needs_a_post_and_ends_the_session(web, world):
    login(web, world.editor)
    assert web.get("/logout").status_code == 200  # a page with a button, still signed in
    assert web.get("/").status_code == 200
    response = post(web, "/logout")
    assert response.status_code == 302
    assert web.get("/").status_code == 302


def test_account_page_saves_settings_and_language(web, world):
    login(web, world.viewer)
    page = web.get("/account").get_data(as_text=True)
    assert "Persönliche API-Tokens" in page
    assert 'id="assignment_notes" name="assignment_notes" type="checkbox" value="y"' in page
    response = post(web, "/account", {"name": "Mehmet Y.", "locale": "en", "digest": "daily",
                                      "reminder_minutes": "60", "version": "1"})
    assert response.status_code == 302
    person = fresh(world.viewer)
    assert (person.name, person.locale, person.digest, person.reminder_minutes) == (
        "Mehmet Y.", "en", "daily", 60)
    assert person.assignment_notes is False  # the box was left unticked
    assert "Personal API tokens" in web.get("/account").get_data(as_text=True)


def test_language_switch_in_the_footer(web, world):
    login(web, world.editor)
    response = post(web, "/language", {"locale": "en", "next": "/tasks"})
    assert response.location == "/tasks"
    assert "Check off" in web.get("/").get_data(as_text=True)
    post(web, "/language", {"locale": "de", "next": "/"})
    assert "Abhaken" in web.get("/").get_data(as_text=True)


def test_password_change_needs_the_current_one_and_ends_other_sessions(web, world, app):
    login(web, world.editor)
    other = app.test_client()
    login(other, world.editor)
    bad = post(web, "/account/password", {"current": "wrong", "new": "a new password 1",
                                           "repeat": "a new password 1"})
    assert bad.status_code == 400
    ok = post(web, "/account/password", {"current": PASSWORD, "new": "a new password 1",
                                          "repeat": "a new password 1"})
    assert ok.status_code == 302
    assert web.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one ended


def test_api_token_is_shown_once_and_can_be_revoked(web, world):
    login(web, world.editor)
    page = post(web, "/account/tokens", {"token-name": "Skript"}).get_data(as_text=True)
    plain = page.split('id="new-token">')[1].split("<")[0]
    assert plain.startswith("trk_")
    assert person_for_api_token(plain).id == world.editor.id
    again = web.get("/account").get_data(as_text=True)
    assert plain not in again and "Skript" in again
    db.session.rollback()
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.person_id == world.editor.id))
    assert post(web, f"/account/tokens/{token.id}/revoke").status_code == 302
    db.session.rollback()
    assert person_for_api_token(plain) is None


def test_nobody_revokes_someone_elses_token(web, world):
    from tracker.accounts.services import issue_api_token
    from tracker.core.database import transaction

    with transaction():
        token, _plain = issue_api_token(world.admin, "admin")
    login(web, world.editor)
    assert post(web, f"/account/tokens/{token.id}/revoke").status_code == 404


def test_account_page_leaves_room_for_the_calendar_partial(web, world, app):
    login(web, world.editor)
    assert web.get("/account").status_code == 200
    source = app.jinja_env.loader.get_source(app.jinja_env, "accounts/account.html")[0]
    assert '{% include "calendar/_subscriptions.html" ignore missing %}' in source


@pytest.mark.parametrize("path", ["/nowhere", "/tasks/999999", "/exchanges/999999"])
def test_not_found_pages_are_in_the_apps_style(web, world, path):
    login(web, world.editor)
    response = web.get(path)
    assert response.status_code == 404
    assert "Nicht gefunden" in response.get_data(as_text=True)


def test_signed_out_visitors_can_switch_the_language(web, world):
    page = web.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Anmelden" in page
    token = csrf_token(web, "/login")
    response = web.post("/language", data={"locale": "en", "next": "/login",
                                           "csrf_token": token})
    assert response.location == "/login"
    page = web.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Sign in" in page and '<html lang="en">' in page
