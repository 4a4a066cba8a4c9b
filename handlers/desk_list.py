"""Staff's view of requests: /tickets with filters and pages, and one request in full."""

from __future__ import annotations

from bot.types import Button, Lines, Reply, T, Text
from crm.limits import MAX_ID, parse_index
from crm.services import desk, records
from crm.services.tickets import OPEN
from handlers import desk_media, desk_notes, desk_sidebar
from handlers.base import STAFF, Action, Command, StaffCtx, Step
from handlers.labels import TICKET_KIND, TICKET_STATUS, label
from handlers.refusals import NO_REQUEST, STALE

FILTERS = {
    "open": T("Open"),
    "mine": T("Mine"),
    "breached": T("Overdue"),
    "complaint": T("Complaints"),
    "fault": T("Faults"),
}


async def show(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    ticket = await records.ticket(ctx.session, ctx.obj_id)
    if ticket is None:
        return ctx.stay(Reply(NO_REQUEST))
    owner = await records.staff(ctx.session, ticket.owner_id)
    lines: list[Text] = [
        T(
            "<b>{number}</b> · {kind} · {status}",
            number=ticket.number,
            kind=label(TICKET_KIND, ticket.kind),
            status=label(TICKET_STATUS, ticket.status),
        ),
        T("“{text}”", text=ticket.text),
        T("Handled by: {name}", name=owner.name if owner else T("nobody yet")),
        T("First answer due {when}.", when=ticket.first_response_due),
        T("Resolution due {when}.", when=ticket.resolution_due),
    ]
    thread = await desk.thread(ctx.session, ticket.id)
    media: list[dict[str, object]] = []
    for i, m in enumerate(thread):
        media += m.media or []
        if i == 0 or m.author_kind == "system":
            continue
        who = T("Customer") if m.author_kind == "customer" else T("Staff")
        shown = desk_media.summary(m.media)
        if m.text or shown is not None:
            text = m.text[:200] if m.text else shown
            lines.append(T("{who} · {when}: {text}", who=who, when=m.created_at, text=text))
        if m.text and shown is not None:
            lines.append(shown)
    if thread and thread[0].media:
        lines.insert(2, desk_media.summary(thread[0].media))
    lines += desk_media.places(media)
    if ticket.rating:
        lines.append(T("Rated {score}/5", score=ticket.rating))
    lines += await desk_sidebar.lines(ctx, ticket)
    buttons = desk_notes.staff_buttons(ticket) if ticket.status in OPEN else ()
    return ctx.stay(Reply(Lines(*lines), buttons=buttons, media=desk_media.to_media(media)))


async def list_command(ctx: StaffCtx) -> Step:
    return await _list(ctx, "open", 0)


async def list_action(ctx: StaffCtx) -> Step:
    flt, _, page = (ctx.choice or "open-0").partition("-")
    number = parse_index(page, MAX_ID)
    if flt not in FILTERS or number is None:
        return ctx.stay(Reply(STALE))
    return await _list(ctx, flt, number)


async def _list(ctx: StaffCtx, flt: str, page: int) -> Step:
    staff = ctx.me
    result = await desk.staff_list(ctx.session, staff, flt, page, ctx.now())
    filters = tuple(
        Button(T("• {name}", name=label) if key == flt else label, f"tl:0:{key}-0")
        for key, label in FILTERS.items()
    )
    nav: list[Button] = []
    if result.page > 0:
        nav.append(Button(T("◀ Newer"), f"tl:0:{flt}-{result.page - 1}"))
    if result.page + 1 < result.pages:
        nav.append(Button(T("Older ▶"), f"tl:0:{flt}-{result.page + 1}"))
    items = tuple(
        (
            Button(
                T(
                    "{number} · {kind} · {status}",
                    number=t.number,
                    kind=label(TICKET_KIND, t.kind),
                    status=label(TICKET_STATUS, t.status),
                ),
                f"tk:{t.id}",
            ),
        )
        for t in result.tickets
    )
    head = (
        T(
            "Requests ({filter}): {total}, page {page} of {pages}",
            filter=FILTERS[flt],
            total=result.total,
            page=result.page + 1,
            pages=result.pages,
        )
        if result.total
        else T("No requests here.")
    )
    return ctx.stay(
        Reply(head, buttons=(filters[:3], filters[3:], *items, *((tuple(nav),) if nav else ())))
    )


COMMANDS = [
    Command(
        "tickets",
        STAFF,
        list_command,
        T("list open customer requests"),
        menu_label=T("📥 Requests"),
    ),
]
ACTIONS = [
    Action("tk", STAFF, show, obj_kind="ticket"),
    Action("tl", STAFF, list_action),
]
