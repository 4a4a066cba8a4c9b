"""Finding a customer and showing the card a rep reads before walking in."""

from __future__ import annotations

from bot.types import Button, Lines, Raw, Reply, T, Text
from bot.views import deals as deals_view
from crm.enums import Role
from crm.models import Customer
from crm.services import access, invites, records
from crm.services import customers as svc
from handlers import customer_details, customer_filter_view
from handlers.base import LEADS, STAFF, Action, Command, StaffCtx, Step, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import short_answer
from handlers.labels import CHANGE_FIELD, CONTACT_ROLE, STAGE, TICKET_KIND, VISIT_KIND, label
from handlers.refusals import NO_CUSTOMER

MAX_QUERY = 100


def result_buttons(found: list[Customer], action: str = "card") -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (Button(Raw(f"{c.name} · {c.customer_class}"), f"{action}:{c.id}"),) for c in found
    )


class FindStep(States, flow="find"):
    QUERY = "query"


class FindDraft(Draft):
    SCAFFOLD = frozenset({"recent"})

    # Recent customers offered as buttons: (id, label).
    recent: list[tuple[int, str]] = []


async def find_command(ctx: StaffCtx) -> Step:
    if ctx.inbound.args:
        return await _search(ctx, ctx.inbound.args)
    recent = await svc.recent_for(ctx.session, ctx.me)
    ctx.data = FindDraft(recent=[(c.id, f"{c.name} · {c.customer_class}") for c in recent])
    return Step.go(FindStep.QUERY)


def _query_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("Type a name, a phone number or pinyin initials (e.g. hndc for 华能电厂)."),
        buttons=tuple((Button(Raw(label), f"card:{cid}"),) for cid, label in ctx.data.recent),
    )


async def query_step(ctx: StaffCtx) -> Step:
    text = (ctx.inbound.text or "").strip()
    if not text:
        return ctx.stay(Reply(T("Please type some text to search for.")))
    return await _search(ctx, text)


async def _search(ctx: StaffCtx, text: str) -> Step:
    if len(text) > MAX_QUERY:
        return ctx.stay(Reply(T("That is too long to search for; please type a shorter name.")))
    filtered = await customer_filter_view.try_filters(ctx, text)
    if filtered is not None:
        return filtered
    found = await svc.search(ctx.session, ctx.me, text)
    if not found:
        if not isinstance(ctx.data, FindDraft):
            ctx.data = FindDraft()
        return Step.to(
            FindStep.QUERY,
            Reply(T("No customer matches “{query}”. Try another spelling.", query=text)),
        )
    return Step.end(
        Reply(T("Customers matching “{query}”:", query=text), buttons=result_buttons(found))
    )


def event_line(e: svc.Event) -> Text:
    if e.kind == "visit":
        return T(
            "📝 {when} {kind}: {text}", when=e.at, kind=label(VISIT_KIND, e.extra), text=e.text
        )
    if e.kind == "followup":
        return T("⏰ {when} follow-up: {text}", when=e.at, text=e.text)
    if e.kind == "change":
        value = label(STAGE, e.text) if e.extra == "stage" else Raw(e.text)
        return T(
            "🔀 {when} {field} → {value}",
            when=e.at,
            field=label(CHANGE_FIELD, e.extra),
            value=value,
        )
    return T("✉️ {when} {kind} {number}", when=e.at, kind=label(TICKET_KIND, e.extra), number=e.text)


def card_text(card: svc.Card, events: list[svc.Event]) -> Text:
    c = card.customer
    lines: list[Text] = [
        *customer_details.warnings(c),
        T("<b>{name}</b> · Class {cls}", name=c.name, cls=c.customer_class),
        T("Stage: {stage}", stage=label(STAGE, c.stage)),
        T("Owner: {owner}", owner=card.owner.name if card.owner else T("team pool")),
        *customer_details.details(c),
    ]
    if c.claim_expires_at is not None:
        lines.append(T("Claim expires: {when}", when=c.claim_expires_at))
    if c.phone:
        lines.append(T("Phone: {phone}", phone=c.phone))
    if c.address:
        lines.append(T("Address: {address}", address=c.address))
    lines.append(
        T("Last visit: {when}", when=card.last_visit.visited_at)
        if card.last_visit
        else T("Last visit: none yet")
    )
    if card.next_followup:
        lines.append(
            T(
                "Next follow-up: {when} — {note}",
                when=card.next_followup.due_at,
                note=card.next_followup.note or "",
            )
        )
    lines.append(T("Open requests: {n}", n=card.open_tickets))
    for contact in card.contacts:
        lines.append(
            T("• {name} ({role})", name=contact.name, role=label(CONTACT_ROLE, contact.role))
        )
    if events:
        lines.append(T("<b>Recent</b>"))
        lines.extend(event_line(e) for e in events)
    return Lines(*lines)


def card_buttons(customer_id: int, editable: bool) -> list[Button]:
    if not editable:
        return []
    cid = customer_id
    return [
        Button(T("📝 Log a visit"), f"visit_for:{cid}"),
        Button(T("⏰ Follow-up"), f"fu_add:{cid}"),
        Button(T("📈 Stage"), f"stage:{cid}"),
        Button(T("🏷 Class"), f"cls:{cid}"),
        Button(T("💼 Deals"), f"opps:{cid}"),
        Button(T("👤 Add contact"), f"contact_add:{cid}"),
        Button(T("✏️ Edit"), f"edit:{cid}"),
        Button(T("🔗 Invite the customer"), f"cinvite:{cid}"),
    ]


async def show_card(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    return ctx.stay(await card_reply(ctx, ctx.obj_id))


async def card_reply(ctx: StaffCtx, customer_id: int) -> Reply:
    card = await svc.card(ctx.session, customer_id)
    if card is None:
        return Reply(NO_CUSTOMER)
    events = await svc.recent_events(ctx.session, customer_id)
    editable = await access.can_edit_customer(ctx.session, ctx.me, customer_id)
    buttons = card_buttons(customer_id, editable) + await _extra_buttons(ctx, card)
    text = card_text(card, events)
    credit = deals_view.credit_line(ctx.rules, card.customer)  # e.g. "D: prepaid only"
    if credit is not None:
        text = Lines(text, credit)
    return Reply(text, buttons=rows(*buttons))


async def _extra_buttons(ctx: StaffCtx, card: svc.Card) -> list[Button]:
    from handlers.claims import card_buttons_extra  # claims builds on the card, not the reverse
    from handlers.customer_links import card_button

    extra = card_buttons_extra(ctx, card)
    if ctx.who.role in LEADS:
        extra.append(Button(T("🧾 History"), f"audit:{card.customer.id}"))
        extra.append(Button(T("🔗 Merge into…"), f"merge:{card.customer.id}"))
    if await access.can_edit_customer(ctx.session, ctx.me, card.customer.id):
        extra += await card_button(ctx, card.customer.id)
    return extra


# Loading the customer with the check (one statement, not two) leaves them in the session for
# the action that follows.
async def authorise_customer(ctx: StaffCtx, customer_id: int) -> bool:
    return await access.visible_customer(ctx.session, ctx.me, customer_id) is not None


async def invite_customer(ctx: StaffCtx) -> Step:
    """A one-time link that connects the customer's Telegram to this record."""
    assert ctx.obj_id is not None
    customer = await records.customer(ctx.session, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(NO_CUSTOMER))
    token = await invites.create(
        ctx.session,
        now=ctx.now(),
        ttl_hours=ctx.rules.invites.ttl_hours,
        role=Role.CUSTOMER,
        customer_id=customer.id,
        created_by=ctx.me.id,
    )
    link = f"https://t.me/{ctx.bot_username}?start={token}"
    return ctx.stay(
        Reply(
            Lines(
                T(
                    "Send this link to {customer}; it works once, for {hours} hours:",
                    customer=customer.name,
                    hours=ctx.rules.invites.ttl_hours,
                ),
                Raw(link),
            )
        )
    )


async def authorise_customer_edit(ctx: StaffCtx, customer_id: int) -> bool:
    return await access.editable_customer(ctx.session, ctx.me, customer_id) is not None


COMMANDS = [
    Command(
        "customers",
        STAFF,
        find_command,
        T("find a customer and open their card"),
        menu_label=T("🔎 Customers"),
    )
]
ACTIONS = [
    Action("card", STAFF, show_card, obj_kind="customer"),
    Action("cinvite", STAFF, invite_customer, obj_kind="customer_edit"),
]
FLOWS = [
    Flow(
        FindStep,
        STAFF,
        {FindStep.QUERY: State(query_step, _query_prompt, takes=short_answer)},
        FindDraft,
        lambda d: T("Customer search"),
        entries=(("/customers", FindStep.QUERY),),
    )
]
AUTHORISERS = {"customer": authorise_customer, "customer_edit": authorise_customer_edit}
