"""Colleagues as one member of staff sees them: the people a lead manages, the managers to
tell about something, a chosen few by id."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role
from crm.models import Staff


async def managed_by(session: AsyncSession, lead: Staff) -> list[Staff]:
    """Everyone for an admin; else the lead's reports and team. Active first, by role, name."""
    stmt = select(Staff).order_by(Staff.active.desc(), Staff.role, Staff.name)
    if lead.role != Role.ADMIN:
        stmt = stmt.where(or_(Staff.manager_id == lead.id, Staff.team == lead.team))
    return list(await session.scalars(stmt))


async def by_ids(session: AsyncSession, ids: Iterable[int]) -> list[Staff]:
    """These colleagues (the ones that still exist), by name."""
    wanted = list(ids)
    if not wanted:
        return []
    return list(
        await session.scalars(select(Staff).where(Staff.id.in_(wanted)).order_by(Staff.name))
    )


async def managers_of(session: AsyncSession, staff: Staff | None) -> list[Staff]:
    """The staff member's own manager when they have one, else every active manager."""
    stmt = select(Staff).where(Staff.active.is_(True), Staff.role == Role.MANAGER)
    if staff is not None and staff.manager_id is not None:
        stmt = stmt.where(Staff.id == staff.manager_id)
    return list(await session.scalars(stmt))


async def managers_near(session: AsyncSession, staff: Staff) -> list[Staff]:
    """Active managers who are the staff member's manager or in their team."""
    return list(
        await session.scalars(
            select(Staff).where(
                Staff.active.is_(True),
                Staff.role == Role.MANAGER,
                (Staff.id == staff.manager_id) | (Staff.team == staff.team),
            )
        )
    )


async def names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """Their names by id (ids that name nobody are left out)."""
    wanted = set(ids)
    if not wanted:
        return {}
    found = await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(wanted)))
    return {sid: name for sid, name in found}
