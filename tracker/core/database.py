"""Engine set-up per database, and the transaction every write goes through."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from sqlite3 import Connection as SQLiteConnection

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm.exc import StaleDataError

from tracker.core.errors import StaleVersion
from tracker.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15_000
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def engine_options(database_url: str) -> dict:
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    return {"pool_pre_ping": True}


def configure_engine(app: Flask) -> None:
    """Give SQLite what several worker processes need: WAL, a busy timeout, foreign keys."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)


_SQLiteValue = str | bytes | int | float | None


def _lower(value: _SQLiteValue) -> _SQLiteValue:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: SQLiteConnection, _record: object) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        # SQLite's lower() folds only ASCII; searches must find "Über" by "über" too.
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A transaction that may write takes the write lock up front: a deferred one that
        # reads first and writes later cannot wait for the lock and fails "database is locked".
        options = conn.get_execution_options()
        reading = not options.get("tracker_write") and (
            options.get("tracker_read_only")
            or (has_request_context() and request.method in _READ_ONLY_METHODS)
        )
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


@contextmanager
def write_on_read() -> Iterator[None]:
    """A write a GET request makes (a feed link made on first ask), all or nothing.

    The read so far ends first and the write takes SQLite's write lock up front: a write
    after a read in one SQLite transaction fails if another worker wrote in between.
    """
    db.session.commit()
    db.session.connection(execution_options={"tracker_write": True})
    with transaction():
        yield


@contextmanager
def transaction() -> Iterator[None]:
    """Commit what the block did, or roll all of it back.

    Views, the API and the commands wrap each domain operation in this, so a change and
    its audit entry land together or not at all.
    """
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleVersion() from exc
    except BaseException:
        db.session.rollback()
        raise


#: Schema revisions that were renamed so the migrations form one line with distinct numbers.
#: A database (or an export) stamped with an old name is at the revision of the new one.
RENAMED_REVISIONS = {
    "0002_calendar": "0003_calendar",
    "0003_assignment_notes": "0004_assignment_notes",
}


def current_revision_name(revision: object) -> object:
    """The name a revision goes by now (see RENAMED_REVISIONS); anything else as it is."""
    return RENAMED_REVISIONS.get(revision, revision) if isinstance(revision, str) else revision
