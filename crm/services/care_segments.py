"""Segments: the customers a campaign reaches, narrowed by class, stage, tag, owner and area,
and its audience as counted before it is confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import (
    Customer,
    CustomerUser,
    Staff,
    Visit,
)
from crm.services.access import customer_scope
from crm.services.care_kinds import GREETING, category_of
from crm.services.care_recipients import telegram_users, unreachable

# ---------------------------------------------------------------- segments

DIMENSIONS = ("class", "stage", "tag", "owner", "area")
# Also read when present (a segment from typed conditions): "vip", "credit", "industry",
# "not_visited_since" (an ISO time).
POOL_OWNER = 0  # the "owner" value that means the team pool (no owner)

Segment = dict[str, list[Any]]


async def segment_customers(session: AsyncSession, staff: Staff, seg: Segment) -> list[Customer]:
    """The customers a campaign by this staff member reaches: those they may see, matching every
    criterion given (any of a criterion's values). An empty segment is all of them."""
    # Blacklisted customers get no campaigns (nor care: crm.services.care_recipients).
    stmt = (
        select(Customer)
        .where(customer_scope(staff), Customer.blacklisted.is_(False))
        .order_by(Customer.id)
    )
    if seg.get("class"):
        stmt = stmt.where(Customer.customer_class.in_(seg["class"]))
    if seg.get("stage"):
        stmt = stmt.where(Customer.stage.in_(seg["stage"]))
    if seg.get("area"):
        stmt = stmt.where(Customer.area.in_(seg["area"]))
    if seg.get("owner"):
        owners = [int(o) for o in seg["owner"]]
        conds = []
        ids = [o for o in owners if o != POOL_OWNER]
        if ids:
            conds.append(Customer.owner_id.in_(ids))
        if POOL_OWNER in owners:
            conds.append(Customer.owner_id.is_(None))
        stmt = stmt.where(or_(*conds))
    # The conditions /customers reads (crm.services.customer_filters) narrow a segment too.
    if seg.get("vip"):
        stmt = stmt.where(Customer.vip.is_(True))
    if seg.get("credit"):
        stmt = stmt.where(Customer.credit_rating.in_(seg["credit"]))
    if seg.get("industry"):
        stmt = stmt.where(Customer.industry.in_(seg["industry"]))
    if seg.get("not_visited_since"):
        since = datetime.fromisoformat(seg["not_visited_since"][0])
        stmt = stmt.where(
            ~exists().where(Visit.customer_id == Customer.id, Visit.visited_at >= since)
        )
    customers = list(await session.scalars(stmt))
    tags = set(seg.get("tag") or ())
    if tags:  # JSON lists: filtered here, alike on SQLite and PostgreSQL
        customers = [c for c in customers if tags & set(c.tags or ())]
    return customers


async def segment_values(session: AsyncSession, staff: Staff, dim: str) -> list[str]:
    """The tags or areas found among the customers this staff member may see."""
    if dim == "area":
        rows = await session.scalars(
            select(Customer.area)
            .where(customer_scope(staff), Customer.area.is_not(None))
            .distinct()
        )
        return sorted(a for a in rows if a)
    if dim == "tag":
        tags: set[str] = set()
        for row in await session.scalars(select(Customer.tags).where(customer_scope(staff))):
            tags.update(t for t in row or () if isinstance(t, str) and t)
        return sorted(tags)
    raise ValueError(dim)


async def segment_owners(session: AsyncSession, staff: Staff) -> list[tuple[int, str]]:
    """(staff id, name) of the people owning customers this staff member may see."""
    rows = await session.execute(
        select(Staff.id, Staff.name)
        .join(Customer, Customer.owner_id == Staff.id)
        .where(customer_scope(staff))
        .distinct()
        .order_by(Staff.name)
    )
    return [(sid, name) for sid, name in rows.all()]


@dataclass
class Audience:
    """Who a campaign reaches, as counted before it is confirmed."""

    customers: list[Customer]
    # Every Telegram user of those customers: one delivery each.
    people: list[tuple[Customer, CustomerUser]]
    receiving: list[tuple[Customer, CustomerUser]]  # consent (for greetings) and not blocked
    no_consent: int  # customers left out for want of consent (greetings only)
    not_on_telegram: int  # customers nobody on Telegram is linked to
    blocked: int  # people whose chat blocked the bot

    @property
    def receiving_customers(self) -> int:
        return len({c.id for c, _u in self.receiving})


async def audience(session: AsyncSession, staff: Staff, seg: Segment, topic: str) -> Audience:
    customers = await segment_customers(session, staff, seg)
    users = await telegram_users(session, (c.id for c in customers))
    people = [(c, u) for c in customers for u in users.get(c.id, [])]
    blocked = await unreachable(session, (u.tg_user_id for _c, u in people))
    greeting = category_of(topic) == GREETING
    receiving = [
        (c, u)
        for c, u in people
        if u.tg_user_id not in blocked and (c.care_consent or not greeting)
    ]
    return Audience(
        customers=customers,
        people=people,
        receiving=receiving,
        no_consent=sum(1 for c in customers if greeting and users.get(c.id) and not c.care_consent),
        not_on_telegram=sum(1 for c in customers if not users.get(c.id)),
        blocked=sum(1 for _c, u in people if u.tg_user_id in blocked),
    )
