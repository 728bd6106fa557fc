"""Reading an invitation (.ics from Outlook, Google, Thunderbird) and saving it as an exchange.

`parse_invitation` reads the file into candidates to preview; `save_invitation` is the
service that turns the picked one into an exchange, so the rules of an import (create,
or bring back and update, the importer takes part) live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from icalendar import Calendar, Component
from sqlalchemy import select

from tracker.accounts.models import Person
from tracker.calendar.items import clean, one_line
from tracker.core.limits import max_length
from tracker.core.timeutil import team_zone
from tracker.exchanges.models import Exchange
from tracker.exchanges.services import create_exchange, restore_exchange, update_exchange
from tracker.extensions import db

#: Invitations are a few KB; Outlook with an embedded logo stays well under this.
MAX_IMPORT_BYTES = 512 * 1024
#: An invitation is one event, or a series with its changed occurrences; a file with more
#: is a calendar export, and each event costs a lookup and a row in the preview.
MAX_IMPORT_EVENTS = 100


class InvitationError(ValueError):
    """The file can't become an exchange; the message says why, for the person uploading."""


@dataclass
class Candidate:
    """One VEVENT of the file, as exchange fields, ready to preview and save."""

    uid: str
    title: str
    all_day: bool
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None
    location: str = ""
    description: str = ""
    rrule: str | None = None
    cancelled: bool = False
    problems: list[str] = field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        """The exchange's fields as the exchange services take them."""
        values: dict[str, Any] = {
            "title": self.title,
            "all_day": self.all_day,
            "location": self.location,
            "description": self.description,
            "rrule": self.rrule,
            "import_uid": self.uid,
        }
        if self.all_day:
            values.update(start_date=self.start_date, end_date=self.end_date)
        else:
            values.update(starts_at=self.starts_at, ends_at=self.ends_at)
        if self.cancelled:
            values["status"] = "cancelled"
        return values

    def existing(self) -> Exchange | None:
        """The exchange an earlier import of this invitation made, if any."""
        return db.session.scalar(select(Exchange).where(Exchange.import_uid == self.uid))


def _limit() -> int:
    return MAX_IMPORT_BYTES


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvitationError(_("The file is not an iCalendar (.ics) file."))


def parse_invitation(data: bytes) -> list[Candidate]:
    """Every importable VEVENT in `data`; raises InvitationError with a message otherwise."""
    if len(data) > _limit():
        raise InvitationError(
            _("The file is too large (at most %(kb)d KB).", kb=_limit() // 1024)
        )
    if not data.strip():
        raise InvitationError(_("The file is empty."))
    text = _decode(data).lstrip()
    upper = text.upper()
    if not upper.startswith("BEGIN:VCALENDAR"):
        raise InvitationError(_("The file is not an iCalendar (.ics) file."))
    if "END:VCALENDAR" not in upper:
        raise InvitationError(_("The file is not a readable iCalendar (.ics) file."))
    if upper.count("BEGIN:VEVENT") > MAX_IMPORT_EVENTS:
        raise InvitationError(
            _("The file holds more than %(n)d events; please import one invitation.",
              n=MAX_IMPORT_EVENTS)
        )
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError, but also others on odd input
        raise InvitationError(_("The file is not a readable iCalendar (.ics) file.")) from exc
    events = [event for cal in calendars for event in cal.walk("VEVENT")]
    cancelling = any(str(cal.get("METHOD", "")).upper() == "CANCEL" for cal in calendars)
    # A series comes with its changed occurrences (RECURRENCE-ID): the series is what we keep.
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    if not masters:
        raise InvitationError(_("The file holds no event (VEVENT)."))
    candidates = [_candidate(event, index) for index, event in enumerate(masters)]
    if cancelling:  # the organiser called it off (Outlook sends METHOD:CANCEL)
        for candidate in candidates:
            candidate.cancelled = True
    return candidates


def _when(event: Component, name: str) -> date | None:
    prop = event.get(name)
    if prop is None:
        return None
    try:
        value = event.decoded(name)
    except Exception as exc:
        raise InvitationError(_("The event's %(name)s is not a valid date.", name=name)) from exc
    if not isinstance(value, date):
        raise InvitationError(_("The event's %(name)s is not a valid date.", name=name))
    if isinstance(value, datetime) and value.tzinfo is None:
        tzid = getattr(prop, "params", {}).get("TZID")
        if tzid:
            raise InvitationError(
                _("The event uses an unknown time zone: %(tzid)s.", tzid=one_line(str(tzid))[:80])
            )
        value = value.replace(tzinfo=team_zone())  # floating time: the team's wall clock
    return value


def _candidate(event: Component, index: int) -> Candidate:
    uid = one_line(str(event.get("UID", ""))) or f"import-without-uid-{index}"
    if len(uid) > max_length(Exchange.import_uid):
        raise InvitationError(_("The event's UID is too long."))
    start = _when(event, "DTSTART")
    if start is None:
        raise InvitationError(_("The event has no start (DTSTART)."))
    end = _when(event, "DTEND")
    if end is None and "DURATION" in event:
        end = start + event.decoded("DURATION")
    title = one_line(str(event.get("SUMMARY", ""))) or _("Imported event")
    candidate = Candidate(
        uid=uid,
        title=title[: max_length(Exchange.title)],
        all_day=not isinstance(start, datetime),
        location=one_line(str(event.get("LOCATION", "")))[: max_length(Exchange.location)],
        description=clean(str(event.get("DESCRIPTION", ""))).strip()[
            : max_length(Exchange.description)
        ],
        cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
    )
    if not isinstance(start, datetime):  # all day
        candidate.start_date = start
        last = (end - timedelta(days=1)) if isinstance(end, date) and end > start else start
        candidate.end_date = last if not isinstance(last, datetime) else last.date()
    else:
        if isinstance(end, date) and not isinstance(end, datetime):
            end = None
        candidate.starts_at = start.astimezone(UTC)
        candidate.ends_at = (end or start + timedelta(hours=1)).astimezone(UTC)
        if candidate.ends_at < candidate.starts_at:
            candidate.ends_at = candidate.starts_at
    rules = event.get("RRULE")
    if rules is not None:
        rule = rules[0] if isinstance(rules, list) else rules
        candidate.rrule = rule.to_ical().decode()
    return candidate


def pick(candidates: list[Candidate], uid: str | None) -> Candidate | None:
    """The event the person picked by UID; a file with one event needs no pick."""
    if len(candidates) == 1 and not uid:
        return candidates[0]
    return next((c for c in candidates if c.uid == uid), None)


def save_invitation(candidate: Candidate, actor: Person) -> Exchange:
    """The exchange for an invitation: new, or the one an earlier import of it made.

    A new one has the importer as a participant (they were invited, so it shows in their
    feed); an earlier one is brought back if deleted and updated from the file, and
    cancelled if the file cancels it. Flushes; the caller commits through `transaction()`.
    """
    exchange = candidate.existing()
    if exchange is None:
        return create_exchange(actor, participant_ids=[actor.id], **candidate.fields())
    if not exchange.is_live:
        restore_exchange(exchange, actor)
    return update_exchange(exchange, actor, candidate.fields())
