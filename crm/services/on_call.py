"""The on-call rota: who is on call on which day (after-hours faults reach them)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role
from crm.models import OnCall, Staff

ROTA_ROLES = (Role.SERVICE, Role.SALES, Role.MANAGER)


async def rota(session: AsyncSession, first: date, last: date) -> dict[date, list[Staff]]:
    rows = await session.execute(
        select(OnCall.day, Staff)
        .join(Staff, Staff.id == OnCall.staff_id)
        .where(OnCall.day >= first, OnCall.day <= last)
        .order_by(OnCall.day, Staff.name)
    )
    out: dict[date, list[Staff]] = {}
    for day, staff in rows.all():
        out.setdefault(day, []).append(staff)
    return out


async def candidates(session: AsyncSession) -> list[Staff]:
    rows = await session.scalars(
        select(Staff)
        .where(Staff.active.is_(True), Staff.role.in_(ROTA_ROLES), Staff.tg_user_id.is_not(None))
        .order_by(Staff.role, Staff.name)
    )
    return list(rows)


async def toggle(session: AsyncSession, day: date, staff_id: int) -> bool:
    """Puts the person on call that day, or takes them off; returns whether they are on now."""
    row = await session.scalar(select(OnCall).where(OnCall.day == day, OnCall.staff_id == staff_id))
    if row is not None:
        await session.execute(delete(OnCall).where(OnCall.id == row.id))
        return False
    session.add(OnCall(day=day, staff_id=staff_id))
    await session.flush()
    return True
