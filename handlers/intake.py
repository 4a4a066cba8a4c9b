"""/intake: staff register a request for a customer who phoned, walked in, wrote an e-mail or
was met on site. The one who registers it owns it (首问负责制); numbering, deadlines, the
ledger and notifications are those of Telegram requests; linked customers are told.

```mermaid
stateDiagram-v2
    [*] --> customer: /intake
    customer --> customer: a name or phone (matches listed)
    customer --> channel: a customer picked, or a new one created (duplicate check)
    channel --> kind
    kind --> category
    category --> text
    text --> extras
    extras --> confirm: Done
    confirm --> [*]: Register / Cancel
```
"""

from __future__ import annotations

from bot.types import Lines, Raw, Reply, T, Text
from crm.models import Customer, Staff, Ticket
from crm.phones import normalise
from crm.services import access, desk, intake, runtime
from crm.services import customers as customer_svc
from handlers import desk_notes, desk_sidebar
from handlers.base import STAFF, Command, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.labels import TICKET_KIND
from handlers.tickets import CATEGORY, MAX_FILES, MAX_TEXT

CHANNEL = {
    "phone": T("Phone"),
    "counter": T("Counter"),
    "email": T("E-mail"),
    "onsite": T("On site"),
}


async def start(ctx: Ctx) -> Step:
    ctx.data = {}
    return Step.to(
        "intake.customer",
        Reply(T("New request for a customer: type their name or phone number.")),
    )


async def customer_step(ctx: Ctx) -> Step:
    staff = ctx.who.staff
    assert staff is not None
    if ctx.choice == "new":
        return await _create_customer(ctx)
    if ctx.choice and ctx.choice.isdigit():
        customer = await access.visible_customer(ctx.session, staff, int(ctx.choice))
        if customer is None:
            return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
        ctx.data["customer_id"] = customer.id
        return _channel_prompt(ctx, customer)
    query, refused = typed_text(ctx, 100, T("Please type a name or a phone number."))
    if refused is not None:
        return refused
    ctx.data["query"] = query
    found = await customer_svc.search(ctx.session, staff, query, limit=6)
    buttons = [
        flow_button(
            T("{name} · {cls}", name=c.name, cls=c.customer_class), "intake.customer", str(c.id)
        )
        for c in found
    ]
    buttons.append(
        flow_button(T("➕ New customer “{name}”", name=query[:40]), "intake.customer", "new")
    )
    text = T("Which customer?") if found else T("No customer matches “{q}”.", q=query)
    return ctx.stay(Reply(text, buttons=tuple((b,) for b in buttons)))


async def _create_customer(ctx: Ctx) -> Step:
    staff = ctx.who.staff
    assert staff is not None
    query = str(ctx.data.get("query") or "").strip()
    if not query:
        return ctx.stay(Reply(T("Please type a name or a phone number.")))
    phone = normalise(query) if any(ch.isdigit() for ch in query) else None
    name = query if not phone else T("Caller {phone}", phone=phone)
    name_text = name if isinstance(name, str) else ctx.render(name)
    dupes = await customer_svc.duplicates(ctx.session, name_text, phone)
    if dupes and not ctx.data.get("dupes_shown"):
        ctx.data["dupes_shown"] = True
        buttons = [
            flow_button(Raw(c.name), "intake.customer", str(c.id))
            for c in dupes
            if await access.can_see_customer(ctx.session, staff, c.id)
        ]
        buttons.append(flow_button(T("➕ Create anyway"), "intake.customer", "new"))
        return ctx.stay(
            Reply(T("Similar customers already exist:"), buttons=tuple((b,) for b in buttons))
        )
    customer = customer_svc.new_customer(
        name_text,
        phone=phone,
        is_company=False,
        stage="lead",
        source="phone",
        team=staff.team,
        created_by=staff.id,
        created_at=ctx.now(),
        updated_at=ctx.now(),
    )
    ctx.session.add(customer)
    await ctx.session.flush()
    ctx.data["customer_id"] = customer.id
    return _channel_prompt(ctx, customer)


def _channel_prompt(ctx: Ctx, customer: Customer) -> Step:
    buttons = [flow_button(label, "intake.channel", key) for key, label in CHANNEL.items()]
    return Step.to(
        "intake.channel",
        Reply(
            T("{name}: how did the request reach you?", name=customer.name), buttons=rows(*buttons)
        ),
    )


async def channel_step(ctx: Ctx) -> Step:
    if ctx.choice not in CHANNEL:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["channel"] = ctx.choice
    kinds = [flow_button(label, "intake.kind", k) for k, label in TICKET_KIND.items()]
    return Step.to("intake.kind", Reply(T("What kind of request?"), buttons=rows(*kinds)))


async def kind_step(ctx: Ctx) -> Step:
    if ctx.choice not in TICKET_KIND:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["kind"] = ctx.choice
    cats = ctx.rules.tickets.categories[ctx.choice]
    buttons = [flow_button(CATEGORY.get(c, Raw(c)), "intake.category", c) for c in cats]
    return Step.to(
        "intake.category",
        Reply(T("{kind}: what is it about?", kind=TICKET_KIND[ctx.choice]), buttons=rows(*buttons)),
    )


async def category_step(ctx: Ctx) -> Step:
    if ctx.choice not in ctx.rules.tickets.categories[ctx.data["kind"]]:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["category"] = ctx.choice
    return Step.to("intake.text", Reply(T("What did the customer say? Type it in one message.")))


async def text_step(ctx: Ctx) -> Step:
    text, refused = typed_text(ctx, MAX_TEXT, T("Please type what the customer said."))
    if refused is not None:
        return refused
    ctx.data["text"] = text
    return Step.to(
        "intake.extras",
        Reply(
            T("Add photos or documents (e.g. the e-mail) if there are any, then tap Done."),
            buttons=((flow_button(T("Done"), "intake.extras", "done"),),),
        ),
    )


async def extras_step(ctx: Ctx) -> Step:
    if ctx.choice == "done":
        return await _confirm(ctx)
    inbound = ctx.inbound
    files: list[str] = list(ctx.data.get("files", []))
    new = list(inbound.photo_ids) + ([inbound.document_id] if inbound.document_id else [])
    if not new:
        return ctx.stay(Reply(T("Send a photo or a document, or tap Done.")))
    if len(files) + len(new) > MAX_FILES:
        return ctx.stay(Reply(T("That is enough attachments for one request ({n}).", n=MAX_FILES)))
    ctx.data["files"] = files + new
    return ctx.stay(Reply(T("Attached ({n}). More, or tap Done.", n=len(files) + len(new))))


async def _confirm(ctx: Ctx) -> Step:
    d = ctx.data
    customer = await ctx.session.get(Customer, d["customer_id"])
    assert customer is not None
    lines: list[Text] = [
        T(
            "<b>{kind}</b> · {category} · {channel}",
            kind=TICKET_KIND[d["kind"]],
            category=CATEGORY.get(d["category"], Raw(d["category"])),
            channel=CHANNEL[d["channel"]],
        ),
        T("Customer: {name}", name=customer.name),
        T("“{text}”", text=d["text"]),
    ]
    if d.get("files"):
        lines.append(T("Attachments: {n}", n=len(d["files"])))
    lines.append(T("Register it? You will be responsible for it."))
    return Step.to(
        "intake.confirm",
        Reply(
            Lines(*lines),
            buttons=(
                (
                    flow_button(T("📨 Register"), "intake.confirm", "send"),
                    flow_button(T("✖ Cancel"), "intake.confirm", "cancel"),
                ),
            ),
        ),
    )


async def confirm_step(ctx: Ctx) -> Step:
    staff = ctx.who.staff
    assert staff is not None
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was registered.")))
    if ctx.choice != "send":
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    d = ctx.data
    customer = await access.visible_customer(ctx.session, staff, d["customer_id"])
    if customer is None:
        return Step.end(Reply(T("That is not available to you. Nothing was changed.")))
    ticket = await intake.register(
        ctx.session,
        ctx.rules,
        customer,
        staff,
        kind=d["kind"],
        category=d["category"],
        channel=d["channel"],
        text=d["text"],
        attachments=d.get("files") or [],
        now=ctx.now(),
        tz=ctx.who.tz,
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="ticket.intake",
        entity="ticket",
        entity_id=ticket.id,
        changes={"kind": ticket.kind, "channel": ticket.channel},
        now=ctx.now(),
    )
    await _notify(ctx, ticket, customer, staff)
    return Step.end(
        Reply(
            Lines(
                T("Registered <b>{number}</b>; you are responsible for it.", number=ticket.number),
                T("First answer due {when}.", when=ticket.first_response_due),
                T("Resolution due {when}.", when=ticket.resolution_due),
            ),
            buttons=desk_notes.staff_buttons(ticket),
        )
    )


async def _notify(ctx: Ctx, ticket: Ticket, customer: Customer, staff: Staff) -> None:
    note = Reply(
        Lines(
            T(
                "🆕 {kind} {number} from {who}, registered by {name} ({channel})",
                kind=TICKET_KIND[ticket.kind],
                number=ticket.number,
                who=T("customer {name}", name=customer.name),
                name=staff.name,
                channel=CHANNEL[ticket.channel],
            ),
            T("“{text}”", text=ticket.text[:300]),
            T("First answer due {when}.", when=ticket.first_response_due),
            *await desk_sidebar.lines(ctx, ticket),
        ),
        buttons=((desk_notes.staff_buttons(ticket)[-1]),),
    )
    people: dict[int, Staff] = {a.id: a for a in await desk.queue_agents(ctx.session)}
    rep = await ctx.session.get(Staff, customer.owner_id) if customer.owner_id else None
    if rep is not None:
        people[rep.id] = rep
    people.pop(staff.id, None)
    for person in people.values():
        await ctx.notify.to_staff(
            person, note, dedupe_key=f"ticket-new:{ticket.id}:{person.id}", priority=2
        )
    await desk_notes.tell_customer(
        ctx,
        ticket,
        Reply(
            Lines(
                T(
                    "We have registered your {kind} as <b>{number}</b>.",
                    kind=TICKET_KIND[ticket.kind],
                    number=ticket.number,
                ),
                T("We will answer by {when}.", when=ticket.first_response_due),
            )
        ),
        key="intake",
    )


COMMANDS = [
    Command(
        "intake",
        STAFF,
        start,
        T("register a request a customer made by phone, in person or by e-mail"),
    )
]
FLOWS = [
    Flow(
        "intake",
        STAFF,
        {
            "customer": customer_step,
            "channel": channel_step,
            "kind": kind_step,
            "category": category_step,
            "text": text_step,
            "extras": extras_step,
            "confirm": confirm_step,
        },
    )
]
