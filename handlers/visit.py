"""Registering a visit, guided, or from one message: both end on the same summary card.

```mermaid
stateDiagram-v2
    [*] --> customer: /visit
    [*] --> kind: card "Log a visit", or a check-in pin
    [*] --> confirm: one message understood (quick)
    customer --> kind: picked (or ➕ new customer)
    kind --> purpose
    purpose --> outcome
    outcome --> contacts
    contacts --> checkin: done / skip
    checkin --> followup: pin, photos, done / skip
    followup --> confirm: date / no follow-up
    confirm --> [*]: Save / Cancel
    confirm --> edit: Edit
    edit --> kind: a field to change, then straight back to confirm
    note right of kind: Back on every step goes one step back
```
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.types import Lines, Raw, Reply, T, Text
from crm.dates import parse_when
from crm.enums import VisitKind
from crm.geo import distance_m
from crm.models import Customer
from crm.services import access, runtime, sales
from crm.services import customers as customer_svc
from handlers import deals
from handlers import visit_cards as cards
from handlers.base import FIELD, Action, Command, Ctx, Flow, Step, typed_text
from handlers.common import main_menu
from handlers.labels import PURPOSE

MAX_TEXT = 2000


MAX_PHOTOS = 10


def _go(ctx: Ctx, step: str, *before: Reply) -> Step:
    return Step.to(f"visit.{step}", *before, cards.prompt(ctx, step))


def _next(ctx: Ctx, step: str) -> Step:
    """After a step: on to the next one, or back to the card when the rep was editing."""
    if ctx.data.get("editing"):
        ctx.data["editing"] = False
        return _go(ctx, "confirm")
    return _go(ctx, cards.ORDER[cards.ORDER.index(step) + 1])


def _back(ctx: Ctx, step: str) -> Step:
    return _go(ctx, cards.ORDER[max(cards.ORDER.index(step) - 1, 0)])


async def _editable(ctx: Ctx, customer_id: int) -> Customer | None:
    assert ctx.who.staff is not None
    return await access.editable_customer(ctx.session, ctx.who.staff, customer_id)


async def _set_customer(ctx: Ctx, customer: Customer) -> None:
    contacts = await customer_svc.contacts_of(ctx.session, customer.id)
    ctx.data.update(
        customer_id=customer.id,
        customer_name=customer.name,
        known_contacts=[(c.id, c.name) for c in contacts][:8],
    )


async def start(ctx: Ctx, preset: dict[str, Any] | None = None) -> Step:
    assert ctx.who.staff is not None
    ctx.data = dict(preset or {})
    recent = await customer_svc.recent_for(ctx.session, ctx.who.staff, limit=5)
    ctx.data["recent_buttons"] = []
    step = _go(ctx, "customer")
    # Recent customers first: the prompt carries them as buttons, not the saved draft.
    step.replies[-1] = Reply(
        step.replies[-1].text,
        buttons=tuple(
            (cards.button(Raw(f"{c.name} · {c.customer_class}"), "customer", str(c.id)),)
            for c in recent
        )
        + ((cards.button(T("➕ New customer"), "customer", "new"),),),
    )
    return step


async def start_for_customer(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    customer = await _editable(ctx, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
    ctx.data = {}
    await _set_customer(ctx, customer)
    return _go(ctx, "kind")


async def start_with(ctx: Ctx, customer: Customer, draft: dict[str, Any], quick: bool) -> Step:
    """Entry from one message or a check-in pin: the draft is kept in the conversation state."""
    ctx.data = dict(draft)
    await _set_customer(ctx, customer)
    return _go(ctx, "confirm" if quick else "kind")


def resume_with_customer(ctx: Ctx, customer: Customer, quick: bool, before: Reply | None) -> Step:
    """Back from registering a new customer in the middle of a visit."""
    ctx.data.update(customer_id=customer.id, customer_name=customer.name, known_contacts=[])
    extra = (before,) if before else ()
    return _go(ctx, "confirm" if quick else "kind", *extra)


async def customer_step(ctx: Ctx) -> Step:
    assert ctx.who.staff is not None
    if ctx.choice in ("new", "register"):
        from handlers import customer_new

        name = ctx.data.get("query") if ctx.choice == "register" else None
        return customer_new.begin(
            ctx, then="quick" if ctx.data.get("quick") else "visit", name=name
        )
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    if ctx.choice is not None:
        if not ctx.choice.isdigit():
            return ctx.stay(Reply(T("This button is no longer valid. Nothing was changed.")))
        customer = await _editable(ctx, int(ctx.choice))
        if customer is None:
            return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
        await _set_customer(ctx, customer)
        return _go(ctx, "confirm") if ctx.data.get("quick") else _next(ctx, "customer")
    text = (ctx.inbound.text or "").strip()
    if not text or len(text) > 100:
        return ctx.stay(Reply(T("Please type a customer name, phone or pinyin initials.")))
    return await pick_customer(ctx, text)


async def pick_customer(ctx: Ctx, query: str) -> Step:
    """Matches typed text to the rep's customers: one → on; several → choose; none → create."""
    assert ctx.who.staff is not None
    found = [
        c
        for c in await customer_svc.search(ctx.session, ctx.who.staff, query)
        if await access.can_edit_customer(ctx.session, ctx.who.staff, c.id)
    ]
    quick = bool(ctx.data.get("quick"))
    if len(found) == 1:
        await _set_customer(ctx, found[0])
        return _go(ctx, "confirm") if quick else _next(ctx, "customer")
    ctx.data["query"] = query
    if not found:
        return Step.to(
            "visit.customer",
            Reply(
                T("No customer of yours matches “{query}”.", query=query),
                buttons=(
                    (
                        cards.button(
                            T("➕ Register “{name}”", name=query[:40]), "customer", "register"
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
        "visit.customer",
        Reply(
            T("Several customers match “{query}”; which one?", query=query),
            buttons=buttons + ((cards.button(T("➕ New customer"), "customer", "new"),),),
        ),
    )


async def kind_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _back(ctx, "kind")
    if ctx.choice not in set(VisitKind):
        return ctx.stay(Reply(T("Please choose one of the buttons.")), cards.prompt(ctx, "kind"))
    ctx.data["kind"] = ctx.choice
    return _next(ctx, "kind")


async def purpose_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _back(ctx, "purpose")
    if ctx.choice in PURPOSE:
        ctx.data["purpose"] = ctx.choice
        return _next(ctx, "purpose")
    text, refused = typed_text(ctx, 200, T("Please choose one of the buttons."))
    if refused is not None:
        return refused
    ctx.data["purpose"] = text
    return _next(ctx, "purpose")


async def outcome_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _back(ctx, "outcome")
    text, refused = typed_text(ctx, MAX_TEXT, T("Please describe the outcome in a few words."))
    if refused is not None:
        return refused
    ctx.data["outcome"] = text
    return _next(ctx, "outcome")


async def contacts_step(ctx: Ctx) -> Step:
    chosen: list[str] = list(ctx.data.get("contacts", []))
    if ctx.choice == "back":
        return _back(ctx, "contacts")
    if ctx.choice in ("done", "skip"):
        if ctx.choice == "skip":
            ctx.data["contacts"] = []
        return _next(ctx, "contacts")
    if ctx.choice and ctx.choice.startswith("c"):
        names = dict(ctx.data.get("known_contacts", []))
        name = names.get(int(ctx.choice[1:])) if ctx.choice[1:].isdigit() else None
        if name is None:
            return ctx.stay(Reply(T("This button is no longer valid. Nothing was changed.")))
        chosen = [n for n in chosen if n != name] if name in chosen else [*chosen, name]
        ctx.data["contacts"] = chosen
        return _go(ctx, "contacts")
    text, refused = typed_text(ctx, 300, T("Tap a contact or type names separated by commas."))
    if refused is not None:
        return refused
    typed = [n.strip() for n in text.replace("，", ",").replace("、", ",").split(",") if n.strip()]
    ctx.data["contacts"] = list(dict.fromkeys(chosen + typed))[:10]
    return _next(ctx, "contacts")


async def checkin_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _back(ctx, "checkin")
    if ctx.choice in ("done", "skip"):
        if ctx.choice == "skip":
            ctx.data.update(lat=None, lon=None, distance_m=None, far=False, photos=[])
        return _with_menu(_next(ctx, "checkin"), ctx)
    inbound = ctx.inbound
    if inbound.location is not None:
        await record_pin(ctx, inbound.location.lat, inbound.location.lon)
        return ctx.stay(Reply(T("📍 Location recorded. Add photos or tap Done.")))
    if inbound.photo_ids:
        photos = list(ctx.data.get("photos", []))
        if len(photos) >= MAX_PHOTOS:
            return ctx.stay(Reply(T("That is enough photos for one visit ({n}).", n=MAX_PHOTOS)))
        photos.extend(inbound.photo_ids[: MAX_PHOTOS - len(photos)])
        ctx.data["photos"] = photos
        return ctx.stay(Reply(T("Photo added ({n}). More, or tap Done.", n=len(photos))))
    return ctx.stay(Reply(T("Send a location pin or a photo here, or tap Skip.")))


async def record_pin(ctx: Ctx, lat: float, lon: float) -> None:
    customer = await ctx.session.get(Customer, ctx.data["customer_id"])
    dist = None
    if customer is not None and customer.lat is not None and customer.lon is not None:
        dist = distance_m(lat, lon, customer.lat, customer.lon)
    ctx.data.update(
        lat=lat,
        lon=lon,
        distance_m=dist,
        far=dist is not None and dist > ctx.rules.visits.checkin_radius_m,
    )


def _with_menu(step: Step, ctx: Ctx) -> Step:
    """The check-in step swapped the menu for a location button; the next reply brings it back."""
    last = step.replies[-1]
    step.replies[-1] = Reply(last.text, buttons=last.buttons, keyboard=main_menu(ctx))
    return step


async def followup_step(ctx: Ctx) -> Step:
    if ctx.choice == "back":
        return _back(ctx, "followup")
    if ctx.choice == "skip":
        ctx.data["followup_at"] = None
        return _next(ctx, "followup")
    text = (ctx.inbound.text or "").strip()
    when = parse_when(text, ctx.now(), ctx.who.tz) if text else None
    if when is None:
        return ctx.stay(Reply(cards.unreadable_date(text)))
    if when <= ctx.now():
        return ctx.stay(Reply(T("That time has already passed; please give a future time.")))
    ctx.data["followup_at"] = when.isoformat()
    return _next(ctx, "followup")


async def confirm_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved."), keyboard=main_menu(ctx)))
    if ctx.choice == "edit":
        fields = {
            "customer": T("Customer"),
            "kind": T("Visit type"),
            "purpose": T("Purpose"),
            "outcome": T("Outcome"),
            "contacts": T("Contacts met"),
            "checkin": T("Check-in"),
            "followup": T("Follow-up"),
        }
        buttons = [cards.button(label, "edit", key) for key, label in fields.items()]
        return Step.to(
            "visit.edit",
            Reply(
                T("What do you want to change?"),
                buttons=tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
                + ((cards.button(T("⬅ Back"), "edit", "back"),),),
            ),
        )
    if ctx.choice != "save":
        return ctx.stay(Reply(T("Please choose one of the buttons.")), cards.summary(ctx))
    return await _save(ctx)


async def edit_step(ctx: Ctx) -> Step:
    if ctx.choice == "back" or ctx.choice not in cards.EDITABLE:
        return _go(ctx, "confirm")
    ctx.data["editing"] = True
    return _go(ctx, ctx.choice)


async def _save(ctx: Ctx) -> Step:
    d = ctx.data
    customer = await _editable(ctx, d["customer_id"])
    if customer is None:
        return Step.end(Reply(T("This customer is no longer available to you. Nothing was saved.")))
    staff = ctx.who.staff
    assert staff is not None
    followup_at = d.get("followup_at")
    visit, followup = await sales.log_visit(
        ctx.session,
        staff,
        customer,
        kind=d.get("kind") or VisitKind.ONSITE,
        outcome=d.get("outcome"),
        purpose=d.get("purpose"),
        when=ctx.now(),
        contacts_met=", ".join(d.get("contacts", [])) or None,
        lat=d.get("lat"),
        lon=d.get("lon"),
        distance_m=d.get("distance_m"),
        far_from_address=bool(d.get("far")),
        photo_ids=d.get("photos"),
        followup_at=datetime.fromisoformat(followup_at) if followup_at else None,
        followup_note=(d.get("outcome") or "")[:200] if followup_at else None,
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


FLOWS = [
    Flow(
        "visit",
        FIELD,
        {
            "customer": customer_step,
            "kind": kind_step,
            "purpose": purpose_step,
            "outcome": outcome_step,
            "contacts": contacts_step,
            "checkin": checkin_step,
            "followup": followup_step,
            "confirm": confirm_step,
            "edit": edit_step,
        },
    )
]
