"""The right time in every client, all year: the VTIMEZONE, the hour the clocks repeat or
skip, and recurrence rules that match their start (issue 12, points 1, 3, 4 and 5)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil import tz
from dateutil.rrule import rrulestr
from sqlalchemy import select

from tests.api_support import api_as, assert_problem
from tests.calendar_support import issue, items_by_uid
from tests.web import login, post
from tracker.calendar.vtimezone import build_vtimezone
from tracker.core.errors import InvalidField
from tracker.core.timeutil import from_local, is_ambiguous, to_local
from tracker.exchanges.models import Exchange
from tracker.extensions import db

BERLIN = ZoneInfo("Europe/Berlin")
#: 25 October 2026: 02:00–03:00 happens twice; 29 March 2026: 02:00–03:00 never happens.
FIRST_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
SECOND_0230 = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET


def feed(client, person) -> bytes:
    response = client.get(f"/calendar/{issue(person)}.ics")
    assert response.status_code == 200
    return response.data


def vtimezone_text(body: bytes) -> str:
    text = body.decode()
    start = text.index("BEGIN:VTIMEZONE")
    end = text.index("END:VTIMEZONE") + len("END:VTIMEZONE")
    return text[start:end]


def read_with_dateutil(vtimezone: str) -> tz.tzical:
    """dateutil's own VTIMEZONE reader: an implementation independent of ours and zoneinfo.

    It knows no X- properties, so X-LIC-LOCATION (which Google sends too) is left out.
    """
    lines = [line for line in vtimezone.splitlines() if not line.startswith("X-")]
    text = "\r\n".join(["BEGIN:VCALENDAR", *lines, "END:VCALENDAR", ""])
    return tz.tzical(io.StringIO(text))


# -- 1. the VTIMEZONE ----------------------------------------------------------------------


def test_the_feed_names_berlins_rule_as_yearly_rrules_not_a_list_of_dates(client, make):
    anna = make.user()
    make.exchange(title="Sommer", starts_at=datetime(2026, 7, 4, 7, tzinfo=UTC),
                  participant_ids=[anna.id])
    body = feed(client, anna)
    zone = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")[0]
    parts = {c.name: c for c in zone.subcomponents}
    assert set(parts) == {"STANDARD", "DAYLIGHT"}
    assert parts["DAYLIGHT"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert parts["STANDARD"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert b"RDATE" not in vtimezone_text(body).encode()
    assert b"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200" in body
    assert b"TZNAME:CEST" in body and b"TZNAME:CET" in body


@pytest.mark.parametrize(("local", "utc"), [
    (datetime(2026, 7, 4, 9), datetime(2026, 7, 4, 7, tzinfo=UTC)),
    (datetime(2026, 1, 15, 9), datetime(2026, 1, 15, 8, tzinfo=UTC)),
    (datetime(2031, 7, 4, 9), datetime(2031, 7, 4, 7, tzinfo=UTC)),
    (datetime(2026, 3, 29, 3, 30), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    (datetime(2026, 10, 25, 3, 30), datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),
])
def test_a_local_time_resolves_by_the_feeds_own_vtimezone(client, make, local, utc):
    anna = make.user()
    ex = make.exchange(title="Treffen", starts_at=utc, participant_ids=[anna.id])
    body = feed(client, anna)
    wall = local.strftime("%Y%m%dT%H%M%S").encode()
    assert b"DTSTART;TZID=Europe/Berlin:" + wall in body
    read = read_with_dateutil(vtimezone_text(body)).get("Europe/Berlin")
    assert local.replace(tzinfo=read).astimezone(UTC) == utc
    item = items_by_uid(body)[f"exchange-{ex.id}@tracker.test"]
    assert item.decoded("DTSTART").astimezone(UTC) == utc


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "Australia/Sydney",
                                  "Europe/London", "Asia/Tokyo"])
def test_the_vtimezone_agrees_with_zoneinfo_every_hour_around_each_switch(name):
    zone = ZoneInfo(name)
    read = read_with_dateutil(build_vtimezone(name, 2026).to_ical().decode()).get(name)
    for year in (2010, 2026, 2027, 2035):
        for month in (3, 4, 10, 11):
            moment = datetime(year, month, 1, tzinfo=UTC)
            while moment.month == month:
                assert moment.astimezone(read).utcoffset() == moment.astimezone(zone).utcoffset()
                moment += timedelta(hours=1)


# -- 3. the repeated autumn hour -----------------------------------------------------------


def test_the_second_0230_is_written_in_utc_and_the_first_stays_local(client, make):
    anna = make.user()
    first = make.exchange(title="Erste", starts_at=FIRST_0230, participant_ids=[anna.id])
    second = make.exchange(title="Zweite", starts_at=SECOND_0230, participant_ids=[anna.id])
    body = feed(client, anna)
    assert b"DTSTART:20261025T013000Z" in body
    assert b"DTSTART;TZID=Europe/Berlin:20261025T023000" not in body.replace(
        b"DTSTART;TZID=Europe/Berlin:20261025T023000\r\nDTEND", b"")  # none is ambiguous local
    items = items_by_uid(body)
    assert items[f"exchange-{first.id}@tracker.test"].decoded("DTSTART").astimezone(UTC) == (
        FIRST_0230)
    assert items[f"exchange-{second.id}@tracker.test"].decoded("DTSTART").astimezone(UTC) == (
        SECOND_0230)


def test_only_the_repeated_hour_is_ambiguous(ctx):
    assert is_ambiguous(FIRST_0230) and is_ambiguous(SECOND_0230)
    assert not is_ambiguous(SECOND_0230 + timedelta(hours=1))
    assert not is_ambiguous(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert not is_ambiguous(datetime(2026, 7, 4, 7, tzinfo=UTC))


def test_the_page_shows_the_offset_when_the_wall_clock_time_happens_twice(web, world, make):
    first = make.exchange(title="Erste Nachtschicht", starts_at=FIRST_0230,
                          ends_at=FIRST_0230 + timedelta(minutes=20))
    second = make.exchange(title="Zweite Nachtschicht", starts_at=SECOND_0230,
                           ends_at=SECOND_0230 + timedelta(minutes=20))
    plain = make.exchange(title="Tagsüber", starts_at=datetime(2026, 10, 25, 9, tzinfo=UTC))
    login(web, world.viewer)
    assert "02:30 (UTC+2)" in web.get(f"/exchanges/{first.id}").get_data(as_text=True)
    assert "02:30 (UTC+1)" in web.get(f"/exchanges/{second.id}").get_data(as_text=True)
    page = web.get(f"/exchanges/{plain.id}").get_data(as_text=True)
    assert "10:00" in page and "(UTC+" not in page


# -- 4. times that do not exist, or exist twice --------------------------------------------


def form(title: str, starts: str, ends: str) -> dict:
    return {"title": title, "kind": "werkstatt", "status": "planned", "starts_at": starts,
            "ends_at": ends, "rrule": ""}


def test_the_form_refuses_a_time_the_clocks_skip_at_the_field(web, world):
    login(web, world.editor, locale="en")
    response = post(web, "/exchanges/new",
                    form("Lücke", "2026-03-29T02:30", "2026-03-29T03:30"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="starts_at-error"' in page and "the clocks skip that hour" in page
    assert db.session.scalar(select(Exchange).where(Exchange.title == "Lücke")) is None


def test_the_form_takes_the_first_of_a_time_that_happens_twice_and_says_so(web, world):
    login(web, world.editor, locale="en")
    response = post(web, "/exchanges/new",
                    form("Doppelt", "2026-10-25T02:30", "2026-10-25T03:30"))
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = db.session.scalar(select(Exchange).where(Exchange.title == "Doppelt"))
    assert stored.starts_at.replace(tzinfo=UTC) == FIRST_0230
    assert stored.ends_at.replace(tzinfo=UTC) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    page = web.get(response.location).get_data(as_text=True)
    assert "took the first 2:30" in page or "took the first 02:30" in page


def test_editing_another_field_keeps_the_second_0230(web, world, make):
    late = make.exchange(title="Nachtschicht", starts_at=SECOND_0230,
                         ends_at=SECOND_0230 + timedelta(minutes=30))
    login(web, world.editor, locale="en")
    response = post(web, f"/exchanges/{late.id}/edit", {
        **form("Nachtschicht (verschoben)", "2026-10-25T02:30", "2026-10-25T03:00"),
        "version": str(late.version),
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Exchange, late.id)
    assert stored.title == "Nachtschicht (verschoben)"
    assert stored.starts_at.replace(tzinfo=UTC) == SECOND_0230


def test_the_german_form_words_both_in_german(web, world):
    login(web, world.editor, locale="de")
    gap = post(web, "/exchanges/new", form("Lücke", "2026-03-29T02:30", "2026-03-29T03:30"))
    assert "Diese Uhrzeit gibt es an dem Tag nicht" in gap.get_data(as_text=True)
    ok = post(web, "/exchanges/new", form("Doppelt", "2026-10-25T02:30", "2026-10-25T03:00"))
    assert "zweimal" in web.get(ok.location).get_data(as_text=True)


def test_the_api_refuses_a_skipped_time_and_reads_the_repeated_hour_by_its_offset(make, client):
    api = api_as(make, client, "editor")
    gap = api.post("/exchanges", json={"title": "Lücke",
                                       "starts_at": "2026-03-29T02:30:00+01:00"})
    body = assert_problem(gap, 422, "starts_at")
    assert "does not exist in Europe/Berlin" in str(body)
    end_gap = api.post("/exchanges", json={"title": "Lücke",
                                           "starts_at": "2026-03-29T01:30:00+01:00",
                                           "ends_at": "2026-03-29T02:15:00+02:00"})
    assert_problem(end_gap, 422, "ends_at")
    # The same moments written in UTC are ordinary instants.
    assert api.post("/exchanges", json={"title": "UTC",
                                        "starts_at": "2026-03-29T01:30:00Z"}).status_code == 201
    first = api.post("/exchanges", json={"title": "Erste",
                                         "starts_at": "2026-10-25T02:30:00+02:00"})
    second = api.post("/exchanges", json={"title": "Zweite",
                                          "starts_at": "2026-10-25T02:30:00+01:00"})
    assert first.get_json()["starts_at"].startswith("2026-10-25T00:30:00")
    assert second.get_json()["starts_at"].startswith("2026-10-25T01:30:00")


# -- 5. a recurrence rule that matches its start -------------------------------------------


def test_a_rule_whose_first_date_is_not_the_start_is_refused(make):
    sunday = from_local(date(2025, 11, 2), datetime.min.time().replace(hour=14))
    with pytest.raises(InvalidField) as err:
        make.exchange(title="Werkstatt", starts_at=sunday,
                      rrule="FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE")
    assert err.value.field == "rrule" and err.value.code == "rrule_start_not_occurrence"
    assert "2025-11-05" in str(err.value)
    wednesday = sunday + timedelta(days=3)
    ok = make.exchange(title="Werkstatt", starts_at=wednesday,
                       rrule="FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE")
    assert ok.rrule == "FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE"


def test_the_local_date_counts_not_the_utc_one(make):
    # 00:30 on Wednesday 2 December in Berlin is still Tuesday in UTC.
    just_after_midnight = from_local(date(2026, 12, 2), datetime.min.time().replace(minute=30))
    assert just_after_midnight.day == 1
    assert make.exchange(starts_at=just_after_midnight, rrule="FREQ=MONTHLY;BYDAY=1WE").rrule


def test_the_api_names_the_rule_field(make, client):
    api = api_as(make, client, "editor")
    response = api.post("/exchanges", json={"title": "Werkstatt",
                                            "starts_at": "2026-12-06T14:00:00+01:00",
                                            "rrule": "FREQ=MONTHLY;BYDAY=1WE"})
    body = assert_problem(response, 422, "rrule")
    assert "2027-01-06" in body["detail"]  # the first Wednesday after the start


def test_the_demo_series_starts_on_its_rule_and_crosses_a_summer_time_switch(ctx, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    from tracker.series.models import Series

    werkstatt = db.session.scalar(select(Series).where(Series.rrule.is_not(None)))
    start = to_local(werkstatt.starts_at.replace(tzinfo=UTC))
    assert start.weekday() == 2 and start.day <= 7  # a first Wednesday
    rule = rrulestr(werkstatt.rrule, dtstart=start.replace(tzinfo=None))
    dates = [d.replace(tzinfo=BERLIN) for d in rule[:4]]
    assert dates[0] == start.replace(tzinfo=BERLIN)
    assert {d.utcoffset() for d in dates} == {timedelta(hours=1), timedelta(hours=2)}
    assert all(d.hour == 14 for d in dates)
    # Its meetings are exchanges of their own, each at 14:00 on either side of the switches.
    meetings = db.session.scalars(select(Exchange).where(Exchange.series_id == werkstatt.id))
    local = [to_local(m.starts_at) for m in meetings]
    assert len(local) >= 5 and all(t.hour == 14 and t.weekday() == 2 for t in local)
    assert {t.utcoffset() for t in local} == {timedelta(hours=1), timedelta(hours=2)}
