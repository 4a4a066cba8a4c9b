"""Deals: opportunities, the contracts they become, their payment schedules and payments.

Every amount is a `MoneyType`: numeric(14, 2) on PostgreSQL, exact there; on SQLite, whose
numeric affinity would keep a float, an integer number of cents, so that sums computed by the
database (the summaries' totals) are exact too. Python sees a Decimal with two places either way.
The owner is copied onto instalments and payments so the summaries count a rep's receivables
without joining through the contract.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from crm.db import Base, UTCDateTime, utcnow

_CENT = Decimal("0.01")


class MoneyType(TypeDecorator[Decimal]):
    """A Decimal amount with two places; integer cents on SQLite (see the module's note)."""

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money is never a float")
        amount = Decimal(value).quantize(_CENT)
        if dialect.name == "sqlite":
            return int(amount.scaleb(2))
        return amount

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            # An integer of cents (a sum of them is one too); never a float written by us.
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError(f"not a number of cents: {value!r}")
                value = int(value)
            return Decimal(int(value)).scaleb(-2).quantize(_CENT)
        return Decimal(value).quantize(_CENT)


MONEY = MoneyType()


class Opportunity(Base):
    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_owner_stage", "owner_id", "stage"),
        Index("ix_opportunity_customer", "customer_id", "stage"),
        # The report's pipeline of open opportunities by expected close.
        Index("ix_opportunity_stage_close", "stage", "expected_close"),
        Index("ix_opportunity_closed", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    expected_close: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(20))
    # Set when won (the amount signed, may differ from the estimate) or lost (the reason).
    won_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    lost_reason: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The contract this one would renew (offered before it ends). No foreign key: contract
    # already points here, and a cycle of keys would need deferred creation on PostgreSQL.
    renews_contract_id: Mapped[int | None] = mapped_column(Integer)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contract(Base):
    __tablename__ = "contract"
    __table_args__ = (
        Index("ix_contract_customer", "customer_id"),
        Index("ix_contract_ends", "ends_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunity.id", ondelete="SET NULL"), unique=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    signed_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # prepaid, instalments or on_delivery (rules.deals.payment_terms).
    terms: Mapped[str] = mapped_column(String(16))
    # The signed copy sent in chat: a Telegram file id, and whether it was a photo or a document.
    file_id: Mapped[str | None] = mapped_column(String(200))
    file_kind: Mapped[str | None] = mapped_column(String(10))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Instalment(Base):
    __tablename__ = "instalment"
    __table_args__ = (
        # Overdue instalments of a team (the summary) and of everyone (the collection job).
        Index("ix_instalment_owner_open_due", "owner_id", "status", "due_on"),
        Index("ix_instalment_open_due", "status", "due_on"),
        Index("ix_instalment_contract", "contract_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    seq: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    # open or paid.
    status: Mapped[str] = mapped_column(String(8), default="open")
    # When the collection task was set and the manager told (once each).
    collection_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def due(self) -> Decimal:
        return Decimal(self.amount) - Decimal(self.paid)


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (
        Index("ix_payment_owner_paid", "owner_id", "paid_on"),
        Index("ix_payment_paid", "paid_on"),
        Index("ix_payment_contract", "contract_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date] = mapped_column(Date)
    # transfer, cash, cheque, card, other.
    method: Mapped[str] = mapped_column(String(12))
    receipt_file_id: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
