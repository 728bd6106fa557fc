"""Build on write: feed items are built when their records are written, never by a poll.

The one home of "which items to build, and when". A commit that wrote tasks, exchanges,
outcomes or people builds, in the same transaction, the items the existing feeds show of
those records (their presentations: language, events or to-dos, overdue on today, the
subscriber's own); `warm_all` builds everything missing for every feed (the `flask
calendar warm` command, the end of `flask import`, the bench's bulk load). A feed's first
fetch then finds its items kept and only assembles them (tracker.calendar.cache).

Writes that bypass the session's objects (a bulk INSERT) name their records with
`written()`; a restore of a database copy from elsewhere runs `flask calendar warm`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session, joinedload

from tracker.accounts.models import Person
from tracker.calendar import cache
from tracker.calendar.context import FeedContext, feed_context
from tracker.calendar.models import FeedToken
from tracker.calendar.selection import Selection, selection_for
from tracker.core.errors import InvalidField
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.tasks.models import Task

log = logging.getLogger(__name__)

#: Above this many written records a commit checks whole feeds rather than a long IN list.
_MAX_NAMED = 5000
_INFO_KEY = "tracker_calendar_written"
_BUSY_KEY = "tracker_calendar_warming"

#: A feed in use: what names its selection (feeds with the same name and presentation
#: show the same items), what it shows, and how (its items' presentation).
Feed = tuple[str, Selection, FeedContext]
#: Where feeds in use come from: feed tokens here; another kind of feed (a partner link's)
#: adds its own source with `add_feed_source`.
FEED_SOURCES: list[Callable[[], Iterable[Feed]]] = []
#: Told of progress: (feeds done, feeds in all, items built so far).
Progress = Callable[[int, int, int], None]


def add_feed_source(source: Callable[[], Iterable[Feed]]) -> None:
    """Register another kind of feed, so its items are built on write too."""
    if source not in FEED_SOURCES:
        FEED_SOURCES.append(source)


def token_feeds() -> Iterator[Feed]:
    """Every live feed token's feed (as `serve.find_token` would serve it)."""
    tokens = db.session.scalars(
        select(FeedToken)
        .options(joinedload(FeedToken.person), joinedload(FeedToken.exchange))
        .where(FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.id)
    ).all()
    for token in tokens:
        if not token.person.is_active:
            continue
        if token.kind == "exchange" and (token.exchange is None or not token.exchange.is_live):
            continue
        ctx = feed_context(token)
        shows = (token.kind, token.query, token.exchange_id,
                 token.person_id if token.kind == "personal" else None)
        try:
            yield repr(shows), selection_for(token, ctx), ctx
        except InvalidField:
            continue


add_feed_source(token_feeds)


def feeds_in_use() -> list[tuple[Selection, FeedContext]]:
    """Every feed that is served, of every kind; feeds that show alike counted once."""
    seen: dict[str, tuple[Selection, FeedContext]] = {}
    for source in FEED_SOURCES:
        for shows, selection, ctx in source():
            anonymous = replace(ctx, name="", description="")  # the head is not kept
            seen.setdefault(f"{shows}|{anonymous!r}", (selection, ctx))
    return list(seen.values())


@dataclass
class Written:
    """Records written in the current transaction whose feed items may be stale."""

    tasks: set[int] = field(default_factory=set)
    exchanges: set[int] = field(default_factory=set)
    owners: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.tasks or self.exchanges or self.owners)


def written(
    session: Session | None = None,
    *,
    tasks: Iterable[int] = (),
    exchanges: Iterable[int] = (),
    owners: Iterable[int] = (),
) -> None:
    """Name records written without session objects (bulk statements), so the commit
    builds their items too."""
    session = session or db.session()
    note = session.info.setdefault(_INFO_KEY, Written())
    note.tasks.update(tasks)
    note.exchanges.update(exchanges)
    note.owners.update(owners)


def _after_flush(session: Session, _flush_context: object) -> None:
    """Remember the watched records this flush wrote (built at commit, not per flush)."""
    tasks, exchanges, owners = set(), set(), set()
    for record in (*session.new, *session.dirty, *session.deleted):
        if isinstance(record, Task):
            tasks.add(record.id)
        elif isinstance(record, Exchange):
            exchanges.add(record.id)
        elif isinstance(record, Outcome):
            exchanges.add(record.exchange_id)
        elif isinstance(record, Person):
            owners.add(record.id)
    if tasks or exchanges or owners:
        written(session, tasks=tasks, exchanges=exchanges, owners=owners)


def _before_commit(session: Session) -> None:
    """Build the written records' items in the transaction that wrote them.

    A failure here is logged and costs the next fetch time, never the write: it runs
    in a savepoint."""
    if session.info.get(_BUSY_KEY) or _INFO_KEY not in session.info:
        return
    session.info[_BUSY_KEY] = True
    try:
        session.flush()
        note = session.info.pop(_INFO_KEY, None)
        if note:
            try:
                with session.begin_nested():
                    build_written(note)
            except Exception:
                log.warning("calendar items could not be built on write", exc_info=True)
    finally:
        session.info.pop(_BUSY_KEY, None)
        session.info.pop(_INFO_KEY, None)


def _after_end(session: Session, *_args: object) -> None:
    session.info.pop(_INFO_KEY, None)


def watch_writes() -> None:
    """Hook build-on-write to the app's session (once per process; create_app calls it)."""
    for name, hook in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_rollback", _after_end),
    ):
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)


def build_written(note: Written) -> int:
    """Build, for every feed in use, the items of the records in `note`; how many."""
    feeds = feeds_in_use()
    if not feeds:
        return 0
    built = 0
    for selection, ctx in feeds:
        narrowed = _narrowed(selection, note)
        if narrowed is not None:
            built += cache.build_missing(narrowed, ctx, cache.store)
    return built


def _narrowed(selection: Selection, note: Written) -> Selection | None:
    """`selection` limited to the written records (None: none of them can be in it)."""
    if len(note.tasks) + len(note.owners) + len(note.exchanges) > _MAX_NAMED:
        return selection
    tasks = exchanges = None
    if selection.tasks is not None and (note.tasks or note.owners):
        # Only the lists that hold ids: an OR with an empty one keeps SQLite off the index.
        named = [*([Task.id.in_(note.tasks)] if note.tasks else []),
                 *([Task.owner_id.in_(note.owners)] if note.owners else [])]
        tasks = [*selection.tasks, or_(*named)]
    if selection.exchanges is not None and note.exchanges:
        exchanges = [*selection.exchanges, Exchange.id.in_(note.exchanges)]
    if tasks is None and exchanges is None:
        return None
    return Selection(tasks=tasks, exchanges=exchanges, by_date=selection.by_date)


def warm_all(progress: Progress | None = None) -> tuple[int, int]:
    """Build every missing or stale item of every feed in use, committing per chunk, so
    no first fetch builds them (after a bulk load, an import or a restore). Returns
    (feeds, items built)."""
    db.session.commit()  # a fresh transaction per chunk (SQLite's write lock is short)
    feeds = feeds_in_use()
    built = 0

    def store(rows: Any) -> None:
        nonlocal built
        cache.store(rows)
        db.session.commit()
        built += len(rows)
        if progress:
            progress(done, len(feeds), built)

    for done, (selection, ctx) in enumerate(feeds):
        cache.build_missing(selection, ctx, store)
        if progress:
            progress(done + 1, len(feeds), built)
    db.session.commit()
    return len(feeds), built
