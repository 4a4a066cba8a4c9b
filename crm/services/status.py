"""Stage and class changes, each kept in history with who, when and why."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import CustomerClass, Stage
from crm.models import Customer, CustomerChange
from crm.rules import Rules


def suggested_class(customer: Customer, rules: Rules) -> CustomerClass | None:
    """A promotion the annual value calls for, if any (never a demotion: that is a judgement)."""
    value = float(customer.annual_value or 0)
    if value >= rules.classes.key_threshold and customer.customer_class != CustomerClass.A:
        return CustomerClass.A
    if value >= rules.classes.ordinary_threshold and customer.customer_class == CustomerClass.C:
        return CustomerClass.B
    return None


async def change_stage(
    session: AsyncSession,
    customer: Customer,
    new: Stage,
    *,
    by: int | None,
    now: datetime,
    reason: str | None = None,
    amount: Decimal | None = None,
) -> CustomerChange:
    change = CustomerChange(
        customer_id=customer.id,
        field="stage",
        old_value=customer.stage,
        new_value=new,
        reason=reason,
        amount=amount,
        changed_by=by,
        changed_at=now,
    )
    customer.stage = new
    if new == Stage.WON and amount:
        # A won deal counts towards the year's business volume, which drives the class.
        customer.annual_value = Decimal(customer.annual_value or 0) + amount
    customer.updated_at = now
    session.add(change)
    await session.flush()
    return change


async def change_class(
    session: AsyncSession,
    customer: Customer,
    new: CustomerClass,
    *,
    by: int | None,
    now: datetime,
    reason: str,
) -> CustomerChange:
    change = CustomerChange(
        customer_id=customer.id,
        field="class",
        old_value=customer.customer_class,
        new_value=new,
        reason=reason,
        changed_by=by,
        changed_at=now,
    )
    customer.customer_class = new
    customer.updated_at = now
    session.add(change)
    await session.flush()
    return change
