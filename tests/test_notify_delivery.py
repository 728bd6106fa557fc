"""Sending the outbox: a refusing or absent server keeps the mail queued with back-off;
a later run delivers it exactly once; without a server, mail goes to the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.notify_support import Inbox, free_port, start_server
from tests.terminal_support import flask_command
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.notify.delivery import LEASE, MailConfigError, SmtpSettings, backoff
from tracker.notify.models import DigestRun, OutboxMessage
from tracker.notify.services import Mail, deliver_outbox, queue_message

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _queue(person, subject="Erinnerung") -> int:
    with transaction():
        msg = queue_message(
            person, Mail(subject=subject, text="Hallo\n", html="<p>Hallo</p>"), "digest"
        )
    return msg.id


def _row(message_id: int) -> OutboxMessage:
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def test_a_refusing_server_leaves_the_mail_queued_and_a_later_run_delivers_it_once(
    make, smtp_server
):
    message_id = _queue(make.person())
    smtp_server.refuse = True

    counts = deliver_outbox(T0)

    assert counts == {"sent": 0, "failed": 1, "pending": 1}
    row = _row(message_id)
    assert row.sent_at is None and row.attempts == 1
    assert "554" in row.last_error
    assert row.next_attempt_at == T0 + timedelta(minutes=1)

    smtp_server.refuse = False
    assert deliver_outbox(T0 + timedelta(seconds=30))["sent"] == 0  # still backing off
    assert deliver_outbox(T0 + timedelta(minutes=1))["sent"] == 1
    assert deliver_outbox(T0 + timedelta(hours=1))["sent"] == 0
    assert len(smtp_server.messages) == 1
    row = _row(message_id)
    assert row.sent_at is not None and row.last_error is None and row.attempts == 2


def test_a_refused_recipient_does_not_hold_up_the_others(make, smtp_server):
    smtp_server.unknown = {"gone@rostock.example"}
    refused = _queue(make.person(email="gone@rostock.example"))
    fine = _queue(make.person(email="here@rostock.example"))

    assert deliver_outbox(T0) == {"sent": 1, "failed": 1, "pending": 1}
    assert "550" in _row(refused).last_error and _row(refused).sent_at is None
    assert _row(fine).sent_at is not None
    assert smtp_server.recipients == [["here@rostock.example"]]


def test_a_server_that_is_down_leaves_the_mail_queued_with_growing_back_off(
    app, make, caplog
):
    inbox = Inbox(port=free_port())
    app.config["TRACKER_SMTP_URL"] = inbox.url  # nothing listens there yet
    first, second = _queue(make.person()), _queue(make.person())

    with caplog.at_level(logging.WARNING, logger="tracker.notify"):
        counts = deliver_outbox(T0)
        deliver_outbox(T0 + timedelta(minutes=1))
    # the connection failed: the run stops instead of failing every message in turn
    assert counts == {"sent": 0, "failed": 1, "pending": 2}
    assert "not sent" in caplog.text and "Connection" in caplog.text
    assert _row(first).attempts == 2
    assert _row(first).next_attempt_at == T0 + timedelta(minutes=1) + timedelta(minutes=2)

    controller = start_server(inbox)
    try:
        later = T0 + timedelta(minutes=5)
        assert deliver_outbox(later)["sent"] == 2
        assert deliver_outbox(later + timedelta(hours=1))["sent"] == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    assert _row(first).sent_at is not None and _row(second).sent_at is not None


def test_a_message_another_sender_holds_is_left_alone(make, smtp_server):
    message_id = _queue(make.person())
    with transaction():
        _row(message_id).next_attempt_at = T0 + LEASE  # claimed by a sender running now
    assert deliver_outbox(T0)["sent"] == 0
    assert smtp_server.messages == []


def test_without_a_server_mail_is_logged_and_counts_as_sent(app, make, caplog):
    app.config["TRACKER_SMTP_URL"] = None
    message_id = _queue(make.person(email="kai@luebeck.example"), subject="Ihre Aufgaben")
    with caplog.at_level(logging.INFO, logger="tracker.notify"):
        assert deliver_outbox(T0)["sent"] == 1
    assert "kai@luebeck.example" in caplog.text and "Ihre Aufgaben" in caplog.text
    assert "Hallo" in caplog.text
    assert _row(message_id).sent_at is not None


def test_the_password_is_not_sent_to_a_server_without_starttls(app, make, smtp_server):
    app.config["TRACKER_SMTP_URL"] = f"smtp://tracker:geheim@127.0.0.1:{smtp_server.port}"
    message_id = _queue(make.person())
    assert deliver_outbox(T0)["failed"] == 1
    assert "STARTTLS" in _row(message_id).last_error
    assert smtp_server.messages == []


def test_smtps_to_a_plain_server_fails_and_keeps_the_mail(app, make, smtp_server):
    app.config["TRACKER_SMTP_URL"] = f"smtps://127.0.0.1:{smtp_server.port}"
    app.config["TRACKER_SMTP_TIMEOUT"] = 5
    message_id = _queue(make.person())
    assert deliver_outbox(T0)["failed"] == 1
    assert _row(message_id).sent_at is None


def test_an_unusable_smtp_url_is_logged_and_nothing_is_lost(app, make, caplog):
    app.config["TRACKER_SMTP_URL"] = "http://mail.example"
    message_id = _queue(make.person())
    with caplog.at_level(logging.ERROR, logger="tracker.notify"):
        counts = deliver_outbox(T0)
    assert counts["sent"] == 0
    assert "smtp://" in caplog.text
    assert _row(message_id).sent_at is None


def test_sent_mail_is_purged_after_thirty_days(make, smtp_server):
    from tracker.notify.services import purge_sent

    old, fresh, queued = (_queue(make.person()) for _ in range(3))
    with transaction():
        _row(old).sent_at = T0 - timedelta(days=31)
        _row(fresh).sent_at = T0 - timedelta(days=29)
    with transaction():
        person = make.person()
        db.session.add_all([
            DigestRun(person_id=person.id, period="daily:2026-10-01",
                      created_at=T0 - timedelta(days=60)),
            DigestRun(person_id=person.id, period="daily:2026-11-30", created_at=T0),
        ])
    assert purge_sent(T0) == 1
    remaining = set(db.session.scalars(select(OutboxMessage.id)))
    assert remaining == {fresh, queued}
    assert db.session.scalars(select(DigestRun.period)).all() == ["daily:2026-11-30"]


def test_the_command_fails_loudly_when_the_smtp_url_is_unusable(app, runner, make):
    app.config["TRACKER_SMTP_URL"] = "mailto:ops@rostock.example"
    _queue(make.person())
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code != 0
    assert "TRACKER_SMTP_URL" in result.output


def test_a_database_failure_mid_run_is_logged_not_raised(
    make, smtp_server, monkeypatch, caplog
):
    from sqlalchemy.exc import OperationalError

    from tracker.notify import delivery

    message_id = _queue(make.person())

    def database_gone(*args):
        raise OperationalError("UPDATE notify_outbox", {}, Exception("server closed"))

    monkeypatch.setattr(delivery, "_claim", database_gone)
    with caplog.at_level(logging.ERROR, logger="tracker.notify"):
        counts = deliver_outbox(T0)
    assert counts["sent"] == 0 and "delivery stopped" in caplog.text
    assert _row(message_id).sent_at is None and smtp_server.messages == []


def test_smtp_urls():
    s = SmtpSettings.from_url("smtp://user%40rostock.de:p%3Ass@mail.rostock.de:587")
    assert (s.scheme, s.host, s.port, s.username, s.password) == (
        "smtp", "mail.rostock.de", 587, "user@rostock.de", "p:ss"
    )
    assert SmtpSettings.from_url("smtps://mail.example").port == 465
    assert SmtpSettings.from_url("smtp://mail.example").username is None
    with pytest.raises(MailConfigError):
        SmtpSettings.from_url("smtp://")


def test_back_off_doubles_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8)
    ]
    assert backoff(12) == timedelta(hours=6) and backoff(500) == timedelta(hours=6)


def test_the_commands_send_once_however_often_they_run(app, make, runner, smtp_server):
    from tracker.core.timeutil import today

    person = make.user(role="viewer", digest="daily")
    make.task(owner_id=person.id, due_date=today() - timedelta(days=2))
    make.task(owner_id=person.id, due_date=today() + timedelta(days=1))

    first = runner.invoke(args=["notify", "digests"])
    second = runner.invoke(args=["notify", "digests"])
    send = runner.invoke(args=["notify", "send"])

    assert first.exit_code == 0, first.output
    assert "Digests: 1 queued" in first.output
    assert "Sent 1 mail(s)" in first.output
    assert second.exit_code == 0 and "1 already sent in this period" in second.output
    assert "Sent 0 mail(s)" in second.output
    assert send.exit_code == 0 and "Sent 0 mail(s); 0 failed and stay queued; 0 waiting" in (
        send.output
    )
    assert len(smtp_server.messages) == 1
    assert None not in db.session.scalars(select(OutboxMessage.sent_at)).all()


def test_digests_without_sending_leaves_them_to_notify_send(app, make, runner, smtp_server):
    from tracker.core.timeutil import today

    person = make.user(role="viewer", digest="daily")
    make.task(owner_id=person.id, due_date=today() - timedelta(days=2))
    result = runner.invoke(args=["notify", "digests", "--no-send"])
    assert result.exit_code == 0 and "Sent" not in result.output
    assert smtp_server.messages == []
    assert "Sent 1 mail(s)" in runner.invoke(args=["notify", "send"]).output
    assert len(smtp_server.messages) == 1


def test_digests_show_their_progress_on_a_terminal_only(
    app, make, smtp_server, database_url
):
    from tracker.core.timeutil import today

    for _ in range(2):
        person = make.user(role="viewer", digest="daily")
        make.task(owner_id=person.id, due_date=today() - timedelta(days=2))
    db.session.commit()
    shown = flask_command(database_url, "notify", "digests", terminal=True,
                          TRACKER_SMTP_URL=smtp_server.url)
    assert "Digests: 2 queued" in shown.stdout and "Sent 2 mail(s)" in shown.stdout
    assert "Preparing digests" in shown.stderr and "2/2" in shown.stderr
    assert "Sending mail" in shown.stderr
    quiet = flask_command(database_url, "notify", "digests", terminal=False,
                          TRACKER_SMTP_URL=smtp_server.url)
    assert "2 already sent in this period" in quiet.stdout and quiet.stderr == ""
    assert len(smtp_server.messages) == 2
