"""indexes_for_size: the pages at 50,000 tasks read their rows off indexes

Revision ID: 0014_indexes_for_size
Revises: 0013_reminder_on_the_day
Create Date: 2026-11-30 02:00:00

Plain CREATE INDEX on both databases: tasks carries search and feed triggers, which a
batch recreation on SQLite would drop.

PostgreSQL also gets trigram indexes on a task's title and description, so the task list's
text filter (ILIKE '%word%') reads candidates from them instead of every row: pg_trgm is a
trusted extension that ships with PostgreSQL; where it cannot be created the list simply
scans as before. They are the database's own, not the models' (as the search index).
"""
import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

# revision identifiers, used by Alembic.
revision = '0014_indexes_for_size'
down_revision = '0013_reminder_on_the_day'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_tasks_live_due", "tasks", ["status", "deleted_at", "due_date", "due_time", "id",
                                    "exchange_id", "owner_id", "organisation_id"]),
    ("ix_tasks_exchange_live", "tasks", ["exchange_id", "status", "deleted_at", "due_date"]),
    ("ix_tasks_updated_at", "tasks", ["updated_at"]),
    ("ix_audit_entries_partner_link", "audit_entries", ["partner_link_id", "entity_type", "id"]),
)


#: PostgreSQL only (see above): name, column.
TRIGRAM_INDEXES = (("ix_tasks_title_trgm", "title"), ("ix_tasks_description_trgm", "description"))


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError:
        logging.getLogger("alembic").warning(
            "pg_trgm is not available: the task list's text filter scans every task")
        return
    # The operator class lives in the extension's schema, which need not be on the
    # search path (an extension made earlier in public, this schema elsewhere).
    schema = bind.exec_driver_sql(
        "SELECT quote_ident(n.nspname) FROM pg_extension e "
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    ).scalar_one()
    for name, column in TRIGRAM_INDEXES:
        op.execute(f"CREATE INDEX {name} ON tasks USING gin ({column} {schema}.gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, _column in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
