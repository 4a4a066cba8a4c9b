"""Editing a customer's details, field by field from one table (crm.customer_fields.FIELDS).

A field's kind decides the prompt: buttons for choices, yes/no for flags, a pin or typed text for
the address, a reason for the blacklist; the change is checked and audited in
crm.services.customer_edit. Diagram: docs/flows/edit.md (generated from FLOWS).
"""

from __future__ import annotations

from bot.types import KeyButton, Reply, T, Text
from crm.customer_fields import BY_KEY, BadValue, choices, parse, shown
from crm.models import Customer
from crm.services import customer_edit as svc
from crm.services import records
from handlers import customer_dupes
from handlers.base import FIELD, LEADS, Action, StaffCtx, Step, flow_button, rows
from handlers.conversation import Draft, Flow, Input, State, States
from handlers.conversation.flow import BUTTONS
from handlers.customers import card_reply
from handlers.labels import CUSTOMER_FIELD, FIELD_CHOICE, label
from handlers.refusals import CHOOSE, GONE_CUSTOMER

# A change of these may make the customer one the company already has.
IDENTITY = ("name", "phone", "address")
BAD = {
    "phone": T("That does not look like a phone number. Try again."),
    "money": T("Please type the amount as a number, e.g. 120000 or 12万."),
    "choice": CHOOSE,
}


class EditStep(States, flow="edit"):
    FIELD = "field"
    VALUE = "value"


class EditDraft(Draft):
    SCAFFOLD = frozenset({"customer_id", "customer_name"})

    customer_id: int = 0
    customer_name: str = ""
    field: str | None = None


def edit_customer(customer: Customer) -> EditDraft:
    """The draft that edits this customer (also entered right after registering one)."""
    return EditDraft(customer_id=customer.id, customer_name=customer.name)


async def start(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    customer = await records.customer(ctx.session, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(GONE_CUSTOMER, notice="alert"))
    ctx.data = edit_customer(customer)
    return Step.go(EditStep.FIELD)


def _field_prompt(ctx: StaffCtx) -> Reply:
    """The fields this person may change, as buttons."""
    fields = shown(ctx.rules, lead=ctx.who.role in LEADS)
    buttons = [flow_button(CUSTOMER_FIELD[f.key], EditStep.FIELD, f.key) for f in fields]
    buttons.append(flow_button(T("✔ Done"), EditStep.FIELD, "done"))
    return Reply(T("What do you want to change?"), buttons=rows(*buttons, width=3))


def _value_prompt(ctx: StaffCtx) -> Reply:
    field = BY_KEY[ctx.data.field or "name"]
    name = CUSTOMER_FIELD[field.key]
    options = choices(field, ctx.rules)
    if options:
        buttons = [flow_button(label(FIELD_CHOICE, o), EditStep.VALUE, o) for o in options]
        return Reply(T("{field}?", field=name), buttons=rows(*buttons))
    if field.kind == "blacklist":
        return Reply(
            T("Why is this customer blacklisted? Type the reason, or lift the blacklist."),
            buttons=((flow_button(T("Lift the blacklist"), EditStep.VALUE, "lift"),),),
        )
    if field.kind == "place":
        return Reply(
            T("Type the address, or send a location pin."),
            keyboard=((KeyButton(T("📍 Send my location"), request_location=True),),),
        )
    return Reply(T("New value for {field}?", field=name))


async def field_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "done":
        return Step.end(await card_reply(ctx, ctx.data.customer_id))
    allowed = {f.key for f in shown(ctx.rules, lead=ctx.who.role in LEADS)}
    if ctx.choice not in allowed:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.field = BY_KEY[ctx.choice].key
    return Step.go(EditStep.VALUE)


async def value_step(ctx: StaffCtx) -> Step:
    field = BY_KEY[ctx.data.field or "name"]
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
        customer = await records.customer(ctx.session, ctx.data.customer_id)
        value = customer.address if customer else None
        extra.update(lat=where.lat, lon=where.lon)
    else:
        try:
            value = parse(field, ctx.choice or ctx.inbound.text or "", ctx.rules)
        except BadValue as bad:
            return ctx.stay(_refused(bad.code, field.max_len))
    customer = await svc.set_field(
        ctx.session,
        ctx.me,
        ctx.data.customer_id,
        field.key,
        value,
        now=ctx.now(),
        **extra,  # type: ignore[arg-type]
    )
    if customer is None:
        return Step.end(Reply(GONE_CUSTOMER))
    saved = Reply(
        T("Saved: {field} of {customer}.", field=CUSTOMER_FIELD[field.key], customer=customer.name)
    )
    if field.key in IDENTITY and await svc.recheck_duplicates(
        ctx.session, ctx.rules.dedupe, customer, now=ctx.now()
    ):
        saved = await customer_dupes.registered_pending(ctx, customer)
    ctx.data.field = None
    return Step.go(EditStep.FIELD, saved)


def _refused(code: str, n: int) -> Reply:
    if code == "length":
        return Reply(T("Please type the new value (at most {n} characters).", n=n))
    return Reply(BAD[code])


def _title(d: EditDraft) -> Text:
    return T("Change to {customer}", customer=d.customer_name)


FLOWS = [
    Flow(
        EditStep,
        FIELD,
        {
            EditStep.FIELD: State(field_step, _field_prompt, accepts=BUTTONS, to=(EditStep.VALUE,)),
            EditStep.VALUE: State(
                value_step,
                _value_prompt,
                accepts=frozenset({Input.TEXT, Input.BUTTON, Input.LOCATION}),
                to=(EditStep.FIELD,),
                back=EditStep.FIELD,
                ends=True,
            ),
        },
        EditDraft,
        _title,
        entries=(("card Edit", EditStep.FIELD), ("after registering a customer", EditStep.FIELD)),
    )
]
ACTIONS = [Action("edit", FIELD, start, obj_kind="customer_edit")]
