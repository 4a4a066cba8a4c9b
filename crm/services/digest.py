"""The manager's summary of a period: the team's visits against plan, customers and deals,
follow-ups, service requests, who is losing touch and whose claims lapse; plus the drill-down
lists behind it (overdue follow-ups, requests past their time limit, the leaderboard).

A manager sees their team (`summary.team_of`: reps they manage or of their team), an admin
everyone. A period is a local day, an ISO week (Monday to Monday) or a calendar month in the
manager's time zone, always half-open: [start, end).
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.enums import FollowUpStatus, Role, Stage
from crm.models import Customer, CustomerChange, FollowUp, Staff, Ticket, Visit, VisitPlan
from crm.rules import Rules
from crm.services import agenda, claims, plans
from crm.services.summary import team_of
from crm.services.tickets import OPEN

DAY = "day"
WEEK = "week"
MONTH = "month"
KINDS = (DAY, WEEK, MONTH)
# Days in the visits-per-day trend, ending with the period's last day (today for an open one).
TREND_DAYS = 14
# Customers named in the summary under "losing touch" and "claims lapsing"; the rest are counted.
TOP = 3


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # the first local day
    after: date  # the day after the last one
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.after, time(0), tzinfo=self.tz)

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    def days(self) -> Iterator[date]:
        day = self.first
        while day < self.after:
            yield day
            day += timedelta(days=1)

    @property
    def key(self) -> str:
        """Names the period in outbox dedupe keys: 2026-12-01, 2026-W49, 2026-12."""
        if self.kind == DAY:
            return self.first.isoformat()
        if self.kind == WEEK:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return plans.month_of(self.first)

    @property
    def code(self) -> str:
        """A short form for button payloads: d20261201, w20261130 (its Monday), m202612."""
        return f"{self.kind[0]}{self.first:%Y%m%d}"[: 7 if self.kind == MONTH else 9]


def period_of(kind: str, day: date, tz: ZoneInfo) -> Period:
    """The day, week or month that contains `day`."""
    if kind == DAY:
        return Period(DAY, day, day + timedelta(days=1), tz)
    if kind == WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(WEEK, monday, monday + timedelta(days=7), tz)
    if kind == MONTH:
        first = day.replace(day=1)
        return Period(MONTH, first, _next_month(first), tz)
    raise ValueError(f"unknown period kind: {kind!r}")


def previous(kind: str, day: date, tz: ZoneInfo) -> Period:
    """The whole period before the one that contains `day` (last week, last month)."""
    return period_of(kind, period_of(kind, day, tz).first - timedelta(days=1), tz)


def from_code(code: str, tz: ZoneInfo) -> Period | None:
    """A period from its `code`; None for anything else (a forged or garbled payload)."""
    kinds = {k[0]: k for k in KINDS}
    kind = kinds.get(code[:1])
    digits = code[1:]
    if kind is None or not digits.isdigit() or len(digits) != (6 if kind == MONTH else 8):
        return None
    try:
        day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]) if kind != MONTH else 1)
    except ValueError:
        return None
    period = period_of(kind, day, tz)
    return period if period.first == day else None


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _month_days(month: str) -> list[date]:
    year, mon = (int(p) for p in month.split("-"))
    return [date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1)]


# ---------------------------------------------------------------- plans


async def prorated_plans(
    session: AsyncSession, rep_ids: Sequence[int], period: Period, rules: Rules
) -> dict[int, float]:
    """Each rep's visit plan for the period; reps without a plan for its months are left out.

    Plans are monthly totals (per customer class, summed here) with no dates for the visits, so
    a shorter period gets a share of its month's plan. The share is by business days (the
    company's working days and public holidays, `rules.business_hours`): visits are made on
    working days, so a Tuesday's plan is the month's divided by its working days, a Saturday's
    is zero, a week's is its working days' worth, and a month's is exactly its plan. A week that
    spans two months takes each day's share from its own month. A month without a single
    working day (a calendar of no weekdays) falls back to calendar days.
    """
    if not rep_ids:
        return {}
    cal = sla.BusinessCalendar(rules.business_hours, period.tz)
    by_month: dict[str, list[date]] = defaultdict(list)
    for day in period.days():
        by_month[plans.month_of(day)].append(day)
    rows = await session.execute(
        select(VisitPlan.staff_id, VisitPlan.month, func.sum(VisitPlan.target))
        .where(VisitPlan.staff_id.in_(rep_ids), VisitPlan.month.in_(list(by_month)))
        .group_by(VisitPlan.staff_id, VisitPlan.month)
    )
    found: dict[int, float] = {}
    for staff_id, month, target in rows.all():
        month_days = _month_days(month)
        working = [d for d in month_days if cal.is_business_day(d)] or month_days
        share = sum(1 for d in by_month[month] if d in working) / len(working)
        found[staff_id] = found.get(staff_id, 0.0) + float(target or 0) * share
    return found


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """Whose work a lead's figures count: their reps, and what belongs to them."""

    lead: Staff
    reps: list[Staff]

    @property
    def everyone(self) -> bool:
        return self.lead.role == Role.ADMIN

    @property
    def rep_ids(self) -> list[int]:
        return [r.id for r in self.reps]

    @property
    def people(self) -> list[int]:
        """The reps and the lead: a manager also registers customers and closes deals."""
        return [*self.rep_ids, self.lead.id]

    def tickets(self) -> ColumnElement[bool]:
        """Requests of the team's customers, or handled by someone of the team (agents too)."""
        if self.everyone:
            return true()
        lead = self.lead
        members = select(Staff.id).where(
            or_(Staff.manager_id == lead.id, and_(Staff.team.is_not(None), Staff.team == lead.team))
        )
        owned = select(Customer.id).where(Customer.owner_id.in_(self.people))
        return or_(
            Ticket.customer_id.in_(owned), Ticket.owner_id.in_(members), Ticket.owner_id == lead.id
        )


async def scope_of(session: AsyncSession, lead: Staff) -> Scope:
    return Scope(lead, await team_of(session, lead))


def _between(column: ColumnElement[datetime], start: datetime, end: datetime) -> ColumnElement:
    return and_(column >= start, column < end)


def _breached(start: datetime, end: datetime) -> ColumnElement[bool]:
    """A time limit that ran out within [start, end) before it was met (or is still unmet)."""
    first = and_(
        _between(Ticket.first_response_due, start, end),
        or_(
            Ticket.first_response_at.is_(None), Ticket.first_response_at > Ticket.first_response_due
        ),
    )
    resolve = and_(
        _between(Ticket.resolution_due, start, end),
        or_(Ticket.resolved_at.is_(None), Ticket.resolved_at > Ticket.resolution_due),
    )
    return or_(first, resolve)


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


def _count(value: int | None) -> int:
    return int(value or 0)


async def _visits_per_rep(
    session: AsyncSession, ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    rows = await session.execute(
        select(Visit.staff_id, func.count(Visit.id))
        .where(Visit.staff_id.in_(ids or [-1]), _between(Visit.visited_at, start, end))
        .group_by(Visit.staff_id)
    )
    return {staff_id: int(n) for staff_id, n in rows.all()}


async def trend(
    session: AsyncSession, ids: Sequence[int], last: date, tz: ZoneInfo, days: int = TREND_DAYS
) -> list[tuple[date, int]]:
    """Visits per local day by these people, for `days` days ending with `last`."""
    first = last - timedelta(days=days - 1)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    stamps = await session.scalars(
        select(Visit.visited_at).where(
            Visit.staff_id.in_(ids or [-1]), _between(Visit.visited_at, start, end)
        )
    )
    per_day = Counter(s.astimezone(tz).date() for s in stamps)
    return [(first + timedelta(days=i), per_day[first + timedelta(days=i)]) for i in range(days)]


async def _stage_changes(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime
) -> list[tuple[CustomerChange, int | None]]:
    """Stage changes in [start, end) with the customer's owner, in the team's scope."""
    cond = [CustomerChange.field == "stage", _between(CustomerChange.changed_at, start, end)]
    if not scope.everyone:
        cond.append(
            or_(CustomerChange.changed_by.in_(scope.people), Customer.owner_id.in_(scope.people))
        )
    rows = await session.execute(
        select(CustomerChange, Customer.owner_id)
        .join(Customer, Customer.id == CustomerChange.customer_id)
        .where(*cond)
        .order_by(CustomerChange.changed_at, CustomerChange.id)
    )
    return [(change, owner) for change, owner in rows.all()]


async def build(
    session: AsyncSession, lead: Staff, period: Period, now: datetime, rules: Rules
) -> Digest:
    """The lead's summary of `period`, as of `now` (which may fall inside the period)."""
    scope = await scope_of(session, lead)
    start, end = period.start, period.end
    # Things past due are past due as of the summary, or of the period's end if that came first.
    until = min(end, now)
    d = Digest(lead, period, now)
    per_rep = await _visits_per_rep(session, scope.rep_ids, start, end)
    planned = await prorated_plans(session, scope.rep_ids, period, rules)
    d.reps = [RepVisits(r, per_rep.get(r.id, 0), planned.get(r.id)) for r in scope.reps]

    new = select(func.count(Customer.id)).where(_between(Customer.created_at, start, end))
    if not scope.everyone:
        new = new.where(Customer.created_by.in_(scope.people))
    d.new_customers = _count(await session.scalar(new))

    changes = await _stage_changes(session, scope, start, end)
    d.stage_changes = len(changes)
    for change, _owner in changes:
        if change.new_value == Stage.WON:
            d.won += 1
            d.won_amount += change.amount or 0
        elif change.new_value == Stage.LOST:
            d.lost += 1
            d.lost_amount += change.amount or 0

    people = scope.people
    d.followups_done = _count(
        await session.scalar(
            select(func.count(FollowUp.id)).where(
                FollowUp.staff_id.in_(people),
                FollowUp.status == FollowUpStatus.DONE,
                _between(FollowUp.done_at, start, end),
            )
        )
    )
    d.followups_overdue = _count(
        await session.scalar(
            select(func.count(FollowUp.id)).where(
                FollowUp.staff_id.in_(people),
                FollowUp.status == FollowUpStatus.OPEN,
                FollowUp.due_at < until,
            )
        )
    )

    tickets = scope.tickets()
    d.tickets_opened = _count(
        await session.scalar(
            select(func.count(Ticket.id)).where(tickets, _between(Ticket.created_at, start, end))
        )
    )
    d.tickets_resolved = _count(
        await session.scalar(
            select(func.count(Ticket.id)).where(tickets, _between(Ticket.resolved_at, start, end))
        )
    )
    d.tickets_breached = _count(
        await session.scalar(select(func.count(Ticket.id)).where(tickets, _breached(start, until)))
    )
    avg, n = (
        await session.execute(
            select(func.avg(Ticket.rating), func.count(Ticket.rating)).where(
                tickets, Ticket.rating.is_not(None), _between(Ticket.rated_at, start, end)
            )
        )
    ).one()
    d.ratings = _count(n)
    d.rating = float(avg) if avg is not None and d.ratings else None

    d.losing, d.losing_total = await agenda.losing_touch(
        session, lead, rules.cadence_days, now, classes=agenda.KEY_CLASSES, limit=TOP
    )
    lapsing = [
        (c, owner)
        for c, owner in await claims.lapsing_soon(session, now, rules.claims.warn_days)
        if scope.everyone or owner.id in people
    ]
    d.lapsing, d.lapsing_total = lapsing[:TOP], len(lapsing)

    local_now = now.astimezone(period.tz).date()
    d.trend = await trend(session, scope.rep_ids, min(period.last, local_now), period.tz)
    return d


# ---------------------------------------------------------------- drill-downs


@dataclass(frozen=True)
class OverdueFollowUp:
    followup: FollowUp
    customer: Customer
    staff: Staff


async def overdue_followups(
    session: AsyncSession, lead: Staff, now: datetime, *, limit: int = 20
) -> tuple[list[OverdueFollowUp], int]:
    """The team's open follow-ups past their time, oldest first, with the rep; and how many."""
    scope = await scope_of(session, lead)
    cond = [
        FollowUp.staff_id.in_(scope.people),
        FollowUp.status == FollowUpStatus.OPEN,
        FollowUp.due_at < now,
    ]
    total = _count(await session.scalar(select(func.count(FollowUp.id)).where(*cond)))
    rows = await session.execute(
        select(FollowUp, Customer, Staff)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .join(Staff, Staff.id == FollowUp.staff_id)
        .where(*cond)
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(limit)
    )
    return [OverdueFollowUp(fu, c, s) for fu, c, s in rows.all()], total


@dataclass(frozen=True)
class LateTicket:
    ticket: Ticket
    customer: Customer | None
    owner: Staff | None
    # Which time limit ran out ("first" answer or "resolve") and when it was due.
    stage: str
    due: datetime


async def open_breaches(
    session: AsyncSession, lead: Staff, now: datetime, *, limit: int = 20
) -> tuple[list[LateTicket], int]:
    """Open requests of the team past a time limit, the longest overdue first; and how many."""
    scope = await scope_of(session, lead)
    cond = [
        scope.tickets(),
        Ticket.status.in_(OPEN),
        or_(
            Ticket.first_response_at.is_(None) & (Ticket.first_response_due < now),
            Ticket.resolved_at.is_(None) & (Ticket.resolution_due < now),
        ),
    ]
    total = _count(await session.scalar(select(func.count(Ticket.id)).where(*cond)))
    rows = (
        await session.execute(
            select(Ticket, Customer, Staff)
            .outerjoin(Customer, Customer.id == Ticket.customer_id)
            .outerjoin(Staff, Staff.id == func.coalesce(Ticket.owner_id, Customer.owner_id))
            .where(*cond)
        )
    ).all()
    found = []
    for t, customer, owner in rows:
        # The first answer's limit is the one to name while there is no answer yet.
        if t.first_response_at is None and t.first_response_due and t.first_response_due < now:
            found.append(LateTicket(t, customer, owner, "first", t.first_response_due))
        elif t.resolution_due is not None:
            found.append(LateTicket(t, customer, owner, "resolve", t.resolution_due))
    found.sort(key=lambda lt: (lt.due, lt.ticket.id))
    return found[:limit], total


async def losing_touch(
    session: AsyncSession, lead: Staff, rules: Rules, now: datetime, *, limit: int = 20
) -> tuple[list[agenda.LosingTouch], int]:
    """The team's key customers past their visit cadence (the summary's "losing touch")."""
    return await agenda.losing_touch(
        session, lead, rules.cadence_days, now, classes=agenda.KEY_CLASSES, limit=limit
    )


@dataclass(frozen=True)
class BoardRow:
    rank: int
    staff: Staff
    visits: int = 0
    new_customers: int = 0
    won: int = 0
    won_amount: Decimal = Decimal(0)
    followups_on_time: int = 0
    rating: float | None = None
    ratings: int = 0

    @property
    def score(self) -> tuple[Decimal, int, int, int, int]:
        """What ranks a rep: the deals' amount, then deals, visits, new customers, follow-ups."""
        return (self.won_amount, self.won, self.visits, self.new_customers, self.followups_on_time)


async def leaderboard(
    session: AsyncSession, lead: Staff, period: Period, now: datetime
) -> list[BoardRow]:
    """Every rep of the team for the period, best first; reps with nothing are listed too.

    Ranked by the amount of deals won, then deals won, visits, new customers and follow-ups done
    on time; reps equal on all of them share a rank (1, 1, 3). A follow-up is on time when it
    was done by the end of the local day it was due. A deal counts for who marked it won (for the
    customer's owner when that was not a rep of the team); a rating for the request's owner (else
    the customer's owner).
    """
    scope = await scope_of(session, lead)
    ids = scope.rep_ids
    start, end = period.start, period.end
    visits = await _visits_per_rep(session, ids, start, end)
    new = dict(
        (
            await session.execute(
                select(Customer.created_by, func.count(Customer.id))
                .where(
                    Customer.created_by.in_(ids or [-1]),
                    _between(Customer.created_at, start, end),
                )
                .group_by(Customer.created_by)
            )
        ).all()
    )
    won: Counter[int] = Counter()
    amount: dict[int, Decimal] = defaultdict(Decimal)
    for change, owner in await _stage_changes(session, scope, start, end):
        if change.new_value != Stage.WON:
            continue
        rep = change.changed_by if change.changed_by in ids else owner
        if rep in ids:
            won[rep] += 1
            amount[rep] += change.amount or 0
    on_time: Counter[int] = Counter()
    done = await session.execute(
        select(FollowUp.staff_id, FollowUp.due_at, FollowUp.done_at).where(
            FollowUp.staff_id.in_(ids or [-1]),
            FollowUp.status == FollowUpStatus.DONE,
            _between(FollowUp.done_at, start, end),
        )
    )
    for staff_id, due_at, done_at in done.all():
        due_day = due_at.astimezone(period.tz).date()
        if done_at < datetime.combine(due_day + timedelta(days=1), time(0), tzinfo=period.tz):
            on_time[staff_id] += 1
    ratings: dict[int, list[int]] = defaultdict(list)
    rated = await session.execute(
        select(Ticket.owner_id, Customer.owner_id, Ticket.rating)
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(scope.tickets(), Ticket.rating.is_not(None), _between(Ticket.rated_at, start, end))
    )
    for ticket_owner, customer_owner, rating in rated.all():
        rep = ticket_owner if ticket_owner in ids else customer_owner
        if rep in ids:
            ratings[rep].append(int(rating))
    rows = [
        BoardRow(
            0,
            rep,
            visits=visits.get(rep.id, 0),
            new_customers=int(new.get(rep.id, 0)),
            won=won[rep.id],
            won_amount=amount[rep.id],
            followups_on_time=on_time[rep.id],
            rating=sum(ratings[rep.id]) / len(ratings[rep.id]) if ratings[rep.id] else None,
            ratings=len(ratings[rep.id]),
        )
        for rep in scope.reps
    ]
    rows.sort(key=lambda r: (tuple(-x for x in r.score), r.staff.name, r.staff.id))
    ranked: list[BoardRow] = []
    for i, row in enumerate(rows):
        same = bool(ranked) and ranked[-1].score == row.score
        ranked.append(replace(row, rank=ranked[-1].rank if same else i + 1))
    return ranked


# ---------------------------------------------------------------- who gets the push


async def recipients(session: AsyncSession) -> list[Staff]:
    """Who gets the scheduled summaries: active managers on Telegram (admins ask: /summary)."""
    rows = await session.scalars(
        select(Staff)
        .where(Staff.active.is_(True), Staff.tg_user_id.is_not(None), Staff.role == Role.MANAGER)
        .order_by(Staff.id)
    )
    return list(rows)
