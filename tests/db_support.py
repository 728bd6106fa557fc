"""The test database between tests: emptied by the `app` fixture, and by tests that need an
empty database halfway through."""

from __future__ import annotations

from sqlalchemy import text

from tracker.extensions import db


def empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # TRUNCATE fires no row triggers: the search index (not a model) goes with them.
            names = ", ".join([*(t.name for t in tables), "search_entries"])
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
