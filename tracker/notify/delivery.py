"""Sending the outbox: SMTP (STARTTLS or implicit TLS), or the log when none is configured.

A message is claimed (attempts + 1, not before now + LEASE) in its own committed
transaction before it is handed to the server, so two senders never send the same
message. A failure leaves it queued with exponential back-off; nothing here raises.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult

from tracker.core.database import transaction
from tracker.core.model import utcnow
from tracker.core.progress import Progress
from tracker.core.urls import base_url
from tracker.extensions import db
from tracker.notify.models import OutboxMessage

log = logging.getLogger("tracker.notify")


def mail_host() -> str:
    """The tracker's host name: the sender's domain and the domain of message ids."""
    return urlsplit(base_url()).hostname or "localhost"


def mail_from() -> str:
    """TRACKER_MAIL_FROM, else tracker@<the tracker's host>."""
    return current_app.config.get("TRACKER_MAIL_FROM") or f"tracker@{mail_host()}"

#: While one sender is handing a message to the server, others leave it alone this long.
LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)


def _whole_run_fails(exc: Exception) -> bool:
    """The server or the connection failed, so the rest of this run would fail the same way.

    (smtplib's errors are OSErrors too; a refused recipient or message is not such a failure.)
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code == 421  # the server is closing the connection
    return isinstance(exc, OSError)


class MailConfigError(ValueError):
    """TRACKER_SMTP_URL cannot be used."""


@dataclass(frozen=True)
class SmtpSettings:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Read TRACKER_SMTP_URL; an unusable one is refused before any mail is tried."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise MailConfigError("TRACKER_SMTP_URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise MailConfigError("TRACKER_SMTP_URL names no host")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError as exc:
            raise MailConfigError("TRACKER_SMTP_URL has an invalid port") from exc
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd, 4th … failure, at most six hours."""
    delay = FIRST_RETRY * (2 ** max(attempts - 1, 0)) if attempts < 20 else LONGEST_RETRY
    return min(delay, LONGEST_RETRY)


def tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, certificate and host name checked (tests trust their own)."""
    return ssl.create_default_context()


class SmtpTransport:
    """One connection for a run; opened on the first message."""

    def __init__(self, settings: SmtpSettings, timeout: float):
        self.settings = settings
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = tls_context()
        if s.scheme == "smtps":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=self.timeout, context=context
            )
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        try:
            encrypted = s.scheme == "smtps"
            if not encrypted:
                conn.ehlo()
                if conn.has_extn("starttls"):
                    conn.starttls(context=context)
                    conn.ehlo()
                    encrypted = True
            if s.username:
                if not encrypted:
                    raise smtplib.SMTPNotSupportedError(
                        "the server offers no STARTTLS; the password is not sent in clear text"
                    )
                conn.login(s.username, s.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server, connecting on the first one of the run."""
        if self._conn is None:
            self._conn = self._open()
        self._conn.send_message(message)

    def close(self) -> None:
        """End the run's connection politely; a server that is gone already is fine."""
        if self._conn is None:
            return
        try:
            self._conn.quit()
        except (smtplib.SMTPException, OSError):
            self._conn.close()
        self._conn = None


def as_email(msg: OutboxMessage, sender: str) -> EmailMessage:
    """The queued row as a multipart message: text, HTML and the optional .ics."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = msg.recipient
    email["Subject"] = msg.subject
    email["Date"] = format_datetime(msg.created_at)
    email["Message-ID"] = msg.message_id
    email["Auto-Submitted"] = "auto-generated"
    if msg.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{msg.unsubscribe_url}>"
    email.set_content(msg.body_text)
    email.add_alternative(msg.body_html, subtype="html")
    if msg.ics:
        email.add_attachment(
            msg.ics,
            subtype="calendar",
            filename=msg.ics_filename or "task.ics",
            params={"method": "PUBLISH"},
        )
    return email


class _LogTransport:
    """No server configured: the mail goes to the log and counts as sent."""

    def send(self, message: EmailMessage) -> None:
        body = message.get_body(("plain",))
        log.info(
            "mail not sent (no TRACKER_SMTP_URL): To: %s Subject: %s\n%s",
            message["To"],
            message["Subject"],
            body.get_content() if body is not None else "",
        )

    def close(self) -> None:
        pass


def _transport() -> _LogTransport | SmtpTransport:
    url = current_app.config.get("TRACKER_SMTP_URL")
    if not url:
        return _LogTransport()
    timeout = current_app.config["TRACKER_SMTP_TIMEOUT"]
    return SmtpTransport(SmtpSettings.from_url(url), timeout=timeout)


def _claim(message_id: int, now: datetime) -> bool:
    """Take the message for this run; False if another sender has it or it went out."""
    with transaction():
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
            )
            .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
    return cast("CursorResult[Any]", result).rowcount == 1


def pending_count() -> int:
    """Messages not sent yet (queued, or waiting for a retry)."""
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    ) or 0


def deliver_outbox(
    now: datetime | None = None, limit: int = 500, progress: Progress | None = None
) -> dict[str, int]:
    """Send what is due; returns how many went out, failed, and still wait (`pending`).

    `pending` is -1 when nothing could be tried: the outbox could not be read or
    TRACKER_SMTP_URL is unusable (logged; the command exits non-zero).
    """
    now = now or utcnow()
    counts = {"sent": 0, "failed": 0}
    try:
        ids = list(
            db.session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        )
        db.session.commit()
        transport = _transport()
        sender = mail_from()
    except MailConfigError as exc:
        db.session.rollback()
        log.error("mail stays queued: %s", exc)
        counts["pending"] = -1
        return counts
    except Exception:
        db.session.rollback()
        log.exception("mail stays queued: the outbox could not be read")
        counts["pending"] = -1
        return counts
    try:
        for n, message_id in enumerate(ids, 1):
            if progress:
                progress("mail", n, len(ids))
            if not _claim(message_id, now):
                continue
            msg = db.session.get(OutboxMessage, message_id, populate_existing=True)
            if msg is None:  # purged meanwhile
                continue
            try:
                transport.send(as_email(msg, sender))
            except Exception as exc:  # every failure keeps the mail queued
                counts["failed"] += 1
                retry_at = now + backoff(msg.attempts)
                log.warning(
                    "mail %s to %s not sent (attempt %s, next try %s): %s",
                    msg.id, msg.recipient, msg.attempts, retry_at.isoformat(), exc,
                )
                with transaction():
                    msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    msg.next_attempt_at = retry_at
                if _whole_run_fails(exc):
                    transport.close()
                    break
                continue
            with transaction():
                msg.sent_at = utcnow()
                msg.last_error = None
            counts["sent"] += 1
    except Exception:  # the database failed mid-run: what was not marked sent stays queued
        db.session.rollback()
        log.exception("mail delivery stopped")
    finally:
        transport.close()
    try:
        counts["pending"] = pending_count()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("the outbox could not be counted")
        counts["pending"] = -1
    return counts
