"""Service-desk jobs: time-limit breaches, complaints received after hours, rating reminders.

Each asks crm.services.sla_watch what is due at the clock's time and has not been told yet; the
outbox dedupe keys make a second pass (a restart, a second process, the demo moving its clock)
a no-op. Deadlines are the ticket's own (set from crm.sla when it was created); "received" is
its creation time.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify import OutboxNotifier
from bot.views import tickets as views
from crm import sla
from crm.clock import Clock
from crm.models import Staff
from crm.rules import Rules
from crm.services import outbox, resolutions, sla_warn, sla_watch

log = structlog.get_logger("scheduler")

# Escalations go out before reminders and agendas, after relays of what customers wrote.
PRIORITY_ALERT = 2


def _reachable(staff: Staff) -> bool:
    return staff.active and staff.tg_user_id is not None


async def sla_breaches(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """A passed deadline to the owner's manager, twice the time allowed to every admin; once."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        found = await sla_watch.breaches(session, rules, now, default_tz)
        admins = await sla_watch.admins(session) if found else []
        for breach in found:
            who = await sla_watch.responsible(session, breach.ticket)
            admin = breach.level == sla_watch.ADMIN
            message = views.breach_alert(
                breach.ticket,
                who.customer,
                who.owner,
                stage=breach.stage,
                admin=admin,
                due=breach.due,
            )
            for staff in [s for s in (admins if admin else who.managers) if _reachable(s)]:
                await notifier.to_staff(
                    staff, message, dedupe_key=f"{breach.key}:{staff.id}", priority=PRIORITY_ALERT
                )
                queued += 1
            if admin:
                continue
            # The person handling it hears it too (the queue while nobody has taken it).
            note = views.deadline_note(
                breach.ticket, who.customer, stage=breach.stage, due=breach.due, warn=False
            )
            told = {s.id for s in who.managers}
            for staff in await sla_warn.handlers_of(session, breach.ticket):
                if _reachable(staff) and staff.id not in told:
                    # Its own key prefix: the breach keys count managers' alerts (sla_watch).
                    await notifier.to_staff(
                        staff,
                        note,
                        dedupe_key=f"sla-due:{breach.key.split(':', 1)[1]}:{staff.id}",
                        priority=PRIORITY_ALERT,
                    )
                    queued += 1
    if queued:
        log.info("sla_breaches_queued", count=queued)
    return queued


async def after_hours_complaints(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """A complaint received outside business hours reaches its owner and their manager when
    business hours begin (the rule: within an hour of opening), unless already answered."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        for ticket in await sla_watch.after_hours_complaints(session, rules, now, default_tz):
            who = await sla_watch.responsible(session, ticket)
            message = views.after_hours_complaint(ticket, who.customer)
            people = [who.owner, *who.managers] if who.owner is not None else who.managers
            for staff in [s for s in people if _reachable(s)]:
                await notifier.to_staff(
                    staff,
                    message,
                    dedupe_key=f"{sla_watch.after_hours_key(ticket.id)}:{staff.id}",
                    priority=PRIORITY_ALERT,
                )
                queued += 1
    if queued:
        log.info("after_hours_complaints_queued", count=queued)
    return queued


async def rating_reminders(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """One reminder to rate an unrated resolution, outside the customers' quiet hours."""
    now = clock.now()
    if sla.in_quiet_hours(now, rules.quiet_hours, default_tz):
        return 0
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        for ticket, cuser in await sla_watch.unrated(
            session, now, rules.tickets.rating_reminder_hours
        ):
            await notifier.to_customer(
                cuser,
                views.rating_reminder(ticket),
                dedupe_key=sla_watch.rating_key(ticket.id, resolutions.round_tag(ticket)),
                priority=outbox.PRIORITY_NORMAL,
            )
            queued += 1
    if queued:
        log.info("rating_reminders_queued", count=queued)
    return queued


async def sla_warnings(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """The person handling a request (or the service queue) warned at `warn_share` of a limit."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        for warning in await sla_warn.warnings(session, rules, now, default_tz):
            who = await sla_watch.responsible(session, warning.ticket)
            note = views.deadline_note(
                warning.ticket, who.customer, stage=warning.stage, due=warning.due, warn=True
            )
            for staff in await sla_warn.handlers_of(session, warning.ticket):
                if _reachable(staff):
                    await notifier.to_staff(
                        staff, note, dedupe_key=f"{warning.key}:{staff.id}", priority=PRIORITY_ALERT
                    )
                    queued += 1
    if queued:
        log.info("sla_warnings_queued", count=queued)
    return queued


async def on_call_faults(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """A fault received out of hours goes at once to whoever is on call that day and to the
    customer's rep, besides the ladder (breach alerts to managers, then admins)."""
    now = clock.now()
    queued = 0
    async with sessions() as session, session.begin():
        notifier = OutboxNotifier(session, clock, default_tz)
        for ticket in await sla_warn.after_hours_faults(session, rules, now, default_tz):
            who = await sla_watch.responsible(session, ticket)
            day = ticket.created_at.astimezone(default_tz).date()
            people = {s.id: s for s in await sla_warn.on_call(session, day)}
            if who.owner is not None:
                people.setdefault(who.owner.id, who.owner)
            message = views.on_call_fault(ticket, who.customer)
            for staff in [s for s in people.values() if _reachable(s)]:
                await notifier.to_staff(
                    staff,
                    message,
                    dedupe_key=f"{sla_warn.on_call_key(ticket.id)}:{staff.id}",
                    priority=PRIORITY_ALERT,
                )
                queued += 1
    if queued:
        log.info("on_call_faults_queued", count=queued)
    return queued


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Every service-desk job once (scheduler/runner.py)."""
    n = await on_call_faults(sessions, clock, default_tz, rules)
    n += await sla_warnings(sessions, clock, default_tz, rules)
    n += await after_hours_complaints(sessions, clock, default_tz, rules)
    n += await sla_breaches(sessions, clock, default_tz, rules)
    n += await rating_reminders(sessions, clock, default_tz, rules)
    return n
