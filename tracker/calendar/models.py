"""Feed tokens (the secret in a subscription URL) and the kept, serialised feed items."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Person
from tracker.core.model import UTCDateTime, utcnow
from tracker.exchanges.models import Exchange
from tracker.extensions import Model

FEED_KINDS = ("personal", "team", "exchange", "view")


def token_hash(token: str) -> str:
    """How a token is looked up: its SHA-256, so the table holds no working link."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class FeedToken(Model):
    """One subscription: whose it is, what it shows, and the secret that opens it.

    The token is not stored. It is derived as HMAC(SECRET_KEY, nonce), so the tracker can
    show the link again on the account page, while a copy of the database alone reveals
    no working URL. Requests are matched by the token's SHA-256 (`token_hash`), which
    keeps working if the secret key is ever rotated (the link then can't be shown again,
    and the page says so).
    """

    __tablename__ = "feed_tokens"
    __table_args__ = (
        CheckConstraint(f"kind IN {FEED_KINDS!r}", name="kind"),
        CheckConstraint(
            "(kind = 'exchange') = (exchange_id IS NOT NULL)", name="exchange_feed_has_exchange"
        ),
        Index("ix_feed_tokens_person_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    #: A name the user gives the subscription (shown as the calendar's name).
    name: Mapped[str] = mapped_column(String(200), default="")
    exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchanges.id", ondelete="CASCADE"), index=True
    )
    #: For "view" feeds: the task-list filter as a URL query string (status=open&owner_id=3).
    query: Mapped[str] = mapped_column(Text, default="", info={"max_length": 2000})
    #: VTODOs instead of all-day VEVENTs (Thunderbird, Evolution, task apps).
    vtodo: Mapped[bool] = mapped_column(default=False)
    #: Keep done tasks (marked done) instead of dropping them.
    keep_done: Mapped[bool] = mapped_column(default=False)
    #: Show overdue open tasks on today's date, prefixed "overdue".
    overdue_today: Mapped[bool] = mapped_column(default=False)
    #: Random per token; the token is HMAC(SECRET_KEY, nonce).
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()
    exchange: Mapped[Exchange | None] = relationship()

    @staticmethod
    def derive(secret_key: str, nonce: str) -> str:
        """The token for `nonce`: HMAC(secret key, nonce), so it can be shown again."""
        mac = hmac.new(secret_key.encode(), f"feed:{nonce}".encode(), hashlib.sha256).digest()
        return urlsafe_b64encode(mac).rstrip(b"=").decode()

    @classmethod
    def issue(cls, secret_key: str, **fields: Any) -> FeedToken:
        """A new token row with a fresh random nonce (not yet added to the session)."""
        nonce = secrets.token_urlsafe(32)
        return cls(nonce=nonce, token_hash=token_hash(cls.derive(secret_key, nonce)), **fields)

    def token(self, secret_key: str) -> str | None:
        """The token to show again, or None if the secret key changed since it was made."""
        token = self.derive(secret_key, self.nonce)
        return token if hmac.compare_digest(token_hash(token), self.token_hash) else None

    @property
    def is_active(self) -> bool:
        """Not revoked: a revoked link answers 404."""
        return self.revoked_at is None


class FeedItem(Model):
    """One record serialised as a VEVENT/VTODO, kept so a feed is assembled, not rebuilt.

    `fingerprint` names everything the bytes were made from (record version, owner,
    outcomes, host, time zone, today's date for shifted items); a different fingerprint
    means the item is built again and this row replaced.
    """

    __tablename__ = "feed_items"
    #: A cache: left out of export/import (tracker.transfer), rebuilt on the next fetch.
    __table_args__ = {"info": {"transfer": False}}

    #: "task" or "exchange".
    record_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    record_id: Mapped[int] = mapped_column(primary_key=True)
    #: Component and presentation, e.g. "vevent:de", "vevent-overdue:en", "vtodo:de".
    variant: Mapped[str] = mapped_column(String(40), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    body: Mapped[bytes] = mapped_column(LargeBinary)


class CalendarState(Model):
    """One row: a counter that database triggers bump on every change a feed can show.

    A write to any table in `tracker.calendar.cache.WATCHED_TABLES` bumps it (triggers
    made by the migrations), whoever writes: the app, a command, an import, plain SQL. A kept
    feed remembers the counter it was validated at; while it is unchanged the feed's
    ETag is known without the aggregate query, so a conditional GET costs two lookups.
    """

    __tablename__ = "calendar_state"
    #: Derived: left out of export/import; the triggers recreate the row on the next write.
    __table_args__ = {"info": {"transfer": False}}

    id: Mapped[int] = mapped_column(primary_key=True)
    counter: Mapped[int] = mapped_column(default=0)
