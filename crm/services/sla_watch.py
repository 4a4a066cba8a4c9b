"""What the service desk's time limits ask for at a given time, and whom to tell.

Each finder returns only what has not been told yet: a message's outbox dedupe key is the record
that it was. Keys name the ticket and the event, then the recipient (`sla-breach:17:first:4`),
so "told once" means "a row with that prefix exists", whoever received it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm import sla
from crm.enums import Role, TicketKind, TicketStatus
from crm.models import Customer, CustomerUser, OutboxMessage, Staff, Ticket
from crm.rules import Rules
from crm.services.claims import already_queued
from crm.services.resolutions import round_tag
from crm.services.tickets import OPEN

FIRST = "first"
RESOLVE = "resolve"
MANAGER = "manager"
ADMIN = "admin"
# A rating reminder this long past its time is not sent any more (the bot was down for days):
# asking about a resolution weeks old reads as a mistake.
RATING_LOOKBACK = timedelta(days=7)


def breach_key(ticket_id: int, stage: str, level: str) -> str:
    """The dedupe-key prefix of a breach alert; the recipient's id is appended."""
    return f"{'sla-breach' if level == MANAGER else 'sla-admin'}:{ticket_id}:{stage}"


def after_hours_key(ticket_id: int) -> str:
    return f"after-hours:{ticket_id}"


def rating_key(ticket_id: int, tag: str = "") -> str:
    """`tag` tells a reopened ticket's later resolution from the first (resolutions.round_tag)."""
    return f"rate-remind:{ticket_id}{tag}"


async def _told(session: AsyncSession, prefixes: Iterable[str]) -> set[str]:
    """Which of these key prefixes have an outbox row (`prefix:<staff id>`)."""
    wanted = list(dict.fromkeys(prefixes))
    found: set[str] = set()
    for i in range(0, len(wanted), 200):
        chunk = wanted[i : i + 200]
        keys = await session.scalars(
            select(OutboxMessage.dedupe_key).where(
                or_(*(OutboxMessage.dedupe_key.startswith(f"{p}:", autoescape=True) for p in chunk))
            )
        )
        found.update(k.rsplit(":", 1)[0] for k in keys)
    return found


@dataclass(frozen=True)
class Breach:
    ticket: Ticket
    stage: str  # FIRST or RESOLVE
    level: str  # MANAGER (past the due time) or ADMIN (past twice the time allowed)
    due: datetime

    @property
    def key(self) -> str:
        # A reopened ticket's new resolution deadline is a new breach, alerted again.
        stage = self.stage + round_tag(self.ticket) if self.stage == RESOLVE else self.stage
        return breach_key(self.ticket.id, stage, self.level)


async def breaches(session: AsyncSession, rules: Rules, now: datetime, tz: tzinfo) -> list[Breach]:
    """Open tickets past a deadline whose manager (or, at twice the time, admin) alert is due."""
    tickets = list(
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.status.in_(OPEN),
                or_(
                    Ticket.first_response_at.is_(None) & (Ticket.first_response_due < now),
                    Ticket.resolved_at.is_(None) & (Ticket.resolution_due < now),
                ),
            )
            .order_by(Ticket.id)
        )
    )
    found: list[Breach] = []
    for t in tickets:
        for stage, due, done in (
            (FIRST, t.first_response_due, t.first_response_at),
            (RESOLVE, t.resolution_due, t.resolved_at),
        ):
            if due is None or done is not None or now <= due:
                continue
            found.append(Breach(t, stage, MANAGER, due))
            start = t.reopened_at if stage == RESOLVE and t.reopened_at else t.created_at
            if now >= sla.twice_the_target(rules, t.kind, start, due, tz):
                found.append(Breach(t, stage, ADMIN, due))
    told = await _told(session, (b.key for b in found))
    return [b for b in found if b.key not in told]


async def breaches_alerted(session: AsyncSession) -> int:
    """How many deadlines (a ticket's first answer or resolution) have passed and been alerted,
    all time: one per breach, however many managers were told. Outbox rows are never deleted."""
    prefix = breach_key(0, FIRST, MANAGER).split(":", 1)[0]
    keys = await session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.startswith(f"{prefix}:"))
    )
    return len({k.rsplit(":", 1)[0] for k in keys})


async def after_hours_complaints(
    session: AsyncSession, rules: Rules, now: datetime, tz: tzinfo
) -> list[Ticket]:
    """Unanswered complaints received outside business hours, once business hours have begun."""
    calendar = sla.BusinessCalendar(rules.business_hours, tz)
    rows = await session.scalars(
        select(Ticket)
        .where(
            Ticket.kind == TicketKind.COMPLAINT,
            Ticket.status.in_(OPEN),
            Ticket.first_response_at.is_(None),
            Ticket.created_at <= now,
        )
        .order_by(Ticket.id)
    )
    due = [
        t
        for t in rows
        if not calendar.is_business_time(t.created_at)
        and calendar.next_business_start(t.created_at) <= now
    ]
    told = await _told(session, (after_hours_key(t.id) for t in due))
    return [t for t in due if after_hours_key(t.id) not in told]


async def unrated(
    session: AsyncSession, now: datetime, reminder_hours: int
) -> list[tuple[Ticket, CustomerUser]]:
    """Resolved tickets the customer has not rated `reminder_hours` after, not yet reminded."""
    since = now - timedelta(hours=reminder_hours)
    rows = (
        await session.execute(
            select(Ticket, CustomerUser)
            .join(CustomerUser, CustomerUser.id == Ticket.customer_user_id)
            .where(
                Ticket.status == TicketStatus.RESOLVED,
                Ticket.rating.is_(None),
                Ticket.resolved_at <= since,
                Ticket.resolved_at > since - RATING_LOOKBACK,
            )
            .order_by(Ticket.resolved_at, Ticket.id)
        )
    ).all()
    keys = {t.id: rating_key(t.id, round_tag(t)) for t, _cu in rows}
    told = await already_queued(session, keys.values())
    return [(t, cu) for t, cu in rows if keys[t.id] not in told]


@dataclass(frozen=True)
class Responsible:
    """Who answers for a ticket: its owner (or the customer's owner rep) and their managers."""

    customer: Customer | None
    owner: Staff | None
    managers: list[Staff]


async def _active_managers(session: AsyncSession, team: str | None = None) -> list[Staff]:
    stmt = select(Staff).where(Staff.active.is_(True), Staff.role == Role.MANAGER)
    if team is not None:
        stmt = stmt.where(Staff.team == team)
    return list(await session.scalars(stmt.order_by(Staff.id)))


async def responsible(session: AsyncSession, ticket: Ticket) -> Responsible:
    """The owner is the ticket's, else the customer's owner rep. Their manager is `manager_id`;
    without one, the active managers of their team (of the customer's team when nobody owns
    it); failing that, every active manager. An owner is never their own escalation."""
    customer = await session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    owner: Staff | None = None
    for staff_id in (ticket.owner_id, customer.owner_id if customer else None):
        if staff_id is not None and (owner := await session.get(Staff, staff_id)) is not None:
            break
    managers: list[Staff] = []
    if owner is not None and owner.manager_id is not None:
        boss = await session.get(Staff, owner.manager_id)
        managers = [boss] if boss is not None and boss.active else []
    if not managers:
        team = owner.team if owner is not None else customer.team if customer else None
        if team is not None:
            managers = await _active_managers(session, team)
    if not managers:
        managers = await _active_managers(session)
    if owner is not None:
        managers = [m for m in managers if m.id != owner.id]
    return Responsible(customer, owner, managers)


async def admins(session: AsyncSession) -> list[Staff]:
    return list(
        await session.scalars(
            select(Staff).where(Staff.active.is_(True), Staff.role == Role.ADMIN).order_by(Staff.id)
        )
    )
