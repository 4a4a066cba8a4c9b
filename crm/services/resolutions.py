"""Rounds of a ticket: a reopen keeps the earlier resolution and its rating (reports count each
resolution's rating) and gives the ticket a new resolution deadline from the reopening."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import ColumnElement, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.enums import TicketStatus
from crm.models import Customer, Ticket, TicketResolution
from crm.rules import Rules


def round_tag(ticket: Ticket) -> str:
    """Tells one resolution round from the next in dedupe keys ("" before any reopen)."""
    return f"@{int(ticket.reopened_at.timestamp())}" if ticket.reopened_at else ""


async def reopen(
    session: AsyncSession, rules: Rules, ticket: Ticket, now: datetime, tz: tzinfo
) -> None:
    """Open again: the finished round is kept, the new one is due as if received now."""
    if ticket.resolved_at is not None:
        session.add(
            TicketResolution(
                ticket_id=ticket.id,
                resolved_at=ticket.resolved_at,
                owner_id=ticket.owner_id,
                note=ticket.resolution_note,
                rating=ticket.rating,
                rating_comment=ticket.rating_comment,
                rated_at=ticket.rated_at,
                reopened_at=now,
            )
        )
    customer = await session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    _first, ticket.resolution_due = sla.deadlines(
        rules, ticket.kind, customer.customer_class if customer else None, now, tz
    )
    ticket.status = TicketStatus.IN_PROGRESS
    ticket.reopened_at = now
    ticket.resolved_at = None
    ticket.rating = ticket.rated_at = ticket.rating_comment = None
    await session.flush()


async def ratings(
    session: AsyncSession, where: ColumnElement[bool], start: datetime, end: datetime
) -> tuple[float | None, int]:
    """(average, count) of every resolution rated in [start, end) of the tickets `where`
    selects: the current round's rating on the ticket and the earlier rounds' ones."""
    current = select(Ticket.rating.label("rating")).where(
        where, Ticket.rating.is_not(None), Ticket.rated_at >= start, Ticket.rated_at < end
    )
    earlier = (
        select(TicketResolution.rating.label("rating"))
        .join(Ticket, Ticket.id == TicketResolution.ticket_id)
        .where(
            where,
            TicketResolution.rating.is_not(None),
            TicketResolution.rated_at >= start,
            TicketResolution.rated_at < end,
        )
    )
    both = union_all(current, earlier).subquery()
    avg, n = (
        await session.execute(select(func.avg(both.c.rating), func.count(both.c.rating)))
    ).one()
    n = int(n or 0)
    return (float(avg) if avg is not None and n else None), n


async def earlier(session: AsyncSession, ticket_id: int) -> list[TicketResolution]:
    rows = await session.scalars(
        select(TicketResolution)
        .where(TicketResolution.ticket_id == ticket_id)
        .order_by(TicketResolution.resolved_at)
    )
    return list(rows)
