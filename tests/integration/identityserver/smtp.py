"""A tiny SMTP receiver for tests: enough of RFC 5321 for smtplib's send_message, no TLS or AUTH."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class Inbox:
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    refuse: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


async def _session(inbox: Inbox, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    async def reply(line: str) -> None:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    await reply("220 test ready")
    try:
        while line := await reader.readline():
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                await reply("250 test")
            elif verb == "MAIL":
                await reply("451 try later" if inbox.refuse else "250 ok")
            elif verb in ("RCPT", "RSET", "NOOP"):
                await reply("250 ok")
            elif verb == "DATA":
                await reply("354 go on")
                data = await reader.readuntil(b"\r\n.\r\n")
                inbox.messages.append(message_from_bytes(data[: -len(b".\r\n")]))
                inbox.arrived.set()
                await reply("250 queued")
            elif verb == "QUIT":
                await reply("221 bye")
                break
            else:
                await reply("502 not here")
    finally:
        writer.close()


@asynccontextmanager
async def smtp_server() -> AsyncIterator[Inbox]:
    inbox = Inbox()
    server = await asyncio.start_server(lambda r, w: _session(inbox, r, w), "127.0.0.1", 0)
    inbox.port = server.sockets[0].getsockname()[1]
    async with server:
        yield inbox
