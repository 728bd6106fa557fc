"""The digest: what is overdue, due within a week, and the next exchanges, in the
recipient's language; once per period; nothing when there is nothing to report."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.notify_support import parts
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.notify.models import DigestRun, OutboxMessage
from tracker.notify.services import build_digest, deliver_outbox, send_due_digests
from tracker.tasks.services import cancel_task, complete_task, delete_task

MONDAY = date(2026, 11, 30)
#: 07:00 in Rostock on that Monday.
MONDAY_MORNING = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
TUESDAY_MORNING = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def _outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


@pytest.fixture
def anna(make):
    """Anna (German), with one overdue task, two due this week, one far off, one workshop."""
    person = make.user(
        role="viewer", name="Anna Schmidt", email="anna@rostock.example", locale="de"
    )
    exchange = make.exchange(
        title="Städtenetzwerk Werkstatt",
        starts_at=datetime(2026, 12, 3, 9, tzinfo=UTC),
        location="Rathaus Rostock",
        participant_ids=[person.id],
    )
    make.task(title="Protokoll verschicken", owner_id=person.id, due_date=date(2026, 11, 20),
              exchange_id=exchange.id)
    make.task(title="Workshop vorbereiten", owner_id=person.id, due_date=date(2026, 12, 2),
              due_time=time(14, 30))
    make.task(title="Raum buchen", owner_id=person.id, due_date=date(2026, 12, 2))
    make.task(title="Bericht an Kiel", owner_id=person.id, due_date=date(2026, 12, 6))
    make.task(title="Später einmal", owner_id=person.id, due_date=date(2026, 12, 20))
    return person


def test_digest_in_german_groups_overdue_the_week_and_exchanges(anna):
    mail = build_digest(anna, MONDAY, "weekly")

    assert mail.subject == "Ihre Folgeaufgaben in der Woche ab 30.11.2026"
    body = mail.text
    assert body.startswith("Hallo Anna Schmidt,")
    assert "1 überfällig, 3 in den nächsten 7 Tagen fällig." in body
    overdue = body.index("== Überfällig ==")
    soon = body.index("== Fällig in den nächsten 7 Tagen ==")
    exchanges = body.index("== Ihre nächsten Austauschtermine ==")
    assert overdue < body.index("Protokoll verschicken") < soon
    assert "seit 10 Tagen überfällig" in body
    assert "aus: Städtenetzwerk Werkstatt" in body
    # grouped by day, in date order; the time shown in the team's zone
    wednesday = body.index("Mittwoch, 2. Dezember 2026")
    assert soon < wednesday < body.index("Workshop vorbereiten (14:30)")
    assert body.index("Raum buchen") < body.index("Sonntag, 6. Dezember 2026")
    assert body.index("Sonntag, 6. Dezember 2026") < body.index("Bericht an Kiel") < exchanges
    assert "Später einmal" not in body
    assert "Städtenetzwerk Werkstatt (10:00, Rathaus Rostock)" in body[exchanges:]
    # links back to the tracker, and to the settings
    assert "https://tracker.test/tasks/" in body
    assert "https://tracker.test/exchanges/" in body
    assert "https://tracker.test/notify/settings/" in body
    assert mail.unsubscribe_url.startswith("https://tracker.test/notify/settings/")

    html = mail.html
    assert '<html lang="de">' in html
    assert "<h2" in html and "Überfällig" in html and "Mittwoch, 2. Dezember 2026" in html
    assert 'href="https://tracker.test/tasks/' in html


def test_digest_in_english(make):
    lea = make.user(role="viewer", name="Lea Hoffmann", locale="en", digest="daily")
    make.task(title="Send the minutes", owner_id=lea.id, due_date=date(2026, 11, 29))
    make.task(title="Book the room", owner_id=lea.id, due_date=date(2026, 12, 1))

    mail = build_digest(lea, MONDAY, "daily")

    assert mail.subject == "Your follow-ups on Nov 30, 2026"
    assert mail.text.startswith("Hello Lea Hoffmann,\n\nhere is your daily overview.")
    assert "1 overdue, 1 due in the next 7 days." in mail.text
    assert mail.text.index("== Overdue ==") < mail.text.index("Send the minutes")
    assert "1 day overdue" in mail.text
    assert "Tuesday, December 1, 2026 (tomorrow)" in mail.text
    assert "Überfällig" not in mail.text and "Overdue" in mail.html
    assert '<html lang="en">' in mail.html


def test_html_part_escapes_titles(make):
    person = make.user(role="viewer", )
    make.task(title="<script>alert(1)</script> & Co", owner_id=person.id,
              due_date=date(2026, 12, 1))
    mail = build_digest(person, MONDAY, "weekly")
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "<script>alert(1)</script> & Co" in mail.text


def test_nothing_to_report_means_no_mail(make):
    person = make.user(role="viewer", digest="daily")
    other = make.user(role="viewer", )
    make.task(owner_id=other.id, due_date=date(2026, 11, 20))  # someone else's
    make.task(owner_id=person.id, due_date=date(2026, 12, 24))  # beyond the week
    make.task(owner_id=person.id, due_date=None)  # no due date
    done = make.task(owner_id=person.id, due_date=date(2026, 11, 20))
    cancelled = make.task(owner_id=person.id, due_date=date(2026, 12, 1))
    deleted = make.task(owner_id=person.id, due_date=date(2026, 12, 1))
    with transaction():
        complete_task(done, None)
        cancel_task(cancelled, None)
        delete_task(deleted, None)
    make.exchange(title="Not mine", starts_at=datetime(2026, 12, 1, 9, tzinfo=UTC))

    assert build_digest(person, MONDAY, "daily") is None
    counts = send_due_digests(TUESDAY_MORNING)
    assert counts["queued"] == 0
    assert _outbox_count() == 0


def test_an_exchange_alone_is_worth_a_digest_and_recurring_ones_count(make):
    person = make.user(role="viewer", locale="en")
    make.exchange(
        title="Monthly Werkstatt",
        starts_at=datetime(2026, 1, 7, 15, tzinfo=UTC),
        rrule="FREQ=MONTHLY;BYDAY=1WE",
        participant_ids=[person.id],
    )
    mail = build_digest(person, MONDAY, "weekly")
    assert mail is not None
    assert "Wednesday, December 2, 2026" in mail.text
    assert "Monthly Werkstatt (16:00)" in mail.text


def test_digests_go_out_daily_or_on_mondays_per_setting(make):
    daily = make.user(role="viewer", digest="daily")
    weekly = make.user(role="viewer", digest="weekly")
    never = make.user(role="viewer", digest="never")
    for person in (daily, weekly, never):
        make.task(owner_id=person.id, due_date=date(2026, 11, 20))

    assert send_due_digests(TUESDAY_MORNING)["queued"] == 1
    assert send_due_digests(datetime(2026, 12, 7, 6, tzinfo=UTC))["queued"] == 2
    recipients = db.session.scalars(select(OutboxMessage.person_id)).all()
    assert sorted(recipients) == sorted([daily.id, daily.id, weekly.id])


def test_people_without_a_login_get_no_digest_and_no_note(make):
    """Partners recorded as owners never chose a digest and cannot follow the links."""
    from tracker.tasks.services import create_task

    partner = make.person(name="Jan Thomsen", email="jan@kiel.example", digest="daily")
    editor = make.user()
    make.task(owner_id=partner.id, due_date=date(2026, 11, 20))
    with transaction():
        create_task(editor, title="Bericht schicken", owner_id=partner.id)
    assert send_due_digests(TUESDAY_MORNING)["queued"] == 0
    assert _outbox_count() == 0


def test_a_second_run_in_the_same_period_sends_nothing(make, smtp_server):
    person = make.user(role="viewer", digest="weekly")
    make.task(owner_id=person.id, due_date=date(2026, 12, 1))

    first = send_due_digests(MONDAY_MORNING)
    deliver_outbox(MONDAY_MORNING)
    second = send_due_digests(datetime(2026, 11, 30, 18, tzinfo=UTC))
    deliver_outbox(datetime(2026, 11, 30, 18, tzinfo=UTC))
    later_that_week = send_due_digests(datetime(2026, 12, 2, 6, tzinfo=UTC))

    assert first["queued"] == 1
    assert second == {"queued": 0, "nothing_due": 0, "already_sent": 1}
    assert later_that_week["queued"] == 0
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == person.email
    assert message["Subject"].startswith("Ihre Folgeaufgaben")
    assert message["List-Unsubscribe"].startswith("<https://tracker.test/notify/settings/")
    found = parts(message)
    assert "Folgeaufgabe" in found["text/plain"] and "<ul" in found["text/html"]


def test_the_database_refuses_a_second_digest_run_for_the_same_period(make):
    person = make.user(role="viewer", )
    with transaction():
        db.session.add(DigestRun(person_id=person.id, period="weekly:2026-W49"))
    with pytest.raises(IntegrityError):
        with transaction():
            db.session.add(DigestRun(person_id=person.id, period="weekly:2026-W49"))
            db.session.flush()


def test_a_run_that_loses_the_race_queues_nothing(make, monkeypatch):
    """Another run inserted the digest row between our check and our insert."""
    import tracker.notify.services as services

    person = make.user(role="viewer", digest="daily")
    make.task(owner_id=person.id, due_date=date(2026, 12, 1))
    original = services.build_digest

    def build_while_another_run_wins(p, on_date, frequency=None):
        mail = original(p, on_date, frequency)
        with db.engine.begin() as conn:  # the other cron run, on its own connection
            conn.execute(
                DigestRun.__table__.insert().values(
                    person_id=p.id, period=f"daily:{on_date.isoformat()}",
                    created_at=datetime.now(UTC),
                )
            )
        return mail

    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises the two writers; the race cannot happen there")
    monkeypatch.setattr(services, "build_digest", build_while_another_run_wins)
    counts = send_due_digests(TUESDAY_MORNING)
    assert counts["queued"] == 0 and counts["already_sent"] == 1
    assert _outbox_count() == 0
