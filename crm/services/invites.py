"""One-time deep-link invitations: random tokens, stored hashed, single use, expiring."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role
from crm.models import CustomerUser, Invite, Staff

Outcome = Literal["staff", "customer", "unknown", "used", "expired", "already_staff"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(
    session: AsyncSession,
    *,
    now: datetime,
    ttl_hours: int,
    role: Role,
    name: str | None = None,
    manager_id: int | None = None,
    customer_id: int | None = None,
    created_by: int | None = None,
) -> str:
    """Returns the token; only its hash is kept. 32 URL-safe characters fit Telegram's /start."""
    token = secrets.token_urlsafe(24)
    session.add(
        Invite(
            token_hash=_hash(token),
            role=role,
            name=name,
            manager_id=manager_id,
            customer_id=customer_id,
            created_by=created_by,
            created_at=now,
            expires_at=now + timedelta(hours=ttl_hours),
        )
    )
    await session.flush()
    return token


@dataclass
class Redeemed:
    outcome: Outcome
    staff: Staff | None = None
    customer_user: CustomerUser | None = None


async def redeem(
    session: AsyncSession,
    token: str,
    *,
    tg_user_id: int,
    username: str | None,
    locale: str,
    tz: str,
    now: datetime,
) -> Redeemed:
    if not token or len(token) > 64:
        return Redeemed("unknown")
    invite = await session.scalar(
        select(Invite).where(Invite.token_hash == _hash(token)).with_for_update()
    )
    if invite is None:
        return Redeemed("unknown")
    if invite.used_at is not None:
        return Redeemed("used")
    if invite.expires_at <= now:
        return Redeemed("expired")
    existing = await session.scalar(select(Staff).where(Staff.tg_user_id == tg_user_id))
    if invite.customer_id is not None:
        if existing is not None:
            return Redeemed("already_staff", staff=existing)
        cuser = await session.scalar(
            select(CustomerUser).where(CustomerUser.tg_user_id == tg_user_id)
        )
        if cuser is None:
            cuser = CustomerUser(tg_user_id=tg_user_id, locale=locale, created_at=now)
            session.add(cuser)
        cuser.customer_id = invite.customer_id
        invite.used_at, invite.used_by_tg = now, tg_user_id
        await session.flush()
        return Redeemed("customer", customer_user=cuser)
    if existing is not None:
        return Redeemed("already_staff", staff=existing)
    manager = await session.get(Staff, invite.manager_id) if invite.manager_id else None
    # The Telegram username becomes the handle managers use on the command line, if free.
    handle_taken = username and await session.scalar(
        select(Staff.id).where(Staff.handle == username)
    )
    staff = Staff(
        tg_user_id=tg_user_id,
        handle=None if handle_taken else username,
        name=invite.name or "",
        role=invite.role,
        manager_id=invite.manager_id,
        team=manager.team if manager else None,
        locale=locale,
        timezone=tz,
        active=True,
        created_at=now,
    )
    session.add(staff)
    invite.used_at, invite.used_by_tg = now, tg_user_id
    await session.flush()
    return Redeemed("staff", staff=staff)
