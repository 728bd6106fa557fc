"""The calendar feed links /me shows; the calendar feature provides them when it is there.

tracker.calendar is built in parallel. Until it can be imported, both links are None, so
/api/v1/me works either way.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def feed_urls_for(person) -> dict[str, str | None]:
    """{"calendar_feed_url": …, "team_feed_url": …} for this person, or None values."""
    empty: dict[str, str | None] = {"calendar_feed_url": None, "team_feed_url": None}
    try:
        import tracker.calendar as calendar
    except ImportError:
        return empty
    provider = getattr(calendar, "feed_urls_for", None)
    if provider is None:
        return empty
    try:
        urls = provider(person) or {}
    except Exception:  # noqa: BLE001  (a broken feed link must not break /me)
        log.exception("calendar feed links for person %s failed", getattr(person, "id", None))
        return empty
    return {name: urls.get(name) for name in empty}
