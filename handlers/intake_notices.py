"""What a request registered by staff (/intake) tells others: the channel it came by, the
agents' and rep's notice, and the customer's acknowledgement."""

from __future__ import annotations

from bot.types import Lines, Reply, T
from crm.models import Customer, Staff, Ticket
from crm.services import desk, records
from handlers import desk_notes, desk_sidebar
from handlers.base import StaffCtx
from handlers.labels import TICKET_KIND

CHANNEL = {
    "phone": T("Phone"),
    "counter": T("Counter"),
    "email": T("E-mail"),
    "onsite": T("On site"),
}


async def tell(ctx: StaffCtx, ticket: Ticket, customer: Customer, staff: Staff) -> None:
    """A request registered by staff: the service queue and the customer's rep are told (not
    the one who registered it), and the customer, when linked, in their language."""
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
    rep = await records.staff(ctx.session, customer.owner_id)
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
