"""notify: the mail outbox and the digest runs

Revision ID: 0002_notify
Revises: 0001
Create Date: 2026-11-26 08:13:36.190076

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002_notify'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notify_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=300), nullable=False),
    sa.Column('ics', sa.Text(), nullable=True),
    sa.Column('ics_filename', sa.String(length=200), nullable=True),
    sa.Column('unsubscribe_url', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_notify_outbox_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_outbox'))
    )
    with op.batch_alter_table('notify_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_notify_outbox_due', ['sent_at', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_outbox_person_id'), ['person_id'], unique=False)

    op.create_table('notify_digest_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=30), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['notify_outbox.id'], name=op.f('fk_notify_digest_runs_outbox_id_notify_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_notify_digest_runs_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_digest_runs')),
    sa.UniqueConstraint('person_id', 'period', name='uq_notify_digest_runs_period')
    )


def downgrade():
    op.drop_table('notify_digest_runs')
    with op.batch_alter_table('notify_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_outbox_person_id'))
        batch_op.drop_index('ix_notify_outbox_due')

    op.drop_table('notify_outbox')
