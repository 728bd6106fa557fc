"""people: whether someone wants a mail when others give them a task

Revision ID: 0004_assignment_notes
Revises: 0003_calendar
Create Date: 2026-11-26 12:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004_assignment_notes'
down_revision = '0003_calendar'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases: the people table keeps its calendar triggers.
    op.add_column(
        "people",
        sa.Column("assignment_notes", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade():
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("assignment_notes")
