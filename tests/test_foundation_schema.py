"""The schema: migrations match the models, and the database itself refuses bad rows."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tracker.core.database import transaction
from tracker.extensions import db
from tracker.models import Exchange, Organisation, Outcome, Person, Task

#: Foreign keys added to a table with feed triggers by a plain ALTER TABLE … ADD COLUMN
#: (recreating the table would drop its triggers). SQLite keeps such a key inline, where
#: SQLAlchemy's reflection reads neither its name nor its ON DELETE; the database itself
#: enforces it, which the test below checks with SQLite's own PRAGMA.
SQLITE_INLINE_FOREIGN_KEYS = {("exchanges", "series_id"): ("series", "SET NULL")}


def _is_inline_foreign_key(change) -> bool:
    kind, constraint = change[0], change[1]
    if kind not in ("add_fk", "remove_fk"):
        return False
    columns = tuple(column.name for column in constraint.columns)
    return len(columns) == 1 and (constraint.table.name, columns[0]) in SQLITE_INLINE_FOREIGN_KEYS


#: PostgreSQL's trigram indexes for the task list's text filter (migration 0014).
TRIGRAM_INDEXES = {"ix_tasks_title_trgm", "ix_tasks_description_trgm"}


def _is_search_index(change) -> bool:
    """The search index (migration 0010_search) is the database's own, not a model:
    search_entries on PostgreSQL, search_fts and FTS5's shadow tables on SQLite; so are
    the trigram indexes of tasks on PostgreSQL."""
    if not isinstance(change, tuple) or change[0] not in ("remove_table", "remove_index"):
        return False
    if change[0] == "remove_index" and change[1].name in TRIGRAM_INDEXES:
        return True
    table = change[1] if change[0] == "remove_table" else change[1].table
    return table.name.startswith("search_")


def test_migrations_and_models_agree(ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [change for change in compare_metadata(context, db.metadata)
                if not _is_search_index(change)]
        if conn.dialect.name == "sqlite":
            diff = [change for change in diff if not _is_inline_foreign_key(change)]
            for (table, column), (target, on_delete) in SQLITE_INLINE_FOREIGN_KEYS.items():
                keys = conn.exec_driver_sql(f"PRAGMA foreign_key_list({table})").all()
                assert (target, column, "id", on_delete) in [
                    (key[2], key[3], key[4], key[6]) for key in keys
                ]
    assert diff == []


def test_db_upgrade_command_creates_the_schema_on_an_empty_sqlite_file(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{database}",
           "TRACKER_SECRET_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        env=env, capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    assert result.returncode == 0, result.stderr
    import sqlite3

    with sqlite3.connect(database) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"tasks", "exchanges", "outcomes", "people", "organisations", "audit_entries"} <= names



def test_the_migrations_form_one_line_with_distinct_numbers(app):
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(Path(app.extensions["migrate"].directory)))
    line = list(reversed(list(scripts.walk_revisions())))  # oldest first
    assert [r.down_revision for r in line] == [None, *[r.revision for r in line[:-1]]]
    numbers = [r.revision.split("_")[0] for r in line]
    assert numbers == [f"{n:04d}" for n in range(1, len(line) + 1)]
    for revision in line:
        assert "please adjust" not in Path(revision.path).read_text()


def test_a_database_stamped_with_a_revision_s_old_name_still_upgrades(tmp_path, monkeypatch):
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.core.database import RENAMED_REVISIONS

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}",
                      "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        # Whichever revision is newest, as if it had been renamed since this database was made.
        old_name = next((old for old, new in RENAMED_REVISIONS.items() if new == head),
                        "old-" + head)
        monkeypatch.setitem(RENAMED_REVISIONS, old_name, head)
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": old_name})
        db.session.commit()
        upgrade()
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
        db.engine.dispose()

def test_the_tracker_queries_have_indexes(ctx):
    indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("tasks")}
    assert {"ix_tasks_owner_status_due", "ix_tasks_exchange_id", "ix_tasks_organisation_id"} <= (
        indexes
    )


def test_sqlite_is_set_up_for_several_workers(ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def _refused(make_row) -> None:
    """The row is refused by the database itself, and nothing is left behind."""
    with pytest.raises(IntegrityError):
        with transaction():
            db.session.add(make_row())
            db.session.flush()


def test_database_refuses_a_task_with_an_unknown_status(make):
    owner = make.person()
    _refused(lambda: Task(title="x", owner_id=owner.id, status="maybe"))


def test_database_refuses_a_done_task_without_completion_time(make):
    owner = make.person()
    _refused(lambda: Task(title="x", owner_id=owner.id, status="done"))


def test_database_refuses_a_task_without_owner_or_with_unknown_owner(make):
    _refused(lambda: Task(title="x", owner_id=None))
    _refused(lambda: Task(title="x", owner_id=999_999))


def test_database_refuses_a_blank_title_and_a_time_without_date(make):
    owner = make.person()
    _refused(lambda: Task(title="  ", owner_id=owner.id))
    _refused(lambda: Task(title="x", owner_id=owner.id, due_time=time(9)))


def test_database_refuses_an_exchange_ending_before_it_starts(make):
    _refused(
        lambda: Exchange(
            title="x",
            starts_at=datetime(2026, 1, 2, tzinfo=UTC),
            ends_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    _refused(
        lambda: Exchange(
            title="x", all_day=True, start_date=date(2026, 1, 2), end_date=date(2026, 1, 1)
        )
    )


def test_database_refuses_an_exchange_without_dates_or_with_unknown_kind(make):
    _refused(lambda: Exchange(title="x", all_day=True))
    _refused(
        lambda: Exchange(
            title="x", kind="party", all_day=True, start_date=date(2026, 1, 1),
            end_date=date(2026, 1, 1),
        )
    )
    _refused(
        lambda: Exchange(
            title="x", status="postponed", all_day=True, start_date=date(2026, 1, 1),
            end_date=date(2026, 1, 1),
        )
    )


def test_database_takes_a_reminder_on_the_day_and_refuses_one_past_it(make):
    person = make.person(reminder_minutes=-480)  # on the day at 08:00
    assert db.session.get(Person, person.id).reminder_minutes == -480
    _refused(lambda: Person(name="x", reminder_minutes=-1440))  # the next day: no reminder


def test_database_refuses_an_unknown_role_and_duplicate_email(make):
    make.person(email="anna@rostock.example")
    _refused(lambda: Person(name="x", role="superuser"))
    _refused(lambda: Person(name="y", email="anna@rostock.example"))
    _refused(lambda: Person(name="z", password_hash="h", role=None))


def test_database_refuses_bad_organisations_and_outcomes(make):
    make.organisation(name="Kiel")
    _refused(lambda: Organisation(name="Kiel"))
    _refused(lambda: Organisation(name="Nowhere", kind="planet"))
    exchange = make.exchange()
    _refused(lambda: Outcome(exchange_id=exchange.id, text="x", status="forgotten"))
    _refused(lambda: Outcome(exchange_id=999_999, text="x"))


def test_foreign_keys_hold_on_every_connection(make):
    with pytest.raises(IntegrityError):
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO outcomes (exchange_id, text, status, created_at, updated_at,"
                    " version) VALUES (424242, 'x', 'agreed', :now, :now, 1)"
                ),
                {"now": datetime(2026, 1, 1)},
            )
