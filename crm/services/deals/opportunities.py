"""Opportunities: what is being sold to a customer, for how much, closing when, at which stage.

A customer may have several. Its stage follows its most advanced opportunity (by the order of
`rules.stages.order`): a won opportunity makes the customer won (with the amount, in the history
the summaries count), a customer all of whose opportunities were lost is lost. A customer who is
won (or a repeat customer) stays so whatever later opportunities do.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Stage
from crm.models import Customer, Opportunity, Staff
from crm.money import exact
from crm.rules import Rules
from crm.services import status

WON = "won"
LOST = "lost"
CLOSED = (WON, LOST)


def probability(rules: Rules, stage: str) -> int:
    return rules.deals.probability.get(stage, 0)


def weighted(rules: Rules, opp: Opportunity) -> Decimal:
    """The amount times the stage's probability, exact to the cent."""
    return exact(Decimal(opp.amount) * probability(rules, opp.stage) / 100)


async def for_customer(session: AsyncSession, customer_id: int) -> list[Opportunity]:
    rows = await session.scalars(
        select(Opportunity).where(Opportunity.customer_id == customer_id).order_by(Opportunity.id)
    )
    return list(rows)


async def open_for_owner(
    session: AsyncSession, owner_id: int, limit: int = 20
) -> list[Opportunity]:
    rows = await session.scalars(
        select(Opportunity)
        .where(Opportunity.owner_id == owner_id, Opportunity.stage.not_in(CLOSED))
        .order_by(Opportunity.expected_close.is_(None), Opportunity.expected_close, Opportunity.id)
        .limit(limit)
    )
    return list(rows)


async def create(
    session: AsyncSession,
    customer: Customer,
    by: Staff,
    *,
    title: str,
    amount: Decimal,
    expected_close: date | None,
    stage: str,
    now: datetime,
    rules: Rules,
    visit_id: int | None = None,
    renews_contract_id: int | None = None,
) -> Opportunity:
    if stage not in rules.deals.open_stages:
        raise ValueError(f"not an open stage: {stage}")
    opp = Opportunity(
        customer_id=customer.id,
        owner_id=customer.owner_id or by.id,
        title=title[:200],
        amount=exact(amount),
        expected_close=expected_close,
        stage=stage,
        visit_id=visit_id,
        renews_contract_id=renews_contract_id,
        created_by=by.id,
        created_at=now,
        updated_at=now,
    )
    session.add(opp)
    await session.flush()
    await follow(session, customer, by=by.id, now=now, rules=rules)
    return opp


async def move(
    session: AsyncSession,
    opp: Opportunity,
    customer: Customer,
    stage: str,
    *,
    by: int,
    now: datetime,
    rules: Rules,
) -> None:
    """Another open stage."""
    if stage not in rules.deals.open_stages:
        raise ValueError(f"not an open stage: {stage}")
    opp.stage = stage
    opp.updated_at = now
    await session.flush()
    await follow(session, customer, by=by, now=now, rules=rules)


async def win(
    session: AsyncSession,
    opp: Opportunity,
    customer: Customer,
    amount: Decimal,
    *,
    by: int,
    now: datetime,
    rules: Rules,
) -> None:
    opp.stage = WON
    opp.won_amount = exact(amount)
    opp.lost_reason = None
    opp.closed_at = now
    opp.updated_at = now
    await session.flush()
    # Every won opportunity is a "won" in the customer's history, with its amount: the summary,
    # the leaderboard and the lifecycle report count deals from there.
    await status.change_stage(
        session,
        customer,
        Stage.WON,
        by=by,
        now=now,
        amount=opp.won_amount,
        reason=opp.title[:200],
    )


async def lose(
    session: AsyncSession,
    opp: Opportunity,
    customer: Customer,
    reason: str,
    *,
    by: int,
    now: datetime,
    rules: Rules,
) -> None:
    opp.stage = LOST
    opp.lost_reason = reason
    opp.closed_at = now
    opp.updated_at = now
    await session.flush()
    await follow(session, customer, by=by, now=now, rules=rules, reason=reason)


async def follow(
    session: AsyncSession,
    customer: Customer,
    *,
    by: int | None,
    now: datetime,
    rules: Rules,
    reason: str | None = None,
) -> None:
    """Sets the customer's stage to that of its most advanced opportunity (history kept)."""
    if customer.stage in (Stage.WON, Stage.REPEAT):
        # A customer who has bought stays a customer: a new opportunity (an upsell, a renewal)
        # opening or failing does not undo that. Its wins are recorded by `win`.
        return
    opps = await for_customer(session, customer.id)
    if not opps:
        return
    order = rules.stages.order
    rank = {s: i for i, s in enumerate(order)}
    live = [o.stage for o in opps if o.stage != LOST]
    if live:
        target = max(live, key=lambda s: rank.get(s, -1))
    else:
        target = LOST
    if target == customer.stage or target not in rank:
        return
    await status.change_stage(
        session,
        customer,
        Stage(target),
        by=by,
        now=now,
        reason=reason if target == LOST else None,
    )
