"""Look-ups and button presses the transcript tests share."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

from sqlalchemy import event, select

from bot.app import App
from bot.types import Inbound
from crm.models import Customer, OutboxMessage, Staff, Ticket
from tests.conftest import Transcript


@contextlib.contextmanager
def statements(app: App) -> Iterator[list[str]]:
    """The SQL statements run on `app`'s database inside the block, as sent."""
    ran: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        ran.append(statement)

    event.listen(app.db.sync_engine, "before_cursor_execute", record)
    try:
        yield ran
    finally:
        event.remove(app.db.sync_engine, "before_cursor_execute", record)


async def staff(app: App, handle: str) -> Staff:
    async with app.sessions() as s:
        found = await s.scalar(select(Staff).where(Staff.handle == handle))
        assert found is not None, handle
        return found


async def customer(app: App, name: str) -> Customer:
    async with app.sessions() as s:
        found = await s.scalar(select(Customer).where(Customer.name == name))
        assert found is not None, name
        return found


async def ticket(app: App, number: str) -> Ticket:
    async with app.sessions() as s:
        found = await s.scalar(select(Ticket).where(Ticket.number == number))
        assert found is not None, number
        return found


async def outbox(app: App, prefix: str) -> list[OutboxMessage]:
    """Outbox rows whose dedupe key starts with `prefix`, oldest first."""
    async with app.sessions() as s:
        rows = await s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.startswith(prefix))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def press(chat: Transcript, app: App, handle: str, payload: str) -> str:
    """Sends a callback as that person (a forged one, or a button of an older message)."""
    person = await staff(app, handle)
    assert person.tg_user_id is not None
    start = len(chat.lines)
    inbound = Inbound(
        channel="console",
        update_id=secrets.randbits(62),
        chat_id=person.tg_user_id,
        user_id=person.tg_user_id,
        callback=payload,
    )
    await chat.demo.channel.deliver(inbound, await app.engine.handle(inbound))
    await chat.demo.sender.drain()
    return "\n".join(chat.lines[start:])
