"""A rep's daily and weekly reports (日报 / 周报) and the manager's comments on them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base, UTCDateTime, utcnow


class RepReport(Base):
    """One rep's report for a day (kind "day") or a week (kind "week", `period` its Monday).

    `figures` is the part drafted from the rows (visits, calls, new customers, follow-ups done,
    tickets handled), frozen when the report is sent; `lines` the rep's own lines; for a day
    `plan` is the morning's note ("anything to add?"), for a week `plan` is next week's plan.
    """

    __tablename__ = "rep_report"
    __table_args__ = (UniqueConstraint("staff_id", "kind", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    period: Mapped[date] = mapped_column(Date)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The sizes are the input limits (crm.limits.text_limit reads them).
    lines: Mapped[str | None] = mapped_column(String(2000))
    plan: Mapped[str | None] = mapped_column(String(2000))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportComment(Base):
    """A manager's comment on a report; the rep is sent it and sees it on the report."""

    __tablename__ = "report_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("rep_report.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
