"""/intake: staff register a request for a customer who phoned, walked in, wrote an e-mail or
was met on site. The one who registers it owns it (首问负责制); numbering, deadlines, the
ledger and notifications are those of Telegram requests; linked customers are told.

Diagram: docs/flows/intake.md (generated from FLOWS).
"""

from __future__ import annotations

from bot.types import Lines, Raw, Reply, T, Text
from crm.limits import parse_id
from crm.phones import normalise
from crm.services import access, intake, records, runtime
from crm.services import customers as customer_svc
from handlers import desk_notes, intake_notices
from handlers.base import STAFF, Command, StaffCtx, Step, excerpt, flow_button, rows, typed_text
from handlers.conversation import Draft, Flow, Input, State, States
from handlers.conversation.flow import BUTTONS
from handlers.intake_notices import CHANNEL
from handlers.labels import TICKET_KIND
from handlers.refusals import CHOOSE, DENIED, GONE_CUSTOMER
from handlers.tickets import CATEGORY, MAX_FILES, MAX_TEXT


class IntakeStep(States, flow="intake"):
    CUSTOMER = "customer"
    CHANNEL = "channel"
    KIND = "kind"
    CATEGORY = "category"
    TEXT = "text"
    EXTRAS = "extras"
    CONFIRM = "confirm"


class IntakeDraft(Draft):
    # What was typed to find the customer: the name of a new one, if it comes to that.
    query: str | None = None
    # The similar customers were shown once; "Create anyway" then creates.
    dupes_shown: bool = False
    customer_id: int | None = None
    customer_name: str | None = None
    channel: str | None = None
    kind: str | None = None
    category: str | None = None
    text: str | None = None
    files: list[str] = []


def _short(text: str | None) -> str:
    text = text or ""
    return excerpt(text, 60)


def _title(d: IntakeDraft) -> Text:
    if d.customer_name and d.text:
        return T("Request from {customer}: “{text}”", customer=d.customer_name, text=_short(d.text))
    if d.customer_name:
        return T("Request from {customer}", customer=d.customer_name)
    return T("New request for a customer")


def _back(state: IntakeStep) -> tuple:
    return (flow_button(T("⬅ Back"), state, "back"),)


async def start(ctx: StaffCtx) -> Step:
    ctx.data = IntakeDraft()
    return Step.go(IntakeStep.CUSTOMER)


def _customer_prompt(ctx: StaffCtx) -> Reply:
    return Reply(T("New request for a customer: type their name or phone number."))


async def customer_step(ctx: StaffCtx) -> Step:
    staff = ctx.me
    d: IntakeDraft = ctx.data
    if ctx.choice == "new":
        return await _create_customer(ctx)
    if ctx.choice is not None:
        customer = await access.visible_customer(ctx.session, staff, parse_id(ctx.choice) or -1)
        if customer is None:
            return ctx.stay(Reply(DENIED, notice="alert"))
        d.customer_id, d.customer_name = customer.id, customer.name
        return Step.go(IntakeStep.CHANNEL)
    query, refused = typed_text(ctx, 100, T("Please type a name or a phone number."))
    if refused is not None:
        return refused
    d.query, d.dupes_shown = query, False
    found = await customer_svc.search(ctx.session, staff, query, limit=6)
    buttons = [
        flow_button(
            T("{name} · {cls}", name=c.name, cls=c.customer_class), IntakeStep.CUSTOMER, str(c.id)
        )
        for c in found
    ]
    buttons.append(
        flow_button(T("➕ New customer “{name}”", name=query[:40]), IntakeStep.CUSTOMER, "new")
    )
    text = T("Which customer?") if found else T("No customer matches “{q}”.", q=query)
    return ctx.stay(Reply(text, buttons=tuple((b,) for b in buttons)))


async def _create_customer(ctx: StaffCtx) -> Step:
    staff = ctx.me
    d: IntakeDraft = ctx.data
    query = (d.query or "").strip()
    if not query:
        return ctx.stay(Reply(T("Please type a name or a phone number.")))
    phone = normalise(query) if any(ch.isdigit() for ch in query) else None
    name = query if not phone else T("Caller {phone}", phone=phone)
    name_text = name if isinstance(name, str) else ctx.render(name)
    dupes = await customer_svc.duplicates(ctx.session, name_text, phone)
    if dupes and not d.dupes_shown:
        d.dupes_shown = True
        buttons = [
            flow_button(Raw(c.name), IntakeStep.CUSTOMER, str(c.id))
            for c in dupes
            if await access.can_see_customer(ctx.session, staff, c.id)
        ]
        buttons.append(flow_button(T("➕ Create anyway"), IntakeStep.CUSTOMER, "new"))
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
    await records.save(ctx.session, customer)
    d.customer_id, d.customer_name = customer.id, customer.name
    return Step.go(IntakeStep.CHANNEL)


def _channel_prompt(ctx: StaffCtx) -> Reply:
    buttons = [flow_button(label, IntakeStep.CHANNEL, key) for key, label in CHANNEL.items()]
    return Reply(
        T("{name}: how did the request reach you?", name=ctx.data.customer_name or ""),
        buttons=(*rows(*buttons), _back(IntakeStep.CHANNEL)),
    )


async def channel_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in CHANNEL:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.channel = ctx.choice
    return Step.go(IntakeStep.KIND)


def _kind_prompt(ctx: StaffCtx) -> Reply:
    kinds = [flow_button(label, IntakeStep.KIND, k) for k, label in TICKET_KIND.items()]
    return Reply(T("What kind of request?"), buttons=(*rows(*kinds), _back(IntakeStep.KIND)))


async def kind_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in TICKET_KIND:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.kind, ctx.data.category = ctx.choice, None
    return Step.go(IntakeStep.CATEGORY)


def _category_prompt(ctx: StaffCtx) -> Reply:
    kind = ctx.data.kind or "inquiry"
    cats = ctx.rules.tickets.categories[kind]
    buttons = [flow_button(CATEGORY.get(c, Raw(c)), IntakeStep.CATEGORY, c) for c in cats]
    return Reply(
        T("{kind}: what is it about?", kind=TICKET_KIND[kind]),
        buttons=(*rows(*buttons), _back(IntakeStep.CATEGORY)),
    )


async def category_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in ctx.rules.tickets.categories[ctx.data.kind]:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.category = ctx.choice
    return Step.go(IntakeStep.TEXT)


def _text_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("What did the customer say? Type it in one message."),
        buttons=(_back(IntakeStep.TEXT),),
    )


async def text_step(ctx: StaffCtx) -> Step:
    text, refused = typed_text(ctx, MAX_TEXT, T("Please type what the customer said."))
    if refused is not None:
        return refused
    ctx.data.text = text
    return Step.go(IntakeStep.EXTRAS)


def _extras_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("Add photos or documents (e.g. the e-mail) if there are any, then tap Done."),
        buttons=((flow_button(T("Done"), IntakeStep.EXTRAS, "done"),),),
    )


async def extras_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "done":
        return Step.go(IntakeStep.CONFIRM)
    if ctx.choice is not None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    d: IntakeDraft = ctx.data
    inbound = ctx.inbound
    new = list(inbound.photo_ids) + ([inbound.document_id] if inbound.document_id else [])
    text = (inbound.text or "").strip()
    joined = f"{d.text}\n{text}" if d.text and text else (text or d.text)
    if text and len(joined or "") > MAX_TEXT:
        return ctx.stay(
            Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
        )
    if len(d.files) + len(new) > MAX_FILES:
        return ctx.stay(Reply(T("That is enough attachments for one request ({n}).", n=MAX_FILES)))
    # More words (alone or as a caption) belong to what the customer said: kept, never dropped.
    d.text = joined
    if not new:
        return ctx.stay(Reply(T("Added to the request. More, or tap Done.")))
    d.files = d.files + new
    return ctx.stay(Reply(T("Attached ({n}). More, or tap Done.", n=len(d.files))))


async def _confirm_prompt(ctx: StaffCtx) -> Reply:
    d: IntakeDraft = ctx.data
    customer = await records.customer(ctx.session, d.customer_id or -1)
    kind, category = d.kind or "inquiry", d.category or ""
    lines: list[Text] = [
        T(
            "<b>{kind}</b> · {category} · {channel}",
            kind=TICKET_KIND[kind],
            category=CATEGORY.get(category, Raw(category)),
            channel=CHANNEL.get(d.channel or "", Raw(d.channel or "")),
        ),
        T("Customer: {name}", name=customer.name if customer else d.customer_name or ""),
        T("“{text}”", text=d.text or ""),
    ]
    if d.files:
        lines.append(T("Attachments: {n}", n=len(d.files)))
    lines.append(T("Register it? You will be responsible for it."))
    return Reply(
        Lines(*lines),
        buttons=(
            (
                flow_button(T("📨 Register"), IntakeStep.CONFIRM, "send"),
                flow_button(T("✖ Cancel"), IntakeStep.CONFIRM, "cancel"),
            ),
        ),
    )


async def confirm_step(ctx: StaffCtx) -> Step:
    staff = ctx.me
    if ctx.choice != "send":
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    d: IntakeDraft = ctx.data
    customer = await access.visible_customer(ctx.session, staff, d.customer_id or -1)
    if customer is None:
        return Step.end(Reply(GONE_CUSTOMER))
    assert d.kind is not None and d.category is not None and d.channel is not None
    ticket = await intake.register(
        ctx.session,
        ctx.rules,
        customer,
        staff,
        kind=d.kind,
        category=d.category,
        channel=d.channel,
        text=d.text or "",
        attachments=d.files,
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
    await intake_notices.tell(ctx, ticket, customer, staff)
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
        IntakeStep,
        STAFF,
        {
            IntakeStep.CUSTOMER: State(
                customer_step, _customer_prompt, to=(IntakeStep.CHANNEL,), ends=False
            ),
            IntakeStep.CHANNEL: State(
                channel_step,
                _channel_prompt,
                accepts=BUTTONS,
                to=(IntakeStep.KIND,),
                back=IntakeStep.CUSTOMER,
                ends=False,
            ),
            IntakeStep.KIND: State(
                kind_step,
                _kind_prompt,
                accepts=BUTTONS,
                to=(IntakeStep.CATEGORY,),
                back=IntakeStep.CHANNEL,
                ends=False,
            ),
            IntakeStep.CATEGORY: State(
                category_step,
                _category_prompt,
                accepts=BUTTONS,
                to=(IntakeStep.TEXT,),
                back=IntakeStep.KIND,
                ends=False,
            ),
            IntakeStep.TEXT: State(
                text_step,
                _text_prompt,
                to=(IntakeStep.EXTRAS,),
                back=IntakeStep.CATEGORY,
                ends=False,
            ),
            IntakeStep.EXTRAS: State(
                extras_step,
                _extras_prompt,
                accepts=frozenset({Input.TEXT, Input.BUTTON, Input.PHOTO, Input.DOCUMENT}),
                to=(IntakeStep.CONFIRM,),
                ends=False,
            ),
            IntakeStep.CONFIRM: State(confirm_step, _confirm_prompt, accepts=BUTTONS),
        },
        IntakeDraft,
        _title,
        entries=(("/intake", IntakeStep.CUSTOMER),),
    )
]
