"""The calendar feed links /me shows, from the calendar feature."""

from __future__ import annotations

from flask import current_app, request

from tracker.calendar.services import existing_standing_feed
from tracker.calendar.services import feed_urls_for as _calendar_feed_urls
from tracker.core.database import write_on_read


def feed_urls_for(person) -> dict[str, str | None]:
    """{"calendar_feed_url": …, "team_feed_url": …}; the feeds are made on the first ask."""
    base = current_app.config.get("TRACKER_BASE_URL") or request.url_root.rstrip("/")
    if all(existing_standing_feed(person, kind) for kind in ("personal", "team")):
        return _calendar_feed_urls(person, base)  # nothing to make: stays a read
    with write_on_read():
        return _calendar_feed_urls(person, base)
