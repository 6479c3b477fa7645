"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.backends.postgres import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: Message


@dataclass
class Mailbox:
    messages: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos),
                         message_from_bytes(envelope.original_content))
            )
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
                self.arrived.wait(left)
            return list(self.messages)


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox
    controller: Controller


def start_smtp() -> SmtpServer:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return SmtpServer("127.0.0.1", port, mailbox, controller)
