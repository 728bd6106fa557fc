"""A person's feed subscriptions as the pages show them: label, description, links, QR code."""

from __future__ import annotations

from typing import Any

import segno
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from tracker.accounts.models import Person
from tracker.calendar.context import default_name
from tracker.calendar.models import FeedToken
from tracker.calendar.services import feed_url
from tracker.extensions import db


def feed_links(token: FeedToken) -> dict[str, Any] | None:
    """The feed's link, its webcal:// twin and a QR code, or None if it can't be shown.

    The link's scheme is the tracker's own (`core.urls.base_url`: TRACKER_BASE_URL, else
    the request's, which ProxyFix makes https behind a trusted proxy), as in the API.
    """
    url = feed_url(token)
    if url is None:
        return None
    webcal = "webcal://" + url.split("://", 1)[1]
    svg = segno.make(url, error="m").svg_inline(scale=3, title=_("QR code of the feed link"))
    return {"url": url, "webcal": webcal, "qr": Markup(svg)}


def describe(token: FeedToken) -> str:
    """What the feed shows, in words, so a person can tell their subscriptions apart."""
    kinds = {
        "personal": _("My follow-ups and exchanges"),
        "team": _("All exchanges and open follow-ups"),
        "exchange": _("One exchange and its follow-ups"),
        "view": _("A task list filter"),
    }
    text = kinds[token.kind]
    if token.kind == "exchange" and token.exchange is not None:
        text = f"{text}: {token.exchange.title}"
    if token.kind == "view" and token.query:
        text = f"{text}: {token.query}"
    return text


def subscriptions_of(person: Person) -> list[dict[str, Any]]:
    """`person`'s live subscriptions, oldest first, with what the pages show of each."""
    tokens = db.session.scalars(
        select(FeedToken)
        .where(FeedToken.person_id == person.id, FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.created_at, FeedToken.id)
    )
    return [
        {"token": t, "label": t.name or default_name(t), "what": describe(t),
         "links": feed_links(t)}
        for t in tokens
    ]
