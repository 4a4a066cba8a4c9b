"""Planning and applying a customer import against the database (parsing is crm/importer.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.customer_fields import shown_value
from crm.importer import CUSTOMER_FIELDS, Preview, Rejected, Row, clean
from crm.models import Contact, Customer, Staff
from crm.names import search_key
from crm.services import runtime
from crm.services.customer_edit import record

COMPARED = (*(f for f in CUSTOMER_FIELDS if f != "contact"), "owner_id")


async def _owners(session: AsyncSession) -> dict[str, int]:
    """Owner cells may hold a handle or a name."""
    out: dict[str, int] = {}
    for s in await session.scalars(select(Staff).where(Staff.active.is_(True))):
        out[s.name.lower()] = s.id
        if s.handle:
            out[s.handle.lower()] = s.id
    return out


async def plan(session: AsyncSession, rows: list[Row], unknown: list[str]) -> Preview:
    preview = Preview(unknown_columns=unknown)
    owners = await _owners(session)
    existing = (
        await session.execute(select(Customer.id, Customer.external_id, Customer.phone))
    ).all()
    ids = {cid for cid, _, _ in existing}
    by_ext = {ext: cid for cid, ext, _ in existing if ext}
    by_phone = {phone: cid for cid, _, phone in existing if phone}
    seen: dict[str, int] = {}
    matched: list[tuple[int, Row, dict[str, Any]]] = []
    for row in rows:
        fields, problem = clean(row, owners)
        if problem is not None:
            preview.rejected.append(problem)
            continue
        keys = [f"e:{fields['external_id']}"] if fields.get("external_id") else []
        keys += [f"p:{fields['phone']}"] if fields.get("phone") else []
        dup = next((k for k in keys if k in seen), None)
        if dup is not None:
            preview.rejected.append(
                Rejected(row.number, "duplicate_in_file", f"row {seen[dup]}", seen[dup])
            )
            continue
        for k in keys:
            seen[k] = row.number
        own = fields.pop("crm_id", None)
        cid = (
            (own if own in ids else None)
            or by_ext.get(fields.get("external_id", ""))
            or by_phone.get(fields.get("phone", ""))
        )
        if cid is None:
            preview.create.append(row)
        else:
            matched.append((cid, row, fields))
    if matched:
        current = {
            c.id: c
            for c in await session.scalars(
                select(Customer).where(Customer.id.in_([cid for cid, _, _ in matched]))
            )
        }
        for cid, row, fields in matched:
            customer = current[cid]
            if any(key in fields and fields[key] != getattr(customer, key) for key in COMPARED):
                preview.update.append((cid, row))
            else:
                preview.unchanged += 1
    return preview


async def apply(
    session: AsyncSession,
    preview: Preview,
    *,
    actor_id: int | None,
    now: datetime,
    source: str | None = None,
) -> tuple[int, int]:
    """Creates and updates what the preview says; returns (created, updated)."""
    owners = await _owners(session)
    actor = await session.get(Staff, actor_id) if actor_id else None
    pending: list[tuple[Customer, dict[str, Any] | None]] = []
    for row in preview.create:
        fields, _ = clean(row, owners)
        contact = fields.pop("contact", None)
        fields.pop("crm_id", None)
        customer = Customer(
            **fields,
            name_search=search_key(fields["name"]),
            created_by=actor_id,
            created_at=now,
            updated_at=now,
        )
        pending.append((customer, contact))
    session.add_all([c for c, _ in pending])
    # One flush gives every new customer its id; then their contacts go in together.
    await session.flush()
    session.add_all(
        [Contact(customer_id=c.id, created_at=now, **contact) for c, contact in pending if contact]
    )
    for c, _contact in pending:
        await record(
            session,
            c.id,
            {"name": c.name},
            actor=actor,
            via="import",
            now=now,
            action="customer.create",
        )
    created = len(pending)
    updated = 0
    if preview.update:
        ids = [cid for cid, _ in preview.update]
        current = {
            c.id: c for c in await session.scalars(select(Customer).where(Customer.id.in_(ids)))
        }
        for cid, row in preview.update:
            fields, _ = clean(row, owners)
            fields.pop("contact", None)
            fields.pop("crm_id", None)
            customer = current[cid]
            changes: dict[str, Any] = {}
            for key, value in fields.items():
                old = getattr(customer, key)
                if old != value:
                    changes[key] = [shown_value(old), shown_value(value)]
                setattr(customer, key, value)
            # Each customer's history shows what the import changed (crm.services.customer_edit).
            await record(session, cid, changes, actor=actor, via="import", now=now)
            customer.name_search = search_key(customer.name)
            customer.updated_at = now
            updated += 1
    await session.flush()
    await runtime.audit(
        session,
        actor_kind="staff" if actor_id else "system",
        actor_id=actor_id,
        action="customer.import",
        entity="customer",
        entity_id=None,
        changes={
            "created": created,
            "updated": updated,
            "rejected": len(preview.rejected),
            **({"file": source} if source else {}),
        },
        now=now,
    )
    return created, updated
