"""The calendar feed links /me shows, from the calendar feature."""

from __future__ import annotations

from flask import current_app, request

from tracker.calendar.services import existing_standing_feed, feed_url, standing_feed
from tracker.core.database import write_on_read

KINDS = ("personal", "team")


def feed_urls_for(person) -> dict[str, str | None]:
    """{"calendar_feed_url": …, "team_feed_url": …}; the feeds are made on the first ask."""
    base = current_app.config.get("TRACKER_BASE_URL") or request.url_root.rstrip("/")
    feeds = [existing_standing_feed(person, kind) for kind in KINDS]  # usually all there
    if None in feeds:
        with write_on_read():
            feeds = [standing_feed(person, kind) for kind in KINDS]
    personal, team = feeds
    return {"calendar_feed_url": feed_url(personal, base), "team_feed_url": feed_url(team, base)}
