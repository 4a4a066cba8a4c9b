"""Requests taken down by staff for a customer who phoned, came to the counter, wrote an e-mail
or was met on site. Numbered, timed and counted like Telegram requests; the staff member who
registers it owns it (首问负责制) until it is closed or explicitly transferred."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.enums import TicketChannel, TicketStatus
from crm.models import Customer, Staff, Ticket, TicketMessage
from crm.rules import Rules
from crm.services.tickets import next_number

STAFF_CHANNELS = (
    TicketChannel.PHONE,
    TicketChannel.COUNTER,
    TicketChannel.EMAIL,
    TicketChannel.ONSITE,
)


async def register(
    session: AsyncSession,
    rules: Rules,
    customer: Customer,
    staff: Staff,
    *,
    kind: str,
    category: str,
    channel: str,
    text: str,
    attachments: list[str],
    now: datetime,
    tz: tzinfo,
) -> Ticket:
    if channel not in STAFF_CHANNELS:
        raise ValueError(f"not a staff channel: {channel}")
    first, resolve = sla.deadlines(rules, kind, customer.customer_class, now, tz)
    ticket = Ticket(
        number=await next_number(session, now.year),
        customer_id=customer.id,
        customer_user_id=None,
        kind=kind,
        category=category,
        channel=channel,
        text=text,
        status=TicketStatus.IN_PROGRESS,
        owner_id=staff.id,
        created_at=now,
        first_response_due=first,
        resolution_due=resolve,
    )
    session.add(ticket)
    await session.flush()
    session.add(
        TicketMessage(
            ticket_id=ticket.id,
            author_kind="customer",
            author_id=None,
            text=text,
            attachments=attachments,
            created_at=now,
        )
    )
    await session.flush()
    return ticket
