"""The yearly summary as messages: the year's work and customers and the top reps; then the
complaints and their analysis (by kind, time limits, ratings). Shared by `/report 去年` and the
scheduled push (scheduler/yearly_jobs.py), so neutral types only: the labels below carry the
same msgids as the flows' (handlers/labels.py), so one translation serves both."""

from __future__ import annotations

from bot.types import Lines, Money, Raw, Reply, T, Text
from bot.views.tickets import kind_label, ratings
from crm.services.report_yearly import Yearly

LOST_REASON = {
    "price": T("price too high"),
    "competitor": T("went to a competitor"),
    "no_budget": T("no budget"),
    "no_need": T("no need"),
    "unreachable": T("could not be reached"),
    "other": T("other reason"),
}


def _reason(reason: str | None) -> Text:
    return T("—") if reason is None else LOST_REASON.get(reason, Raw(reason))


def lines(y: Yearly) -> list[Text]:
    r = y.report
    d = r.digest
    life = r.lifecycle
    found: list[Text] = [T("<b>Yearly summary {year}</b>", year=Raw(str(y.year)))]
    if y.open:
        found.append(T("(so far, as of {when})", when=d.now))
    found += [
        T("Visits: {n}", n=d.visits),
        T("New customers: {n}", n=d.new_customers),
        T("Customers won: {n}, amount {amount}", n=len(life.won), amount=Money(life.won_amount)),
        T(
            "Customers lost: {n}, amount {amount}",
            n=len(life.lost),
            amount=Money(life.lost_amount),
        ),
    ]
    for reason, n, amount in life.lost_reasons:
        found.append(
            T("• {reason}: {n} ({amount})", reason=_reason(reason), n=n, amount=Money(amount))
        )
    found.append(T("<b>Top reps</b>"))
    if not y.top:
        found.append(T("No rep recorded any work this year."))
    for row in y.top:
        found.append(
            T(
                "{rank}. {name}: won {amount} ({won} deals) · {visits} visits · "
                "{new} new customers",
                rank=row.rank,
                name=row.staff.name,
                amount=Money(row.won_amount),
                won=row.won,
                visits=row.visits,
                new=row.new_customers,
            )
        )
    return found


def service(y: Yearly) -> list[Text]:
    f = y.report.tickets
    found: list[Text] = [
        T("<b>Requests and complaints {year}</b>", year=Raw(str(y.year))),
        T("Received: {n}; resolved: {resolved}", n=f.received, resolved=f.resolved),
    ]
    found += [T("• {name}: {n}", name=kind_label(k), n=n) for k, n in f.by_kind]
    rate = f.breach_rate
    if rate is not None:
        found.append(
            T(
                "Past a time limit: {breached} of {n} with a deadline in the period ({pct}%)",
                breached=f.breached,
                n=f.with_deadline,
                pct=rate,
            )
        )
    return found + ratings(f)


def summary(y: Yearly) -> list[Reply]:
    """Two messages: the year's figures, then the complaints and their analysis."""
    return [Reply(Lines(*lines(y))), Reply(Lines(*service(y)))]
