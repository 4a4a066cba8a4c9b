"""What customers owe: instalments, payments against them, and what is overdue.

A payment is applied to the contract's open instalments, earliest due first; a payment larger
than what is still owed on the contract is refused (a typo, or money that is not ours to book).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import Contract, Customer, Instalment, Payment, Staff
from crm.money import ZERO, exact

METHODS = ("transfer", "cash", "cheque", "card", "other")
OPEN = "open"
PAID = "paid"


class Overpaid(ValueError):
    """More than the contract still owes."""


async def outstanding(session: AsyncSession, contract_id: int) -> Decimal:
    found = await session.scalar(
        select(func.sum(Instalment.amount - Instalment.paid)).where(
            Instalment.contract_id == contract_id, Instalment.status == OPEN
        )
    )
    return exact(found or 0)


async def record_payment(
    session: AsyncSession,
    contract: Contract,
    *,
    amount: Decimal,
    paid_on: date,
    method: str,
    by: Staff | None,
    now: datetime,
    receipt_file_id: str | None = None,
) -> tuple[Payment, list[Instalment]]:
    """Books the payment and applies it to open instalments, earliest first; returns the
    payment and the instalments it touched."""
    amount = exact(amount)
    if amount <= 0:
        raise ValueError("amount")
    if method not in METHODS:
        raise ValueError("method")
    open_rows = list(
        await session.scalars(
            select(Instalment)
            .where(Instalment.contract_id == contract.id, Instalment.status == OPEN)
            .order_by(Instalment.due_on, Instalment.seq)
            .with_for_update()
        )
    )
    owed = sum((exact(i.amount) - exact(i.paid) for i in open_rows), ZERO)
    if amount > owed:
        raise Overpaid(str(owed))
    payment = Payment(
        contract_id=contract.id,
        customer_id=contract.customer_id,
        owner_id=contract.owner_id,
        amount=amount,
        paid_on=paid_on,
        method=method,
        receipt_file_id=receipt_file_id,
        recorded_by=by.id if by else None,
        recorded_at=now,
    )
    session.add(payment)
    left = amount
    touched: list[Instalment] = []
    for inst in open_rows:
        if left <= 0:
            break
        take = min(left, exact(inst.amount) - exact(inst.paid))
        inst.paid = exact(inst.paid) + take
        left -= take
        if inst.paid == exact(inst.amount):
            inst.status = PAID
        touched.append(inst)
    await session.flush()
    return payment, touched


@dataclass(frozen=True)
class Overdue:
    instalment: Instalment
    contract: Contract
    customer: Customer
    owner: Staff | None

    @property
    def due(self) -> Decimal:
        return exact(self.instalment.amount) - exact(self.instalment.paid)


def _overdue_query(today: date, owner_ids: Sequence[int] | None) -> Select[Any]:
    q = (
        select(Instalment, Contract, Customer, Staff)
        .join(Contract, Contract.id == Instalment.contract_id)
        .join(Customer, Customer.id == Instalment.customer_id)
        .outerjoin(Staff, Staff.id == Instalment.owner_id)
        .where(Instalment.status == OPEN, Instalment.due_on < today)
    )
    if owner_ids is not None:
        q = q.where(Instalment.owner_id.in_(list(owner_ids) or [-1]))
    return q


async def overdue(
    session: AsyncSession, today: date, owner_ids: Sequence[int] | None = None, limit: int = 50
) -> list[Overdue]:
    """Open instalments due before `today`, oldest first."""
    rows = await session.execute(
        _overdue_query(today, owner_ids).order_by(Instalment.due_on, Instalment.id).limit(limit)
    )
    return [Overdue(i, c, cu, s) for i, c, cu, s in rows.all()]


async def due_for_collection(
    session: AsyncSession, today: date, after_days: int, limit: int = 500
) -> list[Overdue]:
    """Overdue instalments whose collection task is due (`after_days` past due) and not set."""
    last_due = today - timedelta(days=after_days)
    rows = await session.execute(
        _overdue_query(today, None)
        .where(Instalment.due_on <= last_due, Instalment.collection_at.is_(None))
        .order_by(Instalment.due_on, Instalment.id)
        .limit(limit)
    )
    return [Overdue(i, c, cu, s) for i, c, cu, s in rows.all()]


async def due_for_escalation(
    session: AsyncSession, today: date, days: int, limit: int = 500
) -> list[Overdue]:
    last_due = today - timedelta(days=days)
    rows = await session.execute(
        _overdue_query(today, None)
        .where(Instalment.due_on <= last_due, Instalment.escalated_at.is_(None))
        .order_by(Instalment.due_on, Instalment.id)
        .limit(limit)
    )
    return [Overdue(i, c, cu, s) for i, c, cu, s in rows.all()]


async def overdue_by_owner(
    session: AsyncSession, today: date, owner_ids: Sequence[int] | None
) -> dict[int | None, Decimal]:
    """What each owner's customers owe past due (the summary's line per rep)."""
    q = select(Instalment.owner_id, func.sum(Instalment.amount - Instalment.paid)).where(
        Instalment.status == OPEN, Instalment.due_on < today
    )
    if owner_ids is not None:
        q = q.where(Instalment.owner_id.in_(list(owner_ids) or [-1]))
    rows = await session.execute(q.group_by(Instalment.owner_id))
    return {owner: exact(amount or 0) for owner, amount in rows.all()}


async def payments_between(
    session: AsyncSession, first: date, end: date, owner_ids: Sequence[int] | None
) -> tuple[int, Decimal]:
    """How many payments, and their sum, dated in [first, end)."""
    q = select(func.count(Payment.id), func.sum(Payment.amount)).where(
        and_(Payment.paid_on >= first, Payment.paid_on < end)
    )
    if owner_ids is not None:
        q = q.where(Payment.owner_id.in_(list(owner_ids) or [-1]))
    n, amount = (await session.execute(q)).one()
    return int(n or 0), exact(amount or 0)


async def collected_by_owner(
    session: AsyncSession, first: date, end: date, owner_ids: Sequence[int] | None
) -> dict[int | None, Decimal]:
    q = select(Payment.owner_id, func.sum(Payment.amount)).where(
        Payment.paid_on >= first, Payment.paid_on < end
    )
    if owner_ids is not None:
        q = q.where(Payment.owner_id.in_(list(owner_ids) or [-1]))
    rows = await session.execute(q.group_by(Payment.owner_id))
    return {owner: exact(amount or 0) for owner, amount in rows.all()}
