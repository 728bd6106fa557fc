"""What a feed holds, parsed back by icalendar and by vobject."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.calendar_support import issue, items_by_uid, parse_both
from tracker.calendar.items import one_line
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.tasks.models import Task

pytestmark = pytest.mark.usefixtures("english")


def fetch(client, token: str, **headers):
    response = client.get(f"/calendar/{token}.ics", headers=headers)
    assert response.status_code == 200, response.data[:300]
    return response


def test_calendar_properties_come_first_and_there_is_no_calendar_uid(client, make):
    anna = make.user(name="Anna")
    body = fetch(client, issue(anna)).data
    cal, vcal, _items = parse_both(body)
    assert "UID" not in cal
    head = body.split(b"BEGIN:VTIMEZONE")[0]
    assert b"\r\nNAME:Follow-ups: Anna\r\n" in head
    assert b"\r\nX-WR-CALNAME:Follow-ups: Anna\r\n" in head
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in head
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in head
    assert b"DESCRIPTION:" in head and b"X-WR-CALDESC:" in head
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert vcal.name == "VCALENDAR"


def test_a_name_with_a_line_break_is_escaped_not_fatal(client, make):
    anna = make.user(name="Anna")
    body = fetch(client, issue(anna, name="Zeile eins\nBEGIN:VEVENT")).data
    cal, _vcal, items = parse_both(body)
    assert str(cal["X-WR-CALNAME"]) == "Zeile eins BEGIN:VEVENT"
    assert items == []


def test_timed_exchange_has_tzid_vtimezone_and_dst_is_right(client, make):
    anna = make.user()
    summer = make.exchange(title="Sommer", starts_at=datetime(2026, 7, 1, 8, tzinfo=UTC),
                           ends_at=datetime(2026, 7, 1, 10, tzinfo=UTC),
                           location="Rathaus, Raum 1; Rostock", participant_ids=[anna.id])
    winter = make.exchange(title="Winter", starts_at=datetime(2026, 1, 14, 9, tzinfo=UTC),
                           ends_at=datetime(2026, 1, 14, 10, tzinfo=UTC),
                           participant_ids=[anna.id])
    body = fetch(client, issue(anna)).data
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin" in body
    assert b"DTSTART;TZID=Europe/Berlin:20260701T100000" in body
    assert b"DTSTART;TZID=Europe/Berlin:20260114T100000" in body
    items = items_by_uid(body)
    s = items[f"exchange-{summer.id}@tracker.test"]
    w = items[f"exchange-{winter.id}@tracker.test"]
    assert s.decoded("DTSTART").astimezone(UTC) == datetime(2026, 7, 1, 8, tzinfo=UTC)
    assert w.decoded("DTSTART").astimezone(UTC) == datetime(2026, 1, 14, 9, tzinfo=UTC)
    assert str(s["LOCATION"]) == "Rathaus, Raum 1; Rostock"
    assert str(s["URL"]) == f"https://tracker.test/exchanges/{summer.id}"
    assert str(s["STATUS"]) == "CONFIRMED"


def test_all_day_exchange_has_exclusive_end_and_is_not_shifted(client, make):
    anna = make.user()
    ex = make.exchange(title="SCCON", all_day=True, start_date=date(2026, 11, 3),
                       end_date=date(2026, 11, 5), participant_ids=[anna.id])
    item = items_by_uid(fetch(client, issue(anna)).data)[f"exchange-{ex.id}@tracker.test"]
    assert item.decoded("DTSTART") == date(2026, 11, 3)
    assert item.decoded("DTEND") == date(2026, 11, 6)
    assert item["DTSTART"].params.get("VALUE") == "DATE" or b"VALUE=DATE" in item.to_ical()


def test_series_cancelled_and_outcomes(client, make):
    anna = make.user()
    series = make.exchange(title="Werkstatt", rrule="FREQ=MONTHLY;BYDAY=1WE",
                           starts_at=datetime(2026, 12, 2, 13, tzinfo=UTC),
                           participant_ids=[anna.id])
    make.outcome(series, text="Lübeck, Kiel und Rostock halten einen Workshop")
    make.outcome(series, text="Zweites Ergebnis")
    off = make.exchange(title="Abgesagt", status="cancelled", participant_ids=[anna.id])
    items = items_by_uid(fetch(client, issue(anna)).data)
    s = items[f"exchange-{series.id}@tracker.test"]
    assert s["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=1WE"
    description = str(s["DESCRIPTION"])
    assert "- Lübeck, Kiel und Rostock halten einen Workshop" in description
    assert "- Zweites Ergebnis" in description
    assert description.endswith(f"https://tracker.test/exchanges/{series.id}")
    assert str(items[f"exchange-{off.id}@tracker.test"]["STATUS"]) == "CANCELLED"


def test_tasks_are_all_day_or_timed_events_with_title_and_reminder(client, make):
    anna = make.user(name="Anna")
    all_day = make.task(owner_id=anna.id, title="Protokoll senden", due_date=date(2026, 12, 10))
    timed = make.task(owner_id=anna.id, title="Anrufen", due_date=date(2026, 12, 11),
                      due_time=time(14, 30))
    items = items_by_uid(fetch(client, issue(anna)).data)
    a = items[f"task-{all_day.id}@tracker.test"]
    assert a.decoded("DTSTART") == date(2026, 12, 10)
    assert a.decoded("DTEND") == date(2026, 12, 11)
    # My own feed: the title alone, no "Task for Anna".
    assert str(a["SUMMARY"]) == "Protokoll senden"
    assert str(a["TRANSP"]) == "TRANSPARENT"
    assert str(a["DESCRIPTION"]).endswith(f"https://tracker.test/tasks/{all_day.id}")
    alarm = a.subcomponents[0]
    assert alarm.name == "VALARM"
    # 900 minutes before the due day's midnight: 09:00 the day before.
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=900)
    t = items[f"task-{timed.id}@tracker.test"]
    start = t.decoded("DTSTART")
    assert start.replace(tzinfo=None) == datetime(2026, 12, 11, 14, 30)
    assert start.utcoffset() == timedelta(hours=1)
    assert str(t["DTSTART"].params["TZID"]) == "Europe/Berlin"
    assert t.subcomponents[0].decoded("TRIGGER") == -timedelta(minutes=900 + 14 * 60 + 30)


def test_a_reminder_on_the_day_itself_rings_at_eight(client, make):
    """'On the day at 08:00' is -480 minutes: after the due day's midnight, in both parsers."""
    from tracker.accounts.services import update_person

    anna = make.user(name="Anna")
    with transaction():
        update_person(db.session.merge(anna), None, {"reminder_minutes": -480})
    task = make.task(owner_id=anna.id, title="Protokoll senden", due_date=date(2026, 12, 10))
    timed = make.task(owner_id=anna.id, title="Anrufen", due_date=date(2026, 12, 11),
                      due_time=time(14, 30))
    _cal, vcal, _items = parse_both(fetch(client, issue(anna)).data)
    by_uid = {str(c.uid.value): c for c in vcal.getChildren() if c.name == "VEVENT"}
    alarm = by_uid[f"task-{task.id}@tracker.test"].valarm
    assert alarm.trigger.value == timedelta(hours=8)  # 08:00 on the due day
    alarm = by_uid[f"task-{timed.id}@tracker.test"].valarm
    assert alarm.trigger.value == -timedelta(hours=6, minutes=30)  # 08:00, before 14:30


def test_no_reminder_when_the_owner_wants_none(client, make):
    anna = make.user()
    with transaction():
        # Set directly: create_person(reminder_minutes=None) still stores the column
        # default 900 (a foundation issue, reported).
        db.session.merge(anna).reminder_minutes = None
    make.task(owner_id=anna.id)
    (item,) = items_by_uid(fetch(client, issue(anna)).data).values()
    assert item.subcomponents == []


def test_personal_feed_holds_only_my_tasks_and_my_exchanges(client, make):
    anna, ben = make.user(name="Anna"), make.user(name="Ben")
    mine = make.task(owner_id=anna.id, title="Meins")
    make.task(owner_id=ben.id, title="Bens")
    my_ex = make.exchange(title="Mit Anna", participant_ids=[anna.id])
    make.exchange(title="Ohne Anna", participant_ids=[ben.id])
    uids = set(items_by_uid(fetch(client, issue(anna)).data))
    assert uids == {f"task-{mine.id}@tracker.test", f"exchange-{my_ex.id}@tracker.test"}


def test_team_feed_exchange_feed_and_view_feed(client, make):
    anna, ben = make.user(), make.user()
    ex = make.exchange()
    other = make.exchange()
    t1 = make.task(owner_id=anna.id, exchange_id=ex.id)
    t2 = make.task(owner_id=ben.id, exchange_id=other.id)
    done = make.task(owner_id=ben.id)
    from tracker.tasks.services import complete_task

    with transaction():
        complete_task(done, None)
    team = set(items_by_uid(fetch(client, issue(anna, "team")).data))
    assert team == {f"exchange-{ex.id}@tracker.test", f"exchange-{other.id}@tracker.test",
                    f"task-{t1.id}@tracker.test", f"task-{t2.id}@tracker.test"}
    per_ex = set(items_by_uid(fetch(client, issue(anna, "exchange", exchange_id=ex.id)).data))
    assert per_ex == {f"exchange-{ex.id}@tracker.test", f"task-{t1.id}@tracker.test"}
    view = set(items_by_uid(fetch(client, issue(anna, "view", query=f"owner_id={ben.id}")).data))
    assert view == {f"task-{t2.id}@tracker.test"}
    kept = items_by_uid(fetch(client, issue(anna, "team", keep_done=True)).data)
    assert str(kept[f"task-{done.id}@tracker.test"]["SUMMARY"]).startswith("Done: ")
    assert str(kept[f"task-{done.id}@tracker.test"]["SUMMARY"]).endswith(f"({ben.name})")


def test_vtodo_option_carries_completion_fields(client, make):
    anna = make.user(name="Anna")
    open_task = make.task(owner_id=anna.id, title="Offen")
    done = make.task(owner_id=anna.id, title="Erledigt", due_date=None)
    from tracker.tasks.services import complete_task

    with transaction():
        complete_task(done, None)
    body = fetch(client, issue(anna, vtodo=True, keep_done=True)).data
    items = items_by_uid(body)
    o, d = items[f"task-{open_task.id}@tracker.test"], items[f"task-{done.id}@tracker.test"]
    assert o.name == d.name == "VTODO"
    assert o.decoded("DUE") == date(2026, 12, 10)
    assert str(o["STATUS"]) == "NEEDS-ACTION" and int(o["PERCENT-COMPLETE"]) == 0
    assert str(d["STATUS"]) == "COMPLETED" and int(d["PERCENT-COMPLETE"]) == 100
    assert d.decoded("COMPLETED") == done.completed_at.replace(microsecond=0) or abs(
        d.decoded("COMPLETED") - done.completed_at
    ) < timedelta(seconds=1)
    assert b"COMPLETED:" + done.completed_at.strftime("%Y%m%dT%H%M%SZ").encode() in body
    assert "DUE" not in d


def test_overdue_tasks_move_to_today_with_a_prefix(client, make, monkeypatch):
    anna = make.user()
    late = make.task(owner_id=anna.id, due_date=date(2026, 11, 1))
    soon = make.task(owner_id=anna.id, due_date=date(2026, 12, 24))
    monkeypatch.setattr("tracker.core.timeutil.today", lambda: date(2026, 11, 26))
    items = items_by_uid(fetch(client, issue(anna, overdue_today=True)).data)
    moved = items[f"task-{late.id}@tracker.test"]
    assert moved.decoded("DTSTART") == date(2026, 11, 26)
    assert str(moved["SUMMARY"]).startswith("Overdue since Nov 1, 2026: ")
    assert items[f"task-{soon.id}@tracker.test"].decoded("DTSTART") == date(2026, 12, 24)
    plain = items_by_uid(fetch(client, issue(anna)).data)
    assert plain[f"task-{late.id}@tracker.test"].decoded("DTSTART") == date(2026, 11, 1)


def test_uids_are_stable_and_sequence_and_last_modified_grow(client, make):
    from tracker.tasks.services import update_task

    anna = make.user()
    task = make.task(owner_id=anna.id, title="Vorher")
    token = issue(anna)
    first = items_by_uid(fetch(client, token).data)
    again = items_by_uid(fetch(client, token).data)
    assert set(first) == set(again) == {f"task-{task.id}@tracker.test"}
    before = first[f"task-{task.id}@tracker.test"]
    assert int(before["SEQUENCE"]) == 0
    with transaction():
        update_task(db.session.get(Task, task.id), None, {"title": "Nachher"})
    after = items_by_uid(fetch(client, token).data)[f"task-{task.id}@tracker.test"]
    assert int(after["SEQUENCE"]) == 1
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED") or (
        after.decoded("LAST-MODIFIED") >= before.decoded("LAST-MODIFIED")
        and "Nachher" in str(after["SUMMARY"])
    )
    assert "Nachher" in str(after["SUMMARY"])
    assert before.decoded("CREATED") == after.decoded("CREATED")
    assert after.decoded("DTSTAMP") == after.decoded("LAST-MODIFIED")


HOSTILE_TITLE = (
    "Zeile\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Eingeschleust, mit; Komma \\ Backslash"
    " äöüß Grüße 🎉\x07\x1b"
)


def test_hostile_text_comes_back_intact_as_one_item(client, make):
    anna = make.user()
    long_description = ("Ünïcode, ; \\ 🚲 " * 700)[:10_000]
    with transaction():
        # Straight into the table: the services refuse control characters, a feed must
        # survive them anyway (imports, old data, other writers).
        task = Task(title=HOSTILE_TITLE, description=long_description, owner_id=anna.id,
                    due_date=date(2026, 12, 10), status="open")
        db.session.add(task)
    ex = make.exchange(title="Titel, mit; Zeichen \\ 🎉", location="Ort; mit, Zeichen",
                       description="Zeile 1\nEND:VCALENDAR\nZeile 3",
                       participant_ids=[anna.id])
    for options in ({}, {"vtodo": True}):
        body = fetch(client, issue(anna, **options)).data
        lines = body.split(b"\r\n")
        assert lines.count(b"BEGIN:VEVENT") + lines.count(b"BEGIN:VTODO") == 2
        assert lines.count(b"END:VCALENDAR") == 1
        items = items_by_uid(body)
        t = items[f"task-{task.id}@tracker.test"]
        expected = one_line(HOSTILE_TITLE)
        assert expected in str(t["SUMMARY"])
        assert "\x07" not in str(t["SUMMARY"]) and "\x1b" not in str(t["SUMMARY"])
        assert "BEGIN:VEVENT" in str(t["SUMMARY"]) and "äöüß Grüße 🎉" in str(t["SUMMARY"])
        assert str(t["DESCRIPTION"]).startswith(long_description.strip())
        e = items.get(f"exchange-{ex.id}@tracker.test")
        if e is not None:
            assert str(e["SUMMARY"]) == "Titel, mit; Zeichen \\ 🎉"
            assert str(e["LOCATION"]) == "Ort; mit, Zeichen"
            assert str(e["DESCRIPTION"]).startswith("Zeile 1\nEND:VCALENDAR\nZeile 3")
    for line in body.split(b"\r\n"):
        assert len(line) <= 75


@pytest.mark.parametrize("kind", ["exchange", "task"])
def test_single_item_downloads(client, make, kind):
    from tests.calendar_support import login

    anna = make.user()
    record = make.exchange(title="Eins") if kind == "exchange" else make.task(owner_id=anna.id)
    path = f"/{kind}s/{record.id}.ics"
    if "accounts.login" in client.application.view_functions:  # the web side's login page
        assert client.get(path).status_code == 302
    login(client, anna)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    _cal, _v, items = parse_both(response.data)
    assert [str(i["UID"]) for i in items] == [f"{kind}-{record.id}@tracker.test"]
    assert client.get(f"/{kind}s/999999.ics").status_code == 404


def test_an_outcome_change_grows_the_exchange_s_sequence_and_last_modified(client, make):
    from tracker.exchanges.services import update_outcome

    anna = make.user()
    ex = make.exchange(participant_ids=[anna.id])
    token = issue(anna)
    uid = f"exchange-{ex.id}@tracker.test"
    before = items_by_uid(fetch(client, token).data)[uid]
    assert int(before["SEQUENCE"]) == 0
    outcome = make.outcome(ex, text="Erstes Ergebnis")
    added = items_by_uid(fetch(client, token).data)[uid]
    assert int(added["SEQUENCE"]) == 1
    assert added.decoded("LAST-MODIFIED") >= before.decoded("LAST-MODIFIED")
    with transaction():
        update_outcome(outcome, None, {"text": "Geändertes Ergebnis"})
    edited = items_by_uid(fetch(client, token).data)[uid]
    assert int(edited["SEQUENCE"]) == 2
    assert "Geändertes Ergebnis" in str(edited["DESCRIPTION"])
    assert edited.decoded("LAST-MODIFIED") >= added.decoded("LAST-MODIFIED")


def test_a_task_without_a_due_date_downloads_as_a_to_do(client, make):
    from tests.calendar_support import login

    anna = make.user()
    task = make.task(owner_id=anna.id, due_date=None, title="Persona-Material schicken")
    login(client, anna)
    response = client.get(f"/tasks/{task.id}.ics")
    assert response.status_code == 200
    _cal, _v, items = parse_both(response.data)
    assert [(i.name, str(i["SUMMARY"])) for i in items] == [
        ("VTODO", "Persona-Material schicken")]
    assert "DUE" not in items[0]
