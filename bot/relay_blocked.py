"""An agent's answer that Telegram refused because the customer blocked the bot: the agent is
told (the answer is kept on the ticket) and given the customer's phone to call instead."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Renderer
from bot.render import render_reply
from bot.types import Reply, T
from crm.models import Customer, OutboxMessage, Staff, Ticket, TicketMessage
from crm.services import outbox

# handlers.desk_notes.tell_customer's key for an answer: ticket-cust:{ticket}:msg:{message}:...
ANSWER_KEY = re.compile(r"^ticket-cust:(\d+):msg:(\d+):")


def notice(ticket: Ticket, customer: Customer | None) -> Reply:
    if customer is not None and customer.phone:
        return Reply(
            T(
                "⚠️ The customer has blocked the bot: the answer is kept on {number} but did "
                "not reach them. Please call them: {phone}",
                number=ticket.number,
                phone=customer.phone,
            )
        )
    return Reply(
        T(
            "⚠️ The customer has blocked the bot: the answer is kept on {number} but did not "
            "reach them, and no phone number is on record.",
            number=ticket.number,
        )
    )


async def tell_agent(session: AsyncSession, row_id: int, now: object) -> bool:
    """Called when outbox row `row_id` found its chat blocked; True if an agent was told."""
    row = await session.get(OutboxMessage, row_id)
    m = ANSWER_KEY.match(row.dedupe_key) if row is not None else None
    if m is None:
        return False
    ticket = await session.get(Ticket, int(m.group(1)))
    message = await session.get(TicketMessage, int(m.group(2)))
    if ticket is None or message is None or message.author_kind != "staff":
        return False
    staff = await session.get(Staff, message.author_id) if message.author_id else None
    if staff is None or staff.tg_user_id is None or not staff.active:
        return False
    customer = await session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    out = render_reply(
        notice(ticket, customer), Renderer(staff.locale, ZoneInfo(staff.timezone)), staff.tg_user_id
    )
    return await outbox.enqueue(
        session,
        chat_id=staff.tg_user_id,
        payload=out.to_payload(),
        dedupe_key=f"relay-blocked:{ticket.id}:{staff.id}:{message.id}",
        due_at=now,  # type: ignore[arg-type]
        priority=outbox.PRIORITY_RELAY,
    )
