"""Whose work a lead's digest counts (their reps, or everyone for an admin), and the queries
over it that the summary and the leaderboard share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role
from crm.models import Customer, CustomerChange, Staff, Ticket, Visit
from crm.services.summary import team_of


@dataclass(frozen=True)
class Scope:
    """Whose work a lead's figures count: their reps, and what belongs to them."""

    lead: Staff
    reps: list[Staff]

    @property
    def everyone(self) -> bool:
        return self.lead.role == Role.ADMIN

    @property
    def rep_ids(self) -> list[int]:
        return [r.id for r in self.reps]

    @property
    def people(self) -> list[int]:
        """The reps and the lead: a manager also registers customers and closes deals."""
        return [*self.rep_ids, self.lead.id]

    def tickets(self) -> ColumnElement[bool]:
        """Requests of the team's customers, handled by someone of the team (agents too), or not
        yet anyone's."""
        if self.everyone:
            return true()
        lead = self.lead
        members = select(Staff.id).where(
            or_(Staff.manager_id == lead.id, and_(Staff.team.is_not(None), Staff.team == lead.team))
        )
        owned = select(Customer.id).where(Customer.owner_id.in_(self.people))
        # Requests of customers no rep owns (a sender not linked to a record, a lead in the
        # pool) count for the team whose pool they are in, as their breaches alert its managers.
        pooled = select(Customer.id).where(
            Customer.owner_id.is_(None), or_(Customer.team.is_(None), Customer.team == lead.team)
        )
        unowned = or_(Ticket.customer_id.is_(None), Ticket.customer_id.in_(pooled))
        return or_(
            Ticket.customer_id.in_(owned),
            Ticket.owner_id.in_(members),
            Ticket.owner_id == lead.id,
            unowned,
        )


async def scope_of(session: AsyncSession, lead: Staff) -> Scope:
    return Scope(lead, await team_of(session, lead))


def between(column: ColumnElement[datetime], start: datetime, end: datetime) -> ColumnElement:
    return and_(column >= start, column < end)


def breached(start: datetime, end: datetime) -> ColumnElement[bool]:
    """A time limit that ran out within [start, end) before it was met (or is still unmet)."""
    first = and_(
        between(Ticket.first_response_due, start, end),
        or_(
            Ticket.first_response_at.is_(None), Ticket.first_response_at > Ticket.first_response_due
        ),
    )
    resolve = and_(
        between(Ticket.resolution_due, start, end),
        or_(Ticket.resolved_at.is_(None), Ticket.resolved_at > Ticket.resolution_due),
    )
    return or_(first, resolve)


def count(value: int | None) -> int:
    return int(value or 0)


async def visits_per_rep(
    session: AsyncSession, ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    rows = await session.execute(
        select(Visit.staff_id, func.count(Visit.id))
        .where(Visit.staff_id.in_(ids or [-1]), between(Visit.visited_at, start, end))
        .group_by(Visit.staff_id)
    )
    return {staff_id: int(n) for staff_id, n in rows.all()}


async def stage_changes(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime
) -> list[tuple[CustomerChange, int | None]]:
    """Stage changes in [start, end) with the customer's owner, in the team's scope."""
    cond = [CustomerChange.field == "stage", between(CustomerChange.changed_at, start, end)]
    if not scope.everyone:
        cond.append(
            or_(CustomerChange.changed_by.in_(scope.people), Customer.owner_id.in_(scope.people))
        )
    rows = await session.execute(
        select(CustomerChange, Customer.owner_id)
        .join(Customer, Customer.id == CustomerChange.customer_id)
        .where(*cond)
        .order_by(CustomerChange.changed_at, CustomerChange.id)
    )
    return [(change, owner) for change, owner in rows.all()]
