"""The manager's summary as a message with a chart and drill-down buttons; shared by /summary
(handlers/summary.py) and the scheduled pushes (scheduler/digest_jobs.py), so both read alike.

The chart's words are rendered here with the reader's renderer and handed to bot/charts.py as
plain strings: the chart module knows no gettext.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from bot import charts
from bot.types import TN, Button, Lines, Money, Raw, Reply, T, Text
from bot.views import targets as targets_view
from crm.services import plans
from crm.services.digest import DAY, WEEK, Digest, Period

Render = Callable[[Text], str]

# Drill-down actions (handlers/digest.py): "name:<lead's staff id>:<period code>".
OVERDUE = "dg_fu"
BREACHES = "dg_sla"
LOSING = "dg_lose"
BOARD = "dg_top"


def period_text(period: Period) -> Text:
    """ "Tue 1 Dec 2026", "Mon 30 Nov 2026 – Sun 6 Dec 2026", "2026-12"."""
    if period.kind == DAY:
        return T("{day}", day=period.first)
    if period.kind == WEEK:
        return T("{first} – {last}", first=period.first, last=period.last)
    return Raw(f"{period.first:%Y-%m}")


def title(period: Period) -> Text:
    if period.kind == DAY:
        # The msgid of the earlier /summary: its translations still apply.
        return T("<b>Team summary for {day}</b>", day=period.first)
    if period.kind == WEEK:
        return T("<b>Weekly team report, {period}</b>", period=period_text(period))
    return T("<b>Monthly team report, {month}</b>", month=period_text(period))


def _plan(value: float) -> float:
    return round(value, 1)


def visit_lines(d: Digest) -> list[Text]:
    plan, pct = d.plan, d.percent
    lines: list[Text] = [
        T("Visits: {n}", n=d.visits)
        if plan is None or pct is None
        else T("Visits: {n} of {plan} planned ({pct}%)", n=d.visits, plan=_plan(plan), pct=pct)
    ]
    for row in d.reps:
        if row.plan is None or row.percent is None:
            lines.append(
                TN("• {name}: {n} visit", "• {name}: {n} visits", row.visits, name=row.staff.name)
            )
        else:
            lines.append(
                T(
                    "• {name}: {n} of {plan} planned ({pct}%)",
                    name=row.staff.name,
                    n=row.visits,
                    plan=_plan(row.plan),
                    pct=row.percent,
                )
            )
    return lines


def sales_lines(d: Digest) -> list[Text]:
    lines: list[Text] = [
        T("New customers: {n}", n=d.new_customers),
        T("Stage changes: {n}", n=d.stage_changes),
        T("Deals won: {n}, amount {amount}", n=d.won, amount=Money(d.won_amount))
        if d.won
        else T("Deals won: {n}", n=0),
    ]
    if d.lost and d.lost_amount:
        lines.append(T("Deals lost: {n}, amount {amount}", n=d.lost, amount=Money(d.lost_amount)))
    else:
        lines.append(T("Deals lost: {n}", n=d.lost))
    lines += [
        T("Follow-ups done: {n}", n=d.followups_done),
        T("Follow-ups overdue: {n}", n=d.followups_overdue),
    ]
    return lines


def service_lines(d: Digest) -> list[Text]:
    lines: list[Text] = [
        T(
            "Requests received: {n}; resolved: {resolved}; past a time limit: {breached}",
            n=d.tickets_opened,
            resolved=d.tickets_resolved,
            breached=d.tickets_breached,
        )
    ]
    if d.rating is None:
        lines.append(T("Average rating: no ratings"))
    else:
        lines.append(
            TN(
                "Average rating: {avg} ({n} rating)",
                "Average rating: {avg} ({n} ratings)",
                d.ratings,
                avg=round(d.rating, 1),
            )
        )
    return lines


def attention_lines(d: Digest) -> list[Text]:
    lines: list[Text] = []
    if d.losing_total:
        lines.append(
            TN(
                "Key customers losing touch: {n}",
                "Key customers losing touch: {n}",
                d.losing_total,
            )
        )
        for row in d.losing:
            lines.append(losing_line(row))
    if d.lapsing_total:
        lines.append(TN("Claims lapsing soon: {n}", "Claims lapsing soon: {n}", d.lapsing_total))
        for customer, owner in d.lapsing:
            lines.append(
                T(
                    "· {customer}: {when} · {owner}",
                    customer=customer.name,
                    when=customer.claim_expires_at,
                    owner=owner.name,
                )
            )
    return lines


def money_lines(d: Digest) -> list[Text]:
    """Payments of the period, receivables overdue now (per rep) and the oldest of them; nothing
    for a team without any."""
    m = d.money
    if not m.payments and not m.overdue:
        return []

    def cash(amount: object) -> Money:
        return Money(amount, currency=d.currency, cents=True)

    lines: list[Text] = [
        TN(
            "Payments received: {n}, {amount}",
            "Payments received: {n}, {amount}",
            m.payments,
            amount=cash(m.collected),
        )
    ]
    if m.overdue:
        lines.append(T("Overdue receivables: {amount}", amount=cash(m.overdue)))
        for staff, amount in m.overdue_by_rep:
            name: Text = Raw(staff.name) if staff is not None else T("team pool")
            lines.append(T("• {name}: {amount}", name=name, amount=cash(amount)))
    if m.oldest is not None:
        today = d.now.astimezone(d.period.tz).date()
        lines.append(
            TN(
                "Oldest overdue: {customer}, {amount} due {due_on} ({n} day) · {number}",
                "Oldest overdue: {customer}, {amount} due {due_on} ({n} days) · {number}",
                m.days_overdue(today),
                customer=m.oldest.customer.name,
                amount=cash(m.oldest.due),
                due_on=m.oldest.instalment.due_on,
                number=m.oldest.contract.number,
            )
        )
    return lines


def lines(d: Digest, *, late: bool = False) -> list[Text]:
    found = [
        title(d.period),
        *visit_lines(d),
        *sales_lines(d),
        *targets_view.lines(d.targets, plans.month_of(d.period.last), d.currency),
        *money_lines(d),
        *service_lines(d),
        *attention_lines(d),
    ]
    if late:
        found.append(T("(sent late: the bot was not running at the due time)"))
    return found


def buttons(d: Digest) -> tuple[tuple[Button, ...], ...]:
    tail = f"{d.lead.id}:{d.period.code}"
    return (
        (
            Button(T("⚠️ Overdue follow-ups"), f"{OVERDUE}:{tail}"),
            Button(T("⏰ Past time limits"), f"{BREACHES}:{tail}"),
        ),
        (
            Button(T("📉 Losing touch"), f"{LOSING}:{tail}"),
            Button(T("🏆 Leaderboard"), f"{BOARD}:{tail}"),
        ),
    )


def drawable(d: Digest) -> bool:
    """Is there anything to chart: a visit in the period or in the trend's days?"""
    return any(r.visits for r in d.reps) or any(n for _day, n in d.trend)


def _md(day: date) -> str:
    return f"{day.month}/{day.day}"


def no_visits(period: Period) -> Text:
    """The bars' panel when no rep has a visit in the period (the trend may have some)."""
    if period.kind == DAY:
        return T("No visits on {day}.", day=period.first)
    return T("No visits in {period}.", period=period_text(period))


def no_chart(period: Period) -> Text:
    """Said instead of an empty chart."""
    if period.kind == DAY:
        return T("No visits on {day}, so no chart.", day=period.first)
    if period.kind == WEEK:
        return T("No visits in the week {period}, so no chart.", period=period_text(period))
    return T("No visits in {month}, so no chart.", month=period_text(period))


def chart(d: Digest, render: Render) -> bytes | None:
    """The PNG: visits per rep in the period (with the plan) and visits per day, 14 days; None
    without a CJK font or without a visit to draw (`drawable`)."""

    def plain(text: Text) -> str:
        return html.unescape(render(text))

    span = d.trend[-1][0] - d.trend[0][0] + timedelta(days=1) if d.trend else timedelta(0)
    days = (
        T("{first} – {last}", first=_md(d.trend[0][0]), last=_md(d.trend[-1][0]))
        if d.trend
        else Raw("")
    )
    texts = charts.SummaryTexts(
        bars_title=plain(T("Visits per rep, {period}", period=period_text(d.period))),
        trend_title=plain(
            TN(
                "Visits per day, last {n} day ({days})",
                "Visits per day, last {n} days ({days})",
                span.days,
                days=days,
            )
        ),
        visits=plain(T("visits")),
        plan=plain(T("plan")),
        no_reps=plain(T("There are no sales reps in your team yet.")),
        reps=plain(T("sales rep")),
        days=plain(T("day")),
        no_visits=plain(no_visits(d.period)),
    )
    reps = [(r.staff.name, r.visits, r.plan) for r in d.reps]
    trend = [(_md(day), n) for day, n in d.trend]
    return charts.summary_chart(reps, trend, texts)


def summary(d: Digest, render: Render, *, late: bool = False) -> Reply:
    """The whole summary: text, chart (or, with no visit to draw, a line saying so) and
    drill-down buttons."""
    found = lines(d, late=late)
    if not drawable(d):
        found.append(no_chart(d.period))
    return Reply(Lines(*found), buttons=buttons(d), photo=chart(d, render))


def losing_line(row: Any) -> Text:
    """One customer losing touch: name, class, days since the last visit, owner."""
    owner: Text = Raw(row.owner.name) if row.owner is not None else T("team pool")
    return TN(
        "· {customer} ({cls}), {n} day · {owner}",
        "· {customer} ({cls}), {n} days · {owner}",
        row.days,
        customer=row.customer.name,
        cls=row.customer.customer_class,
        owner=owner,
    )
