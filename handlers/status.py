"""Changing a customer's stage (won with an amount, lost with a reason) or class (with a reason).

Diagrams: docs/flows/stage.md, docs/flows/cls.md (generated from FLOWS).
"""

from __future__ import annotations

from decimal import Decimal

from bot.types import Button, Lines, Money, Raw, Reply, T, Text
from crm.enums import CustomerClass, Stage
from crm.limits import parse_amount
from crm.models import Customer
from crm.services import access, runtime, status
from handlers.base import FIELD, Action, StaffCtx, Step, flow_button, rows, typed_text
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.customers import card_reply
from handlers.labels import LOST_REASON, STAGE, label
from handlers.refusals import CHOOSE, DENIED, GONE_CUSTOMER


class StageStep(States, flow="stage"):
    PICK = "pick"
    AMOUNT = "amount"
    REASON = "reason"


class ClsStep(States, flow="cls"):
    PICK = "pick"
    WHY = "why"


class StatusDraft(Draft):
    SCAFFOLD = frozenset({"customer_id", "customer_name", "was"})

    customer_id: int = 0
    customer_name: str = ""
    # The stage or class the customer had when the flow began.
    was: str = ""
    stage: str | None = None
    amount: str | None = None
    reason: str | None = None
    cls: str | None = None


async def _customer(ctx: StaffCtx, cid: int | None = None) -> Customer | None:
    """The customer of the flow, re-checked on every step: a draft proves nothing."""
    if cid is None:
        cid = ctx.data.customer_id if isinstance(ctx.data, StatusDraft) else None
    if cid is None:
        return None
    return await access.editable_customer(ctx.session, ctx.me, cid)


GONE = GONE_CUSTOMER


async def start_stage(ctx: StaffCtx) -> Step:
    customer = await _customer(ctx, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(DENIED, notice="alert"))
    ctx.data = StatusDraft(customer_id=customer.id, customer_name=customer.name, was=customer.stage)
    return Step.go(StageStep.PICK)


def _stage_prompt(ctx: StaffCtx) -> Reply:
    d: StatusDraft = ctx.data
    stages = [s for s in ctx.rules.stages.order if s != d.was]
    buttons = [flow_button(label(STAGE, s), StageStep.PICK, s) for s in stages]
    return Reply(
        T(
            "{customer} is at stage “{stage}”. New stage?",
            customer=d.customer_name,
            stage=label(STAGE, d.was),
        ),
        buttons=rows(*buttons, flow_button(T("✖ Cancel"), StageStep.PICK, "cancel")),
    )


def _amount_prompt(ctx: StaffCtx) -> Reply:
    return Reply(T("Won — congratulations! The deal's amount?"))


def _reason_prompt(ctx: StaffCtx) -> Reply:
    reasons = [
        flow_button(LOST_REASON.get(r, Raw(r)), StageStep.REASON, r)
        for r in ctx.rules.stages.lost_reasons
    ]
    return Reply(T("Why was it lost?"), buttons=rows(*reasons))


async def pick_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in ctx.rules.stages.order:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.stage = ctx.choice
    if ctx.choice == Stage.WON:
        return Step.go(StageStep.AMOUNT)
    if ctx.choice == Stage.LOST:
        return Step.go(StageStep.REASON)
    return await _save_stage(ctx)


async def amount_step(ctx: StaffCtx) -> Step:
    amount = parse_amount(ctx.inbound.text or "")
    if amount is None or amount <= 0:
        return ctx.stay(Reply(T("Please type the amount as a number, e.g. 120000 or 12万.")))
    ctx.data.amount = str(amount)
    return await _save_stage(ctx)


async def reason_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in ctx.rules.stages.lost_reasons:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.reason = ctx.choice
    return await _save_stage(ctx)


async def _save_stage(ctx: StaffCtx) -> Step:
    customer = await _customer(ctx)
    if customer is None:
        return Step.end(Reply(GONE))
    staff = ctx.me
    amount = Decimal(ctx.data.amount) if ctx.data.amount else None
    old = customer.stage
    await status.change_stage(
        ctx.session,
        customer,
        Stage(ctx.data.stage),
        by=staff.id,
        now=ctx.now(),
        reason=ctx.data.reason,
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
            "amount": ctx.data.amount,
            "reason": ctx.data.reason,
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


async def start_class(ctx: StaffCtx) -> Step:
    customer = await _customer(ctx, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(DENIED, notice="alert"))
    ctx.data = StatusDraft(
        customer_id=customer.id, customer_name=customer.name, was=customer.customer_class
    )
    return Step.go(ClsStep.PICK)


def _cls_prompt(ctx: StaffCtx) -> Reply:
    d: StatusDraft = ctx.data
    buttons = [
        flow_button(Raw(c.value), ClsStep.PICK, c.value) for c in CustomerClass if c != d.was
    ]
    return Reply(
        T("{customer} is class {cls}. New class?", customer=d.customer_name, cls=d.was),
        buttons=(tuple(buttons), (flow_button(T("✖ Cancel"), ClsStep.PICK, "cancel"),)),
    )


def _why_prompt(ctx: StaffCtx) -> Reply:
    return Reply(T("Why? (e.g. annual volume grew, strategic account)"))


async def cls_pick_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in {c.value for c in CustomerClass}:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.cls = ctx.choice
    return Step.go(ClsStep.WHY)


async def cls_why_step(ctx: StaffCtx) -> Step:
    reason, refused = typed_text(ctx, 200, T("Please give a short reason."))
    if refused is not None:
        return refused
    customer = await _customer(ctx)
    if customer is None:
        return Step.end(Reply(GONE))
    staff = ctx.me
    old = customer.customer_class
    await status.change_class(
        ctx.session,
        customer,
        CustomerClass(ctx.data.cls),
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
    Flow(
        StageStep,
        FIELD,
        {
            StageStep.PICK: State(
                pick_step, _stage_prompt, accepts=BUTTONS, to=(StageStep.AMOUNT, StageStep.REASON)
            ),
            StageStep.AMOUNT: State(amount_step, _amount_prompt, back=StageStep.PICK),
            StageStep.REASON: State(
                reason_step, _reason_prompt, accepts=BUTTONS, back=StageStep.PICK
            ),
        },
        StatusDraft,
        lambda d: T("Stage of {customer}", customer=d.customer_name),
        entries=(("card Stage", StageStep.PICK),),
    ),
    Flow(
        ClsStep,
        FIELD,
        {
            ClsStep.PICK: State(
                cls_pick_step, _cls_prompt, accepts=BUTTONS, to=(ClsStep.WHY,), ends=False
            ),
            ClsStep.WHY: State(cls_why_step, _why_prompt, back=ClsStep.PICK),
        },
        StatusDraft,
        lambda d: T("Class of {customer}", customer=d.customer_name),
        entries=(("card Class", ClsStep.PICK),),
    ),
]
