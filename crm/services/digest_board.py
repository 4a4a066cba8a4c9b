"""The drill-down lists behind a lead's digest: overdue follow-ups, requests past their time
limit, key customers losing touch, and the leaderboard of the team's reps for a period."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import FollowUpStatus, Stage
from crm.models import Customer, FollowUp, Staff, Ticket
from crm.rules import Rules
from crm.services import agenda
from crm.services.digest_periods import Period
from crm.services.digest_scope import between, count, scope_of, stage_changes, visits_per_rep
from crm.services.tickets import OPEN


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
    total = count(await session.scalar(select(func.count(FollowUp.id)).where(*cond)))
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
    total = count(await session.scalar(select(func.count(Ticket.id)).where(*cond)))
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
    visits = await visits_per_rep(session, ids, start, end)
    new = dict(
        (
            await session.execute(
                select(Customer.created_by, func.count(Customer.id))
                .where(
                    Customer.created_by.in_(ids or [-1]),
                    between(Customer.created_at, start, end),
                )
                .group_by(Customer.created_by)
            )
        ).all()
    )
    won: Counter[int] = Counter()
    amount: dict[int, Decimal] = defaultdict(Decimal)
    for change, owner in await stage_changes(session, scope, start, end):
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
            between(FollowUp.done_at, start, end),
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
        .where(scope.tickets(), Ticket.rating.is_not(None), between(Ticket.rated_at, start, end))
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
    return ranked(rows)


def ranked(rows: list[BoardRow]) -> list[BoardRow]:
    """Best first, equal scores sharing a rank (1, 1, 3); names break ties in the order only."""
    rows = sorted(rows, key=lambda r: (tuple(-x for x in r.score), r.staff.name, r.staff.id))
    found: list[BoardRow] = []
    for i, row in enumerate(rows):
        same = bool(found) and found[-1].score == row.score
        found.append(replace(row, rank=found[-1].rank if same else i + 1))
    return found


def per_team(rows: list[BoardRow]) -> list[tuple[str | None, list[BoardRow]]]:
    """An admin's board split by team, ranked within each (teams by name, no team last): reps
    compete with their own team, whose customers and territory they share."""
    teams = sorted({r.staff.team for r in rows}, key=lambda t: (t is None, t or ""))
    return [(team, ranked([r for r in rows if r.staff.team == team])) for team in teams]
