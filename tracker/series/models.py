"""A series and what its meetings share; each meeting is an `Exchange` with `series_id`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Person
from tracker.core.model import Record, SoftDeletable, UTCDateTime
from tracker.exchanges.models import EXCHANGE_KINDS
from tracker.extensions import Model, db
from tracker.organisations.models import Organisation

series_organisations = Table(
    "series_organisations",
    db.metadata,
    Column("series_id", ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

series_participants = Table(
    "series_participants",
    db.metadata,
    Column("series_id", ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Series(Record, SoftDeletable, Model):
    """Timed (starts_at, UTC, + duration_minutes) or all-day (start_date): the first meeting.

    With `rrule` the meetings are made ahead of time from the rule; without one they are
    added as they are set (the regional conferences, each in another city)."""

    __tablename__ = "series"
    __table_args__ = (
        CheckConstraint(f"kind IN {EXCHANGE_KINDS!r}", name="kind"),
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        CheckConstraint(
            "(all_day AND start_date IS NOT NULL AND starts_at IS NULL)"
            " OR (NOT all_day AND starts_at IS NOT NULL AND start_date IS NULL)",
            name="when",
        ),
        CheckConstraint("duration_minutes >= 0", name="duration_not_negative"),
    )

    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    #: iCalendar RRULE value without the "RRULE:" prefix; None: meetings are added by hand.
    rrule: Mapped[str | None] = mapped_column(String(500))
    all_day: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    start_date: Mapped[date | None]
    #: Length of a timed meeting; for an all-day series the number of days minus one × 1440.
    duration_minutes: Mapped[int] = mapped_column(default=120)
    location: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="", info={"max_length": 100_000})

    organisations: Mapped[list[Organisation]] = relationship(
        secondary=series_organisations, order_by=Organisation.name
    )
    participants: Mapped[list[Person]] = relationship(
        secondary=series_participants, order_by=Person.name
    )

    def __repr__(self) -> str:
        return f"<Series {self.id} {self.title!r}>"


class SeriesUpkeep(Model):
    """One row: the day the coming meetings of every series were last made ahead of time,
    so the once-a-day check costs one small read."""

    __tablename__ = "series_upkeep"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_on: Mapped[date | None]
