"""The customer sidebar under a request's view and its new-request notice (crm.services.sidebar):
who, the phone (Telegram clients make a number in international form tap-to-call), open and
recent requests, the owner rep and the last visit."""

from __future__ import annotations

from bot.types import Raw, T, Text
from crm.models import Ticket
from crm.services import sidebar as svc
from handlers.base import Ctx
from handlers.labels import TICKET_KIND, TICKET_STATUS, label


async def lines(ctx: Ctx, ticket: Ticket) -> list[Text]:
    sb = await svc.sidebar(ctx.session, ticket)
    c = sb.customer
    if c is None:
        return [T("👤 Not linked to a customer record yet.")]
    out: list[Text] = [T("──── Customer ────")]
    who = T(
        "👤 {person} · {customer} · class {cls}",
        person=sb.person.name if sb.person and sb.person.name else "—",
        customer=c.name,
        cls=c.customer_class,
    )
    out.append(T("{who} · ⭐ VIP", who=who) if c.vip else who)
    if c.phone:
        out.append(T("📞 {phone}", phone=Raw(c.phone)))
    out.append(
        T(
            "Other open requests: {n}; owner rep: {rep}",
            n=sb.open_count,
            rep=sb.owner.name if sb.owner else T("nobody (team pool)"),
        )
    )
    for t in sb.recent:
        out.append(
            T(
                "• {number} · {kind} · {status} · {when}",
                number=t.number,
                kind=label(TICKET_KIND, t.kind),
                status=label(TICKET_STATUS, t.status),
                when=t.created_at,
            )
        )
    out.append(
        T("Last visit: {when}", when=sb.last_visit)
        if sb.last_visit
        else T("Last visit: none recorded")
    )
    return out
