from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base, UTCDateTime


class TicketTopic(Base):
    """A ticket's topic in the service team's forum supergroup (bot.forum): where it is, what
    the topic last showed, and how far the ticket's messages have been copied into it."""

    __tablename__ = "ticket_topic"
    __table_args__ = (UniqueConstraint("chat_id", "thread_id"),)

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger)
    # The ticket status the title and icon show ("" before the first sync).
    shown_status: Mapped[str] = mapped_column(String(12), default="")
    # Ticket messages up to this id are in the topic.
    copied_upto: Mapped[int] = mapped_column(Integer, default=0)
    # Messages written in the topic itself (the agents'): already there, never copied back.
    from_topic: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
