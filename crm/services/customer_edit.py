"""Changing a customer's fields, checked and audited whoever does it (chat, import, handover)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm import dedupe
from crm.customer_fields import BY_KEY, Field, shown_value
from crm.enums import Role
from crm.models import Customer, Staff
from crm.names import search_key
from crm.rules import Dedupe
from crm.services import access, runtime

LEADS = (Role.MANAGER, Role.ADMIN)


def may_change(staff: Staff, field: Field) -> bool:
    """Role-level: VIP, credit and the blacklist are a manager's call."""
    return staff.role in LEADS or not field.lead_only


async def set_field(
    session: AsyncSession,
    staff: Staff,
    customer_id: int,
    key: str,
    value: Any,
    *,
    now: datetime,
    reason: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> Customer | None:
    """Sets one field after re-checking the staff may edit this customer and this field; None
    (and nothing changed) when they may not. `reason` goes with the blacklist, `lat`/`lon` with
    the address (a pin)."""
    field = BY_KEY[key]
    if not may_change(staff, field):
        return None
    customer = await access.editable_customer(session, staff, customer_id)
    if customer is None:
        return None
    changes: dict[str, Any] = {}
    old = getattr(customer, field.column)
    setattr(customer, field.column, value)
    if shown_value(old) != shown_value(value):
        changes[key] = [shown_value(old), shown_value(value)]
    if key == "name":
        customer.name_search = search_key(str(value))
    if key == "blacklist":
        new_reason = reason if value else None
        if customer.blacklist_reason != new_reason:
            changes["reason"] = [customer.blacklist_reason, new_reason]
        customer.blacklist_reason = new_reason
    if key == "address" and lat is not None and lon is not None:
        customer.lat, customer.lon = lat, lon
        changes["pin"] = f"{lat:.5f},{lon:.5f}"
    customer.updated_at = now
    await record(session, customer.id, changes, actor=staff, via="chat", now=now)
    return customer


async def record(
    session: AsyncSession,
    customer_id: int,
    changes: dict[str, Any],
    *,
    actor: Staff | int | None,
    via: str,
    now: datetime,
    action: str = "customer.edit",
) -> None:
    """One audit entry for changes to a customer's fields ({key: [old, new]}), saying how they
    were made; nothing when nothing changed."""
    if not changes:
        return
    actor_id = actor.id if isinstance(actor, Staff) else actor
    await runtime.audit(
        session,
        actor_kind="staff" if actor_id else "system",
        actor_id=actor_id,
        action=action,
        entity="customer",
        entity_id=customer_id,
        changes={**changes, "how": via},
        now=now,
    )


async def recheck_duplicates(
    session: AsyncSession, rules: Dedupe, customer: Customer, *, now: datetime
) -> Customer | None:
    """After a name, phone or address change: a customer now like another one waits for the
    manager as a new registration would (the check cannot be walked around by registering
    under another name and renaming). Returns the customer it resembles, if any."""
    if customer.approval is not None:
        return None
    found = await dedupe.find(
        session, rules, customer.name, customer.phone, customer.address, exclude=customer.id
    )
    if not found:
        return None
    other = found[0].customer
    customer.approval, customer.dup_of_id, customer.updated_at = "pending", other.id, now
    await record(
        session,
        customer.id,
        {"dup_of": other.name},
        actor=None,
        via="chat",
        now=now,
        action="customer.pending",
    )
    return other
