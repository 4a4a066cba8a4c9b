"""Care jobs: campaigns at their time, the day's birthdays and holidays, and check-ins per class.

Each asks the database what is due at the clock's time. Every message is a `CareDelivery` row
and an outbox row sharing one dedupe key, so a second pass (a restart, a second process, the
demo moving its clock) does nothing twice. For each message, in order:

* consent: greetings and care messages go only to customers who agreed (`care_consent`);
  operational notices go without it;
* a hard block: nothing goes to a chat that blocked the bot, notices included (`unreachable`);
* the cap: at most `rules.care.cap_count` care messages per customer in `cap_days` (`held_cap`:
  not sent); notices are exempt;
* quiet hours in the recipient's time zone (customers: the company's): a message due in them is
  queued for their end (`held_quiet`, then `queued` and `sent`).

The day's greetings (birthdays, holidays) and the check-ins go out from `rules.care.send_at`
until the evening's quiet hours begin; a pass after that leaves the day's greetings unsent
rather than wish a happy birthday the next morning. Campaigns go out at their scheduled time,
whenever that is, held for the quiet hours if need be.

The jobs live beside this module: scheduler/care_campaigns.py (campaigns),
scheduler/care_occasions.py (birthdays, holidays, check-ins) and scheduler/care_pass.py (the
checks above, applied to each message).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.clock import Clock
from crm.rules import Rules
from crm.services import care
from scheduler.care_campaigns import campaigns
from scheduler.care_occasions import birthdays, cadence, holidays


async def sync(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    async with sessions() as session, session.begin():
        return await care.sync_statuses(session, clock.now())


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: ZoneInfo, rules: Rules
) -> int:
    """Every care job once (scheduler/runner.py). Statuses are brought up to date first, so the
    cap and the check-ins see what has been sent; campaigns go before the day's greetings."""
    await sync(sessions, clock, default_tz, rules)
    n = await campaigns(sessions, clock, default_tz, rules)
    n += await birthdays(sessions, clock, default_tz, rules)
    n += await holidays(sessions, clock, default_tz, rules)
    n += await cadence(sessions, clock, default_tz, rules)
    return n
