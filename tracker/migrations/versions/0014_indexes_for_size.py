"""indexes_for_size: the pages at 50,000 tasks read their rows off indexes

Revision ID: 0014_indexes_for_size
Revises: 0013_reminder_on_the_day
Create Date: 2026-11-30 02:00:00

Plain CREATE INDEX on both databases: tasks carries search and feed triggers, which a
batch recreation on SQLite would drop.
"""
from alembic import op

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


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
