"""Who may see or change what. Every action re-checks here; a button proves nothing."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role
from crm.models import Customer, CustomerUser, FollowUp, Staff, Ticket


def customer_scope(staff: Staff) -> ColumnElement[bool]:
    """SQL condition for the customers a staff member may see."""
    if staff.role in (Role.ADMIN, Role.SERVICE):
        return true()
    pool = and_(
        Customer.owner_id.is_(None), or_(Customer.team == staff.team, Customer.team.is_(None))
    )
    if staff.role == Role.MANAGER:
        team_ids = select(Staff.id).where(
            or_(Staff.manager_id == staff.id, Staff.team == staff.team)
        )
        return or_(Customer.owner_id == staff.id, Customer.owner_id.in_(team_ids), pool)
    if staff.role == Role.SALES:
        return or_(Customer.owner_id == staff.id, pool)
    return false()


async def can_see_customer(session: AsyncSession, staff: Staff, customer_id: int) -> bool:
    found = await session.scalar(
        select(Customer.id).where(Customer.id == customer_id, customer_scope(staff))
    )
    return found is not None


async def can_edit_customer(session: AsyncSession, staff: Staff, customer_id: int) -> bool:
    if staff.role == Role.SERVICE:
        return False
    return await can_see_customer(session, staff, customer_id)


async def can_act_on_followup(session: AsyncSession, staff: Staff, followup_id: int) -> bool:
    fu = await session.get(FollowUp, followup_id)
    if fu is None:
        return False
    if fu.staff_id == staff.id or staff.role == Role.ADMIN:
        return True
    if staff.role == Role.MANAGER:
        return await can_see_customer(session, staff, fu.customer_id)
    return False


async def can_see_ticket_as_customer(
    session: AsyncSession, cuser: CustomerUser, ticket_id: int
) -> bool:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        return False
    if ticket.customer_user_id == cuser.id:
        return True
    return cuser.customer_id is not None and ticket.customer_id == cuser.customer_id


async def can_see_ticket_as_staff(session: AsyncSession, staff: Staff, ticket_id: int) -> bool:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        return False
    if staff.role in (Role.ADMIN, Role.SERVICE) or ticket.owner_id == staff.id:
        return True
    if ticket.customer_id is not None:
        return await can_see_customer(session, staff, ticket.customer_id)
    return staff.role == Role.MANAGER
