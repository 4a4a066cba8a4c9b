"""The agenda's sections, shared by /today and the morning push (same msgids, one rendering)."""

from __future__ import annotations

from datetime import datetime

from bot.types import TN, Button, Raw, T, Text
from crm.services.agenda import Agenda
from crm.services.plans import PlanProgress


def sections(items: Agenda, now: datetime) -> list[Text]:
    """Every non-empty section, in the order a rep reads them."""
    lines: list[Text] = []
    if items.followups:
        lines += followup_lines(items, now)
    if items.plan is not None:
        lines += plan_lines(items.plan)
    if items.key_customers:
        lines += key_customer_lines(items)
    if items.claims:
        lines += claim_lines(items)
    return lines


def followup_lines(items: Agenda, now: datetime) -> list[Text]:
    lines: list[Text] = [T("<b>Follow-ups</b>")]
    for fu, customer in items.followups:
        lines.append(
            T("⚠️ overdue since {when}: {customer}", when=fu.due_at, customer=customer.name)
            if fu.due_at < now
            else T("{when}: {customer}", when=fu.due_at, customer=customer.name)
        )
    return lines


def plan_lines(plan: PlanProgress) -> list[Text]:
    progress = Raw(" · ".join(f"{p.customer_class} {p.done}/{p.target}" for p in plan.classes))
    pct = plan.percent
    return [
        T("<b>Visit plan for {month}</b>", month=plan.month),
        progress if pct is None else T("{progress} — {pct}% done", progress=progress, pct=pct),
    ]


def key_customer_lines(items: Agenda) -> list[Text]:
    lines: list[Text] = [T("<b>Key customers to visit</b>")]
    for row in items.key_customers:
        c = row.customer
        if row.last_visit is None:
            lines.append(
                TN(
                    "{customer} · Class {cls}: never visited, registered {n} day ago",
                    "{customer} · Class {cls}: never visited, registered {n} days ago",
                    row.days,
                    customer=c.name,
                    cls=c.customer_class,
                )
            )
        else:
            lines.append(
                TN(
                    "{customer} · Class {cls}: {n} day since the last visit",
                    "{customer} · Class {cls}: {n} days since the last visit",
                    row.days,
                    customer=c.name,
                    cls=c.customer_class,
                )
            )
    more = items.key_customers_total - len(items.key_customers)
    if more > 0:
        lines.append(TN("…and {n} more: /losing", "…and {n} more: /losing", more))
    return lines


def claim_lines(items: Agenda) -> list[Text]:
    lines: list[Text] = [T("<b>Claims about to lapse</b>")]
    for c in items.claims:
        lines.append(T("{customer}: claim ends {when}", customer=c.name, when=c.claim_expires_at))
    return lines


def agenda_buttons(items: Agenda) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = [
        (Button(T("✅ {customer}", customer=customer.name), f"fu_done:{fu.id}"),)
        for fu, customer in items.followups
    ]
    seen: set[int] = set()
    for c in [*items.claims, *(r.customer for r in items.key_customers)]:
        if c.id not in seen:
            seen.add(c.id)
            rows.append((Button(Raw(f"📇 {c.name}"), f"card:{c.id}"),))
    return tuple(rows)
