"""/audit on a customer card: who changed what and when, for managers and admins."""

from __future__ import annotations

from sqlalchemy import select

from bot.types import Lines, Raw, Reply, T, Text
from crm.models import AuditLog, Customer, Staff
from handlers.base import LEADS, Action, Ctx, Step

LIMIT = 15


def _changes(changes: dict) -> str:  # type: ignore[type-arg]
    parts = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{key}: {value[0]} → {value[1]}")
        elif value not in (None, "", [], {}):
            parts.append(f"{key}: {value}")
    return "; ".join(parts)[:200]


async def show(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    customer = await ctx.session.get(Customer, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(T("This customer no longer exists.")))
    rows = (
        await ctx.session.execute(
            select(AuditLog, Staff.name)
            .outerjoin(Staff, (AuditLog.actor_kind == "staff") & (Staff.id == AuditLog.actor_id))
            .where(AuditLog.entity == "customer", AuditLog.entity_id == customer.id)
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(LIMIT)
        )
    ).all()
    if not rows:
        return ctx.stay(Reply(T("No recorded changes for {customer} yet.", customer=customer.name)))
    lines: list[Text] = [T("<b>Changes to {customer}</b>", customer=customer.name)]
    for entry, name in rows:
        who: Text = Raw(name) if name else T("the system")
        detail = _changes(entry.changes or {})
        lines.append(
            T(
                "{when} · {who} · {action} {detail}",
                when=entry.at,
                who=who,
                action=entry.action,
                detail=detail,
            )
        )
    return ctx.stay(Reply(Lines(*lines)))


ACTIONS = [Action("audit", LEADS, show, obj_kind="customer")]
