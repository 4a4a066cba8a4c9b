"""Messages about customers' requests shared by the flows and the scheduler: time-limit alerts,
the after-hours complaint note and the rating buttons. Neutral types only."""

from __future__ import annotations

from datetime import datetime

from bot.types import TN, Button, Lines, Raw, Reply, T, Text
from crm.models import Customer, Staff, Ticket
from crm.services.report_tickets import TicketFigures

# The same msgids as the flows' labels (handlers/labels.py), so one translation serves both.
KIND = {
    "inquiry": T("Inquiry"),
    "complaint": T("Complaint"),
    "suggestion": T("Suggestion"),
    "fault": T("Fault report"),
    "service": T("Service request"),
    "praise": T("Praise"),
}
QUOTE_CHARS = 300


def kind_label(kind: str) -> Text:
    return KIND.get(kind, Raw(kind))


def who(customer: Customer | None) -> Text:
    return T("customer {name}", name=customer.name) if customer else T("a new contact")


def view_button(ticket_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(T("View request"), f"tk:{ticket_id}"),),)


def rating_buttons(ticket_id: int) -> tuple[tuple[Button, ...], ...]:
    """One row, 1 to 5 stars: `rate:<ticket>:<score>`."""
    return (tuple(Button(Raw(f"{n}★"), f"rate:{ticket_id}:{n}") for n in range(1, 6)),)


def _owner_line(owner: Staff | None) -> Text:
    if owner is None:
        return T("Nobody has taken it yet.")
    return T("Responsible: {name}.", name=owner.name)


def breach_alert(
    ticket: Ticket,
    customer: Customer | None,
    owner: Staff | None,
    *,
    stage: str,
    admin: bool,
    due: datetime,
) -> Reply:
    """To the manager once a deadline has passed; to the admins at twice the time allowed.

    `stage` is "first" (no first answer yet) or "resolve" (not resolved yet).
    """
    params = dict(kind=kind_label(ticket.kind), number=ticket.number, who=who(customer), when=due)
    if stage == "first":
        head = (
            T(
                "🚨 Twice the time allowed and still no first answer: {kind} {number} from "
                "{who} was due {when}.",
                **params,
            )
            if admin
            else T("⏰ No first answer yet: {kind} {number} from {who} was due {when}.", **params)
        )
    else:
        head = (
            T(
                "🚨 Twice the time allowed and still not resolved: {kind} {number} from {who} "
                "was due {when}.",
                **params,
            )
            if admin
            else T("⏰ Not resolved in time: {kind} {number} from {who} was due {when}.", **params)
        )
    return Reply(
        Lines(head, _owner_line(owner), T("“{text}”", text=ticket.text[:QUOTE_CHARS])),
        buttons=view_button(ticket.id),
    )


def after_hours_complaint(ticket: Ticket, customer: Customer | None) -> Reply:
    """To the owner and their manager when business hours begin after a complaint at night."""
    return Reply(
        Lines(
            T(
                "🌙 Complaint {number} from {who} came in outside working hours, at {when}.",
                number=ticket.number,
                who=who(customer),
                when=ticket.created_at,
            ),
            T(
                "Please answer it first thing: the first answer is due {when}.",
                when=ticket.first_response_due,
            ),
            T("“{text}”", text=ticket.text[:QUOTE_CHARS]),
        ),
        buttons=view_button(ticket.id),
    )


def rating_reminder(ticket: Ticket) -> Reply:
    """To the customer, once, when a resolution has gone unrated."""
    return Reply(
        Lines(
            T(
                "Your request {number} was resolved on {when}. How satisfied are you with our "
                "service?",
                number=ticket.number,
                when=ticket.resolved_at,
            ),
            T("Tap a rating: 1 = very unsatisfied, 5 = very satisfied."),
        ),
        buttons=rating_buttons(ticket.id),
    )


def _stage_head(stage: str, warn: bool, **params: object) -> Text:
    if warn:
        if stage == "first":
            return T("⏳ The first answer to {kind} {number} from {who} is due {when}.", **params)
        return T("⏳ {kind} {number} from {who} must be resolved by {when}.", **params)
    if stage == "first":
        return T(
            "⏰ Time is up: {kind} {number} from {who} needed a first answer by {when}.", **params
        )
    return T("⏰ Time is up: {kind} {number} from {who} was due to be resolved {when}.", **params)


def deadline_note(
    ticket: Ticket, customer: Customer | None, *, stage: str, due: datetime, warn: bool
) -> Reply:
    """To the person handling it (or the service queue): a warning before a time limit runs out,
    and again once it has."""
    params = dict(kind=kind_label(ticket.kind), number=ticket.number, who=who(customer), when=due)
    tail = (
        T("Please act now; your manager is told if it runs out.")
        if warn
        else T("Your manager has been told. Please answer the customer as soon as you can.")
    )
    return Reply(
        Lines(
            _stage_head(stage, warn, **params), tail, T("“{text}”", text=ticket.text[:QUOTE_CHARS])
        ),
        buttons=view_button(ticket.id),
    )


def on_call_fault(ticket: Ticket, customer: Customer | None) -> Reply:
    """To whoever is on call that day (and the customer's rep) when a fault comes in out of
    hours."""
    return Reply(
        Lines(
            T(
                "🌙 On call: fault {number} from {who} came in at {when}, outside working hours.",
                number=ticket.number,
                who=who(customer),
                when=ticket.created_at,
            ),
            T("First answer due {when}.", when=ticket.first_response_due),
            T("“{text}”", text=ticket.text[:QUOTE_CHARS]),
        ),
        buttons=(
            (
                Button(T("🙋 Take"), f"tk_take:{ticket.id}"),
                Button(T("View request"), f"tk:{ticket.id}"),
            ),
        ),
    )


def ratings(f: TicketFigures) -> list[Text]:
    """The average rating and the praise count, as /report and the yearly summary say them."""
    found = [
        T("Average rating: no ratings")
        if f.rating is None
        else TN(
            "Average rating: {avg} ({n} rating)",
            "Average rating: {avg} ({n} ratings)",
            f.ratings,
            avg=round(f.rating, 1),
        )
    ]
    if f.praise:
        found.append(TN("Praise: {n} message", "Praise: {n} messages", f.praise))
    return found
