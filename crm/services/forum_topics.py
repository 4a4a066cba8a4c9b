"""Tickets and their topics in the service team's forum supergroup: which tickets still need a
topic, what each topic has yet to show, and which ticket a topic belongs to. Database only; the
Telegram side is bot.forum."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import Customer, CustomerUser, Ticket, TicketMessage, TicketTopic
from crm.services import runtime

# Tickets from before the desk moved into the group get no topic (enabling it must not open
# hundreds at once): the moment it was first enabled, per group.
SINCE_KEY = "forum.since:{chat_id}"


async def since(session: AsyncSession, chat_id: int, now: datetime) -> datetime:
    """When topics started for this group (now, the first time it is asked)."""
    key = SINCE_KEY.format(chat_id=chat_id)
    raw = await runtime.kv_get(session, key)
    if raw is None:
        await runtime.kv_set(session, key, now.isoformat())
        return now
    return datetime.fromisoformat(raw)


async def without_topic(
    session: AsyncSession, chat_id: int, start: datetime, limit: int = 20
) -> list[Ticket]:
    """Tickets opened since `start` that have no topic yet, oldest first."""
    has_topic = select(TicketTopic.ticket_id).where(TicketTopic.chat_id == chat_id)
    rows = await session.scalars(
        select(Ticket)
        .where(Ticket.created_at >= start, Ticket.id.not_in(has_topic))
        .order_by(Ticket.id)
        .limit(limit)
    )
    return list(rows)


async def add(
    session: AsyncSession, ticket: Ticket, chat_id: int, thread_id: int, now: datetime
) -> TicketTopic:
    topic = TicketTopic(
        ticket_id=ticket.id,
        chat_id=chat_id,
        thread_id=thread_id,
        shown_status="",
        copied_upto=0,
        from_topic=[],
        created_at=now,
    )
    session.add(topic)
    await session.flush()
    return topic


@dataclass
class Pending:
    """What one topic has yet to show."""

    topic: TicketTopic
    ticket: Ticket
    messages: list[TicketMessage]


async def pending(session: AsyncSession, chat_id: int) -> list[Pending]:
    """Topics whose ticket changed status or has messages not yet in the topic."""
    rows = (
        await session.execute(
            select(TicketTopic, Ticket)
            .join(Ticket, Ticket.id == TicketTopic.ticket_id)
            .where(TicketTopic.chat_id == chat_id)
        )
    ).all()
    found = []
    for topic, ticket in rows:
        messages = list(
            await session.scalars(
                select(TicketMessage)
                .where(
                    TicketMessage.ticket_id == ticket.id,
                    TicketMessage.id > topic.copied_upto,
                    TicketMessage.author_kind.in_(("customer", "staff")),
                )
                .order_by(TicketMessage.id)
            )
        )
        messages = [m for m in messages if m.id not in (topic.from_topic or [])]
        if messages or topic.shown_status != ticket.status:
            found.append(Pending(topic, ticket, messages))
    return found


async def ticket_of(session: AsyncSession, chat_id: int, thread_id: int) -> Ticket | None:
    topic = await session.scalar(
        select(TicketTopic).where(
            TicketTopic.chat_id == chat_id, TicketTopic.thread_id == thread_id
        )
    )
    return await session.get(Ticket, topic.ticket_id) if topic is not None else None


async def written_in_topic(session: AsyncSession, ticket: Ticket, message_id: int) -> None:
    """A message an agent wrote in the topic: it is there already, not to be copied in."""
    topic = await session.get(TicketTopic, ticket.id)
    if topic is not None:
        topic.from_topic = [*(topic.from_topic or []), message_id]


@dataclass(frozen=True)
class Who:
    """Who a ticket is from, for the topic's title and first post."""

    name: str
    phone: str | None


async def who(session: AsyncSession, ticket: Ticket) -> Who:
    customer = await session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    cuser = (
        await session.get(CustomerUser, ticket.customer_user_id)
        if ticket.customer_user_id
        else None
    )
    name = customer.name if customer else (cuser.name if cuser and cuser.name else "—")
    return Who(name, customer.phone if customer else None)
