"""Lists about money: a rep's /deals (open opportunities, overdue payments), and the leaderboard
ranked by the amount collected in the period (then by the amount won), beside the summary's
leaderboard, which ranks by the amount won (handlers/digest.py)."""

from __future__ import annotations

from decimal import Decimal

from bot.types import Button, Lines, Raw, Reply, T, Text
from bot.views import deals as deal_view
from bot.views import digest as view
from crm.money import ZERO
from crm.services import digest as svc
from crm.services.deals import figures, opportunities, receivables
from handlers.base import FIELD, LEADS, Action, Command, StaffCtx, Step, rows
from handlers.deals import opp_line
from handlers.refusals import STALE

BY_COLLECTED = "dg_topc"


async def my_deals(ctx: StaffCtx) -> Step:
    staff = ctx.me
    opps = await opportunities.open_for_owner(ctx.session, staff.id)
    today = ctx.local_now().date()
    late = await receivables.overdue(ctx.session, today, [staff.id], limit=10)
    lines: list[Text] = [T("<b>Your open opportunities</b>")]
    lines += [opp_line(ctx, o) for o in opps] or [T("None.")]
    lines.append(T("<b>Overdue payments</b>"))
    lines += [
        T(
            "• {customer}: {amount} due {due_on} ({number})",
            customer=row.customer.name,
            amount=deal_view.money(ctx.rules, row.due),
            due_on=row.instalment.due_on,
            number=row.contract.number,
        )
        for row in late
    ] or [T("None.")]
    buttons = [Button(Raw(o.title[:30]), f"opp:{o.id}") for o in opps[:10]]
    buttons += [
        Button(T("💳 {number}", number=row.contract.number), f"{deal_view.PAY}:{row.contract.id}")
        for row in late
    ]
    return Step.end(Reply(Lines(*lines), buttons=rows(*buttons, width=2)))


async def by_collected(ctx: StaffCtx) -> Step:
    period = svc.from_code(ctx.choice or "", ctx.who.tz)
    if period is None:
        return ctx.stay(Reply(STALE))
    scope = await svc.scope_of(ctx.session, ctx.me)
    if not scope.reps:
        return ctx.stay(Reply(T("There are no sales reps in your team yet.")))
    collected = await figures.collected_by_rep(ctx.session, scope, period)
    won = await figures.won_by_rep(ctx.session, scope, period)

    def score(rep_id: int) -> tuple[Decimal, Decimal]:
        return collected.get(rep_id, ZERO), won.get(rep_id, ZERO)

    reps = sorted(scope.reps, key=lambda r: (tuple(-x for x in score(r.id)), r.name, r.id))
    lines: list[Text] = [
        T("<b>Leaderboard by amount collected, {period}</b>", period=view.period_text(period))
    ]
    rank = 0
    previous: tuple[Decimal, Decimal] | None = None
    for i, rep in enumerate(reps, start=1):
        if score(rep.id) != previous:
            rank, previous = i, score(rep.id)
        lines.append(
            T(
                "{rank}. {name}: collected {collected} · won {won}",
                rank=rank,
                name=rep.name,
                collected=deal_view.money(ctx.rules, collected.get(rep.id, ZERO)),
                won=deal_view.money(ctx.rules, won.get(rep.id, ZERO)),
            )
        )
    lines.append(T("Ranked by the amount collected, then the amount won; equal reps share a rank."))
    return ctx.stay(Reply(Lines(*lines)))


COMMANDS = [Command("deals", FIELD, my_deals, T("your open opportunities and overdue payments"))]
ACTIONS = [Action(BY_COLLECTED, LEADS, by_collected, obj_kind="own_summary")]
