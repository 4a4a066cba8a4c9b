"""A rep's day (follow-ups, plan, key customers past their cadence, claims about to lapse) and
the "losing touch" list: customers whose last visit is older than their class's cadence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import Role, Stage
from crm.models import Customer, FollowUp, Staff, Visit
from crm.rules import Cadence, Rules
from crm.services import claims, plans, sales
from crm.services.access import customer_scope

# Key customers, in the order they are listed.
KEY_CLASSES = ("A", "B")


@dataclass(frozen=True)
class LosingTouch:
    customer: Customer
    owner: Staff | None
    last_visit: datetime | None
    # Days since the last visit, or since registration when never visited.
    days: int


def _cadence(cadence: Cadence) -> dict[str, int]:
    return {"A": cadence.A, "B": cadence.B, "C": cadence.C}


def _overdue(
    cadence: Cadence, reference: ColumnElement[datetime], now: datetime, classes: tuple[str, ...]
) -> ColumnElement[bool]:
    days = _cadence(cadence)
    parts = [
        (Customer.customer_class == cls) & (reference < now - timedelta(days=days[cls]))
        for cls in classes
        if cls in days
    ]
    return or_(*parts) if parts else false()


async def losing_touch(
    session: AsyncSession,
    staff: Staff,
    cadence: Cadence,
    now: datetime,
    *,
    classes: tuple[str, ...] = ("A", "B", "C"),
    own_only: bool = False,
    limit: int | None = None,
) -> tuple[list[LosingTouch], int]:
    """Customers the staff member may see whose last visit (by anyone) is older than their
    class's cadence, or who were never visited and were registered longer ago than it.

    Class A first, then the longest without a visit. Lost and blacklisted customers are left
    out: nobody is expected to keep visiting them. Returns the rows (at most `limit`) and how
    many there are in all.
    """
    # The customer's last visit, looked up per customer in the team's scope (an index seek on
    # visit(customer_id, visited_at)): grouping every visit ever made first would make the
    # summary and /losing slower with every year of history.
    last = (
        select(func.max(Visit.visited_at))
        .where(Visit.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )
    reference = func.coalesce(last, Customer.created_at)
    conditions = [
        customer_scope(staff),
        Customer.stage != Stage.LOST,
        Customer.blacklisted.is_(False),
        _overdue(cadence, reference, now, classes),
    ]
    if own_only:
        conditions.append(Customer.owner_id == staff.id)
    if limit is not None and limit <= 0:
        total = await session.scalar(select(func.count(Customer.id)).where(*conditions))
        return [], int(total or 0)
    # The count of all of them rides on the rows (a window over the matches, before the limit):
    # one pass over the scope instead of two.
    stmt = (
        select(Customer, Staff, last.label("last"), func.count().over().label("total"))
        .outerjoin(Staff, Staff.id == Customer.owner_id)
        .where(*conditions)
        .order_by(Customer.customer_class, reference, Customer.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = (await session.execute(stmt)).all()
    # No rows with a limit above 0: nothing matches at all.
    total = int(rows[0].total) if rows else 0
    found = []
    for customer, owner, last_at, _total in rows:
        # SQLite returns max() of a timestamp as text; the customer's own columns are typed.
        last_visit = _as_datetime(last_at)
        since = last_visit or customer.created_at
        found.append(LosingTouch(customer, owner, last_visit, max((now - since).days, 0)))
    return found, total


def _as_datetime(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo("UTC"))


@dataclass
class Agenda:
    day_end: datetime
    followups: list[tuple[FollowUp, Customer]] = field(default_factory=list)
    plan: plans.PlanProgress | None = None
    key_customers: list[LosingTouch] = field(default_factory=list)
    key_customers_total: int = 0
    claims: list[Customer] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        has_plan = self.plan is not None and self.plan.has_plan
        return not (self.followups or has_plan or self.key_customers or self.claims)


async def for_staff(
    session: AsyncSession,
    staff: Staff,
    rules: Rules,
    now: datetime,
    tz: ZoneInfo,
    *,
    key_limit: int = 5,
) -> Agenda:
    """What the staff member's day holds, as of `now` in their time zone `tz`."""
    local = now.astimezone(tz)
    day_end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
    agenda = Agenda(day_end=day_end)
    agenda.followups = await sales.open_followups(session, staff, day_end)
    progress = await plans.progress(session, staff, now, plans.month_of(local.date()))
    agenda.plan = progress if progress.has_plan else None
    agenda.key_customers, agenda.key_customers_total = await losing_touch(
        session, staff, rules.cadence_days, now, classes=KEY_CLASSES, own_only=True, limit=key_limit
    )
    agenda.claims = [
        c
        for c, _owner in await claims.lapsing_soon(
            session, now, rules.claims.warn_days, owner_id=staff.id
        )
    ]
    return agenda


async def agenda_recipients(session: AsyncSession) -> list[Staff]:
    """Who gets the morning agenda: active sales reps, and managers who own customers."""
    owns = exists().where(Customer.owner_id == Staff.id)
    rows = await session.scalars(
        select(Staff)
        .where(
            Staff.active.is_(True),
            Staff.tg_user_id.is_not(None),
            or_(Staff.role == Role.SALES, (Staff.role == Role.MANAGER) & owns),
        )
        .order_by(Staff.id)
    )
    return list(rows)
