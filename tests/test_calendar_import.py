"""Importing invitations: the shapes Outlook, Google and Thunderbird send, and bad files."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.calendar_support import login
from tracker.calendar.imports import (
    MAX_IMPORT_BYTES,
    InvitationError,
    parse_invitation,
)
from tracker.exchanges.models import Exchange
from tracker.extensions import db

pytestmark = pytest.mark.usefixtures("english")

FIXTURES = Path(__file__).parent / "fixtures" / "ics"


@pytest.fixture
def rctx(ctx):
    """Messages are translated, so parsing runs inside a request."""
    with ctx.test_request_context(headers={"Accept-Language": "en"}):
        yield


def fixture(name: str) -> bytes:
    # The files are kept with LF line ends for reading; invitations come with CRLF.
    return (FIXTURES / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_outlook_invitation_with_windows_time_zone(rctx):
    (c,) = parse_invitation(fixture("outlook.ics"))
    assert c.title == "Governance-Workshop Kiel–Lübeck–Rostock"
    assert c.starts_at == datetime(2026, 7, 8, 8, tzinfo=UTC)  # 10:00 CEST
    assert c.ends_at == datetime(2026, 7, 8, 14, tzinfo=UTC)
    assert c.location == "Rathaus Rostock, Neuer Markt 1"
    assert c.description.startswith("Liebe Kolleginnen und Kollegen,\n\nwir laden ein")
    assert c.uid.startswith("040000008200E00074C5B7101A82E008")
    assert not c.all_day


def test_google_invitation_with_a_series(rctx):
    (c,) = parse_invitation(fixture("google.ics"))
    assert c.starts_at == datetime(2026, 1, 7, 13, tzinfo=UTC)  # 14:00 CET
    assert c.rrule == "FREQ=MONTHLY;BYDAY=1WE"
    assert c.uid == "7kukuqrfedlm2f9t7ldnmg4ul0@google.com"


def test_thunderbird_all_day_invitation_keeps_its_days(rctx):
    (c,) = parse_invitation(fixture("thunderbird.ics"))
    assert c.all_day
    assert (c.start_date, c.end_date) == (date(2026, 11, 3), date(2026, 11, 5))


def test_a_cancellation_and_an_event_with_a_duration(rctx):
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nUID:c-1\r\n"
        b"SUMMARY:Abgesagt\r\nDTSTART:20260301T090000Z\r\nDURATION:PT90M\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (c,) = parse_invitation(data)
    assert c.cancelled and c.fields()["status"] == "cancelled"
    assert c.ends_at - c.starts_at == timedelta(minutes=90)


def test_floating_times_are_the_team_s_wall_clock(rctx):
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:f-1\r\n"
        b"SUMMARY:Vor Ort\r\nDTSTART:20260701T100000\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (c,) = parse_invitation(data)
    assert c.starts_at == datetime(2026, 7, 1, 8, tzinfo=UTC)
    assert c.ends_at == datetime(2026, 7, 1, 9, tzinfo=UTC)


BAD_FILES = {
    "empty": (b"", "empty"),
    "blank": (b"  \r\n", "empty"),
    "not ical": (b"%PDF-1.7 binary junk", "not an iCalendar"),
    "html": (b"<html><body>BEGIN:VCALENDAR</body></html>", "not an iCalendar"),
    "broken": (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n", "not a readable"),
    "bad date": (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:d\r\n"
        b"DTSTART:2026-07-01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "not a valid date",
    ),
    "no event": (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:x\r\nEND:VTODO\r\n"
        b"END:VCALENDAR\r\n",
        "no event",
    ),
    "unknown zone": (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:z\r\nSUMMARY:x\r\n"
        b"DTSTART;TZID=Mars/Olympus_Mons:20260701T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "unknown time zone",
    ),
    "too large": (None, "too large"),
}


def bad_file(name: str, limit: int = MAX_IMPORT_BYTES) -> bytes:
    data = BAD_FILES[name][0]
    return data if data is not None else b"BEGIN:VCALENDAR\r\n" + b"X" * limit


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_get_a_clear_message(rctx, name):
    message = BAD_FILES[name][1]
    data = bad_file(name)
    with pytest.raises(InvitationError, match=message):
        parse_invitation(data)


@pytest.fixture
def editor(client, make):
    anna = make.user(role="editor")
    login(client, anna)
    return anna


def _csrf(client, path="/calendar/import") -> str:
    page = client.get(path).data.decode()
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _upload(client, data: bytes, csrf: str):
    return client.post(
        "/calendar/import",
        data={"csrf_token": csrf, "file": (io.BytesIO(data), "invite.ics")},
        content_type="multipart/form-data",
    )


def _exchanges() -> int:
    return db.session.scalar(select(func.count()).select_from(Exchange))


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_uploads_create_nothing(client, editor, name, monkeypatch):
    # A smaller limit keeps the test client's upload in memory.
    monkeypatch.setattr("tracker.calendar.imports.MAX_IMPORT_BYTES", 64 * 1024)
    csrf = _csrf(client)
    response = _upload(client, bad_file(name, 64 * 1024), csrf)
    assert response.status_code == 400
    assert b'role="alert"' in response.data
    assert _exchanges() == 0


def test_preview_then_save_then_reimport_updates(client, editor):
    csrf = _csrf(client)
    preview = _upload(client, fixture("outlook.ics"), csrf)
    assert preview.status_code == 200
    page = preview.data.decode()
    assert "Governance-Workshop Kiel–Lübeck–Rostock" in page
    assert "2026-07-08 10:00" in page  # shown in the team's time zone
    assert _exchanges() == 0  # a preview saves nothing
    encoded = re.search(r'id="ics" name="ics" type="hidden" value="([^"]+)"', page).group(1)
    uid = re.search(r'name="uid" value="([^"]+)"', page).group(1)
    response = client.post("/calendar/import/save",
                           data={"csrf_token": csrf, "ics": encoded, "uid": uid})
    assert response.status_code == 303
    exchange = db.session.scalar(select(Exchange))
    assert response.headers["Location"].endswith(f"/exchanges/{exchange.id}")
    assert exchange.title == "Governance-Workshop Kiel–Lübeck–Rostock"
    assert exchange.starts_at == datetime(2026, 7, 8, 8, tzinfo=UTC)
    # The organiser moves it an hour later and sends the invitation again.
    moved = fixture("outlook.ics").replace(b"T100000", b"T110000").replace(b"T160000", b"T170000")
    again = base64.b64encode(moved).decode()
    assert "imported before" in _upload(client, moved, csrf).data.decode()
    response = client.post("/calendar/import/save",
                           data={"csrf_token": csrf, "ics": again, "uid": uid})
    assert response.status_code == 303
    assert _exchanges() == 1
    db.session.expire_all()
    assert db.session.scalar(select(Exchange)).starts_at == datetime(2026, 7, 8, 9, tzinfo=UTC)


def test_a_file_with_several_events_lets_the_user_pick(client, editor):
    both = fixture("google.ics").replace(b"END:VCALENDAR\r\n", b"") + fixture(
        "thunderbird.ics"
    ).split(b"METHOD:REQUEST\r\n", 1)[1]
    csrf = _csrf(client)
    page = _upload(client, both, csrf).data.decode()
    assert page.count('type="radio" name="uid"') == 2
    encoded = re.search(r'id="ics" name="ics" type="hidden" value="([^"]+)"', page).group(1)
    unpicked = client.post("/calendar/import/save", data={"csrf_token": csrf, "ics": encoded})
    assert unpicked.status_code == 400 and _exchanges() == 0
    picked = client.post("/calendar/import/save", data={
        "csrf_token": csrf, "ics": encoded, "uid": "6b1d3f2e-1c4a-4b7e-9f3a-2d5c8e7a9b10"})
    assert picked.status_code == 303
    exchange = db.session.scalar(select(Exchange))
    assert exchange.title == "SCCON 2026" and exchange.all_day


def test_viewers_cannot_import(client, make):
    login(client, make.user(role="viewer"))
    assert client.get("/calendar/import").status_code == 403


def test_a_tampered_save_is_refused(client, editor):
    csrf = _csrf(client)
    response = client.post("/calendar/import/save",
                           data={"csrf_token": csrf, "ics": "!!not base64!!", "uid": "x"})
    assert response.status_code == 400
    assert _exchanges() == 0


def test_a_huge_upload_is_refused_while_reading(client, editor, monkeypatch):
    monkeypatch.setattr("tracker.calendar.imports.MAX_IMPORT_BYTES", 16 * 1024)
    csrf = _csrf(client)
    response = _upload(client, b"BEGIN:VCALENDAR\r\n" + b"X" * 200 * 1024, csrf)
    assert response.status_code == 413
    assert "too large" in response.data.decode()
    assert _exchanges() == 0


def test_the_importer_takes_part_in_the_new_exchange(client, editor):
    csrf = _csrf(client)
    page = _upload(client, fixture("thunderbird.ics"), csrf).data.decode()
    encoded = re.search(r'id="ics" name="ics" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/calendar/import/save", data={"csrf_token": csrf, "ics": encoded})
    exchange = db.session.scalar(select(Exchange))
    assert [p.id for p in exchange.participants] == [editor.id]


def test_an_upload_without_csrf_token_is_refused(client, editor):
    response = client.post(
        "/calendar/import",
        data={"file": (io.BytesIO(fixture("google.ics")), "invite.ics")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    response = client.post("/calendar/import/save", data={
        "ics": base64.b64encode(fixture("google.ics")).decode()})
    assert response.status_code == 400
    assert _exchanges() == 0


# --- series with exceptions, cancelling one occurrence, SEQUENCE, odd files (issue 12) ----


def _ics(*events: str, method: str = "REQUEST") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    text = (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nMETHOD:{method}\r\n"
            f"{body}END:VCALENDAR\r\n")
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


SERIES_UID = "jour-fixe-2026@example.org"
#: Weekly on Mondays 10:00 Berlin, across the switch to winter time; two dates dropped.
SERIES = f"""
UID:{SERIES_UID}
SEQUENCE:1
SUMMARY:Jour fixe
DTSTART;TZID=Europe/Berlin:20260907T100000
DTEND;TZID=Europe/Berlin:20260907T110000
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE;TZID=Europe/Berlin:20260914T100000,20260921T100000
"""
#: The 28 September meeting moved to Tuesday afternoon.
MOVED = f"""
UID:{SERIES_UID}
SEQUENCE:1
RECURRENCE-ID;TZID=Europe/Berlin:20260928T100000
SUMMARY:Jour fixe (verschoben)
DTSTART;TZID=Europe/Berlin:20260929T140000
DTEND;TZID=Europe/Berlin:20260929T150000
"""
#: The 5 October meeting does not take place.
CANCELLED = f"""
UID:{SERIES_UID}
SEQUENCE:1
RECURRENCE-ID;TZID=Europe/Berlin:20261005T100000
SUMMARY:Jour fixe
STATUS:CANCELLED
DTSTART;TZID=Europe/Berlin:20261005T100000
DTEND;TZID=Europe/Berlin:20261005T110000
"""


def _expanded(data: bytes) -> list[tuple[datetime, datetime]]:
    """Every occurrence that takes place, in UTC, as a calendar client expands the file."""
    import icalendar
    import recurring_ical_events

    calendar = icalendar.Calendar.from_ical(data)
    found = recurring_ical_events.of(calendar).between(datetime(2026, 1, 1), datetime(2027, 12, 31))
    return sorted(
        (e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC))
        for e in found
        if str(e.get("STATUS", "")).upper() != "CANCELLED"
    )


def _preview(client, csrf: str, data: bytes):
    response = _upload(client, data, csrf)
    page = response.data.decode()
    encoded = re.search(r'id="ics" name="ics" type="hidden" value="([^"]+)"', page)
    return response, page, encoded.group(1) if encoded else None


def _import(client, csrf: str, data: bytes):
    response, page, encoded = _preview(client, csrf, data)
    assert response.status_code == 200, page
    return client.post("/calendar/import/save", data={"csrf_token": csrf, "ics": encoded})


def _feed(client, person) -> bytes:
    from tests.calendar_support import issue

    response = client.get(f"/calendar/{issue(person)}.ics")
    assert response.status_code == 200
    return response.data


def test_a_series_keeps_its_dropped_moved_and_cancelled_dates(client, editor):
    invitation = _ics(SERIES, MOVED, CANCELLED)
    csrf = _csrf(client)
    page = _preview(client, csrf, invitation)[1]
    assert "Moved occurrences" in page and "2026-09-29 14:00" in page
    assert "Cancelled occurrences" in page and "2026-10-05 10:00" in page
    assert _import(client, csrf, invitation).status_code == 303
    expected = _expanded(invitation)
    assert len(expected) == 7  # ten, less two dropped and one cancelled
    moved = (datetime(2026, 9, 29, 12, tzinfo=UTC), datetime(2026, 9, 29, 13, tzinfo=UTC))
    assert moved in expected
    assert _expanded(_feed(client, editor)) == expected
    # The series and its moved occurrence: two exchanges, linked by the invitation's UID.
    uids = sorted(db.session.scalars(select(Exchange.import_uid)))
    assert uids == [SERIES_UID, f"{SERIES_UID}#20260928T080000Z"]
    # Importing the same file again changes nothing.
    assert _import(client, csrf, invitation).status_code == 303
    assert _exchanges() == 2
    assert _expanded(_feed(client, editor)) == expected


def test_cancelling_one_occurrence_takes_it_out_of_the_series(client, editor):
    csrf = _csrf(client)
    _import(client, csrf, _ics(SERIES, MOVED))
    cancel_one = _ics(  # as some clients send it: no DTSTART, the occurrence named only
        f"UID:{SERIES_UID}\nSEQUENCE:2\nRECURRENCE-ID;TZID=Europe/Berlin:20261019T100000\n"
        "SUMMARY:Jour fixe\nSTATUS:CANCELLED",
        method="CANCEL",
    )
    response, page, _encoded = _preview(client, csrf, cancel_one)
    assert response.status_code == 200
    assert "2026-10-19 10:00" in page and "applies these changes" in page
    assert _import(client, csrf, cancel_one).status_code == 303
    starts = [start for start, _end in _expanded(_feed(client, editor))]
    assert datetime(2026, 10, 19, 8, tzinfo=UTC) not in starts
    assert datetime(2026, 10, 12, 8, tzinfo=UTC) in starts
    assert _exchanges() == 2  # nothing new: the series lost one date
    # Cancelling the moved occurrence cancels the exchange it became.
    cancel_moved = _ics(
        f"UID:{SERIES_UID}\nSEQUENCE:2\nRECURRENCE-ID;TZID=Europe/Berlin:20260928T100000\n"
        "SUMMARY:Jour fixe\nDTSTART;TZID=Europe/Berlin:20260929T140000",
        method="CANCEL",
    )
    assert _import(client, csrf, cancel_moved).status_code == 303
    moved = db.session.scalar(
        select(Exchange).where(Exchange.import_uid == f"{SERIES_UID}#20260928T080000Z"))
    db.session.refresh(moved)
    assert moved.status == "cancelled"


@pytest.mark.parametrize("only_one_occurrence", [False, True])
def test_a_cancellation_of_something_never_imported_creates_nothing(
    client, editor, only_one_occurrence
):
    event = "UID:never-seen@example.org\nSUMMARY:Unbekannt\nDTSTART:20260301T090000Z"
    if only_one_occurrence:
        event += "\nRECURRENCE-ID:20260301T090000Z"
    data = _ics(event, method="CANCEL")
    csrf = _csrf(client)
    response, page, encoded = _preview(client, csrf, data)
    assert "there is nothing to cancel" in page
    assert "Save the exchange" not in page
    saved = client.post("/calendar/import/save", data={"csrf_token": csrf, "ics": encoded})
    assert saved.status_code == 400
    assert "there is nothing to cancel" in saved.data.decode()
    assert _exchanges() == 0


def test_an_older_invitation_does_not_overwrite_a_newer_one(client, editor):
    csrf = _csrf(client)
    newer = _ics("UID:seq@example.org\nSEQUENCE:3\nSUMMARY:Neuer Titel\nDTSTART:20260301T090000Z")
    older = _ics("UID:seq@example.org\nSEQUENCE:2\nSUMMARY:Alter Titel\nDTSTART:20260301T080000Z")
    assert _import(client, csrf, newer).status_code == 303
    page = _preview(client, csrf, older)[1]
    assert "A newer version of this invitation was imported before" in page
    response = _import(client, csrf, older)
    assert response.status_code == 303
    shown = client.get(response.headers["Location"]).data.decode()
    assert "it was kept" in shown
    exchange = db.session.scalar(select(Exchange))
    db.session.refresh(exchange)
    assert (exchange.title, exchange.import_sequence) == ("Neuer Titel", 3)
    assert exchange.starts_at == datetime(2026, 3, 1, 9, tzinfo=UTC)
    # A newer one still updates it.
    newest = _ics("UID:seq@example.org\nSEQUENCE:4\nSUMMARY:Neuester\nDTSTART:20260301T090000Z")
    assert _import(client, csrf, newest).status_code == 303
    db.session.refresh(exchange)
    assert (exchange.title, exchange.import_sequence) == ("Neuester", 4)


EXTREME = {
    "year 1": "DTSTART:00010101T000000Z",
    "year 9999": "DTSTART:99991231T235959Z",
    "end in 9999": "DTSTART:20260301T090000Z\nDTEND:99991231T235959Z",
    "all day in year 1": "DTSTART;VALUE=DATE:00010101",
    "huge duration": "DTSTART:20260301T090000Z\nDURATION:P99999999W",
    "exdate in 9999": "DTSTART:20260301T090000Z\nRRULE:FREQ=DAILY\nEXDATE:99991231T235959Z",
    "unreadable exdate": "DTSTART:20260301T090000Z\nRRULE:FREQ=DAILY\nEXDATE:garbage",
    "occurrence in year 1": "RECURRENCE-ID:00010101T000000Z",
}


@pytest.mark.parametrize("name", sorted(EXTREME))
def test_extreme_dates_are_refused_clearly(client, editor, name):
    data = _ics(f"UID:x@example.org\nSUMMARY:Extrem\n{EXTREME[name]}")
    response = _upload(client, data, _csrf(client))
    assert response.status_code == 400
    page = response.data.decode()
    assert 'role="alert"' in page
    reasons = ("between the years 1900 and 2999", "not valid", "not a valid")
    assert any(why in page for why in reasons)
    assert _exchanges() == 0


@pytest.mark.parametrize("encoding, bom", [
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf"),
    ("utf-16-le", b""),
])
def test_outlook_s_utf16_files_are_read(rctx, encoding, bom):
    text = _ics("UID:u16@example.org\nSUMMARY:Grüße aus Kiel\nDTSTART:20260301T090000Z")
    (c,) = parse_invitation(bom + text.decode().encode(encoding))
    assert c.title == "Grüße aus Kiel"


def test_what_cannot_be_imported_is_named_in_the_preview(client, editor):
    data = _ics(
        f"{SERIES}RDATE;TZID=Europe/Berlin:20261224T100000",
        f"UID:{SERIES_UID}\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20261012T100000\n"
        "SUMMARY:Jour fixe neu\nDTSTART;TZID=Europe/Berlin:20261012T120000",
    )
    page = _preview(client, _csrf(client), data)[1]
    assert "Not imported:" in page
    assert "RDATE" in page
    assert "2026-10-12 10:00 and all after it" in page


def test_exdates_are_checked_where_every_write_goes(ctx, make):
    from tracker.core.errors import InvalidField
    from tracker.exchanges.services import create_exchange

    anna = make.user(role="editor")
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for bad in ("2026-03-09", "20260309", "99990309T090000Z", "20261332T090000Z"):
        with pytest.raises(InvalidField) as caught:
            create_exchange(anna, title="x", starts_at=start, rrule="FREQ=WEEKLY", exdates=bad)
        assert caught.value.field == "exdates"
    with pytest.raises(InvalidField):
        create_exchange(anna, title="x", starts_at=start, import_sequence=-1)
    exchange = create_exchange(anna, title="x", starts_at=start, rrule="FREQ=WEEKLY",
                               exdates="20260316T090000Z, 20260309T090000Z,20260309T090000Z")
    assert exchange.exdates == "20260309T090000Z,20260316T090000Z"


def test_an_imported_series_survives_export_and_import(client, editor, tmp_path):
    from tests.db_support import empty_all_tables
    from tracker.calendar.models import CalendarState
    from tracker.transfer.dump import export_database, import_database

    invitation = _ics(SERIES, MOVED, CANCELLED)
    assert _import(client, _csrf(client), invitation).status_code == 303
    editor_id = editor.id
    target = tmp_path / "export.json"
    export_database(target)
    db.session.remove()
    empty_all_tables()
    db.session.execute(CalendarState.__table__.insert().values(id=1, counter=0))
    db.session.commit()
    import_database(target)
    series = db.session.scalar(select(Exchange).where(Exchange.import_uid == SERIES_UID))
    assert series.import_sequence == 1
    assert series.exdates == (
        "20260914T080000Z,20260921T080000Z,20260928T080000Z,20261005T080000Z"
    )
    from tracker.accounts.models import Person

    anna = db.session.get(Person, editor_id)
    assert _expanded(_feed(client, anna)) == _expanded(invitation)
