"""What a customer sends outside any flow: a shared phone number links them to their record;
words, photos, documents and a location always land on a request.

- one open request: added to it (with "✉️ It's a new request" to take it back out);
- several: the words are kept while the customer picks, and land on the one picked; more words
  typed meanwhile are added to them;
- a Telegram reply to a message about a request: that request;
- none: a new request is started with the words already in it.

Diagram: docs/flows/cmsg.md (generated from FLOWS).
"""

from __future__ import annotations

import re

from bot.types import Reply, T, Text
from crm.limits import parse_id
from crm.models import Ticket
from crm.phones import normalise
from crm.services import access, desk, identity, records, runtime
from handlers import customer_links, desk_media, desk_notes, tickets
from handlers.base import CUSTOMER, Action, Ctx, Step, excerpt, flow_button
from handlers.conversation import Draft, Flow, Input, State, States
from handlers.labels import TICKET_KIND, label
from handlers.refusals import DENIED, STALE
from handlers.tickets import MAX_TEXT

_NUMBER = re.compile(r"T-\d{4}-\d{6}")


class CmsgStep(States, flow="cmsg"):
    PICK = "pick"


class CmsgDraft(Draft):
    text: str = ""
    files: list[str] = []
    # The files and pin as JSON (handlers.desk_media), relayed as they were sent.
    media: list[dict] = []


def _landing(ctx: Ctx) -> tuple[str, list[str], list[dict]]:
    """The words, file ids and media (files and a pin) of the customer's message."""
    media = desk_media.from_inbound(ctx.inbound)
    return (ctx.inbound.text or "").strip(), desk_media.file_ids(media), media


async def customer_fallback(ctx: Ctx) -> Step:
    """A customer's message outside a flow: a shared phone links them; the rest lands."""
    inbound = ctx.inbound
    cuser = ctx.who.customer_user
    assert cuser is not None
    if inbound.contact_phone is not None:
        return await _link_by_contact(ctx)
    text, files, media = _landing(ctx)
    if not text and not media:
        return ctx.stay(Reply(T("Please write in words, or send a new request with /new.")))
    if len(text) > MAX_TEXT:
        return ctx.stay(
            Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
        )
    open_tickets = await desk.open_for_customer(ctx.session, cuser)
    replied = _replied_ticket(ctx, open_tickets)
    if replied is not None:
        return await desk_notes.relay_from_customer(ctx, replied, text, files, media)
    if not open_tickets:
        step = tickets.begin_with(ctx, text, files, media)
        step.replies.insert(0, Reply(T("Let's make this a request; your words are kept.")))
        return step
    if len(open_tickets) == 1:
        return await desk_notes.relay_from_customer(ctx, open_tickets[0], text, files, media)
    ctx.data = CmsgDraft(text=text, files=files, media=media)
    return Step.go(CmsgStep.PICK)


def _replied_ticket(ctx: Ctx, open_tickets: list[Ticket]) -> Ticket | None:
    """The request named in the message the customer replied to (Telegram's reply)."""
    quoted = ctx.inbound.reply_to_text or ""
    numbers = set(_NUMBER.findall(quoted))
    found = [t for t in open_tickets if t.number in numbers]
    return found[0] if len(found) == 1 else None


async def _pick_prompt(ctx: Ctx) -> Reply:
    cuser = ctx.who.customer_user
    assert cuser is not None
    open_tickets = await desk.open_for_customer(ctx.session, cuser)
    buttons = [
        flow_button(
            T("{number} · {kind}", number=t.number, kind=label(TICKET_KIND, t.kind)),
            CmsgStep.PICK,
            str(t.id),
        )
        for t in open_tickets[:8]
    ]
    buttons.append(flow_button(T("✉️ A new request"), CmsgStep.PICK, "new"))
    return Reply(
        T("Which request is this about? Your message is kept until you choose."),
        buttons=tuple((b,) for b in buttons),
    )


async def pick_ticket_step(ctx: Ctx) -> Step:
    cuser = ctx.who.customer_user
    assert cuser is not None
    d: CmsgDraft = ctx.data
    if ctx.choice is None:
        # More words while choosing: kept with the first ones, still waiting for the choice.
        text, files, media = _landing(ctx)
        joined = f"{d.text}\n{text}".strip() if text else d.text
        if len(joined) > MAX_TEXT:
            return ctx.stay(
                Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
            )
        d.text, d.files, d.media = joined, (d.files + files)[:10], (d.media + media)[:10]
        return Step.go(CmsgStep.PICK)
    if ctx.choice == "new":
        return tickets.begin_with(ctx, d.text, d.files, d.media)
    tid = parse_id(ctx.choice) or -1
    if not await access.can_see_ticket_as_customer(ctx.session, cuser, tid):
        desk_notes.log_forged(ctx, tid)
        return ctx.stay(Reply(DENIED, notice="alert"))
    ticket = await records.ticket(ctx.session, tid)
    assert ticket is not None
    return await desk_notes.relay_from_customer(ctx, ticket, d.text, d.files, d.media)


async def as_new_request(ctx: Ctx) -> Step:
    """"It's a new request": the words just added to a request become a new request's draft."""
    assert ctx.obj_id is not None
    msg = await desk.withdraw_message(ctx.session, ctx.obj_id)
    if msg is None:
        return ctx.stay(Reply(STALE, notice="toast"))
    text, files, media = msg.text or "", list(msg.attachments or []), list(msg.media or [])
    return tickets.begin_with(ctx, text, files, media)


async def authorise_own_message(ctx: Ctx, message_id: int) -> bool:
    """The customer's own message on one of their open requests, and nobody else's."""
    cuser = ctx.who.customer_user
    if cuser is None:
        return False
    ok = await access.is_own_message(ctx.session, cuser, message_id)
    if not ok:
        desk_notes.log_forged(ctx, message_id)
    return ok


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


def _title(d: CmsgDraft) -> Text:
    return T("Message “{text}”", text=excerpt(d.text))


FLOWS = [
    Flow(
        CmsgStep,
        CUSTOMER,
        {
            CmsgStep.PICK: State(
                pick_ticket_step,
                _pick_prompt,
                accepts=frozenset(
                    {Input.TEXT, Input.BUTTON, Input.PHOTO, Input.DOCUMENT, Input.LOCATION}
                ),
            )
        },
        CmsgDraft,
        _title,
        entries=(("words outside a flow, several open requests", CmsgStep.PICK),),
    )
]
ACTIONS = [Action("cm_new", CUSTOMER, as_new_request, obj_kind="own_message")]
AUTHORISERS = {"own_message": authorise_own_message}
