"""Outgoing e-mail: request handlers only queue messages in the outbox table; a background task
drains it through an :class:`EmailSender` (SMTP when configured). Without SMTP the outbox is the
record operators and tests read.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import structlog

from identityserver.pgstore.outbox import OutboxStore

__all__ = ["Email", "EmailSender", "Mailer", "OutboxDrainer", "SmtpSender", "SmtpSettings"]

log = structlog.get_logger(logger_name="identityserver.email")


@dataclass(frozen=True, slots=True)
class Email:
    recipient: str
    subject: str
    body: str


class EmailSender(Protocol):
    async def send(self, email: Email) -> None:
        """Deliver one message or raise (the drainer retries later)."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    sender: str = "Lorastack <noreply@localhost>"
    starttls: bool = True
    timeout: float = 10.0


class SmtpSender:
    """SMTP through the standard library, run in a worker thread so the event loop never blocks."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def _message(self, email: Email) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self._settings.sender
        msg["To"] = email.recipient
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid()
        msg.set_content(email.body)
        return msg

    def _deliver(self, msg: EmailMessage) -> None:
        cfg = self._settings
        with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.user:
                smtp.login(cfg.user, cfg.password)
            smtp.send_message(msg)

    async def send(self, email: Email) -> None:
        await asyncio.to_thread(self._deliver, self._message(email))


class Mailer:
    """What the domain calls: queue a message, never send it in the caller's request."""

    def __init__(self, outbox: OutboxStore) -> None:
        self._outbox = outbox

    async def queue(self, tenant: str, kind: str, email: Email) -> int:
        return await self._outbox.add(tenant, kind, email.recipient, email.subject, email.body)


class OutboxDrainer:
    """Claims due messages (leased, so replicas share the work) and hands them to the sender."""

    def __init__(
        self,
        outbox: OutboxStore,
        sender: EmailSender,
        *,
        batch: int = 20,
        retry_seconds: float = 60.0,
        max_attempts: int = 10,
    ) -> None:
        self._outbox = outbox
        self._sender = sender
        self._batch = batch
        self._retry = retry_seconds
        self._max_attempts = max_attempts

    async def drain_once(self) -> int:
        """Send what is due now; returns how many messages were sent."""
        sent = 0
        for row in await self._outbox.claim(self._batch, self._retry, self._max_attempts):
            try:
                await self._sender.send(Email(row.recipient, row.subject, row.body))
            except Exception as err:  # any delivery failure is retried, never fatal
                log.warning("email delivery failed", message_id=row.message_id, kind=row.kind, error=str(err))
                await self._outbox.mark_failed(row.message_id, f"{type(err).__name__}: {err}")
                continue
            await self._outbox.mark_sent(row.message_id)
            sent += 1
        return sent

    async def run(self, interval: float) -> None:
        while True:
            try:
                while await self.drain_once() == self._batch:
                    pass
            except Exception as err:  # a database hiccup must not end the task
                log.warning("email outbox drain failed", error=str(err))
            await asyncio.sleep(interval)
