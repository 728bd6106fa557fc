"""series: meetings edited by hand, the daily upkeep's mark, exchanges with a rule become series

Revision ID: 0008_series
Revises: 0007_series_and_notes
Create Date: 2026-11-29 23:00:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_series'
down_revision = '0007_series_and_notes'
branch_labels = None
depends_on = None

_exchanges = sa.table(
    "exchanges",
    sa.column("id", sa.Integer), sa.column("title", sa.String), sa.column("kind", sa.String),
    sa.column("status", sa.String), sa.column("all_day", sa.Boolean),
    sa.column("starts_at", sa.DateTime(timezone=True)),
    sa.column("ends_at", sa.DateTime(timezone=True)),
    sa.column("start_date", sa.Date), sa.column("end_date", sa.Date),
    sa.column("location", sa.String), sa.column("description", sa.Text),
    sa.column("rrule", sa.String), sa.column("exdates", sa.Text),
    sa.column("import_uid", sa.String), sa.column("deleted_at", sa.DateTime(timezone=True)),
    sa.column("series_id", sa.Integer), sa.column("recurrence_id", sa.String),
    sa.column("hand_edited", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)), sa.column("version", sa.Integer),
)
_series = sa.table(
    "series",
    sa.column("id", sa.Integer), sa.column("title", sa.String), sa.column("kind", sa.String),
    sa.column("rrule", sa.String), sa.column("all_day", sa.Boolean),
    sa.column("starts_at", sa.DateTime(timezone=True)), sa.column("start_date", sa.Date),
    sa.column("duration_minutes", sa.Integer), sa.column("location", sa.String),
    sa.column("description", sa.Text), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)), sa.column("version", sa.Integer),
)
_links = {
    "organisations": (
        sa.table("exchange_organisations", sa.column("exchange_id"), sa.column("organisation_id")),
        sa.table("series_organisations", sa.column("series_id"), sa.column("organisation_id")),
        "organisation_id",
    ),
    "participants": (
        sa.table("exchange_participants", sa.column("exchange_id"), sa.column("person_id")),
        sa.table("series_participants", sa.column("series_id"), sa.column("person_id")),
        "person_id",
    ),
}


def upgrade():
    # Plain ADD COLUMN (not batch mode): recreating exchanges would drop its feed triggers.
    op.add_column(
        "exchanges",
        sa.Column("hand_edited", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "series_upkeep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_upkeep")),
    )
    _exchanges_with_a_rule_become_series()


def _utc(value):
    """SQLite hands back naive UTC, PostgreSQL aware: both as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _exchanges_with_a_rule_become_series():
    """Each exchange with an RRULE becomes the first meeting of a series with that rule.

    Imported invitations (import_uid) stay as they are: they mirror someone else's
    calendar, and a re-import updates them by their UID. Each EXDATE becomes a cancelled
    meeting at that start, so the upkeep does not make it again.
    """
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"

    def stored(value):
        return value.replace(tzinfo=None) if (sqlite and value is not None) else value

    now = datetime.now(UTC)
    rows = bind.execute(
        sa.select(_exchanges).where(
            _exchanges.c.rrule.isnot(None), _exchanges.c.rrule != "",
            _exchanges.c.import_uid.is_(None), _exchanges.c.deleted_at.is_(None),
            _exchanges.c.series_id.is_(None),
        ).order_by(_exchanges.c.id)
    ).mappings().all()
    for row in rows:
        starts_at, ends_at = _utc(row["starts_at"]), _utc(row["ends_at"])
        if row["all_day"]:
            length = row["end_date"] - row["start_date"]
            duration = length.days * 1440
            recurrence_id = row["start_date"].strftime("%Y%m%d")
        else:
            length = ends_at - starts_at
            duration = int(length.total_seconds() // 60)
            recurrence_id = starts_at.strftime("%Y%m%dT%H%M%SZ")
        series_id = bind.execute(
            _series.insert().values(
                title=row["title"], kind=row["kind"], rrule=row["rrule"].upper(),
                all_day=row["all_day"], starts_at=stored(starts_at),
                start_date=row["start_date"], duration_minutes=duration,
                location=row["location"], description="", created_at=stored(now),
                updated_at=stored(now), version=1,
            ).returning(_series.c.id)
        ).scalar_one()
        for source, target, column in _links.values():
            ids = bind.execute(
                sa.select(source.c[column]).where(source.c.exchange_id == row["id"])
            ).scalars().all()
            for ident in ids:
                bind.execute(target.insert().values(series_id=series_id, **{column: ident}))
        bind.execute(
            _exchanges.update().where(_exchanges.c.id == row["id"]).values(
                series_id=series_id, recurrence_id=recurrence_id, rrule=None, exdates=None,
            )
        )
        for skipped in (row["exdates"] or "").split(","):
            if not skipped or skipped == recurrence_id:
                continue
            when: dict = {}
            if row["all_day"]:
                day = datetime.strptime(skipped, "%Y%m%d").date()
                when = {"start_date": day, "end_date": day + length}
            else:
                start = datetime.strptime(skipped, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                when = {"starts_at": stored(start), "ends_at": stored(start + length)}
            bind.execute(_exchanges.insert().values(
                title=row["title"], kind=row["kind"], status="cancelled",
                all_day=row["all_day"], location=row["location"], description="",
                series_id=series_id, recurrence_id=skipped, hand_edited=False,
                created_at=stored(now), updated_at=stored(now), version=1, **when,
            ))


def downgrade():
    op.drop_table("series_upkeep")
    with op.batch_alter_table("exchanges") as batch_op:
        batch_op.drop_column("hand_edited")
