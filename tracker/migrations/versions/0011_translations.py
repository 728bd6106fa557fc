"""translations: an outcome's or a task's language and its text in the other language

Revision ID: 0011_translations
Revises: 0010_search
Create Date: 2026-11-29 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_translations'
down_revision = '0010_search'
branch_labels = None
depends_on = None

TABLES = ("tasks", "outcomes")


def upgrade():
    # Plain ADD COLUMN (never batch mode): both tables carry the feeds' triggers.
    # SQLite cannot add a CHECK constraint afterwards, so it goes into the column there.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        if sqlite:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN language VARCHAR(2) DEFAULT 'de' NOT NULL"
                f" CONSTRAINT ck_{table}_language CHECK (language IN ('de', 'en'))"
            )
        else:
            op.add_column(table, sa.Column(
                "language", sa.String(length=2), nullable=False, server_default="de"
            ))
            op.create_check_constraint(
                op.f(f"ck_{table}_language"), table, "language IN ('de', 'en')"
            )
        op.add_column(table, sa.Column(
            "translations", sa.JSON(), nullable=False, server_default="{}"
        ))


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN translations")
            op.execute(f"ALTER TABLE {table} DROP COLUMN language")
        else:
            op.drop_column(table, "translations")
            op.drop_constraint(op.f(f"ck_{table}_language"), table, type_="check")
            op.drop_column(table, "language")
