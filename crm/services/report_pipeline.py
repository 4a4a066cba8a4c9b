"""The pipeline and conversion part of /report, in the lead's customer scope
(crm/services/access.customer_scope: a manager's team and its pool, an admin's everyone):

- customers by stage and class now;
- movements in the period per class: new (registered), advanced (a stage change to a later
  stage short of won/lost, in the rules' order), won and lost (the stage history,
  customer_change);
- conversion from first contact to won: of the customers first visited in the period (no
  visit before it), how many have been marked won since;
- average days per stage: for the stage changes in the period, the days since the customer's
  previous stage change (or registration), by the stage left;
- churned: lost in the period, and (now) customers not lost whose last visit, or registration
  when never visited, is older than twice their class's cadence (rules `[cadence_days]`);
- new customers per rep in the period, beside their monthly target (crm/services/targets.py).

Every figure is one grouped statement; nothing is loaded row by row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.enums import Stage
from crm.models import Customer, CustomerChange, Staff, Visit
from crm.rules import Rules
from crm.services.access import customer_scope
from crm.services.digest_scope import Scope, between

CLASSES = ("A", "B", "C")
CLOSED = (Stage.WON.value, Stage.LOST.value)


@dataclass
class Moves:
    new: int = 0
    advanced: int = 0
    won: int = 0
    lost: int = 0


@dataclass
class Pipeline:
    # stage -> class -> customers, now; stages in the rules' order.
    stock: dict[str, dict[str, int]] = field(default_factory=dict)
    # class -> the period's movements.
    moves: dict[str, Moves] = field(default_factory=dict)
    contacted: int = 0
    converted: int = 0
    # stage -> average days spent in it (changes out of it in the period), and how many.
    days_in_stage: dict[str, tuple[float, int]] = field(default_factory=dict)
    # class -> customers past twice the cadence now.
    drifting: dict[str, int] = field(default_factory=dict)
    # (rep, new customers in the period, the month's target or None).
    new_by_rep: list[tuple[Staff, int, int | None]] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return sum(m.lost for m in self.moves.values())

    @property
    def conversion(self) -> int | None:
        return None if not self.contacted else round(self.converted * 100 / self.contacted)

    @property
    def churned(self) -> int:
        return self.lost + sum(self.drifting.values())


def _days(later: Any, earlier: Any, dialect: str) -> ColumnElement[float]:
    """Days between two timestamps as a number, on SQLite and PostgreSQL."""
    if dialect == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return func.extract("epoch", later - earlier) / 86400.0


async def _stock(session: AsyncSession, scope: Scope, rules: Rules) -> dict[str, dict[str, int]]:
    rows = await session.execute(
        select(Customer.stage, Customer.customer_class, func.count(Customer.id))
        .where(customer_scope(scope.lead))
        .group_by(Customer.stage, Customer.customer_class)
    )
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for stage, cls, n in rows.all():
        found[stage][cls] = int(n)
    order = {s: i for i, s in enumerate(rules.stages.order)}
    return {s: found[s] for s in sorted(found, key=lambda s: (order.get(s, 99), s))}


async def _moves(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime, rules: Rules
) -> dict[str, Moves]:
    moves = {cls: Moves() for cls in CLASSES}
    new = await session.execute(
        select(Customer.customer_class, func.count(Customer.id))
        .where(customer_scope(scope.lead), between(Customer.created_at, start, end))
        .group_by(Customer.customer_class)
    )
    for cls, n in new.all():
        moves.setdefault(cls, Moves()).new = int(n)
    changes = await session.execute(
        select(
            CustomerChange.old_value,
            CustomerChange.new_value,
            Customer.customer_class,
            func.count(CustomerChange.id),
        )
        .join(Customer, Customer.id == CustomerChange.customer_id)
        .where(
            CustomerChange.field == "stage",
            between(CustomerChange.changed_at, start, end),
            customer_scope(scope.lead),
        )
        .group_by(CustomerChange.old_value, CustomerChange.new_value, Customer.customer_class)
    )
    order = {s: i for i, s in enumerate(rules.stages.order)}
    for old, new_stage, cls, n in changes.all():
        m = moves.setdefault(cls, Moves())
        if new_stage == Stage.WON:
            m.won += int(n)
        elif new_stage == Stage.LOST:
            m.lost += int(n)
        elif old is None or order.get(new_stage, -1) > order.get(old, 99):
            m.advanced += int(n)
    return moves


async def _conversion(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime
) -> tuple[int, int]:
    """Customers first visited in [start, end), and how many of them were marked won since."""
    earlier = aliased(Visit)
    in_period = exists().where(
        Visit.customer_id == Customer.id, between(Visit.visited_at, start, end)
    )
    before = exists().where(earlier.customer_id == Customer.id, earlier.visited_at < start)
    won = exists().where(
        CustomerChange.customer_id == Customer.id,
        CustomerChange.field == "stage",
        CustomerChange.new_value == Stage.WON,
        CustomerChange.changed_at >= start,
    )
    contacted, converted = (
        await session.execute(
            select(func.count(Customer.id), func.sum(case((won, 1), else_=0))).where(
                customer_scope(scope.lead), in_period, ~before
            )
        )
    ).one()
    return int(contacted or 0), int(converted or 0)


async def _days_in_stage(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime, rules: Rules
) -> dict[str, tuple[float, int]]:
    prev_change = aliased(CustomerChange)
    previous = (
        select(func.max(prev_change.changed_at))
        .where(
            prev_change.customer_id == CustomerChange.customer_id,
            prev_change.field == "stage",
            or_(
                prev_change.changed_at < CustomerChange.changed_at,
                and_(
                    prev_change.changed_at == CustomerChange.changed_at,
                    prev_change.id < CustomerChange.id,
                ),
            ),
        )
        .correlate(CustomerChange)
        .scalar_subquery()
    )
    dialect = session.bind.dialect.name
    spent = _days(CustomerChange.changed_at, func.coalesce(previous, Customer.created_at), dialect)
    rows = await session.execute(
        select(CustomerChange.old_value, func.avg(spent), func.count(CustomerChange.id))
        .join(Customer, Customer.id == CustomerChange.customer_id)
        .where(
            CustomerChange.field == "stage",
            CustomerChange.old_value.is_not(None),
            between(CustomerChange.changed_at, start, end),
            customer_scope(scope.lead),
        )
        .group_by(CustomerChange.old_value)
    )
    order = {s: i for i, s in enumerate(rules.stages.order)}
    found = {stage: (max(float(avg or 0), 0.0), int(n)) for stage, avg, n in rows.all()}
    return {s: found[s] for s in sorted(found, key=lambda s: (order.get(s, 99), s))}


async def _drifting(
    session: AsyncSession, scope: Scope, now: datetime, rules: Rules
) -> dict[str, int]:
    cadence = rules.cadence_days
    days = {"A": cadence.A, "B": cadence.B, "C": cadence.C}
    last = (
        select(func.max(Visit.visited_at))
        .where(Visit.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )
    reference = func.coalesce(last, Customer.created_at)
    past = or_(
        *(
            and_(Customer.customer_class == cls, reference < now - timedelta(days=2 * n))
            for cls, n in days.items()
        )
    )
    rows = await session.execute(
        select(Customer.customer_class, func.count(Customer.id))
        .where(
            customer_scope(scope.lead),
            Customer.stage != Stage.LOST,
            Customer.blacklisted.is_(False),
            past,
        )
        .group_by(Customer.customer_class)
    )
    return {cls: int(n) for cls, n in sorted(rows.all())}


async def _new_by_rep(
    session: AsyncSession, reps: Sequence[Staff], start: datetime, end: datetime
) -> dict[int, int]:
    rows = await session.execute(
        select(Customer.created_by, func.count(Customer.id))
        .where(
            Customer.created_by.in_([r.id for r in reps] or [-1]),
            between(Customer.created_at, start, end),
        )
        .group_by(Customer.created_by)
    )
    return {staff_id: int(n) for staff_id, n in rows.all()}


async def pipeline(
    session: AsyncSession,
    scope: Scope,
    start: datetime,
    end: datetime,
    now: datetime,
    rules: Rules,
    new_targets: dict[int, int | None],
) -> Pipeline:
    """The figures for [start, end) as of `now`; `new_targets`: each rep's monthly target of
    new customers (None when not set)."""
    p = Pipeline()
    p.stock = await _stock(session, scope, rules)
    p.moves = await _moves(session, scope, start, end, rules)
    p.contacted, p.converted = await _conversion(session, scope, start, min(end, now))
    p.days_in_stage = await _days_in_stage(session, scope, start, end, rules)
    p.drifting = await _drifting(session, scope, now, rules)
    new = await _new_by_rep(session, scope.reps, start, end)
    p.new_by_rep = [(r, new.get(r.id, 0), new_targets.get(r.id)) for r in scope.reps]
    return p
