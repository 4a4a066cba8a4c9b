"""A customer's requests after sending them: the list, the details, rating and reopening.

```mermaid
stateDiagram-v2
    [*] --> comment: rated after a resolution
    comment --> [*]: comment / No, thanks
```
"""

from __future__ import annotations

from bot.types import Button, Lines, Reply, T, Text
from crm.enums import TicketStatus
from crm.limits import parse_id
from crm.services import access, desk, records, resolutions, runtime
from crm.services import tickets as svc
from handlers import desk_media, desk_notes
from handlers.base import CUSTOMER, Action, Command, Ctx, Step, flow_button, rows, typed_text
from handlers.conversation import Draft, Flow, State, States
from handlers.labels import TICKET_KIND, TICKET_STATUS, label
from handlers.refusals import NO_REQUEST, STALE


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
    t = await records.ticket(ctx.session, ctx.obj_id)
    if t is None:
        return ctx.stay(Reply(NO_REQUEST))
    lines: list[Text] = [
        T(
            "<b>{number}</b> · {kind} · {status}",
            number=t.number,
            kind=label(TICKET_KIND, t.kind),
            status=label(TICKET_STATUS, t.status),
        ),
        T("Received {when}.", when=t.created_at),
    ]
    media: list[dict[str, object]] = []
    for m in await desk.thread(ctx.session, t.id):
        # What was said between the customer and us: not the system's marks, and never the
        # staff's internal notes.
        if m.author_kind not in ("customer", "staff"):
            continue
        who = T("You") if m.author_kind == "customer" else T("Us")
        shown = desk_media.summary(m.media)
        if m.text:
            lines.append(T("{who}: {text}", who=who, text=m.text[:300]))
        if shown is not None:
            lines.append(T("{who}: {text}", who=who, text=shown) if not m.text else shown)
        media += m.media or []
    lines += desk_media.places(media)
    if t.resolution_note:
        lines.append(T("Result: {note}", note=t.resolution_note))
    buttons: list[Button] = []
    if desk.can_reopen(t, ctx.now(), ctx.rules.tickets.reopen_days):
        buttons.append(Button(T("↩️ Reopen"), f"reopen:{t.id}"))
    # The photos, documents, voice and pins themselves, sent on by file id as the staff's view
    # does (handlers.desk_list).
    reply = Reply(Lines(*lines), buttons=rows(*buttons), media=desk_media.to_media(media))
    return ctx.stay(reply)


class RateStep(States, flow="rate"):
    COMMENT = "comment"


class RateDraft(Draft):
    # The rating is saved already; the draft is the comment that may follow it.
    SCAFFOLD = frozenset({"ticket_id", "number", "score"})

    ticket_id: int = 0
    number: str = ""
    score: int = 0


async def rate(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None and ctx.who.customer_user is not None
    t = await records.ticket(ctx.session, ctx.obj_id)
    score = parse_id(ctx.choice, 5) or 0
    if t is None or not 1 <= score <= 5:
        return ctx.stay(Reply(STALE, notice="toast"))
    if t.status != TicketStatus.RESOLVED or t.rating is not None:
        return ctx.stay(Reply(T("This request has already been rated. Thank you!"), notice="toast"))
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
    ctx.data = RateDraft(ticket_id=t.id, number=t.number, score=score)
    return Step.go(RateStep.COMMENT)


def _comment_prompt(ctx: Ctx) -> Reply:
    d: RateDraft = ctx.data
    return Reply(
        T(
            "Thank you for rating {number}: {stars}. Anything you want to add?",
            number=d.number,
            stars="★" * d.score + "☆" * (5 - d.score),
        ),
        buttons=((flow_button(T("No, thanks"), RateStep.COMMENT, "skip"),),),
    )


async def comment_step(ctx: Ctx) -> Step:
    if ctx.choice == "skip":
        return Step.end(Reply(T("Thank you!"), keyboard=desk_notes.customer_menu(ctx)))
    text, refused = typed_text(ctx, 1000, T("Please write your comment, or tap “No, thanks”."))
    if refused is not None:
        return refused
    t = await records.ticket(ctx.session, ctx.data.ticket_id)
    if t is not None:
        t.rating_comment = text
    return Step.end(
        Reply(T("Thank you! We have passed it on."), keyboard=desk_notes.customer_menu(ctx))
    )


async def reopen(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    t = await records.ticket(ctx.session, ctx.obj_id)
    if t is None or not desk.can_reopen(t, ctx.now(), ctx.rules.tickets.reopen_days):
        return ctx.stay(
            Reply(T("This request can no longer be reopened; please send a new one with /new."))
        )
    await resolutions.reopen(ctx.session, ctx.rules, t, ctx.now(), ctx.who.tz)
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
        RateStep,
        CUSTOMER,
        {RateStep.COMMENT: State(comment_step, _comment_prompt)},
        RateDraft,
        lambda d: T("Comment on {number}", number=d.number),
        entries=(("a rating button", RateStep.COMMENT),),
    )
]
AUTHORISERS = {"my_ticket": authorise_my_ticket}
