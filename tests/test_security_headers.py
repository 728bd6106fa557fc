"""Every answer carries the security headers; the session cookie is locked down."""

from __future__ import annotations

from flask import session


def test_every_answer_has_a_strict_policy(client):
    response = client.get("/no-such-page")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]


def _cookie_header(app, base_url: str) -> str:
    @app.get("/_set_session_for_test")
    def _set():
        session["probe"] = 1
        return "ok"

    response = app.test_client().get("/_set_session_for_test", base_url=base_url)
    return response.headers["Set-Cookie"]


def test_session_cookie_is_httponly_lax_and_secure_over_https(app):
    cookie = _cookie_header(app, "https://tracker.test")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_session_cookie_works_over_plain_http_for_local_use(app):
    cookie = _cookie_header(app, "http://127.0.0.1:5000")
    assert "HttpOnly" in cookie and "Secure" not in cookie


def test_sign_in_is_throttled_per_account_without_telling_which_emails_exist(
    database_url, make
):
    from tracker import create_app
    from tracker.core.security import limiter

    make.user(email="anna@rostock.example")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True})
    limiter.reset()
    client = app.test_client()

    def attempt(email, n):
        return client.post("/login", data={"email": email, "password": f"guess {n}"},
                           environ_base={"REMOTE_ADDR": f"10.9.{n}.1"})

    answers = [attempt("anna@rostock.example", n).status_code for n in range(11)]
    assert answers[:10] == [400] * 10 and answers[10] == 429
    # An unknown address gets the very same answers.
    unknown = [attempt("nobody@rostock.example", n).status_code for n in range(11)]
    assert unknown == answers
    page = attempt("anna@rostock.example", 99).get_data(as_text=True)
    assert "Too many sign-in attempts" in page or "Zu viele" in page
    limiter.reset()
