"""The encrypted paths: STARTTLS with a login on smtp://, implicit TLS on smtps://,
against aiosmtpd with a throw-away certificate the test trusts."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.notify_support import Inbox, free_port
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.notify import delivery
from tracker.notify.models import OutboxMessage
from tracker.notify.services import Mail, deliver_outbox, queue_message

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _short_timeout(app):
    app.config["TRACKER_SMTP_TIMEOUT"] = 5


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1, trusted by the tracker's SMTP client only."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    monkeypatch.setattr(
        delivery, "tls_context", lambda: ssl.create_default_context(cafile=str(cert))
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(str(cert), str(key))
    return server


class Logins:
    def __init__(self) -> None:
        self.seen: list[tuple[bytes, bytes]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.seen.append((auth_data.login, auth_data.password))
        ok = (auth_data.login, auth_data.password) == (b"tracker@rostock.de", b"ge:heim")
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def _queue(make) -> int:
    with transaction():
        return queue_message(
            make.person(), Mail(subject="Hallo", text="Hallo\n", html="<p>Hallo</p>"), "digest"
        ).id


def test_starttls_then_login_then_send(app, make, certificate):
    inbox, logins = Inbox(port=free_port()), Logins()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=inbox.port, tls_context=certificate,
        require_starttls=True, authenticator=logins, auth_require_tls=True,
    )
    controller.start()
    try:
        app.config["TRACKER_SMTP_URL"] = (
            f"smtp://tracker%40rostock.de:ge%3Aheim@127.0.0.1:{inbox.port}"
        )
        message_id = _queue(make)
        assert deliver_outbox(T0)["sent"] == 1
    finally:
        controller.stop()
    assert logins.seen == [(b"tracker@rostock.de", b"ge:heim")]
    assert len(inbox.messages) == 1
    assert db.session.get(OutboxMessage, message_id).sent_at is not None


def test_a_wrong_password_keeps_the_mail_queued(app, make, certificate):
    inbox = Inbox(port=free_port())
    controller = Controller(
        inbox, hostname="127.0.0.1", port=inbox.port, tls_context=certificate,
        authenticator=Logins(), auth_require_tls=True,
    )
    controller.start()
    try:
        app.config["TRACKER_SMTP_URL"] = (
            f"smtp://tracker%40rostock.de:falsch@127.0.0.1:{inbox.port}"
        )
        message_id = _queue(make)
        assert deliver_outbox(T0)["failed"] == 1
    finally:
        controller.stop()
    row = db.session.get(OutboxMessage, message_id)
    assert row.sent_at is None and "SMTPAuthenticationError" in row.last_error
    assert inbox.messages == []


def test_smtps_is_implicit_tls(app, make, certificate):
    # (aiosmtpd 1.4 offers AUTH only after STARTTLS, so this one sends without a login)
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, ssl_context=certificate)
    controller.start()
    try:
        app.config["TRACKER_SMTP_URL"] = f"smtps://127.0.0.1:{inbox.port}"
        _queue(make)
        assert deliver_outbox(T0)["sent"] == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_an_untrusted_certificate_is_refused(app, make, certificate, monkeypatch):
    monkeypatch.setattr(delivery, "tls_context", ssl.create_default_context)
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, tls_context=certificate)
    controller.start()
    try:
        app.config["TRACKER_SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
        message_id = _queue(make)
        assert deliver_outbox(T0)["failed"] == 1
    finally:
        controller.stop()
    assert "CERTIFICATE_VERIFY_FAILED" in db.session.get(OutboxMessage, message_id).last_error
    assert inbox.messages == []
