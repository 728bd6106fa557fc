"""What a feed's bytes depend on besides its records: address, zone, language, day, options.

Items are kept and served again while their context is the same, so everything that
shapes the bytes and is not a record's column lives here, and `FeedContext.key` names it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from tracker.accounts.models import Person
from tracker.calendar.models import FeedToken
from tracker.core import timeutil
from tracker.core.urls import base_url

#: Bump when the item layout (tracker.calendar.items) changes, so every kept item is built
#: again.
FORMAT_VERSION = "3"  # 2: titles, reminders, wording; 3: VTIMEZONE with RRULEs, autumn hour in UTC


@dataclass(frozen=True)
class FeedOptions:
    """The presentation a subscriber chose (a flag each on the feed token)."""

    vtodo: bool = False
    keep_done: bool = False
    overdue_today: bool = False

    @property
    def shifts_overdue(self) -> bool:
        """Whether overdue tasks move to today: asked for, in a feed of events (VTODOs keep
        their due date)."""
        return self.overdue_today and not self.vtodo


@dataclass(frozen=True)
class FeedContext:
    """Everything besides the records that a feed's bytes depend on."""

    base_url: str
    tz_name: str
    locale: str
    today: date
    options: FeedOptions = FeedOptions()
    name: str = ""
    description: str = ""
    #: Who reads the feed (or downloads the item): their own tasks carry no owner's name
    #: and are the only ones with reminders. None: nobody's own.
    subscriber_id: int | None = None
    #: Whether the subscriber wants reminders, so the feed's alarms change with the date.
    alarms: bool = False
    #: "partner" for a partner link's feed: items without links into the tracker, owners'
    #: names, or what an exchange's minutes say (kept apart from the team's items).
    audience: str = ""

    @property
    def host(self) -> str:
        """The tracker's host name, which makes item UIDs unique across installations."""
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def zone(self) -> ZoneInfo:
        """The team's zone: timed items are written in it, with its VTIMEZONE."""
        return ZoneInfo(self.tz_name)

    @cached_property
    def key(self) -> str:
        """What every item's bytes share: host, links, zone, item layout."""
        raw = f"{FORMAT_VERSION}|{self.base_url}|{self.tz_name}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


def feed_context(token: FeedToken | None = None, person: Person | None = None) -> FeedContext:
    """The context of `token`'s feed, or of a one-item download for `person`.

    Everything is worded in the owner's language, never the fetching request's, so the
    calendar's name does not change with whoever fetched it first.
    """
    person = person or (token.person if token else None)
    locale = person.locale if person is not None and person.locale else "de"
    options = FeedOptions()
    name = description = ""
    if token is not None:
        options = FeedOptions(
            vtodo=token.vtodo, keep_done=token.keep_done, overdue_today=token.overdue_today
        )
        with force_locale(locale):
            name = token.name or default_name(token)
            description = _("Follow-ups and exchanges from the follow-up tracker")
    return FeedContext(
        base_url=base_url(),
        tz_name=current_app.config["TRACKER_TIMEZONE"],
        locale=locale,
        today=timeutil.today(),
        options=options,
        name=name,
        description=description,
        subscriber_id=person.id if person is not None else None,
        alarms=person is not None and person.reminder_minutes is not None,
    )


def default_name(token: FeedToken) -> str:
    """The calendar's name when the subscriber gave none, so calendar apps show what it is."""
    if token.kind == "personal":
        return _("Follow-ups: %(name)s", name=token.person.name)
    if token.kind == "team":
        return _("Follow-ups: team")
    if token.kind == "exchange" and token.exchange is not None:
        return _("Follow-ups: %(title)s", title=token.exchange.title)
    return _("Follow-ups: selected tasks")
