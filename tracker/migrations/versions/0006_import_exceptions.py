"""import_exceptions: an imported series' EXDATEs and the invitation's SEQUENCE

Revision ID: 0006_import_exceptions
Revises: 0005_ended_sessions
Create Date: 2026-11-29 21:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_import_exceptions'
down_revision = '0005_ended_sessions'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (not batch mode): recreating the table would drop its feed triggers.
    op.add_column("exchanges", sa.Column("exdates", sa.Text(), nullable=True))
    op.add_column("exchanges", sa.Column("import_sequence", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("exchanges", "import_sequence")
    op.drop_column("exchanges", "exdates")
