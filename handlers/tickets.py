"""Customers' requests: submitting, following, answering, rating and reopening them.

```mermaid
stateDiagram-v2
    [*] --> kind: /new
    kind --> category
    category --> text
    text --> extras: text
    extras --> confirm: Done / Skip (photos, documents, a location on the way)
    confirm --> [*]: Send / Cancel
    text --> category: Back
    [*] --> comment: rated after a resolution
    comment --> [*]: comment / Skip
```
"""

from __future__ import annotations

from datetime import timedelta

from bot.types import TN, Button, KeyButton, Lines, Raw, Reply, T, Text
from crm.enums import TicketKind, TicketStatus
from crm.models import Ticket
from crm.phones import normalise
from crm.services import access, desk, runtime
from crm.services import tickets as svc
from crm.services.customers import new_customer
from handlers import desk_notes
from handlers.base import CUSTOMER, Action, Command, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.labels import TICKET_KIND, TICKET_STATUS, label

MAX_TEXT = 4000
MAX_FILES = 10

CATEGORY = {
    "billing": T("Billing"),
    "tariff": T("Tariffs and prices"),
    "outage": T("Outage"),
    "quality": T("Power quality"),
    "service": T("Service"),
    "safety": T("Safety"),
    "environment": T("Environment"),
    "product": T("Product"),
    "no_power": T("No power"),
    "voltage": T("Voltage problem"),
    "meter": T("Meter"),
    "line_damage": T("Damaged line"),
    "account_change": T("Account change"),
    "new_connection": T("New connection"),
    "refund": T("Refund"),
    "other": T("Other"),
}


def share_phone_key() -> KeyButton:
    return KeyButton(T("📱 Share my phone number"), request_contact=True)


async def start(ctx: Ctx) -> Step:
    ctx.data = {}
    return _kind_prompt()


def _kind_prompt() -> Step:
    kinds = [flow_button(TICKET_KIND[k], "ticket.kind", k) for k in TicketKind]
    return Step.to("ticket.kind", Reply(T("What would you like to send us?"), buttons=rows(*kinds)))


async def kind_step(ctx: Ctx) -> Step:
    if ctx.choice not in set(TicketKind):
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["kind"] = ctx.choice
    return _category_prompt(ctx)


def _category_prompt(ctx: Ctx) -> Step:
    cats = ctx.rules.tickets.categories[ctx.data["kind"]]
    buttons = [flow_button(CATEGORY.get(c, Raw(c)), "ticket.category", c) for c in cats]
    buttons.append(flow_button(T("⬅ Back"), "ticket.category", "back"))
    return Step.to(
        "ticket.category",
        Reply(
            T("{kind}: what is it about?", kind=TICKET_KIND[ctx.data["kind"]]),
            buttons=rows(*buttons),
        ),
    )


async def category_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _kind_prompt()
    if ctx.choice not in ctx.rules.tickets.categories[ctx.data["kind"]]:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["category"] = ctx.choice
    return Step.to(
        "ticket.text",
        Reply(
            T("{kind}: please describe it in one message.", kind=TICKET_KIND[ctx.data["kind"]]),
            buttons=((flow_button(T("⬅ Back"), "ticket.text", "back"),),),
        ),
    )


async def text_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _category_prompt(ctx)
    text, refused = typed_text(
        ctx, MAX_TEXT, T("Please describe it in words; you can add photos next.")
    )
    if refused is not None:
        return refused
    ctx.data["text"] = text
    return Step.to("ticket.extras", _extras_prompt())


def _extras_prompt() -> Reply:
    return Reply(
        T("Add photos, documents or the fault's location if they help, then tap Done."),
        buttons=((flow_button(T("Done"), "ticket.extras", "done"),),),
        keyboard=((KeyButton(T("📍 Send the location"), request_location=True),),),
    )


async def extras_step(ctx: Ctx) -> Step:
    inbound = ctx.inbound
    files: list[str] = list(ctx.data.get("files", []))
    if ctx.choice == "done":
        return _confirm(ctx)
    if inbound.location is not None:
        ctx.data["lat"], ctx.data["lon"] = inbound.location.lat, inbound.location.lon
        return ctx.stay(Reply(T("📍 Location added. More, or tap Done.")))
    new_files = list(inbound.photo_ids) + ([inbound.document_id] if inbound.document_id else [])
    if new_files:
        if len(files) + len(new_files) > MAX_FILES:
            return ctx.stay(
                Reply(T("That is enough attachments for one request ({n}).", n=MAX_FILES))
            )
        ctx.data["files"] = files + new_files
        return ctx.stay(
            Reply(T("Attached ({n}). More, or tap Done.", n=len(files) + len(new_files)))
        )
    return ctx.stay(Reply(T("Send a photo, a document or a location, or tap Done.")))


def _confirm(ctx: Ctx) -> Step:
    d = ctx.data
    lines: list[Text] = [
        T(
            "<b>{kind}</b> · {category}",
            kind=TICKET_KIND[d["kind"]],
            category=CATEGORY.get(d["category"], Raw(d["category"])),
        ),
        T("“{text}”", text=d["text"]),
    ]
    if d.get("files"):
        lines.append(T("Attachments: {n}", n=len(d["files"])))
    if d.get("lat") is not None:
        lines.append(T("📍 With a location"))
    lines.append(T("Send this to us?"))
    return Step.to(
        "ticket.confirm",
        Reply(
            Lines(*lines),
            buttons=(
                (
                    flow_button(T("📨 Send"), "ticket.confirm", "send"),
                    flow_button(T("✖ Cancel"), "ticket.confirm", "cancel"),
                ),
            ),
            keyboard=desk_notes.customer_menu(ctx),
        ),
    )


async def confirm_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was sent.")))
    if ctx.choice != "send":
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    cuser = ctx.who.customer_user
    assert cuser is not None
    limits = ctx.rules.rate_limits
    since = ctx.now() - timedelta(minutes=limits.ticket_window_minutes)
    if await svc.recent_count(ctx.session, cuser, since) >= limits.tickets_per_window:
        return ctx.stay(
            Reply(
                TN(
                    "You have sent several requests in the last minute. "
                    "Please wait a little before sending another; we are working on them.",
                    "You have sent several requests in the last {n} minutes. "
                    "Please wait a little before sending another; we are working on them.",
                    limits.ticket_window_minutes,
                )
            )
        )
    if cuser.customer_id is None:
        # An unknown sender becomes a lead in the team pool: triage decides who takes it on.
        lead = new_customer(
            cuser.name or ctx.inbound.first_name or f"Telegram {cuser.tg_user_id}",
            is_company=False,
            stage="lead",
            source="web",
            created_at=ctx.now(),
            updated_at=ctx.now(),
        )
        ctx.session.add(lead)
        await ctx.session.flush()
        cuser.customer_id = lead.id
    d = ctx.data
    ticket = await svc.create(
        ctx.session,
        ctx.rules,
        cuser,
        kind=d["kind"],
        text=d["text"],
        now=ctx.now(),
        attachments=d.get("files"),
        tz=ctx.who.tz,
    )
    ticket.category = d["category"]
    ticket.lat, ticket.lon = d.get("lat"), d.get("lon")
    await runtime.audit(
        ctx.session,
        actor_kind="customer",
        actor_id=cuser.id,
        action="ticket.create",
        entity="ticket",
        entity_id=ticket.id,
        changes={"kind": ticket.kind},
        now=ctx.now(),
    )
    await desk_notes.tell_staff_new(ctx, ticket)
    return Step.end(
        Reply(
            Lines(
                T("Thank you. Your request number is <b>{number}</b>.", number=ticket.number),
                T("We will answer by {when}.", when=ticket.first_response_due),
            ),
            keyboard=desk_notes.customer_menu(ctx),
        )
    )


async def my_tickets(ctx: Ctx) -> Step:
    assert ctx.who.customer_user is not None
    found = await svc.for_customer_user(ctx.session, ctx.who.customer_user)
    if not found:
        return ctx.stay(Reply(T("You have no requests yet. Send one with /new.")))
    buttons = [
        Button(
            T(
                "{number} · {kind} · {status}",
                number=t.number,
                kind=label(TICKET_KIND, t.kind),
                status=label(TICKET_STATUS, t.status),
            ),
            f"mytk:{t.id}",
        )
        for t in found
    ]
    return ctx.stay(Reply(T("<b>Your requests</b>"), buttons=tuple((b,) for b in buttons)))


async def my_ticket(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    t = await ctx.session.get(Ticket, ctx.obj_id)
    if t is None:
        return ctx.stay(Reply(T("This request no longer exists.")))
    lines: list[Text] = [
        T(
            "<b>{number}</b> · {kind} · {status}",
            number=t.number,
            kind=label(TICKET_KIND, t.kind),
            status=label(TICKET_STATUS, t.status),
        ),
        T("Received {when}.", when=t.created_at),
    ]
    for m in await desk.thread(ctx.session, t.id):
        who = T("You") if m.author_kind == "customer" else T("Us")
        if m.text and m.author_kind != "system":
            lines.append(T("{who}: {text}", who=who, text=m.text[:300]))
    if t.resolution_note:
        lines.append(T("Result: {note}", note=t.resolution_note))
    buttons: list[Button] = []
    if desk.can_reopen(t, ctx.now(), ctx.rules.tickets.reopen_days):
        buttons.append(Button(T("↩️ Reopen"), f"reopen:{t.id}"))
    return ctx.stay(Reply(Lines(*lines), buttons=rows(*buttons)))


async def customer_fallback(ctx: Ctx) -> Step:
    """A customer's message outside a flow: a shared phone links them; text goes to their ticket."""
    inbound = ctx.inbound
    cuser = ctx.who.customer_user
    assert cuser is not None
    if inbound.contact_phone is not None:
        return await _link_by_contact(ctx)
    text = (inbound.text or "").strip()
    files = list(inbound.photo_ids) + ([inbound.document_id] if inbound.document_id else [])
    if not text and not files:
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
    ctx.data = {"text": text, "files": files}
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
        ctx, ticket, ctx.data.get("text", ""), ctx.data.get("files", [])
    )


async def _link_by_contact(ctx: Ctx) -> Step:
    inbound = ctx.inbound
    cuser = ctx.who.customer_user
    assert cuser is not None
    # Only one's own number counts: a forwarded contact card proves nothing about the sender.
    if inbound.contact_user_id != inbound.user_id:
        return ctx.stay(Reply(T("Please share your own number with the button below.")))
    phone = normalise(inbound.contact_phone or "")
    customer = await desk.link_by_phone(ctx.session, cuser, phone) if phone else None
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
    return ctx.stay(
        Reply(
            T("Thank you! Your account is now linked to {customer}.", customer=customer.name),
            keyboard=desk_notes.customer_menu(ctx),
        )
    )


async def rate(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None and ctx.who.customer_user is not None
    t = await ctx.session.get(Ticket, ctx.obj_id)
    score = int(ctx.choice) if ctx.choice and ctx.choice.isdigit() else 0
    if t is None or not 1 <= score <= 5:
        return ctx.stay(Reply(T("This button is no longer valid. Nothing was changed.")))
    if t.status != TicketStatus.RESOLVED or t.rating is not None:
        return ctx.stay(Reply(T("This request has already been rated. Thank you!")))
    t.rating, t.rated_at = score, ctx.now()
    t.status = TicketStatus.CLOSED
    await runtime.audit(
        ctx.session,
        actor_kind="customer",
        actor_id=ctx.who.customer_user.id,
        action="ticket.rate",
        entity="ticket",
        entity_id=t.id,
        changes={"rating": score},
        now=ctx.now(),
    )
    if score <= ctx.rules.tickets.low_rating:
        await desk_notes.low_rating(ctx, t)
    ctx.data = {"ticket_id": t.id}
    return Step.to(
        "rate.comment",
        Reply(
            T(
                "Thank you for rating {number}: {stars}. Anything you want to add?",
                number=t.number,
                stars="★" * score + "☆" * (5 - score),
            ),
            buttons=((flow_button(T("No, thanks"), "rate.comment", "skip"),),),
        ),
    )


async def comment_step(ctx: Ctx) -> Step:
    if ctx.choice == "skip":
        return Step.end(Reply(T("Thank you!"), keyboard=desk_notes.customer_menu(ctx)))
    text, refused = typed_text(ctx, 1000, T("Please write your comment, or tap “No, thanks”."))
    if refused is not None:
        return refused
    t = await ctx.session.get(Ticket, ctx.data["ticket_id"])
    if t is not None:
        t.rating_comment = text
    return Step.end(
        Reply(T("Thank you! We have passed it on."), keyboard=desk_notes.customer_menu(ctx))
    )


async def reopen(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    t = await ctx.session.get(Ticket, ctx.obj_id)
    if t is None or not desk.can_reopen(t, ctx.now(), ctx.rules.tickets.reopen_days):
        return ctx.stay(
            Reply(T("This request can no longer be reopened; please send a new one with /new."))
        )
    desk.reopen(t, ctx.now())
    await desk.add_message(
        ctx.session, t, author_kind="system", author_id=None, text="reopened", now=ctx.now()
    )
    await desk_notes.tell_owner_reopened(ctx, t)
    return ctx.stay(Reply(T("{number} is open again; we will get back to you.", number=t.number)))


async def authorise_my_ticket(ctx: Ctx, ticket_id: int) -> bool:
    cuser = ctx.who.customer_user
    ok = cuser is not None and await access.can_see_ticket_as_customer(
        ctx.session, cuser, ticket_id
    )
    if not ok:
        desk_notes.log_forged(ctx, ticket_id)
    return ok


COMMANDS = [
    Command(
        "new",
        CUSTOMER,
        start,
        T("send an inquiry, complaint, suggestion or fault report"),
        menu_label=T("✉️ New request"),
    ),
    Command(
        "my",
        CUSTOMER,
        my_tickets,
        T("your requests and their status"),
        menu_label=T("📂 My requests"),
    ),
]
ACTIONS = [
    Action("mytk", CUSTOMER, my_ticket, obj_kind="my_ticket"),
    Action("rate", CUSTOMER, rate, obj_kind="my_ticket"),
    Action("reopen", CUSTOMER, reopen, obj_kind="my_ticket"),
]
FLOWS = [
    Flow(
        "ticket",
        CUSTOMER,
        {
            "kind": kind_step,
            "category": category_step,
            "text": text_step,
            "extras": extras_step,
            "confirm": confirm_step,
        },
    ),
    Flow("cmsg", CUSTOMER, {"pick": pick_ticket_step}),
    Flow("rate", CUSTOMER, {"comment": comment_step}),
]
AUTHORISERS = {"my_ticket": authorise_my_ticket}
