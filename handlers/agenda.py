"""A rep's day: /today. (Being extended with cadence, plans and claims.)"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.types import Button, Lines, Reply, T, Text
from crm.services import sales
from handlers.base import FIELD, Command, Ctx, Step


async def today(ctx: Ctx) -> Step:
    assert ctx.who.staff is not None
    local = ctx.local_now()
    end_of_day = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=ctx.who.tz)
    items = await sales.open_followups(ctx.session, ctx.who.staff, end_of_day)
    if not items:
        return ctx.stay(Reply(T("Nothing due today. A good day to visit a key customer!")))
    lines: list[Text] = [T("<b>Today</b>")]
    buttons = []
    for fu, customer in items:
        template = (
            T("⚠️ overdue since {when}: {customer}", when=fu.due_at, customer=customer.name)
            if fu.due_at < ctx.now()
            else T("{when}: {customer}", when=fu.due_at, customer=customer.name)
        )
        lines.append(template)
        buttons.append((Button(T("✅ {customer}", customer=customer.name), f"fu_done:{fu.id}"),))
    return ctx.stay(Reply(Lines(*lines), buttons=tuple(buttons)))


COMMANDS = [Command("today", FIELD, today, T("today's follow-ups"), menu_label=T("📅 Today"))]
