"""partner_links: a secret link per partner organisation, proposed due dates, audit by link

Revision ID: 0012_partner_links
Revises: 0011_translations
Create Date: 2026-11-29 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_partner_links'
down_revision = '0011_translations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "partner_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_partner_links_organisation_id_organisations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"],
            name=op.f("fk_partner_links_created_by_id_people"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_partner_links_token_hash")),
        sa.UniqueConstraint("feed_token_hash", name=op.f("uq_partner_links_feed_token_hash")),
    )
    op.create_index(
        op.f("ix_partner_links_organisation_id"), "partner_links", ["organisation_id"]
    )
    op.create_table(
        "due_date_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("proposed_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('proposed', 'accepted', 'declined')",
            name=op.f("ck_due_date_proposals_state"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"],
            name=op.f("fk_due_date_proposals_task_id_tasks"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["partner_links.id"],
            name=op.f("fk_due_date_proposals_link_id_partner_links"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["people.id"],
            name=op.f("fk_due_date_proposals_decided_by_id_people"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_date_proposals")),
    )
    op.create_index(op.f("ix_due_date_proposals_task_id"), "due_date_proposals", ["task_id"])
    op.create_index(op.f("ix_due_date_proposals_link_id"), "due_date_proposals", ["link_id"])
    # audit_entries has no feed triggers, so batch mode may recreate it on SQLite.
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.add_column(sa.Column("partner_link_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_audit_entries_partner_link_id_partner_links"), "partner_links",
            ["partner_link_id"], ["id"], ondelete="SET NULL",
        )
        batch_op.create_index(
            op.f("ix_audit_entries_partner_link_id"), ["partner_link_id"]
        )


def downgrade():
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_index(op.f("ix_audit_entries_partner_link_id"))
        batch_op.drop_constraint(
            op.f("fk_audit_entries_partner_link_id_partner_links"), type_="foreignkey"
        )
        batch_op.drop_column("partner_link_id")
    op.drop_index(op.f("ix_due_date_proposals_link_id"), table_name="due_date_proposals")
    op.drop_index(op.f("ix_due_date_proposals_task_id"), table_name="due_date_proposals")
    op.drop_table("due_date_proposals")
    op.drop_index(op.f("ix_partner_links_organisation_id"), table_name="partner_links")
    op.drop_table("partner_links")
