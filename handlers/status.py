"""Changing a customer's stage (won with an amount, lost with a reason) or class (with a reason).

```mermaid
stateDiagram-v2
    [*] --> pick: card "Stage"
    pick --> amount: won
    pick --> reason: lost
    pick --> [*]: any other stage, saved
    amount --> [*]: saved (and a class suggestion if the value crossed a threshold)
    reason --> [*]: saved
    [*] --> cls: card "Class"
    cls --> why: a class
    why --> [*]: saved
```
"""

from __future__ import annotations

from decimal import Decimal

from bot.types import Button, Lines, Money, Raw, Reply, T, Text
from crm.enums import CustomerClass, Stage
from crm.limits import parse_amount
from crm.models import Customer
from crm.services import access, runtime, status
from handlers.base import FIELD, Action, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.customers import card_reply
from handlers.labels import LOST_REASON, STAGE, label


async def _customer(ctx: Ctx) -> Customer | None:
    """The customer of the flow, re-checked on every step: a draft proves nothing."""
    assert ctx.who.staff is not None
    cid = ctx.data.get("customer_id") or ctx.obj_id
    if cid is None:
        return None
    return await access.editable_customer(ctx.session, ctx.who.staff, cid)


GONE = T("This customer is no longer available to you. Nothing was saved.")


async def start_stage(ctx: Ctx) -> Step:
    customer = await _customer(ctx)
    if customer is None:
        return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
    ctx.data = {"customer_id": customer.id}
    stages = [s for s in ctx.rules.stages.order if s != customer.stage]
    buttons = [flow_button(label(STAGE, s), "stage.pick", s) for s in stages]
    return Step.to(
        "stage.pick",
        Reply(
            T(
                "{customer} is at stage “{stage}”. New stage?",
                customer=customer.name,
                stage=label(STAGE, customer.stage),
            ),
            buttons=rows(*buttons, flow_button(T("✖ Cancel"), "stage.pick", "cancel")),
        ),
    )


async def pick_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    if ctx.choice not in ctx.rules.stages.order:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["stage"] = ctx.choice
    if ctx.choice == Stage.WON:
        return Step.to("stage.amount", Reply(T("Won — congratulations! The deal's amount?")))
    if ctx.choice == Stage.LOST:
        reasons = [
            flow_button(LOST_REASON.get(r, Raw(r)), "stage.reason", r)
            for r in ctx.rules.stages.lost_reasons
        ]
        return Step.to("stage.reason", Reply(T("Why was it lost?"), buttons=rows(*reasons)))
    return await _save_stage(ctx)


async def amount_step(ctx: Ctx) -> Step:
    amount = parse_amount(ctx.inbound.text or "")
    if amount is None or amount <= 0:
        return ctx.stay(Reply(T("Please type the amount as a number, e.g. 120000 or 12万.")))
    ctx.data["amount"] = str(amount)
    return await _save_stage(ctx)


async def reason_step(ctx: Ctx) -> Step:
    if ctx.choice not in ctx.rules.stages.lost_reasons:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["reason"] = ctx.choice
    return await _save_stage(ctx)


async def _save_stage(ctx: Ctx) -> Step:
    customer = await _customer(ctx)
    if customer is None:
        return Step.end(Reply(GONE))
    staff = ctx.who.staff
    assert staff is not None
    amount = Decimal(ctx.data["amount"]) if ctx.data.get("amount") else None
    old = customer.stage
    await status.change_stage(
        ctx.session,
        customer,
        Stage(ctx.data["stage"]),
        by=staff.id,
        now=ctx.now(),
        reason=ctx.data.get("reason"),
        amount=amount,
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="customer.stage",
        entity="customer",
        entity_id=customer.id,
        changes={
            "stage": [old, customer.stage],
            "amount": ctx.data.get("amount"),
            "reason": ctx.data.get("reason"),
        },
        now=ctx.now(),
    )
    lines: list[Text] = [
        T(
            "{customer}: stage is now “{stage}”.",
            customer=customer.name,
            stage=label(STAGE, customer.stage),
        )
    ]
    buttons: tuple[tuple[Button, ...], ...] = ()
    suggestion = status.suggested_class(customer, ctx.rules)
    if suggestion is not None:
        lines.append(
            T(
                "Its annual value is now {value}: suggest class {cls}?",
                value=Money(customer.annual_value),
                cls=suggestion.value,
            )
        )
        buttons = ((Button(T("🏷 Change class"), f"cls:{customer.id}"),),)
    return Step.end(Reply(Lines(*lines), buttons=buttons), await card_reply(ctx, customer.id))


async def start_class(ctx: Ctx) -> Step:
    customer = await _customer(ctx)
    if customer is None:
        return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
    ctx.data = {"customer_id": customer.id}
    buttons = [
        flow_button(Raw(c.value), "cls.pick", c.value)
        for c in CustomerClass
        if c != customer.customer_class
    ]
    return Step.to(
        "cls.pick",
        Reply(
            T(
                "{customer} is class {cls}. New class?",
                customer=customer.name,
                cls=customer.customer_class,
            ),
            buttons=(tuple(buttons), (flow_button(T("✖ Cancel"), "cls.pick", "cancel"),)),
        ),
    )


async def cls_pick_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    if ctx.choice not in {c.value for c in CustomerClass}:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["cls"] = ctx.choice
    return Step.to("cls.why", Reply(T("Why? (e.g. annual volume grew, strategic account)")))


async def cls_why_step(ctx: Ctx) -> Step:
    reason, refused = typed_text(ctx, 200, T("Please give a short reason."))
    if refused is not None:
        return refused
    customer = await _customer(ctx)
    if customer is None:
        return Step.end(Reply(GONE))
    staff = ctx.who.staff
    assert staff is not None
    old = customer.customer_class
    await status.change_class(
        ctx.session,
        customer,
        CustomerClass(ctx.data["cls"]),
        by=staff.id,
        now=ctx.now(),
        reason=reason,
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="customer.class",
        entity="customer",
        entity_id=customer.id,
        changes={"class": [old, customer.customer_class], "reason": reason},
        now=ctx.now(),
    )
    return Step.end(
        Reply(
            T(
                "{customer}: class is now {cls}.",
                customer=customer.name,
                cls=customer.customer_class,
            )
        ),
        await card_reply(ctx, customer.id),
    )


ACTIONS = [
    Action("stage", FIELD, start_stage, obj_kind="customer_edit"),
    Action("cls", FIELD, start_class, obj_kind="customer_edit"),
]
FLOWS = [
    Flow("stage", FIELD, {"pick": pick_step, "amount": amount_step, "reason": reason_step}),
    Flow("cls", FIELD, {"pick": cls_pick_step, "why": cls_why_step}),
]
