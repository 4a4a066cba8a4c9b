"""Sending crafted updates as the demo's people, straight to the engine."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.types import Inbound, Outgoing
from crm.models import CustomerUser, Staff

# One person per role, from the demo company.
PEOPLE = {
    "admin": "admin",
    "manager": "manager",
    "sales": "rep1",
    "service": "agent",
    "customer": "customer1",
}


async def user_id(app: App, handle: str) -> int:
    async with app.sessions() as s:
        staff = await s.scalar(select(Staff.tg_user_id).where(Staff.handle == handle))
        if staff is not None:
            return int(staff)
        cu = await s.scalar(select(CustomerUser.tg_user_id).where(CustomerUser.handle == handle))
        assert cu is not None, handle
        return int(cu)


async def send(app: App, uid: int, **fields: Any) -> list[Outgoing]:
    """One update from `uid` (text=..., callback=..., first_name=...), the replies it got."""
    inbound = Inbound(
        channel="console",
        update_id=secrets.randbits(62),
        chat_id=uid,
        user_id=uid,
        **fields,
    )
    return await app.engine.handle(inbound)


def unthrottle(app: App) -> None:
    """Hundreds of presses a minute from one person: the flood guard would answer them all."""
    app.engine._flood.limit = 10**9


def texts(outs: list[Outgoing]) -> str:
    return "\n".join(o.text for o in outs)


async def new_request(app: App, uid: int, first_name: str, text: str) -> list[Outgoing]:
    """A Telegram user's inquiry through /new: kind, category, text, done, send."""
    outs: list[Outgoing] = []
    for step in (
        {"text": "/new"},
        {"callback": "~ticket.kind:inquiry"},
        {"callback": "~ticket.category:billing"},
        {"text": text},
        {"callback": "~ticket.extras:done"},
        {"callback": "~ticket.confirm:send"},
    ):
        outs = await send(app, uid, first_name=first_name, **step)
    return outs
