"""Every write to a series and the making of its meetings (each an `Exchange`).

A series with a rule has its coming meetings made ahead of time (`AHEAD`, at least
`AT_LEAST` of them), kept so by `keep_all_ahead` (once a day, and `flask series extend`).
A change to the series changes only the coming meetings nobody edited by hand
(`Exchange.hand_edited`); `plan_change` says which, for the form and for the change itself.
As elsewhere: these flush, the caller commits through `transaction()`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from dateutil.rrule import rrulestr
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Person
from tracker.calendar.warm import written
from tracker.core import audit, timeutil, validation
from tracker.core.audit import AuditEntry
from tracker.core.errors import InvalidField, NotFound
from tracker.core.limits import max_length
from tracker.core.model import Record, utcnow
from tracker.core.permissions import can_edit, require
from tracker.core.validation import check_version
from tracker.exchanges import services as exchange_services
from tracker.exchanges.models import (
    EXCHANGE_KINDS,
    Exchange,
    exchange_organisations,
    exchange_participants,
)
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.series.models import Series, SeriesUpkeep

#: How far ahead the meetings of a series with a rule exist, and how many at least.
AHEAD = timedelta(days=365)
AT_LEAST = 2
#: A rule that recurs often (daily) still makes no more than this many meetings ahead.
MOST_AHEAD = 60
#: The longest a meeting lasts (an all-day one: 14 days).
MAX_DURATION_MINUTES = 14 * 1440

SCALAR_FIELDS = (
    "title", "kind", "rrule", "all_day", "starts_at", "start_date", "duration_minutes",
    "location", "description",
)
LIST_FIELDS = ("organisation_ids", "participant_ids")
#: Series fields its unedited coming meetings follow.
MEETING_FIELDS = frozenset({
    "title", "kind", "rrule", "all_day", "starts_at", "start_date", "duration_minutes",
    "location", "organisations", "participants",
})

Start = datetime | date


# --- recurrence ids and dates ---------------------------------------------------------


def recurrence_key(start: Start) -> str:
    """The iCalendar form of a meeting's original start: UTC for a timed one, else the day."""
    if isinstance(start, datetime):
        return start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return start.strftime("%Y%m%d")


def recurrence_start(key: str) -> Start:
    """`recurrence_key` read back."""
    if "T" in key:
        return datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(key, "%Y%m%d").date()


def series_start(series: Series) -> Start:
    start = series.start_date if series.all_day else series.starts_at
    assert start is not None  # the table's "when" check
    return start


def dates_of_rule(rrule: str, start: Start, after: date, until: date,
                  at_least: int = 0) -> list[Start]:
    """The rule's starts from `after` to `until` (team-zone days), and at least `at_least`
    from `after` on if the rule has them. A timed rule repeats its local wall-clock time,
    so a meeting stays at 14:00 across the summer-time switches."""
    timed = isinstance(start, datetime)
    if isinstance(start, datetime):
        local = timeutil.to_local(start).replace(tzinfo=None)
    else:
        local = datetime.combine(start, time(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rule: Any = rrulestr(f"RRULE:{rrule}", dtstart=local, ignoretz=True)
    found: list[Start] = []
    for moment in rule.xafter(datetime.combine(after, time(0)), inc=True):
        if (moment.date() > until and len(found) >= at_least) or len(found) >= MOST_AHEAD:
            break
        found.append(timeutil.from_local(moment.date(), moment.time()) if timed
                     else moment.date())
    return found


def meeting_when(series: Series, start: Start) -> dict[str, Any]:
    """A meeting's time fields from its start and the series' length."""
    if isinstance(start, datetime):
        end = start + timedelta(minutes=series.duration_minutes)
        return {"all_day": False, "starts_at": start, "ends_at": end,
                "start_date": None, "end_date": None}
    last = start + timedelta(days=series.duration_minutes // 1440)
    return {"all_day": True, "start_date": start, "end_date": last,
            "starts_at": None, "ends_at": None}


def meeting_start(meeting: Exchange) -> Start:
    start = meeting.start_date if meeting.all_day else meeting.starts_at
    assert start is not None
    return start


def wanted_starts(series: Series, today: date | None = None) -> list[Start]:
    """The meetings a series should have: its first, and with a rule those from today to
    `AHEAD` (at least `AT_LEAST` coming ones while the rule lasts)."""
    first = series_start(series)
    if not series.rrule:
        return [first]
    today = today or timeutil.today()
    coming = dates_of_rule(series.rrule, first, today, today + AHEAD, AT_LEAST)
    return [first, *[s for s in coming if s != first]]


# --- validation -----------------------------------------------------------------------


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(SCALAR_FIELDS) - set(LIST_FIELDS)
    if unknown:
        raise InvalidField(sorted(unknown)[0], "unknown_field", what="a series")
    v = dict(values)
    v["title"] = validation.text("title", v.get("title"), max_length=max_length(Series.title),
                                 required=True, single_line=True)
    v["kind"] = validation.choice("kind", v.get("kind") or "other", EXCHANGE_KINDS)
    v["location"] = validation.text("location", v.get("location"),
                                    max_length=max_length(Series.location), single_line=True)
    v["description"] = validation.text("description", v.get("description"),
                                       max_length=max_length(Series.description))
    if not isinstance(v.get("all_day", False), bool):
        raise InvalidField("all_day", "not_a_boolean")
    v["all_day"] = bool(v.get("all_day", False))
    duration = v.get("duration_minutes")
    if duration is None:
        duration = 0 if v["all_day"] else 120
    if isinstance(duration, bool) or not isinstance(duration, int) \
            or not 0 <= duration <= MAX_DURATION_MINUTES:
        raise InvalidField("duration_minutes", "duration_out_of_range",
                           max=MAX_DURATION_MINUTES)
    v["duration_minutes"] = duration
    start: Start
    if v["all_day"]:
        start = cast(date, validation.a_date("start_date", v.get("start_date"), required=True))
        v.update(start_date=start, starts_at=None)
    else:
        start = cast(datetime, validation.aware("starts_at", v.get("starts_at"), required=True))
        v.update(starts_at=start.astimezone(UTC), start_date=None)
    rrule = v.get("rrule")
    if rrule is not None and len(str(rrule)) > max_length(Series.rrule):
        raise InvalidField("rrule", "too_long", max=max_length(Series.rrule))
    v["rrule"] = exchange_services.validate_rrule(rrule, start)
    if "organisation_ids" in v:
        v["organisations"] = validation.existing_all(
            "organisation_ids", Organisation, v.pop("organisation_ids"))
    if "participant_ids" in v:
        v["participants"] = validation.existing_all(
            "participant_ids", Person, v.pop("participant_ids"))
    return v


def validated_values(series: Series, changes: dict[str, Any]) -> dict[str, Any]:
    """The series as `changes` would make it, checked (for `plan_change`'s preview)."""
    current = {name: getattr(series, name) for name in SCALAR_FIELDS}
    return _validated({**current, **changes})


def _ids(records: Iterable[Record]) -> list[int]:
    return sorted(r.id for r in records)


# --- writes ---------------------------------------------------------------------------


def create_series(actor: Person | None, first_meeting: Exchange | None = None,
                  **fields: Any) -> Series:
    """A series and its meetings: the first, and with a rule the coming ones.

    `first_meeting`: an exchange already recorded that is the first meeting (the demo's
    recorded Werkstatt), joined instead of made again.
    """
    require(can_edit(actor))
    values = _validated(fields)
    series = Series(**values)
    db.session.add(series)
    db.session.flush()
    changes = {k: (None, v) for k, v in values.items() if k in SCALAR_FIELDS and v}
    for name in ("organisations", "participants"):
        if values.get(name):
            changes[name] = (None, _ids(values[name]))
    audit.record("create", series, actor, changes)
    if first_meeting is not None:
        join_series(series, first_meeting, actor)
    keep_ahead([series], actor)
    return series


def add_meeting(series: Series, actor: Person | None, **fields: Any) -> Exchange:
    """A meeting set by hand (a series without a rule: the next conference, its own city).

    It takes the series' kind, place, partners and participants unless given; its start
    is its `recurrence_id`.
    """
    require(can_edit(actor))
    if not series.is_live:
        raise NotFound(f"series {series.id} was deleted")
    values = {
        "title": series.title, "kind": series.kind, "location": series.location,
        "organisation_ids": _ids(series.organisations),
        "participant_ids": _ids(series.participants), **fields,
    }
    meeting = exchange_services.create_exchange(actor, **values)
    key = recurrence_key(meeting_start(meeting))
    taken = db.session.scalar(select(Exchange.id).where(
        Exchange.series_id == series.id, Exchange.recurrence_id == key))
    if taken is not None:
        raise InvalidField("starts_at" if not meeting.all_day else "start_date",
                           "meeting_exists")
    # Set by hand: later changes to the series leave it as it is.
    meeting.series_id, meeting.recurrence_id, meeting.hand_edited = series.id, key, True
    db.session.flush()
    audit.record("update", meeting, actor, {"series_id": (None, series.id),
                                            "recurrence_id": (None, key)})
    return meeting


def join_series(series: Series, exchange: Exchange, actor: Person | None) -> Exchange:
    """An exchange already recorded becomes a meeting of the series (the demo, imports)."""
    require(can_edit(actor))
    key = recurrence_key(meeting_start(exchange))
    exchange.series_id, exchange.recurrence_id = series.id, key
    exchange.updated_at = utcnow()
    db.session.flush()
    audit.record("update", exchange, actor, {"series_id": (None, series.id),
                                             "recurrence_id": (None, key)})
    return exchange


def _meeting_row(series: Series, start: Start, now: datetime) -> dict[str, Any]:
    return {
        "title": series.title, "kind": series.kind, "status": "planned",
        "location": series.location, "description": "", "series_id": series.id,
        "recurrence_id": recurrence_key(start), "hand_edited": False, "created_at": now,
        "updated_at": now, "version": 1, **meeting_when(series, start),
    }


def _insert_meetings(made: list[tuple[Series, Start]], actor: Person | None) -> None:
    """Many meetings at once (a year of a hundred series): rows, links and audit entries
    in a few bulk statements, not one object each."""
    now = utcnow()
    ids = db.session.scalars(
        insert(Exchange).returning(Exchange.id, sort_by_parameter_order=True),
        [_meeting_row(series, start, now) for series, start in made],
    ).all()
    organisations = [{"exchange_id": ident, "organisation_id": o.id}
                     for ident, (series, _start) in zip(ids, made, strict=True)
                     for o in series.organisations]
    participants = [{"exchange_id": ident, "person_id": p.id}
                    for ident, (series, _start) in zip(ids, made, strict=True)
                    for p in series.participants]
    written(exchanges=ids)  # their feed items are built at commit, as for any write
    if organisations:
        db.session.execute(insert(exchange_organisations), organisations)
    if participants:
        db.session.execute(insert(exchange_participants), participants)
    db.session.execute(insert(AuditEntry), [
        {"at": now, "actor_id": getattr(actor, "id", None), "action": "create",
         "entity_type": Exchange.__tablename__, "entity_id": ident,
         "changes": {"series_id": [None, series.id],
                     "recurrence_id": [None, recurrence_key(start)]}}
        for ident, (series, start) in zip(ids, made, strict=True)
    ])


def keep_ahead(all_series: list[Series], actor: Person | None = None,
               today: date | None = None) -> int:
    """Make the missing meetings of these series (live ones); how many were made.

    A meeting that exists, even deleted, is not made again: a deleted one that nobody
    deleted by hand (a rule change took it away) comes back instead.
    """
    live = [s for s in all_series if s.is_live]
    if not live:
        return 0
    rows = db.session.execute(
        select(Exchange.series_id, Exchange.recurrence_id, Exchange.id, Exchange.deleted_at,
               Exchange.hand_edited)
        .where(Exchange.series_id.in_([s.id for s in live]))
    ).all()
    known: dict[tuple[int | None, str], tuple[int, bool]] = {}
    for series_id, key, ident, deleted_at, hand_edited in rows:
        if key is not None:
            known[(series_id, key)] = (ident, deleted_at is not None and not hand_edited)
    made: list[tuple[Series, Start]] = []
    for series in live:
        for start in wanted_starts(series, today):
            key = recurrence_key(start)
            if (series.id, key) not in known:
                made.append((series, start))
                known[(series.id, key)] = (0, False)
            elif known[(series.id, key)][1]:
                exchange_services.restore_exchange(
                    db.session.get_one(Exchange, known[(series.id, key)][0]), actor)
    if made:
        db.session.flush()
        _insert_meetings(made, actor)
    return len(made)


def _series_with_rule() -> list[Series]:
    return list(db.session.scalars(
        select(Series).where(Series.is_live, Series.rrule.is_not(None))
        .options(selectinload(Series.organisations), selectinload(Series.participants))
    ))


def keep_all_ahead(today: date | None = None) -> int:
    """Every series with a rule has its coming meetings (`flask series extend`, daily)."""
    today = today or timeutil.today()
    made = keep_ahead(_series_with_rule(), None, today)
    state = db.session.get(SeriesUpkeep, 1)
    if state is None:
        db.session.add(SeriesUpkeep(id=1, checked_on=today))
    else:
        state.checked_on = today
    db.session.flush()
    return made


def upkeep_due(today: date | None = None) -> bool:
    """Whether today's check has not run yet (one small read)."""
    checked = db.session.scalar(select(SeriesUpkeep.checked_on).where(SeriesUpkeep.id == 1))
    return checked is None or checked < (today or timeutil.today())


@dataclass
class Plan:
    """What a change to a series does to its coming meetings."""

    moved: list[tuple[Exchange, Start]] = field(default_factory=list)
    updated: list[Exchange] = field(default_factory=list)
    removed: list[Exchange] = field(default_factory=list)
    added: list[Start] = field(default_factory=list)
    kept: list[Exchange] = field(default_factory=list)

    @property
    def touches(self) -> bool:
        return bool(self.moved or self.removed or self.added)


def coming_meetings(series: Series, today: date | None = None) -> list[Exchange]:
    """Its live meetings from today on, soonest first."""
    today = today or timeutil.today()
    meetings = db.session.scalars(
        select(Exchange).where(Exchange.series_id == series.id, Exchange.is_live)
    )
    coming = [m for m in meetings if (m.first_day or date.max) >= today]
    return sorted(coming, key=lambda m: (m.first_day or date.max, m.id))


def follows_series(meeting: Exchange) -> bool:
    """A coming meeting nobody edited by hand follows its series' changes."""
    return not meeting.hand_edited and meeting.status == "planned"


def plan_change(series: Series, changed: Series | dict[str, Any],
                today: date | None = None) -> Plan:
    """Which coming meetings a change to the series would move, remove or add.

    `changed` is the series as it would be (validated values or the series itself). Only
    coming meetings nobody edited by hand follow; meetings on dates the new rule keeps
    stay and take the new fields; the others are moved, in order, to the new rule's
    dates that have no meeting yet; what is left over is removed or added.
    """
    today = today or timeutil.today()
    if isinstance(changed, dict):
        probe = Series(**{k: v for k, v in changed.items() if k in SCALAR_FIELDS})
        probe.id = series.id
    else:
        probe = changed
    wanted = [s for s in wanted_starts(probe, today) if _day(s) >= today]
    coming = coming_meetings(series, today)
    plan = Plan(kept=[m for m in coming if not follows_series(m)])
    followers = [m for m in coming if follows_series(m)]
    taken = set(db.session.scalars(
        select(Exchange.recurrence_id).where(Exchange.series_id == series.id)))
    wanted_keys = {recurrence_key(s): s for s in wanted}
    stale = []
    for meeting in followers:
        if meeting.recurrence_id in wanted_keys:
            plan.updated.append(meeting)
        else:
            stale.append(meeting)
    free = [s for s in wanted if recurrence_key(s) not in taken]
    for meeting, start in zip(stale, free, strict=False):
        plan.moved.append((meeting, start))
    plan.removed = stale[len(free):]
    plan.added = free[len(stale):]
    return plan


def _day(start: Start) -> date:
    return timeutil.local_date(start) if isinstance(start, datetime) else start


def _follow(meeting: Exchange, series: Series, actor: Person | None,
            start: Start | None = None) -> None:
    """A meeting takes the series' fields (and a new start, keyed anew), not by hand."""
    if start is not None:
        meeting.recurrence_id = recurrence_key(start)
    when = meeting_when(series, start if start is not None else meeting_start(meeting))
    changes = {
        "title": series.title, "kind": series.kind, "location": series.location,
        "organisation_ids": _ids(series.organisations),
        "participant_ids": _ids(series.participants), **when,
    }
    exchange_services.update_exchange(meeting, actor, changes, by_hand=False)


def update_series(
    series: Series,
    actor: Person | None,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Plan:
    """Change a series; its coming meetings nobody edited by hand follow (see `plan_change`)."""
    require(can_edit(actor))
    if not series.is_live:
        raise NotFound(f"series {series.id} was deleted")
    check_version(series, expected_version)
    current = {name: getattr(series, name) for name in SCALAR_FIELDS}
    values = _validated({**current, **changes})
    lists = {name: values.pop(name) for name in ("organisations", "participants") if name in values}
    plan = plan_change(series, values)
    diff = audit.apply_changes(series, values)
    for name, records in lists.items():
        old_ids, new_ids = _ids(getattr(series, name)), _ids(records)
        if old_ids != new_ids:
            setattr(series, name, records)
            diff[name] = (old_ids, new_ids)
    if not diff:
        return Plan()
    series.updated_at = utcnow()
    db.session.flush()
    audit.record("update", series, actor, diff)
    if MEETING_FIELDS & set(diff):
        for meeting, start in plan.moved:
            _follow(meeting, series, actor, start)
        for meeting in plan.updated:
            _follow(meeting, series, actor)
        for meeting in plan.removed:
            exchange_services.delete_exchange(meeting, actor, by_hand=False)
        keep_ahead([series], actor)
    return plan


def delete_series(series: Series, actor: Person | None,
                  expected_version: int | None = None) -> Series:
    """Soft delete; its coming meetings go with it, its past ones stay on record."""
    require(can_edit(actor))
    if not series.is_live:
        return series
    check_version(series, expected_version)
    coming = coming_meetings(series)
    audit.mark_deleted(series, actor, utcnow())
    for meeting in coming:
        exchange_services.delete_exchange(meeting, actor, by_hand=False)
    return series


def restore_series(series: Series, actor: Person | None) -> Series:
    """A delete is never final: the series comes back with the meetings deleted with it."""
    require(can_edit(actor))
    if series.is_live:
        return series
    old = series.deleted_at
    assert old is not None
    audit.mark_restored(series, actor)
    meetings = db.session.scalars(
        select(Exchange).where(Exchange.series_id == series.id, Exchange.deleted_at >= old,
                               Exchange.hand_edited.is_(False)).order_by(Exchange.id))
    for meeting in meetings:
        exchange_services.restore_exchange(meeting, actor)
    keep_ahead([series], actor)
    return series
