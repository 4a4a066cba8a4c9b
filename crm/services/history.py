"""The audit log read back: the latest changes to a record, with who made them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import AuditLog, Staff


async def changes_to(
    session: AsyncSession, entity: str, entity_id: int | None = None, *, limit: int
) -> list[tuple[AuditLog, str | None]]:
    """The newest `limit` entries about `entity` (one record of it, with `entity_id`), each
    with the name of the staff member who made it (None for the system or a customer)."""
    stmt = (
        select(AuditLog, Staff.name)
        .outerjoin(Staff, (AuditLog.actor_kind == "staff") & (Staff.id == AuditLog.actor_id))
        .where(AuditLog.entity == entity)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    return [(entry, name) for entry, name in (await session.execute(stmt)).all()]
