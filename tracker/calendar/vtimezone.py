"""The team's zone as a VTIMEZONE the way Google and Outlook send it: yearly RRULEs.

icalendar's `Timezone.from_tzid` lists every switch in one multi-value RDATE, and Mozilla's
ical.js (Thunderbird) reads only its first value, so summer times come out an hour late.
Here the zone's current rule ("last Sunday of March, 02:00") is read off zoneinfo's
transitions and written as a STANDARD and a DAYLIGHT component, each with an RRULE and a
DTSTART in the first year the rule has held. A zone whose rule is not "the n-th (or last)
weekday of a month" (or that switches more than twice a year) falls back to icalendar's
RDATE form, one value per line.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

FIRST_YEAR = 1970
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Switch:
    """One change of offset: the wall time it happens at (old offset), from and to."""

    local: datetime  # naive, in the offset before the switch (RFC 5545 DTSTART)
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool


def switches(zone: ZoneInfo, year: int) -> list[Switch]:
    """Every change of offset in `year`, found day by day and then to the minute."""
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    before = day.astimezone(zone).utcoffset()
    while day < end:
        after = (day + timedelta(days=1)).astimezone(zone).utcoffset()
        if after != before:
            moment = day
            while moment.astimezone(zone).utcoffset() == before:
                moment += timedelta(minutes=1)
            local = moment.astimezone(zone)
            assert before is not None and after is not None
            found.append(Switch(
                (moment + before).replace(tzinfo=None), before, after, local.tzname() or "",
                bool(local.dst()),
            ))
            before = after
        day += timedelta(days=1)
    return found


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    last_day = month_calendar.monthrange(year, month)[1]
    if nth == -1:
        last = date(year, month, last_day)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _follows(switch: Switch, nth: int, like: Switch) -> bool:
    """Whether `switch` happens on the rule (month, nth weekday, time, offsets) of `like`."""
    local = like.local
    expected = _nth_weekday(switch.local.year, local.month, local.weekday(), nth)
    return (
        switch.local.date() == expected
        and switch.local.time() == local.time()
        and (switch.offset_from, switch.offset_to, switch.daylight)
        == (like.offset_from, like.offset_to, like.daylight)
    )


def _same_kind(year_switches: list[Switch], like: Switch) -> Switch | None:
    return next((s for s in year_switches if s.daylight == like.daylight), None)


def _rule(zone: ZoneInfo, like: Switch, year: int) -> tuple[int, Switch] | None:
    """(nth, first switch) of the yearly rule `like` follows, checked two years ahead."""
    day = like.local.day
    last_day = month_calendar.monthrange(like.local.year, like.local.month)[1]
    candidates = ([-1] if day + 7 > last_day else []) + [(day - 1) // 7 + 1]
    ahead = [_same_kind(switches(zone, year + n), like) for n in (1, 2)]
    for nth in candidates:
        if all(s is not None and _follows(s, nth, like) for s in ahead):
            first = like
            for earlier in range(year - 1, FIRST_YEAR - 1, -1):
                s = _same_kind(switches(zone, earlier), like)
                if s is None or not _follows(s, nth, like):
                    break
                first = s
            return nth, first
    return None


def build_vtimezone(tz_name: str, year: int) -> Timezone:
    """The VTIMEZONE of `tz_name` from its rule in `year` (RRULEs; RDATE lines if no rule)."""
    zone = ZoneInfo(tz_name)
    tz = Timezone()
    tz.add("tzid", tz_name)
    tz.add("x-lic-location", tz_name)
    this_year = switches(zone, year)
    if not this_year and not switches(zone, year + 1):
        at = datetime(year, 1, 1, tzinfo=zone)
        standard = TimezoneStandard()
        standard.add("tzname", at.tzname() or tz_name)
        standard.add("dtstart", datetime(FIRST_YEAR, 1, 1))
        standard.add("tzoffsetfrom", at.utcoffset())
        standard.add("tzoffsetto", at.utcoffset())
        tz.add_component(standard)
        return tz
    rules = [_rule(zone, s, year) for s in this_year]
    if len(this_year) != 2 or any(r is None for r in rules):
        return Timezone.from_tzid(tz_name, first_date=date(2000, 1, 1),
                                  last_date=date(2040, 1, 1))
    for switch, rule in zip(this_year, rules, strict=True):
        assert rule is not None
        nth, first = rule
        part = TimezoneDaylight() if switch.daylight else TimezoneStandard()
        part.add("tzoffsetfrom", switch.offset_from)
        part.add("tzoffsetto", switch.offset_to)
        part.add("tzname", switch.name)
        part.add("dtstart", first.local)
        part.add("rrule", {"freq": "yearly", "bymonth": switch.local.month,
                           "byday": f"{nth}{_DAYS[switch.local.weekday()]}"})
        tz.add_component(part)
    return tz
