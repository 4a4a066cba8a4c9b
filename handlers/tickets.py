"""Customers' requests: submitting one, following them; staff are told and can open them.

```mermaid
stateDiagram-v2
    [*] --> kind: /new
    kind --> text: kind chosen
    text --> confirm: text
    confirm --> [*]: Send / Cancel
    text --> kind: Back
```
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.types import TN, Button, Lines, Reply, T, Text
from crm.enums import Role, TicketKind
from crm.models import Customer, Staff, Ticket
from crm.services import access, runtime
from crm.services import tickets as svc
from handlers.base import (
    CUSTOMER,
    STAFF,
    Action,
    Command,
    Ctx,
    Flow,
    Step,
    flow_button,
    typed_text,
)
from handlers.labels import TICKET_KIND, TICKET_STATUS, label

MAX_TEXT = 4000


async def start(ctx: Ctx) -> Step:
    ctx.data = {}
    return _kind_prompt()


def _kind_prompt() -> Step:
    kinds = [flow_button(TICKET_KIND[k], "ticket.kind", k) for k in TicketKind]
    return Step.to(
        "ticket.kind",
        Reply(
            T("What would you like to send us?"),
            buttons=tuple(tuple(kinds[i : i + 2]) for i in range(0, len(kinds), 2)),
        ),
    )


async def kind_step(ctx: Ctx) -> Step:
    if ctx.choice not in set(TicketKind):
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["kind"] = ctx.choice
    return Step.to(
        "ticket.text",
        Reply(
            T("{kind}: please describe it in one message.", kind=TICKET_KIND[ctx.choice]),
            buttons=((flow_button(T("⬅ Back"), "ticket.text", "back"),),),
        ),
    )


async def text_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _kind_prompt()
    text, refused = typed_text(
        ctx, MAX_TEXT, T("Please describe it in words; you can add photos later.")
    )
    if refused is not None:
        return refused
    ctx.data["text"] = text
    return Step.to(
        "ticket.confirm",
        Reply(
            Lines(
                T("<b>{kind}</b>", kind=TICKET_KIND[ctx.data["kind"]]),
                T("“{text}”", text=text),
                T("Send this to us?"),
            ),
            buttons=(
                (
                    flow_button(T("📨 Send"), "ticket.confirm", "send"),
                    flow_button(T("✖ Cancel"), "ticket.confirm", "cancel"),
                ),
            ),
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
    ticket = await svc.create(
        ctx.session, ctx.rules, cuser, kind=ctx.data["kind"], text=ctx.data["text"], now=ctx.now()
    )
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
    await _tell_staff(ctx, ticket)
    return Step.end(
        Reply(
            Lines(
                T("Thank you. Your request number is <b>{number}</b>.", number=ticket.number),
                T("We will answer by {when}.", when=ticket.first_response_due),
            )
        )
    )


async def _tell_staff(ctx: Ctx, ticket: Ticket) -> None:
    customer = await ctx.session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    who: Text = T("customer {name}", name=customer.name) if customer else T("a new contact")
    note = Reply(
        Lines(
            T(
                "🆕 {kind} {number} from {who}",
                kind=TICKET_KIND[ticket.kind],
                number=ticket.number,
                who=who,
            ),
            T("“{text}”", text=ticket.text[:300]),
            T("First answer due {when}.", when=ticket.first_response_due),
        ),
        buttons=((Button(T("View request"), f"tk:{ticket.id}"),),),
    )
    recipients: dict[int, Staff] = {}
    if ticket.owner_id is not None:
        owner = await ctx.session.get(Staff, ticket.owner_id)
        if owner is not None:
            recipients[owner.id] = owner
    agents = await ctx.session.scalars(
        select(Staff).where(Staff.role == Role.SERVICE, Staff.active.is_(True))
    )
    for agent in agents:
        recipients[agent.id] = agent
    for staff in recipients.values():
        await ctx.notify.to_staff(
            staff, note, dedupe_key=f"ticket-new:{ticket.id}:{staff.id}", priority=2
        )


async def mine(ctx: Ctx) -> Step:
    assert ctx.who.customer_user is not None
    found = await svc.for_customer_user(ctx.session, ctx.who.customer_user)
    if not found:
        return ctx.stay(Reply(T("You have no requests yet. Send one with /new.")))
    lines: list[Text] = [T("<b>Your requests</b>")]
    for t in found:
        lines.append(
            T(
                "{number} · {kind} · {status}",
                number=t.number,
                kind=label(TICKET_KIND, t.kind),
                status=label(TICKET_STATUS, t.status),
            )
        )
    return ctx.stay(Reply(Lines(*lines)))


async def open_list(ctx: Ctx) -> Step:
    rows = await ctx.session.scalars(
        select(Ticket).where(Ticket.status.in_(svc.OPEN)).order_by(Ticket.resolution_due).limit(20)
    )
    visible = [
        t
        for t in rows
        if ctx.who.staff is not None
        and await access.can_see_ticket_as_staff(ctx.session, ctx.who.staff, t.id)
    ]
    if not visible:
        return ctx.stay(Reply(T("No open requests.")))
    buttons = tuple(
        (Button(T("{number} · {kind}", number=t.number, kind=TICKET_KIND[t.kind]), f"tk:{t.id}"),)
        for t in visible
    )
    return ctx.stay(Reply(T("Open requests, most urgent first:"), buttons=buttons))


async def show(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    t = await ctx.session.get(Ticket, ctx.obj_id)
    if t is None:
        return ctx.stay(Reply(T("This request no longer exists.")))
    return ctx.stay(
        Reply(
            Lines(
                T(
                    "<b>{number}</b> · {kind} · {status}",
                    number=t.number,
                    kind=TICKET_KIND[t.kind],
                    status=TICKET_STATUS[t.status],
                ),
                T("“{text}”", text=t.text),
                T("First answer due {when}.", when=t.first_response_due),
                T("Resolution due {when}.", when=t.resolution_due),
            )
        )
    )


async def authorise_ticket(ctx: Ctx, ticket_id: int) -> bool:
    if ctx.who.staff is not None:
        return await access.can_see_ticket_as_staff(ctx.session, ctx.who.staff, ticket_id)
    if ctx.who.customer_user is not None:
        return await access.can_see_ticket_as_customer(
            ctx.session, ctx.who.customer_user, ticket_id
        )
    return False


COMMANDS = [
    Command(
        "new",
        CUSTOMER,
        start,
        T("send an inquiry, complaint, suggestion or fault report"),
        menu_label=T("✉️ New request"),
    ),
    Command(
        "mine", CUSTOMER, mine, T("your requests and their status"), menu_label=T("📂 My requests")
    ),
    Command(
        "tickets", STAFF, open_list, T("list open customer requests"), menu_label=T("📥 Requests")
    ),
]
ACTIONS = [Action("tk", STAFF, show, obj_kind="ticket")]
FLOWS = [Flow("ticket", CUSTOMER, {"kind": kind_step, "text": text_step, "confirm": confirm_step})]
AUTHORISERS = {"ticket": authorise_ticket}
