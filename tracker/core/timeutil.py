"""The team's time zone: everything is stored in UTC and shown in this zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from tracker.core.errors import InvalidField

DEFAULT_TIMEZONE = "Europe/Berlin"


def team_zone() -> ZoneInfo:
    name = current_app.config["TRACKER_TIMEZONE"] if has_app_context() else DEFAULT_TIMEZONE
    return ZoneInfo(name)


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today in the team's time zone (what "overdue" is measured against)."""
    return datetime.now(team_zone()).date()


def to_local(value: datetime) -> datetime:
    return value.astimezone(team_zone())


def local_date(value: datetime) -> date:
    return to_local(value).date()


def from_local(day: date, at: time) -> datetime:
    """A wall-clock time in the team's zone, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=team_zone()).astimezone(UTC)



def wall_time_kind(day: date, at: time, zone: ZoneInfo | None = None) -> str:
    """"gap" (clocks jump over it), "overlap" (it happens twice) or "ok", in the team's zone."""
    first = datetime.combine(day, at.replace(fold=0), tzinfo=zone or team_zone())
    if first.utcoffset() == first.replace(fold=1).utcoffset():
        return "ok"
    # A time in a gap does not survive the round trip through UTC; one in an overlap does.
    back = first.astimezone(UTC).astimezone(first.tzinfo)
    return "overlap" if back.replace(tzinfo=None) == first.replace(tzinfo=None) else "gap"


def is_ambiguous(value: datetime, zone: ZoneInfo | None = None) -> bool:
    """Whether this instant's wall-clock time in the team's zone happens twice (autumn)."""
    zone = zone or team_zone()
    local = value.astimezone(zone)
    return wall_time_kind(local.date(), local.time(), zone) == "overlap"


def from_local_checked(field: str, day: date, at: time) -> tuple[datetime, bool]:
    """A wall-clock time as UTC; a time in the gap is refused, one in the overlap is the first.

    The flag says the time was in the overlap (the caller tells the user which one it took).
    """
    kind = wall_time_kind(day, at)
    if kind == "gap":
        raise InvalidField(field, "local_time_gap", when=f"{day.isoformat()} {at:%H:%M}",
                           zone=team_zone().key)
    return from_local(day, at), kind == "overlap"


def in_gap(value: datetime) -> bool:
    """Whether an aware time names a team-zone wall-clock time the clocks skip.

    "2026-03-29T02:30:00+01:00" does: 02:30 never happened in Berlin that night, and +01:00
    is one of Berlin's offsets, so the sender meant a local time that does not exist. The
    same moment written in another zone's offset is an ordinary instant.
    """
    wall = value.replace(tzinfo=None)
    if wall_time_kind(wall.date(), wall.time()) != "gap":
        return False
    local = wall.replace(tzinfo=team_zone())
    return value.utcoffset() in (local.utcoffset(), local.replace(fold=1).utcoffset())
