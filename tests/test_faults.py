"""Faults: an update delivered twice, the database gone for a while, a Bot API that fails.

On SQLite and PostgreSQL (the `app` fixture). The database outage on PostgreSQL goes through a
TCP proxy on 127.0.0.1 between the bot and the server, which the test cuts and restores; on
SQLite another connection holds the database's write lock for longer than the bot waits.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter

from sqlalchemy import func, select

from bot.app import App, build_app
from bot.types import Inbound, Outgoing
from crm.models import OutboxMessage, ProcessedUpdate, Ticket
from tests.conftest import Transcript


async def count(app: App, model: type, *where: object) -> int:
    async with app.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def to_confirm_step(chat: Transcript) -> tuple[int, Inbound]:
    """customer1 with a complaint written and the "submit" button in front of them; returns
    their id and the press of that button."""
    await chat("/as customer1", "/new", "[投诉]", "[服务]", "停电两次", "[完成]")
    uid = chat.demo._user_id("customer1")
    target = chat.demo.channel.find(uid, "📨")
    assert target is not None and target.payload is not None, chat.text[-400:]
    press = Inbound(
        channel="console",
        update_id=secrets.randbits(62),
        chat_id=uid,
        user_id=uid,
        callback=target.payload,
        callback_message_id=target.message_id,
    )
    return uid, press


def texts(outs: list[Outgoing]) -> list[str]:
    return [o.text for o in outs]


# ---------------------------------------------------------------- the same update twice


async def test_the_same_update_twice_in_a_row_is_handled_once(app: App, chat: Transcript) -> None:
    _uid, press = await to_confirm_step(chat)
    tickets, queued = await count(app, Ticket), await count(app, OutboxMessage)
    first = await app.engine.handle(press)
    again = await app.engine.handle(press)
    assert any("T-2026-" in t for t in texts(first)), texts(first)
    assert again == []
    assert await count(app, Ticket) == tickets + 1
    # The staff's notices of the new ticket were queued once, not twice.
    notices = await count(app, OutboxMessage) - queued
    assert notices >= 1
    assert await app.engine.handle(press) == []
    assert await count(app, OutboxMessage) - queued == notices
    assert await count(app, ProcessedUpdate, ProcessedUpdate.update_id == press.update_id) == 1


async def test_the_same_update_at_once_on_two_replicas_is_handled_once(
    app: App, chat: Transcript
) -> None:
    """Two engines with their own connection pools, as two webhook replicas behind one
    database: Telegram (or a proxy) delivers the same press to both at the same moment."""
    _uid, press = await to_confirm_step(chat)
    tickets, queued = await count(app, Ticket), await count(app, OutboxMessage)
    other = build_app(app.settings, app.rules, app.clock)
    try:
        results = await asyncio.gather(
            app.engine.handle(press), other.engine.handle(press), app.engine.handle(press)
        )
    finally:
        await other.close()
    answered = [r for r in results if r]
    assert len(answered) == 1, [texts(r) for r in results]
    assert any("T-2026-" in t for t in texts(answered[0]))
    assert await count(app, Ticket) == tickets + 1
    # One set of notices: each person told of the new ticket is told once.
    rows = await _rows_since(app, queued)
    per_chat = Counter(r.chat_id for r in rows)
    assert rows and set(per_chat.values()) == {1}, per_chat


async def _rows_since(app: App, skip: int) -> list[OutboxMessage]:
    async with app.sessions() as s:
        rows = await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id).offset(skip))
        return list(rows)
