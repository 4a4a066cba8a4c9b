"""Claims on prospects and the team pool: "whoever registers first owns the customer".

A rep's claim on a prospect lasts `claims.period_days` and is renewed by each visit or follow-up
(`customers.renew_claim`). Warned `claims.warn_days` before, the customer returns to the team
pool when the claim lapses. Won and repeat customers (and lost ones) never lapse: only the
prospect stages below do. Each change of owner made here (lapse, claim, reassignment) is a
`CustomerChange` row (field "owner", "pool" for no owner) and an audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role, Stage
from crm.models import Customer, CustomerChange, OutboxMessage, Staff
from crm.services import runtime

PROSPECT_STAGES = (
    Stage.LEAD,
    Stage.CONTACTED,
    Stage.NEEDS_CONFIRMED,
    Stage.PROPOSAL,
    Stage.NEGOTIATION,
)
POOL = "pool"


async def already_queued(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of these outbox dedupe keys exist already (so a job skips building the message)."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        found.update(
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(chunk))
            )
        )
    return found


def in_pool_of(staff: Staff) -> ColumnElement[bool]:
    """SQL condition: the customer is in the pool of the staff member's team."""
    return and_(
        Customer.owner_id.is_(None), or_(Customer.team == staff.team, Customer.team.is_(None))
    )


async def lapsing_soon(
    session: AsyncSession,
    now: datetime,
    warn_days: int,
    *,
    owner_id: int | None = None,
    owner_ids: Sequence[int] | None = None,
) -> list[tuple[Customer, Staff]]:
    """Claimed prospects whose claim ends within `warn_days` (not yet lapsed), with the owner;
    only those of `owner_id`, or of `owner_ids` (a team), when given."""
    if warn_days <= 0:
        return []
    stmt = (
        select(Customer, Staff)
        .join(Staff, Staff.id == Customer.owner_id)
        .where(
            Customer.stage.in_(PROSPECT_STAGES),
            Customer.claim_expires_at > now,
            Customer.claim_expires_at <= now + timedelta(days=warn_days),
        )
        .order_by(Customer.claim_expires_at, Customer.id)
    )
    if owner_id is not None:
        stmt = stmt.where(Customer.owner_id == owner_id)
    if owner_ids is not None:
        # In the query, not after it: a manager's summary must not read the whole company's.
        stmt = stmt.where(Customer.owner_id.in_(owner_ids))
    return [(c, s) for c, s in (await session.execute(stmt)).all()]


@dataclass(frozen=True)
class Lapsed:
    customer_id: int
    customer_name: str
    former_owner_id: int
    expired_at: datetime


async def lapse_due(session: AsyncSession, now: datetime, limit: int = 200) -> list[Lapsed]:
    """Returns lapsed claims to the team pool; each customer once, whoever runs this first.

    The update re-checks its conditions, so a visit that renewed the claim in the meantime (or a
    second scheduler) wins over the lapse.
    """
    rows = (
        await session.execute(
            select(Customer.id, Customer.name, Customer.owner_id, Customer.claim_expires_at)
            .where(
                Customer.owner_id.is_not(None),
                Customer.stage.in_(PROSPECT_STAGES),
                Customer.claim_expires_at <= now,
            )
            .order_by(Customer.claim_expires_at, Customer.id)
            .limit(limit)
        )
    ).all()
    lapsed: list[Lapsed] = []
    for cid, name, owner_id, expires in rows:
        result = await session.execute(
            update(Customer)
            .where(
                Customer.id == cid,
                Customer.owner_id == owner_id,
                Customer.stage.in_(PROSPECT_STAGES),
                Customer.claim_expires_at <= now,
            )
            .values(owner_id=None, claim_expires_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            continue
        session.add(
            CustomerChange(
                customer_id=cid,
                field="owner",
                old_value=str(owner_id),
                new_value=POOL,
                reason="claim lapsed",
                changed_by=None,
                changed_at=now,
            )
        )
        await runtime.audit(
            session,
            actor_kind="system",
            actor_id=None,
            action="customer.claim_lapsed",
            entity="customer",
            entity_id=cid,
            changes={
                "owner_id": [owner_id, None],
                "claim_expires_at": expires.isoformat() if expires else None,
            },
            now=now,
        )
        lapsed.append(Lapsed(cid, name, owner_id, expires))
    await session.flush()
    return lapsed


async def managers_of(session: AsyncSession, staff: Staff) -> list[Staff]:
    """Who manages this staff member: their manager, else the active managers of their team."""
    if staff.manager_id is not None:
        manager = await session.get(Staff, staff.manager_id)
        return [manager] if manager is not None and manager.active else []
    if staff.team is None:
        return []
    found = await session.scalars(
        select(Staff).where(
            Staff.active.is_(True),
            Staff.role == Role.MANAGER,
            Staff.team == staff.team,
            Staff.id != staff.id,
        )
    )
    return list(found)


async def claim(
    session: AsyncSession, customer_id: int, staff: Staff, *, now: datetime, period_days: int
) -> Customer | None:
    """Takes a customer from the staff member's team pool; None when it is no longer there.

    One conditional update: of two reps pressing "Claim" at once, exactly one gets it.
    """
    result = await session.execute(
        update(Customer)
        .where(Customer.id == customer_id, in_pool_of(staff))
        .values(
            owner_id=staff.id,
            team=staff.team,
            claim_expires_at=now + timedelta(days=period_days),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    session.add(
        CustomerChange(
            customer_id=customer_id,
            field="owner",
            old_value=POOL,
            new_value=str(staff.id),
            reason="claimed from the pool",
            changed_by=staff.id,
            changed_at=now,
        )
    )
    await runtime.audit(
        session,
        actor_kind="staff",
        actor_id=staff.id,
        action="customer.claim",
        entity="customer",
        entity_id=customer_id,
        changes={"owner_id": [None, staff.id]},
        now=now,
    )
    await session.flush()
    return await session.get(Customer, customer_id, populate_existing=True)


async def reassign(
    session: AsyncSession,
    customer: Customer,
    new_owner: Staff,
    *,
    by: Staff,
    now: datetime,
    period_days: int,
) -> int | None:
    """Hands the customer to another rep (a manager's decision); returns the former owner's id."""
    old = customer.owner_id
    customer.owner_id = new_owner.id
    customer.team = new_owner.team
    customer.claim_expires_at = now + timedelta(days=period_days)
    customer.updated_at = now
    session.add(
        CustomerChange(
            customer_id=customer.id,
            field="owner",
            old_value=str(old) if old is not None else POOL,
            new_value=str(new_owner.id),
            reason="reassigned by manager",
            changed_by=by.id,
            changed_at=now,
        )
    )
    await runtime.audit(
        session,
        actor_kind="staff",
        actor_id=by.id,
        action="customer.reassign",
        entity="customer",
        entity_id=customer.id,
        changes={"owner_id": [old, new_owner.id]},
        now=now,
    )
    await session.flush()
    return old
