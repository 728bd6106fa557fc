"""Faults that must not show a bare error: ids no column holds, the database or Redis
gone, a read-only or full disk; and the health check operators and load balancers ask."""

from __future__ import annotations

import contextlib
import re
import socket
import sqlite3
import threading

import pytest
from sqlalchemy.engine import make_url

from tests.notify_support import free_port
from tests.web import csrf_token, fresh, login
from tracker import create_app
from tracker.extensions import db

#: Ids past the largest the columns hold: PostgreSQL's int4 ends below the first, SQLite's
#: (and Python's sqlite3) below the second.
TOO_LARGE = [2**31, 2**63]
_ID_ARGUMENT = re.compile(r"<(?:int|id):(\w+)>")


def _page_rules_with_ids(app):
    return [
        rule for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/") and _ID_ARGUMENT.search(rule.rule)
    ]


_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


def _real_values(world) -> dict[str, int | str]:
    """A real value for every URL argument of a page route with an id."""
    return {"task_id": world.editor_task.id, "exchange_id": world.exchange.id,
            "outcome_id": world.outcome.id, "person_id": world.viewer.id,
            "organisation_id": world.kiel.id, "token_id": 1,
            "kind": "tasks", "record_id": world.editor_task.id,  # the trash's restore
            # None of these exists in the world: those routes answer 404 whichever id is wrong.
            "series_id": 1, "topic_id": 1, "document_id": 1}


def test_every_page_route_takes_its_ids_through_the_one_converter(app):
    """`<id:…>` matches 1 … MAX_ID only; a page route with a bare `<int:…>` would not."""
    rules = _page_rules_with_ids(app)
    assert len(rules) >= 19
    assert [rule.rule for rule in rules if "<int:" in rule.rule] == []


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_an_id_no_column_holds_gets_404_on_every_page_route(web, world, app, too_large):
    """Built from the URL map: each id in each page route, one at a time, past the largest
    id; GET and POST (with a valid CSRF token) both answer 404 and change nothing."""
    login(web, world.admin)
    token = csrf_token(web, "/account")
    wrong = []
    for rule in _page_rules_with_ids(app):
        for name in _ID_ARGUMENT.findall(rule.rule):
            values = dict(_real_values(world), **{name: too_large})
            url = _ARGUMENT.sub(lambda m, v=values: str(v[m.group(1)]), rule.rule)
            for method in sorted(rule.methods & {"GET", "POST"}):
                data = {"csrf_token": token} if method == "POST" else None
                response = web.open(url, method=method, data=data)
                if response.status_code != 404:
                    wrong.append((method, url, response.status_code))
    assert not wrong, wrong
    assert fresh(world.editor_task).status == "open"
    assert web.get(f"/tasks/{world.editor_task.id}").status_code == 200


@pytest.mark.parametrize("too_large", TOO_LARGE)
@pytest.mark.parametrize("path", ["/tasks", "/tasks.csv", "/review", "/review.csv"])
@pytest.mark.parametrize("name", ["owner_id", "organisation_id", "exchange_id"])
def test_a_filter_with_an_id_no_column_holds_is_refused_like_any_bad_value(
        web, world, path, name, too_large):
    login(web, world.editor)
    response = web.get(f"{path}?{name}={too_large}")
    assert response.status_code in (200, 400), (path, name, response.status_code)


@pytest.mark.parametrize("too_large", TOO_LARGE)
@pytest.mark.parametrize("path", ["/tasks/new?exchange_id={n}&outcome_id={n}&owner_id={n}",
                                  "/exchanges/new?follows_up_id={n}"])
def test_a_form_preset_with_an_id_no_column_holds_is_left_empty(web, world, path, too_large):
    login(web, world.editor)
    assert web.get(path.format(n=too_large)).status_code == 200


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_an_outcome_no_column_holds_in_the_add_task_form_gets_404(web, world, too_large):
    login(web, world.editor)
    response = web.post(f"/exchanges/{world.exchange.id}/tasks?outcome_id={too_large}",
                        data={"csrf_token": csrf_token(web, "/account"), "x-title": "Neu",
                              "x-owner_id": world.viewer.id})
    assert response.status_code == 404


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_bulk_check_off_and_undo_skip_ids_no_column_holds(web, world, too_large):
    login(web, world.viewer)
    token = csrf_token(web, "/account")
    ids = [too_large, world.viewer_task.id, too_large + 1]
    response = web.post("/tasks/bulk-complete", data={"csrf_token": token, "ids": ids})
    assert response.status_code == 302
    assert fresh(world.viewer_task).status == "done"
    response = web.post("/tasks/undo", data={"csrf_token": token, "ids": ids})
    assert response.status_code == 302
    assert fresh(world.viewer_task).status == "open"


# == 10. The database down, busy, read-only or full =======================================

#: Nothing listens on port 1: connecting is refused at once, as with a database that is down.
DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/tracker"


def _app_on(url: str, **config):
    """An app as gunicorn runs it (errors are answered, not raised into the test)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret",
                       "RATELIMIT_ENABLED": False, **config})


def _signed_in(client, person_id: int = 1, epoch: int = 0):
    from tracker.accounts.auth import start_session

    with client.session_transaction() as cookie:
        cookie["_user_id"] = f"{person_id}:{epoch}"
        cookie["_fresh"] = True
        start_session(cookie)
    return client


def _assert_fault_page(response, *words: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:500]
    assert "Internal Server Error" not in html
    for word in words:
        assert word in html, html
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return html


def test_with_the_database_down_pages_answer_the_app_s_503_page_in_the_visitor_s_language():
    app = _app_on(DOWN_URL)
    client = _signed_in(app.test_client())
    for path in ["/", "/tasks", "/tasks/1", "/exchanges", "/review", "/account"]:
        html = _assert_fault_page(client.get(path, headers={"Accept-Language": "de"}),
                                  "Die Datenbank ist nicht erreichbar", 'lang="de"')
        assert "Abmelden" not in html  # no navigation: that would ask who is signed in
    assert client.get("/", headers={"Accept-Language": "de"}).headers["Retry-After"] == "30"
    _assert_fault_page(client.get("/tasks", headers={"Accept-Language": "en"}),
                       "The database cannot be reached", 'lang="en"')


def test_with_the_database_down_the_sign_in_form_answers_the_503_page():
    app = _app_on(DOWN_URL)
    client = app.test_client()
    page = client.get("/login", headers={"Accept-Language": "en"})
    assert page.status_code == 200  # the form itself needs no database
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    response = client.post("/login", headers={"Accept-Language": "en"}, data={
        "email": "anna@rostock.example", "password": "correct horse battery",
        "csrf_token": token.group(1)})
    _assert_fault_page(response, "The database cannot be reached")
    assert "Set-Cookie" not in response.headers or "remember" not in response.headers["Set-Cookie"]


def test_with_the_database_down_the_api_still_answers_a_problem():
    app = _app_on(DOWN_URL)
    response = app.test_client().get("/api/v1/tasks", headers={"Authorization": "Bearer x"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "reach" in response.get_json()["detail"]


def _copy_sqlite(source: str, target) -> None:
    """A consistent copy of a SQLite database in WAL mode (the backup API, not a file copy)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


class _Proxy:
    """A TCP relay to PostgreSQL that can be cut (every connection dropped, nothing
    listening) and put back on the same port: a database server going down and coming back."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        assert self._listener is not None
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self._listener.close()
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self._sockets.clear()


def test_pages_recover_by_themselves_when_the_database_is_back(database_url, world, tmp_path):
    """The same app, never restarted: pages work, the database goes, the 503 page, it comes
    back, pages work again (a pooled connection the server dropped is not reused)."""
    if database_url.startswith("postgresql"):
        url = make_url(database_url)
        proxy = _Proxy(url.host or "127.0.0.1", url.port or 5432)
        proxy.start()
        app = _app_on(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
        go_down, come_back = proxy.cut, proxy.start
    else:
        # SQLite "down": the folder its file lives in is not there (an unmounted volume; an
        # open file would stay readable, so the app starts without it); back: it is there.
        folder = tmp_path / "data"
        app = _app_on(f"sqlite:///{folder / 'tracker.sqlite3'}")

        def come_back() -> None:
            folder.mkdir()
            _copy_sqlite(make_url(database_url).database, folder / "tracker.sqlite3")

        go_down = None
    client = _signed_in(app.test_client(), world.viewer.id, world.viewer.session_epoch)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    try:
        if go_down:
            assert client.get("/tasks").status_code == 200
            go_down()
        _assert_fault_page(client.get("/tasks"), "The database cannot be reached")
        come_back()
        response = client.get("/tasks")
        assert response.status_code == 200
        assert "Protokoll verschicken" in response.get_data(as_text=True)
    finally:
        with app.app_context():
            db.engine.dispose()


def _read_only_app(database_url: str):
    """The test database, opened so that it takes no write (as a read-only disk would)."""
    if database_url.startswith("postgresql"):
        return _app_on(database_url, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {
            "options": "-c default_transaction_read_only=on"}})
    path = make_url(database_url).database
    return _app_on(f"sqlite:///file:{path}?mode=ro&uri=true")


def test_a_read_only_database_is_named_as_such_not_busy(database_url, world):
    app = _read_only_app(database_url)
    client = _signed_in(app.test_client(), world.viewer.id, world.viewer.session_epoch)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    try:
        assert client.get("/tasks").status_code == 200  # reading works
        page = client.get("/account").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post(f"/tasks/{world.viewer_task.id}/complete",
                               data={"csrf_token": token})
        html = _assert_fault_page(response, "The database is read-only", "administrator")
        assert "try again in a moment" not in html and "Retry-After" not in response.headers
        german = client.post(f"/tasks/{world.viewer_task.id}/complete",
                             data={"csrf_token": token}, headers={"Accept-Language": "de"})
        assert german.status_code == 503
    finally:
        with app.app_context():
            db.engine.dispose()
    assert fresh(world.viewer_task).status == "open"


def _driver_error(database_url: str, fault: str) -> Exception:
    """The error the database's own driver raises for `fault`, as SQLAlchemy wraps it."""
    from sqlalchemy.exc import OperationalError

    if database_url.startswith("postgresql"):
        import psycopg.errors

        cause = {"disk_full": psycopg.errors.DiskFull, "busy": psycopg.errors.LockNotAvailable}
        return OperationalError("INSERT", {}, cause[fault]())
    words = {"disk_full": "database or disk is full", "busy": "database is locked"}[fault]
    return OperationalError("INSERT", {}, sqlite3.OperationalError(words))


@pytest.mark.parametrize("fault,title,retry", [
    ("disk_full", "The database’s disk is full", None), ("busy", "The database is busy", "2")])
def test_a_full_disk_or_a_busy_database_gets_its_own_words(database_url, app, fault, title,
                                                          retry):
    error = _driver_error(database_url, fault)

    @app.post("/_fault_for_test")
    def _fault():
        raise error

    app.config.update(TESTING=False, WTF_CSRF_ENABLED=False)
    response = app.test_client().post("/_fault_for_test", headers={"Accept-Language": "en"})
    _assert_fault_page(response, title)
    assert response.headers.get("Retry-After") == retry


# == 11. Redis down =======================================================================

#: Nothing listens on port 1: a Redis that is not there.
REDIS_DOWN_URL = "redis://127.0.0.1:1/0"


def test_with_redis_down_sign_in_works_on_per_process_limits_and_says_so(
        database_url, make, caplog, monkeypatch):
    from tracker.core.security import limiter

    pytest.importorskip("redis")
    monkeypatch.setattr(limiter, "_storage_dead", False)  # put back for the next app
    make.user(email="anna@rostock.example")
    app = _app_on(database_url, TRACKER_RATELIMIT_STORAGE_URL=REDIS_DOWN_URL,
                  RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False)
    client = app.test_client()

    def sign_in(password: str, n: int):
        return client.post("/login", data={"email": "anna@rostock.example", "password": password},
                           environ_base={"REMOTE_ADDR": f"10.5.{n}.1"})

    with caplog.at_level("WARNING"):
        assert sign_in("correct horse battery", 0).status_code == 302
    assert "falling back to in-memory storage" in caplog.text
    client.post("/logout")
    # Guessing is still throttled, by this process alone.
    answers = [sign_in(f"guess {n}", n).status_code for n in range(1, 12)]
    assert 429 in answers and 500 not in answers
    with app.app_context():
        db.engine.dispose()


# == 13. The health check =================================================================


def test_the_health_check_says_all_is_well_without_a_session_or_a_secret(app, client):
    for _ in range(30):  # a load balancer polls it: no sign-in, no rate limit
        response = client.get("/healthz")
        assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "ok",
                                   "redis": "not configured"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    assert database not in response.get_data(as_text=True)


def test_the_health_check_answers_503_with_the_database_down():
    app = _app_on(DOWN_URL)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "unavailable",
                                   "migrations": "unknown", "redis": "not configured"}
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_the_health_check_answers_503_when_the_migrations_are_behind(client, monkeypatch):
    from tracker.health import checks

    monkeypatch.setattr(checks, "schema_heads", lambda: frozenset({"0099_from_the_future"}))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "behind"


def test_the_health_check_reports_redis_down_and_stays_in_service(database_url):
    pytest.importorskip("redis")
    app = _app_on(database_url, TRACKER_RATELIMIT_STORAGE_URL=REDIS_DOWN_URL)
    try:
        response = app.test_client().get("/healthz")
    finally:
        with app.app_context():
            db.engine.dispose()
    assert response.status_code == 200  # sign-in works on per-process limits meanwhile
    assert response.get_json() == {"status": "degraded", "database": "ok",
                                   "migrations": "ok", "redis": "unavailable"}
