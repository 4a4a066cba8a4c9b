from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base, UTCDateTime, utcnow


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_owner_stage", "owner_id", "stage"),
        Index("ix_customer_claim", "claim_expires_at"),
        # The summary's "new customers" of a team in a day.
        Index("ix_customer_created_by_time", "created_by", "created_at"),
        # A team's claims about to lapse (the summary), a rep's (the morning agenda).
        Index("ix_customer_owner_claim", "owner_id", "claim_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_company: Mapped[bool] = mapped_column(default=True)
    name: Mapped[str] = mapped_column(String(200))
    # Pinyin initials and full pinyin of a Chinese name, for search by 首字母.
    name_search: Mapped[str] = mapped_column(String(400), default="")
    industry: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    area: Mapped[str | None] = mapped_column(String(80))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    customer_class: Mapped[str] = mapped_column(String(1), default="C")
    stage: Mapped[str] = mapped_column(String(20), default="lead")
    relationship: Mapped[str] = mapped_column(String(20), default="breakthrough")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    team: Mapped[str | None] = mapped_column(String(64))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str | None] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    birthday: Mapped[date | None] = mapped_column(Date)
    birthday_lunar: Mapped[bool] = mapped_column(default=False)
    care_consent: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_source: Mapped[str | None] = mapped_column(String(40))
    vip: Mapped[bool] = mapped_column(default=False)
    credit_rating: Mapped[str | None] = mapped_column(String(8))
    blacklisted: Mapped[bool] = mapped_column(default=False)
    annual_value: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    blacklist_reason: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    # Power-supply customers (rules: customers.power_supply).
    power_account: Mapped[str | None] = mapped_column(String(40))
    tariff: Mapped[str | None] = mapped_column(String(40))
    voltage: Mapped[str | None] = mapped_column(String(20))
    meter_segment: Mapped[str | None] = mapped_column(String(40))
    # "pending": registered beside a likely duplicate (dup_of_id), until a manager approves it
    # or merges it into that one.
    approval: Mapped[str | None] = mapped_column(String(12), index=True)
    dup_of_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20), default="user")
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    birthday: Mapped[date | None] = mapped_column(Date)
    birthday_lunar: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    tg_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerChange(Base):
    """History of stage and class changes: who, when, from what to what, and why."""

    __tablename__ = "customer_change"
    # The summary's stage changes in a day.
    __table_args__ = (Index("ix_customer_change_time", "changed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(10))
    old_value: Mapped[str | None] = mapped_column(String(40))
    new_value: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerAlias(Base):
    """A customer merged into another: its name and phone still find the survivor."""

    __tablename__ = "customer_alias"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_search: Mapped[str] = mapped_column(String(400), default="")
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    merged_from: Mapped[int] = mapped_column(Integer)
    merged_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
