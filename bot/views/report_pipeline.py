"""The pipeline and conversion message of /report (crm/services/report_pipeline.py) and the
monthly targets' completion (crm/services/targets.py)."""

from __future__ import annotations

from bot.types import TN, Lines, Raw, Reply, T, Text
from bot.views import targets as targets_view
from bot.views.report import period_text
from crm.services.plans import month_of
from crm.services.report import Report
from handlers.labels import STAGE, label


def _classes(counts: dict[str, int]) -> Raw:
    return Raw(" · ".join(f"{cls} {n}" for cls, n in sorted(counts.items())))


def pipeline_lines(r: Report) -> list[Text]:
    p = r.pipeline
    lines: list[Text] = [
        T("<b>Pipeline and conversion, {period}</b>", period=period_text(r)),
        T("<b>Customers by stage and class (now)</b>"),
    ]
    for stage, counts in p.stock.items():
        lines.append(
            T(
                "• {stage}: {n} ({classes})",
                stage=label(STAGE, stage),
                n=sum(counts.values()),
                classes=_classes(counts),
            )
        )
    lines.append(T("<b>Movements in the period</b>"))
    for cls, m in p.moves.items():
        lines.append(
            T(
                "• Class {cls}: new {new} · advanced {advanced} · won {won} · lost {lost}",
                cls=cls,
                new=m.new,
                advanced=m.advanced,
                won=m.won,
                lost=m.lost,
            )
        )
    lines.append(
        T("Conversion from first contact to won: no customer was first contacted in the period")
        if p.conversion is None
        else T(
            "Conversion from first contact to won: {won} of {n} ({pct}%)",
            won=p.converted,
            n=p.contacted,
            pct=p.conversion,
        )
    )
    if p.days_in_stage:
        lines.append(T("<b>Average days per stage</b>"))
        for stage, (days, n) in p.days_in_stage.items():
            lines.append(
                TN(
                    "• {stage}: {days} days ({n} change)",
                    "• {stage}: {days} days ({n} changes)",
                    n,
                    stage=label(STAGE, stage),
                    days=round(days, 1),
                )
            )
    lines += [
        T("<b>Churned: {n}</b>", n=p.churned),
        T("Lost in the period: {n}", n=p.lost),
        T("Past twice their visit cadence now: {n}", n=sum(p.drifting.values()))
        if not p.drifting
        else T(
            "Past twice their visit cadence now: {n} ({classes})",
            n=sum(p.drifting.values()),
            classes=_classes(p.drifting),
        ),
    ]
    month = month_of(r.period.last)
    if p.new_by_rep:
        lines.append(T("<b>New customers per rep</b>"))
    for rep, n, target in p.new_by_rep:
        lines.append(
            T("• {name}: {n}", name=rep.name, n=n)
            if target is None
            else T(
                "• {name}: {n} (target {target} for {month})",
                name=rep.name,
                n=n,
                target=target,
                month=month,
            )
        )
    lines += targets_view.lines(r.digest.targets, month, r.currency)
    return lines


def replies(r: Report) -> list[Reply]:
    return [Reply(Lines(*pipeline_lines(r)))]
