"""agenda: agenda topics, exchange documents, when an exchange's minutes were sent

Revision ID: 0009_agenda
Revises: 0008_series
Create Date: 2026-11-29 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_agenda'
down_revision = '0008_series'
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
        "agenda_topics",
        *_record_columns(),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("length(trim(text)) > 0", name=op.f("ck_agenda_topics_text_not_blank")),
        sa.ForeignKeyConstraint(
            ["exchange_id"], ["exchanges.id"],
            name=op.f("fk_agenda_topics_exchange_id_exchanges"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_topics")),
    )
    op.create_index(
        "ix_agenda_topics_exchange_position", "agenda_topics", ["exchange_id", "position"]
    )
    op.create_table(
        "exchange_documents",
        *_record_columns(),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.CheckConstraint(
            "length(trim(title)) > 0", name=op.f("ck_exchange_documents_title_not_blank")
        ),
        sa.CheckConstraint(
            "length(trim(url)) > 0", name=op.f("ck_exchange_documents_url_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["exchange_id"], ["exchanges.id"],
            name=op.f("fk_exchange_documents_exchange_id_exchanges"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_documents")),
    )
    op.create_index(
        op.f("ix_exchange_documents_exchange_id"), "exchange_documents", ["exchange_id"]
    )
    # Plain ADD COLUMN (not batch mode): recreating exchanges would drop its feed triggers.
    op.add_column(
        "exchanges", sa.Column("minutes_sent_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade():
    with op.batch_alter_table("exchanges") as batch_op:
        batch_op.drop_column("minutes_sent_at")
    op.drop_index(op.f("ix_exchange_documents_exchange_id"), table_name="exchange_documents")
    op.drop_table("exchange_documents")
    op.drop_index("ix_agenda_topics_exchange_position", table_name="agenda_topics")
    op.drop_table("agenda_topics")
