"""The staff side of the service desk: take, reply, transfer, resolve.

Diagram: docs/flows/desk.md (generated from FLOWS).
"""

from __future__ import annotations

from bot.types import Button, Lines, Raw, Reply, T, Text
from crm.enums import TicketStatus
from crm.limits import parse_id
from crm.models import Ticket
from crm.services import access, desk, records, runtime
from crm.services.tickets import OPEN
from handlers import desk_media, desk_notes
from handlers.base import STAFF, Action, StaffCtx, Step, flow_button, typed_text
from handlers.conversation import Draft, Flow, Input, State, States
from handlers.conversation.flow import BUTTONS
from handlers.forum import blocked_answer
from handlers.labels import ROLE, label
from handlers.refusals import REQUEST_NOT_OPEN, STALE

MAX_TEXT = 4000


class DeskStep(States, flow="desk"):
    REPLY = "reply"
    TRANSFER = "transfer"
    RESOLVE = "resolve"


class DeskDraft(Draft):
    SCAFFOLD = frozenset({"ticket_id", "number"})

    ticket_id: int = 0
    number: str = ""


async def _ticket(ctx: StaffCtx) -> Ticket | None:
    if ctx.obj_id is not None:
        tid: int | None = ctx.obj_id
    else:
        tid = ctx.data.ticket_id if isinstance(ctx.data, DeskDraft) else None
    return await records.ticket(ctx.session, tid)


async def _handled_by(ctx: StaffCtx, ticket: Ticket) -> Reply:
    owner = await records.staff(ctx.session, ticket.owner_id)
    return Reply(
        T(
            "{number} is handled by {name}. Nothing was changed.",
            number=ticket.number,
            name=owner.name if owner else "—",
        )
    )


async def _refusal(ctx: StaffCtx, ticket: Ticket) -> Reply | None:
    """Why the user may not start working on this ticket now, if they may not."""
    if ticket.status not in OPEN:
        return Reply(T("{number} is already closed.", number=ticket.number))
    if not access.may_work_on_ticket(ctx.me, ticket):
        return await _handled_by(ctx, ticket)
    return None


async def _still_ours(ctx: StaffCtx) -> Ticket | None:
    """The flow's ticket, re-checked at each step: it may have closed or moved meanwhile."""
    ticket = await _ticket(ctx)
    if ticket is None or ticket.status not in OPEN or not access.may_work_on_ticket(ctx.me, ticket):
        return None
    return ticket


async def take(ctx: StaffCtx) -> Step:
    staff = ctx.me
    ticket = await _ticket(ctx)
    assert ticket is not None
    if ticket.owner_id == staff.id and ticket.status == TicketStatus.IN_PROGRESS:
        return ctx.stay(Reply(T("You already handle {number}.", number=ticket.number)))
    if ticket.status not in OPEN:
        return ctx.stay(Reply(T("{number} is already closed.", number=ticket.number)))
    if ticket.status != TicketStatus.NEW and ticket.owner_id != staff.id:
        return ctx.stay(await _handled_by(ctx, ticket))
    await desk.take(ctx.session, ticket.id, staff, ctx.now())
    await records.reload(ctx.session, ticket)
    await desk.add_message(
        ctx.session, ticket, author_kind="system", author_id=staff.id, text="taken", now=ctx.now()
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="ticket.take",
        entity="ticket",
        entity_id=ticket.id,
        changes={},
        now=ctx.now(),
    )
    await desk_notes.tell_customer(
        ctx,
        ticket,
        Reply(
            T(
                "Your request {number} is now being handled by {name}.",
                number=ticket.number,
                name=staff.name,
            )
        ),
        key=f"taken:{staff.id}",
    )
    return ctx.stay(
        Reply(T("You now handle {number}. The customer has been told.", number=ticket.number))
    )


async def start_reply(ctx: StaffCtx) -> Step:
    ticket = await _ticket(ctx)
    assert ticket is not None
    refusal = await _refusal(ctx, ticket)
    if refusal is not None:
        return ctx.stay(refusal)
    ctx.data = DeskDraft(ticket_id=ticket.id, number=ticket.number)
    return Step.go(DeskStep.REPLY)


def _reply_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T(
            "Your answer to the customer on {number} (text, photo or document):",
            number=ctx.data.number,
        )
    )


async def _transfer_prompt(ctx: StaffCtx) -> Reply:
    ticket = await _ticket(ctx)
    people = await desk.transfer_candidates(ctx.session, ticket) if ticket is not None else []
    buttons = [
        flow_button(
            T("{name} ({role})", name=s.name, role=label(ROLE, s.role)),
            DeskStep.TRANSFER,
            str(s.id),
        )
        for s in people[:12]
    ]
    return Reply(
        T("Transfer {number} to whom?", number=ctx.data.number),
        buttons=tuple((b,) for b in buttons),
    )


def _resolve_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("How was {number} resolved? The customer receives this note.", number=ctx.data.number)
    )


async def reply_step(ctx: StaffCtx) -> Step:
    staff = ctx.me
    ticket = await _still_ours(ctx)
    if ticket is None:
        return Step.end(Reply(REQUEST_NOT_OPEN))
    inbound = ctx.inbound
    media = desk_media.from_inbound(inbound)
    files = desk_media.file_ids(media)
    text = (inbound.text or "").strip()
    if not text and not media:
        return ctx.stay(Reply(T("Please type the answer, or send a photo or document.")))
    if len(text) > MAX_TEXT:
        return ctx.stay(
            Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
        )
    msg = await desk.staff_answer(
        ctx.session,
        ticket,
        staff.id,
        text=text or None,
        attachments=files,
        now=ctx.now(),
        media=media,
    )
    blocked = await blocked_answer(ctx, ticket)  # handlers.forum: kept, not "sent"
    if blocked is not None:
        return Step.end(blocked)
    lines: list[Text] = [
        T("💬 Answer on {number} from {name}:", number=ticket.number, name=staff.name)
    ]
    if text:
        lines.append(Raw(text))
    shown = desk_media.summary(media)
    if shown is not None:
        lines.append(shown)
    lines += desk_media.places(media)
    lines.append(T("Reply here to answer."))
    await desk_notes.tell_customer(
        ctx, ticket, Reply(Lines(*lines), media=desk_media.to_media(media)), key=f"msg:{msg.id}"
    )
    return Step.end(Reply(T("Sent to the customer on {number}.", number=ticket.number)))


async def start_transfer(ctx: StaffCtx) -> Step:
    ticket = await _ticket(ctx)
    assert ticket is not None
    refusal = await _refusal(ctx, ticket)
    if refusal is not None:
        return ctx.stay(refusal)
    ctx.data = DeskDraft(ticket_id=ticket.id, number=ticket.number)
    return Step.go(DeskStep.TRANSFER)


async def transfer_step(ctx: StaffCtx) -> Step:
    staff = ctx.me
    ticket = await _still_ours(ctx)
    if ticket is None:
        return Step.end(Reply(REQUEST_NOT_OPEN))
    to = await records.staff(ctx.session, parse_id(ctx.choice) or -1)
    if (
        to is None
        or not to.active
        or to.id not in {s.id for s in await desk.transfer_candidates(ctx.session, ticket)}
    ):
        return ctx.stay(Reply(STALE, notice="toast"))
    old = ticket.owner_id
    await desk.transfer(ctx.session, ticket, to)
    await desk.add_message(
        ctx.session,
        ticket,
        author_kind="system",
        author_id=staff.id,
        text=f"transferred to {to.id}",
        now=ctx.now(),
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="ticket.transfer",
        entity="ticket",
        entity_id=ticket.id,
        changes={"owner": [old, to.id]},
        now=ctx.now(),
    )
    await ctx.notify.to_staff(
        to,
        Reply(
            Lines(
                T("↪️ {name} passed {number} to you.", name=staff.name, number=ticket.number),
                T("“{text}”", text=ticket.text[:300]),
            ),
            buttons=desk_notes.staff_buttons(ticket),
        ),
        dedupe_key=f"ticket-transfer:{ticket.id}:{to.id}:{ctx.inbound.update_id}",
    )
    await desk_notes.tell_customer(
        ctx,
        ticket,
        Reply(
            T(
                "Your request {number} is now being handled by {name}.",
                number=ticket.number,
                name=to.name,
            )
        ),
        key=f"taken:{to.id}:{ctx.inbound.update_id}",
    )
    return Step.end(Reply(T("{number} now goes to {name}.", number=ticket.number, name=to.name)))


async def start_resolve(ctx: StaffCtx) -> Step:
    ticket = await _ticket(ctx)
    assert ticket is not None
    refusal = await _refusal(ctx, ticket)
    if refusal is not None:
        return ctx.stay(refusal)
    ctx.data = DeskDraft(ticket_id=ticket.id, number=ticket.number)
    return Step.go(DeskStep.RESOLVE)


async def resolve_step(ctx: StaffCtx) -> Step:
    staff = ctx.me
    ticket = await _still_ours(ctx)
    if ticket is None:
        return Step.end(Reply(REQUEST_NOT_OPEN))
    note, refused = typed_text(ctx, MAX_TEXT, T("Every request needs a result: please type it."))
    if refused is not None:
        return refused
    if ticket.owner_id is None:
        ticket.owner_id = staff.id
    desk.resolve(ticket, note, ctx.now())
    await desk.add_message(
        ctx.session, ticket, author_kind="staff", author_id=staff.id, text=note, now=ctx.now()
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="ticket.resolve",
        entity="ticket",
        entity_id=ticket.id,
        changes={},
        now=ctx.now(),
    )
    stars = tuple(Button(Raw("★" * n), f"rate:{ticket.id}:{n}") for n in range(1, 6))
    await desk_notes.tell_customer(
        ctx,
        ticket,
        Reply(
            Lines(
                T("✅ Your request {number} is resolved.", number=ticket.number),
                T("Result: {note}", note=note),
                T("How satisfied are you? 1 = not at all, 5 = very."),
            ),
            buttons=(stars[:3], stars[3:], (Button(T("↩️ Reopen"), f"reopen:{ticket.id}"),)),
        ),
        key=f"resolved:{ctx.inbound.update_id}",
    )
    return Step.end(
        Reply(T("{number} is resolved; the customer was asked to rate it.", number=ticket.number))
    )


async def authorise_ticket(ctx: StaffCtx, ticket_id: int) -> bool:
    ok = await access.can_see_ticket_as_staff(ctx.session, ctx.me, ticket_id)
    if not ok:
        desk_notes.log_forged(ctx, ticket_id)
    return ok


ACTIONS = [
    Action("tk_take", STAFF, take, obj_kind="ticket"),
    Action("tk_reply", STAFF, start_reply, obj_kind="ticket"),
    Action("tk_transfer", STAFF, start_transfer, obj_kind="ticket"),
    Action("tk_resolve", STAFF, start_resolve, obj_kind="ticket"),
]
FLOWS = [
    Flow(
        DeskStep,
        STAFF,
        {
            DeskStep.REPLY: State(
                reply_step,
                _reply_prompt,
                accepts=frozenset({Input.TEXT, Input.PHOTO, Input.DOCUMENT}),
            ),
            DeskStep.TRANSFER: State(transfer_step, _transfer_prompt, accepts=BUTTONS),
            DeskStep.RESOLVE: State(resolve_step, _resolve_prompt),
        },
        DeskDraft,
        lambda d: T("Request {number}", number=d.number),
        entries=(
            ("💬 Reply", DeskStep.REPLY),
            ("↪️ Transfer", DeskStep.TRANSFER),
            ("✅ Resolve", DeskStep.RESOLVE),
        ),
    )
]
AUTHORISERS = {"ticket": authorise_ticket}
