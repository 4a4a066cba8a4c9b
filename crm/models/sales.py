from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base, UTCDateTime, utcnow
from crm.models.deals import MONEY


class Visit(Base):
    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_staff_time", "staff_id", "visited_at"),
        Index("ix_visit_customer_time", "customer_id", "visited_at"),
        Index("ix_visit_time", "visited_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    contacts_met: Mapped[str | None] = mapped_column(String(300))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    far_from_address: Mapped[bool] = mapped_column(default=False)
    photo_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(Base):
    __tablename__ = "follow_up"
    __table_args__ = (
        Index("ix_follow_up_staff_due", "staff_id", "status", "due_at"),
        Index("ix_follow_up_due_reminder", "status", "reminded_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    # How the contact is to be made (crm.enums.VisitKind), when a planned contact said it.
    kind: Mapped[str | None] = mapped_column(String(10))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VisitPlan(Base):
    """A rep's monthly visit target per customer class, set by the manager."""

    __tablename__ = "visit_plan"
    __table_args__ = (UniqueConstraint("staff_id", "month", "customer_class"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    # "YYYY-MM" in the rep's time zone.
    month: Mapped[str] = mapped_column(String(7))
    customer_class: Mapped[str] = mapped_column(String(1))
    target: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RepTarget(Base):
    """A rep's monthly targets besides the visits (those are VisitPlan rows per class): new
    customers, the amount won and the amount collected. A None figure is not set."""

    __tablename__ = "rep_target"
    __table_args__ = (UniqueConstraint("staff_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    # "YYYY-MM", as VisitPlan.month.
    month: Mapped[str] = mapped_column(String(7))
    new_customers: Mapped[int | None] = mapped_column(Integer)
    won_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    collected_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
