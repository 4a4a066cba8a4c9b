"""A customer sending a request: kind, category, text, attachments, confirmation.

```mermaid
stateDiagram-v2
    [*] --> kind: /new
    kind --> category
    category --> text
    text --> extras: text
    extras --> confirm: Done / Skip (photos, documents, a location on the way)
    confirm --> [*]: Send / Cancel
    text --> category: Back
```
"""

from __future__ import annotations

from datetime import timedelta

from bot.types import TN, KeyButton, Lines, Raw, Reply, T, Text
from crm.enums import TicketKind
from crm.services import runtime
from crm.services import tickets as svc
from crm.services.customers import new_customer
from handlers import desk_media, desk_notes
from handlers.base import CUSTOMER, Command, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.labels import TICKET_KIND

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
        ctx.data["media"] = [
            *(m for m in ctx.data.get("media", []) if m.get("kind") != "location"),
            *desk_media.from_inbound(inbound),
        ]
        return ctx.stay(Reply(T("📍 Location added. More, or tap Done.")))
    new_files = desk_media.file_ids(desk_media.from_inbound(inbound))
    if new_files:
        if len(files) + len(new_files) > MAX_FILES:
            return ctx.stay(
                Reply(T("That is enough attachments for one request ({n}).", n=MAX_FILES))
            )
        ctx.data["files"] = files + new_files
        ctx.data["media"] = [*ctx.data.get("media", []), *desk_media.from_inbound(inbound)]
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
        media=d.get("media"),
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


COMMANDS = [
    Command(
        "new",
        CUSTOMER,
        start,
        T("send an inquiry, complaint, suggestion or fault report"),
        menu_label=T("✉️ New request"),
    ),
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
]
