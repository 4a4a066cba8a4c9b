"""Who a lead's figures are about: the reps of a manager's team, every rep for an admin.

The figures themselves (the summary of a day, week or month) are in crm/services/digest.py.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role
from crm.models import Staff


async def team_of(session: AsyncSession, lead: Staff) -> list[Staff]:
    stmt = select(Staff).where(Staff.active.is_(True), Staff.role == Role.SALES)
    if lead.role != Role.ADMIN:
        stmt = stmt.where(or_(Staff.manager_id == lead.id, Staff.team == lead.team))
    return list(await session.scalars(stmt.order_by(Staff.name)))
