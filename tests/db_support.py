"""The test database between tests: emptied by the `app` fixture, and by tests that need an
empty database halfway through."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from tracker.extensions import db

#: Written by triggers when rows of other tables change or go (PostgreSQL's search index
#: is no model): emptied after those tables.
_TRIGGER_TABLES = ("search_entries", "calendar_state")


def empty_all_tables() -> None:
    """Delete the rows of the tables that hold any, children first, and start the ids at 1
    again (as SQLite does for an empty table).

    Most tests write to a handful of tables: asking which hold rows and deleting only those
    takes milliseconds, where a TRUNCATE of every table took half a second on PostgreSQL."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        written_by_triggers = [t for t in _TRIGGER_TABLES if postgres or t in tables]
        tables = [t for t in tables if t not in written_by_triggers]
        with_rows = set(_tables_with_rows(conn, tables))
        for name in tables:
            if name in with_rows:
                conn.execute(text(f"DELETE FROM {name}"))
        # Last: the deletes above fire the triggers that write these.
        for name in written_by_triggers:
            conn.execute(text(f"DELETE FROM {name}"))
        if postgres:
            _restart_used_sequences(conn)


def _tables_with_rows(conn: Connection, tables: list[str]) -> list[str]:
    probe = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)
    return list(conn.execute(text(probe)).scalars())


def _restart_used_sequences(conn: Connection) -> None:
    """Ids from 1 again: those a test used, also where its rows are gone already."""
    used = conn.execute(text(
        "SELECT sequencename FROM pg_sequences"
        " WHERE schemaname = current_schema() AND last_value IS NOT NULL")).scalars().all()
    for name in used:
        conn.execute(text(f"ALTER SEQUENCE {name} RESTART"))
