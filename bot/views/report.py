"""The report (/report) as messages: the summary's figures with the chart, then the complaint
analysis, then the lifecycle picture; three messages, as one would pass Telegram's length limit.

The labels of request kinds, categories and lost reasons are the flows' own (handlers/labels.py,
handlers/tickets.py), so a report names them as the forms that recorded them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from bot import charts
from bot.types import TN, Lines, Money, Raw, Reply, T, Text
from bot.views import digest as summary_view
from bot.views.tickets import ratings
from crm.language.date_ranges import RANGE
from crm.services.deals.figures import PipelineRow
from crm.services.report import Report
from crm.services.report_lifecycle import Deal
from handlers.labels import LOST_REASON, STAGE, TICKET_KIND, label
from handlers.tickets import CATEGORY

Render = Callable[[Text], str]


def period_text(r: Report) -> Text:
    period = r.period
    if period.kind == RANGE:
        return T("{first} – {last}", first=period.first, last=period.last)
    return summary_view.period_text(period)


def title(r: Report) -> Text:
    if r.teams:
        return T("<b>Report for every team, {period}</b>", period=period_text(r))
    return T("<b>Team report, {period}</b>", period=period_text(r))


def duration(span: timedelta) -> Text:
    minutes = max(int(span.total_seconds() // 60), 0)
    if minutes < 60:
        return TN("{n} minute", "{n} minutes", minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return T("{h} h {m} min", h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return T("{d} d {h} h", d=days, h=hours)


def team_lines(r: Report) -> list[Text]:
    if not r.teams:
        return []
    lines: list[Text] = [T("<b>By team</b>")]
    for row in r.teams:
        team: Text = Raw(row.team) if row.team else T("no team")
        pct = row.percent
        lines.append(
            TN(
                "• {team}: {n} rep, {visits} visits",
                "• {team}: {n} reps, {visits} visits",
                row.reps,
                team=team,
                visits=row.visits,
            )
            if pct is None
            else TN(
                "• {team}: {n} rep, {visits} visits, {pct}% of the plan",
                "• {team}: {n} reps, {visits} visits, {pct}% of the plan",
                row.reps,
                team=team,
                visits=row.visits,
                pct=pct,
            )
        )
    return lines


def figures(r: Report) -> list[Text]:
    lines: list[Text] = [title(r)]
    if r.open:
        lines.append(T("(so far, as of {when})", when=r.digest.now))
    lines.append(T("<b>Visits and plan completion</b>"))
    lines += summary_view.visit_lines(r.digest)
    lines += team_lines(r)
    lines.append(T("<b>Sales</b>"))
    lines += summary_view.sales_lines(r.digest)
    return lines


def service(r: Report) -> list[Text]:
    f = r.tickets
    lines: list[Text] = [
        T("<b>Requests and complaints, {period}</b>", period=period_text(r)),
        T("Received: {n}; resolved: {resolved}", n=f.received, resolved=f.resolved),
    ]
    if f.by_kind:
        lines.append(T("By kind:"))
        lines += [T("• {name}: {n}", name=label(TICKET_KIND, k), n=n) for k, n in f.by_kind]
        lines.append(T("By category:"))
        lines += [
            T("• {name}: {n}", name=CATEGORY.get(c, Raw(c)) if c else T("no category"), n=n)
            for c, n in f.by_category
        ]
    rate = f.breach_rate
    lines.append(
        T("No time limit fell due in this period.")
        if rate is None
        else T(
            "Past a time limit: {breached} of {n} with a deadline in the period ({pct}%)",
            breached=f.breached,
            n=f.with_deadline,
            pct=rate,
        )
    )
    lines.append(
        T("Median time to first response: none answered in this period")
        if f.first_response is None
        else TN(
            "Median time to first response: {time} ({n} request)",
            "Median time to first response: {time} ({n} requests)",
            f.first_responses,
            time=duration(f.first_response),
        )
    )
    lines.append(
        T("Median time to resolution: none resolved in this period")
        if f.resolution is None
        else TN(
            "Median time to resolution: {time} ({n} request)",
            "Median time to resolution: {time} ({n} requests)",
            f.resolutions,
            time=duration(f.resolution),
        )
    )
    lines += ratings(f)
    rv = f.return_visits
    if rv.done or rv.pending:
        lines.append(
            T(
                "Return visits: {done} made ({yes} satisfied, {no} not satisfied), {pending} "
                "overdue",
                done=rv.done,
                yes=rv.satisfied,
                no=rv.unsatisfied,
                pending=rv.pending,
            )
        )
    return lines


def _by(deal: Deal) -> Text:
    return Raw(deal.by.name) if deal.by is not None else T("unknown")


def lifecycle(r: Report) -> list[Text]:
    life = r.lifecycle
    lines: list[Text] = [T("<b>Customer lifecycle</b>")]
    lines.append(
        TN(
            "Customers at risk now (past their visit cadence): {n}",
            "Customers at risk now (past their visit cadence): {n}",
            life.at_risk_total,
        )
    )
    if life.at_risk_by_class:
        classes = " · ".join(f"{cls} {n}" for cls, n in life.at_risk_by_class.items())
        lines.append(T("By class: {classes}", classes=Raw(classes)))
    for row in life.at_risk:
        lines.append(summary_view.losing_line(row))
    lines.append(
        TN(
            "Customers lost in the period: {n}, amount {amount}",
            "Customers lost in the period: {n}, amount {amount}",
            len(life.lost),
            amount=Money(life.lost_amount),
        )
    )
    for reason, n, amount in life.lost_reasons:
        lines.append(
            T(
                "• {reason}: {n} ({amount})",
                reason=label(LOST_REASON, reason),
                n=n,
                amount=Money(amount),
            )
        )
    for deal in life.lost[:5]:
        lines.append(
            T(
                "· {customer} · {reason} · {rep}",
                customer=deal.customer.name,
                reason=label(LOST_REASON, deal.reason),
                rep=_by(deal),
            )
        )
    lines.append(
        TN(
            "Deals won in the period: {n}, amount {amount}",
            "Deals won in the period: {n}, amount {amount}",
            len(life.won),
            amount=Money(life.won_amount),
        )
    )
    for deal in life.won[:5]:
        lines.append(
            T(
                "· {customer}: {amount} · {rep}",
                customer=deal.customer.name,
                amount=Money(deal.amount or 0),
                rep=_by(deal),
            )
        )
    if len(life.won) > 5:
        lines.append(TN("…and {n} more not shown.", "…and {n} more not shown.", len(life.won) - 5))
    return lines


def chart(r: Report, render: Render) -> bytes | None:
    """Visits per rep against plan, and the period's requests by kind (None without a CJK font or
    with nothing to draw)."""

    def plain(text: Text) -> str:
        return html.unescape(render(text))

    texts = charts.ReportTexts(
        bars_title=plain(T("Visits per rep, {period}", period=period_text(r))),
        kinds_title=plain(T("Requests by kind, {period}", period=period_text(r))),
        visits=plain(T("visits")),
        plan=plain(T("plan")),
        requests=plain(T("requests")),
        no_reps=plain(T("There are no sales reps in your team yet.")),
        no_requests=plain(T("No requests in this period.")),
        reps=plain(T("sales rep")),
        kinds=plain(T("kind of request")),
        no_visits=plain(T("No visits in {period}.", period=period_text(r))),
    )
    reps = [(row.staff.name, row.visits, row.plan) for row in r.digest.reps]
    kinds = [(plain(label(TICKET_KIND, k)), n) for k, n in r.tickets.by_kind]
    return charts.report_chart(reps, kinds, texts)


def _added(
    cell: tuple[int, Decimal, Decimal] | None, row: PipelineRow
) -> tuple[int, Decimal, Decimal]:
    n, amount, weighted = cell or (0, Decimal(0), Decimal(0))
    return n + row.count, amount + row.amount, weighted + row.weighted


def deals(r: Report) -> list[Text]:
    """The pipeline by stage and by expected close month (weighted by the stages'
    probabilities), the amounts won and collected, receivables and days sales outstanding."""
    m = r.money

    def cash(amount: object) -> Money:
        return Money(amount, currency=r.currency, cents=True)

    n_open = sum(row.count for row in m.pipeline)
    lines: list[Text] = [
        T("<b>Deals and receivables</b>"),
        TN(
            "Pipeline: {n} open opportunity, {amount}, weighted {weighted}",
            "Pipeline: {n} open opportunities, {amount}, weighted {weighted}",
            n_open,
            amount=cash(m.pipeline_amount),
            weighted=cash(m.pipeline_weighted),
        ),
    ]
    # The rows are per stage and month: summed here by stage, then by month.
    stages: dict[str, tuple[int, Decimal, Decimal]] = {}
    months: dict[str | None, tuple[int, Decimal, Decimal]] = {}
    for row in m.pipeline:
        stages[row.stage] = _added(stages.get(row.stage), row)
        months[row.month] = _added(months.get(row.month), row)
    for stage, (n, amount, weighted) in stages.items():
        lines.append(
            T(
                "• {stage}: {n}, {amount} → {weighted}",
                stage=label(STAGE, stage),
                n=n,
                amount=cash(amount),
                weighted=cash(weighted),
            )
        )
    if months:
        lines.append(T("By expected close month:"))
    for month, (n, amount, weighted) in months.items():
        lines.append(
            T(
                "· {month}: {n}, {amount} → {weighted}",
                month=Raw(month) if month else T("no date"),
                n=n,
                amount=cash(amount),
                weighted=cash(weighted),
            )
        )
    lines += [
        T("Won in the period: {n}, {amount}", n=m.won, amount=cash(m.won_amount)),
        TN(
            "Collected in the period: {amount} ({n} payment)",
            "Collected in the period: {amount} ({n} payments)",
            m.payments,
            amount=cash(m.collected),
        ),
        T("Receivables now: {amount}", amount=cash(m.receivable)),
        T("Days sales outstanding: {n}", n=m.dso)
        if m.dso is not None
        else T("Days sales outstanding: no contracts signed in the period"),
    ]
    return lines


def drawable(r: Report) -> bool:
    """Is there anything to chart: a visit or a request in the period?"""
    return any(row.visits for row in r.digest.reps) or any(n for _k, n in r.tickets.by_kind)


def report(r: Report, render: Render) -> list[Reply]:
    found = figures(r)
    if not drawable(r):
        found.append(T("No visits or requests in {period}, so no chart.", period=period_text(r)))
    replies = [
        Reply(Lines(*found), photo=chart(r, render)),
        Reply(Lines(*service(r))),
        Reply(Lines(*lifecycle(r))),
    ]
    m = r.money
    if m.pipeline or m.won or m.payments or m.receivable:
        replies.append(Reply(Lines(*deals(r))))
    return replies
