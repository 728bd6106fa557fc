"""The calendar feed links /me shows, from the calendar feature."""

from __future__ import annotations

from tracker.accounts.models import Person
from tracker.calendar.services import existing_standing_feed, feed_url, standing_feed
from tracker.core.database import write_on_read

KINDS = ("personal", "team")


def feed_urls_for(person: Person) -> dict[str, str | None]:
    """{"calendar_feed_url": …, "team_feed_url": …}; the feeds are made on the first ask."""
    personal, team = [existing_standing_feed(person, kind) for kind in KINDS]  # usually there
    if personal is None or team is None:
        with write_on_read():
            personal, team = [standing_feed(person, kind) for kind in KINDS]
    return {"calendar_feed_url": feed_url(personal), "team_feed_url": feed_url(team)}
