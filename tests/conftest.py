"""Fixtures: a real database (SQLite by default, PostgreSQL when TRACKER_TEST_DATABASE_URL
names one), migrated once per run and emptied after every test; an app per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from tracker import create_app
from tracker.core.database import transaction
from tracker.extensions import db

TEST_DATABASE_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")

#: What the load tests sent and what came of it, summed up at the end of the run.
LOAD_FIGURES = pytest.StashKey[list]()


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
def database_url(tmp_path_factory) -> str:
    """The test database, brought to the newest schema by the migrations themselves."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        if _is_postgres(url):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return url


def _empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


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
    yield app
    with app.app_context():
        db.session.remove()
        _empty_all_tables()
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
        with transaction():
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
    from tests.web import IsolatedClient

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
