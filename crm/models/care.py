from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base, UTCDateTime, utcnow


class CareCampaign(Base):
    __tablename__ = "care_campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # greeting (needs consent) or notice (operational: outages, policy changes).
    category: Mapped[str] = mapped_column(String(12))
    segment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    templates: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CareDelivery(Base):
    __tablename__ = "care_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("care_campaign.id", ondelete="SET NULL"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    # queued, sent, failed, unreachable, opted_out, held_cap, held_quiet: the campaign's figures.
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
