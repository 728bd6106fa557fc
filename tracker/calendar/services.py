"""Every write to feed tokens, for the pages, the API (`/api/v1/me`) and commands alike.

Like the other services these flush; the caller commits through `transaction()`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from tracker.accounts.models import Person
from tracker.calendar.models import FEED_KINDS, FeedItem, FeedToken
from tracker.core import validation
from tracker.core.errors import InvalidField
from tracker.core.limits import max_length
from tracker.core.model import utcnow
from tracker.core.urls import external_url
from tracker.extensions import db


def issue_feed(person: Person, kind: str, **fields: Any) -> FeedToken:
    """A new feed link for `person` (the token is derived from the app's secret key)."""
    if kind not in FEED_KINDS:
        raise InvalidField("kind", "not_one_of", allowed=", ".join(FEED_KINDS))
    if "name" in fields:
        fields["name"] = validation.text(
            "name", fields["name"], max_length=max_length(FeedToken.name)
        )
    token = FeedToken.issue(
        current_app.config["SECRET_KEY"], person_id=person.id, kind=kind, **fields
    )
    db.session.add(token)
    db.session.flush()
    return token


def standing_feed(person: Person, kind: str = "personal") -> FeedToken:
    """The person's plain personal or team feed, made on first use (for `/api/v1/me`)."""
    return existing_standing_feed(person, kind) or issue_feed(person, kind)


def existing_standing_feed(person: Person, kind: str) -> FeedToken | None:
    """The plain feed `standing_feed` would give, without making one (a read stays a read)."""
    if kind not in ("personal", "team"):
        raise InvalidField("kind", "not_personal_or_team")
    return db.session.scalar(
        select(FeedToken)
        .where(
            FeedToken.person_id == person.id,
            FeedToken.kind == kind,
            FeedToken.revoked_at.is_(None),
            FeedToken.vtodo.is_(False),
            FeedToken.keep_done.is_(False),
            FeedToken.overdue_today.is_(False),
        )
        .order_by(FeedToken.id)
        .limit(1)
    )


def feed_url(token: FeedToken) -> str | None:
    """The URL of a feed under `base_url()`, or None if it can't be shown again (secret
    key changed)."""
    raw = token.token(current_app.config["SECRET_KEY"])
    if raw is None:
        return None
    return external_url("calendar.feed", token=raw)


def revoke_feed(token: FeedToken) -> FeedToken:
    """The link answers 404 from now on; the feed kept for it is dropped."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.execute(
            delete(FeedItem).where(FeedItem.record_kind == "feed", FeedItem.record_id == token.id)
        )
        db.session.flush()
    return token
