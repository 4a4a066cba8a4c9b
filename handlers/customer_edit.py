"""Editing a customer's name, phone, address or annual value; every change is audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from bot.types import Reply, T, Text
from crm.models import Customer
from crm.names import search_key
from crm.phones import normalise
from crm.services import access, runtime
from handlers.base import FIELD, Action, Ctx, Step, flow_button, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.customers import card_reply
from handlers.labels import CUSTOMER_FIELD
from handlers.refusals import CHOOSE, GONE_CUSTOMER

FIELDS = CUSTOMER_FIELD


class EditStep(States, flow="edit"):
    FIELD = "field"
    VALUE = "value"


class EditDraft(Draft):
    SCAFFOLD = frozenset({"customer_id", "customer_name"})

    customer_id: int = 0
    customer_name: str = ""
    field: str | None = None


async def start(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    customer = await ctx.session.get(Customer, ctx.obj_id)
    ctx.data = EditDraft(customer_id=ctx.obj_id, customer_name=customer.name if customer else "")
    return Step.go(EditStep.FIELD)


def _field_prompt(ctx: Ctx) -> Reply:
    buttons = [flow_button(label, EditStep.FIELD, key) for key, label in FIELDS.items()]
    return Reply(T("What do you want to change?"), buttons=rows(*buttons))


def _value_prompt(ctx: Ctx) -> Reply:
    return Reply(T("New value for {field}?", field=FIELDS[ctx.data.field or "name"]))


async def field_step(ctx: Ctx) -> Step:
    if ctx.choice not in FIELDS:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.field = ctx.choice
    return Step.go(EditStep.VALUE)


async def value_step(ctx: Ctx) -> Step:
    text = (ctx.inbound.text or "").strip()
    field = ctx.data.field or "name"
    value: object
    if not text or len(text) > 300:
        return ctx.stay(Reply(T("Please type the new value (at most 300 characters).")))
    if field == "phone":
        value = normalise(text)
        if value is None:
            return ctx.stay(Reply(T("That does not look like a phone number. Try again.")))
    elif field == "value":
        try:
            value = Decimal(text.replace(",", ""))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value < 0:
            return ctx.stay(Reply(T("Please type the amount as a number, e.g. 120000 or 12万.")))
    else:
        value = text
    assert ctx.who.staff is not None
    customer = await ctx.session.get(Customer, ctx.data.customer_id)
    if customer is None or not await access.can_edit_customer(
        ctx.session, ctx.who.staff, customer.id
    ):
        return Step.end(Reply(GONE_CUSTOMER))
    column = {"name": "name", "phone": "phone", "address": "address", "value": "annual_value"}
    old = getattr(customer, column[field])
    setattr(customer, column[field], value)
    if field == "name":
        customer.name_search = search_key(str(value))
    customer.updated_at = ctx.now()
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
        action="customer.edit",
        entity="customer",
        entity_id=customer.id,
        changes={field: [str(old) if old is not None else None, str(value)]},
        now=ctx.now(),
    )
    return Step.end(
        Reply(T("Saved: {field} of {customer}.", field=FIELDS[field], customer=customer.name)),
        await card_reply(ctx, customer.id),
    )


ACTIONS = [Action("edit", FIELD, start, obj_kind="customer_edit")]
def _title(d: EditDraft) -> Text:
    return T("Change to {customer}", customer=d.customer_name)


FLOWS = [
    Flow(
        EditStep,
        FIELD,
        {
            EditStep.FIELD: State(
                field_step, _field_prompt, accepts=BUTTONS, to=(EditStep.VALUE,), ends=False
            ),
            EditStep.VALUE: State(value_step, _value_prompt, back=EditStep.FIELD),
        },
        EditDraft,
        _title,
        entries=(("card Edit", EditStep.FIELD),),
    )
]
