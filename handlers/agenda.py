"""A rep's day (/today) and the customers they are losing touch with (/losing).

/today: due and overdue follow-ups (each with a ✅ button), this month's visit-plan progress,
key customers (class A, then B) past their visit cadence, and claims about to lapse. Empty
sections are left out. The sections are rendered by bot/views/agenda.py, which the morning push
(scheduler/sales_jobs.py) uses too.
"""

from __future__ import annotations

from bot.types import TN, Button, Lines, Raw, Reply, T, Text
from bot.views import agenda as agenda_view
from crm.services import agenda as svc
from handlers.base import FIELD, Command, StaffCtx, Step
from handlers.conversation import parking

# Lines (and card buttons) on the /losing list; the rest is counted.
LOSING_LIMIT = 20
TEAM_POOL = T("team pool")


async def today(ctx: StaffCtx) -> Step:
    items = await svc.for_staff(ctx.session, ctx.me, ctx.rules, ctx.now(), ctx.who.tz)
    # Unfinished drafts come with the day: something half-typed is work to finish too.
    drafts = await parking.listing(ctx)
    if items.empty:
        return ctx.stay(
            Reply(T("Nothing due today. A good day to visit a key customer!")), *drafts
        )
    lines: list[Text] = [T("<b>Today</b>"), *agenda_view.sections(items, ctx.now())]
    return ctx.stay(Reply(Lines(*lines), buttons=agenda_view.agenda_buttons(items)), *drafts)


async def losing(ctx: StaffCtx) -> Step:
    """Customers the user may see whose last visit is older than their class's cadence."""
    cadence = ctx.rules.cadence_days
    rows, total = await svc.losing_touch(
        ctx.session, ctx.me, cadence, ctx.now(), limit=LOSING_LIMIT
    )
    if not rows:
        return ctx.stay(
            Reply(
                T(
                    "No customer is overdue for a visit (A every {a} days, B every {b}, "
                    "C every {c}). Well done!",
                    a=cadence.A,
                    b=cadence.B,
                    c=cadence.C,
                )
            )
        )
    lines: list[Text] = [
        TN(
            "<b>Losing touch</b>: {n} customer not visited within their cadence",
            "<b>Losing touch</b>: {n} customers not visited within their cadence",
            total,
        ),
        T("(A every {a} days, B every {b}, C every {c})", a=cadence.A, b=cadence.B, c=cadence.C),
    ]
    for row in rows:
        c = row.customer
        owner: Text = Raw(row.owner.name) if row.owner is not None else TEAM_POOL
        if row.last_visit is None:
            lines.append(
                TN(
                    "• {customer} · Class {cls} · never visited, registered {n} day ago · {owner}",
                    "• {customer} · Class {cls} · never visited, registered {n} days ago · {owner}",
                    row.days,
                    customer=c.name,
                    cls=c.customer_class,
                    owner=owner,
                )
            )
        else:
            lines.append(
                TN(
                    "• {customer} · Class {cls} · {n} day since the last visit · {owner}",
                    "• {customer} · Class {cls} · {n} days since the last visit · {owner}",
                    row.days,
                    customer=c.name,
                    cls=c.customer_class,
                    owner=owner,
                )
            )
    if total > len(rows):
        lines.append(TN("…and {n} more not shown.", "…and {n} more not shown.", total - len(rows)))
    buttons = tuple(
        (Button(Raw(f"{r.customer.name} · {r.customer.customer_class}"), f"card:{r.customer.id}"),)
        for r in rows
    )
    return ctx.stay(Reply(Lines(*lines), buttons=buttons))


COMMANDS = [
    Command(
        "today",
        FIELD,
        today,
        T("your day: follow-ups, visit plan, customers to see"),
        menu_label=T("📅 Today"),
    ),
    Command("losing", FIELD, losing, T("customers you are losing touch with")),
]
