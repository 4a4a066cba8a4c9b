"""Return visits: every closed complaint gets a call to the customer by its owner, due
`rules.tickets.return_visit_days` business days after the closing, with the result (satisfied
or not, and a note) kept for the complaint analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.enums import TicketKind, TicketStatus
from crm.models import Customer, ReturnVisit, Ticket
from crm.rules import Rules


def due_date(rules: Rules, closed_at: datetime, tz: tzinfo) -> datetime:
    """The close of the Nth business day after the day of closing (closed on a Tuesday, two
    business days: Thursday evening; over a holiday, later)."""
    calendar = sla.BusinessCalendar(rules.business_hours, tz)
    day = closed_at.astimezone(tz).date()
    left = rules.tickets.return_visit_days
    for _ in range(sla.HORIZON_DAYS):
        if left == 0 and calendar.is_business_day(day):
            break
        day += timedelta(days=1)
        if calendar.is_business_day(day):
            left -= 1
            if left == 0:
                break
    period = calendar._period(day)
    return period[1].astimezone(tz) if period else closed_at


async def create_due(
    session: AsyncSession, rules: Rules, now: datetime, tz: tzinfo
) -> list[tuple[ReturnVisit, Ticket]]:
    """A task for each complaint resolved (or closed) since its last return visit."""
    rows = await session.execute(
        select(Ticket, Customer.owner_id)
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(
            ReturnVisit,
            and_(ReturnVisit.ticket_id == Ticket.id, ReturnVisit.resolved_at == Ticket.resolved_at),
        )
        .where(
            Ticket.kind.in_((TicketKind.COMPLAINT,)),
            Ticket.status.in_((TicketStatus.RESOLVED, TicketStatus.CLOSED)),
            Ticket.resolved_at.is_not(None),
            Ticket.resolved_at <= now,
            ReturnVisit.id.is_(None),
        )
        .order_by(Ticket.id)
    )
    made: list[tuple[ReturnVisit, Ticket]] = []
    for ticket, rep_id in rows.all():
        assert ticket.resolved_at is not None
        rv = ReturnVisit(
            ticket_id=ticket.id,
            resolved_at=ticket.resolved_at,
            # 首问负责制: whoever owned the complaint calls back; else the customer's rep.
            staff_id=ticket.owner_id or rep_id,
            due_at=due_date(rules, ticket.resolved_at, tz),
            created_at=now,
        )
        session.add(rv)
        made.append((rv, ticket))
    await session.flush()
    return made


async def overdue(session: AsyncSession, now: datetime) -> list[tuple[ReturnVisit, Ticket]]:
    rows = await session.execute(
        select(ReturnVisit, Ticket)
        .join(Ticket, Ticket.id == ReturnVisit.ticket_id)
        .where(ReturnVisit.done_at.is_(None), ReturnVisit.due_at <= now)
        .order_by(ReturnVisit.due_at)
    )
    return [(rv, t) for rv, t in rows.all()]


async def pending_for(session: AsyncSession, staff_id: int) -> list[tuple[ReturnVisit, Ticket]]:
    rows = await session.execute(
        select(ReturnVisit, Ticket)
        .join(Ticket, Ticket.id == ReturnVisit.ticket_id)
        .where(ReturnVisit.done_at.is_(None), ReturnVisit.staff_id == staff_id)
        .order_by(ReturnVisit.due_at)
        .limit(20)
    )
    return [(rv, t) for rv, t in rows.all()]


def record(rv: ReturnVisit, satisfied: bool, now: datetime) -> None:
    rv.satisfied = satisfied
    rv.done_at = now


@dataclass
class VisitFigures:
    done: int = 0
    satisfied: int = 0
    unsatisfied: int = 0
    pending: int = 0  # due in the period (up to now) and not yet made


async def figures(
    session: AsyncSession,
    tickets: ColumnElement[bool],
    start: datetime,
    end: datetime,
    now: datetime,
) -> VisitFigures:
    f = VisitFigures()
    done = await session.execute(
        select(ReturnVisit.satisfied, func.count())
        .join(Ticket, Ticket.id == ReturnVisit.ticket_id)
        .where(tickets, ReturnVisit.done_at >= start, ReturnVisit.done_at < end)
        .group_by(ReturnVisit.satisfied)
    )
    for satisfied, n in done.all():
        f.done += int(n)
        if satisfied:
            f.satisfied += int(n)
        else:
            f.unsatisfied += int(n)
    f.pending = int(
        await session.scalar(
            select(func.count(ReturnVisit.id))
            .join(Ticket, Ticket.id == ReturnVisit.ticket_id)
            .where(
                tickets,
                ReturnVisit.done_at.is_(None),
                ReturnVisit.due_at >= start,
                ReturnVisit.due_at < min(end, now),
            )
        )
        or 0
    )
    return f
