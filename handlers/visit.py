"""Registering a visit, guided, or from one message: both end on the same summary card.

The flow's diagram is generated from `FLOWS` (docs/flows/visit.md). A new customer registered
in the middle of a visit is the `newc` flow called as a sub-flow: it comes back here with the
customer set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.types import Lines, Raw, Reply, T, Text
from crm.enums import VisitKind
from crm.geo import distance_m
from crm.language.dates import parse_when
from crm.limits import parse_id, text_limit
from crm.models import Customer, Visit
from crm.services import access, records, runtime, sales
from crm.services import customers as customer_svc
from handlers import customer_new, deals, visit_reading
from handlers import visit_cards as cards
from handlers.base import FIELD, Action, Command, StaffCtx, Step, typed_text
from handlers.common import main_menu
from handlers.labels import PURPOSE
from handlers.refusals import CHOOSE, DENIED, GONE_CUSTOMER, STALE
from handlers.visit_states import ORDER, VisitDraft, VisitStep

MAX_TEXT = 2000
# Contacts met are saved joined by ", ": the whole must fit the column, or the visit could
# never be saved.
CONTACTS_LIMIT = text_limit(Visit.contacts_met)
CONTACTS_TOO_LONG = T(
    "Those names together are longer than {max} characters; please shorten them.",
    max=CONTACTS_LIMIT,
)


MAX_PHOTOS = 10


def _go(step: VisitStep, *before: Reply) -> Step:
    return Step.go(step, *before)


def _next(ctx: StaffCtx, step: VisitStep) -> Step:
    """After a step: on to the next one, or back to the card when the rep was editing."""
    if ctx.data.quick and step == VisitStep.CUSTOMER:
        ctx.data.returning = False
        return visit_reading.card(ctx)  # a plan's card, or the visit's (asking about old dates)
    if ctx.data.returning:
        ctx.data.returning = False
        return _go(VisitStep.CONFIRM)
    return _go(ORDER[ORDER.index(step) + 1])


async def _editable(ctx: StaffCtx, customer_id: int) -> Customer | None:
    return await access.editable_customer(ctx.session, ctx.me, customer_id)


async def _set_customer(ctx: StaffCtx, customer: Customer) -> None:
    contacts = await customer_svc.contacts_of(ctx.session, customer.id)
    ctx.data.update(
        customer_id=customer.id,
        customer_name=customer.name,
        known_contacts=[(c.id, c.name) for c in contacts][:8],
    )


async def start(ctx: StaffCtx, preset: dict[str, Any] | None = None) -> Step:
    recent = await customer_svc.recent_for(ctx.session, ctx.me, limit=5)
    ctx.data = VisitDraft(**(preset or {}))
    ctx.data.recent = [(c.id, f"{c.name} · {c.customer_class}") for c in recent]
    return _go(VisitStep.CUSTOMER)


async def start_for_customer(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    customer = await _editable(ctx, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(DENIED, notice="alert"))
    ctx.data = VisitDraft()
    await _set_customer(ctx, customer)
    return _go(VisitStep.KIND)


async def start_with(ctx: StaffCtx, customer: Customer, draft: VisitDraft, quick: bool) -> Step:
    """Entry from one message or a check-in pin: the draft is kept in the conversation state."""
    ctx.data = draft
    await _set_customer(ctx, customer)
    return visit_reading.card(ctx) if quick else _go(VisitStep.KIND)


async def new_customer_returned(ctx: StaffCtx, customer_id: int | None) -> Step:
    """Back from registering a new customer in the middle of a visit (None: it was cancelled)."""
    customer = await _editable(ctx, customer_id) if customer_id else None
    if customer is None:
        return _go(VisitStep.CUSTOMER)
    await _set_customer(ctx, customer)
    return _next(ctx, VisitStep.CUSTOMER)


async def customer_step(ctx: StaffCtx) -> Step:
    if ctx.choice in ("new", "register"):
        name = ctx.data.query if ctx.choice == "register" else None
        return customer_new.called(name, returns_to=VisitStep.CUSTOMER)
    if ctx.choice is not None:
        customer = await _editable(ctx, parse_id(ctx.choice) or -1)
        if customer is None:
            return ctx.stay(Reply(DENIED, notice="alert"))
        await _set_customer(ctx, customer)
        return _next(ctx, VisitStep.CUSTOMER)
    text = (ctx.inbound.text or "").strip()
    if not text or len(text) > 100:
        return ctx.stay(Reply(T("Please type a customer name, phone or pinyin initials.")))
    return await pick_customer(ctx, text)


async def pick_customer(ctx: StaffCtx, query: str) -> Step:
    """Matches typed text to the rep's customers: one → on; several → choose; none → create."""
    found = [
        c
        for c in await customer_svc.search(ctx.session, ctx.me, query)
        if await access.can_edit_customer(ctx.session, ctx.me, c.id)
    ]
    if len(found) == 1:
        await _set_customer(ctx, found[0])
        return _next(ctx, VisitStep.CUSTOMER)
    ctx.data.query = query
    if not found:
        return Step.to(
            VisitStep.CUSTOMER,
            Reply(
                T("No customer of yours matches “{query}”.", query=query),
                buttons=(
                    (
                        cards.button(
                            T("➕ Register “{name}”", name=Raw(query[:40])), "customer", "register"
                        ),
                    ),
                    (cards.button(T("✖ Cancel"), "customer", "cancel"),),
                ),
            ),
        )
    buttons = tuple(
        (cards.button(Raw(f"{c.name} · {c.customer_class}"), "customer", str(c.id)),) for c in found
    )
    return Step.to(
        VisitStep.CUSTOMER,
        Reply(
            T("Several customers match “{query}”; which one?", query=query),
            buttons=buttons + ((cards.button(T("➕ New customer"), "customer", "new"),),),
        ),
    )


async def kind_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in set(VisitKind):
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.kind = ctx.choice
    return _next(ctx, VisitStep.KIND)


async def purpose_step(ctx: StaffCtx) -> Step:
    if ctx.choice in PURPOSE:
        ctx.data.purpose = ctx.choice
        return _next(ctx, VisitStep.PURPOSE)
    text, refused = typed_text(ctx, 200, CHOOSE)
    if refused is not None:
        return refused
    ctx.data.purpose = text
    return _next(ctx, VisitStep.PURPOSE)


async def outcome_step(ctx: StaffCtx) -> Step:
    if ctx.inbound.photo_ids:
        ctx.data.photos = (ctx.data.photos + list(ctx.inbound.photo_ids))[:MAX_PHOTOS]
    if not (ctx.inbound.text or "").strip() and ctx.inbound.photo_ids:
        return ctx.stay(Reply(T("Photo added ({n}). More, or tap Done.", n=len(ctx.data.photos))))
    text, refused = typed_text(ctx, MAX_TEXT, T("Please describe the outcome in a few words."))
    if refused is not None:
        return refused
    ctx.data.outcome = text
    return _next(ctx, VisitStep.OUTCOME)


async def contacts_step(ctx: StaffCtx) -> Step:
    chosen: list[str] = list(ctx.data.contacts)
    if ctx.choice in ("done", "skip"):
        if ctx.choice == "skip":
            ctx.data.contacts = []
        return _next(ctx, VisitStep.CONTACTS)
    if ctx.choice and ctx.choice.startswith("c"):
        names = dict(ctx.data.known_contacts)
        name = names.get(parse_id(ctx.choice[1:]) or -1)
        if name is None:
            return ctx.stay(Reply(STALE, notice="toast"))
        chosen = [n for n in chosen if n != name] if name in chosen else [*chosen, name]
        if len(", ".join(chosen)) > CONTACTS_LIMIT:
            return ctx.stay(Reply(CONTACTS_TOO_LONG))
        ctx.data.contacts = chosen
        return _go(VisitStep.CONTACTS)
    text, refused = typed_text(
        ctx, CONTACTS_LIMIT, T("Tap a contact or type names separated by commas.")
    )
    if refused is not None:
        return refused
    typed = [n.strip() for n in text.replace("，", ",").replace("、", ",").split(",") if n.strip()]
    contacts = list(dict.fromkeys(chosen + typed))[:10]
    if len(", ".join(contacts)) > CONTACTS_LIMIT:
        return ctx.stay(Reply(CONTACTS_TOO_LONG))
    ctx.data.contacts = contacts
    return _next(ctx, VisitStep.CONTACTS)


async def checkin_step(ctx: StaffCtx) -> Step:
    if ctx.choice in ("done", "skip"):
        if ctx.choice == "skip":
            ctx.data.update(lat=None, lon=None, distance_m=None, far=False, photos=[])
        return _with_menu(_next(ctx, VisitStep.CHECKIN), ctx)
    inbound = ctx.inbound
    if inbound.location is not None:
        await record_pin(ctx, inbound.location.lat, inbound.location.lon)
        return ctx.stay(Reply(T("📍 Location recorded. Add photos or tap Done.")))
    if inbound.photo_ids:
        photos = list(ctx.data.photos)
        if len(photos) >= MAX_PHOTOS:
            return ctx.stay(Reply(T("That is enough photos for one visit ({n}).", n=MAX_PHOTOS)))
        photos.extend(inbound.photo_ids[: MAX_PHOTOS - len(photos)])
        ctx.data.photos = photos
        return ctx.stay(Reply(T("Photo added ({n}). More, or tap Done.", n=len(photos))))
    return ctx.stay(Reply(T("Send a location pin or a photo here, or tap Skip.")))


async def record_pin(ctx: StaffCtx, lat: float, lon: float) -> None:
    customer = await records.customer(ctx.session, ctx.data.customer_id or -1)
    dist = None
    if customer is not None and customer.lat is not None and customer.lon is not None:
        dist = distance_m(lat, lon, customer.lat, customer.lon)
    ctx.data.update(
        lat=lat,
        lon=lon,
        distance_m=dist,
        far=dist is not None and dist > ctx.rules.visits.checkin_radius_m,
    )


def _with_menu(step: Step, ctx: StaffCtx) -> Step:
    """The check-in step swapped the menu for a location button; the next prompt brings it back
    (a reply keyboard travels on a new message, so this one is sent, not edited in)."""
    assert step.state is not None
    prompt = cards.prompt(ctx, step.state)
    step.prompt = False
    step.replies.append(Reply(prompt.text, buttons=prompt.buttons, keyboard=main_menu(ctx)))
    return step


async def followup_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "skip":
        ctx.data.followup_at = None
        return _next(ctx, VisitStep.FOLLOWUP)
    text = (ctx.inbound.text or "").strip()
    when = parse_when(text, ctx.now(), ctx.who.tz) if text else None
    if when is None:
        return ctx.stay(Reply(cards.unreadable_date(text)))
    if when <= ctx.now():
        return ctx.stay(Reply(T("That time has already passed; please give a future time.")))
    ctx.data.followup_at = when.isoformat()
    return _next(ctx, VisitStep.FOLLOWUP)


async def confirm_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "edit":
        return _go(VisitStep.EDIT)
    if ctx.choice != "save":
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    return await _save(ctx)


EDIT_FIELDS = {
    VisitStep.CUSTOMER: T("Customer"),
    VisitStep.KIND: T("Visit type"),
    VisitStep.PURPOSE: T("Purpose"),
    VisitStep.OUTCOME: T("Outcome"),
    VisitStep.CONTACTS: T("Contacts met"),
    VisitStep.WHEN: T("Visit time"),
    VisitStep.CHECKIN: T("Check-in"),
    VisitStep.FOLLOWUP: T("Follow-up"),
}


def edit_prompt(ctx: StaffCtx) -> Reply:
    buttons = [cards.button(label, "edit", key.value) for key, label in EDIT_FIELDS.items()]
    return Reply(
        T("What do you want to change?"),
        buttons=tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        + ((cards.button(T("⬅ Back"), "edit", "back"),),),
    )


async def edit_step(ctx: StaffCtx) -> Step:
    field = VisitStep(ctx.choice) if ctx.choice in set(EDIT_FIELDS) else None
    if field is None:
        return _go(VisitStep.CONFIRM)
    ctx.data.returning = True
    return _go(field)


async def _save(ctx: StaffCtx) -> Step:
    d = ctx.data
    customer = await _editable(ctx, d.customer_id or -1)
    if customer is None:
        return Step.end(Reply(GONE_CUSTOMER))
    staff = ctx.me
    followup_at = d.followup_at
    when = visit_reading.visited_at(ctx)
    if when > ctx.now():
        return ctx.stay(Reply(visit_reading.future_refusal()), cards.summary(ctx))
    visit, followup = await sales.log_visit(
        ctx.session,
        staff,
        customer,
        kind=d.kind or VisitKind.ONSITE,
        outcome=d.outcome,
        purpose=d.purpose,
        when=when,
        now=ctx.now(),
        contacts_met=", ".join(d.contacts) or None,
        lat=d.lat,
        lon=d.lon,
        distance_m=d.distance_m,
        far_from_address=d.far,
        photo_ids=d.photos,
        followup_at=datetime.fromisoformat(followup_at) if followup_at else None,
        followup_note=(d.outcome or "")[:200] if followup_at else None,
        claim_days=ctx.rules.claims.period_days,
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="visit.create",
        entity="customer",
        entity_id=customer.id,
        changes={"visit_id": visit.id, "followup_id": followup.id if followup else None},
        now=ctx.now(),
    )
    done: list[Text] = [T("Saved: visit to {customer}.", customer=customer.name)]
    if followup is not None:
        done.append(T("I will remind you on {when}.", when=followup.due_at))
    return Step.end(Reply(Lines(*done), keyboard=main_menu(ctx)), deals.visit_offer(visit.id))


COMMANDS = [Command("visit", FIELD, start, T("register a visit"), menu_label=T("📝 Log a visit"))]


ACTIONS = [Action("visit_for", FIELD, start_for_customer, obj_kind="customer_edit")]
