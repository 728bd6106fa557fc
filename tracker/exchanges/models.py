"""Exchanges (conferences, visits, workshops, network meetings) and what was agreed at them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, get_args

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Person
from tracker.core.model import Record, SoftDeletable, UTCDateTime
from tracker.extensions import Model, db
from tracker.organisations.models import Organisation

if TYPE_CHECKING:
    from tracker.series.models import Series

#: The allowed values as types (the API's schema takes them); the tuples follow from them.
ExchangeKind = Literal["conference", "visit", "workshop", "network_meeting", "werkstatt", "other"]
ExchangeStatus = Literal["planned", "held", "cancelled"]
OutcomeStatus = Literal["agreed", "in_progress", "fulfilled", "dropped"]
EXCHANGE_KINDS: tuple[str, ...] = get_args(ExchangeKind)
EXCHANGE_STATUSES: tuple[str, ...] = get_args(ExchangeStatus)
OUTCOME_STATUSES: tuple[str, ...] = get_args(OutcomeStatus)

exchange_organisations = Table(
    "exchange_organisations",
    db.metadata,
    Column("exchange_id", ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

exchange_participants = Table(
    "exchange_participants",
    db.metadata,
    Column("exchange_id", ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True),
)

outcome_organisations = Table(
    "outcome_organisations",
    db.metadata,
    Column("outcome_id", ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Exchange(Record, SoftDeletable, Model):
    """Timed (starts_at/ends_at, UTC) or all-day (start_date/end_date, inclusive)."""

    __tablename__ = "exchanges"
    __table_args__ = (
        CheckConstraint(f"kind IN {EXCHANGE_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {EXCHANGE_STATUSES!r}", name="status"),
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        CheckConstraint(
            "(all_day AND start_date IS NOT NULL AND end_date IS NOT NULL"
            " AND end_date >= start_date AND starts_at IS NULL AND ends_at IS NULL)"
            " OR (NOT all_day AND starts_at IS NOT NULL AND ends_at IS NOT NULL"
            " AND ends_at >= starts_at AND start_date IS NULL AND end_date IS NULL)",
            name="when",
        ),
        CheckConstraint("follows_up_id IS NULL OR follows_up_id <> id", name="not_own_follow_up"),
        Index("ix_exchanges_starts", "start_date", "starts_at"),
        Index("uq_exchanges_series_recurrence", "series_id", "recurrence_id", unique=True),
    )

    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    status: Mapped[str] = mapped_column(String(10), default="planned")
    all_day: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    start_date: Mapped[date | None]
    #: Inclusive last day (a one-day event has end_date == start_date).
    end_date: Mapped[date | None]
    location: Mapped[str] = mapped_column(String(300), default="")
    #: Summary or minutes.
    description: Mapped[str] = mapped_column(Text, default="", info={"max_length": 100_000})
    #: iCalendar RRULE value without the "RRULE:" prefix, e.g. "FREQ=MONTHLY;BYDAY=1WE".
    rrule: Mapped[str | None] = mapped_column(String(500))
    #: The exchange this one follows up (the Lübeck visit follows up SCCON 2022).
    follows_up_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchanges.id", ondelete="SET NULL"), index=True
    )
    #: UID of the invitation this exchange was imported from, so a re-import updates it.
    import_uid: Mapped[str | None] = mapped_column(String(500), unique=True)
    #: Occurrences of the series that do not take place (iCalendar EXDATE), comma-separated:
    #: "20260708T080000Z" (UTC) for a timed series, "20260708" for an all-day one.
    exdates: Mapped[str | None] = mapped_column(Text, info={"max_length": 20_000})
    #: SEQUENCE of the imported invitation, so an older one does not overwrite a newer.
    import_sequence: Mapped[int | None]
    #: The series this exchange is a meeting of (None: a one-off exchange).
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    #: The meeting's original start in its series, kept when the meeting is moved, in the
    #: iCalendar form of `exdates`: "20260708T080000Z" (timed) or "20260708" (all-day).
    recurrence_id: Mapped[str | None] = mapped_column(String(20))
    #: A meeting someone moved, renamed, cancelled or deleted: changes to its series' rule
    #: and fields leave it as it is.
    hand_edited: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: When the minutes went out (set once: a second "finish" sends nothing more).
    minutes_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisations: Mapped[list[Organisation]] = relationship(
        secondary=exchange_organisations, order_by=Organisation.name
    )
    participants: Mapped[list[Person]] = relationship(
        secondary=exchange_participants, order_by=Person.name
    )
    follows_up: Mapped[Exchange | None] = relationship(remote_side="Exchange.id")
    series: Mapped[Series | None] = relationship()
    outcomes: Mapped[list[Outcome]] = relationship(
        order_by="Outcome.id",
        primaryjoin="and_(Outcome.exchange_id == Exchange.id, Outcome.is_live)",
        viewonly=True,
    )
    documents: Mapped[list[ExchangeDocument]] = relationship(
        order_by="ExchangeDocument.id", viewonly=True
    )

    @property
    def first_day(self) -> date | None:
        """The day it starts, in the team's time zone (what a task due at it is due on)."""
        from tracker.core.timeutil import local_date

        if self.all_day:
            return self.start_date
        return local_date(self.starts_at) if self.starts_at else None

    def __repr__(self) -> str:
        return f"<Exchange {self.id} {self.title!r}>"


class Outcome(Record, SoftDeletable, Model):
    """Something agreed at an exchange; its status follows its tasks unless dropped."""

    __tablename__ = "outcomes"
    __table_args__ = (
        CheckConstraint(f"status IN {OUTCOME_STATUSES!r}", name="status"),
        CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),
    )

    exchange_id: Mapped[int] = mapped_column(
        ForeignKey("exchanges.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text, info={"max_length": 10_000})
    status: Mapped[str] = mapped_column(String(12), default="agreed")

    exchange: Mapped[Exchange] = relationship()
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=outcome_organisations, order_by=Organisation.name
    )

    def __repr__(self) -> str:
        return f"<Outcome {self.id} of exchange {self.exchange_id}>"


class ExchangeDocument(Record, Model):
    """A link to one of the exchange's documents (minutes file, slides, the agreement)."""

    __tablename__ = "exchange_documents"
    __table_args__ = (
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        CheckConstraint("length(trim(url)) > 0", name="url_not_blank"),
    )

    exchange_id: Mapped[int] = mapped_column(
        ForeignKey("exchanges.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    #: http or https only (checked by the service): the page links to it.
    url: Mapped[str] = mapped_column(String(2000))

    def __repr__(self) -> str:
        return f"<ExchangeDocument {self.id} of exchange {self.exchange_id}>"
