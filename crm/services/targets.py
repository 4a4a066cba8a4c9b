"""A rep's monthly targets and their completion: visits per customer class (the visit plan,
crm/services/plans.py), new customers, the amount won and the amount collected.

The manager types them in one line ("A4 B6 C10 新客户3 成交50万 回款30万"); a figure left out
keeps its value, 0 clears it. Completion counts a month from its first local day up to a time
(now for the running month), every figure in one grouped query for all the reps at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, bindparam, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import Customer, Opportunity, Payment, RepTarget, Staff, Visit, VisitPlan
from crm.money import BadAmount, exact, parse_amount
from crm.services import plans
from crm.services.deals.opportunities import WON

VISITS, NEW, WON_AMOUNT, COLLECTED = "visits", "new", "won", "collected"
METRICS = (VISITS, NEW, WON_AMOUNT, COLLECTED)
# More new customers a month than this is a typo.
MAX_NEW = 999

Problem = Literal["empty", "unreadable", "negative", "duplicate", "too_large", "amount"]

# The words before a figure, in the four languages (lower-cased, NFKC).
_WORDS = {
    NEW: ("新客户", "新客戶", "新客", "new customers", "new", "новых клиентов", "новые", "новых"),
    WON_AMOUNT: ("成交额", "成交額", "成交", "签单", "簽單", "won", "выиграно", "сделки"),
    COLLECTED: ("回款", "收款", "collected", "collect", "собрано", "оплаты"),
}
_KEYED = re.compile(
    "("
    + "|".join(re.escape(w) for words in _WORDS.values() for w in sorted(words, key=len)[::-1])
    + r")\s*[:=：]?\s*"
    + r"(-?[0-9]+(?:[.,][0-9]+)*(?:万|萬|千|k|w|тыс)?|[零〇一二三四五六七八九十百千万萬两]+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Parsed:
    visits: dict[str, int] | None = None
    new: int | None = None
    won: Decimal | None = None
    collected: Decimal | None = None
    problem: Problem | None = None


def _metric_of(word: str) -> str:
    return next(m for m, words in _WORDS.items() if word.lower() in words)


def parse(text: str) -> Parsed:
    """A manager's line of targets; what is left after the keyed figures is the visit plan."""
    s = unicodedata.normalize("NFKC", text).strip()
    if not s:
        return Parsed(problem="empty")
    found: dict[str, str] = {}
    for m in _KEYED.finditer(s):
        metric = _metric_of(m.group(1))
        if metric in found:
            return Parsed(problem="duplicate")
        found[metric] = m.group(2).strip()
    rest = _KEYED.sub(" ", s).strip(" ,;，；、")
    visits = None
    if rest:
        parsed = plans.parse_targets(rest)
        if parsed.problem is not None:
            return Parsed(problem=parsed.problem)
        visits = parsed.targets
    new = won = collected = None
    if NEW in found:
        if found[NEW].startswith("-"):
            return Parsed(problem="negative")
        if not found[NEW].isdigit():
            return Parsed(problem="unreadable")
        new = int(found[NEW])
        if new > MAX_NEW:
            return Parsed(problem="too_large")
    amounts: dict[str, Decimal] = {}
    for metric in (WON_AMOUNT, COLLECTED):
        if metric not in found:
            continue
        raw = found[metric]
        if raw.startswith("-"):
            return Parsed(problem="negative")
        try:
            amounts[metric] = Decimal(0) if raw in ("0", "零", "〇") else parse_amount(raw)
        except BadAmount:
            return Parsed(problem="amount")
    won, collected = amounts.get(WON_AMOUNT), amounts.get(COLLECTED)
    if visits is None and not found:
        return Parsed(problem="empty")
    return Parsed(visits, new, won, collected)


@dataclass(frozen=True)
class Targets:
    """A rep's targets for a month; None (or no class) is not set."""

    visits: dict[str, int] = field(default_factory=dict)
    new: int | None = None
    won: Decimal | None = None
    collected: Decimal | None = None

    @property
    def empty(self) -> bool:
        return not self.visits and self.new is None and self.won is None and self.collected is None


_PLANS = (
    select(VisitPlan.staff_id, VisitPlan.customer_class, VisitPlan.target)
    .where(
        VisitPlan.staff_id.in_(bindparam("ids", expanding=True)),
        VisitPlan.month == bindparam("month"),
    )
    .order_by(VisitPlan.customer_class)
)
_TARGETS = select(RepTarget).where(
    RepTarget.staff_id.in_(bindparam("ids", expanding=True)), RepTarget.month == bindparam("month")
)


async def targets_of(session: AsyncSession, ids: Sequence[int], month: str) -> dict[int, Targets]:
    """Every listed rep's targets for the month (reps without any are left out)."""
    params = {"ids": list(ids) or [-1], "month": month}
    visits: dict[int, dict[str, int]] = defaultdict(dict)
    for staff_id, cls, target in await session.execute(_PLANS, params):
        visits[staff_id][cls] = int(target)
    rows = {r.staff_id: r for r in await session.scalars(_TARGETS, params)}
    found = {}
    for staff_id in {*visits, *rows}:
        row = rows.get(staff_id)
        found[staff_id] = Targets(
            dict(visits.get(staff_id, {})),
            row.new_customers if row else None,
            row.won_amount if row else None,
            row.collected_amount if row else None,
        )
    return {k: v for k, v in found.items() if not v.empty}


def _kept(new: object, old: object) -> object:
    """A figure typed replaces the old one; 0 clears it; a figure left out is kept."""
    if new is None:
        return old
    return None if new == 0 else new


async def save(
    session: AsyncSession, rep: Staff, month: str, parsed: Parsed, *, set_by: Staff, now: datetime
) -> Targets:
    """Writes what the manager typed for one rep and month; returns the previous targets."""
    old = (await targets_of(session, [rep.id], month)).get(rep.id, Targets())
    if parsed.visits is not None:
        await plans.set_plan(session, rep, month, parsed.visits, set_by=set_by, now=now)
    row = await session.scalar(
        select(RepTarget).where(RepTarget.staff_id == rep.id, RepTarget.month == month)
    )
    if row is None:
        row = RepTarget(staff_id=rep.id, month=month)
        session.add(row)
    row.new_customers = _kept(parsed.new, row.new_customers)  # type: ignore[assignment]
    row.won_amount = _kept(parsed.won, row.won_amount)  # type: ignore[assignment]
    row.collected_amount = _kept(parsed.collected, row.collected_amount)  # type: ignore[assignment]
    row.set_by, row.updated_at = set_by.id, now
    await session.flush()
    return old


def previous_month(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"


def next_month(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year + 1:04d}-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}"


async def copy_last_month(
    session: AsyncSession, reps: Sequence[Staff], month: str, *, set_by: Staff, now: datetime
) -> list[Staff]:
    """Each rep's targets of the month before `month`, copied over `month` (all of them: the
    copy is the whole of last month's). Returns the reps that had targets to copy."""
    last = await targets_of(session, [r.id for r in reps], previous_month(month))
    copied = []
    for rep in reps:
        t = last.get(rep.id)
        if t is None:
            continue
        figures = Parsed(t.visits, t.new or 0, t.won or Decimal(0), t.collected or Decimal(0))
        await save(session, rep, month, figures, set_by=set_by, now=now)
        copied.append(rep)
    return copied


@dataclass(frozen=True)
class Metric:
    done: Decimal
    target: Decimal | None

    @property
    def percent(self) -> int | None:
        if self.target is None or self.target <= 0:
            return None
        return int(self.done * 100 / self.target)


@dataclass(frozen=True)
class Completion:
    staff: Staff
    month: str
    targets: Targets
    metrics: dict[str, Metric]

    @property
    def has_targets(self) -> bool:
        return not self.targets.empty


def _visits_metric(by_class: dict[str, int], targets: Targets) -> Metric:
    """Visits beyond a class's target do not make up for another class (as /plan counts)."""
    if not targets.visits:
        return Metric(Decimal(sum(by_class.values())), None)
    done = sum(min(by_class.get(c, 0), t) for c, t in targets.visits.items())
    return Metric(Decimal(done), Decimal(sum(targets.visits.values())))


# The "done" figures in one statement (one round trip), built once with its parameters bound at
# each run: every manager's summary runs it, and building a statement costs more than running it
# on a team. Rows: (part, staff id, class, count, amount); the amounts' column takes its type
# (money) from the first part.
_IDS = bindparam("ids", expanding=True)
_DONE = union_all(
    select(
        literal("won"),
        Opportunity.owner_id,
        literal(None, String),
        literal(None, Integer),
        func.sum(Opportunity.won_amount),
    )
    .where(
        Opportunity.owner_id.in_(_IDS),
        Opportunity.stage == WON,
        Opportunity.closed_at >= bindparam("start"),
        Opportunity.closed_at < bindparam("end"),
    )
    .group_by(Opportunity.owner_id),
    select(
        literal("paid"), Payment.owner_id, literal(None, String), literal(None, Integer),
        func.sum(Payment.amount),
    )
    .where(
        Payment.owner_id.in_(_IDS),
        Payment.paid_on >= bindparam("first"),
        Payment.paid_on < bindparam("after"),
    )
    .group_by(Payment.owner_id),
    select(
        literal("visits"), Visit.staff_id, Customer.customer_class, func.count(Visit.id),
        literal(None),
    )
    .join(Customer, Customer.id == Visit.customer_id)
    .where(
        Visit.staff_id.in_(_IDS),
        Visit.visited_at >= bindparam("start"),
        Visit.visited_at < bindparam("end"),
    )
    .group_by(Visit.staff_id, Customer.customer_class),
    select(
        literal("new"), Customer.created_by, literal(None, String), func.count(Customer.id),
        literal(None),
    )
    .where(
        Customer.created_by.in_(_IDS),
        Customer.created_at >= bindparam("start"),
        Customer.created_at < bindparam("end"),
    )
    .group_by(Customer.created_by),
)  # fmt: skip


async def completion(
    session: AsyncSession,
    reps: Sequence[Staff],
    month: str,
    tz: ZoneInfo,
    until: datetime,
    *,
    only_with_targets: bool = False,
) -> list[Completion]:
    """Each rep's targets for the month and what they did from its start up to `until`.

    `only_with_targets`: nothing at all (and nothing counted) when no rep has a target, as the
    summary shows no targets then and is built for every manager every evening.
    """
    ids = [r.id for r in reps] or [-1]
    start, end = plans.month_bounds(month, tz)
    end = max(start, min(end, until))
    targets = await targets_of(session, ids, month)
    if only_with_targets and not targets:
        return []
    # Payments are dated by day: the running day counts whole.
    first, last = start.astimezone(tz).date(), end.astimezone(tz)
    after = last.date() + timedelta(days=1) if last.time() != time(0) else last.date()
    params = {"ids": ids, "start": start, "end": end, "first": first, "after": after}
    by_class: dict[int, dict[str, int]] = defaultdict(dict)
    new: dict[int, int] = {}
    won: dict[int, Decimal] = {}
    collected: dict[int, Decimal] = {}
    for part, staff_id, cls, n, amount in await session.execute(_DONE, params):
        if part == "visits":
            by_class[staff_id][cls] = int(n)
        elif part == "new":
            new[staff_id] = int(n)
        else:
            (won if part == "won" else collected)[staff_id] = exact(amount or 0)
    found = []
    for rep in reps:
        t = targets.get(rep.id, Targets())

        def metric(done: Decimal, target: Decimal | int | None) -> Metric:
            return Metric(done, None if target is None else Decimal(target))

        found.append(
            Completion(
                rep,
                month,
                t,
                {
                    VISITS: _visits_metric(by_class.get(rep.id, {}), t),
                    NEW: metric(Decimal(int(new.get(rep.id, 0))), t.new),
                    WON_AMOUNT: metric(won.get(rep.id, Decimal(0)), t.won),
                    COLLECTED: metric(collected.get(rep.id, Decimal(0)), t.collected),
                },
            )
        )
    return found


def ranked(rows: Sequence[Completion], metric: str) -> list[tuple[int, Completion]]:
    """Best completion of `metric` first (reps without that target last, by name); equal
    percentages share a rank (1, 1, 3)."""

    def key(c: Completion) -> tuple[int, int, str, int]:
        pct = c.metrics[metric].percent
        return (pct is None, -(pct or 0), c.staff.name, c.staff.id)

    out: list[tuple[int, Completion]] = []
    for i, row in enumerate(sorted(rows, key=key)):
        pct = row.metrics[metric].percent
        same = bool(out) and pct is not None and out[-1][1].metrics[metric].percent == pct
        out.append((out[-1][0] if same else i + 1, row))
    return out
