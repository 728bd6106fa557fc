"""Calendar feeds as icalendar objects, and the kept items a served feed is assembled from.

Every component is built with icalendar (never by string concatenation). Building is
slow (about 0.6 ms an item), so a served feed keeps each serialised item in the
`feed_items` table, keyed by record and presentation and checked by a fingerprint of
everything the bytes were made from; a feed is then the calendar head, the kept items
and END:VCALENDAR, and only changed items are built again.

Known icalendar 7 traps, each avoided here:
- `Calendar.new()` adds a calendar-level UID (vdirsyncer would merge all feeds): we use
  `Calendar()` and add PRODID/VERSION ourselves.
- NAME, X-WR-CALNAME, X-WR-CALDESC and other X- properties are not escaped unless given
  as `vText` (a newline there makes `to_ical()` raise): every text goes through `vText`.
- `refresh_interval` omits VALUE=DURATION; X-PUBLISHED-TTL from a timedelta writes
  "1:00:00": both are added as `vDuration` with explicit parameters.
- `component["COMPLETED"] = datetime` writes `str(datetime)`: we always use `.add()`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone, Todo, vDuration, vRecur, vText
from sqlalchemy import String, and_, case, cast, func, literal, select, union_all, update
from sqlalchemy.orm import joinedload, selectinload

from tracker.accounts.models import Person
from tracker.calendar.models import CalendarState, FeedItem
from tracker.exchanges.models import Exchange, Outcome, exchange_participants
from tracker.extensions import db
from tracker.tasks.models import Task

log = logging.getLogger(__name__)

PRODID = "-//Smart City Team//Follow-up tracker//EN"
#: Bump when the item layout changes, so every kept item is built again.
FORMAT_VERSION = "1"
REFRESH = timedelta(hours=1)
TIMED_TASK_LENGTH = timedelta(minutes=30)
_LOAD_CHUNK = 500
#: RFC 5545 allows no control characters in TEXT except HTAB (and escaped newlines).
_CONTROL = dict.fromkeys([c for c in range(32) if c not in (9, 10)] + [127], None)


def clean(text: str | None) -> str:
    """User text as iCalendar can carry it: newlines as LF, other control characters gone."""
    if not text:
        return ""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)


def one_line(text: str | None) -> str:
    return " ".join(clean(text).split("\n")).strip()


@dataclass(frozen=True)
class FeedOptions:
    vtodo: bool = False
    keep_done: bool = False
    overdue_today: bool = False


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

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    @cached_property
    def key(self) -> str:
        """What every item's bytes share: host, links, zone, item layout."""
        raw = f"{FORMAT_VERSION}|{self.base_url}|{self.tz_name}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def link(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}"


# --- components -----------------------------------------------------------------------


def _text(component, name: str, value: str, **params) -> None:
    component.add(name, vText(clean(value)), parameters=params or None)


def _identity(
    component, kind: str, record, ctx: FeedContext, more_changes: int = 0, changed=None
) -> None:
    """UID fixed per record; DTSTAMP/CREATED/LAST-MODIFIED and SEQUENCE from the record.

    `more_changes` and `changed` count changes to parts of the item kept elsewhere (an
    exchange's outcomes), so SEQUENCE and LAST-MODIFIED grow with those too.
    """
    modified = record.updated_at.astimezone(UTC)
    if changed is not None:
        modified = max(modified, changed.astimezone(UTC))
    component.add("uid", f"{kind}-{record.id}@{ctx.host}")
    component.add("dtstamp", modified)
    component.add("created", record.created_at.astimezone(UTC))
    component.add("last-modified", modified)
    component.add("sequence", max(record.version - 1, 0) + more_changes)


#: Per exchange: (sum of its outcomes' versions, deleted ones too; their latest change).
OutcomeStamp = tuple[int, datetime | None]


def outcome_stamps(exchange_ids) -> dict[int, OutcomeStamp]:
    """One query for the outcome changes of many exchanges (every version counts once)."""
    rows = db.session.execute(
        select(Outcome.exchange_id, func.sum(Outcome.version), func.max(Outcome.updated_at))
        .where(Outcome.exchange_id.in_(list(exchange_ids)))
        .group_by(Outcome.exchange_id)
    )
    return {ex_id: (int(total or 0), changed) for ex_id, total, changed in rows}


def exchange_component(
    exchange: Exchange, ctx: FeedContext, stamp: OutcomeStamp | None = None
) -> Event:
    """An exchange as a VEVENT: timed in the team's zone, or all-day with exclusive DTEND."""
    if stamp is None:
        stamp = outcome_stamps([exchange.id]).get(exchange.id, (0, None))
    event = Event()
    _identity(event, "exchange", exchange, ctx, more_changes=stamp[0], changed=stamp[1])
    _text(event, "summary", one_line(exchange.title))
    if exchange.all_day:
        event.add("dtstart", exchange.start_date)
        event.add("dtend", exchange.end_date + timedelta(days=1))
    else:
        event.add("dtstart", exchange.starts_at.astimezone(ctx.zone))
        event.add("dtend", exchange.ends_at.astimezone(ctx.zone))
    if exchange.rrule:
        event.add("rrule", vRecur.from_ical(exchange.rrule))
    if exchange.location:
        _text(event, "location", one_line(exchange.location))
    event.add("status", "CANCELLED" if exchange.status == "cancelled" else "CONFIRMED")
    url = ctx.link(f"/exchanges/{exchange.id}")
    parts = [clean(exchange.description).strip()]
    outcomes = [o for o in exchange.outcomes if o.is_live]
    if outcomes:
        lines = [_("Agreed:")] + [f"- {one_line(o.text)}" for o in outcomes]
        parts.append("\n".join(lines))
    parts.append(url)
    _text(event, "description", "\n\n".join(p for p in parts if p))
    event.add("url", url)
    return event


def _task_summary(task: Task, owner: Person, shifted: bool, vtodo: bool) -> str:
    title = one_line(task.title)
    if vtodo:
        return _("%(title)s (%(owner)s)", title=title, owner=one_line(owner.name))
    summary = _("Task for %(owner)s: %(title)s", owner=one_line(owner.name), title=title)
    if task.status == "done":
        return _("Done: %(summary)s", summary=summary)
    if task.status == "cancelled":
        return _("Cancelled: %(summary)s", summary=summary)
    if shifted:
        return _("Overdue since %(day)s: %(summary)s", day=task.due_date.isoformat(),
                 summary=summary)
    return summary


def _reminder(owner: Person, task: Task, related: str) -> Alarm | None:
    """The owner's default reminder: `reminder_minutes` before 00:00 of the due day."""
    if owner.reminder_minutes is None or task.status != "open" or task.due_date is None:
        return None
    before = timedelta(minutes=owner.reminder_minutes)
    if task.due_time is not None:
        before += datetime.combine(date.min, task.due_time) - datetime.min
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    _text(alarm, "description", one_line(task.title))
    alarm.add("trigger", -before, parameters={"RELATED": related})
    return alarm


def is_shifted(task: Task, ctx: FeedContext) -> bool:
    """Overdue and open, in a feed that shows such tasks on today's date."""
    return (
        ctx.options.overdue_today
        and not ctx.options.vtodo
        and task.status == "open"
        and task.due_date is not None
        and task.due_date < ctx.today
    )


def task_component(task: Task, owner: Person, ctx: FeedContext) -> Event | Todo:
    """A task as an all-day (or timed) VEVENT on its due date, or as a VTODO."""
    url = ctx.link(f"/tasks/{task.id}")
    description = "\n\n".join(p for p in (clean(task.description).strip(), url) if p)
    if ctx.options.vtodo:
        todo = Todo()
        _identity(todo, "task", task, ctx)
        _text(todo, "summary", _task_summary(task, owner, False, True))
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
        alarm = _reminder(owner, task, "END")
        if alarm is not None:
            todo.add_component(alarm)
        return todo

    shifted = is_shifted(task, ctx)
    event = Event()
    _identity(event, "task", task, ctx)
    _text(event, "summary", _task_summary(task, owner, shifted, False))
    day = ctx.today if shifted else task.due_date
    if task.due_time is not None and not shifted:
        start = datetime.combine(day, task.due_time, ctx.zone)
        event.add("dtstart", start)
        event.add("dtend", start + TIMED_TASK_LENGTH)
    else:
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("status", "CANCELLED" if task.status == "cancelled" else "CONFIRMED")
    _text(event, "description", description)
    event.add("url", url)
    if not shifted:
        alarm = _reminder(owner, task, "START")
        if alarm is not None:
            event.add_component(alarm)
    return event


@lru_cache(maxsize=8)
def _vtimezone(tz_name: str) -> Timezone:
    return Timezone.from_tzid(tz_name, first_date=date(2000, 1, 1), last_date=date(2040, 1, 1))


def calendar(ctx: FeedContext, components: Iterable = ()) -> Calendar:
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


_END = b"END:VCALENDAR\r\n"


def calendar_head(ctx: FeedContext) -> bytes:
    """The serialised VCALENDAR up to (not including) END:VCALENDAR."""
    data = calendar(ctx).to_ical()
    assert data.endswith(_END)
    return data[: -len(_END)]


# --- what a feed holds ----------------------------------------------------------------


@dataclass
class Selection:
    """The conditions choosing a feed's tasks and exchanges (None: none of that kind)."""

    tasks: list | None
    exchanges: list | None
    #: Whether the set of items changes with the date alone (an overdue filter).
    by_date: bool = False


def task_conditions(options: FeedOptions) -> list:
    shown = ["open", "done"] if options.keep_done else ["open"]
    conditions = [Task.is_live, Task.status.in_(shown)]
    if not options.vtodo:
        conditions.append(Task.due_date.is_not(None))
    return conditions


def personal_selection(person_id: int, options: FeedOptions) -> Selection:
    taking_part = select(exchange_participants.c.exchange_id).where(
        exchange_participants.c.person_id == person_id
    )
    return Selection(
        tasks=[*task_conditions(options), Task.owner_id == person_id],
        exchanges=[Exchange.is_live, Exchange.id.in_(taking_part)],
    )


def team_selection(options: FeedOptions) -> Selection:
    return Selection(tasks=task_conditions(options), exchanges=[Exchange.is_live])


def exchange_selection(exchange_id: int, options: FeedOptions) -> Selection:
    return Selection(
        tasks=[*task_conditions(options), Task.exchange_id == exchange_id],
        exchanges=[Exchange.is_live, Exchange.id == exchange_id],
    )


def view_selection(params, options: FeedOptions, today: date) -> Selection:
    """A task-list filter, parsed by the same function the task list and the API use."""
    from tracker.tasks.queries import depends_on_today, filter_tasks

    stmt = filter_tasks(select(Task.id), params, today=today)
    conditions = [Task.is_live, Task.id.in_(stmt)]
    if not (params.get("status") or "").strip():
        conditions = [*task_conditions(options), Task.id.in_(stmt)]
    elif not options.vtodo:
        conditions.append(Task.due_date.is_not(None))
    return Selection(tasks=conditions, exchanges=None, by_date=depends_on_today(params))


# --- validators: one cheap aggregate query -----------------------------------------------


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: datetime


def validators(selection: Selection, ctx: FeedContext) -> Validators:
    """ETag and Last-Modified from one aggregate query; nothing is built.

    The ETag covers the sets (count, sum of ids and versions) and the newest change of
    the tasks, exchanges, outcomes and people a feed's items are made from, plus the
    context; an item leaving the set changes the sums, a deleted one its updated_at.
    """
    parts = []
    for name, model, conditions in (
        ("t", Task, selection.tasks),
        ("e", Exchange, selection.exchanges),
    ):
        where = conditions if conditions is not None else [literal(False)]
        parts.append(
            select(
                literal(name).label("part"),
                func.count().label("n"),
                func.max(model.updated_at).label("changed"),
                func.coalesce(func.sum(model.id), 0).label("ids"),
                func.coalesce(func.sum(model.version), 0).label("versions"),
            ).where(*where)
        )
    for name, model in (("o", Outcome), ("p", Person)):
        parts.append(
            select(
                literal(name),
                func.count(),
                func.max(model.updated_at),
                func.coalesce(func.sum(model.id), 0),
                func.coalesce(func.sum(model.version), 0),
            )
        )
    rows = db.session.execute(union_all(*parts)).all()
    newest = [r[2] for r in rows if r[2] is not None]
    changed = max(newest) if newest else datetime(2000, 1, 1, tzinfo=UTC)
    if not isinstance(changed, datetime):  # a UNION may hand back SQLite's text
        changed = datetime.fromisoformat(str(changed))
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=UTC)
    dated = selection.by_date or ctx.options.overdue_today
    if dated:
        midnight = datetime.combine(ctx.today, time(0), ctx.zone).astimezone(UTC)
        changed = max(changed, midnight)
    summary = "|".join(
        [ctx.key, ctx.locale, repr(ctx.options), ctx.name, ctx.description,
         ctx.today.isoformat() if dated else ""]
        + [f"{r[0]}:{r[1]}:{r[2]}:{r[3]}:{r[4]}" for r in sorted(rows, key=lambda r: r[0])]
    )
    etag = hashlib.sha256(summary.encode()).hexdigest()[:32]
    return Validators(etag=etag, last_modified=changed.replace(microsecond=0))


# --- assembling a feed from kept items ---------------------------------------------------


def _variant(component: str, shifted: bool, locale: str) -> str:
    return f"{component}{'-overdue' if shifted else ''}:{locale}"


def render_feed(selection: Selection, ctx: FeedContext) -> bytearray:
    """The feed's bytes: the head, each item kept or built once, END:VCALENDAR.

    Exchanges come first by start, then tasks by due date (the database orders them).
    Per item only its bytes are held (a slot is left for one to be built), and each is
    let go as it is copied into the result, so serving needs little more than the
    feed's own size (a bytearray: the response and the database take it as it is).
    """
    with force_locale(ctx.locale):
        parts: list[bytes | None] = [calendar_head(ctx)]
        misses: list[tuple] = []
        if selection.exchanges is not None:
            _collect_exchanges(selection.exchanges, ctx, parts, misses)
        if selection.tasks is not None:
            _collect_tasks(selection.tasks, ctx, parts, misses)
        if misses:
            _keep(misses)
        misses.clear()
    parts.append(_END)
    feed = bytearray()
    for index, part in enumerate(parts):
        if part is not None:
            feed += part
            parts[index] = None
    return feed


def _collect_exchanges(conditions, ctx, parts, misses) -> None:
    per_exchange = (
        select(
            Outcome.exchange_id.label("exchange_id"),
            func.count().label("n"),
            func.max(Outcome.updated_at).label("changed"),
        )
        .group_by(Outcome.exchange_id)
        .subquery()
    )
    variant = _variant("vevent", False, ctx.locale)
    stmt = (
        select(
            Exchange.id,
            Exchange.version,
            per_exchange.c.n,
            per_exchange.c.changed,
            FeedItem.fingerprint,
            FeedItem.body,
        )
        .outerjoin(per_exchange, per_exchange.c.exchange_id == Exchange.id)
        .outerjoin(
            FeedItem,
            and_(
                FeedItem.record_kind == "exchange",
                FeedItem.record_id == Exchange.id,
                FeedItem.variant == variant,
            ),
        )
        .where(*conditions)
        .order_by(Exchange.start_date, Exchange.starts_at, Exchange.id)
    )
    wanted: dict[int, tuple] = {}
    ctx_key = ctx.key
    rows = db.session.connection().execute(stmt)  # plain rows: no ORM work per row
    for ex_id, version, n, changed, kept_fp, body in rows:
        fingerprint = f"{version}.{n or 0}.{changed}.{ctx_key}"
        if kept_fp == fingerprint and body:
            parts.append(body)
        else:
            wanted[ex_id] = (len(parts), fingerprint)
            parts.append(None)
    for chunk in _chunks(list(wanted)):
        loaded = db.session.scalars(
            select(Exchange).options(selectinload(Exchange.outcomes)).where(Exchange.id.in_(chunk))
        )
        stamps = outcome_stamps(chunk)
        for exchange in loaded:
            slot, fingerprint = wanted[exchange.id]
            stamp = stamps.get(exchange.id, (0, None))
            body = _build(lambda e=exchange, st=stamp: exchange_component(e, ctx, st), exchange)
            if body is not None:
                parts[slot] = body
                misses.append(("exchange", exchange.id, variant, fingerprint, body))


def _collect_tasks(conditions, ctx, parts, misses) -> None:
    component = "vtodo" if ctx.options.vtodo else "vevent"
    shifted_expr = literal(False)
    if ctx.options.overdue_today and not ctx.options.vtodo:
        shifted_expr = and_(Task.status == "open", Task.due_date < ctx.today)
    plain, shifted = _variant(component, False, ctx.locale), _variant(component, True, ctx.locale)
    suffix = f".{ctx.today.isoformat()}"
    # The fingerprint is compared in the database: a kept, current item costs one body.
    fingerprint_expr = (
        cast(Task.version, String)
        + "."
        + cast(Person.version, String)
        + f".{ctx.key}"
        + case((shifted_expr, suffix), else_="")
    )
    stmt = (
        select(
            Task.id,
            case((shifted_expr, True), else_=False),
            case((FeedItem.fingerprint == fingerprint_expr, FeedItem.body), else_=None),
            fingerprint_expr,
        )
        .join(Person, Person.id == Task.owner_id)
        .outerjoin(
            FeedItem,
            and_(
                FeedItem.record_kind == "task",
                FeedItem.record_id == Task.id,
                FeedItem.variant == case((shifted_expr, shifted), else_=plain),
            ),
        )
        .where(*conditions)
        .order_by(Task.due_date, Task.id)
    )
    wanted: dict[int, tuple] = {}
    rows = db.session.connection().execute(stmt)  # plain rows: no ORM work per row
    for task_id, is_shifted_row, body, fingerprint in rows:
        if body:
            parts.append(body)
        else:
            wanted[task_id] = (len(parts), shifted if is_shifted_row else plain, fingerprint)
            parts.append(None)
    for chunk in _chunks(list(wanted)):
        loaded = db.session.scalars(
            select(Task).options(joinedload(Task.owner)).where(Task.id.in_(chunk))
        )
        for task in loaded:
            slot, variant, fingerprint = wanted[task.id]
            body = _build(lambda t=task: task_component(t, t.owner, ctx), task)
            if body is not None:
                parts[slot] = body
                misses.append(("task", task.id, variant, fingerprint, body))


def _build(make, record) -> bytes | None:
    """One item's bytes; a record that cannot be rendered is left out, never the feed."""
    try:
        return make().to_ical()
    except Exception:
        log.exception("calendar item %s %s could not be built", type(record).__name__, record.id)
        return None


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _LOAD_CHUNK):
        yield ids[start : start + _LOAD_CHUNK]


def _keep(rows: list[tuple]) -> None:
    """Store built items for every worker; a failure here costs speed, never the feed."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    values = [
        {"record_kind": k, "record_id": i, "variant": v, "fingerprint": f, "body": b}
        for k, i, v, f, b in rows
    ]
    try:
        # End the read transaction first: a write that follows a read in the same SQLite
        # transaction fails if another worker wrote in between.
        db.session.commit()
        for start in range(0, len(values), _LOAD_CHUNK):
            stmt = insert(FeedItem).values(values[start : start + _LOAD_CHUNK])
            stmt = stmt.on_conflict_do_update(
                index_elements=["record_kind", "record_id", "variant"],
                set_={"fingerprint": stmt.excluded.fingerprint, "body": stmt.excluded.body},
            )
            db.session.execute(stmt)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("calendar items could not be kept", exc_info=True)


# --- whole feeds, kept per token --------------------------------------------------------


@dataclass(frozen=True)
class KeptFeed:
    """What is remembered of the feed last served for a token (the body is read apart)."""

    quick: str
    validators: Validators
    fingerprint: str


def _kept_where(token_id: int):
    return (
        FeedItem.record_kind == "feed",
        FeedItem.record_id == token_id,
        FeedItem.variant == "whole",
    )


def quick_state(
    token_id: int, ctx: FeedContext, dated: bool
) -> tuple[str | None, KeptFeed | None]:
    """The change counter (as a quick key for this context) and the kept feed's validators.

    One small query. When the kept feed's quick key equals the current one, nothing a
    feed shows has changed since it was validated, and its ETag stands.
    """
    counter = select(CalendarState.counter).where(CalendarState.id == 1).scalar_subquery()
    kept = select(FeedItem.fingerprint).where(*_kept_where(token_id)).scalar_subquery()
    row = db.session.execute(select(counter, kept)).one()
    quick = None
    if row[0] is not None:
        quick = f"{row[0]}.{ctx.key}" + (f".{ctx.today.isoformat()}" if dated else "")
    kept_feed = None
    if row[1]:
        try:
            kept_quick, etag, changed = row[1].split("|")
            kept_feed = KeptFeed(kept_quick, Validators(etag, datetime.fromisoformat(changed)),
                                 row[1])
        except ValueError:
            kept_feed = None
    return quick, kept_feed


def kept_body(token_id: int, kept: KeptFeed) -> bytes | None:
    return db.session.scalar(
        select(FeedItem.body).where(
            *_kept_where(token_id), FeedItem.fingerprint == kept.fingerprint
        )
    )


def feed_fingerprint(quick: str | None, v: Validators) -> str:
    return f"{quick or '-'}|{v.etag}|{v.last_modified.isoformat()}"


def keep_feed(token_id: int, quick: str | None, v: Validators, body: bytes) -> None:
    """Keep the assembled feed, so an unchanged one is read back rather than assembled."""
    _keep([("feed", token_id, "whole", feed_fingerprint(quick, v), body)])


def restamp_feed(token_id: int, quick: str | None, v: Validators) -> None:
    """The kept feed is still right at a newer counter: remember that, without the body."""
    try:
        db.session.commit()
        db.session.execute(
            update(FeedItem).where(*_kept_where(token_id)).values(
                fingerprint=feed_fingerprint(quick, v)
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("kept feed could not be restamped", exc_info=True)


# --- one item, for downloads --------------------------------------------------------------


def single_exchange(exchange: Exchange, ctx: FeedContext) -> bytes:
    with force_locale(ctx.locale):
        return calendar(ctx, [exchange_component(exchange, ctx)]).to_ical()


def single_task(task: Task, ctx: FeedContext) -> bytes:
    with force_locale(ctx.locale):
        return calendar(ctx, [task_component(task, task.owner, ctx)]).to_ical()


def build_without_cache(selection: Selection, ctx: FeedContext) -> bytes:
    """The whole feed as one icalendar Calendar, built from scratch (the bench's baseline)."""
    with force_locale(ctx.locale):
        components = []
        if selection.exchanges is not None:
            exchanges = db.session.scalars(
                select(Exchange)
                .options(selectinload(Exchange.outcomes))
                .where(*selection.exchanges)
            )
            exchanges = list(exchanges)
            stamps = outcome_stamps([e.id for e in exchanges])
            components += [
                exchange_component(e, ctx, stamps.get(e.id, (0, None))) for e in exchanges
            ]
        if selection.tasks is not None:
            tasks = db.session.scalars(
                select(Task).options(joinedload(Task.owner)).where(*selection.tasks)
            )
            components += [task_component(t, t.owner, ctx) for t in tasks]
        return calendar(ctx, components).to_ical()
