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
