"""calendar feeds

Revision ID: 0003_calendar
Revises: 0002_notify
Create Date: 2026-11-26 08:08:36.408202

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003_calendar'
down_revision = '0002_notify'
branch_labels = None
depends_on = None


#: The tables a feed showed when this revision was written; a change to any bumps the
#: counter. The list in code is tracker.calendar.cache.WATCHED_TABLES: a table added there
#: gets its triggers from the migration that creates it (a revision is history, so this
#: one keeps its own list), and tests/test_calendar_triggers.py checks that the database
#: has the triggers of every watched table.
WATCHED = ("tasks", "exchanges", "outcomes", "people", "exchange_participants")
_BUMP = (
    "INSERT INTO calendar_state (id, counter) VALUES (1, 1)"
    " ON CONFLICT (id) DO UPDATE SET counter = calendar_state.counter + 1"
)


def _create_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION calendar_bump() RETURNS trigger AS $$"
            f" BEGIN {_BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER calendar_bump_{table} AFTER INSERT OR UPDATE OR DELETE"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION calendar_bump()"
            )
        return
    for table in WATCHED:
        for event in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER calendar_bump_{table}_{event} AFTER {event.upper()} ON {table}"
                f" BEGIN {_BUMP}; END"
            )


def _drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS calendar_bump_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS calendar_bump()")
        return
    for table in WATCHED:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS calendar_bump_{table}_{event}")


def upgrade():
    op.create_table('calendar_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counter', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_state'))
    )
    op.execute("INSERT INTO calendar_state (id, counter) VALUES (1, 0)")
    _create_triggers()
    op.create_table('feed_items',
    sa.Column('record_kind', sa.String(length=10), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=200), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('record_kind', 'record_id', 'variant', name=op.f('pk_feed_items'))
    )
    op.create_table('feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('exchange_id', sa.Integer(), nullable=True),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('vtodo', sa.Boolean(), nullable=False),
    sa.Column('keep_done', sa.Boolean(), nullable=False),
    sa.Column('overdue_today', sa.Boolean(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'exchange') = (exchange_id IS NOT NULL)", name=op.f('ck_feed_tokens_exchange_feed_has_exchange')),
    sa.CheckConstraint("kind IN ('personal', 'team', 'exchange', 'view')", name=op.f('ck_feed_tokens_kind')),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_feed_tokens_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_feed_tokens_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_tokens_token_hash'))
    )
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_tokens_exchange_id'), ['exchange_id'], unique=False)
        batch_op.create_index('ix_feed_tokens_person_id', ['person_id'], unique=False)



def downgrade():
    _drop_triggers()
    op.drop_table('calendar_state')
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_tokens_person_id')
        batch_op.drop_index(batch_op.f('ix_feed_tokens_exchange_id'))

    op.drop_table('feed_tokens')
    op.drop_table('feed_items')
