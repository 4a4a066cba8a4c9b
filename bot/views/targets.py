"""Monthly targets and their completion as lines: in /plan, /report, the summary and /board."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.types import Money, Raw, T, Text
from crm.services import targets as svc
from crm.services.targets import COLLECTED, NEW, VISITS, WON_AMOUNT, Completion, Metric

NAMES: dict[str, T] = {
    VISITS: T("visits"),
    NEW: T("new customers"),
    WON_AMOUNT: T("amount won"),
    COLLECTED: T("amount collected"),
}
# Words a manager types after /board, in the four languages (and the metric codes).
BOARD_WORDS: dict[str, str] = {
    **{w: VISITS for w in ("visits", "visit", "拜访", "拜訪", "визиты", "визитов")},
    **{w: NEW for w in ("new", "新客户", "新客戶", "新客", "новые", "клиенты")},
    **{w: WON_AMOUNT for w in ("won", "成交", "成交额", "成交額", "сделки", "выиграно")},
    **{w: COLLECTED for w in ("collected", "回款", "收款", "оплаты", "собрано")},
}


def joined(parts: Sequence[Text]) -> Text:
    """Texts on one line, " · " between them."""
    out = parts[0]
    for part in parts[1:]:
        out = T("{a} · {b}", a=out, b=part)
    return out


def _amount(metric: str, value: Decimal, currency: str) -> Text:
    if metric in (WON_AMOUNT, COLLECTED):
        return Money(value, currency=currency)
    return Raw(str(int(value)))


def metric_text(metric: str, m: Metric, currency: str) -> Text:
    """ "new customers 2/3 (66%)"; without a target: "new customers 2"."""
    done = _amount(metric, m.done, currency)
    if m.target is None:
        return T("{name} {done}", name=NAMES[metric], done=done)
    return T(
        "{name} {done}/{target} ({pct}%)",
        name=NAMES[metric],
        done=done,
        target=_amount(metric, m.target, currency),
        pct=m.percent if m.percent is not None else 0,
    )


def figures_text(c: Completion, currency: str) -> Text:
    """The figures with a target, joined with " · "; or "no targets set"."""
    parts = [
        metric_text(metric, c.metrics[metric], currency)
        for metric in svc.METRICS
        if c.metrics[metric].target is not None
    ]
    if not parts:
        return T("no targets set")
    return joined(parts)


def targets_text(t: svc.Targets, currency: str) -> Text:
    """What was set: "A 4 · B 6 · new customers 3 · won ¥500,000"."""
    parts: list[Text] = [Raw(f"{cls} {n}") for cls, n in t.visits.items()]
    if t.new is not None:
        parts.append(T("{name} {done}", name=NAMES[NEW], done=t.new))
    for metric, value in ((WON_AMOUNT, t.won), (COLLECTED, t.collected)):
        if value is not None:
            parts.append(
                T("{name} {done}", name=NAMES[metric], done=Money(value, currency=currency))
            )
    return joined(parts) if parts else T("no targets set")


def lines(rows: Sequence[Completion], month: str, currency: str) -> list[Text]:
    """A title and one line per rep; nothing when no rep has a target for the month."""
    if not any(r.has_targets for r in rows):
        return []
    found: list[Text] = [T("<b>Targets for {month}</b>", month=month)]
    for row in rows:
        found.append(
            T("• {name}: {figures}", name=row.staff.name, figures=figures_text(row, currency))
        )
    return found


def own_lines(c: Completion, currency: str) -> list[Text]:
    """A rep's own targets in /plan."""
    if not c.has_targets:
        return [T("No targets are set for {month} yet.", month=c.month)]
    found: list[Text] = [T("<b>Your targets for {month}</b>", month=c.month)]
    found += [
        T("• {figure}", figure=metric_text(metric, c.metrics[metric], currency))
        for metric in svc.METRICS
        if c.metrics[metric].target is not None
    ]
    return found


def board_lines(rows: Sequence[Completion], metric: str, month: str, currency: str) -> list[Text]:
    found: list[Text] = [
        T("<b>Ranking by {name} target, {month}</b>", name=NAMES[metric], month=month)
    ]
    for rank, row in svc.ranked(rows, metric):
        m = row.metrics[metric]
        found.append(
            T(
                "{rank}. {name}: {figure}",
                rank=rank,
                name=row.staff.name,
                figure=metric_text(metric, m, currency)
                if m.target is not None
                else T("{figure} (no target)", figure=metric_text(metric, m, currency)),
            )
        )
    return found
