"""reminder_on_the_day: a task's reminder may fall on its due day (negative minutes)

Revision ID: 0013_reminder_on_the_day
Revises: 0012_partner_links
Create Date: 2026-11-29 23:55:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_reminder_on_the_day'
down_revision = '0012_partner_links'
branch_labels = None
depends_on = None

OLD = ("ck_people_reminder_not_negative", "reminder_minutes IS NULL OR reminder_minutes >= 0")
NEW = ("ck_people_reminder_in_range", "reminder_minutes IS NULL OR reminder_minutes >= -1439")


def _replace_check(old: tuple[str, str], new: tuple[str, str]) -> None:
    """Swap one CHECK constraint of `people` for another.

    PostgreSQL alters it. SQLite cannot, and recreating the table (batch mode) would drop
    its feed and search triggers, so the constraint's text is changed in the schema itself:
    the procedure SQLite documents for changes that leave the stored rows as they are
    (https://www.sqlite.org/lang_altertable.html#otheralter), here a looser CHECK that every
    stored row already meets."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(old[0]), "people", type_="check")
        op.create_check_constraint(op.f(new[0]), "people", new[1])
        return
    before = f"CONSTRAINT {old[0]} CHECK ({old[1]})"
    after = f"CONSTRAINT {new[0]} CHECK ({new[1]})"
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'people'").scalar()
    assert before in sql, "the people table's CHECK is not as migration 0001 made it"
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'people'",
        (sql.replace(before, after),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    assert bind.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def upgrade():
    _replace_check(OLD, NEW)


def downgrade():
    op.execute("UPDATE people SET reminder_minutes = 0 WHERE reminder_minutes < 0")
    _replace_check(NEW, OLD)
