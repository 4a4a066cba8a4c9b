"""The money figures of the manager's summary and of /report, in a lead's scope.

Summary (every manager, every evening: kept to indexed look-ups, flat in history): the period's
payments, what is overdue per rep as of today and the oldest overdue instalment. Report: also the
pipeline of open opportunities by stage and expected close month, weighted by probability, the
amounts won and collected, and days sales outstanding.

Days sales outstanding (DSO) = receivables now ÷ contract sales of the period × days of the
period: how many days of sales are still owed. None when the period sold nothing.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    bindparam,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import Contract, Customer, Instalment, Opportunity, Payment, Staff
from crm.money import ZERO, exact
from crm.rules import Rules
from crm.services.deals import receivables
from crm.services.deals.opportunities import CLOSED, WON
from crm.services.digest_periods import Period
from crm.services.digest_scope import Scope


def owners_of(scope: Scope) -> list[int] | None:
    """Whose receivables a lead's figures count (None: everyone's, for an admin)."""
    return None if scope.everyone else scope.people


@dataclass
class MoneySummary:
    payments: int = 0
    collected: Decimal = ZERO
    overdue: Decimal = ZERO
    # Per rep with anything overdue, largest first; None stands for customers without an owner.
    overdue_by_rep: list[tuple[Staff | None, Decimal]] = field(default_factory=list)
    oldest: receivables.Overdue | None = None

    def days_overdue(self, today: date) -> int:
        return 0 if self.oldest is None else (today - self.oldest.instalment.due_on).days


@functools.cache
def _day_statement(everyone: bool) -> Any:
    """The period's payments and, per owner, what is overdue and since when: one statement
    (a manager's summary runs it once), built once per form (building costs more than running)."""
    pay = select(
        literal("p"),
        literal(None, Integer),
        func.count(Payment.id),
        func.sum(Payment.amount),
        literal(None, Date),
    ).where(Payment.paid_on >= bindparam("first"), Payment.paid_on < bindparam("after"))
    due = (
        select(
            literal("o"),
            Instalment.owner_id,
            func.count(Instalment.id),
            func.sum(Instalment.amount - Instalment.paid),
            func.min(Instalment.due_on),
        )
        .where(Instalment.status == receivables.OPEN, Instalment.due_on < bindparam("today"))
        .group_by(Instalment.owner_id)
    )
    if not everyone:
        owners = bindparam("owners", expanding=True)
        pay = pay.where(Payment.owner_id.in_(owners))
        due = due.where(Instalment.owner_id.in_(owners))
    return union_all(pay, due)


_OLDEST = (
    select(Instalment, Contract, Customer)
    .join(Contract, Contract.id == Instalment.contract_id)
    .join(Customer, Customer.id == Instalment.customer_id)
    .where(
        Instalment.owner_id.is_not_distinct_from(bindparam("owner")),
        Instalment.status == receivables.OPEN,
        Instalment.due_on == bindparam("due_on"),
    )
    .order_by(Instalment.id)
    .limit(1)
)


async def summary(
    session: AsyncSession, scope: Scope, period: Period, now: datetime
) -> MoneySummary:
    owners = owners_of(scope)
    today = now.astimezone(period.tz).date()
    s = MoneySummary()
    params: dict[str, Any] = {"first": period.first, "after": period.after, "today": today}
    if owners is not None:
        params["owners"] = list(owners) or [-1]
    by_owner: dict[int | None, Decimal] = {}
    oldest: tuple[date, int | None] | None = None
    for part, owner, n, amount, since in (
        await session.execute(_day_statement(owners is None), params)
    ).all():
        if part == "p":
            s.payments, s.collected = int(n or 0), exact(amount or 0)
            continue
        by_owner[owner] = exact(amount or 0)
        if since is not None and (oldest is None or since < oldest[0]):
            oldest = (since, owner)
    s.overdue = sum(by_owner.values(), ZERO)
    staff = {r.id: r for r in [*scope.reps, scope.lead]}
    missing = [i for i in by_owner if i is not None and i not in staff]
    if missing:
        staff.update(
            {r.id: r for r in await session.scalars(select(Staff).where(Staff.id.in_(missing)))}
        )
    rows = [
        (staff.get(i) if i is not None else None, amount)
        for i, amount in by_owner.items()
        if amount > 0
    ]
    s.overdue_by_rep = sorted(rows, key=lambda r: (-r[1], r[0].name if r[0] else ""))
    if oldest is not None:
        found = (await session.execute(_OLDEST, {"owner": oldest[1], "due_on": oldest[0]})).first()
        if found is not None:
            inst, contract, customer = found
            s.oldest = receivables.Overdue(inst, contract, customer, staff.get(inst.owner_id))
    return s


@dataclass(frozen=True)
class PipelineRow:
    stage: str
    month: str | None  # "2027-01", None when no close date was given
    count: int
    amount: Decimal
    weighted: Decimal


@dataclass
class MoneyReport:
    pipeline: list[PipelineRow] = field(default_factory=list)
    won: int = 0
    won_amount: Decimal = ZERO
    collected: Decimal = ZERO
    payments: int = 0
    receivable: Decimal = ZERO
    sales: Decimal = ZERO
    dso: int | None = None

    @property
    def pipeline_amount(self) -> Decimal:
        return sum((r.amount for r in self.pipeline), ZERO)

    @property
    def pipeline_weighted(self) -> Decimal:
        return sum((r.weighted for r in self.pipeline), ZERO)


def _in(column: Any, owners: Sequence[int] | None) -> ColumnElement[bool]:
    return true() if owners is None else column.in_(list(owners) or [-1])


async def pipeline(
    session: AsyncSession, owners: Sequence[int] | None, rules: Rules
) -> list[PipelineRow]:
    """Open opportunities by stage (in the rules' order) and expected close month."""
    rows = await session.execute(
        select(
            Opportunity.stage,
            Opportunity.expected_close,
            func.count(Opportunity.id),
            func.sum(Opportunity.amount),
        )
        .where(Opportunity.stage.not_in(CLOSED), _in(Opportunity.owner_id, owners))
        .group_by(Opportunity.stage, Opportunity.expected_close)
    )
    counts: Counter[tuple[str, str | None]] = Counter()
    sums: dict[tuple[str, str | None], Decimal] = defaultdict(lambda: ZERO)
    for stage, close, n, amount in rows.all():
        cell = (stage, None if close is None else f"{close:%Y-%m}")
        counts[cell] += int(n)
        sums[cell] += exact(amount or 0)
    order = {s: i for i, s in enumerate(rules.stages.order)}
    found = []
    for (stage, month), amount in sums.items():
        p = rules.deals.probability.get(stage, 0)
        # Weighted to the cent per stage and month, as the report shows them.
        weighted = exact(amount * p / 100)
        found.append(PipelineRow(stage, month, counts[(stage, month)], amount, weighted))
    return sorted(found, key=lambda r: (order.get(r.stage, 99), r.month is None, r.month or ""))


async def report(
    session: AsyncSession, scope: Scope, period: Period, now: datetime, rules: Rules
) -> MoneyReport:
    owners = owners_of(scope)
    r = MoneyReport()
    r.pipeline = await pipeline(session, owners, rules)
    n, amount = (
        await session.execute(
            select(func.count(Opportunity.id), func.sum(Opportunity.won_amount)).where(
                Opportunity.stage == WON,
                Opportunity.closed_at >= period.start,
                Opportunity.closed_at < period.end,
                _in(Opportunity.owner_id, owners),
            )
        )
    ).one()
    r.won, r.won_amount = int(n or 0), exact(amount or 0)
    r.payments, r.collected = await receivables.payments_between(
        session, period.first, period.after, owners
    )
    receivable = await session.scalar(
        select(func.sum(Instalment.amount - Instalment.paid)).where(
            Instalment.status == receivables.OPEN, _in(Instalment.owner_id, owners)
        )
    )
    r.receivable = exact(receivable or 0)
    sales = await session.scalar(
        select(func.sum(Contract.amount)).where(
            Contract.signed_on >= period.first,
            Contract.signed_on < period.after,
            _in(Contract.owner_id, owners),
        )
    )
    r.sales = exact(sales or 0)
    today = now.astimezone(period.tz).date()
    # The days of the period so far (all of them once it is over).
    days = max(1, (min(period.after, today + timedelta(days=1)) - period.first).days)
    if r.sales > 0:
        r.dso = int((r.receivable / r.sales * days).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return r


async def collected_by_rep(
    session: AsyncSession, scope: Scope, period: Period
) -> dict[int | None, Decimal]:
    return await receivables.collected_by_owner(
        session, period.first, period.after, owners_of(scope)
    )


async def won_by_rep(
    session: AsyncSession, scope: Scope, period: Period
) -> dict[int | None, Decimal]:
    rows = await session.execute(
        select(Opportunity.owner_id, func.sum(Opportunity.won_amount))
        .where(
            Opportunity.stage == WON,
            Opportunity.closed_at >= period.start,
            Opportunity.closed_at < period.end,
            _in(Opportunity.owner_id, owners_of(scope)),
        )
        .group_by(Opportunity.owner_id)
    )
    return {owner: exact(amount or 0) for owner, amount in rows.all()}
