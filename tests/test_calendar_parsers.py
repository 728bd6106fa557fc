"""Every feed, read by Thunderbird's parser (ical.js) and by icalendar, gives the same UTC times.

A subscriber in Thunderbird and one in a client built on icalendar must see an exchange at the
same moment, in winter and summer, in the weeks the clocks change, and for every occurrence of
a weekly series that runs across a change. Both parsers are also held to the stored truth.
vobject reads every feed as well (parse_both)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from tests.calendar_support import issue, items_by_uid, parse_with_icaljs

pytestmark = pytest.mark.usefixtures("english")

BERLIN = ZoneInfo("Europe/Berlin")
SERIES_LENGTH = 8


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Berlin wall-clock time as the UTC moment it names (never ambiguous in these tests)."""
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(UTC)


def z(moment: datetime) -> str:
    """A moment as parse.mjs prints it, so the two sides compare as plain strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Each season: exchanges (start, end in UTC) and tasks due at a Berlin wall-clock time.
SEASONS = {
    "january": {
        "exchanges": [(local(date(2026, 1, 14), 10), local(date(2026, 1, 14), 11, 30))],
        "tasks": [(date(2026, 1, 15), time(9, 0))],
    },
    "july": {
        "exchanges": [(local(date(2026, 7, 4), 9), local(date(2026, 7, 4), 10))],
        "tasks": [(date(2026, 7, 6), time(14, 30))],
    },
    # Clocks go forward on Sunday 29 March 2026 at 02:00 (CET, +01:00 → CEST, +02:00).
    "march switch week": {
        "exchanges": [
            (local(date(2026, 3, 28), 10), local(date(2026, 3, 28), 12)),
            (local(date(2026, 3, 29), 1, 30), local(date(2026, 3, 29), 3, 30)),  # across it
            (local(date(2026, 3, 30), 10), local(date(2026, 3, 30), 12)),
        ],
        "tasks": [(date(2026, 3, 28), time(18, 0)), (date(2026, 3, 29), time(4, 0)),
                  (date(2026, 3, 31), time(8, 0))],
    },
    # Clocks go back on Sunday 25 October 2026 at 03:00 (CEST → CET); 02:00–03:00 happens twice,
    # so these times stay outside that hour (the repeated hour has its own test below).
    "october switch week": {
        "exchanges": [
            (local(date(2026, 10, 24), 10), local(date(2026, 10, 24), 12)),
            (local(date(2026, 10, 25), 1, 30), local(date(2026, 10, 25), 4)),  # across it
            (local(date(2026, 10, 26), 10), local(date(2026, 10, 26), 12)),
        ],
        "tasks": [(date(2026, 10, 24), time(18, 0)), (date(2026, 10, 25), time(4, 0)),
                  (date(2026, 10, 27), time(8, 0))],
    },
}
FEEDS = [(kind, vtodo) for kind in ("personal", "team", "exchange", "view")
         for vtodo in (False, True)]


def feed_bodies(client, make, person, exchange) -> dict[str, bytes]:
    """Every feed kind, as events and with tasks as to-dos, as a subscriber downloads it."""
    bodies = {}
    for kind, vtodo in FEEDS:
        fields: dict = {"vtodo": vtodo}
        if kind == "exchange":
            fields["exchange_id"] = exchange.id
        if kind == "view":
            fields["query"] = f"owner_id={person.id}"
        response = client.get(f"/calendar/{issue(person, kind, **fields)}.ics")
        assert response.status_code == 200, response.data[:300]
        bodies[f"{kind}{' (VTODO)' if vtodo else ''}"] = response.data
    return bodies


def as_text(value) -> str:
    """A decoded DTSTART/DTEND/DUE the way parse.mjs prints it: UTC instant or plain date."""
    if isinstance(value, datetime):
        return z(value)
    return value.isoformat()


def icalendar_times(item) -> dict:
    """Start, end or due and a series' first starts, as icalendar (with dateutil) computes them."""
    start = item.decoded("DTSTART") if "DTSTART" in item else None
    times: dict = {"kind": item.name, "start": as_text(start) if start is not None else None}
    if item.name == "VEVENT":
        if "DTEND" in item:
            end = item.decoded("DTEND")
        elif "DURATION" in item:
            end = start + item.decoded("DURATION")
        else:  # RFC 5545 3.6.1: a date lasts one day, a date-time no time at all
            end = start + timedelta(days=1) if not isinstance(start, datetime) else start
        times["end"] = as_text(end)
    else:
        times["due"] = as_text(item.decoded("DUE")) if "DUE" in item else None
    times["occurrences"] = None
    if "RRULE" in item:
        rule = rrulestr(item["RRULE"].to_ical().decode(), dtstart=start)
        times["occurrences"] = [as_text(s) for s in islice(rule, SERIES_LENGTH)]
    return times


def icaljs_times(item: dict) -> dict:
    """ical.js's item without its UID and summary: only the times compare with icalendar's."""
    keep = ("kind", "start", "end", "occurrences") if item["kind"] == "VEVENT" else (
        "kind", "start", "due", "occurrences")
    return {key: item.get(key) for key in keep}


def assert_parsers_agree(body: bytes) -> dict[str, dict]:
    """ical.js, icalendar and vobject find the same items; ical.js and icalendar the same times."""
    ours = items_by_uid(body)  # icalendar, checked against vobject
    theirs = parse_with_icaljs(body, SERIES_LENGTH)
    assert set(theirs) == set(ours)
    times = {}
    for uid, item in ours.items():
        times[uid] = icalendar_times(item)
        assert icaljs_times(theirs[uid]) == times[uid], uid
        assert theirs[uid]["summary"] == str(item["SUMMARY"])
    return times


def season_data(make, season: dict):
    """Anna takes part in the season's exchanges and owns a task due at each of its times."""
    anna = make.user(name="Anna")
    exchanges = [make.exchange(title=f"Austausch {n}", starts_at=s, ends_at=e,
                               participant_ids=[anna.id])
                 for n, (s, e) in enumerate(season["exchanges"])]
    tasks = [make.task(owner_id=anna.id, title=f"Aufgabe {n}", due_date=d, due_time=t,
                       exchange_id=exchanges[0].id)
             for n, (d, t) in enumerate(season["tasks"])]
    return anna, exchanges, tasks


@pytest.mark.parametrize("season", [
    "january",
    "july",
    "march switch week",
    "october switch week",
])
def test_every_feed_reads_the_same_in_thunderbird_and_icalendar(client, make, season):
    anna, exchanges, tasks = season_data(make, SEASONS[season])
    for name, body in feed_bodies(client, make, anna, exchanges[0]).items():
        times = assert_parsers_agree(body)
        # And the moment both read is the one stored, not merely the same mistake twice.
        for ex in exchanges:
            uid = f"exchange-{ex.id}@tracker.test"
            if uid in times:
                assert (times[uid]["start"], times[uid]["end"]) == (
                    z(ex.starts_at), z(ex.ends_at)), name
        for task in tasks:
            uid = f"task-{task.id}@tracker.test"
            due = z(local(task.due_date, task.due_time.hour, task.due_time.minute))
            assert times[uid]["due" if "VTODO" in name else "start"] == due, name


@pytest.mark.parametrize("first", [
    local(date(2026, 3, 12), 10),  # Thursdays 10:00, from winter into summer time
    local(date(2026, 10, 8), 10),  # and from summer into winter time
], ids=["spring", "autumn"])
def test_a_weekly_series_across_a_switch_keeps_its_wall_clock_time_in_both_parsers(
        client, make, first):
    anna = make.user(name="Anna")
    series = make.exchange(title="Jour fixe", starts_at=first, ends_at=first + timedelta(hours=1),
                           rrule="FREQ=WEEKLY", participant_ids=[anna.id])
    wall = first.astimezone(BERLIN)
    expected = [z(datetime.combine(wall.date() + timedelta(weeks=n), wall.time(), BERLIN))
                for n in range(SERIES_LENGTH)]
    assert len({s[11:] for s in expected}) == 2  # the series does cross a switch
    for name, body in feed_bodies(client, make, anna, series).items():
        times = assert_parsers_agree(body)
        uid = f"exchange-{series.id}@tracker.test"
        if uid in times:
            assert times[uid]["occurrences"] == expected, name


def test_an_exchange_in_the_repeated_autumn_hour_is_read_as_stored(client, make):
    anna = make.user(name="Anna")
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, the second 02:30 that night
    ex = make.exchange(starts_at=second, ends_at=second + timedelta(minutes=30),
                       participant_ids=[anna.id])
    times = assert_parsers_agree(client.get(f"/calendar/{issue(anna)}.ics").data)
    assert times[f"exchange-{ex.id}@tracker.test"]["start"] == z(second)


@pytest.mark.parametrize("season", [
    "january",
    "july",
])
def test_one_item_downloads_read_the_same_in_thunderbird_and_icalendar(client, make, season):
    from tests.calendar_support import login

    anna, (exchange,), (task,) = season_data(make, SEASONS[season])
    login(client, anna)
    for path in (f"/exchanges/{exchange.id}.ics", f"/tasks/{task.id}.ics"):
        response = client.get(path)
        assert response.status_code == 200, path
        times = assert_parsers_agree(response.data)
        assert len(times) == 1, path
    assert times[f"task-{task.id}@tracker.test"]["start"] == z(
        local(task.due_date, task.due_time.hour, task.due_time.minute))


def test_a_series_whose_start_the_rule_does_not_produce_reads_the_same_everywhere(client, make):
    from tracker.core.errors import InvalidField

    anna = make.user(name="Anna")
    sunday = local(date(2026, 1, 4), 10)  # a Sunday, with a rule for Wednesdays
    try:
        series = make.exchange(starts_at=sunday, ends_at=sunday + timedelta(hours=1),
                               rrule="FREQ=WEEKLY;BYDAY=WE", participant_ids=[anna.id])
    except InvalidField:
        return  # refusing the rule is one of the two answers the issue accepts
    times = assert_parsers_agree(client.get(f"/calendar/{issue(anna)}.ics").data)
    item = times[f"exchange-{series.id}@tracker.test"]
    # RFC 5545 counts DTSTART as the first occurrence; ical.js and dateutil start at the rule's
    # first date. They only agree with such clients when the rule produces the start itself.
    assert item["start"] == item["occurrences"][0] == z(local(date(2026, 1, 7), 10))

