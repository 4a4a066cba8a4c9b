"""Two records of one customer made one, and registrations awaiting a manager's approval.

A merge moves everything that points at the merged customer (visits, follow-ups, tickets,
contacts, linked chats, care deliveries, invites, audit history) to the survivor, fills the
survivor's empty fields from it, and leaves its name and phone as an alias that search and the
duplicate check still find.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.db import Base
from crm.enums import Role
from crm.models import AuditLog, Customer, CustomerAlias, Staff
from crm.names import search_key
from crm.services import access
from crm.services.customer_edit import record

PENDING = "pending"
LEADS = (Role.MANAGER, Role.ADMIN)
# Fields a survivor takes from the merged customer when it has none of its own.
FILLED = (
    "phone", "industry", "address", "area", "lat", "lon", "source", "birthday", "credit_rating",
    "blacklist_reason", "notes", "power_account", "tariff", "voltage", "meter_segment",
    "external_id",
)  # fmt: skip


def _pointers() -> list[Any]:
    """Every column of every table that refers to a customer (found from the schema, so a table
    added later moves too); the customer table's own and the aliases' are handled apart."""
    out = []
    for table in Base.metadata.sorted_tables:
        if table.name in ("customer", "customer_alias"):
            continue
        for column in table.columns:
            if any(fk.column.table.name == "customer" for fk in column.foreign_keys):
                out.append(column)
    return out


async def may_merge(session: AsyncSession, staff: Staff, survivor: int, merged: int) -> bool:
    """A manager or admin who may see the merged customer; the survivor may be another team's
    (that is where a duplicate usually is)."""
    return (
        staff.role in LEADS
        and survivor != merged
        and await session.get(Customer, survivor) is not None
        and await access.can_see_customer(session, staff, merged)
    )


async def merge(
    session: AsyncSession, staff: Staff, survivor_id: int, merged_id: int, *, now: datetime
) -> Customer | None:
    """Merges `merged_id` into `survivor_id`; None (nothing changed) when not allowed."""
    if not await may_merge(session, staff, survivor_id, merged_id):
        return None
    survivor = await session.get(Customer, survivor_id)
    merged = await session.get(Customer, merged_id)
    assert survivor is not None and merged is not None
    filled: dict[str, Any] = {}
    for column in FILLED:
        theirs = getattr(merged, column)
        if getattr(survivor, column) in (None, "") and theirs not in (None, ""):
            if column == "external_id":
                merged.external_id = None  # unique: free it before the survivor takes it
                await session.flush()
            setattr(survivor, column, theirs)
            filled[column] = theirs if isinstance(theirs, str) else str(theirs)
    survivor.tags = list(dict.fromkeys([*(survivor.tags or []), *(merged.tags or [])]))
    survivor.vip = survivor.vip or merged.vip
    survivor.blacklisted = survivor.blacklisted or merged.blacklisted
    survivor.annual_value = max(survivor.annual_value or 0, merged.annual_value or 0)
    survivor.updated_at = now
    await session.flush()
    for column in _pointers():
        await session.execute(
            update(column.table).where(column == merged_id).values({column.name: survivor_id})
        )
    await session.execute(
        update(AuditLog)
        .where(AuditLog.entity == "customer", AuditLog.entity_id == merged_id)
        .values(entity_id=survivor_id)
    )
    await session.execute(
        update(Customer).where(Customer.dup_of_id == merged_id).values(dup_of_id=survivor_id)
    )
    await session.execute(
        update(CustomerAlias)
        .where(CustomerAlias.customer_id == merged_id)
        .values(customer_id=survivor_id)
    )
    session.add(
        CustomerAlias(
            customer_id=survivor_id,
            name=merged.name,
            name_search=search_key(merged.name),
            phone=merged.phone,
            merged_from=merged_id,
            merged_by=staff.id,
            merged_at=now,
        )
    )
    if survivor.dup_of_id == merged_id:
        survivor.dup_of_id = None
    name = merged.name
    session.expunge(merged)
    await session.execute(delete(Customer).where(Customer.id == merged_id))
    await record(
        session,
        survivor_id,
        {"merged": name, **filled},
        actor=staff,
        via="merge",
        now=now,
        action="customer.merge",
    )
    await session.flush()
    return survivor


async def approve(
    session: AsyncSession, staff: Staff, customer_id: int, *, now: datetime
) -> Customer | None:
    """A pending registration made a customer like any other; None when not allowed or not
    pending."""
    if staff.role not in LEADS:
        return None
    customer = await access.visible_customer(session, staff, customer_id)
    if customer is None or customer.approval != PENDING:
        return None
    customer.approval, customer.dup_of_id, customer.updated_at = None, None, now
    session.add(
        AuditLog(
            actor_kind="staff",
            actor_id=staff.id,
            action="customer.approve",
            entity="customer",
            entity_id=customer.id,
            changes={"how": "chat"},
            at=now,
        )
    )
    return customer


async def pending_for(session: AsyncSession, staff: Staff) -> list[Customer]:
    """Registrations awaiting this manager's decision (those they may see)."""
    rows = await session.scalars(
        select(Customer)
        .where(Customer.approval == PENDING, access.customer_scope(staff))
        .order_by(Customer.created_at)
    )
    return list(rows)


async def managers_of(session: AsyncSession, staff: Staff) -> list[Staff]:
    """Who decides for this rep: their manager, and the managers of their team."""
    return list(
        await session.scalars(
            select(Staff).where(
                Staff.active.is_(True),
                Staff.role == Role.MANAGER,
                or_(Staff.id == staff.manager_id, Staff.team == staff.team),
            )
        )
    )
