"""Tasks and exchanges as iCalendar items: the one place that builds them, and their UIDs.

Feeds, one-item downloads and the assignment note's attachment all take their items from
here, so a client that has a task from a mail and from a feed sees one entry.

Every component is built with icalendar (never by string concatenation). Known
icalendar 7 traps, each avoided here:
- `Calendar.new()` adds a calendar-level UID (vdirsyncer would merge all feeds): we use
  `Calendar()` and add PRODID/VERSION ourselves.
- NAME, X-WR-CALNAME, X-WR-CALDESC and other X- properties are not escaped unless given
  as `vText` (a newline there makes `to_ical()` raise): every text goes through `vText`.
- `refresh_interval` omits VALUE=DURATION; X-PUBLISHED-TTL from a timedelta writes
  "1:00:00": both are added as `vDuration` with explicit parameters.
- `component["COMPLETED"] = datetime` writes `str(datetime)`: we always use `.add()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Component, Event, Timezone, Todo, vDuration, vRecur, vText
from sqlalchemy import func, select

from tracker.accounts.models import Person
from tracker.calendar.context import FeedContext
from tracker.calendar.vtimezone import build_vtimezone
from tracker.core.model import Record
from tracker.core.timeutil import is_ambiguous
from tracker.core.urls import external_url
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.tasks.models import Task

PRODID = "-//Smart City Team//Follow-up tracker//EN"
REFRESH = timedelta(hours=1)
TIMED_TASK_LENGTH = timedelta(minutes=30)
#: RFC 5545 allows no control characters in TEXT except HTAB (and escaped newlines).
_CONTROL = dict.fromkeys([c for c in range(32) if c not in (9, 10)] + [127], None)


def clean(text: str | None) -> str:
    """User text as iCalendar can carry it: newlines as LF, other control characters gone."""
    if not text:
        return ""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)


def one_line(text: str | None) -> str:
    """Cleaned text on one line, for properties a calendar shows as a single line."""
    return " ".join(clean(text).split("\n")).strip()


def item_uid(kind: str, record_id: int, host: str) -> str:
    """The one UID format ("task-7@host"): fixed per record, so clients update one entry."""
    return f"{kind}-{record_id}@{host}"


# --- components -----------------------------------------------------------------------


def _text(component: Component, name: str, value: str, **params: str) -> None:
    if params:
        component.add(name, vText(clean(value)), parameters=params)
    else:
        component.add(name, vText(clean(value)))


def _identity(
    component: Component,
    kind: str,
    record: Record,
    host: str,
    more_changes: int = 0,
    changed: datetime | None = None,
) -> None:
    """UID fixed per record; DTSTAMP/CREATED/LAST-MODIFIED and SEQUENCE from the record.

    `more_changes` and `changed` count changes to parts of the item kept elsewhere (an
    exchange's outcomes), so SEQUENCE and LAST-MODIFIED grow with those too.
    """
    modified = record.updated_at.astimezone(UTC)
    if changed is not None:
        modified = max(modified, changed.astimezone(UTC))
    component.add("uid", item_uid(kind, record.id, host))
    component.add("dtstamp", modified)
    component.add("created", record.created_at.astimezone(UTC))
    component.add("last-modified", modified)
    component.add("sequence", max(record.version - 1, 0) + more_changes)


#: Per exchange: (sum of its outcomes' versions, deleted ones too; their latest change).
OutcomeStamp = tuple[int, datetime | None]


def outcome_stamps(exchange_ids: Iterable[int]) -> dict[int, OutcomeStamp]:
    """One query for the outcome changes of many exchanges (every version counts once)."""
    rows = db.session.execute(
        select(Outcome.exchange_id, func.sum(Outcome.version), func.max(Outcome.updated_at))
        .where(Outcome.exchange_id.in_(list(exchange_ids)))
        .group_by(Outcome.exchange_id)
    )
    return {ex_id: (int(total or 0), changed) for ex_id, total, changed in rows}


def _unambiguous(moment: datetime, zone: ZoneInfo, recurs: bool = False) -> datetime:
    """The moment in the team's zone, or in UTC where its wall-clock time happens twice.

    Parsers read an ambiguous local time as its first occurrence, so the second 02:30 of
    the autumn night is written as UTC. A series keeps its first 02:30 local, so that
    its later dates stay at 02:30 (a UTC start would repeat the UTC time).
    """
    local = moment.astimezone(zone)
    if not is_ambiguous(moment, zone) or (recurs and local.fold == 0):
        return local
    return moment.astimezone(UTC)


def exchange_component(
    exchange: Exchange, ctx: FeedContext, stamp: OutcomeStamp | None = None
) -> Event:
    """An exchange as a VEVENT: timed in the team's zone, or all-day with exclusive DTEND."""
    if stamp is None:
        stamp = outcome_stamps([exchange.id]).get(exchange.id, (0, None))
    event = Event()
    _identity(event, "exchange", exchange, ctx.host, more_changes=stamp[0], changed=stamp[1])
    _text(event, "summary", one_line(exchange.title))
    # The table's "when" check: an all-day exchange has dates, a timed one times.
    if exchange.all_day:
        assert exchange.start_date is not None and exchange.end_date is not None
        event.add("dtstart", exchange.start_date)
        event.add("dtend", exchange.end_date + timedelta(days=1))
    else:
        assert exchange.starts_at is not None and exchange.ends_at is not None
        recurs = bool(exchange.rrule)
        event.add("dtstart", _unambiguous(exchange.starts_at, ctx.zone, recurs))
        event.add("dtend", _unambiguous(exchange.ends_at, ctx.zone, recurs))
    if exchange.rrule:
        event.add("rrule", vRecur.from_ical(exchange.rrule))
        for value in (exchange.exdates or "").split(","):
            if value:  # stored UTC or as a day; written in DTSTART's form, as clients expect
                skipped = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) \
                    if "T" in value else datetime.strptime(value, "%Y%m%d").date()
                event.add("exdate", skipped.astimezone(ctx.zone)
                          if isinstance(skipped, datetime) else skipped)
    if exchange.location:
        _text(event, "location", one_line(exchange.location))
    event.add("status", "CANCELLED" if exchange.status == "cancelled" else "CONFIRMED")
    url = external_url("exchanges.show", exchange_id=exchange.id)
    parts = [clean(exchange.description).strip()]
    outcomes = [o for o in exchange.outcomes if o.is_live]
    if outcomes:
        lines = [_("Agreed:")] + [f"- {one_line(o.text)}" for o in outcomes]
        parts.append("\n".join(lines))
    parts.append(url)
    _text(event, "description", "\n\n".join(p for p in parts if p))
    event.add("url", url)
    return event


def is_mine(task: Task, ctx: FeedContext) -> bool:
    """Whether the feed's subscriber owns `task`: no owner's name, and only then reminders."""
    return ctx.subscriber_id is not None and task.owner_id == ctx.subscriber_id


def _task_summary(task: Task, owner: Person, ctx: FeedContext, shifted: bool) -> str:
    """The title first (a phone's month view shows little more); another owner after it."""
    title = one_line(task.title)
    summary = title
    if not is_mine(task, ctx):
        summary = _("%(title)s (%(owner)s)", title=title, owner=one_line(owner.name))
    if ctx.options.vtodo:
        return summary
    if task.status == "done":
        return _("Done: %(summary)s", summary=summary)
    if task.status == "cancelled":
        return _("Cancelled: %(summary)s", summary=summary)
    if shifted:
        assert task.due_date is not None  # overdue tasks have one
        day = format_date(task.due_date, format="medium", locale=ctx.locale)
        return _("Overdue since %(day)s: %(summary)s", day=day, summary=summary)
    return summary


#: The longest reminder a person can choose (accounts.services checks it), in days: a
#: task due further ahead than this has its reminder in the future whatever today is.
REMINDER_DAYS = 28 + 1


def _reminder(owner: Person, task: Task, related: str, ctx: FeedContext) -> Alarm | None:
    """The owner's default reminder, `reminder_minutes` before 00:00 of the due day: only
    in the owner's own feed, on open tasks, and never one whose day is already past."""
    if owner.reminder_minutes is None or task.status != "open" or task.due_date is None:
        return None
    if not is_mine(task, ctx):
        return None
    before = timedelta(minutes=owner.reminder_minutes)
    if task.due_time is not None:
        before += datetime.combine(date.min, task.due_time) - datetime.min
    due = datetime.combine(task.due_date, task.due_time or time(0))
    if (due - before).date() < ctx.today:
        return None
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    _text(alarm, "description", one_line(task.title))
    alarm.add("trigger", -before, parameters={"RELATED": related})
    return alarm


def is_shifted(task: Task, ctx: FeedContext) -> bool:
    """Overdue, in a feed that shows such tasks on today's date."""
    return ctx.options.shifts_overdue and task.is_overdue(ctx.today)


def task_component(task: Task, owner: Person, ctx: FeedContext) -> Event | Todo:
    """A task as an all-day (or timed) VEVENT on its due date, or as a VTODO."""
    url = external_url("tasks.show", task_id=task.id)
    description = "\n\n".join(p for p in (clean(task.description).strip(), url) if p)
    if ctx.options.vtodo:
        return _task_todo(task, owner, ctx, url, description)
    shifted = is_shifted(task, ctx)
    day = ctx.today if shifted else task.due_date
    assert day is not None, "as an event, a task needs a due date"
    return _task_event(
        task,
        ctx.host,
        summary=_task_summary(task, owner, ctx, shifted),
        day=day,
        at=None if shifted else task.due_time,
        zone=ctx.zone,
        description=description,
        url=url,
        alarm=None if shifted else _reminder(owner, task, "START", ctx),
    )


def task_note_component(task: Task, *, host: str, url: str, description: str) -> Event | None:
    """The task as the assignment note attaches it: the title alone, all day on the due
    date, no reminder (its owner's feed has that); None for a task without a due date."""
    if task.due_date is None:
        return None
    return _task_event(
        task,
        host,
        summary=one_line(task.title),
        day=task.due_date,
        at=None,
        zone=None,
        description=description,
        url=url,
        alarm=None,
    )


def _task_event(
    task: Task,
    host: str,
    *,
    summary: str,
    day: date,
    at: time | None,
    zone: ZoneInfo | None,
    description: str,
    url: str,
    alarm: Alarm | None,
) -> Event:
    """The one VEVENT of a task: on `day` all day, or at `at` in `zone` for half an hour."""
    event = Event()
    _identity(event, "task", task, host)
    _text(event, "summary", summary)
    if at is not None:
        start = datetime.combine(day, at, zone)
        event.add("dtstart", start)
        event.add("dtend", start + TIMED_TASK_LENGTH)
    else:
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("status", "CANCELLED" if task.status == "cancelled" else "CONFIRMED")
    _text(event, "description", description)
    event.add("url", url)
    if alarm is not None:
        event.add_component(alarm)
    return event


def _task_todo(task: Task, owner: Person, ctx: FeedContext, url: str, description: str) -> Todo:
    """The one VTODO of a task, with its completion, for task apps."""
    todo = Todo()
    _identity(todo, "task", task, ctx.host)
    _text(todo, "summary", _task_summary(task, owner, ctx, False))
    if task.due_date is not None:
        if task.due_time is not None:
            todo.add("due", datetime.combine(task.due_date, task.due_time, ctx.zone))
        else:
            todo.add("due", task.due_date)
    status = {"open": "NEEDS-ACTION", "done": "COMPLETED", "cancelled": "CANCELLED"}
    todo.add("status", status[task.status])
    todo.add("percent-complete", 100 if task.status == "done" else 0)
    if task.completed_at is not None:
        todo.add("completed", task.completed_at.astimezone(UTC))
    _text(todo, "description", description)
    todo.add("url", url)
    alarm = _reminder(owner, task, "END", ctx)
    if alarm is not None:
        todo.add_component(alarm)
    return todo


# --- calendars ------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _vtimezone(tz_name: str) -> Timezone:
    # Yearly RRULEs as Google and Outlook write them (ical.js reads no multi-value RDATE).
    return build_vtimezone(tz_name, date.today().year)


def calendar(ctx: FeedContext, components: Iterable[Component] = ()) -> Calendar:
    """A VCALENDAR with its properties first, the team's VTIMEZONE, then `components`."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if ctx.name:
        cal.add("name", vText(one_line(ctx.name)))
        cal.add("x-wr-calname", vText(one_line(ctx.name)))
    if ctx.description:
        cal.add("description", vText(clean(ctx.description)))
        cal.add("x-wr-caldesc", vText(clean(ctx.description)))
    cal.add("x-wr-timezone", vText(ctx.tz_name))
    cal.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    cal.add_component(_vtimezone(ctx.tz_name))
    for component in components:
        cal.add_component(component)
    return cal


END = b"END:VCALENDAR\r\n"


def calendar_head(ctx: FeedContext) -> bytes:
    """The serialised VCALENDAR up to (not including) END:VCALENDAR, to put items after."""
    data = calendar(ctx).to_ical()
    assert data.endswith(END)
    return data[: -len(END)]


def single_exchange(exchange: Exchange, ctx: FeedContext) -> bytes:
    """One exchange as a whole calendar, for the "add to calendar" download."""
    with force_locale(ctx.locale):
        return calendar(ctx, [exchange_component(exchange, ctx)]).to_ical()


def single_task(task: Task, ctx: FeedContext) -> bytes:
    """One task as a whole calendar, for the "add to calendar" download.

    A task without a due date has no day to stand on: it comes as a to-do (VTODO)."""
    if task.due_date is None and not ctx.options.vtodo:
        ctx = replace(ctx, options=replace(ctx.options, vtodo=True))
    with force_locale(ctx.locale):
        return calendar(ctx, [task_component(task, task.owner, ctx)]).to_ical()


def series_calendar(meetings: list[Exchange], ctx: FeedContext) -> bytes:
    """A series' meetings as one calendar: one VEVENT per meeting at its own time, moved
    and cancelled ones too (STATUS:CANCELLED), as in the feeds."""
    stamps = outcome_stamps(m.id for m in meetings)
    with force_locale(ctx.locale):
        return calendar(ctx, [exchange_component(m, ctx, stamps.get(m.id, (0, None)))
                              for m in meetings]).to_ical()
