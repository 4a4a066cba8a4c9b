"""Before and around a deadline, for the person handling the request: a warning once a share of
the time allowed has passed (rules.sla.warn_share), a note when it has run out, and a fault
received out of hours for whoever is on call that day. The managers' ladder is sla_watch's.

As there, an outbox dedupe key records that a message went out: `sla-warn:<ticket>:<stage>`,
with the round of a reopened ticket appended to the resolution stage (resolutions.round_tag).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.enums import Role, TicketKind
from crm.models import OnCall, Staff, Ticket
from crm.rules import Rules
from crm.services.resolutions import round_tag
from crm.services.sla_watch import FIRST, RESOLVE, _told
from crm.services.tickets import OPEN

# An out-of-hours fault older than this is no longer news for the person on call.
ON_CALL_LOOKBACK = timedelta(hours=24)


def stage_tag(ticket: Ticket, stage: str) -> str:
    return stage + round_tag(ticket) if stage == RESOLVE else stage


def received(ticket: Ticket, stage: str) -> datetime:
    """When the clock of this stage started: a reopened ticket's resolution runs from the
    reopening."""
    if stage == RESOLVE and ticket.reopened_at is not None:
        return ticket.reopened_at
    return ticket.created_at


def warn_at(rules: Rules, ticket: Ticket, stage: str, due: datetime, tz: tzinfo) -> datetime:
    """When `warn_share` of the time allowed has passed, on the target's own clock."""
    clock = sla.clock_for(rules, ticket.kind, tz)
    start = received(ticket, stage)
    return clock.add(start, clock.between(start, due) * rules.sla.warn_share)


@dataclass(frozen=True)
class Warning:
    ticket: Ticket
    stage: str
    due: datetime

    @property
    def key(self) -> str:
        return f"sla-warn:{self.ticket.id}:{stage_tag(self.ticket, self.stage)}"


async def warnings(session: AsyncSession, rules: Rules, now: datetime, tz: tzinfo) -> list[Warning]:
    """Open tickets past the warning share of a time limit that has not yet run out."""
    tickets = await session.scalars(
        select(Ticket)
        .where(
            Ticket.status.in_(OPEN),
            or_(
                Ticket.first_response_at.is_(None) & (Ticket.first_response_due > now),
                Ticket.resolved_at.is_(None) & (Ticket.resolution_due > now),
            ),
        )
        .order_by(Ticket.id)
    )
    pending: list[Warning] = []
    for t in tickets:
        for stage, due, done in (
            (FIRST, t.first_response_due, t.first_response_at),
            (RESOLVE, t.resolution_due, t.resolved_at),
        ):
            if due is not None and done is None and now < due:
                pending.append(Warning(t, stage, due))
    # Those already warned are dropped before the calendar arithmetic, the costly part.
    told = await _told(session, (w.key for w in pending))
    return [
        w
        for w in pending
        if w.key not in told and now >= warn_at(rules, w.ticket, w.stage, w.due, tz)
    ]


async def handlers_of(session: AsyncSession, ticket: Ticket) -> list[Staff]:
    """Who works on it: its owner, or while nobody has taken it, the service agents."""
    owner = await session.get(Staff, ticket.owner_id) if ticket.owner_id else None
    if owner is not None and owner.active:
        return [owner]
    return list(
        await session.scalars(
            select(Staff)
            .where(Staff.role == Role.SERVICE, Staff.active.is_(True))
            .order_by(Staff.id)
        )
    )


def on_call_key(ticket_id: int) -> str:
    return f"on-call:{ticket_id}"


async def on_call(session: AsyncSession, day: date) -> list[Staff]:
    rows = await session.scalars(
        select(Staff)
        .join(OnCall, OnCall.staff_id == Staff.id)
        .where(OnCall.day == day, Staff.active.is_(True))
        .order_by(Staff.id)
    )
    return list(rows)


async def after_hours_faults(
    session: AsyncSession, rules: Rules, now: datetime, tz: tzinfo
) -> list[Ticket]:
    """Unanswered faults received outside business hours, not yet passed to the on-call rota."""
    calendar = sla.BusinessCalendar(rules.business_hours, tz)
    rows = await session.scalars(
        select(Ticket)
        .where(
            Ticket.kind == TicketKind.FAULT,
            Ticket.status.in_(OPEN),
            Ticket.first_response_at.is_(None),
            Ticket.created_at <= now,
            Ticket.created_at > now - ON_CALL_LOOKBACK,
        )
        .order_by(Ticket.id)
    )
    due = [t for t in rows if not calendar.is_business_time(t.created_at)]
    told = await _told(session, (on_call_key(t.id) for t in due))
    return [t for t in due if on_call_key(t.id) not in told]
