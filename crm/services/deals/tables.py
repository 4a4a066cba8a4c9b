"""The deal tables as exported: opportunities, contracts, instalments and payments, of the
customers a scope selects. Their columns are the import's (crm/services/deals/transfer.py): a table
exported from one installation goes into another, or back after editing in Excel. Amounts are
exact decimal text (`800000.00`), days ISO dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.models import Contract, Customer, Instalment, Opportunity, Payment, Staff
from crm.money import exact

KINDS = ("opportunities", "contracts", "instalments", "payments")

COLUMNS = {
    "opportunities": [
        "id",
        "customer",
        "title",
        "amount",
        "expected_close",
        "stage",
        "owner",
        "won_amount",
        "lost_reason",
        "created_at",
    ],
    "contracts": [
        "number",
        "customer",
        "amount",
        "signed_on",
        "starts_on",
        "ends_on",
        "terms",
        "owner",
        "opportunity_id",
    ],
    "instalments": ["contract", "seq", "due_on", "amount", "paid", "status"],
    "payments": ["contract", "amount", "paid_on", "method", "owner"],
}


def _d(day: date | None) -> str:
    return day.isoformat() if day else ""


def _m(amount: Decimal | None) -> str:
    return "" if amount is None else f"{exact(amount)}"


async def table(
    session: AsyncSession, kind: str, scope: ColumnElement[bool] | None = None
) -> tuple[list[str], list[list[Any]]]:
    """The rows of one kind, of the customers `scope` selects (None: everyone's)."""
    owner = aliased(Staff)

    def mine(_column: Any) -> Any:
        return true() if scope is None else scope

    if kind == "opportunities":
        found = await session.execute(
            select(Opportunity, Customer.name, owner.handle)
            .join(Customer, Customer.id == Opportunity.customer_id)
            .outerjoin(owner, owner.id == Opportunity.owner_id)
            .where(mine(Opportunity.owner_id))
            .order_by(Opportunity.id)
        )
        out = [
            [
                o.id,
                c,
                o.title,
                _m(o.amount),
                _d(o.expected_close),
                o.stage,
                h or "",
                _m(o.won_amount),
                o.lost_reason or "",
                o.created_at.date().isoformat(),
            ]
            for o, c, h in found.all()
        ]
    elif kind == "contracts":
        found = await session.execute(
            select(Contract, Customer.name, owner.handle)
            .join(Customer, Customer.id == Contract.customer_id)
            .outerjoin(owner, owner.id == Contract.owner_id)
            .where(mine(Contract.owner_id))
            .order_by(Contract.id)
        )
        out = [
            [
                k.number,
                c,
                _m(k.amount),
                _d(k.signed_on),
                _d(k.starts_on),
                _d(k.ends_on),
                k.terms,
                h or "",
                k.opportunity_id or "",
            ]
            for k, c, h in found.all()
        ]
    elif kind == "instalments":
        found = await session.execute(
            select(Instalment, Contract.number)
            .join(Contract, Contract.id == Instalment.contract_id)
            .join(Customer, Customer.id == Instalment.customer_id)
            .where(mine(Instalment.owner_id))
            .order_by(Instalment.contract_id, Instalment.seq)
        )
        out = [[n, i.seq, _d(i.due_on), _m(i.amount), _m(i.paid), i.status] for i, n in found.all()]
    elif kind == "payments":
        found = await session.execute(
            select(Payment, Contract.number, owner.handle)
            .join(Contract, Contract.id == Payment.contract_id)
            .join(Customer, Customer.id == Payment.customer_id)
            .outerjoin(owner, owner.id == Payment.owner_id)
            .where(mine(Payment.owner_id))
            .order_by(Payment.id)
        )
        out = [[n, _m(p.amount), _d(p.paid_on), p.method, h or ""] for p, n, h in found.all()]
    else:
        raise ValueError(f"unknown export {kind!r}; choose one of {', '.join(KINDS)}")
    return list(COLUMNS[kind]), out
