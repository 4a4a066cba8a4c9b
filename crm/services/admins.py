"""The company always keeps an active admin: someone must be able to invite, import and set
rules. A change that would leave none (demoting or deactivating the last one) is refused."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role
from crm.models import Staff


async def is_last_active_admin(session: AsyncSession, person: Staff) -> bool:
    """Whether `person` is an active admin and no other active admin exists.

    The active admins' rows are locked (PostgreSQL; SQLite serialises writers anyway), so two
    admins demoting each other at the same moment cannot both pass.
    """
    if person.role != Role.ADMIN or not person.active:
        return False
    admins = await session.scalars(
        select(Staff.id)
        .where(Staff.role == Role.ADMIN, Staff.active.is_(True))
        .order_by(Staff.id)
        .with_for_update()
    )
    return not any(admin_id != person.id for admin_id in admins)
