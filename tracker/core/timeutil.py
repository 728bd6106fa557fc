"""The team's time zone: everything is stored in UTC and shown in this zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

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
