"""Who may see or change what. Every action re-checks here; a button proves nothing."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, event, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, ORMExecuteState, Session

from crm.enums import Role, TicketStatus
from crm.models import (
    CareCampaign,
    Customer,
    CustomerUser,
    FollowUp,
    ReturnVisit,
    Staff,
    Ticket,
    TicketMessage,
)


def _scope(
    role: Role,
    staff_id: object,
    same_team: Callable[[InstrumentedAttribute[str | None]], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """Who sees which customers, once for both forms below: `staff_id` and `same_team` say how
    the staff member's id and team appear in the SQL (values, or parameters bound later)."""
    if role in (Role.ADMIN, Role.SERVICE):
        return true()
    pool = and_(Customer.owner_id.is_(None), or_(same_team(Customer.team), Customer.team.is_(None)))
    if role == Role.MANAGER:
        team_ids = select(Staff.id).where(or_(Staff.manager_id == staff_id, same_team(Staff.team)))
        return or_(Customer.owner_id == staff_id, Customer.owner_id.in_(team_ids), pool)
    if role == Role.SALES:
        return or_(Customer.owner_id == staff_id, pool)
    return false()


def customer_scope(staff: Staff) -> ColumnElement[bool]:
    """SQL condition for the customers a staff member may see."""
    return _scope(Role(staff.role), staff.id, lambda team: team == staff.team)


@functools.cache
def bound_scope(role: Role) -> ColumnElement[bool]:
    """`customer_scope` for one role with the staff member's id and team left as parameters
    (`scope_params`), so that a statement using it is built once, not per call: building one
    costs more than running it. (`IS NOT DISTINCT FROM` where `customer_scope` compares with a
    team that may be None, which it renders `IS NULL`.)"""
    team = bindparam("scope_team")
    return _scope(
        role, bindparam("scope_staff_id"), lambda column: column.is_not_distinct_from(team)
    )


def scope_params(staff: Staff) -> dict[str, Any]:
    """The parameters of `bound_scope(staff.role)`."""
    return {"scope_staff_id": staff.id, "scope_team": staff.team}


_CAN_SEE = {
    role: select(Customer.id).where(Customer.id == bindparam("customer_id"), bound_scope(role))
    for role in Role
}
_VISIBLE = {
    role: select(Customer).where(Customer.id == bindparam("customer_id"), bound_scope(role))
    for role in Role
}


# Within one transaction the same customer is checked more than once (the button's check, then
# whether the card offers editing): the answer is kept in the session until it writes anything.
_SEEN = "access.can_see_customer"


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, _context: object) -> None:
    session.info.pop(_SEEN, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_before_bulk_change(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info.pop(_SEEN, None)


async def can_see_customer(session: AsyncSession, staff: Staff, customer_id: int) -> bool:
    seen: dict[tuple[object, ...], bool] = session.info.setdefault(_SEEN, {})
    key = (staff.id, staff.role, staff.team, customer_id)
    if key not in seen:
        found = await session.scalar(
            _CAN_SEE[Role(staff.role)], {"customer_id": customer_id, **scope_params(staff)}
        )
        seen[key] = found is not None
    return seen[key]


def seen_in_scope(session: AsyncSession, staff: Staff, customers: Iterable[Customer]) -> None:
    """`customers` were read through `staff`'s scope (`bound_scope`): the checks that follow
    know the answer without asking the database again."""
    seen: dict[tuple[object, ...], bool] = session.info.setdefault(_SEEN, {})
    for customer in customers:
        seen[(staff.id, staff.role, staff.team, customer.id)] = True


async def visible_customer(
    session: AsyncSession, staff: Staff, customer_id: int
) -> Customer | None:
    """The customer if `staff` may see them, else None: the check and the load in one
    statement."""
    customer = await session.scalar(
        _VISIBLE[Role(staff.role)], {"customer_id": customer_id, **scope_params(staff)}
    )
    if customer is not None:
        seen_in_scope(session, staff, (customer,))
    return customer


async def editable_customer(
    session: AsyncSession, staff: Staff, customer_id: int
) -> Customer | None:
    """The customer if `staff` may change them (`can_edit_customer`), else None."""
    if staff.role == Role.SERVICE:
        return None
    return await visible_customer(session, staff, customer_id)


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
    # Linked through a contact's phone: their own requests only, unless the rep allowed more.
    return (
        cuser.customer_id is not None
        and cuser.sees_company
        and ticket.customer_id == cuser.customer_id
    )


async def can_see_ticket_as_staff(session: AsyncSession, staff: Staff, ticket_id: int) -> bool:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        return False
    if staff.role in (Role.ADMIN, Role.SERVICE) or ticket.owner_id == staff.id:
        return True
    if ticket.customer_id is not None:
        return await can_see_customer(session, staff, ticket.customer_id)
    return staff.role == Role.MANAGER


def may_work_on_ticket(staff: Staff, ticket: Ticket) -> bool:
    """The owner works on a ticket; managers and admins may step in; an untaken one is anyone's.
    (First-contact responsibility: once taken, colleagues see it but do not answer over it.)"""
    return (
        ticket.owner_id in (None, staff.id)
        or staff.role in (Role.MANAGER, Role.ADMIN)
        or ticket.status == TicketStatus.NEW
    )


async def can_claim_customer(session: AsyncSession, staff: Staff, customer_id: int) -> bool:
    """For "Claim": the customer belongs to the staff member's team (pooled or not) or to none.
    Whether it is still in the pool is the claim's to decide, so that a rep who comes second is
    told it is taken rather than that it is not theirs."""
    customer = await session.get(Customer, customer_id)
    return customer is not None and (customer.team is None or customer.team == staff.team)


async def can_manage_staff(session: AsyncSession, me: Staff, staff_id: int) -> bool:
    """An admin manages everyone; a manager their reports and their team's non-admins."""
    if me.role not in (Role.ADMIN, Role.MANAGER):
        return False
    person = await session.get(Staff, staff_id)
    if person is None:
        return False
    return (
        me.role == Role.ADMIN
        or person.manager_id == me.id
        or (person.team == me.team and person.role != Role.ADMIN)
    )


async def can_act_on_return_visit(session: AsyncSession, staff: Staff, rv_id: int) -> bool:
    """The one it was given to records a return visit; managers and admins may too."""
    rv = await session.get(ReturnVisit, rv_id)
    return rv is not None and (rv.staff_id == staff.id or staff.role in (Role.MANAGER, Role.ADMIN))


def may_cancel_campaign(staff: Staff, campaign: CareCampaign) -> bool:
    """Its author or an admin cancels a campaign (whether it is too late is the service's)."""
    return staff.role == Role.ADMIN or campaign.created_by == staff.id


async def is_own_message(session: AsyncSession, cuser: CustomerUser, message_id: int) -> bool:
    """A customer's own message on a request of theirs, and nobody else's."""
    msg = await session.get(TicketMessage, message_id)
    return (
        msg is not None
        and msg.author_kind == "customer"
        and msg.author_id == cuser.id
        and await can_see_ticket_as_customer(session, cuser, msg.ticket_id)
    )
