"""Direct replies journaled in the update's transaction (`Engine.reply_lease`, set by the runtime).

The case the replica test can only hit by luck, made certain: the process commits an update and
dies before sending its reply. Telegram resends the update, which is now a duplicate and gets no
reply; the journaled row is sent by a sender once its lease has run out, and only then, once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.channels.base import SendError, deliver
from bot.reply_marks import DELAY_SECONDS
from bot.sender import OutboxSender
from bot.types import Inbound, Outgoing
from crm.clock import ManualClock
from crm.models import OutboxMessage
from tests.helpers import statements

LEASE = timedelta(seconds=30)
USER = 770001


class Collect:
    name = "telegram"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.refuse = False

    async def send(self, out: Outgoing) -> None:
        if self.refuse:
            raise SendError("bad_request", "Bad Request: chat not found")
        self.sent.append(out)


def _new(update_id: int) -> Inbound:
    return Inbound(
        channel="telegram",
        update_id=update_id,
        chat_id=USER,
        user_id=USER,
        text="/new",
        language_code="en",
    )


async def _rows(app: App) -> list[tuple[str, str, bool]]:
    async with app.sessions() as s:
        rows = await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.dedupe_key, r.status, r.retaken) for r in rows]


async def test_a_reply_committed_but_never_sent_is_sent_once_after_its_lease(
    app: App, clock: ManualClock
) -> None:
    app.engine.reply_lease = LEASE
    channel = Collect()
    sender = OutboxSender(app.sessions, channel, clock)
    outs = await app.engine.handle(_new(1))  # committed; then the process "dies"
    assert len(outs) == 1 and outs[0].journal_id is not None
    assert await app.engine.handle(_new(1)) == []  # Telegram's resend: a duplicate
    assert await sender.drain() == 0  # still leased to the dead process
    clock.advance(LEASE + timedelta(seconds=1))
    assert await sender.drain() == 1
    assert [o.text for o in channel.sent] == [outs[0].text]
    clock.advance(LEASE * 10)
    assert await sender.drain() == 0
    assert await _rows(app) == [("reply:telegram:1:0", "sent", True)]


async def test_a_reply_sent_or_refused_is_never_sent_again(app: App, clock: ManualClock) -> None:
    app.engine.reply_lease = LEASE
    channel = Collect()
    sender = OutboxSender(app.sessions, channel, clock)
    await deliver(app.engine, _new(1), channel.send)
    channel.refuse = True
    await deliver(app.engine, _new(2), channel.send)  # refused: not retried, as without a journal
    channel.refuse = False
    await app.engine.flush_replied()  # the batch's delay is in real time, not on this clock
    clock.advance(LEASE * 10)
    assert await sender.drain() == 0
    assert len(channel.sent) == 1
    assert await _rows(app) == [
        ("reply:telegram:1:0", "sent", False),
        ("reply:telegram:2:0", "dead", False),
    ]


async def test_sent_marks_share_one_statement_and_write_themselves(app: App) -> None:
    app.engine.reply_lease = LEASE
    channel = Collect()
    with statements(app) as ran:
        for n in range(1, 6):
            await deliver(app.engine, _new(n), channel.send)
        assert [r[1] for r in await _rows(app)] == ["sending"] * 5  # sent, not yet marked
        for _ in range(100):  # the batch writes itself after DELAY_SECONDS
            await asyncio.sleep(DELAY_SECONDS)
            if not app.engine.sent_marks_pending:
                break
    assert [r[1] for r in await _rows(app)] == ["sent"] * 5
    assert len([q for q in ran if q.startswith("UPDATE outbox_message")]) == 1


async def test_closing_writes_the_pending_marks(app: App, clock: ManualClock) -> None:
    app.engine.reply_lease = LEASE
    channel = Collect()
    await deliver(app.engine, _new(1), channel.send)
    await app.engine.close()
    clock.advance(LEASE * 10)
    assert await OutboxSender(app.sessions, channel, clock).drain() == 0
    assert await _rows(app) == [("reply:telegram:1:0", "sent", False)]


async def test_without_a_lease_replies_are_not_journaled(app: App) -> None:
    outs = await app.engine.handle(_new(1))
    assert outs and outs[0].journal_id is None
    assert await _rows(app) == []
