"""Fixtures: a real database (SQLite by default, PostgreSQL when TRACKER_TEST_DATABASE_URL
names one), migrated once per run and emptied after every test; an app per test; for the
page tests a client whose requests run as in a server and a small team (`web`, `world`);
a mail server for the notify tests (`smtp_server`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool
from sqlalchemy.util import LRUCache
from werkzeug.routing.rules import Rule

from tests.db_support import empty_all_tables
from tests.notify_support import Inbox, free_port, start_server
from tests.passwords import each_password_hashed_once
from tests.web import IsolatedClient, World
from tracker import create_app
from tracker.core import timeutil
from tracker.core.database import transaction
from tracker.extensions import db

TEST_DATABASE_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")

#: What the load tests sent and what came of it, summed up at the end of the run.
LOAD_FIGURES = pytest.StashKey[list]()


def pytest_configure(config):
    _share_url_builders()


@pytest.fixture
def load_figures_of_run(request) -> list[dict]:
    """Where the load tests put what they sent and what came of it, for the closing summary."""
    return request.config.stash.setdefault(LOAD_FIGURES, [])


def pytest_sessionfinish(session):
    """A test worker (pytest-xdist) hands its load figures to the process that reports."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["load_figures"] = session.config.stash.get(LOAD_FIGURES, [])


def pytest_testnodedown(node, error):
    """The reporting process collects the load figures of each worker as it finishes."""
    figures = getattr(node, "workeroutput", {}).get("load_figures", [])
    node.config.stash.setdefault(LOAD_FIGURES, []).extend(figures)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    figures = config.stash.get(LOAD_FIGURES, [])
    if not figures:
        return
    database = "PostgreSQL" if TEST_DATABASE_URL else "SQLite"
    terminalreporter.section(f"load against live gunicorn ({database})")
    for f in (f for f in figures if f["sent"]):  # not those skipped on this database
        lost = "-" if f["lost"] is None else f["lost"]
        terminalreporter.write_line(
            f"{f['test']}: {f['sent']} requests, {f['errors']} 5xx, {f['cut']} cut by a "
            f"killed worker, answers {f['statuses']}, changes lost {lost}")
    terminalreporter.write_line(
        f"in all: {sum(f['sent'] for f in figures)} requests, "
        f"{sum(f['errors'] for f in figures)} 5xx, changes lost "
        f"{sum(f['lost'] or 0 for f in figures)}")


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """The test database, brought to the newest schema by the migrations themselves.

    Under pytest-xdist each worker has one of its own: a SQLite file in its own temporary
    folder, or on PostgreSQL a database named after TRACKER_TEST_DATABASE_URL's and the
    worker (`<name>_gw0`), made afresh here and dropped at the end."""
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if not TEST_DATABASE_URL:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    elif worker:
        url = _fresh_postgres_database(TEST_DATABASE_URL, worker)
    else:
        url = TEST_DATABASE_URL
        _commit_without_waiting_for_disk(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        if _is_postgres(url) and not worker:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    yield url
    if _is_postgres(url) and worker:
        _drop_postgres_database(url)


def _server_connection(url: str):
    """A connection to the server's maintenance database, for CREATE and DROP DATABASE."""
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT",
                           poolclass=NullPool)
    return engine.connect()


def _fresh_postgres_database(url: str, worker: str) -> str:
    worker_url = make_url(url)
    worker_url = worker_url.set(database=f"{worker_url.database}_{worker}")
    name = worker_url.database
    with _server_connection(url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = worker_url.render_as_string(hide_password=False)
    _commit_without_waiting_for_disk(url)
    return url


def _commit_without_waiting_for_disk(url: str) -> None:
    """A test database need not survive a crash of the server: a commit that does not wait
    for the disk takes a tenth of the time (tests commit thousands of times). Left as it is
    where the database belongs to another role."""
    name = make_url(url).database
    with _server_connection(url) as conn:
        try:
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        except ProgrammingError:
            pass


def _drop_postgres_database(url: str) -> None:
    with _server_connection(url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def _share_url_builders() -> None:
    """Each test has an app of its own, and werkzeug compiles two URL builder functions for
    each of the app's ~130 routes with `ast` and `compile`: most of the time an app takes to
    make. A builder depends only on the route's parsed form, its defaults and its converters'
    kinds, so the run compiles each builder once and every app's route binds the same one."""
    compile_builder = Rule._compile_builder
    builders: dict[tuple, Callable] = {}

    def shared_builder(self: Rule, append_unknown: bool = True) -> Callable:
        converters = tuple(
            (name, type(c), repr({k: v for k, v in vars(c).items() if k != "map"}))
            for name, c in sorted(self._converters.items(), key=lambda item: item[0]))
        key = (self.rule, tuple(self._trace), repr(self.defaults), converters, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = shared_builder  # type: ignore[method-assign]


class _SharedTemplateCode(BytecodeCache):
    """Compiled templates kept across the apps of one run: each test has an app of its own,
    and compiling every template again for each one took a good part of the run. A changed
    template source does not match its checksum and is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _SharedTemplateCode()


class _SharedCompiledSQL:
    """Compiled SQL kept across the apps of one run, as the template code is. SQLAlchemy
    keeps what it compiled per engine, and each test's app has an engine of its own, so every
    test compiled its statements again: a good part of the run. Its cache key names the
    engine's dialect; here the first dialect of each kind, configured alike, stands for all
    of them (they compile the same SQL)."""

    def __init__(self, size: int = 5000) -> None:
        self._compiled: LRUCache = LRUCache(size)
        self._dialects: dict[tuple, Dialect] = {}

    def _shared_key(self, key: tuple) -> tuple:
        dialect = key[0]
        if not isinstance(dialect, Dialect):
            return key
        alike = (type(dialect), dialect.server_version_info, dialect.paramstyle,
                 dialect.default_schema_name, dialect.max_identifier_length,
                 dialect.label_length)
        return (self._dialects.setdefault(alike, dialect), *key[1:])

    def get(self, key: tuple, default: Any = None) -> Any:
        return self._compiled.get(self._shared_key(key), default)

    def __setitem__(self, key: tuple, compiled: Any) -> None:
        self._compiled[self._shared_key(key)] = compiled


_COMPILED_SQL = _SharedCompiledSQL()


def _share_compiled_sql(app: Flask) -> None:
    """The app's engine, and the ORM's own statements (inserts, updates: kept per mapper),
    use the run's compiled SQL."""
    with app.app_context():
        db.engine.update_execution_options(compiled_cache=_COMPILED_SQL)
    for mapper in db.Model.registry.mappers:
        if mapper.__dict__.get("_compiled_cache") is not _COMPILED_SQL:
            mapper._set_memoized_attribute("_compiled_cache", _COMPILED_SQL)


@pytest.fixture
def app(database_url, tmp_path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            # Sign-in throttling counts across the whole run; its own test switches it on.
            "RATELIMIT_ENABLED": False,
            "TRACKER_BASE_URL": "https://tracker.test",
        }
    )
    app.instance_path = str(tmp_path / "instance")
    app.jinja_env.bytecode_cache = _TEMPLATE_CODE
    _share_compiled_sql(app)
    yield app
    with app.app_context():
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def ctx(app) -> Iterator[Flask]:
    """An application context for tests that call services directly."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Creates records through the same services the app uses, committed."""

    def __init__(self) -> None:
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def organisation(self, **fields):
        from tracker.organisations.services import create_organisation

        fields.setdefault("name", f"Stadt {self._next()}")
        fields.setdefault("kind", "city")
        with transaction():
            return create_organisation(None, **fields)

    def person(self, **fields):
        from tracker.accounts.services import create_person

        n = self._next()
        fields.setdefault("name", f"Person {n}")
        fields.setdefault("email", f"person{n}@rostock.example")
        with transaction(), each_password_hashed_once():
            return create_person(None, **fields)

    def user(self, role: str = "editor", password: str = "correct horse battery", **fields):
        fields["role"] = role
        return self.person(password=password, **fields)

    def exchange(self, **fields):
        from tracker.exchanges.services import create_exchange

        fields.setdefault("title", f"Austausch {self._next()}")
        if not fields.get("all_day"):
            start = fields.setdefault("starts_at", datetime(2026, 12, 3, 9, tzinfo=UTC))
            fields.setdefault("ends_at", start + timedelta(hours=2))
        with transaction():
            return create_exchange(None, **fields)

    def outcome(self, exchange=None, text: str = "Gemeinsamer Workshop", **fields):
        from tracker.exchanges.services import record_outcome

        exchange = exchange or self.exchange()
        with transaction():
            return record_outcome(exchange, None, text, **fields)

    def task(self, **fields):
        from tracker.tasks.services import create_task

        fields.setdefault("title", f"Folgeaufgabe {self._next()}")
        if "owner_id" not in fields:
            fields["owner_id"] = self.person().id
        fields.setdefault("due_date", date(2026, 12, 10))
        with transaction():
            return create_task(None, **fields)


@pytest.fixture
def make(ctx) -> Factory:
    return Factory()


@pytest.fixture
def english(app, monkeypatch):
    """Pages and feeds in English: browsers ask for it, people choose it.

    Each request also runs in an application context of its own, as in a real server
    (Flask-Login keeps the signed-in user on `g`)."""

    class EnglishClient(IsolatedClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    app.test_client_class = EnglishClient
    original = Factory.person

    def person(self, **fields):
        fields.setdefault("locale", "en")
        return original(self, **fields)

    monkeypatch.setattr(Factory, "person", person)


@pytest.fixture
def web(app, ctx):
    """A client for the page tests; the test itself keeps an app context for its factories."""
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def world(make) -> World:
    """A small team: an admin, an editor, a viewer; two partner cities; an exchange with an
    outcome, a later exchange, and open tasks owned by the viewer and by the editor."""
    today = timeutil.today()
    admin = make.user("admin", name="Anna Admin", email="anna@rostock.example")
    editor = make.user("editor", name="Jonas Editor", email="jonas@rostock.example")
    viewer = make.user("viewer", name="Mehmet Viewer", email="mehmet@rostock.example")
    luebeck = make.organisation(name="Hansestadt Lübeck", short_name="Lübeck")
    kiel = make.organisation(name="Landeshauptstadt Kiel", short_name="Kiel")
    exchange = make.exchange(title="Besuch in Lübeck", all_day=True, start_date=today,
                             organisation_ids=[luebeck.id, kiel.id],
                             participant_ids=[editor.id, viewer.id])
    later = make.exchange(title="Governance-Workshop", all_day=True,
                          start_date=today + timedelta(days=30),
                          organisation_ids=[luebeck.id], participant_ids=[viewer.id])
    outcome = make.outcome(exchange, text="Lübeck, Kiel und Rostock halten einen Workshop ab")
    viewer_task = make.task(title="Protokoll verschicken", owner_id=viewer.id,
                            exchange_id=exchange.id, outcome_id=outcome.id,
                            organisation_id=luebeck.id, due_date=today - timedelta(days=3))
    editor_task = make.task(title="Raum buchen", owner_id=editor.id, exchange_id=exchange.id,
                            organisation_id=kiel.id, due_date=today + timedelta(days=2))
    return World(admin, editor, viewer, luebeck, kiel, exchange, later, outcome, viewer_task,
                 editor_task)


@pytest.fixture
def smtp_server(app) -> Iterator[Inbox]:
    """A running mail server on loopback, and TRACKER_SMTP_URL pointing at it."""
    inbox = Inbox(port=free_port())
    controller = start_server(inbox)
    app.config["TRACKER_SMTP_URL"] = inbox.url
    try:
        yield inbox
    finally:
        controller.stop()
