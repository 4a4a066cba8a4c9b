"""Who hears what about a ticket: staff on new tickets and customer messages, customers on
every status change, managers on low ratings. Messages to others go through the outbox."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import structlog

from bot.types import Button, KeyButton, Lines, Reply, T, Text
from crm.enums import Role
from crm.models import FollowUp, Staff, Ticket
from crm.services import colleagues, desk, identity, records
from crm.services.outbox import PRIORITY_RELAY
from handlers import desk_media, desk_sidebar
from handlers.base import Ctx, Step
from handlers.labels import TICKET_KIND

log = structlog.get_logger("desk")


def customer_menu(ctx: Ctx) -> tuple[tuple[KeyButton, ...], ...]:
    from handlers.common import main_menu

    return main_menu(ctx)


def log_forged(ctx: Ctx, ticket_id: int) -> None:
    # Logged without content: who pressed what is enough to spot someone probing.
    log.warning("ticket_access_refused", user_id=ctx.inbound.user_id, ticket_id=ticket_id)


def staff_buttons(ticket: Ticket) -> tuple[tuple[Button, ...], ...]:
    tid = ticket.id
    return (
        (Button(T("🙋 Take"), f"tk_take:{tid}"), Button(T("💬 Reply"), f"tk_reply:{tid}")),
        (
            Button(T("↪️ Transfer"), f"tk_transfer:{tid}"),
            Button(T("✅ Resolve"), f"tk_resolve:{tid}"),
        ),
        (Button(T("View request"), f"tk:{tid}"),),
    )


async def _who(ctx: Ctx, ticket: Ticket) -> Text:
    customer = await records.customer(ctx.session, ticket.customer_id)
    return T("customer {name}", name=customer.name) if customer else T("a new contact")


async def _manager_of(ctx: Ctx, staff: Staff | None) -> list[Staff]:
    return await colleagues.managers_of(ctx.session, staff)


async def customer_marks(ctx: Ctx, ticket: Ticket) -> list[Text]:
    """⭐ VIP and ⛔ blacklisted, for whoever takes the request."""
    customer = await records.customer(ctx.session, ticket.customer_id)
    if customer is None:
        return []
    marks: list[Text] = []
    if customer.vip:
        marks.append(T("⭐ VIP customer"))
    if customer.blacklisted:
        marks.append(
            T("⛔ Blacklisted customer: {reason}", reason=customer.blacklist_reason or T("—"))
        )
    return marks


async def tell_staff_new(ctx: Ctx, ticket: Ticket) -> None:
    first = await desk.first_media(ctx.session, ticket.id)
    note = Reply(
        Lines(
            T(
                "🆕 {kind} {number} from {who}",
                kind=TICKET_KIND[ticket.kind],
                number=ticket.number,
                who=await _who(ctx, ticket),
            ),
            *await customer_marks(ctx, ticket),
            T("“{text}”", text=ticket.text[:300]),
            *desk_media.places(first),
            T("First answer due {when}.", when=ticket.first_response_due),
            *await desk_sidebar.lines(ctx, ticket),
        ),
        buttons=staff_buttons(ticket),
        media=desk_media.to_media(first),
    )
    recipients: dict[int, Staff] = {}
    if ticket.owner_id is not None:
        owner = await records.staff(ctx.session, ticket.owner_id)
        if owner is not None:
            recipients[owner.id] = owner
    queue_chat = ctx.rules.tickets.queue_chat_id
    if queue_chat:
        await ctx.notify.to_chat(
            queue_chat,
            note,
            locale=ctx.default_locale,
            dedupe_key=f"ticket-new:{ticket.id}:queue",
            priority=2,
        )
    else:
        for agent in await desk.queue_agents(ctx.session):
            recipients[agent.id] = agent
    for staff in recipients.values():
        await ctx.notify.to_staff(
            staff, note, dedupe_key=f"ticket-new:{ticket.id}:{staff.id}", priority=2
        )


async def relay_from_customer(
    ctx: Ctx,
    ticket: Ticket,
    text: str,
    files: list[str],
    media: list[dict[str, Any]] | None = None,
) -> Step:
    """`media` defaults to what this message carries (a photo, a document, voice, a pin)."""
    media = desk_media.from_inbound(ctx.inbound) if media is None else media
    msg = await desk.add_message(
        ctx.session,
        ticket,
        author_kind="customer",
        author_id=ctx.who.customer_user.id if ctx.who.customer_user else None,
        text=text or None,
        attachments=files,
        now=ctx.now(),
        media=media,
    )
    lines: list[Text] = [
        T("💬 {number} · {who}:", number=ticket.number, who=await _who(ctx, ticket))
    ]
    if text:
        lines.append(T("“{text}”", text=text[:1000]))
    shown = desk_media.summary(media)
    if shown is not None:
        lines.append(shown)
        lines += desk_media.places(media)
    elif files:
        lines.append(T("Attachments: {n}", n=len(files)))
    note = Reply(Lines(*lines), buttons=staff_buttons(ticket), media=desk_media.to_media(media))
    owner = await records.staff(ctx.session, ticket.owner_id)
    if owner is not None and owner.active:
        await ctx.notify.to_staff(
            owner, note, dedupe_key=f"ticket-msg:{msg.id}:{owner.id}", priority=PRIORITY_RELAY
        )
    else:
        for agent in await desk.queue_agents(ctx.session):
            await ctx.notify.to_staff(
                agent, note, dedupe_key=f"ticket-msg:{msg.id}:{agent.id}", priority=PRIORITY_RELAY
            )
    return Step.end(
        Reply(
            T("📎 Added to {number}; the person handling it sees it.", number=ticket.number),
            buttons=((Button(T("✉️ It's a new request"), f"cm_new:{msg.id}"),),),
        )
    )


async def tell_customer(ctx: Ctx, ticket: Ticket, reply: Reply, key: str) -> None:
    """The customer who sent it, or, for a ticket taken down by staff, everyone on that account."""
    if ticket.customer_user_id is not None:
        cuser = await records.customer_user(ctx.session, ticket.customer_user_id)
        users = [cuser] if cuser is not None else []
    elif ticket.customer_id is not None:
        # Not those linked through a contact's phone who see their own requests only.
        users = await identity.company_viewers(ctx.session, ticket.customer_id)
    else:
        users = []
    for cuser in users:
        await ctx.notify.to_customer(
            cuser,
            reply,
            dedupe_key=f"ticket-cust:{ticket.id}:{key}:{cuser.id}",
            priority=PRIORITY_RELAY,
        )


async def low_rating(ctx: Ctx, ticket: Ticket) -> None:
    """A poor score asks the account's rep for a return visit and tells their manager."""
    customer = await records.customer(ctx.session, ticket.customer_id)
    rep_id = customer.owner_id if customer and customer.owner_id else ticket.owner_id
    rep = await records.staff(ctx.session, rep_id)
    if customer is not None and rep is not None and rep.role in (Role.SALES, Role.MANAGER):
        tomorrow = ctx.now().astimezone(ctx.who.tz).date() + timedelta(days=1)
        records.add(
            ctx.session,
            FollowUp(
                customer_id=customer.id,
                staff_id=rep.id,
                note=f"Return visit: {ticket.number} rated {ticket.rating}/5",
                due_at=datetime.combine(tomorrow, time(10, 0), tzinfo=ctx.who.tz),
                created_at=ctx.now(),
            ),
        )
    alert = Reply(
        Lines(
            T(
                "⚠️ {number} was rated {score}/5 by {who}.",
                number=ticket.number,
                score=ticket.rating,
                who=await _who(ctx, ticket),
            ),
            T("A return visit has been planned for {rep}.", rep=rep.name)
            if rep is not None and customer is not None
            else T("Nobody owns this customer yet: please assign a rep."),
        ),
        buttons=((Button(T("View request"), f"tk:{ticket.id}"),),),
    )
    for manager in await _manager_of(ctx, rep):
        await ctx.notify.to_staff(manager, alert, dedupe_key=f"low-rating:{ticket.id}:{manager.id}")


async def tell_owner_reopened(ctx: Ctx, ticket: Ticket) -> None:
    note = Reply(
        T("↩️ {number} was reopened by the customer.", number=ticket.number),
        buttons=staff_buttons(ticket),
    )
    owner = await records.staff(ctx.session, ticket.owner_id)
    targets = (
        [owner] if owner is not None and owner.active else await desk.queue_agents(ctx.session)
    )
    for staff in targets:
        await ctx.notify.to_staff(
            staff, note, dedupe_key=f"ticket-reopen:{ticket.id}:{ticket.reopened_at}:{staff.id}"
        )
