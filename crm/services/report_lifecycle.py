"""The lifecycle picture of a report: customers at risk now, customers lost in the period with
their reasons, and deals won in the period with their amounts, in the lead's scope.

"At risk" is the /losing rule (crm/services/agenda.py): past their class's visit cadence, of
every class, as of now; it is a state, not an event of the period, so the report says "now".
Lost and won come from the stage history (customer_change), where the lost reason and the deal
amount are recorded with the change.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Stage
from crm.models import Customer, Staff
from crm.rules import Rules
from crm.services import agenda
from crm.services.digest_scope import Scope, stage_changes

# Customers and deals named in the report; the rest are counted.
TOP = 5


@dataclass(frozen=True)
class Deal:
    customer: Customer
    # Who marked it (the rep, or whoever changed the stage); None if they are gone.
    by: Staff | None
    at: datetime
    amount: Decimal | None
    reason: str | None = None


@dataclass
class Lifecycle:
    at_risk: list[agenda.LosingTouch] = field(default_factory=list)
    at_risk_total: int = 0
    at_risk_by_class: dict[str, int] = field(default_factory=dict)
    won: list[Deal] = field(default_factory=list)
    lost: list[Deal] = field(default_factory=list)
    # (reason or None, customers, amount), the most frequent first.
    lost_reasons: list[tuple[str | None, int, Decimal]] = field(default_factory=list)

    @property
    def won_amount(self) -> Decimal:
        return sum((d.amount or Decimal(0) for d in self.won), Decimal(0))

    @property
    def lost_amount(self) -> Decimal:
        return sum((d.amount or Decimal(0) for d in self.lost), Decimal(0))


async def lifecycle(
    session: AsyncSession,
    scope: Scope,
    start: datetime,
    end: datetime,
    now: datetime,
    rules: Rules,
) -> Lifecycle:
    life = Lifecycle()
    risky, life.at_risk_total = await agenda.losing_touch(
        session, scope.lead, rules.cadence_days, now
    )
    life.at_risk = risky[:TOP]
    life.at_risk_by_class = dict(sorted(Counter(r.customer.customer_class for r in risky).items()))

    changes = [
        (c, owner)
        for c, owner in await stage_changes(session, scope, start, end)
        if c.new_value in (Stage.WON, Stage.LOST)
    ]
    ids = {c.customer_id for c, _ in changes}
    people = {c.changed_by for c, _ in changes if c.changed_by is not None}
    customers = {
        c.id: c for c in await session.scalars(select(Customer).where(Customer.id.in_(ids or [-1])))
    }
    staff = {
        s.id: s for s in await session.scalars(select(Staff).where(Staff.id.in_(people or [-1])))
    }
    reasons: Counter[str | None] = Counter()
    reason_amounts: dict[str | None, Decimal] = defaultdict(Decimal)
    for change, _owner in changes:
        deal = Deal(
            customers[change.customer_id],
            staff.get(change.changed_by) if change.changed_by is not None else None,
            change.changed_at,
            change.amount,
            change.reason,
        )
        if change.new_value == Stage.WON:
            life.won.append(deal)
        else:
            life.lost.append(deal)
            reasons[change.reason] += 1
            reason_amounts[change.reason] += change.amount or 0
    # The biggest deals first: those are what a manager asks about.
    life.won.sort(key=lambda d: (-(d.amount or 0), d.at))
    life.lost.sort(key=lambda d: (-(d.amount or 0), d.at))
    life.lost_reasons = [
        (reason, n, reason_amounts[reason])
        for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0] or "~"))
    ]
    return life
