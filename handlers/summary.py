"""The manager's figures for today, on demand."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.types import TN, Lines, Reply, T, Text
from crm.services import summary as svc
from handlers.base import LEADS, Command, Ctx, Step


async def today(ctx: Ctx) -> Step:
    assert ctx.who.staff is not None
    day = ctx.local_now().date()
    start = datetime.combine(day, time(0), tzinfo=ctx.who.tz)
    s = await svc.for_period(
        ctx.session, ctx.who.staff, start, start + timedelta(days=1), ctx.now()
    )
    lines: list[Text] = [
        T("<b>Team summary for {day}</b>", day=day),
        T("Visits: {n}", n=s.visits),
        T("New customers: {n}", n=s.new_customers),
        T("Follow-ups done: {n}", n=s.followups_done),
        T("Follow-ups overdue: {n}", n=s.followups_overdue),
        T("Requests received: {n}; open: {open}", n=s.tickets_new, open=s.tickets_open),
    ]
    for name, count in s.visits_by_rep:
        lines.append(TN("• {name}: {n} visit", "• {name}: {n} visits", count, name=name))
    return ctx.stay(Reply(Lines(*lines)))


COMMANDS = [Command("summary", LEADS, today, T("today's team summary"), menu_label=T("📊 Summary"))]
