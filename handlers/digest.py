"""The summary's drill-down buttons: the team's overdue follow-ups, requests past a time limit,
key customers losing touch, and the leaderboard of the summary's period.

A button's payload is "<action>:<lead's staff id>:<period code>" (bot/views/digest.py). Only a
manager or an admin may press one, and only on a summary made for them: the lists are always
of the presser's own team, worked out again at the press.
"""

from __future__ import annotations

from bot.types import TN, Button, Lines, Money, Raw, Reply, T, Text
from bot.views import digest as view
from crm.enums import Role
from crm.services import digest as svc
from crm.services.plans import month_of
from handlers.base import LEADS, Action, StaffCtx, Step
from handlers.refusals import STALE
from handlers.targets import board_buttons as targets_board_buttons

# Lines (and buttons) per list; the rest is counted.
LIMIT = 20


def _more(shown: int, total: int) -> list[Text]:
    if total <= shown:
        return []
    return [TN("…and {n} more not shown.", "…and {n} more not shown.", total - shown)]


async def overdue(ctx: StaffCtx) -> Step:
    rows, total = await svc.overdue_followups(ctx.session, ctx.me, ctx.now(), limit=LIMIT)
    if not rows:
        return ctx.stay(Reply(T("No overdue follow-ups in the team. Well done!")))
    lines: list[Text] = [
        TN(
            "<b>Overdue follow-ups</b>: {n} in the team",
            "<b>Overdue follow-ups</b>: {n} in the team",
            total,
        )
    ]
    for row in rows:
        lines.append(
            T(
                "• {rep}: {customer}, due {when}",
                rep=row.staff.name,
                customer=row.customer.name,
                when=row.followup.due_at,
            )
        )
    lines += _more(len(rows), total)
    buttons = tuple(
        (Button(Raw(f"📇 {row.customer.name} · {row.staff.name}"), f"card:{row.customer.id}"),)
        for row in rows
    )
    return ctx.stay(Reply(Lines(*lines), buttons=buttons))


async def breaches(ctx: StaffCtx) -> Step:
    rows, total = await svc.open_breaches(ctx.session, ctx.me, ctx.now(), limit=LIMIT)
    if not rows:
        return ctx.stay(Reply(T("No open request is past its time limit.")))
    lines: list[Text] = [
        TN(
            "<b>Past a time limit</b>: {n} open request",
            "<b>Past a time limit</b>: {n} open requests",
            total,
        )
    ]
    for row in rows:
        customer: Text = Raw(row.customer.name) if row.customer else T("unknown customer")
        if row.customer is not None and row.customer.vip:
            customer = T("⭐ VIP {name}", name=customer)
        owner: Text = Raw(row.owner.name) if row.owner else T("nobody yet")
        lines.append(
            T(
                "• {number} · {customer} · {owner}: first answer was due {when}",
                number=row.ticket.number,
                customer=customer,
                owner=owner,
                when=row.due,
            )
            if row.stage == "first"
            else T(
                "• {number} · {customer} · {owner}: resolution was due {when}",
                number=row.ticket.number,
                customer=customer,
                owner=owner,
                when=row.due,
            )
        )
    lines += _more(len(rows), total)
    buttons = tuple((Button(Raw(row.ticket.number), f"tk:{row.ticket.id}"),) for row in rows)
    return ctx.stay(Reply(Lines(*lines), buttons=buttons))


async def losing(ctx: StaffCtx) -> Step:
    rows, total = await svc.losing_touch(
        ctx.session, ctx.me, ctx.rules, ctx.now(), limit=LIMIT
    )
    cadence = ctx.rules.cadence_days
    if not rows:
        return ctx.stay(
            Reply(
                T(
                    "No key customer is overdue for a visit (A every {a} days, B every {b}).",
                    a=cadence.A,
                    b=cadence.B,
                )
            )
        )
    lines: list[Text] = [
        TN(
            "<b>Key customers losing touch</b>: {n}",
            "<b>Key customers losing touch</b>: {n}",
            total,
        ),
        T("(A every {a} days, B every {b})", a=cadence.A, b=cadence.B),
    ]
    for row in rows:
        c = row.customer
        owner: Text = Raw(row.owner.name) if row.owner is not None else T("team pool")
        lines.append(
            TN(
                "• {customer} · Class {cls} · never visited, registered {n} day ago · {owner}",
                "• {customer} · Class {cls} · never visited, registered {n} days ago · {owner}",
                row.days,
                customer=c.name,
                cls=c.customer_class,
                owner=owner,
            )
            if row.last_visit is None
            else TN(
                "• {customer} · Class {cls} · {n} day since the last visit · {owner}",
                "• {customer} · Class {cls} · {n} days since the last visit · {owner}",
                row.days,
                customer=c.name,
                cls=c.customer_class,
                owner=owner,
            )
        )
    lines += _more(len(rows), total)
    lines.append(T("All classes: /losing"))
    buttons = tuple(
        (Button(Raw(f"{r.customer.name} · {r.customer.customer_class}"), f"card:{r.customer.id}"),)
        for r in rows
    )
    return ctx.stay(Reply(Lines(*lines), buttons=buttons))


async def leaderboard(ctx: StaffCtx) -> Step:
    period = svc.from_code(ctx.choice or "", ctx.who.tz)
    if period is None:
        return ctx.stay(Reply(STALE))
    rows = await svc.leaderboard(ctx.session, ctx.me, period, ctx.now())
    if not rows:
        return ctx.stay(Reply(T("There are no sales reps in your team yet.")))
    lines: list[Text] = [
        T("<b>Leaderboard, {period}</b>", period=view.period_text(period)),
    ]
    # An admin sees every team, each ranked on its own; a manager's team is one.
    teams = svc.per_team(rows) if ctx.who.role == Role.ADMIN else [(None, rows)]
    for team, team_rows in teams:
        if len(teams) > 1:
            lines.append(T("<b>Team {team}</b>", team=Raw(team) if team else T("no team")))
        lines += [_board_line(row) for row in team_rows]
    lines.append(
        T(
            "Ranked by the amount won, then deals won, visits, new customers and follow-ups "
            "done on time; equal reps share a rank."
        )
    )
    # The same board by money collected (handlers/deals_board.py).
    by_collected = Button(T("💰 By amount collected"), f"dg_topc:{ctx.obj_id}:{ctx.choice}")
    # Ranked by a monthly target's completion instead (handlers/targets.py).
    by_target = targets_board_buttons(ctx.me.id, month_of(period.last))
    return ctx.stay(Reply(Lines(*lines), buttons=((by_collected,), *by_target)))


def _board_line(row: svc.BoardRow) -> Text:
    rating: Text = Raw("—") if row.rating is None else Raw(f"{row.rating:.1f}")
    return T(
        "{rank}. {name}: visits {visits} · new customers {new} · deals won {won} "
        "({amount}) · follow-ups on time {followups} · rating {rating}",
        rank=row.rank,
        name=row.staff.name,
        visits=row.visits,
        new=row.new_customers,
        won=row.won,
        amount=Money(row.won_amount),
        followups=row.followups_on_time,
        rating=rating,
    )


async def authorise_own_summary(ctx: StaffCtx, lead_id: int) -> bool:
    """A summary's buttons are for the manager (or admin) it was made for."""
    return ctx.who.role in LEADS and ctx.me.id == lead_id


ACTIONS = [
    Action(view.OVERDUE, LEADS, overdue, obj_kind="own_summary"),
    Action(view.BREACHES, LEADS, breaches, obj_kind="own_summary"),
    Action(view.LOSING, LEADS, losing, obj_kind="own_summary"),
    Action(view.BOARD, LEADS, leaderboard, obj_kind="own_summary"),
]
AUTHORISERS = {"own_summary": authorise_own_summary}
