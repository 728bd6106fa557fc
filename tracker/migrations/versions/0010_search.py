"""search: a full-text index over exchanges, outcomes, tasks, people, organisations (triggers)

Revision ID: 0010_search
Revises: 0009_agenda
Create Date: 2026-11-29 22:35:00

The index is written by the database itself on every insert, update and delete, so every
path (pages, API, commands, import, restore) keeps it right. Deleted records leave it.
PostgreSQL: table search_entries with a tsvector (German and simple configurations) and a
GIN index. SQLite: an FTS5 table search_fts (unicode61, diacritics removed, prefix
indexes), its rowid the record id * 8 + the kind's number. Neither is in the models'
metadata: tracker.search.queries reads them, and tests/test_foundation_schema.py leaves
tables named search_* out of its comparison.

From here on organisations and task_notes carry triggers too (as tasks, exchanges,
outcomes and people already did): a later migration must not recreate them with SQLite's
batch mode, which drops a table's triggers (tests/test_search.py names a table that lost
them).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_search'
down_revision = '0009_agenda'
branch_labels = None
depends_on = None

#: kind: (number in the SQLite rowid, table, columns whose change re-indexes the record)
KINDS = {
    "exchange": (1, "exchanges", ("title", "location", "description", "deleted_at")),
    "outcome": (2, "outcomes", ("text", "deleted_at")),
    "task": (3, "tasks", ("title", "description", "deleted_at")),
    "person": (4, "people", ("name",)),
    "organisation": (5, "organisations", ("name", "short_name")),
}


def _rows(dialect: str, kind: str, where: str) -> str:
    """SELECT id, title, body of the live records of `kind` that match `where`."""
    notes = (
        "(SELECT string_agg(n.text, ' ' ORDER BY n.id) FROM task_notes n WHERE n.task_id = t.id)"
        if dialect == "postgresql"
        else "(SELECT group_concat(n.text, ' ') FROM task_notes n WHERE n.task_id = t.id)"
    )
    return {
        "exchange": "SELECT t.id, t.title, t.location || ' ' || t.description"
                    " FROM exchanges t WHERE t.deleted_at IS NULL",
        "outcome": "SELECT t.id, t.text, '' FROM outcomes t WHERE t.deleted_at IS NULL",
        "task": f"SELECT t.id, t.title, t.description || ' ' || coalesce({notes}, '')"
                " FROM tasks t WHERE t.deleted_at IS NULL",
        "person": "SELECT t.id, t.name, '' FROM people t WHERE 1 = 1",
        "organisation": "SELECT t.id, t.name, coalesce(t.short_name, '')"
                        " FROM organisations t WHERE 1 = 1",
    }[kind] + f" AND {where}"


# ---------------------------------------------------------------- PostgreSQL

_DOCUMENT = (
    "setweight(to_tsvector('german', title), 'A') || setweight(to_tsvector('simple', title), 'A')"
    " || setweight(to_tsvector('german', body), 'B') || setweight(to_tsvector('simple', body), 'B')"
)


def _postgresql_upgrade() -> None:
    op.execute(
        "CREATE TABLE search_entries ("
        " kind varchar(12) NOT NULL, record_id integer NOT NULL,"
        " title text NOT NULL, body text NOT NULL,"
        f" document tsvector GENERATED ALWAYS AS ({_DOCUMENT}) STORED,"
        " CONSTRAINT pk_search_entries PRIMARY KEY (kind, record_id))"
    )
    op.execute("CREATE INDEX ix_search_entries_document ON search_entries USING GIN (document)")
    for kind, (_number, table, columns) in KINDS.items():
        op.execute(
            f"CREATE FUNCTION search_refresh_{kind}(record integer) RETURNS void AS $$"
            f" BEGIN DELETE FROM search_entries WHERE kind = '{kind}' AND record_id = record;"
            f" INSERT INTO search_entries (kind, record_id, title, body)"
            f" SELECT '{kind}', q.* FROM ({_rows('postgresql', kind, 't.id = record')}) q;"
            " END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE FUNCTION search_row_{table}() RETURNS trigger AS $$"
            f" BEGIN IF TG_OP = 'DELETE' THEN"
            f" DELETE FROM search_entries WHERE kind = '{kind}' AND record_id = OLD.id;"
            f" ELSE PERFORM search_refresh_{kind}(NEW.id); END IF; RETURN NULL; END $$"
            " LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER search_{table} AFTER INSERT OR DELETE OR UPDATE OF"
            f" {', '.join(columns)} ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION search_row_{table}()"
        )
        op.execute(
            "INSERT INTO search_entries (kind, record_id, title, body)"
            f" SELECT '{kind}', q.* FROM ({_rows('postgresql', kind, '1 = 1')}) q"
        )
    # A note changes its task's entry.
    op.execute(
        "CREATE FUNCTION search_row_task_notes() RETURNS trigger AS $$"
        " BEGIN IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM search_refresh_task(OLD.task_id);"
        " END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM search_refresh_task(NEW.task_id);"
        " END IF; RETURN NULL; END $$ LANGUAGE plpgsql"
    )
    op.execute(
        "CREATE TRIGGER search_task_notes AFTER INSERT OR DELETE OR UPDATE OF text, task_id"
        " ON task_notes FOR EACH ROW EXECUTE FUNCTION search_row_task_notes()"
    )


def _postgresql_downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS search_task_notes ON task_notes")
    op.execute("DROP FUNCTION IF EXISTS search_row_task_notes()")
    for kind, (_number, table, _columns) in KINDS.items():
        op.execute(f"DROP TRIGGER IF EXISTS search_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS search_row_{table}()")
        op.execute(f"DROP FUNCTION IF EXISTS search_refresh_{kind}(integer)")
    op.execute("DROP TABLE IF EXISTS search_entries")


# ---------------------------------------------------------------- SQLite


def _sqlite_put(kind: str, id_expression: str) -> str:
    number = KINDS[kind][0]
    return (
        f"DELETE FROM search_fts WHERE rowid = ({id_expression}) * 8 + {number};"
        " INSERT INTO search_fts (rowid, kind, record_id, title, body)"
        f" SELECT q.id * 8 + {number}, '{kind}', q.* FROM"
        f" ({_rows('sqlite', kind, f't.id = ({id_expression})')}) q;"
    )


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "kind UNINDEXED, record_id UNINDEXED, title, body,"
        " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    for kind, (number, table, columns) in KINDS.items():
        op.execute(
            f"CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table}"
            f" BEGIN {_sqlite_put(kind, 'NEW.id')} END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_update AFTER UPDATE OF {', '.join(columns)}"
            f" ON {table} BEGIN {_sqlite_put(kind, 'NEW.id')} END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_delete AFTER DELETE ON {table}"
            f" BEGIN DELETE FROM search_fts WHERE rowid = OLD.id * 8 + {number}; END"
        )
        op.execute(
            "INSERT INTO search_fts (rowid, kind, record_id, title, body)"
            f" SELECT q.id * 8 + {number}, '{kind}', q.* FROM ({_rows('sqlite', kind, '1 = 1')}) q"
        )
    op.execute(
        "CREATE TRIGGER search_task_notes_insert AFTER INSERT ON task_notes"
        f" BEGIN {_sqlite_put('task', 'NEW.task_id')} END"
    )
    op.execute(
        "CREATE TRIGGER search_task_notes_update AFTER UPDATE OF text, task_id ON task_notes"
        f" BEGIN {_sqlite_put('task', 'OLD.task_id')} {_sqlite_put('task', 'NEW.task_id')} END"
    )
    op.execute(
        "CREATE TRIGGER search_task_notes_delete AFTER DELETE ON task_notes"
        f" BEGIN {_sqlite_put('task', 'OLD.task_id')} END"
    )


def _sqlite_downgrade() -> None:
    for table in [t for _n, t, _c in KINDS.values()] + ["task_notes"]:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS search_{table}_{event}")
    op.execute("DROP TABLE IF EXISTS search_fts")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_downgrade()
    else:
        _sqlite_downgrade()
