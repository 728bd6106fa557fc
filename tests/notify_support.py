"""Shared by the notify tests: a real SMTP server on loopback (aiosmtpd) that collects mail
(the `smtp_server` fixture in conftest.py runs one for a test)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the server received; `refuse` makes it answer 554 to every message."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: bool = False
    #: Recipients the server answers 550 (no such mailbox).
    unknown: set[str] = field(default_factory=set)
    port: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 5.7.1 Refused by the test server"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def start_server(inbox: Inbox) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    return controller


def parts(message: EmailMessage) -> dict[str, str]:
    """content type → text of every leaf part."""
    found = {}
    for part in message.walk():
        if not part.is_multipart():
            found[part.get_content_type()] = part.get_content()
    return found
