"""Every answer carries the security headers; the session cookie is locked down."""

from __future__ import annotations

import pytest
from flask import session


def test_every_answer_has_a_strict_policy(client):
    response = client.get("/no-such-page")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers.getlist("Content-Security-Policy") == [csp]  # one sender: Talisman


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


def _throttled_app(database_url, **config):
    from tracker import create_app
    from tracker.core.security import limiter

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, **config})
    limiter.reset()
    return app


def _try(client, email: str, address: str, password: str = "guess"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_sign_in_is_throttled_per_address_whatever_the_email(database_url):
    client = _throttled_app(database_url).test_client()
    answers = [_try(client, f"person{n}@rostock.example", "10.7.0.1").status_code
               for n in range(21)]
    assert answers[:20] == [400] * 20 and answers[20] == 429
    assert _try(client, "person0@rostock.example", "10.7.0.2").status_code == 400


def test_a_wrong_password_and_an_unknown_email_take_as_long(database_url, make):
    """Both check a password hash, so the time taken does not tell which emails exist."""
    import statistics
    import time

    make.user(email="anna@rostock.example")
    client = _throttled_app(database_url, RATELIMIT_ENABLED=False).test_client()

    def median_seconds(email: str) -> float:
        times = []
        for n in range(7):
            start = time.perf_counter()
            assert _try(client, email, f"10.8.0.{n}").status_code == 400
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    median_seconds("warm@rostock.example")
    known, unknown = median_seconds("anna@rostock.example"), median_seconds("x@rostock.example")
    assert 0.5 < known / unknown < 2, (known, unknown)


def test_servers_sharing_redis_count_sign_in_attempts_together(database_url, make):
    """With TRACKER_RATELIMIT_STORAGE_URL on Redis, attempts on two servers add up."""
    import uuid

    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    make.user(email="anna@rostock.example")
    prefix = f"tracker-test-{uuid.uuid4().hex}"
    config = {"TRACKER_RATELIMIT_STORAGE_URL": url, "RATELIMIT_KEY_PREFIX": prefix}
    first = _throttled_app(database_url, **config).test_client()
    second = _throttled_app(database_url, **config).test_client()
    answers = [_try(first if n % 2 else second, "anna@rostock.example", f"10.6.{n}.1")
               .status_code for n in range(11)]
    assert answers[:10] == [400] * 10 and answers[10] == 429
    store = redis.Redis.from_url(url)
    kept = store.keys(f"*{prefix}*")
    assert kept  # the counts live in Redis, not in this process
    store.delete(*kept)
