"""E-mail leaves through the outbox: drained by a background task over SMTP when configured,
retried after a refusal, and left in the table (for operators and tests) without SMTP.
"""

from __future__ import annotations

import asyncio

from identityserver.pgstore.outbox import OutboxStore
from integration.identityserver.harness import Server, running_server
from integration.identityserver.smtp import smtp_server
from lorastack.storage import postgres


async def test_outbox_is_drained_over_smtp_and_retried() -> None:
    async with smtp_server() as inbox:
        inbox.refuse = True
        async with running_server(
            is_email_smtp_host="127.0.0.1",
            is_email_smtp_port=inbox.port,
            is_email_smtp_starttls=False,
            is_email_poll_seconds=0.05,
            is_email_from="Lorastack <noreply@example.com>",
        ) as server:
            pool = postgres.open_pool(server.config.database_url, max_size=1)
            await pool.open()
            try:
                outbox = OutboxStore(pool)
                await outbox.add("default", "test", "carol@example.com", "Hello", "line one\nline two")
                for _ in range(100):
                    rows = await outbox.messages("default", "carol@example.com")
                    if rows[0].last_error:
                        break
                    await asyncio.sleep(0.05)
                assert "451" in rows[0].last_error and rows[0].sent_at is None
                # A refused message waits for its lease to end; make it due again at once.
                async with pool.connection() as conn:
                    await conn.execute("UPDATE email_outbox SET next_attempt_at = now()")
                inbox.refuse = False
                await asyncio.wait_for(inbox.arrived.wait(), 5)
                msg = inbox.messages[0]
                assert msg["To"] == "carol@example.com" and msg["Subject"] == "Hello"
                assert msg["From"] == "Lorastack <noreply@example.com>"
                assert "line two" in msg.get_payload()
                for _ in range(100):
                    rows = await outbox.messages("default")
                    if rows[0].sent_at is not None:
                        break
                    await asyncio.sleep(0.05)
                assert rows[0].sent_at is not None and rows[0].attempts == 2 and not rows[0].last_error
            finally:
                await pool.close()


async def test_without_smtp_messages_stay_in_the_outbox(server: Server) -> None:
    pool = postgres.open_pool(server.config.database_url, max_size=1)
    await pool.open()
    try:
        outbox = OutboxStore(pool)
        await outbox.add("default", "test", "dan@example.com", "Hi", "body")
        await asyncio.sleep(0.2)
        rows = await outbox.messages("default", "DAN@example.com")
        assert len(rows) == 1 and rows[0].sent_at is None and rows[0].attempts == 0
        assert await outbox.messages("other") == []
    finally:
        await pool.close()
