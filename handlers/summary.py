"""The manager's summary on demand: `/summary` (today so far), `/summary week`, `/summary month`.

The same message as the scheduled pushes (scheduler/digest_jobs.py): figures of the team (an
admin: everyone), a chart, and drill-down buttons handled in handlers/digest.py.
"""

from __future__ import annotations

from bot.types import Reply, T
from bot.views import digest as view
from crm.services import digest as svc
from handlers import digest
from handlers.base import LEADS, Command, Ctx, StaffCtx, Step

# What may follow /summary, lower-cased; nothing (or anything else) means today.
PERIOD_WORDS = {
    "day": svc.DAY,
    "today": svc.DAY,
    "今天": svc.DAY,
    "今日": svc.DAY,
    "week": svc.WEEK,
    "w": svc.WEEK,
    "周": svc.WEEK,
    "本周": svc.WEEK,
    "month": svc.MONTH,
    "m": svc.MONTH,
    "月": svc.MONTH,
    "本月": svc.MONTH,
}


async def summary(ctx: StaffCtx) -> Step:
    lead = ctx.me
    words = ctx.inbound.args.strip().lower()
    kind = PERIOD_WORDS.get(words)
    if words and kind is None:
        return ctx.stay(Reply(T("Try /summary, /summary week or /summary month.")))
    period = svc.period_of(kind or svc.DAY, ctx.local_now().date(), ctx.who.tz)
    d = await svc.build(ctx.session, lead, period, ctx.now(), ctx.rules)
    return ctx.stay(view.summary(d, ctx.render))


async def leaderboard(ctx: Ctx) -> Step:
    """`/leaderboard` (this month), `/leaderboard week`, `/leaderboard today`."""
    words = ctx.inbound.args.strip().lower()
    kind = PERIOD_WORDS.get(words) if words else svc.MONTH
    if kind is None:
        return ctx.stay(Reply(T("Try /leaderboard, /leaderboard week or /leaderboard today.")))
    ctx.choice = svc.period_of(kind, ctx.local_now().date(), ctx.who.tz).code
    return await digest.leaderboard(ctx)


COMMANDS = [
    Command(
        "summary",
        LEADS,
        summary,
        T("today's team summary"),
        menu_label=T("📊 Summary"),
    ),
    Command("leaderboard", LEADS, leaderboard, T("the team's ranking for this month")),
]
