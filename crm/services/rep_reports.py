"""Reps' daily and weekly reports (日报 / 周报): drafted from the day's rows, the rep's own lines
and plan, sent, read and commented on by their manager.

The figures are counted from what the rep recorded in the period (in the rep's time zone) and
frozen when the report is sent: a visit logged later does not change a report already read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import FollowUpStatus, Role, VisitKind
from crm.limits import text_limit
from crm.models import Customer, FollowUp, ReportComment, RepReport, Staff, Ticket, Visit
from crm.services import access, claims, runtime
from crm.services.customers import renew_claim
from crm.services.summary import team_of

DAY, WEEK = "day", "week"
KINDS = (DAY, WEEK)
# What the rep types: one line at a time, all of them within the column.
LINE_LIMIT = 300
LINES_LIMIT = text_limit(RepReport.lines)
PLAN_LIMIT = text_limit(RepReport.plan)
COMMENT_LIMIT = text_limit(ReportComment.text)
# The figures, in the order a report lists them.
FIGURES = ("visits", "calls", "new_customers", "followups_done", "tickets")
# Next week's planned visits are due on its Monday at this local time.
PLANNED_AT = time(9, 0)


def week_start(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def period_of(kind: str, day: date) -> date:
    return week_start(day) if kind == WEEK else day


def span(kind: str, period: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    days = 7 if kind == WEEK else 1
    start = datetime.combine(period, time(0), tzinfo=tz)
    return start, datetime.combine(period + timedelta(days=days), time(0), tzinfo=tz)


async def figures(
    session: AsyncSession, staff: Staff, kind: str, period: date, tz: ZoneInfo
) -> dict[str, int]:
    """What the rep recorded in the period: visits (not by phone), calls, customers they
    registered, follow-ups they closed, requests they resolved."""
    start, end = span(kind, period, tz)

    async def count(stmt: object) -> int:
        return int(await session.scalar(stmt) or 0)  # type: ignore[call-overload]

    in_visits = and_(Visit.staff_id == staff.id, Visit.visited_at >= start, Visit.visited_at < end)
    return {
        "visits": await count(
            select(func.count(Visit.id)).where(in_visits, Visit.kind != VisitKind.PHONE)
        ),
        "calls": await count(
            select(func.count(Visit.id)).where(in_visits, Visit.kind == VisitKind.PHONE)
        ),
        "new_customers": await count(
            select(func.count(Customer.id)).where(
                func.coalesce(Customer.created_by, Customer.owner_id) == staff.id,
                Customer.created_at >= start,
                Customer.created_at < end,
            )
        ),
        "followups_done": await count(
            select(func.count(FollowUp.id)).where(
                FollowUp.staff_id == staff.id,
                FollowUp.status == FollowUpStatus.DONE,
                FollowUp.done_at >= start,
                FollowUp.done_at < end,
            )
        ),
        "tickets": await count(
            select(func.count(Ticket.id)).where(
                Ticket.owner_id == staff.id, Ticket.resolved_at >= start, Ticket.resolved_at < end
            )
        ),
    }


async def find(session: AsyncSession, staff_id: int, kind: str, period: date) -> RepReport | None:
    return await session.scalar(
        select(RepReport).where(
            RepReport.staff_id == staff_id, RepReport.kind == kind, RepReport.period == period
        )
    )


async def draft(
    session: AsyncSession, staff: Staff, kind: str, period: date, tz: ZoneInfo, now: datetime
) -> RepReport:
    """The rep's report for the period, its figures counted afresh while it is not sent."""
    report = await find(session, staff.id, kind, period)
    if report is None:
        report = RepReport(
            staff_id=staff.id, kind=kind, period=period, created_at=now, updated_at=now
        )
        session.add(report)
    if report.sent_at is None:
        report.figures = await figures(session, staff, kind, period, tz)
        report.updated_at = now
    await session.flush()
    return report


def joined(lines: list[str]) -> str | None:
    return "\n".join(lines) if lines else None


def fits(lines: list[str], limit: int = LINES_LIMIT) -> bool:
    return len("\n".join(lines)) <= limit


async def set_plan(session: AsyncSession, report: RepReport, text: str, now: datetime) -> None:
    """The morning's note ("anything to add?"), added below what was noted before."""
    report.plan = f"{report.plan}\n{text}" if report.plan else text
    report.updated_at = now


async def send(
    session: AsyncSession,
    report: RepReport,
    staff: Staff,
    lines: list[str],
    tz: ZoneInfo,
    now: datetime,
    *,
    plan: list[str] | None = None,
) -> None:
    report.figures = await figures(session, staff, report.kind, report.period, tz)
    report.lines = joined(lines)
    if plan is not None:
        report.plan = joined(plan)
    report.sent_at = report.updated_at = now


async def plan_visits(
    session: AsyncSession,
    staff: Staff,
    customer_ids: list[int],
    period: date,
    tz: ZoneInfo,
    now: datetime,
    *,
    claim_days: int,
) -> list[Customer]:
    """Next week's customers to visit as follow-ups due on its Monday (those the rep may still
    act on); like any follow-up, each renews the rep's claim. Returns the customers planned."""
    due = datetime.combine(period + timedelta(days=7), PLANNED_AT, tzinfo=tz)
    planned: list[Customer] = []
    for cid in dict.fromkeys(customer_ids):
        customer = await access.editable_customer(session, staff, cid)
        if customer is None:
            continue
        fu = FollowUp(
            customer_id=customer.id,
            staff_id=staff.id,
            kind=VisitKind.ONSITE,
            due_at=due,
            created_at=now,
        )
        session.add(fu)
        renew_claim(customer, staff, now, claim_days)
        await session.flush()
        await runtime.audit(
            session,
            actor_kind="staff",
            actor_id=staff.id,
            action="followup.create",
            entity="customer",
            entity_id=customer.id,
            changes={"followup_id": fu.id, "from": "weekly_plan"},
            now=now,
        )
        planned.append(customer)
    await session.flush()
    return planned


async def can_read(session: AsyncSession, staff: Staff, report: RepReport) -> bool:
    """The rep themself, an admin, or the rep's manager (their team)."""
    if not staff.active:
        return False
    if report.staff_id == staff.id or staff.role == Role.ADMIN:
        return True
    if staff.role != Role.MANAGER:
        return False
    return report.staff_id in {r.id for r in await team_of(session, staff)}


async def may_comment(session: AsyncSession, staff: Staff, report: RepReport) -> bool:
    return (
        report.staff_id != staff.id
        and report.sent_at is not None
        and await can_read(session, staff, report)
    )


async def comment(
    session: AsyncSession, report: RepReport, author: Staff, text: str, now: datetime
) -> ReportComment:
    row = ReportComment(report_id=report.id, author_id=author.id, text=text, at=now)
    session.add(row)
    await session.flush()
    return row


@dataclass(frozen=True)
class Comment:
    author: str | None
    text: str
    at: datetime


async def comments(session: AsyncSession, report_id: int) -> list[Comment]:
    rows = await session.execute(
        select(ReportComment, Staff.name)
        .outerjoin(Staff, Staff.id == ReportComment.author_id)
        .where(ReportComment.report_id == report_id)
        .order_by(ReportComment.at, ReportComment.id)
    )
    return [Comment(name, c.text, c.at) for c, name in rows.all()]


async def team(
    session: AsyncSession, lead: Staff, kind: str, period: date
) -> list[tuple[Staff, RepReport | None]]:
    """Each of the lead's reps with their report for the period, sent or not (None: none)."""
    reps = await team_of(session, lead)
    if not reps:
        return []
    found = {
        r.staff_id: r
        for r in await session.scalars(
            select(RepReport).where(
                RepReport.staff_id.in_([r.id for r in reps]),
                RepReport.kind == kind,
                RepReport.period == period,
            )
        )
    }
    return [(rep, found.get(rep.id)) for rep in reps]


def team_key(kind: str, manager_id: int, period: date) -> str:
    """The outbox dedupe key of a manager's team message (scheduler/report_jobs.py)."""
    return f"rpt-team:{kind}:{manager_id}:{period}"


async def listed_to(session: AsyncSession, report: RepReport, rep: Staff) -> list[Staff]:
    """The rep's managers who were already sent the team's list for the report's period (with
    the rep as not sent): a report sent after it is worth a note of its own."""
    managers = await claims.managers_of(session, rep)
    keys = {team_key(report.kind, m.id, report.period): m for m in managers}
    done = await claims.already_queued(session, keys)
    return [m for key, m in keys.items() if key in done]


async def reporters(session: AsyncSession) -> list[Staff]:
    """Who is asked for reports: active sales reps on Telegram."""
    rows = await session.scalars(
        select(Staff)
        .where(Staff.active.is_(True), Staff.tg_user_id.is_not(None), Staff.role == Role.SALES)
        .order_by(Staff.id)
    )
    return list(rows)
