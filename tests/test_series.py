"""Series: meetings made ahead from a rule, moved or cancelled one by one, rule changes
that touch only the coming meetings nobody edited by hand, the pages and the .ics."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from tests.calendar_support import parse_both, parse_with_icaljs
from tests.web import fresh, login, post
from tracker.core import timeutil
from tracker.core.database import transaction
from tracker.exchanges import services as exchanges
from tracker.exchanges.models import Exchange
from tracker.exchanges.queries import sort_key
from tracker.extensions import db
from tracker.series import rules, services
from tracker.series.models import Series

QUARTERLY = "FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE"


def first_wednesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(2 - first.weekday()) % 7)


def months_back(months: int) -> date:
    """The first Wednesday of the month `months` before this one."""
    today = timeutil.today()
    total = today.year * 12 + today.month - 1 - months
    return first_wednesday(total // 12, total % 12 + 1)


def quarterly(editor, months_ago: int = 2, **fields) -> Series:
    """A Werkstatt on the first Wednesday of every third month at 14:00, begun earlier."""
    start = timeutil.from_local(months_back(months_ago), time(14))
    values = {"title": "Smart City-Werkstatt", "kind": "werkstatt", "rrule": QUARTERLY,
              "starts_at": start, "duration_minutes": 180, "location": "Rathaus Rostock",
              **fields}
    with transaction():
        return services.create_series(editor, **values)


def meetings(series: Series) -> list[Exchange]:
    return list(db.session.scalars(
        select(Exchange).where(Exchange.series_id == series.id, Exchange.is_live)
        .order_by(sort_key(), Exchange.starts_at)))


def test_a_quarterly_series_makes_its_coming_meetings(world):
    series = quarterly(world.editor)
    made = meetings(series)
    today = timeutil.today()
    coming = [m for m in made if m.first_day >= today]
    assert 4 <= len(coming) <= 5  # the next twelve months
    assert made[0].starts_at == series.starts_at  # the first meeting is the series' start
    for meeting in made:
        local = timeutil.to_local(meeting.starts_at)
        assert local.time() == time(14) and local.weekday() == 2 and local.day <= 7
        assert meeting.recurrence_id == meeting.starts_at.strftime("%Y%m%dT%H%M%SZ")
        assert meeting.ends_at - meeting.starts_at == timedelta(hours=3)
        assert meeting.kind == "werkstatt" and meeting.status == "planned"
    # Across a year both summer-time switches are passed: UTC hours differ, local ones not.
    assert len({m.starts_at.hour for m in made}) == 2
    # Doing it again makes nothing more.
    with transaction():
        assert services.keep_all_ahead() == 0


def test_the_daily_upkeep_makes_the_meetings_that_come_into_range(world):
    series = quarterly(world.editor)
    last = meetings(series)[-1]
    later = timeutil.today() + timedelta(days=200)
    with transaction():
        made = services.keep_all_ahead(later)
    assert made >= 1
    assert meetings(series)[-1].starts_at > last.starts_at
    assert not services.upkeep_due(later)


def test_moving_a_meeting_keeps_its_recurrence_id_and_leaves_the_others(world):
    series = quarterly(world.editor)
    before = {m.id: (m.starts_at, m.recurrence_id) for m in meetings(series)}
    second = meetings(series)[2]
    key = second.recurrence_id
    with transaction():
        exchanges.move_exchange(second, world.editor, starts_at=second.starts_at
                                + timedelta(days=1), ends_at=second.ends_at + timedelta(days=1))
    second = fresh(second)
    assert second.recurrence_id == key and second.hand_edited
    for meeting in meetings(series):
        if meeting.id != second.id:
            assert (meeting.starts_at, meeting.recurrence_id) == before[meeting.id]
            assert not meeting.hand_edited


def test_cancelling_a_meeting_shows_it_cancelled_in_the_download(web, world):
    series = quarterly(world.editor)
    target = meetings(series)[2]
    with transaction():
        exchanges.update_exchange(target, world.editor, {"status": "cancelled"})
    login(web, world.viewer)
    response = web.get(f"/series/{series.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    _cal, _vcal, items = parse_both(response.data)
    by_uid = {str(i["UID"]): i for i in items}
    assert len(items) == len(meetings(series))
    cancelled = by_uid[f"exchange-{target.id}@tracker.test"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert all(str(i["STATUS"]) == "CONFIRMED" for u, i in by_uid.items()
               if u != f"exchange-{target.id}@tracker.test")
    # Every meeting at 14:00 local in icalendar's reading, on both sides of the switches.
    for item in items:
        start = item.decoded("DTSTART")
        assert start.astimezone(timeutil.team_zone()).time() == time(14)


def test_every_client_shows_the_meetings_at_the_pages_times(web, world):
    series = quarterly(world.editor)
    moved = meetings(series)[1]
    with transaction():
        exchanges.move_exchange(moved, world.editor,
                                starts_at=moved.starts_at + timedelta(hours=2),
                                ends_at=moved.ends_at + timedelta(hours=2))
    login(web, world.viewer)
    body = web.get(f"/series/{series.id}.ics").data
    read = parse_with_icaljs(body)
    for meeting in meetings(series):
        item = read[f"exchange-{meeting.id}@tracker.test"]
        assert item["start"] == meeting.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_changing_the_rule_moves_only_unedited_coming_meetings(world):
    series = quarterly(world.editor, months_ago=4)
    made = meetings(series)
    first = made[0]  # in the past: stays as it is
    today = timeutil.today()
    coming = [m for m in made if m.first_day >= today]
    edited = coming[1]
    with transaction():
        exchanges.move_exchange(edited, world.editor, starts_at=edited.starts_at
                                + timedelta(days=1), ends_at=edited.ends_at + timedelta(days=1))
    edited_start = fresh(edited).starts_at
    ten = timeutil.from_local(timeutil.local_date(series.starts_at), time(10))
    plan = services.plan_change(series, services.validated_values(series, {"starts_at": ten}))
    assert {m.id for m, _start in plan.moved} == {m.id for m in coming} - {edited.id}
    assert [m.id for m in plan.kept] == [edited.id]
    with transaction():
        services.update_series(fresh(series), world.editor, {"starts_at": ten},
                               expected_version=series.version)
    assert fresh(first).starts_at == first.starts_at
    assert fresh(edited).starts_at == edited_start
    after = [m for m in meetings(series) if m.first_day >= today and m.id != edited.id]
    assert after and all(timeutil.to_local(m.starts_at).time() == time(10) for m in after)
    assert {m.id for m in coming} - {edited.id} <= {m.id for m in after}  # moved, not remade
    for meeting in after:
        assert meeting.recurrence_id == meeting.starts_at.strftime("%Y%m%dT%H%M%SZ")


def test_a_rule_that_ends_after_three_makes_three(world):
    start = timeutil.from_local(first_wednesday(timeutil.today().year + 1, 2), time(9))
    with transaction():
        series = services.create_series(world.editor, title="Drei Termine", starts_at=start,
                                        rrule="FREQ=MONTHLY;BYDAY=1WE;COUNT=3")
    assert len(meetings(series)) == 3


def test_a_series_without_a_rule_has_its_meetings_added_by_hand(world):
    with transaction():
        series = services.create_series(
            world.editor, title="Regionalkonferenz", kind="conference", all_day=True,
            start_date=date(2026, 11, 22), location="Flensburg",
        )
        meeting = services.add_meeting(
            series, world.editor, all_day=True, start_date=date(2027, 7, 4),
            location="Rostock")
    assert meeting.series_id == series.id and meeting.recurrence_id == "20270704"
    assert [m.location for m in meetings(series)] == ["Flensburg", "Rostock"]
    from tracker.core.errors import InvalidField
    with pytest.raises(InvalidField) as caught, transaction():
        services.add_meeting(series, world.editor, all_day=True, start_date=date(2027, 7, 4))
    assert caught.value.code == "meeting_exists"


def test_deleting_a_series_takes_its_coming_meetings_and_restoring_brings_them_back(world):
    series = quarterly(world.editor)
    count = len(meetings(series))
    with transaction():
        services.delete_series(series, world.editor)
    left = meetings(series)
    assert all(m.first_day < timeutil.today() for m in left)
    with transaction():
        services.restore_series(fresh(series), world.editor)
    assert len(meetings(series)) == count


def test_the_rule_in_words_in_both_languages(app):
    start = date(2026, 11, 4)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert rules.describe(QUARTERLY, start) == "every first Wednesday of the quarter"
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert rules.describe(QUARTERLY, start) == "jeden ersten Mittwoch im Quartal"


@pytest.mark.parametrize(("choice", "expected"), [
    (rules.RuleChoice("quarterly"), QUARTERLY),
    (rules.RuleChoice("monthly", by_weekday=False), "FREQ=MONTHLY;BYMONTHDAY=4"),
    (rules.RuleChoice("weekly", interval=2, end="count", count=5),
     "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;COUNT=5"),
    (rules.RuleChoice("yearly"), "FREQ=YEARLY;BYMONTH=11;BYDAY=1WE"),
    (rules.RuleChoice("none"), None),
])
def test_the_form_choices_make_a_rule_and_read_back(choice, expected):
    rule = rules.build_rrule(choice, date(2026, 11, 4))
    assert rule == expected
    if rule:
        assert rules.read_rrule(rule) == choice


def test_recurrence_keys_read_back():
    moment = datetime(2026, 7, 8, 8, tzinfo=UTC)
    assert services.recurrence_key(moment) == "20260708T080000Z"
    assert services.recurrence_start("20260708T080000Z") == moment
    assert services.recurrence_key(date(2026, 7, 8)) == "20260708"


# -- pages -----------------------------------------------------------------------------


def _form(start: date, **fields) -> dict:
    return {"title": "Smart City-Werkstatt", "kind": "werkstatt",
            "starts_at": f"{start}T14:00", "duration_minutes": "180",
            "frequency": "quarterly", "interval": "1", "by_weekday": "weekday",
            "end": "never", "location": "Rathaus Rostock", **fields}


def test_the_form_makes_a_series_from_plain_choices_and_shows_its_dates(web, world, english):
    login(web, world.editor, locale="en")
    start = months_back(-1)  # the first Wednesday of next month
    page = post(web, "/series/new", _form(start, preview="1"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "every first Wednesday of the quarter" in text
    assert "RRULE" not in text and "FREQ=" not in text
    assert Series.query.count() == 0  # only the preview
    response = post(web, "/series/new", _form(start))
    assert response.status_code == 302
    series = db.session.scalar(select(Series))
    assert series.rrule == QUARTERLY
    shown = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Next meeting" in shown and "Coming meetings" in shown
    assert len(meetings(series)) >= 4


def test_the_form_in_german_says_the_rule_in_words(web, world):
    login(web, world.editor)
    page = post(web, "/series/new", _form(months_back(-1), preview="1"))
    assert "jeden ersten Mittwoch im Quartal" in page.get_data(as_text=True)


def test_a_bad_series_form_is_a_message_and_changes_nothing(web, world):
    login(web, world.editor)
    response = post(web, "/series/new", _form(months_back(-1), title=""))
    assert response.status_code == 400
    assert 'id="title-error"' in response.get_data(as_text=True)
    response = post(web, "/series/new", _form(months_back(-1), starts_at=""))
    assert response.status_code == 400
    assert 'id="starts_at-error"' in response.get_data(as_text=True)
    gap = _form(date(2027, 3, 28), starts_at="2027-03-28T02:30", frequency="none")
    response = post(web, "/series/new", gap)
    assert response.status_code == 400
    assert "Diese Uhrzeit gibt es an dem Tag nicht" in response.get_data(as_text=True)
    assert db.session.scalar(select(Series)) is None


def test_the_edit_form_says_which_meetings_a_change_touches(web, world, english):
    series = quarterly(world.editor)
    coming = [m for m in meetings(series) if m.first_day >= timeutil.today()]
    with transaction():
        exchanges.update_exchange(coming[0], world.editor, {"status": "cancelled"})
    login(web, world.editor, locale="en")
    page = web.get(f"/series/{series.id}/edit").get_data(as_text=True)
    assert "edited by hand and stay" in page
    start = timeutil.local_date(series.starts_at)
    preview = post(web, f"/series/{series.id}/edit",
                   _form(start, starts_at=f"{start}T10:00", preview="1",
                         version=str(series.version)))
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Moved:" in text
    assert fresh(series).starts_at == series.starts_at  # a preview saves nothing


def test_a_meeting_added_by_hand_to_a_series_without_a_rule(web, world):
    with transaction():
        series = services.create_series(world.editor, title="Regionalkonferenz",
                                        all_day=True, start_date=date(2026, 11, 22),
                                        location="Flensburg")
    login(web, world.editor)
    response = post(web, f"/series/{series.id}/meetings",
                    {"title": "9. Regionalkonferenz", "starts_at": "2027-07-04T09:00",
                     "location": "Rostock"})
    assert response.status_code == 302
    added = meetings(series)[-1]
    assert added.title == "9. Regionalkonferenz" and added.location == "Rostock"
    page = web.get(f"/exchanges/{added.id}").get_data(as_text=True)
    assert "Regionalkonferenz" in page and "Vorheriges Treffen" in page


def test_the_exchanges_list_shows_the_next_werkstatt_under_coming(web, world):
    quarterly(world.editor)
    login(web, world.viewer)
    upcoming = web.get("/exchanges").get_data(as_text=True)
    assert "Smart City-Werkstatt" in upcoming


def test_an_exchange_page_of_a_meeting_links_its_series_and_neighbours(web, world):
    series = quarterly(world.editor)
    made = meetings(series)
    login(web, world.viewer)
    page = web.get(f"/exchanges/{made[1].id}").get_data(as_text=True)
    assert f"/series/{series.id}" in page
    assert f"/exchanges/{made[0].id}" in page and f"/exchanges/{made[2].id}" in page


def test_deleting_and_restoring_a_series_on_its_pages(web, world):
    series = quarterly(world.editor)
    login(web, world.editor)
    assert web.get(f"/series/{series.id}/delete").status_code == 200
    assert post(web, f"/series/{series.id}/delete", {}).status_code == 302
    assert web.get(f"/series/{series.id}").status_code == 404
    assert post(web, f"/series/{series.id}/restore", {}).status_code == 302
    assert web.get(f"/series/{series.id}").status_code == 200


# -- API -------------------------------------------------------------------------------


def test_the_api_makes_a_series_and_lists_its_meetings(client, make):
    from tests.api_support import api_as

    api = api_as(make, client)
    start = timeutil.from_local(months_back(-1), time(14))
    created = api.post("/series", json={
        "title": "Werkstatt", "kind": "werkstatt", "rrule": QUARTERLY,
        "starts_at": start.isoformat(), "duration_minutes": 180})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["rrule"] == QUARTERLY and body["duration_minutes"] == 180
    assert created.headers["Location"].endswith(f"/api/v1/series/{body['id']}")
    listed = api.get(f"/series/{body['id']}/exchanges").get_json()["items"]
    assert len(listed) >= 4
    assert all(e["series_id"] == body["id"] for e in listed)
    assert listed[0]["recurrence_id"] == start.strftime("%Y%m%dT%H%M%SZ")
    assert api.get("/series").get_json()["items"][0]["id"] == body["id"]
    patched = api.patch(f"/series/{body['id']}", json={"title": "Neu", "version": 1})
    assert patched.status_code == 200 and patched.get_json()["title"] == "Neu"
    stale = api.patch(f"/series/{body['id']}", json={"title": "Alt", "version": 1})
    assert stale.status_code == 409
    assert api.delete(f"/series/{body['id']}").status_code == 204
    assert api.get(f"/series/{body['id']}").status_code == 404
    assert api.post(f"/series/{body['id']}/restore").status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"rrule": "FREQ=MONTHLY;BYDAY=1TH"}, "rrule"),  # the start is no first Thursday
    ({"rrule": "FREQ=HOURLY"}, "rrule"),
    ({"rrule": "BYDAY=1WE"}, "rrule"),
    ({"duration_minutes": -5}, "duration_minutes"),
    ({"starts_at": "2027-03-28T02:30:00+01:00"}, "starts_at"),
    ({"starts_at": None}, "starts_at"),
    ({"organisation_ids": [999999]}, "organisation_ids"),
])
def test_the_api_refuses_a_bad_series_with_a_problem(client, make, body, field):
    from tests.api_support import api_as, assert_problem

    api = api_as(make, client)
    start = timeutil.from_local(first_wednesday(2027, 2), time(14))
    sent = {"title": "Werkstatt", "rrule": QUARTERLY, "starts_at": start.isoformat(), **body}
    assert_problem(api.post("/series", json=sent), 422, field)
    assert db.session.scalar(select(Series)) is None


def test_a_viewer_cannot_write_series(client, make):
    from tests.api_support import api_as

    api = api_as(make, client, role="viewer")
    response = api.post("/series", json={"title": "X", "all_day": True,
                                         "start_date": "2027-01-01"})
    assert response.status_code == 403


# -- feeds -----------------------------------------------------------------------------


def test_a_feed_shows_every_meeting_at_its_own_time_across_both_switches(client, world):
    from tests.calendar_support import issue

    start = timeutil.from_local(date(2027, 2, 3), time(14))  # winter time, before March's
    with transaction():
        series = services.create_series(world.editor, title="Werkstatt", rrule=QUARTERLY,
                                        starts_at=start, duration_minutes=180,
                                        participant_ids=[world.viewer.id])
    made = meetings(series)
    assert [timeutil.to_local(m.starts_at).month for m in made[:4]] == [2, 5, 8, 11]
    moved, cancelled = made[1], made[2]
    with transaction():
        exchanges.move_exchange(moved, world.editor,
                                starts_at=timeutil.from_local(date(2027, 5, 6), time(9)),
                                ends_at=timeutil.from_local(date(2027, 5, 6), time(12)))
        exchanges.update_exchange(cancelled, world.editor, {"status": "cancelled"})
    body = client.get(f"/calendar/{issue(world.viewer)}.ics").data
    _cal, _vcal, items = parse_both(body)
    by_uid = {str(i["UID"]): i for i in items}
    thunderbird = parse_with_icaljs(body)
    for meeting in meetings(series):
        uid = f"exchange-{meeting.id}@tracker.test"
        item = by_uid[uid]
        assert item.decoded("DTSTART").astimezone(UTC) == meeting.starts_at
        assert thunderbird[uid]["start"] == meeting.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        expected = "CANCELLED" if meeting.id == cancelled.id else "CONFIRMED"
        assert str(item["STATUS"]) == expected
        assert "RRULE" not in item  # one VEVENT per meeting, each at its own time
    summer = by_uid[f"exchange-{made[2].id}@tracker.test"].decoded("DTSTART")
    winter = by_uid[f"exchange-{made[3].id}@tracker.test"].decoded("DTSTART")
    assert summer.hour == winter.hour == 14  # local 14:00 on either side of October's
    assert summer.utcoffset() != winter.utcoffset()
    assert by_uid[f"exchange-{moved.id}@tracker.test"].decoded("DTSTART").hour == 9


def test_the_series_pages_cost_the_same_queries_with_more_series(web, world):
    from tests.querycount import counting_queries

    def counts(n: int) -> dict[str, int]:
        made = [quarterly(world.editor, title=f"Reihe {i}",
                          participant_ids=[world.viewer.id], organisation_ids=[world.kiel.id])
                for i in range(n)]
        first = meetings(made[0])
        paths = ["/series", f"/series/{made[0].id}", f"/exchanges/{first[1].id}",
                 f"/series/{made[0].id}/edit"]
        found = {}
        for path in paths:
            with counting_queries() as statements:
                assert web.get(path).status_code == 200
            found[path.split("/")[1] + str(path.count("/"))] = len(statements)
        return found

    login(web, world.editor)
    web.get("/")
    assert counts(2) == counts(12)


def test_the_live_preview_says_the_rule_and_its_dates_and_survives_nonsense(web, world):
    login(web, world.viewer)
    start = months_back(-1)
    answer = web.get(f"/series/preview?starts_at={start}T14:00&frequency=quarterly"
                     "&interval=1&by_weekday=weekday&end=count&count=3")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "jeden ersten Mittwoch im Quartal, 3-mal" in text
    assert text.count("<li>") == 3
    for nonsense in ("starts_at=gestern&frequency=weekly", "interval=x&frequency=monthly",
                     "starts_at=2027-03-28T02:30&frequency=yearly",
                     f"starts_at={start}T14:00&frequency=monthly&interval=99999999",
                     "all_day=y&start_date=9999-12-31&frequency=yearly", ""):
        assert web.get(f"/series/preview?{nonsense}").status_code == 200, nonsense


def test_flask_series_extend_makes_the_missing_meetings(runner, world):
    series = quarterly(world.editor)
    first = meetings(series)
    with transaction():
        for meeting in first[2:]:
            db.session.delete(meeting)  # as if they had not been made yet
    result = runner.invoke(args=["series", "extend"])
    assert result.exit_code == 0, result.output
    assert f"Made {len(first) - 2} meeting(s)" in result.output
    assert len(meetings(series)) == len(first)


def test_the_first_request_of_a_day_makes_the_meetings_that_came_into_range(app, web, world):
    series = quarterly(world.editor)
    count = len(meetings(series))
    with transaction():
        for meeting in meetings(series)[-1:]:
            db.session.delete(meeting)
        db.session.execute(db.delete(services.SeriesUpkeep))
    app.extensions.pop("series_upkeep_on", None)
    login(web, world.viewer)
    assert web.get("/exchanges").status_code == 200
    assert len(meetings(series)) == count
    assert not services.upkeep_due()
