"""The feed caches and validators: kept items, kept whole feeds, ETag and Last-Modified.

Building an item is slow (about 0.6 ms), so a served feed keeps each serialised item in
the `feed_items` table, keyed by record and presentation and checked by a fingerprint of
everything the bytes were made from; a feed is then the calendar head, the kept items
and END:VCALENDAR, and only changed items are built again. The assembled feed is kept
per token too, beside the change counter it was validated at (`CalendarState`), which
database triggers bump on every write to a watched table.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache as cache_once
from functools import partial
from typing import Any

from flask_babel import force_locale
from icalendar import Component
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from tracker.accounts.models import Person
from tracker.calendar import items
from tracker.calendar.context import FeedContext
from tracker.calendar.models import CalendarState, FeedItem
from tracker.calendar.selection import Condition, Selection
from tracker.core.model import Record
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.tasks.models import Task

log = logging.getLogger(__name__)

#: The tables whose rows a feed shows or depends on: a write to any of them bumps
#: `CalendarState.counter` through database triggers (migration 0003_calendar creates
#: them). A feature whose table a feed shows must be listed here, and its migration must
#: add the triggers (tests/test_calendar_triggers.py checks every table has them).
WATCHED_TABLES = ("tasks", "exchanges", "outcomes", "people", "exchange_participants")
_LOAD_CHUNK = 500

#: Bytes to keep: (record kind, record id, variant, fingerprint, body); a whole feed's
#: body is the bytearray it was assembled in (kept without a copy).
KeptRow = tuple[str, int, str, str, bytes | bytearray]


# --- what pages keep: one key for "nothing they show has changed" ------------------------


def change_key(*also: Any) -> tuple[Any, ...] | None:
    """The key under which what a page keeps per process (home's lists and counts, the
    review's charts) is still right, with `also` (the day, the days asked about) added.

    The change counter that the triggers bump on every write to the watched tables; the
    tasks' newest id, count and newest change (the counter starts again after a restore);
    the organisations' count and newest change (their labels are shown; they have no
    trigger). One small query, read *before* counting, so a write racing the count can only
    make what is kept newer than its key, never older. None when the counter is missing:
    then nothing is kept.
    """
    def scalar(expression: Any) -> Any:
        return select(expression).scalar_subquery()

    row = db.session.execute(select(
        select(CalendarState.counter).where(CalendarState.id == 1).scalar_subquery(),
        scalar(func.max(Task.id)),
        select(func.count()).select_from(Task).scalar_subquery(),
        scalar(func.max(Task.updated_at)),
        select(func.count()).select_from(Organisation).scalar_subquery(),
        scalar(func.max(Organisation.updated_at)),
    )).one()
    return None if row[0] is None else (*row, *also)


# --- validators: one cheap aggregate query -----------------------------------------------


def is_dated(selection: Selection, ctx: FeedContext) -> bool:
    """Whether the feed changes with the date alone, so today's date is part of its key
    (an overdue filter or option, or reminders, which are left out once their day is past)."""
    return selection.by_date or ctx.options.overdue_today or ctx.alarms


@dataclass(frozen=True)
class Validators:
    """A feed's ETag and Last-Modified, which let a client's copy be answered with 304."""

    etag: str
    last_modified: datetime


def validators(selection: Selection, ctx: FeedContext) -> Validators:
    """ETag and Last-Modified from one aggregate query; nothing is built.

    The ETag covers the sets (count, sum of ids and versions) and the newest change of
    the tasks, exchanges, outcomes and people a feed's items are made from, plus the
    context; an item leaving the set changes the sums, a deleted one its updated_at.
    """
    parts = []
    models: tuple[tuple[str, type[Task] | type[Exchange], Any], ...] = (
        ("t", Task, selection.tasks),
        ("e", Exchange, selection.exchanges),
    )
    for name, model, conditions in models:
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
    for name, other in (("o", Outcome), ("p", Person)):
        parts.append(
            select(
                literal(name),
                func.count(),
                func.max(other.updated_at),
                func.coalesce(func.sum(other.id), 0),
                func.coalesce(func.sum(other.version), 0),
            )
        )
    rows = db.session.execute(union_all(*parts)).all()
    newest = [r[2] for r in rows if r[2] is not None]
    changed = max(newest) if newest else datetime(2000, 1, 1, tzinfo=UTC)
    if not isinstance(changed, datetime):  # a UNION may hand back SQLite's text
        changed = datetime.fromisoformat(str(changed))
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=UTC)
    dated = is_dated(selection, ctx)
    if dated:
        midnight = datetime.combine(ctx.today, time(0), ctx.zone).astimezone(UTC)
        changed = max(changed, midnight)
    summary = "|".join(
        [ctx.key, ctx.locale, ctx.audience, repr(ctx.options), ctx.name, ctx.description,
         ctx.today.isoformat() if dated else "", str(ctx.subscriber_id)]
        + [f"{r[0]}:{r[1]}:{r[2]}:{r[3]}:{r[4]}" for r in sorted(rows, key=lambda r: r[0])]
    )
    etag = hashlib.sha256(summary.encode()).hexdigest()[:32]
    return Validators(etag=etag, last_modified=changed.replace(microsecond=0))


# --- assembling a feed from kept items ---------------------------------------------------


def _variant(
    component: str, shifted: bool, locale: str, mine: bool = False, audience: str = ""
) -> str:
    """How an item is presented, part of its key in `feed_items`: a task the subscriber
    owns (no owner's name, reminders) is kept apart from the same task in others' feeds,
    and a partner's items (no links, no names) from the team's."""
    return (f"{component}{'-overdue' if shifted else ''}{'-mine' if mine else ''}"
            f"{'-' + audience if audience else ''}:{locale}")


def advance(v: Validators, kept: KeptFeed | None, now: datetime) -> Validators:
    """Last-Modified never goes back: the same ETag keeps the date it was served with, and
    a new ETag gets a date after it (an item leaving the feed takes its own date along, so
    the newest date among the items left can be older than what clients hold)."""
    if kept is None:
        return v
    previous = kept.validators.last_modified
    if kept.validators.etag == v.etag:
        return Validators(etag=v.etag, last_modified=max(v.last_modified, previous))
    if v.last_modified > previous:
        return v
    later = max(now.replace(microsecond=0), previous + timedelta(seconds=1))
    return Validators(etag=v.etag, last_modified=later)


def render_feed(selection: Selection, ctx: FeedContext) -> bytearray:
    """The feed's bytes: the head, each item kept or built once, END:VCALENDAR.

    Exchanges come first by start, then tasks by due date (the database orders them).
    Per item only its bytes are held (a slot is left for one to be built), and each is
    let go as it is copied into the result, so serving needs little more than the
    feed's own size (a bytearray: the response and the database take it as it is).
    """
    with force_locale(ctx.locale):
        parts: list[bytes | None] = [items.calendar_head(ctx)]
        misses: list[KeptRow] = []
        if selection.exchanges is not None:
            _collect_exchanges(selection.exchanges, ctx, parts, misses.extend)
        if selection.tasks is not None:
            _collect_tasks(selection.tasks, ctx, parts, misses.extend)
        if misses:
            _keep(misses)
        misses.clear()
    parts.append(items.END)
    feed = bytearray()
    for index, part in enumerate(parts):
        if part is not None:
            feed += part
            parts[index] = None
    return feed


def build_missing(
    selection: Selection, ctx: FeedContext, store: Callable[[Sequence[KeptRow]], None]
) -> int:
    """Build the feed's missing and stale items and hand them to `store`, a chunk at a
    time, without assembling the feed or reading kept bodies; how many were built.

    The same queries and fingerprints as `render_feed`, so what is built here is what a
    fetch would have built (tracker.calendar.warm builds on write with it).
    """
    built = 0

    def counted(rows: Sequence[KeptRow]) -> None:
        nonlocal built
        built += len(rows)
        store(rows)

    with force_locale(ctx.locale):
        if selection.exchanges is not None:
            _collect_exchanges(selection.exchanges, ctx, None, counted)
        if selection.tasks is not None:
            _collect_tasks(selection.tasks, ctx, None, counted)
    return built


#: Takes a chunk of built items (the feed's misses, or storage straight away).
Keeper = Callable[[Sequence[KeptRow]], None]


def _collect_exchanges(
    conditions: list[Condition],
    ctx: FeedContext,
    parts: list[bytes | None] | None,
    keep: Keeper,
) -> None:
    """Append the exchanges' kept items to `parts` (None: only build), building (into
    `keep`) the stale."""
    # Per exchange, through the index on outcomes.exchange_id: a grouped subquery would
    # count every outcome even when a write names one exchange.
    of_exchange = Outcome.exchange_id == Exchange.id
    variant = _variant("vevent", False, ctx.locale, audience=ctx.audience)
    stmt = (
        select(
            Exchange.id,
            Exchange.version,
            select(func.count()).where(of_exchange).scalar_subquery(),
            select(func.max(Outcome.updated_at)).where(of_exchange).scalar_subquery(),
            FeedItem.fingerprint,
            FeedItem.body if parts is not None else literal(b"-"),
        )
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
    wanted: dict[int, tuple[int, str]] = {}
    ctx_key = ctx.key
    rows = db.session.connection().execute(stmt)  # plain rows: no ORM work per row
    for ex_id, version, n, changed, kept_fp, body in rows:
        fingerprint = f"{version}.{n or 0}.{changed}.{ctx_key}"
        if kept_fp == fingerprint and body:
            if parts is not None:
                parts.append(body)
        else:
            wanted[ex_id] = (len(parts) if parts is not None else 0, fingerprint)
            if parts is not None:
                parts.append(None)
    for chunk in _chunks(list(wanted)):
        loaded = db.session.scalars(
            select(Exchange).options(selectinload(Exchange.outcomes)).where(Exchange.id.in_(chunk))
        )
        stamps = items.outcome_stamps(chunk)
        built: list[KeptRow] = []
        for exchange in loaded:
            slot, fingerprint = wanted[exchange.id]
            stamp = stamps.get(exchange.id, (0, None))
            body = _build(partial(items.exchange_component, exchange, ctx, stamp), exchange)
            if body is not None:
                if parts is not None:
                    parts[slot] = body
                built.append(("exchange", exchange.id, variant, fingerprint, body))
        keep(built)


def _collect_tasks(
    conditions: list[Condition],
    ctx: FeedContext,
    parts: list[bytes | None] | None,
    keep: Keeper,
) -> None:
    """Append the tasks' kept items to `parts` (None: only build), building (into
    `keep`) the stale."""
    component = "vtodo" if ctx.options.vtodo else "vevent"
    shifted_expr: Condition = literal(False)
    if ctx.options.shifts_overdue:  # the rule of items.is_shifted, as SQL
        shifted_expr = Task.is_overdue(ctx.today)
    mine_expr: Condition = literal(False)
    if ctx.subscriber_id is not None:  # the rule of items.is_mine, as SQL
        mine_expr = Task.owner_id == ctx.subscriber_id
    # A task of the subscriber's due within the longest reminder may lose its reminder
    # as days pass (items._reminder), so today's date is part of its fingerprint.
    near_expr = and_(mine_expr, Task.due_date <= ctx.today + timedelta(days=items.REMINDER_DAYS))
    aud = ctx.audience
    variant_expr = case(
        (and_(shifted_expr, mine_expr), _variant(component, True, ctx.locale, True, aud)),
        (shifted_expr, _variant(component, True, ctx.locale, audience=aud)),
        (mine_expr, _variant(component, False, ctx.locale, True, aud)),
        else_=_variant(component, False, ctx.locale, audience=aud),
    )
    suffix = f".{ctx.today.isoformat()}"
    # The fingerprint is compared in the database: a kept, current item costs one body
    # (or, when only building, nothing).
    fingerprint_expr = (
        cast(Task.version, String)
        + "."
        + cast(Person.version, String)
        + f".{ctx.key}"
        + case((or_(shifted_expr, near_expr), suffix), else_="")
    )
    current = FeedItem.fingerprint == fingerprint_expr
    stmt = (
        select(
            Task.id,
            variant_expr,
            case((current, FeedItem.body if parts is not None else literal(b"-")), else_=None),
            fingerprint_expr,
        )
        .join(Person, Person.id == Task.owner_id)
        .outerjoin(
            FeedItem,
            and_(
                FeedItem.record_kind == "task",
                FeedItem.record_id == Task.id,
                FeedItem.variant == variant_expr,
            ),
        )
        .where(*conditions)
        .order_by(Task.due_date, Task.id)
    )
    wanted: dict[int, tuple[int, str, str]] = {}
    rows = db.session.connection().execute(stmt)  # plain rows: no ORM work per row
    for task_id, variant_row, body, fingerprint in rows:
        if body:
            if parts is not None:
                parts.append(body)
        else:
            wanted[task_id] = (len(parts) if parts is not None else 0, variant_row, fingerprint)
            if parts is not None:
                parts.append(None)
    for chunk in _chunks(list(wanted)):
        loaded = db.session.scalars(
            select(Task).options(joinedload(Task.owner)).where(Task.id.in_(chunk))
        )
        built: list[KeptRow] = []
        for task in loaded:
            slot, variant, fingerprint = wanted[task.id]
            body = _build(partial(items.task_component, task, task.owner, ctx), task)
            if body is not None:
                if parts is not None:
                    parts[slot] = body
                built.append(("task", task.id, variant, fingerprint, body))
        keep(built)


def _build(make: Callable[[], Component], record: Record) -> bytes | None:
    """One item's bytes; a record that cannot be rendered is left out, never the feed."""
    try:
        return make().to_ical()
    except Exception:
        log.exception("calendar item %s %s could not be built", type(record).__name__, record.id)
        return None


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    """Ids in slices small enough for one IN (...) each."""
    for start in range(0, len(ids), _LOAD_CHUNK):
        yield ids[start : start + _LOAD_CHUNK]


def _keep(rows: Sequence[KeptRow]) -> None:
    """Store built items for every worker; a failure here costs speed, never the feed."""
    try:
        # End the read transaction first: a write that follows a read in the same SQLite
        # transaction fails if another worker wrote in between.
        db.session.commit()
        store(rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("calendar items could not be kept", exc_info=True)


def store(rows: Sequence[KeptRow]) -> None:
    """Insert or replace kept items in the current transaction (the caller commits)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    # Both dialects spell "insert or update" alike (ON CONFLICT … DO UPDATE).
    insert: Callable[..., Any] = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [
        {"record_kind": k, "record_id": i, "variant": v, "fingerprint": f, "body": b}
        for k, i, v, f, b in rows
    ]
    for start in range(0, len(values), _LOAD_CHUNK):
        stmt = insert(FeedItem).values(values[start : start + _LOAD_CHUNK])
        stmt = stmt.on_conflict_do_update(
            index_elements=["record_kind", "record_id", "variant"],
            set_={"fingerprint": stmt.excluded.fingerprint, "body": stmt.excluded.body},
        )
        db.session.execute(stmt)


# --- whole feeds, kept per token --------------------------------------------------------


@dataclass(frozen=True)
class KeptFeed:
    """What is remembered of the feed last served for a token (the body is read apart)."""

    quick: str
    validators: Validators
    fingerprint: str


#: Whole feeds are kept per token: "feed" for feed tokens, "partner" for partner links.
FEED_KINDS = ("feed", "partner")


def _kept_where(token_id: int, kind: str = "feed") -> tuple[ColumnElement[bool], ...]:
    return (
        FeedItem.record_kind == kind,
        FeedItem.record_id == token_id,
        FeedItem.variant == "whole",
    )


def state_columns(record_id: Any, kind: Any) -> tuple[Any, Any]:
    """The change counter and the kept feed's fingerprint, as two scalar subqueries (a
    feed token's lookup selects them beside the token: one statement for a 304)."""
    counter = select(CalendarState.counter).where(CalendarState.id == 1).scalar_subquery()
    kept = select(FeedItem.fingerprint).where(
        FeedItem.record_kind == kind,
        FeedItem.record_id == record_id,
        FeedItem.variant == "whole",
    ).scalar_subquery()
    return counter, kept


@cache_once
def _quick_query() -> Select[int, str]:
    """Made once per process: building a statement costs more than running this one."""
    return select(*state_columns(bindparam("token_id"), bindparam("kind")))


#: The change counter and the kept feed's fingerprint, as `state_columns` reads them.
StateRow = tuple[int | None, str | None]


def quick_state(
    token_id: int, ctx: FeedContext, dated: bool, kind: str = "feed",
    row: StateRow | None = None,
) -> tuple[str | None, KeptFeed | None]:
    """The change counter (as a quick key for this context) and the kept feed's validators.

    One small query, unless `row` brings them (read with the token). When the kept feed's
    quick key equals the current one, nothing a feed shows has changed since it was
    validated, and its ETag stands.
    """
    if row is None:
        found = db.session.connection().execute(  # no ORM work: a plain row
            _quick_query(), {"token_id": token_id, "kind": kind}
        ).one()
        row = (found[0], found[1])
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


def kept_body(token_id: int, kept: KeptFeed, kind: str = "feed") -> bytes | None:
    """The kept feed's bytes, read only once its validators were found still right."""
    return db.session.scalar(
        select(FeedItem.body).where(
            *_kept_where(token_id, kind), FeedItem.fingerprint == kept.fingerprint
        )
    )


def feed_fingerprint(quick: str | None, v: Validators) -> str:
    """What a kept feed is remembered by: the quick key and validators it was served with."""
    return f"{quick or '-'}|{v.etag}|{v.last_modified.isoformat()}"


def keep_feed(
    token_id: int, quick: str | None, v: Validators, body: bytes | bytearray,
    kind: str = "feed",
) -> None:
    """Keep the assembled feed, so an unchanged one is read back rather than assembled."""
    _keep([(kind, token_id, "whole", feed_fingerprint(quick, v), body)])


def restamp_feed(token_id: int, quick: str | None, v: Validators, kind: str = "feed") -> None:
    """The kept feed is still right at a newer counter: remember that, without the body."""
    try:
        db.session.commit()
        db.session.execute(
            update(FeedItem).where(*_kept_where(token_id, kind)).values(
                fingerprint=feed_fingerprint(quick, v)
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("kept feed could not be restamped", exc_info=True)
