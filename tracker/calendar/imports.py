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
from tracker.core.validation import EARLIEST_YEAR, LATEST_YEAR
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
    #: SEQUENCE: the organiser counts up each change; a lower one is an older invitation.
    sequence: int = 0
    #: Occurrences that do not take place, as the exchange stores them (see `_exdate`).
    exdates: list[str] = field(default_factory=list)
    #: Occurrences moved to another time: each becomes an exchange of its own.
    moved: list[Candidate] = field(default_factory=list)
    #: Start of each occurrence the file cancels (RECURRENCE-ID), for the preview.
    cancelled_occurrences: list[date] = field(default_factory=list)
    #: The file changes occurrences of a series without the series (e.g. cancels one).
    occurrences_only: bool = False

    def fields(self) -> dict[str, Any]:
        """The exchange's fields as the exchange services take them."""
        values: dict[str, Any] = {
            "title": self.title,
            "all_day": self.all_day,
            "location": self.location,
            "description": self.description,
            "rrule": self.rrule,
            "import_uid": self.uid,
            "exdates": ",".join(sorted(set(self.exdates))) or None,
            "import_sequence": self.sequence,
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

    def outdated_by(self) -> Exchange | None:
        """The exchange a newer version (higher SEQUENCE) of this invitation made, if any."""
        if self.occurrences_only:
            return None
        existing = self.existing()
        if existing is None or existing.import_sequence is None:
            return None
        return existing if existing.import_sequence > self.sequence else None

    def refusal(self) -> str | None:
        """Why saving would do nothing at all (there is nothing to cancel or change), or None."""
        existing = self.existing()
        if existing is not None and existing.is_live:
            return None
        if self.occurrences_only and self.cancelled:
            return _("The series this cancellation belongs to was never imported; "
                     "there is nothing to cancel.")
        if self.occurrences_only:
            return _("The series this change belongs to was never imported; "
                     "please import the series first.")
        if self.cancelled and existing is None:
            return _("This invitation was never imported; there is nothing to cancel.")
        return None


def _limit() -> int:
    return MAX_IMPORT_BYTES


def _decode(data: bytes) -> str:
    # Outlook on Windows writes UTF-16 with a byte order mark; some tools leave it out.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    elif data[1:2] == b"\x00":
        encodings = ("utf-16-le",)
    elif data[:1] == b"\x00":
        encodings = ("utf-16-be",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
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
    if not text.strip():
        raise InvitationError(_("The file is empty."))
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
    if not events:
        raise InvitationError(_("The file holds no event (VEVENT)."))
    # A series comes with its changed occurrences (RECURRENCE-ID, same UID); a file may
    # also hold only such occurrences, e.g. one occurrence cancelled.
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    candidates = [_candidate(event, index) for index, event in enumerate(masters)]
    if cancelling:  # the organiser called it off (Outlook sends METHOD:CANCEL)
        for candidate in candidates:
            candidate.cancelled = True
    series = {c.uid: c for c in candidates}
    for event in (e for e in events if "RECURRENCE-ID" in e):
        if "DTSTART" not in event:  # a cancellation may name the occurrence only
            event["DTSTART"] = event["RECURRENCE-ID"]
        uid = one_line(str(event.get("UID", "")))
        target = series.get(uid)
        if target is None:
            target = _candidate(event, len(series))
            target.rrule, target.exdates, target.problems = None, [], []
            target.occurrences_only, target.cancelled = True, cancelling
            series[uid] = target
            candidates.append(target)
        _occurrence(target, event, cancelling or _is_cancelled(event))
    return candidates


def _is_cancelled(event: Component) -> bool:
    return str(event.get("STATUS", "")).upper() == "CANCELLED"


def _exdate(value: date, all_day: bool) -> str:
    """An occurrence's start as an exchange stores it in `exdates`."""
    if all_day:
        day = value.date() if isinstance(value, datetime) else value
        return day.strftime("%Y%m%d")
    if not isinstance(value, datetime):  # a day in a timed series: its midnight, here
        value = datetime.combine(value, datetime.min.time(), tzinfo=team_zone())
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _occurrence(series: Candidate, event: Component, cancelled: bool) -> None:
    """Apply one RECURRENCE-ID VEVENT to its series: skipped, or moved to its own exchange."""
    start = _when(event, "RECURRENCE-ID")
    assert start is not None  # only events that have one come here
    shown = start.astimezone(team_zone()) if isinstance(start, datetime) else start
    if str(event["RECURRENCE-ID"].params.get("RANGE", "")).upper() == "THISANDFUTURE":
        series.problems.append(_(
            "The change to the occurrence on %(day)s and all after it can't be imported.",
            day=shown.strftime("%Y-%m-%d %H:%M" if isinstance(shown, datetime) else "%Y-%m-%d"),
        ))
        return
    key = _exdate(start, series.all_day)
    series.exdates.append(key)
    if cancelled:
        series.cancelled_occurrences.append(shown)
        return
    moved = _candidate(event, 0)
    moved.uid = f"{series.uid}#{key}"
    if len(moved.uid) > max_length(Exchange.import_uid):
        raise InvitationError(_("The event's UID is too long."))
    moved.rrule, moved.exdates, moved.problems = None, [], []
    series.moved.append(moved)


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
    _in_range(value)
    return value


def _in_range(value: date) -> None:
    """Refuse a date the tracker does not take (near year 1 or 9999 times overflow)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvitationError(_(
            "The event's dates must lie between the years %(earliest)d and %(latest)d.",
            earliest=EARLIEST_YEAR, latest=LATEST_YEAR,
        ))


def _candidate(event: Component, index: int) -> Candidate:
    uid = one_line(str(event.get("UID", ""))) or f"import-without-uid-{index}"
    if len(uid) > max_length(Exchange.import_uid):
        raise InvitationError(_("The event's UID is too long."))
    start = _when(event, "DTSTART")
    if start is None:
        raise InvitationError(_("The event has no start (DTSTART)."))
    end = _when(event, "DTEND")
    if end is None and "DURATION" in event:
        try:
            end = start + event.decoded("DURATION")
        except (OverflowError, ValueError, TypeError) as exc:
            raise InvitationError(_("The event's DURATION is not valid.")) from exc
        _in_range(end)
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
        if isinstance(rules, list) and len(rules) > 1:
            candidate.problems.append(_("Only the first of its recurrence rules is imported."))
    try:
        candidate.sequence = max(0, min(int(str(event.get("SEQUENCE", 0))), 2**31 - 1))
    except ValueError:
        candidate.sequence = 0
    if "RDATE" in event:
        candidate.problems.append(_("Its extra dates (RDATE) can't be imported."))
    for skipped in _exdates(event):
        candidate.exdates.append(_exdate(skipped, candidate.all_day))
    return candidate


def _exdates(event: Component) -> list[date]:
    """The EXDATE values of an event (one property may hold several, and it may repeat)."""
    props = event.get("EXDATE")
    if props is None:
        return []
    days: list[date] = []
    for prop in props if isinstance(props, list) else [props]:
        try:  # icalendar keeps an unreadable value and raises when it is read
            values = [value.dt for value in prop.dts]
        except Exception as exc:
            raise InvitationError(
                _("The event's %(name)s is not a valid date.", name="EXDATE")) from exc
        for day in values:
            if not isinstance(day, date):
                raise InvitationError(_("The event's %(name)s is not a valid date.", name="EXDATE"))
            if isinstance(day, datetime) and day.tzinfo is None:
                day = day.replace(tzinfo=team_zone())
            _in_range(day)
            days.append(day)
    return days


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
    refusal = candidate.refusal()
    if refusal:
        raise InvitationError(refusal)
    exchange = candidate.existing()
    newer = candidate.outdated_by()
    if newer is not None:  # an older invitation arrived late: keep the newer
        return newer
    if candidate.occurrences_only:
        assert exchange is not None  # refusal() says so otherwise
        skipped = set((exchange.exdates or "").split(",")) | set(candidate.exdates)
        update_exchange(exchange, actor, {"exdates": ",".join(sorted(skipped - {""}))})
    elif exchange is None:
        exchange = create_exchange(actor, participant_ids=[actor.id], **candidate.fields())
    else:
        if not exchange.is_live:
            restore_exchange(exchange, actor)
        exchange = update_exchange(exchange, actor, candidate.fields())
    _save_occurrences(candidate, actor)
    return exchange


def _save_occurrences(series: Candidate, actor: Person) -> None:
    """Each moved occurrence as its own exchange; one cancelled later is cancelled too."""
    for moved in series.moved:
        save_invitation(moved, actor)
    for day in series.cancelled_occurrences:
        uid = f"{series.uid}#{_exdate(day, series.all_day)}"
        occurrence = db.session.scalar(select(Exchange).where(Exchange.import_uid == uid))
        if occurrence is not None and occurrence.is_live and occurrence.status != "cancelled":
            update_exchange(occurrence, actor, {"status": "cancelled"})
