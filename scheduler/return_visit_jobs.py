"""Return visits of closed complaints: the owner is given the task when the complaint is closed
and reminded once when it falls due unmade (crm.services.return_visits)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify import OutboxNotifier
from bot.types import Button, Lines, Reply, T
from crm.clock import Clock
from crm.models import Customer, ReturnVisit, Staff, Ticket
from crm.rules import Rules
from crm.services import return_visits

log = structlog.get_logger("scheduler")


def task_message(rv: ReturnVisit, ticket: Ticket, customer: Customer | None, late: bool) -> Reply:
    head = (
        T("📞 Return visit overdue: complaint {number}", number=ticket.number)
        if late
        else T("📞 Return visit: complaint {number} is closed", number=ticket.number)
    )
    lines = [
        head,
        T(
            "Call {customer} by {when} and ask whether they are satisfied with the result.",
            customer=customer.name if customer else "—",
            when=rv.due_at,
        ),
    ]
    if customer is not None and customer.phone:
        lines.append(T("📞 {phone}", phone=customer.phone))
    return Reply(
        Lines(*lines),
        buttons=(
            (
                Button(T("😊 Satisfied"), f"rv:{rv.id}:yes"),
                Button(T("😞 Not satisfied"), f"rv:{rv.id}:no"),
            ),
            (Button(T("View request"), f"tk:{ticket.id}"),),
        ),
    )


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        made = await return_visits.create_due(session, rules, now, default_tz)
        for rv, ticket in made:
            staff = await session.get(Staff, rv.staff_id) if rv.staff_id else None
            if staff is None:
                continue
            customer = (
                await session.get(Customer, ticket.customer_id) if ticket.customer_id else None
            )
            await notifier.to_staff(
                staff,
                task_message(rv, ticket, customer, late=False),
                dedupe_key=f"rv-new:{rv.id}:{staff.id}",
            )
            queued += 1
        for rv, ticket in await return_visits.overdue(session, now):
            staff = await session.get(Staff, rv.staff_id) if rv.staff_id else None
            if staff is None:
                continue
            customer = (
                await session.get(Customer, ticket.customer_id) if ticket.customer_id else None
            )
            # Once: the key is the record that the reminder went out.
            await notifier.to_staff(
                staff,
                task_message(rv, ticket, customer, late=True),
                dedupe_key=f"rv-due:{rv.id}:{staff.id}",
            )
    if queued:
        log.info("return_visits_queued", count=queued)
    return queued
