from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base, UTCDateTime, utcnow


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_open_deadline", "status", "resolution_due"),
        Index("ix_ticket_customer", "customer_id", "status"),
        # The summary's requests opened, resolved, rated and past their limits in a day.
        Index("ix_ticket_created", "created_at"),
        Index("ix_ticket_resolved", "resolved_at"),
        Index("ix_ticket_rated", "rated_at"),
        Index("ix_ticket_first_response_due", "first_response_due"),
        Index("ix_ticket_resolution_due", "resolution_due"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    customer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_user.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    category: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The place of a fault, when the customer sent a location.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # Telegram, or the way a staff member took it down (phone, counter, e-mail, on site).
    channel: Mapped[str] = mapped_column(String(12), default="telegram", server_default="telegram")


class TicketMessage(Base):
    __tablename__ = "ticket_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What was sent as it can be sent on: [{"kind": "photo", "file_id": ..., "group": ...},
    # {"kind": "location", "lat": ..., "lon": ...}] (bot.types.Media as JSON).
    media: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketResolution(Base):
    """An earlier resolution of a reopened ticket, with the rating it got: a reopen starts a new
    round on the ticket itself and keeps the old round here, so reports count every rating."""

    __tablename__ = "ticket_resolution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReturnVisit(Base):
    """A call to the customer after a complaint was closed: satisfied or not, and a note."""

    __tablename__ = "return_visit"
    __table_args__ = (UniqueConstraint("ticket_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    # The resolution it follows (a reopened and again resolved complaint gets another).
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OnCall(Base):
    """Who is on call on a day: after-hours faults reach them as well as the ladder."""

    __tablename__ = "on_call"
    __table_args__ = (UniqueConstraint("day", "staff_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))


class CalendarDay(Base):
    """A day that differs from the weekly pattern: a holiday ("off") or a make-up working day
    ("work", 调休). Seeded per year from chinese-calendar or holidays; the admin corrects it."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))
    name: Mapped[str | None] = mapped_column(String(80))
    # "official" (chinese-calendar), "library" (holidays: no 调休), "admin" or "import".
    source: Mapped[str] = mapped_column(String(10))


class WeekdayHours(Base):
    """Business hours of one ISO weekday (1 = Monday); no row: the rules' start/end and weekdays.
    `start` None means closed that weekday."""

    __tablename__ = "weekday_hours"

    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    start: Mapped[str | None] = mapped_column(String(5))
    end: Mapped[str | None] = mapped_column(String(5))
