"""Engine set-up per database, and the transaction every write goes through."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from sqlite3 import Connection as SQLiteConnection
from typing import Any, Literal

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import ConnectionPoolEntry

from tracker.core.errors import StaleVersion
from tracker.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: Seconds to wait for PostgreSQL to accept a connection: a database gone without a word
#: (a dropped network) answers 503 in time instead of holding the worker.
CONNECT_TIMEOUT_S = 5
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def engine_options(database_url: str) -> dict:
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    # A connection the server dropped (a restart) is replaced, not used, so pages recover
    # by themselves when the database is back: see _ping_when_idle.
    return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}


def configure_engine(app: Flask) -> None:
    """Give SQLite what several worker processes need: WAL, a busy timeout, foreign keys."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _ping_when_idle(engine)


#: A pooled connection unused for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pool_pre_ping, for connections that sat idle: a connection returned
    a moment ago is alive, and a ping per request was a round trip in four of a feed 304.
    A dead one makes the pool try a fresh connection (DisconnectionError); a connection
    that dies in use is caught as a disconnect and the pool starts afresh."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: object, record: ConnectionPoolEntry) -> None:
        record.info["tracker_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: object) -> None:
        idle_since = record.info.get("tracker_idle_since")
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            if not engine.dialect.do_ping(dbapi_conn):
                raise DisconnectionError("the database did not answer a ping")
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(str(exc)) from exc


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


#: What went wrong with the database, as the error page and the API name it.
DatabaseFault = Literal["unavailable", "busy", "read_only", "disk_full"]

#: PostgreSQL's SQLSTATEs that say more than "unreachable".
_SQLSTATE_FAULTS: dict[str, DatabaseFault] = {
    "25006": "read_only",  # read_only_sql_transaction (a standby, a read-only default)
    "53100": "disk_full",
    "53300": "busy",  # too_many_connections
    "40001": "busy",  # serialization_failure
    "40P01": "busy",  # deadlock_detected
    "55P03": "busy",  # lock_not_available
    "57014": "busy",  # query_canceled (statement timeout)
}
#: SQLite says it in words only.
_SQLITE_FAULTS: dict[str, DatabaseFault] = {
    "readonly database": "read_only",
    "disk is full": "disk_full",
    "database is locked": "busy",
}


def database_fault(exc: BaseException) -> DatabaseFault | None:
    """The kind of database fault `exc` is, or None when it is a bug (a constraint, bad SQL).

    A read-only or full disk will not pass by retrying, so it is told apart from "busy".
    """
    if isinstance(exc, PoolTimeout):
        return "busy"
    if not isinstance(exc, DBAPIError):
        return None
    known = _SQLSTATE_FAULTS.get(getattr(exc.orig, "sqlstate", None) or "")
    if known:
        return known
    message = str(exc.orig).lower()
    for words, fault in _SQLITE_FAULTS.items():
        if words in message:
            return fault
    return "unavailable" if isinstance(exc, OperationalError | InterfaceError) else None


def mark_database_fault(fault: DatabaseFault) -> None:
    """Note that this request met a database fault: what answers it must not query again."""
    g.tracker_database_fault = fault


def database_failed() -> bool:
    """Whether this request met a database fault (see mark_database_fault)."""
    return has_request_context() and "tracker_database_fault" in g
