"""The figures a manager sees for a period: the team's visits, follow-ups, customers, tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import FollowUpStatus, Role
from crm.models import Customer, FollowUp, Staff, Ticket, Visit
from crm.services.tickets import OPEN


@dataclass
class Summary:
    visits: int = 0
    new_customers: int = 0
    followups_done: int = 0
    followups_overdue: int = 0
    tickets_new: int = 0
    tickets_open: int = 0
    visits_by_rep: list[tuple[str, int]] = field(default_factory=list)


async def team_of(session: AsyncSession, lead: Staff) -> list[Staff]:
    stmt = select(Staff).where(Staff.active.is_(True), Staff.role == Role.SALES)
    if lead.role != Role.ADMIN:
        stmt = stmt.where(or_(Staff.manager_id == lead.id, Staff.team == lead.team))
    return list(await session.scalars(stmt.order_by(Staff.name)))


async def for_period(
    session: AsyncSession, lead: Staff, start: datetime, end: datetime, now: datetime
) -> Summary:
    team = await team_of(session, lead)
    ids = [s.id for s in team] or [-1]
    s = Summary()
    per_rep = dict(
        (
            await session.execute(
                select(Visit.staff_id, func.count(Visit.id))
                .where(Visit.staff_id.in_(ids), Visit.visited_at >= start, Visit.visited_at < end)
                .group_by(Visit.staff_id)
            )
        ).all()
    )
    s.visits_by_rep = [(rep.name, per_rep.get(rep.id, 0)) for rep in team]
    s.visits = sum(per_rep.values())
    s.new_customers = (
        await session.scalar(
            select(func.count(Customer.id)).where(
                Customer.created_by.in_(ids),
                Customer.created_at >= start,
                Customer.created_at < end,
            )
        )
        or 0
    )
    s.followups_done = (
        await session.scalar(
            select(func.count(FollowUp.id)).where(
                FollowUp.staff_id.in_(ids), FollowUp.done_at >= start, FollowUp.done_at < end
            )
        )
        or 0
    )
    s.followups_overdue = (
        await session.scalar(
            select(func.count(FollowUp.id)).where(
                FollowUp.staff_id.in_(ids),
                FollowUp.status == FollowUpStatus.OPEN,
                FollowUp.due_at < now,
            )
        )
        or 0
    )
    team_customers = select(Customer.id).where(Customer.owner_id.in_(ids))
    scope = or_(Ticket.customer_id.in_(team_customers), Ticket.owner_id.in_(ids))
    if lead.role == Role.ADMIN:
        scope = or_(scope, Ticket.customer_id.is_(None))
    s.tickets_new = (
        await session.scalar(
            select(func.count(Ticket.id)).where(
                scope, Ticket.created_at >= start, Ticket.created_at < end
            )
        )
        or 0
    )
    s.tickets_open = (
        await session.scalar(select(func.count(Ticket.id)).where(scope, Ticket.status.in_(OPEN)))
        or 0
    )
    return s
