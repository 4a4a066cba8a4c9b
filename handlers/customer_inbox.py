"""What a customer sends outside any flow: a shared phone number links them to their record;
words and files go to the person handling their open request."""

from __future__ import annotations

from bot.types import Reply, T
from crm.models import Ticket
from crm.phones import normalise
from crm.services import access, desk, identity, runtime
from handlers import customer_links, desk_media, desk_notes
from handlers.base import CUSTOMER, Ctx, Flow, Step, flow_button
from handlers.labels import TICKET_KIND, label
from handlers.tickets import MAX_TEXT


async def customer_fallback(ctx: Ctx) -> Step:
    """A customer's message outside a flow: a shared phone links them; text goes to their ticket."""
    inbound = ctx.inbound
    cuser = ctx.who.customer_user
    assert cuser is not None
    if inbound.contact_phone is not None:
        return await _link_by_contact(ctx)
    text = (inbound.text or "").strip()
    media = desk_media.from_inbound(inbound)
    files = desk_media.file_ids(media)
    if not text and not media:
        return ctx.stay(Reply(T("Please write in words, or send a new request with /new.")))
    if len(text) > MAX_TEXT:
        return ctx.stay(
            Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
        )
    open_tickets = await desk.open_for_customer(ctx.session, cuser)
    if not open_tickets:
        return ctx.stay(
            Reply(
                T("You have no open request. To send us one, tap “New request”."),
                keyboard=desk_notes.customer_menu(ctx),
            )
        )
    if len(open_tickets) == 1:
        return await desk_notes.relay_from_customer(ctx, open_tickets[0], text, files)
    ctx.data = {"text": text, "files": files, "media": media}
    buttons = [
        flow_button(
            T("{number} · {kind}", number=t.number, kind=label(TICKET_KIND, t.kind)),
            "cmsg.pick",
            str(t.id),
        )
        for t in open_tickets[:8]
    ]
    return Step.to(
        "cmsg.pick", Reply(T("Which request is this about?"), buttons=tuple((b,) for b in buttons))
    )


async def pick_ticket_step(ctx: Ctx) -> Step:
    cuser = ctx.who.customer_user
    assert cuser is not None
    tid = int(ctx.choice) if ctx.choice and ctx.choice.isdigit() else -1
    if not await access.can_see_ticket_as_customer(ctx.session, cuser, tid):
        desk_notes.log_forged(ctx, tid)
        return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
    ticket = await ctx.session.get(Ticket, tid)
    assert ticket is not None
    return await desk_notes.relay_from_customer(
        ctx, ticket, ctx.data.get("text", ""), ctx.data.get("files", []), ctx.data.get("media", [])
    )


async def _link_by_contact(ctx: Ctx) -> Step:
    inbound = ctx.inbound
    cuser = ctx.who.customer_user
    assert cuser is not None
    # Only one's own number counts: a forwarded contact card proves nothing about the sender.
    if inbound.contact_user_id != inbound.user_id:
        return ctx.stay(Reply(T("Please share your own number with the button below.")))
    phone = normalise(inbound.contact_phone or "")
    customer, via = await identity.link_by_phone(ctx.session, cuser, phone) if phone else (None, "")
    if customer is None:
        return ctx.stay(
            Reply(
                T(
                    "We could not find your number in our records. You can still send requests; "
                    "we will link your account when we answer."
                ),
                keyboard=desk_notes.customer_menu(ctx),
            )
        )
    await runtime.audit(
        ctx.session,
        actor_kind="customer",
        actor_id=cuser.id,
        action="customer.link",
        entity="customer",
        entity_id=customer.id,
        changes={"via": "phone"},
        now=ctx.now(),
    )
    await customer_links.tell_owner_linked(ctx, customer, cuser, via)
    return ctx.stay(
        Reply(
            T("Thank you! Your account is now linked to {customer}.", customer=customer.name),
            keyboard=desk_notes.customer_menu(ctx),
        )
    )


FLOWS = [Flow("cmsg", CUSTOMER, {"pick": pick_ticket_step})]
