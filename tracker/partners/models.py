"""Partner links (the secret link of one organisation) and the due dates proposed through them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from datetime import date, datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, ColumnElement, Date, ForeignKey, String, Text, and_
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Person
from tracker.core.model import Record, UTCDateTime, utcnow
from tracker.extensions import Model
from tracker.organisations.models import Organisation
from tracker.tasks.models import Task

ProposalState = Literal["proposed", "accepted", "declined"]
PROPOSAL_STATES: tuple[str, ...] = get_args(ProposalState)


def token_hash(token: str) -> str:
    """How a token is looked up: its SHA-256, so the table holds no working link."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def derive(secret_key: str, purpose: str, nonce: str) -> str:
    """A token: HMAC(secret key, purpose:nonce), 256 bits, so an editor can see it again."""
    mac = hmac.new(secret_key.encode(), f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(mac).rstrip(b"=").decode()


class PartnerLink(Model):
    """One organisation's secret link (its page) and the calendar feed that goes with it.

    As with feed tokens, neither token is stored: each is HMAC(SECRET_KEY, nonce) and found
    by its SHA-256, so a copy of the database alone opens nothing, while an editor can
    still copy or mail the link later. Revoking the link ends its feed too.
    """

    __tablename__ = "partner_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: Random per link (32 bytes from `secrets`); both tokens are derived from it.
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    feed_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    created_by: Mapped[Person | None] = relationship()

    PAGE = "partner"
    FEED = "partner-feed"

    @classmethod
    def issue(cls, secret_key: str, **fields: object) -> PartnerLink:
        """A new link with a fresh random nonce (not yet added to the session)."""
        nonce = secrets.token_urlsafe(32)
        return cls(
            nonce=nonce,
            token_hash=token_hash(derive(secret_key, cls.PAGE, nonce)),
            feed_token_hash=token_hash(derive(secret_key, cls.FEED, nonce)),
            **fields,
        )

    def _shown(self, secret_key: str, purpose: str, stored: str) -> str | None:
        token = derive(secret_key, purpose, self.nonce)
        return token if hmac.compare_digest(token_hash(token), stored) else None

    def token(self, secret_key: str) -> str | None:
        """The page's token, or None if the secret key changed since the link was made."""
        return self._shown(secret_key, self.PAGE, self.token_hash)

    def feed_token(self, secret_key: str) -> str | None:
        """The calendar feed's token (None if the secret key changed)."""
        return self._shown(secret_key, self.FEED, self.feed_token_hash)

    @hybrid_method
    def is_active(self, now: datetime) -> bool:
        """Neither revoked nor expired: otherwise the link answers 404.

        On a link, `link.is_active(now)`; in a query, `where(PartnerLink.is_active(now))`."""
        return self.revoked_at is None and self.expires_at > now

    @is_active.expression
    @classmethod
    def _is_active_expression(cls, now: datetime) -> ColumnElement[bool]:
        return and_(cls.revoked_at.is_(None), cls.expires_at > now)

    def __repr__(self) -> str:
        return f"<PartnerLink {self.id} of organisation {self.organisation_id}>"


class DueDateProposal(Record, Model):
    """A new due date a partner proposed through its link; the task's owner decides."""

    __tablename__ = "due_date_proposals"
    __table_args__ = (CheckConstraint(f"state IN {PROPOSAL_STATES!r}", name="state"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_links.id", ondelete="SET NULL"), index=True
    )
    proposed_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="", info={"max_length": 2_000})
    state: Mapped[str] = mapped_column(String(10), default="proposed")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task] = relationship()
    link: Mapped[PartnerLink | None] = relationship()
    decided_by: Mapped[Person | None] = relationship()

    def __repr__(self) -> str:
        return f"<DueDateProposal {self.id} for task {self.task_id}: {self.proposed_date}>"
