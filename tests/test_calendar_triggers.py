"""The feed cache's triggers: every watched table bumps the change counter, on either database.

A feed's kept copy stands while `calendar_state.counter` stands still, so a table a feed
shows without its triggers would leave feeds stale. The migrations make the triggers and
`tracker.calendar.cache.WATCHED_TABLES` names the tables: this checks that they agree.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from tracker.calendar.cache import WATCHED_TABLES
from tracker.extensions import db

EVENTS = {"INSERT", "UPDATE", "DELETE"}


def _bumping_triggers() -> dict[str, set[str]]:
    """Per table, the writes (INSERT, UPDATE, DELETE) after which a trigger bumps the counter."""
    found: dict[str, set[str]] = {}
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(text(
            "SELECT event_object_table, event_manipulation FROM information_schema.triggers"
            " WHERE action_statement LIKE '%calendar_bump()%'"
        ))
        for table, event in rows:
            found.setdefault(table, set()).add(event.upper())
        return found
    rows = db.session.execute(text(
        "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
    ))
    for table, sql in rows:
        match = re.search(r"\bAFTER\s+(INSERT|UPDATE|DELETE)\b", sql, re.IGNORECASE)
        if match and "calendar_state" in sql:
            found.setdefault(table, set()).add(match.group(1).upper())
    return found


def test_every_watched_table_bumps_the_counter_on_every_write(ctx):
    triggers = _bumping_triggers()
    for table in WATCHED_TABLES:
        assert triggers.get(table) == EVENTS, (table, triggers.get(table))


def test_no_table_bumps_the_counter_unless_it_is_watched(ctx):
    assert set(_bumping_triggers()) == set(WATCHED_TABLES)


def test_the_watched_tables_exist(ctx):
    assert set(WATCHED_TABLES) <= set(db.metadata.tables)
