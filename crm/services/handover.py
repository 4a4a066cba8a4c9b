"""Handing a rep's work to other reps: customers, open follow-ups, open tickets and claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import FollowUpStatus
from crm.models import Customer, CustomerChange, FollowUp, Staff, Ticket
from crm.services.customer_edit import record
from crm.services.tickets import OPEN


@dataclass
class Counts:
    customers: int
    followups: int
    tickets: int
    claims: int


async def counts(session: AsyncSession, staff_id: int, now: datetime) -> Counts:
    def n(stmt):  # type: ignore[no-untyped-def]
        return session.scalar(select(func.count()).select_from(stmt.subquery()))

    return Counts(
        customers=await n(select(Customer.id).where(Customer.owner_id == staff_id)) or 0,
        followups=await n(
            select(FollowUp.id).where(
                FollowUp.staff_id == staff_id, FollowUp.status == FollowUpStatus.OPEN
            )
        )
        or 0,
        tickets=await n(
            select(Ticket.id).where(Ticket.owner_id == staff_id, Ticket.status.in_(OPEN))
        )
        or 0,
        claims=await n(
            select(Customer.id).where(
                Customer.owner_id == staff_id, Customer.claim_expires_at > now
            )
        )
        or 0,
    )


@dataclass
class Moved:
    customer: Customer
    old_owner: int
    new_owner: Staff


async def hand_over(
    session: AsyncSession, source: Staff, targets: list[Staff], *, by: int, now: datetime
) -> list[Moved]:
    """Customers are dealt out in turn, key customers first, so each target gets a fair share;
    a customer's open follow-ups and open tickets go with it; tickets of no customer go to the
    first target. Claims keep their expiry: the new owner inherits the same time."""
    if not targets:
        raise ValueError("no one to hand over to")
    customers = list(
        await session.scalars(
            select(Customer)
            .where(Customer.owner_id == source.id)
            .order_by(Customer.customer_class, Customer.annual_value.desc(), Customer.id)
        )
    )
    moved: list[Moved] = []
    for i, customer in enumerate(customers):
        target = targets[i % len(targets)]
        customer.owner_id, customer.team, customer.updated_at = target.id, target.team, now
        session.add(
            CustomerChange(
                customer_id=customer.id,
                field="owner",
                old_value=str(source.id),
                new_value=str(target.id),
                reason="handover",
                changed_by=by,
                changed_at=now,
            )
        )
        for fu in await session.scalars(
            select(FollowUp).where(
                FollowUp.customer_id == customer.id,
                FollowUp.staff_id == source.id,
                FollowUp.status == FollowUpStatus.OPEN,
            )
        ):
            fu.staff_id = target.id
        for t in await session.scalars(
            select(Ticket).where(
                Ticket.customer_id == customer.id,
                Ticket.owner_id == source.id,
                Ticket.status.in_(OPEN),
            )
        ):
            t.owner_id = target.id
        await record(
            session,
            customer.id,
            {"owner_id": [source.id, target.id]},
            actor=by,
            via="handover",
            now=now,
            action="customer.reassign",
        )
        moved.append(Moved(customer, source.id, target))
    for t in await session.scalars(
        select(Ticket).where(Ticket.owner_id == source.id, Ticket.status.in_(OPEN))
    ):
        t.owner_id = targets[0].id
    for fu in await session.scalars(
        select(FollowUp).where(
            FollowUp.staff_id == source.id, FollowUp.status == FollowUpStatus.OPEN
        )
    ):
        fu.staff_id = targets[0].id
    await session.flush()
    return moved
