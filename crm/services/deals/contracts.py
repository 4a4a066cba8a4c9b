"""Contracts made from won opportunities, their payment schedules and their expiry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import Contract, Customer, Instalment, Opportunity, Staff
from crm.money import CENT, exact, total
from crm.rules import Rules

PREPAID = "prepaid"
INSTALMENTS = "instalments"
ON_DELIVERY = "on_delivery"
MAX_INSTALMENTS = 24


class ScheduleError(ValueError):
    """The schedule does not add up to the contract's amount, or its dates are wrong."""


@dataclass(frozen=True)
class Due:
    due_on: date
    amount: Decimal


def split(amount: Decimal, n: int) -> list[Decimal]:
    """`amount` in n parts to the cent that add up exactly: the last takes the remainder."""
    if n < 1:
        raise ScheduleError("at least one instalment")
    part = (exact(amount) / n).quantize(CENT, rounding="ROUND_DOWN")
    parts = [part] * (n - 1)
    return [*parts, exact(amount) - total(parts)]


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def default_schedule(
    terms: str, amount: Decimal, signed_on: date, starts_on: date, n: int = 2
) -> list[Due]:
    """Prepaid: all on signing; on delivery: all at the start; instalments: n monthly parts
    from a month after the start."""
    if terms == PREPAID:
        return [Due(signed_on, exact(amount))]
    if terms == ON_DELIVERY:
        return [Due(starts_on, exact(amount))]
    return [Due(_add_months(starts_on, i + 1), a) for i, a in enumerate(split(amount, n))]


def check_schedule(schedule: Sequence[Due], amount: Decimal, signed_on: date) -> None:
    if not schedule or len(schedule) > MAX_INSTALMENTS:
        raise ScheduleError("count")
    if total(d.amount for d in schedule) != exact(amount):
        raise ScheduleError("sum")
    if any(d.amount <= 0 for d in schedule):
        raise ScheduleError("amount")
    if any(d.due_on < signed_on for d in schedule):
        raise ScheduleError("date")


async def number_taken(session: AsyncSession, number: str) -> bool:
    return await session.scalar(select(Contract.id).where(Contract.number == number)) is not None


async def next_number(session: AsyncSession, signed_on: date) -> str:
    """HT-2026-0007: the year's next free number."""
    prefix = f"HT-{signed_on.year}-"
    n = await session.scalar(
        select(func.count(Contract.id)).where(Contract.number.startswith(prefix))
    )
    seq = int(n or 0) + 1
    while await number_taken(session, f"{prefix}{seq:04d}"):
        seq += 1
    return f"{prefix}{seq:04d}"


def terms_allowed(rules: Rules, customer: Customer) -> list[str]:
    return rules.deals.terms_for(customer.credit_rating)


async def create(
    session: AsyncSession,
    opp: Opportunity,
    customer: Customer,
    by: Staff,
    *,
    number: str,
    signed_on: date,
    starts_on: date,
    ends_on: date,
    terms: str,
    schedule: Sequence[Due],
    rules: Rules,
    now: datetime,
    file_id: str | None = None,
    file_kind: str | None = None,
) -> Contract:
    """The contract of a won opportunity and its instalments; raises ValueError when the
    opportunity is not won, already has a contract, the terms are not allowed or the schedule is
    wrong."""
    if opp.stage != "won" or opp.won_amount is None:
        raise ValueError("only a won opportunity becomes a contract")
    if await session.scalar(select(Contract.id).where(Contract.opportunity_id == opp.id)):
        raise ValueError("this opportunity has a contract")
    if terms not in terms_allowed(rules, customer):
        raise ValueError("terms not allowed by the credit rating")
    if ends_on <= starts_on:
        raise ScheduleError("term")
    check_schedule(schedule, opp.won_amount, signed_on)
    contract = Contract(
        number=number,
        opportunity_id=opp.id,
        customer_id=customer.id,
        owner_id=opp.owner_id,
        amount=exact(opp.won_amount),
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        terms=terms,
        file_id=file_id,
        file_kind=file_kind,
        created_by=by.id,
        created_at=now,
    )
    session.add(contract)
    await session.flush()
    for seq, due in enumerate(sorted(schedule, key=lambda d: d.due_on), start=1):
        session.add(
            Instalment(
                contract_id=contract.id,
                customer_id=customer.id,
                owner_id=contract.owner_id,
                seq=seq,
                due_on=due.due_on,
                amount=exact(due.amount),
                paid=exact(0),
                status="open",
            )
        )
    await session.flush()
    return contract


async def of_opportunity(session: AsyncSession, opp_id: int) -> Contract | None:
    return await session.scalar(select(Contract).where(Contract.opportunity_id == opp_id))


async def for_customer(session: AsyncSession, customer_id: int) -> list[Contract]:
    rows = await session.scalars(
        select(Contract).where(Contract.customer_id == customer_id).order_by(Contract.id)
    )
    return list(rows)


async def instalments(session: AsyncSession, contract_id: int) -> list[Instalment]:
    rows = await session.scalars(
        select(Instalment).where(Instalment.contract_id == contract_id).order_by(Instalment.seq)
    )
    return list(rows)


def expiry_threshold(ends_on: date, today: date, days: Sequence[int]) -> int | None:
    """The reminder due now: the smallest threshold the days left have reached (a jump past
    two thresholds sends only the nearer one), or None."""
    left = (ends_on - today).days
    if left < 0:
        return None
    reached = [d for d in days if left <= d]
    return min(reached) if reached else None


async def expiring(
    session: AsyncSession, today: date, days: Sequence[int]
) -> list[tuple[Contract, Customer, int]]:
    """Contracts whose end is within the largest reminder window, each with the threshold due."""
    if not days:
        return []
    horizon = today + timedelta(days=max(days))
    rows = await session.execute(
        select(Contract, Customer)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(Contract.ends_on >= today, Contract.ends_on <= horizon)
        .order_by(Contract.ends_on, Contract.id)
    )
    found = []
    for contract, customer in rows.all():
        threshold = expiry_threshold(contract.ends_on, today, days)
        if threshold is not None:
            found.append((contract, customer, threshold))
    return found
