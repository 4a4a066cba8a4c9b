"""The manager's summary of a period: the team's visits against plan, customers and deals,
follow-ups, service requests, who is losing touch and whose claims lapse; plus the drill-down
lists behind it (overdue follow-ups, requests past their time limit, the leaderboard).

A manager sees their team (`summary.team_of`: reps they manage or of their team), an admin
everyone. A period is a local day, an ISO week (Monday to Monday) or a calendar month in the
manager's time zone, always half-open: [start, end).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import FollowUpStatus, Role, Stage
from crm.models import Customer, FollowUp, Staff, Ticket, Visit
from crm.rules import Rules
from crm.services import agenda, claims, plans, resolutions, targets
from crm.services.deals import figures as deal_figures
from crm.services.digest_board import (
    BoardRow,
    LateTicket,
    OverdueFollowUp,
    leaderboard,
    losing_touch,
    open_breaches,
    overdue_followups,
    per_team,
)
from crm.services.digest_periods import (
    DAY,
    KINDS,
    MONTH,
    WEEK,
    Period,
    from_code,
    period_of,
    previous,
    prorated_plans,
)
from crm.services.digest_scope import (
    Scope,
    between,
    breached,
    count,
    scope_of,
    stage_changes,
    visits_per_rep,
)

# The periods, the team's scope and the drill-downs live in their own modules; callers use them
# from here, one name for the digest.
__all__ = [
    "DAY",
    "KINDS",
    "MONTH",
    "TOP",
    "TREND_DAYS",
    "WEEK",
    "BoardRow",
    "Digest",
    "LateTicket",
    "OverdueFollowUp",
    "Period",
    "RepVisits",
    "Scope",
    "build",
    "from_code",
    "leaderboard",
    "losing_touch",
    "open_breaches",
    "overdue_followups",
    "per_team",
    "period_of",
    "previous",
    "prorated_plans",
    "recipients",
    "scope_of",
    "trend",
]

# Days in the visits-per-day trend, ending with the period's last day (today for an open one).
TREND_DAYS = 14
# Customers named in the summary under "losing touch" and "claims lapsing"; the rest are counted.
TOP = 3


# ---------------------------------------------------------------- the summary


@dataclass(frozen=True)
class RepVisits:
    staff: Staff
    visits: int
    # The pro-rated plan (see `prorated_plans`); None when no plan is set.
    plan: float | None

    @property
    def percent(self) -> int | None:
        if self.plan is None or self.plan <= 0:
            return None
        return round(self.visits * 100 / self.plan)


@dataclass
class Digest:
    lead: Staff
    period: Period
    # The summary's time: figures "so far" for an open period, and "overdue" as of then.
    now: datetime
    reps: list[RepVisits] = field(default_factory=list)
    new_customers: int = 0
    stage_changes: int = 0
    won: int = 0
    won_amount: Decimal = Decimal(0)
    lost: int = 0
    lost_amount: Decimal = Decimal(0)
    followups_done: int = 0
    followups_overdue: int = 0
    tickets_opened: int = 0
    tickets_resolved: int = 0
    tickets_breached: int = 0
    rating: float | None = None
    ratings: int = 0
    losing: list[agenda.LosingTouch] = field(default_factory=list)
    losing_total: int = 0
    lapsing: list[tuple[Customer, Staff]] = field(default_factory=list)
    lapsing_total: int = 0
    # Visits per local day, oldest first: TREND_DAYS days ending with `trend_last`.
    trend: list[tuple[date, int]] = field(default_factory=list)
    # Payments in the period, what is overdue now per rep, the oldest overdue instalment.
    money: deal_figures.MoneySummary = field(default_factory=deal_figures.MoneySummary)
    # The company's currency (rules.deals.currency), for the money lines.
    currency: str = "CNY"
    # Each rep's monthly targets, for the month of the period's last day up to its end (or now).
    targets: list[targets.Completion] = field(default_factory=list)

    @property
    def visits(self) -> int:
        return sum(r.visits for r in self.reps)

    @property
    def plan(self) -> float | None:
        planned = [r.plan for r in self.reps if r.plan is not None]
        return sum(planned) if planned else None

    @property
    def percent(self) -> int | None:
        plan = self.plan
        return None if plan is None or plan <= 0 else round(self.visits * 100 / plan)


async def trend(
    session: AsyncSession, ids: Sequence[int], last: date, tz: ZoneInfo, days: int = TREND_DAYS
) -> list[tuple[date, int]]:
    """Visits per local day by these people, for `days` days ending with `last`."""
    first = last - timedelta(days=days - 1)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    stamps = await session.scalars(
        select(Visit.visited_at).where(
            Visit.staff_id.in_(ids or [-1]), between(Visit.visited_at, start, end)
        )
    )
    per_day = Counter(s.astimezone(tz).date() for s in stamps)
    return [(first + timedelta(days=i), per_day[first + timedelta(days=i)]) for i in range(days)]


async def build(
    session: AsyncSession, lead: Staff, period: Period, now: datetime, rules: Rules
) -> Digest:
    """The lead's summary of `period`, as of `now` (which may fall inside the period)."""
    scope = await scope_of(session, lead)
    start, end = period.start, period.end
    # Things past due are past due as of the summary, or of the period's end if that came first.
    until = min(end, now)
    d = Digest(lead, period, now)
    per_rep = await visits_per_rep(session, scope.rep_ids, start, end)
    planned = await prorated_plans(session, scope.rep_ids, period, rules)
    d.reps = [RepVisits(r, per_rep.get(r.id, 0), planned.get(r.id)) for r in scope.reps]

    new = select(func.count(Customer.id)).where(between(Customer.created_at, start, end))
    if not scope.everyone:
        new = new.where(Customer.created_by.in_(scope.people))
    d.new_customers = count(await session.scalar(new))

    changes = await stage_changes(session, scope, start, end)
    d.stage_changes = len(changes)
    for change, _owner in changes:
        if change.new_value == Stage.WON:
            d.won += 1
            d.won_amount += change.amount or 0
        elif change.new_value == Stage.LOST:
            d.lost += 1
            d.lost_amount += change.amount or 0

    people = scope.people
    d.followups_done = count(
        await session.scalar(
            select(func.count(FollowUp.id)).where(
                FollowUp.staff_id.in_(people),
                FollowUp.status == FollowUpStatus.DONE,
                between(FollowUp.done_at, start, end),
            )
        )
    )
    d.followups_overdue = count(
        await session.scalar(
            select(func.count(FollowUp.id)).where(
                FollowUp.staff_id.in_(people),
                FollowUp.status == FollowUpStatus.OPEN,
                FollowUp.due_at < until,
            )
        )
    )

    tickets = scope.tickets()
    d.tickets_opened = count(
        await session.scalar(
            select(func.count(Ticket.id)).where(tickets, between(Ticket.created_at, start, end))
        )
    )
    d.tickets_resolved = count(
        await session.scalar(
            select(func.count(Ticket.id)).where(tickets, between(Ticket.resolved_at, start, end))
        )
    )
    d.tickets_breached = count(
        await session.scalar(select(func.count(Ticket.id)).where(tickets, breached(start, until)))
    )
    # Every resolution's rating, earlier rounds of reopened requests too.
    d.rating, d.ratings = await resolutions.ratings(session, tickets, start, end)

    d.losing, d.losing_total = await agenda.losing_touch(
        session, lead, rules.cadence_days, now, classes=agenda.KEY_CLASSES, limit=TOP
    )
    lapsing = await claims.lapsing_soon(
        session, now, rules.claims.warn_days, owner_ids=None if scope.everyone else people
    )
    d.lapsing, d.lapsing_total = lapsing[:TOP], len(lapsing)

    local_now = now.astimezone(period.tz).date()
    d.trend = await trend(session, scope.rep_ids, min(period.last, local_now), period.tz)
    d.money = await deal_figures.summary(session, scope, period, now)
    d.currency = rules.deals.currency
    d.targets = await targets.completion(
        session, scope.reps, plans.month_of(period.last), period.tz, until, only_with_targets=True
    )
    return d


# ---------------------------------------------------------------- who gets the push


async def recipients(session: AsyncSession) -> list[Staff]:
    """Who gets the scheduled summaries: active managers on Telegram (admins ask: /summary)."""
    rows = await session.scalars(
        select(Staff)
        .where(Staff.active.is_(True), Staff.tg_user_id.is_not(None), Staff.role == Role.MANAGER)
        .order_by(Staff.id)
    )
    return list(rows)
