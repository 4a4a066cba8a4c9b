"""Editing a customer's details, field by field from one table (crm.customer_fields.FIELDS).

A field's kind decides the prompt: buttons for choices, yes/no for flags, a pin or typed text for
the address, a reason for the blacklist; the change is checked and audited in
crm.services.customer_edit.
"""

from __future__ import annotations

from bot.types import KeyButton, Reply, T
from crm.customer_fields import BY_KEY, BadValue, choices, parse, shown
from crm.models import Customer
from crm.services import customer_edit as svc
from handlers import customer_dupes
from handlers.base import FIELD, LEADS, Action, Ctx, Flow, Step, flow_button, rows
from handlers.customers import card_reply
from handlers.labels import CUSTOMER_FIELD, FIELD_CHOICE, label

# A change of these may make the customer one the company already has.
IDENTITY = ("name", "phone", "address")
BAD = {
    "phone": T("That does not look like a phone number. Try again."),
    "money": T("Please type the amount as a number, e.g. 120000 or 12万."),
    "choice": T("Please choose one of the buttons."),
}


def menu(ctx: Ctx, customer_id: int) -> Reply:
    """The fields this person may change, as buttons (also offered right after registering)."""
    ctx.data["customer_id"] = customer_id
    fields = shown(ctx.rules, lead=ctx.who.role in LEADS)
    buttons = [flow_button(CUSTOMER_FIELD[f.key], "edit.field", f.key) for f in fields]
    buttons.append(flow_button(T("✔ Done"), "edit.field", "done"))
    return Reply(T("What do you want to change?"), buttons=rows(*buttons, width=3))


async def start(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    ctx.data = {}
    return Step.to("edit.field", menu(ctx, ctx.obj_id))


async def field_step(ctx: Ctx) -> Step:
    if ctx.choice == "done":
        return Step.end(await card_reply(ctx, ctx.data["customer_id"]))
    allowed = {f.key for f in shown(ctx.rules, lead=ctx.who.role in LEADS)}
    if ctx.choice not in allowed:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    field = BY_KEY[ctx.choice]
    ctx.data["field"] = field.key
    name = CUSTOMER_FIELD[field.key]
    options = choices(field, ctx.rules)
    if options:
        buttons = [flow_button(label(FIELD_CHOICE, o), "edit.value", o) for o in options]
        return Step.to("edit.value", Reply(T("{field}?", field=name), buttons=rows(*buttons)))
    if field.kind == "blacklist":
        return Step.to(
            "edit.value",
            Reply(
                T("Why is this customer blacklisted? Type the reason, or lift the blacklist."),
                buttons=((flow_button(T("Lift the blacklist"), "edit.value", "lift"),),),
            ),
        )
    if field.kind == "place":
        return Step.to(
            "edit.value",
            Reply(
                T("Type the address, or send a location pin."),
                keyboard=((KeyButton(T("📍 Send my location"), request_location=True),),),
            ),
        )
    return Step.to("edit.value", Reply(T("New value for {field}?", field=name)))


async def value_step(ctx: Ctx) -> Step:
    assert ctx.who.staff is not None
    field = BY_KEY[ctx.data["field"]]
    where = ctx.inbound.location
    extra: dict[str, object] = {}
    if field.kind == "blacklist":
        lift = ctx.choice == "lift"
        reason = "" if lift else (ctx.inbound.text or "").strip()
        if not lift and not 0 < len(reason) <= field.max_len:
            return ctx.stay(_refused("length", field.max_len))
        value: object = not lift
        extra["reason"] = reason or None
    elif field.kind == "place" and where is not None:
        # A pin keeps the typed address (if any) and gives the customer a place on the map.
        customer = await ctx.session.get(Customer, ctx.data["customer_id"])
        value = customer.address if customer else None
        extra.update(lat=where.lat, lon=where.lon)
    else:
        try:
            value = parse(field, ctx.choice or ctx.inbound.text or "", ctx.rules)
        except BadValue as bad:
            return ctx.stay(_refused(bad.code, field.max_len))
    customer = await svc.set_field(
        ctx.session,
        ctx.who.staff,
        ctx.data["customer_id"],
        field.key,
        value,
        now=ctx.now(),
        **extra,  # type: ignore[arg-type]
    )
    if customer is None:
        return Step.end(Reply(T("This customer is no longer available to you. Nothing was saved.")))
    saved = Reply(
        T("Saved: {field} of {customer}.", field=CUSTOMER_FIELD[field.key], customer=customer.name)
    )
    if field.key in IDENTITY and await svc.recheck_duplicates(
        ctx.session, ctx.rules.dedupe, customer, now=ctx.now()
    ):
        saved = await customer_dupes.registered_pending(ctx, customer)
    return Step.to("edit.field", saved, menu(ctx, customer.id))


def _refused(code: str, n: int) -> Reply:
    if code == "length":
        return Reply(T("Please type the new value (at most {n} characters).", n=n))
    return Reply(BAD[code])


ACTIONS = [Action("edit", FIELD, start, obj_kind="customer_edit")]
FLOWS = [Flow("edit", FIELD, {"field": field_step, "value": value_step})]
