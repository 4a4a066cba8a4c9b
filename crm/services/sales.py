"""Visits and follow-ups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import FollowUpStatus
from crm.models import Customer, FollowUp, Staff, Visit
from crm.services.customers import renew_claim


async def log_visit(
    session: AsyncSession,
    staff: Staff,
    customer: Customer,
    *,
    kind: str,
    outcome: str | None,
    purpose: str | None,
    when: datetime,
    contacts_met: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    distance_m: float | None = None,
    far_from_address: bool = False,
    photo_ids: list[str] | None = None,
    followup_at: datetime | None,
    followup_note: str | None,
    claim_days: int,
    now: datetime | None = None,
) -> tuple[Visit, FollowUp | None]:
    """`when` is when the visit happened (reports, plans and cadence count it then); `now`, when
    it is recorded (by default the same)."""
    recorded = now or when
    visit = Visit(
        customer_id=customer.id,
        staff_id=staff.id,
        kind=kind,
        purpose=purpose,
        outcome=outcome,
        visited_at=when,
        created_at=recorded,
        contacts_met=contacts_met,
        lat=lat,
        lon=lon,
        distance_m=distance_m,
        far_from_address=far_from_address,
        photo_ids=photo_ids or [],
    )
    session.add(visit)
    await session.flush()
    followup = None
    if followup_at is not None:
        followup = FollowUp(
            customer_id=customer.id,
            staff_id=staff.id,
            visit_id=visit.id,
            note=followup_note,
            due_at=followup_at,
            created_at=recorded,
        )
        session.add(followup)
    renew_claim(customer, staff, when, claim_days)  # the claim runs from the visit itself
    await session.flush()
    return visit, followup


async def open_followups(
    session: AsyncSession, staff: Staff, until: datetime
) -> list[tuple[FollowUp, Customer]]:
    rows = await session.execute(
        select(FollowUp, Customer)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .where(
            FollowUp.staff_id == staff.id,
            FollowUp.status == FollowUpStatus.OPEN,
            FollowUp.due_at <= until,
        )
        .order_by(FollowUp.due_at)
    )
    return [(fu, c) for fu, c in rows.all()]


async def due_for_reminder(
    session: AsyncSession, now: datetime, limit: int = 500
) -> list[tuple[FollowUp, Customer, Staff]]:
    rows = await session.execute(
        select(FollowUp, Customer, Staff)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .join(Staff, Staff.id == FollowUp.staff_id)
        .where(
            FollowUp.status == FollowUpStatus.OPEN,
            FollowUp.reminded_at.is_(None),
            FollowUp.due_at <= now,
        )
        .order_by(FollowUp.due_at)
        .limit(limit)
    )
    return [(fu, c, s) for fu, c, s in rows.all()]


async def add_followup(
    session: AsyncSession,
    staff: Staff,
    customer: Customer,
    *,
    due_at: datetime,
    note: str | None,
    now: datetime,
    claim_days: int,
    visit_id: int | None = None,
    kind: str | None = None,
) -> FollowUp:
    """A follow-up planned by the staff member; like a visit, it renews their claim."""
    followup = FollowUp(
        customer_id=customer.id,
        staff_id=staff.id,
        visit_id=visit_id,
        note=note,
        kind=kind,
        due_at=due_at,
        created_at=now,
    )
    session.add(followup)
    renew_claim(customer, staff, now, claim_days)
    await session.flush()
    return followup
