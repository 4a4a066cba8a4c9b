"""A customer sending a request: kind, category, text, attachments, confirmation.

Words a customer types before choosing the kind or category are kept as the request's text,
never dropped. Diagram: docs/flows/ticket.md (generated from FLOWS).
"""

from __future__ import annotations

from datetime import timedelta

from bot.types import TN, KeyButton, Lines, Raw, Reply, T, Text
from crm.enums import TicketKind
from crm.services import records, runtime
from crm.services import tickets as svc
from crm.services.customers import new_customer
from handlers import desk_media, desk_notes
from handlers.base import CUSTOMER, Command, Ctx, Step, excerpt, flow_button, rows, typed_text
from handlers.conversation import Draft, Flow, Input, State, States
from handlers.conversation.flow import BUTTONS
from handlers.labels import TICKET_KIND
from handlers.refusals import CHOOSE

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
    "staff": T("Staff"),
    "other": T("Other"),
}


class TicketStep(States, flow="ticket"):
    KIND = "kind"
    CATEGORY = "category"
    TEXT = "text"
    EXTRAS = "extras"
    CONFIRM = "confirm"


class TicketDraft(Draft):
    kind: str | None = None
    category: str | None = None
    text: str | None = None
    files: list[str] = []
    # The files and pin as JSON (handlers.desk_media), relayed to staff as they were sent.
    media: list[dict] = []
    lat: float | None = None
    lon: float | None = None


async def start(ctx: Ctx) -> Step:
    ctx.data = TicketDraft()
    return Step.go(TicketStep.KIND)


def begin_with(
    ctx: Ctx, text: str | None, files: list[str], media: list[dict] | None = None
) -> Step:
    """A request started by what the customer already wrote (outside any flow)."""
    ctx.data = TicketDraft(text=text or None, files=files[:MAX_FILES], media=(media or [])[:10])
    return Step.go(TicketStep.KIND)


def _kept(ctx: Ctx) -> tuple[Text, ...]:
    d: TicketDraft = ctx.data
    return (T("Your words are kept: “{text}”", text=_short(d.text)),) if d.text else ()


def _short(text: str | None) -> str:
    text = text or ""
    return excerpt(text, 60)


def _kind_prompt(ctx: Ctx) -> Reply:
    kinds = [flow_button(TICKET_KIND[k], TicketStep.KIND, k) for k in TicketKind]
    return Reply(
        Lines(*_kept(ctx), T("What would you like to send us?")), buttons=rows(*kinds)
    )


def _category_prompt(ctx: Ctx) -> Reply:
    d: TicketDraft = ctx.data
    cats = ctx.rules.tickets.categories[d.kind or TicketKind.INQUIRY]
    buttons = [flow_button(CATEGORY.get(c, Raw(c)), TicketStep.CATEGORY, c) for c in cats]
    buttons.append(flow_button(T("⬅ Back"), TicketStep.CATEGORY, "back"))
    return Reply(
        Lines(*_kept(ctx), T("{kind}: what is it about?", kind=TICKET_KIND[d.kind or "inquiry"])),
        buttons=rows(*buttons),
    )


def _text_prompt(ctx: Ctx) -> Reply:
    return Reply(
        T("{kind}: please describe it in one message.", kind=TICKET_KIND[ctx.data.kind]),
        buttons=((flow_button(T("⬅ Back"), TicketStep.TEXT, "back"),),),
    )


def _words(ctx: Ctx) -> Step | None:
    """Words typed where a button was asked for: kept as the request's text (added to it)."""
    text = (ctx.inbound.text or "").strip()
    if ctx.choice is not None or not text:
        return None
    d: TicketDraft = ctx.data
    joined = f"{d.text}\n{text}" if d.text else text
    if len(joined) > MAX_TEXT:
        return ctx.stay(
            Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
        )
    d.text = joined
    return Step.go(ctx.state)  # type: ignore[arg-type]


async def kind_step(ctx: Ctx) -> Step:
    kept = _words(ctx)
    if kept is not None:
        return kept
    if ctx.choice not in set(TicketKind):
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.kind = ctx.choice
    return Step.go(TicketStep.CATEGORY)


async def category_step(ctx: Ctx) -> Step:
    kept = _words(ctx)
    if kept is not None:
        return kept
    if ctx.choice not in ctx.rules.tickets.categories[ctx.data.kind]:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.category = ctx.choice
    return Step.go(TicketStep.EXTRAS if ctx.data.text else TicketStep.TEXT)


async def text_step(ctx: Ctx) -> Step:
    text, refused = typed_text(
        ctx, MAX_TEXT, T("Please describe it in words; you can add photos next.")
    )
    if refused is not None:
        return refused
    ctx.data.text = text
    return Step.go(TicketStep.EXTRAS)


def _extras_prompt(ctx: Ctx) -> Reply:
    return Reply(
        T("Add photos, documents or the fault's location if they help, then tap Done."),
        buttons=((flow_button(T("Done"), TicketStep.EXTRAS, "done"),),),
        keyboard=((KeyButton(T("📍 Send the location"), request_location=True),),),
    )


async def extras_step(ctx: Ctx) -> Step:
    inbound = ctx.inbound
    files: list[str] = list(ctx.data.files)
    if ctx.choice == "done":
        return Step.go(TicketStep.CONFIRM)
    if inbound.location is not None:
        ctx.data.lat, ctx.data.lon = inbound.location.lat, inbound.location.lon
        ctx.data.media = [
            *(m for m in ctx.data.media if m.get("kind") != "location"),
            *desk_media.from_inbound(inbound),
        ]
        return ctx.stay(Reply(T("📍 Location added. More, or tap Done.")))
    new_files = desk_media.file_ids(desk_media.from_inbound(inbound))
    text = (inbound.text or "").strip()
    if text and not new_files:
        # More words after the description: they belong to the request too.
        joined = f"{ctx.data.text}\n{text}" if ctx.data.text else text
        if len(joined) > MAX_TEXT:
            return ctx.stay(
                Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
            )
        ctx.data.text = joined
        return ctx.stay(Reply(T("Added to your request. More, or tap Done.")))
    if new_files:
        if len(files) + len(new_files) > MAX_FILES:
            return ctx.stay(
                Reply(T("That is enough attachments for one request ({n}).", n=MAX_FILES))
            )
        ctx.data.files = files + new_files
        ctx.data.media = [*ctx.data.media, *desk_media.from_inbound(inbound)]
        if text:
            ctx.data.text = f"{ctx.data.text}\n{text}" if ctx.data.text else text
        return ctx.stay(
            Reply(T("Attached ({n}). More, or tap Done.", n=len(files) + len(new_files)))
        )
    return ctx.stay(Reply(T("Send a photo, a document or a location, or tap Done.")))


def _confirm_prompt(ctx: Ctx) -> Reply:
    d = ctx.data
    lines: list[Text] = [
        T(
            "<b>{kind}</b> · {category}",
            kind=TICKET_KIND[d.kind],
            category=CATEGORY.get(d.category, Raw(d.category)),
        ),
        T("“{text}”", text=d.text or ""),
    ]
    if d.files:
        lines.append(T("Attachments: {n}", n=len(d.files)))
    if d.lat is not None:
        lines.append(T("📍 With a location"))
    lines.append(T("Send this to us?"))
    return Reply(
        Lines(*lines),
        buttons=(
            (
                flow_button(T("📨 Send"), TicketStep.CONFIRM, "send"),
                flow_button(T("✖ Cancel"), TicketStep.CONFIRM, "cancel"),
            ),
        ),
        keyboard=desk_notes.customer_menu(ctx),
    )


async def confirm_step(ctx: Ctx) -> Step:
    if ctx.choice != "send":
        return ctx.stay(Reply(CHOOSE, notice="toast"))
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
        await records.save(ctx.session, lead)
        cuser.customer_id = lead.id
    d = ctx.data
    ticket = await svc.create(
        ctx.session,
        ctx.rules,
        cuser,
        kind=d.kind,
        text=d.text,
        now=ctx.now(),
        attachments=d.files,
        tz=ctx.who.tz,
        media=d.media,
    )
    ticket.category = d.category
    ticket.lat, ticket.lon = d.lat, d.lon
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


COMMANDS = [
    Command(
        "new",
        CUSTOMER,
        start,
        T("send an inquiry, complaint, suggestion or fault report"),
        menu_label=T("✉️ New request"),
    ),
]
def _title(d: TicketDraft) -> Text:
    if d.kind and d.text:
        return T("{kind} “{text}”", kind=TICKET_KIND[d.kind], text=_short(d.text))
    if d.text:
        return T("Request “{text}”", text=_short(d.text))
    return T("New request")


_WORDS = frozenset({Input.TEXT, Input.BUTTON})
FLOWS = [
    Flow(
        TicketStep,
        CUSTOMER,
        {
            TicketStep.KIND: State(
                kind_step, _kind_prompt, accepts=_WORDS, to=(TicketStep.CATEGORY,), ends=False
            ),
            TicketStep.CATEGORY: State(
                category_step,
                _category_prompt,
                accepts=_WORDS,
                to=(TicketStep.TEXT, TicketStep.EXTRAS),
                back=TicketStep.KIND,
                ends=False,
            ),
            TicketStep.TEXT: State(
                text_step, _text_prompt, to=(TicketStep.EXTRAS,), back=TicketStep.CATEGORY,
                ends=False,
            ),
            TicketStep.EXTRAS: State(
                extras_step,
                _extras_prompt,
                accepts=frozenset(
                    {Input.TEXT, Input.BUTTON, Input.PHOTO, Input.DOCUMENT, Input.LOCATION}
                ),
                to=(TicketStep.CONFIRM,),
                ends=False,
            ),
            TicketStep.CONFIRM: State(confirm_step, _confirm_prompt, accepts=BUTTONS),
        },
        TicketDraft,
        _title,
        entries=(("/new", TicketStep.KIND), ("words outside a flow", TicketStep.KIND)),
    ),
]
