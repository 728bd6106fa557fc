"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 07:16:27.703137

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchanges',
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('all_day', sa.Boolean(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('rrule', sa.String(length=500), nullable=True),
    sa.Column('follows_up_id', sa.Integer(), nullable=True),
    sa.Column('import_uid', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('conference', 'visit', 'workshop', 'network_meeting', 'werkstatt', 'other')", name=op.f('ck_exchanges_kind')),
    sa.CheckConstraint("status IN ('planned', 'held', 'cancelled')", name=op.f('ck_exchanges_status')),
    sa.CheckConstraint('(all_day AND start_date IS NOT NULL AND end_date IS NOT NULL AND end_date >= start_date AND starts_at IS NULL AND ends_at IS NULL) OR (NOT all_day AND starts_at IS NOT NULL AND ends_at IS NOT NULL AND ends_at >= starts_at AND start_date IS NULL AND end_date IS NULL)', name=op.f('ck_exchanges_when')),
    sa.CheckConstraint('follows_up_id IS NULL OR follows_up_id <> id', name=op.f('ck_exchanges_not_own_follow_up')),
    sa.CheckConstraint('length(trim(title)) > 0', name=op.f('ck_exchanges_title_not_blank')),
    sa.ForeignKeyConstraint(['follows_up_id'], ['exchanges.id'], name=op.f('fk_exchanges_follows_up_id_exchanges'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchanges')),
    sa.UniqueConstraint('import_uid', name=op.f('uq_exchanges_import_uid'))
    )
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchanges_follows_up_id'), ['follows_up_id'], unique=False)
        batch_op.create_index('ix_exchanges_starts', ['start_date', 'starts_at'], unique=False)

    op.create_table('organisations',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('short_name', sa.String(length=50), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('city', 'district', 'ministry', 'agency', 'company', 'university', 'association', 'other')", name=op.f('ck_organisations_kind')),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_organisations_name_not_blank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('name', name=op.f('uq_organisations_name'))
    )
    op.create_table('exchange_organisations',
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_exchange_organisations_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_exchange_organisations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exchange_id', 'organisation_id', name=op.f('pk_exchange_organisations'))
    )
    with op.batch_alter_table('exchange_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_organisations_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('outcomes',
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('agreed', 'in_progress', 'fulfilled', 'dropped')", name=op.f('ck_outcomes_status')),
    sa.CheckConstraint('length(trim(text)) > 0', name=op.f('ck_outcomes_text_not_blank')),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_outcomes_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcomes'))
    )
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcomes_exchange_id'), ['exchange_id'], unique=False)

    op.create_table('people',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=True),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_epoch', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=10), nullable=False),
    sa.Column('reminder_minutes', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("digest IN ('daily', 'weekly', 'never')", name=op.f('ck_people_digest')),
    sa.CheckConstraint("locale IN ('de', 'en')", name=op.f('ck_people_locale')),
    sa.CheckConstraint("role IN ('admin', 'editor', 'viewer')", name=op.f('ck_people_role')),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_people_name_not_blank')),
    sa.CheckConstraint('password_hash IS NULL OR role IS NOT NULL', name=op.f('ck_people_login_has_role')),
    sa.CheckConstraint('reminder_minutes IS NULL OR reminder_minutes >= 0', name=op.f('ck_people_reminder_not_negative')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_people_organisation_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('email', name=op.f('uq_people_email'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_api_tokens_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_api_tokens_person_id', ['person_id'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('entity_type', sa.String(length=30), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_audit_entries_actor_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_entity', ['entity_type', 'entity_id', 'id'], unique=False)

    op.create_table('exchange_participants',
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_exchange_participants_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_exchange_participants_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exchange_id', 'person_id', name=op.f('pk_exchange_participants'))
    )
    with op.batch_alter_table('exchange_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_participants_person_id'), ['person_id'], unique=False)

    op.create_table('outcome_organisations',
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_outcome_organisations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_outcome_organisations_outcome_id_outcomes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outcome_id', 'organisation_id', name=op.f('pk_outcome_organisations'))
    )
    with op.batch_alter_table('outcome_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_organisations_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('tasks',
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('exchange_id', sa.Integer(), nullable=True),
    sa.Column('outcome_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_time', sa.Time(), nullable=True),
    sa.Column('due_exchange_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('plans_exchange_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name=op.f('ck_tasks_completed_when_done')),
    sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f('ck_tasks_status')),
    sa.CheckConstraint('due_exchange_id IS NULL OR due_time IS NULL', name=op.f('ck_tasks_due_at_exchange_has_no_time')),
    sa.CheckConstraint('due_time IS NULL OR due_date IS NOT NULL', name=op.f('ck_tasks_time_needs_date')),
    sa.CheckConstraint('length(trim(title)) > 0', name=op.f('ck_tasks_title_not_blank')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['people.id'], name=op.f('fk_tasks_completed_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_tasks_created_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['due_exchange_id'], ['exchanges.id'], name=op.f('fk_tasks_due_exchange_id_exchanges'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_tasks_exchange_id_exchanges'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_tasks_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_tasks_outcome_id_outcomes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['people.id'], name=op.f('fk_tasks_owner_id_people'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['plans_exchange_id'], ['exchanges.id'], name=op.f('fk_tasks_plans_exchange_id_exchanges'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_due_exchange_id'), ['due_exchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_exchange_id'), ['exchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_outcome_id'), ['outcome_id'], unique=False)
        batch_op.create_index('ix_tasks_owner_status_due', ['owner_id', 'status', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_plans_exchange_id'), ['plans_exchange_id'], unique=False)
        batch_op.create_index('ix_tasks_status_due', ['status', 'due_date'], unique=False)



def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_status_due')
        batch_op.drop_index(batch_op.f('ix_tasks_plans_exchange_id'))
        batch_op.drop_index('ix_tasks_owner_status_due')
        batch_op.drop_index(batch_op.f('ix_tasks_outcome_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_exchange_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_due_exchange_id'))

    op.drop_table('tasks')
    with op.batch_alter_table('outcome_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_organisations_organisation_id'))

    op.drop_table('outcome_organisations')
    with op.batch_alter_table('exchange_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_participants_person_id'))

    op.drop_table('exchange_participants')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_entity')

    op.drop_table('audit_entries')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_api_tokens_person_id')

    op.drop_table('api_tokens')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_organisation_id'))

    op.drop_table('people')
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcomes_exchange_id'))

    op.drop_table('outcomes')
    with op.batch_alter_table('exchange_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_organisations_organisation_id'))

    op.drop_table('exchange_organisations')
    op.drop_table('organisations')
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.drop_index('ix_exchanges_starts')
        batch_op.drop_index(batch_op.f('ix_exchanges_follows_up_id'))

    op.drop_table('exchanges')
