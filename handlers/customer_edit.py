"""Editing a customer's name, phone, address or annual value; every change is audited."""

from __future__ import annotations

from bot.types import Reply, T
from crm.limits import parse_amount, text_limit
from crm.models import Customer
from crm.names import search_key
from crm.phones import normalise
from crm.services import access, runtime
from handlers.base import FIELD, Action, Ctx, Flow, Step, flow_button, rows
from handlers.customers import card_reply
from handlers.labels import CUSTOMER_FIELD

FIELDS = CUSTOMER_FIELD
# Typed values are checked against what their column holds (the model is the source).
LIMITS = {"name": text_limit(Customer.name), "address": text_limit(Customer.address)}


async def start(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    ctx.data = {"customer_id": ctx.obj_id}
    buttons = [flow_button(label, "edit.field", key) for key, label in FIELDS.items()]
    return Step.to("edit.field", Reply(T("What do you want to change?"), buttons=rows(*buttons)))


async def field_step(ctx: Ctx) -> Step:
    if ctx.choice not in FIELDS:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["field"] = ctx.choice
    return Step.to("edit.value", Reply(T("New value for {field}?", field=FIELDS[ctx.choice])))


async def value_step(ctx: Ctx) -> Step:
    text = (ctx.inbound.text or "").strip()
    field = ctx.data["field"]
    value: object
    if not text or len(text) > 300:
        return ctx.stay(Reply(T("Please type the new value (at most 300 characters).")))
    limit = LIMITS.get(field)
    if limit is not None and len(text) > limit:
        return ctx.stay(
            Reply(T("That is longer than {max} characters; please shorten it.", max=limit))
        )
    if field == "phone":
        value = normalise(text)
        if value is None:
            return ctx.stay(Reply(T("That does not look like a phone number. Try again.")))
    elif field == "value":
        value = parse_amount(text)
        if value is None:
            return ctx.stay(Reply(T("Please type the amount as a number, e.g. 120000 or 12万.")))
    else:
        value = text
    assert ctx.who.staff is not None
    customer = await ctx.session.get(Customer, ctx.data["customer_id"])
    if customer is None or not await access.can_edit_customer(
        ctx.session, ctx.who.staff, customer.id
    ):
        return Step.end(Reply(T("This customer is no longer available to you. Nothing was saved.")))
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
FLOWS = [Flow("edit", FIELD, {"field": field_step, "value": value_step})]
