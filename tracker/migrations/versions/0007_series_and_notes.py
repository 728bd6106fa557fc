"""series_and_notes: series of meetings, the home organisation, organisation language, task notes

Revision ID: 0007_series_and_notes
Revises: 0006_import_exceptions
Create Date: 2026-11-29 22:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_series_and_notes'
down_revision = '0006_import_exceptions'
branch_labels = None
depends_on = None


def _record_columns():
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "series",
        *_record_columns(),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("rrule", sa.String(length=500), nullable=True),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('conference', 'visit', 'workshop', 'network_meeting', 'werkstatt', 'other')",
            name=op.f("ck_series_kind"),
        ),
        sa.CheckConstraint("length(trim(title)) > 0", name=op.f("ck_series_title_not_blank")),
        sa.CheckConstraint(
            "(all_day AND start_date IS NOT NULL AND starts_at IS NULL)"
            " OR (NOT all_day AND starts_at IS NOT NULL AND start_date IS NULL)",
            name=op.f("ck_series_when"),
        ),
        sa.CheckConstraint(
            "duration_minutes >= 0", name=op.f("ck_series_duration_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
    )
    op.create_table(
        "series_organisations",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_series_organisations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"],
            name=op.f("fk_series_organisations_series_id_series"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "series_id", "organisation_id", name=op.f("pk_series_organisations")
        ),
    )
    op.create_index(
        op.f("ix_series_organisations_organisation_id"), "series_organisations",
        ["organisation_id"],
    )
    op.create_table(
        "series_participants",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"],
            name=op.f("fk_series_participants_person_id_people"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"],
            name=op.f("fk_series_participants_series_id_series"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", "person_id", name=op.f("pk_series_participants")),
    )
    op.create_index(
        op.f("ix_series_participants_person_id"), "series_participants", ["person_id"]
    )

    # Plain ADD COLUMN (not batch mode): recreating exchanges would drop its feed triggers.
    # SQLite takes a REFERENCES clause in ADD COLUMN (the default being NULL); Alembic
    # would try a separate ALTER for the constraint, which SQLite cannot do.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE exchanges ADD COLUMN series_id INTEGER"
            " CONSTRAINT fk_exchanges_series_id_series REFERENCES series (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("exchanges", sa.Column("series_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_exchanges_series_id_series"), "exchanges", "series",
            ["series_id"], ["id"], ondelete="SET NULL",
        )
    op.add_column("exchanges", sa.Column("recurrence_id", sa.String(length=20), nullable=True))
    op.create_index(op.f("ix_exchanges_series_id"), "exchanges", ["series_id"])
    op.create_index(
        "uq_exchanges_series_recurrence", "exchanges", ["series_id", "recurrence_id"],
        unique=True,
    )

    # organisations has no feed triggers, so batch mode may recreate it on SQLite.
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.add_column(
            sa.Column("home", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("locale", sa.String(length=5), nullable=False, server_default="de")
        )
        batch_op.create_check_constraint(op.f("ck_organisations_locale"), "locale IN ('de', 'en')")
    op.create_index(
        "uq_organisations_one_home", "organisations", ["home"], unique=True,
        sqlite_where=sa.text("home"), postgresql_where=sa.text("home"),
    )

    op.create_table(
        "task_notes",
        *_record_columns(),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("length(trim(text)) > 0", name=op.f("ck_task_notes_text_not_blank")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"],
            name=op.f("fk_task_notes_author_id_people"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_task_notes_organisation_id_organisations"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"],
            name=op.f("fk_task_notes_task_id_tasks"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_notes")),
    )
    op.create_index(op.f("ix_task_notes_task_id"), "task_notes", ["task_id"])


def downgrade():
    op.drop_index(op.f("ix_task_notes_task_id"), table_name="task_notes")
    op.drop_table("task_notes")
    op.drop_index("uq_organisations_one_home", table_name="organisations")
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.drop_constraint(op.f("ck_organisations_locale"), type_="check")
        batch_op.drop_column("locale")
        batch_op.drop_column("home")
    op.drop_index("uq_exchanges_series_recurrence", table_name="exchanges")
    op.drop_index(op.f("ix_exchanges_series_id"), table_name="exchanges")
    with op.batch_alter_table("exchanges") as batch_op:
        batch_op.drop_column("recurrence_id")
        batch_op.drop_column("series_id")
    op.drop_index(op.f("ix_series_participants_person_id"), table_name="series_participants")
    op.drop_table("series_participants")
    op.drop_index(
        op.f("ix_series_organisations_organisation_id"), table_name="series_organisations"
    )
    op.drop_table("series_organisations")
    op.drop_table("series")
