"""The outbox (mail waiting to be sent) and the record of which digests went out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.model import UTCDateTime, utcnow
from tracker.extensions import Model


class OutboxMessage(Model):
    """One email, queued in the transaction of the change that caused it, sent afterwards."""

    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "digest" or "assignment"; for the log and for operators.
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    #: Kept from the first attempt, so a retried message is recognisably the same one.
    message_id: Mapped[str] = mapped_column(String(300))
    #: An optional calendar attachment (text/calendar), e.g. the task given to someone.
    ics: Mapped[str | None] = mapped_column(Text)
    ics_filename: Mapped[str | None] = mapped_column(String(200))
    #: Settings link for the List-Unsubscribe header.
    unsubscribe_url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not tried before this time (back-off after a failure; a lease while being sent).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to {self.recipient!r}>"


class DigestRun(Model):
    """A digest queued for one person in one period; the unique key makes a rerun send nothing.

    Two cron runs racing both try to insert the same (person, period); the database lets
    one win, the other gets an IntegrityError and skips that person.
    """

    __tablename__ = "notify_digest_runs"
    __table_args__ = (UniqueConstraint("person_id", "period", name="uq_notify_digest_runs_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    #: "daily:2026-11-26" or "weekly:2026-W48" (ISO week, in the team's time zone).
    period: Mapped[str] = mapped_column(String(30))
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("notify_outbox.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
