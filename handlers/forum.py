"""What agents do inside a ticket's topic in the service team's forum group (bot.forum keeps
the topics): a message goes to the customer and is recorded on the ticket; /take, /transfer
NAME, /resolve RESULT; /note TEXT stays internal. Every action re-checks that the agent may act
on the ticket, as the private-chat desk does."""

from __future__ import annotations

import structlog

from bot.types import Button, Lines, Raw, Reply, T, Text
from crm.enums import TicketStatus
from crm.models import Staff, Ticket
from crm.services import access, desk, forum_topics, outbox, records, runtime
from crm.services.tickets import OPEN
from handlers.base import Ctx, Step
from handlers.desk_notes import tell_customer
from handlers.refusals import NOT_YOUR_REQUEST

log = structlog.get_logger("desk")

MAX_TEXT = 2000
USAGE = T(
    "In a request's topic: write to answer the customer; /take; /transfer NAME; "
    "/resolve RESULT; /note TEXT (internal, not sent)."
)
NOT_A_TICKET = T("This topic is not a request's. Nothing was changed.")


async def in_topic(ctx: Ctx) -> Step:
    staff = ctx.who.staff
    inbound = ctx.inbound
    if staff is None or not staff.active or inbound.thread_id is None:
        return Step.end()
    ticket = await forum_topics.ticket_of(ctx.session, inbound.chat_id, inbound.thread_id)
    if ticket is None:
        return Step.end(Reply(NOT_A_TICKET)) if inbound.command else Step.end()
    if not await access.can_see_ticket_as_staff(ctx.session, staff, ticket.id):
        log.warning("ticket_access_refused", user_id=inbound.user_id, ticket_id=ticket.id)
        return Step.end(Reply(NOT_YOUR_REQUEST))
    command = inbound.command
    if command == "note":
        return await _note(ctx, staff, ticket)
    if ticket.status not in OPEN:
        return Step.end(Reply(T("{number} is already closed.", number=ticket.number)))
    if command == "take":
        return await _take(ctx, staff, ticket)
    if not access.may_work_on_ticket(staff, ticket):
        owner = await records.staff(ctx.session, ticket.owner_id)
        return Step.end(
            Reply(
                T(
                    "{number} is handled by {name}. Nothing was changed.",
                    number=ticket.number,
                    name=owner.name if owner else "—",
                )
            )
        )
    if command == "transfer":
        return await _transfer(ctx, staff, ticket)
    if command == "resolve":
        return await _resolve(ctx, staff, ticket)
    if command is not None:
        return Step.end(Reply(USAGE))
    return await _answer(ctx, staff, ticket)


async def _audit(ctx: Ctx, staff: Staff, action: str, ticket: Ticket) -> None:
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action=action,
        entity="ticket",
        entity_id=ticket.id,
        changes={"via": "forum"},
        now=ctx.now(),
    )


async def _take(ctx: Ctx, staff: Staff, ticket: Ticket) -> Step:
    if ticket.owner_id == staff.id and ticket.status == TicketStatus.IN_PROGRESS:
        return Step.end(Reply(T("You already handle {number}.", number=ticket.number)))
    if not await desk.take(ctx.session, ticket.id, staff, ctx.now()):
        owner = await records.staff(ctx.session, ticket.owner_id)
        return Step.end(
            Reply(
                T(
                    "{number} is handled by {name}. Nothing was changed.",
                    number=ticket.number,
                    name=owner.name if owner else "—",
                )
            )
        )
    await records.reload(ctx.session, ticket)
    await desk.add_message(
        ctx.session, ticket, author_kind="system", author_id=staff.id, text="taken", now=ctx.now()
    )
    await _audit(ctx, staff, "ticket.take", ticket)
    await tell_customer(
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
    return Step.end(Reply(T("{name} now handles {number}.", name=staff.name, number=ticket.number)))


async def _transfer(ctx: Ctx, staff: Staff, ticket: Ticket) -> Step:
    wanted = ctx.inbound.args.lstrip("@").strip()
    candidates = await desk.transfer_candidates(ctx.session, ticket)
    if not wanted:
        names = ", ".join(s.handle or s.name for s in candidates) or "—"
        return Step.end(Reply(T("Transfer to whom? /transfer NAME; one of: {names}", names=names)))
    low = wanted.lower()
    found = [
        s
        for s in candidates
        if (s.handle or "").lower() == low or s.name.lower() == low or low in s.name.lower()
    ]
    if len(found) != 1:
        return Step.end(
            Reply(T("No single colleague matches “{name}”. Nothing was changed.", name=wanted))
        )
    to = found[0]
    await desk.transfer(ctx.session, ticket, to)
    await desk.add_message(
        ctx.session,
        ticket,
        author_kind="system",
        author_id=staff.id,
        text=f"transferred to {to.id}",
        now=ctx.now(),
    )
    await _audit(ctx, staff, "ticket.transfer", ticket)
    await ctx.notify.to_staff(
        to,
        Reply(
            T(
                "{name} passed request {number} to you.",
                name=staff.name,
                number=ticket.number,
            )
        ),
        dedupe_key=f"forum-transfer:{ticket.id}:{ctx.inbound.update_id}",
    )
    return Step.end(Reply(T("{number} now belongs to {name}.", number=ticket.number, name=to.name)))


async def _resolve(ctx: Ctx, staff: Staff, ticket: Ticket) -> Step:
    note = ctx.inbound.args.strip()
    if not note:
        return Step.end(Reply(T("Every request needs a result: /resolve RESULT.")))
    if len(note) > MAX_TEXT:
        return Step.end(
            Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
        )
    if ticket.owner_id is None:
        ticket.owner_id = staff.id
    desk.resolve(ticket, note, ctx.now())
    msg = await desk.add_message(
        ctx.session, ticket, author_kind="staff", author_id=staff.id, text=note, now=ctx.now()
    )
    await forum_topics.written_in_topic(ctx.session, ticket, msg.id)
    await _audit(ctx, staff, "ticket.resolve", ticket)
    stars = tuple(Button(Raw("★" * n), f"rate:{ticket.id}:{n}") for n in range(1, 6))
    await tell_customer(
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


async def _note(ctx: Ctx, staff: Staff, ticket: Ticket) -> Step:
    text = ctx.inbound.args.strip()
    if not text:
        return Step.end(Reply(T("Type the note after /note.")))
    msg = await desk.add_message(
        ctx.session, ticket, author_kind="note", author_id=staff.id, text=text, now=ctx.now()
    )
    await forum_topics.written_in_topic(ctx.session, ticket, msg.id)
    return Step.end(
        Reply(T("📝 Note kept on {number}; the customer does not see it.", number=ticket.number))
    )


async def _answer(ctx: Ctx, staff: Staff, ticket: Ticket) -> Step:
    inbound = ctx.inbound
    files = list(inbound.photo_ids) + ([inbound.document_id] if inbound.document_id else [])
    text = (inbound.text or "").strip()
    if not text and not files:
        return Step.end()  # a sticker, a pin: nothing for the customer
    if len(text) > MAX_TEXT:
        return Step.end(
            Reply(T("That is longer than {max} characters; please shorten it.", max=MAX_TEXT))
        )
    msg = await desk.staff_answer(
        ctx.session, ticket, staff.id, text=text or None, attachments=files, now=ctx.now()
    )
    await forum_topics.written_in_topic(ctx.session, ticket, msg.id)
    blocked = await blocked_answer(ctx, ticket)
    if blocked is not None:
        return Step.end(blocked)
    lines: list[Text] = [
        T("💬 Answer on {number} from {name}:", number=ticket.number, name=staff.name)
    ]
    if text:
        lines.append(Raw(text))
    if files:
        lines.append(T("Attachments: {n}", n=len(files)))
    lines.append(T("Reply here to answer."))
    await tell_customer(ctx, ticket, Reply(Lines(*lines)), key=f"msg:{msg.id}")
    return Step.end()  # the message in the topic is the record; no echo


async def blocked_answer(ctx: Ctx, ticket: Ticket) -> Reply | None:
    """When the customer has blocked the bot, the answer cannot reach them: say so (it is kept
    on the ticket) and offer their phone, instead of "sent"."""
    cuser = (
        await records.customer_user(ctx.session, ticket.customer_user_id)
        if ticket.customer_user_id
        else None
    )
    if cuser is None or not await outbox.is_unreachable(ctx.session, cuser.tg_user_id):
        return None
    customer = await records.customer(ctx.session, ticket.customer_id)
    phone = customer.phone if customer else None
    if phone:
        return Reply(
            T(
                "⚠️ The customer has blocked the bot: the answer is kept on {number} but did "
                "not reach them. Please call them: {phone}",
                number=ticket.number,
                phone=phone,
            )
        )
    return Reply(
        T(
            "⚠️ The customer has blocked the bot: the answer is kept on {number} but did not "
            "reach them, and no phone number is on record.",
            number=ticket.number,
        )
    )
