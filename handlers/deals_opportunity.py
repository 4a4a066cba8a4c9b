"""One opportunity: its page, another stage, won with the amount signed (then "Make the
contract", handlers/deals_contract.py), lost with a reason. The customer's stage follows
(crm/services/deals/opportunities.py).

Diagram: docs/flows/oppst.md, docs/flows/oppwon.md, docs/flows/opplost.md (generated from FLOWS).
"""

from __future__ import annotations

from decimal import Decimal

from bot.types import Button, Lines, Raw, Reply, T, Text
from bot.views import deals as view
from crm.money import BadAmount, parse_amount
from crm.services import runtime
from crm.services.deals import contracts, opportunities
from handlers.base import FIELD, Action, StaffCtx, Step, flow_button, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS, TEXT
from handlers.deals import AMOUNT_HELP, CANCEL, _editable_opp, opp_line, pct
from handlers.labels import LOST_REASON, STAGE, label
from handlers.refusals import CHOOSE, DENIED, GONE


class OppstStep(States, flow="oppst"):
    PICK = "pick"


class OppwonStep(States, flow="oppwon"):
    AMOUNT = "amount"


class OpplostStep(States, flow="opplost"):
    REASON = "reason"


class OneOppDraft(Draft):
    """The opportunity being moved, named for the title."""

    opp_id: int | None = None
    title: str | None = None
    customer_name: str | None = None
    stage: str | None = None
    # The amount estimated, offered as the amount signed.
    amount: Decimal | None = None


def _stage_title(d: OneOppDraft) -> Text:
    return T("New stage of “{title}” for {customer}", title=d.title, customer=d.customer_name)


def _won_title(d: OneOppDraft) -> Text:
    return T("“{title}” for {customer} won", title=d.title, customer=d.customer_name)


def _lost_title(d: OneOppDraft) -> Text:
    return T("“{title}” for {customer} lost", title=d.title, customer=d.customer_name)


async def _draft(ctx: StaffCtx) -> OneOppDraft | None:
    found = await _editable_opp(ctx, ctx.obj_id)
    if found is None or found[0].stage in opportunities.CLOSED:
        return None
    opp, customer = found
    return OneOppDraft(
        opp_id=opp.id,
        title=opp.title,
        customer_name=customer.name,
        stage=opp.stage,
        amount=Decimal(opp.amount),
    )


async def show(ctx: StaffCtx) -> Step:
    found = await _editable_opp(ctx, ctx.obj_id)
    if found is None:
        return ctx.stay(Reply(DENIED))
    opp, customer = found
    lines: list[Text] = [T("<b>{customer}</b>", customer=customer.name), opp_line(ctx, opp)]
    buttons: list[Button] = []
    if opp.stage not in opportunities.CLOSED:
        buttons = [
            Button(T("📈 Stage"), f"opp_st:{opp.id}"),
            Button(T("✅ Won"), f"opp_won:{opp.id}"),
            Button(T("✖ Lost"), f"opp_lost:{opp.id}"),
        ]
    elif opp.stage == opportunities.WON:
        if await contracts.of_opportunity(ctx.session, opp.id) is None:
            buttons.append(Button(T("📄 Make the contract"), f"ct_new:{opp.id}"))
    buttons.append(Button(T("💼 Deals of the customer"), f"opps:{customer.id}"))
    return ctx.stay(Reply(Lines(*lines), buttons=rows(*buttons, width=3)))


async def start_stage(ctx: StaffCtx) -> Step:
    draft = await _draft(ctx)
    if draft is None:
        return ctx.stay(Reply(DENIED))
    ctx.data = draft
    return Step.go(OppstStep.PICK)


def _stage_prompt(ctx: StaffCtx) -> Reply:
    buttons = [
        flow_button(
            T("{stage} ({pct}%)", stage=label(STAGE, s), pct=pct(ctx, s)), OppstStep.PICK, s
        )
        for s in ctx.rules.deals.open_stages
        if s != ctx.data.stage
    ]
    buttons.append(flow_button(CANCEL, OppstStep.PICK, "cancel"))
    return Reply(T("{title}: new stage?", title=ctx.data.title), buttons=rows(*buttons))


async def stage_pick_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in ctx.rules.deals.open_stages:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    found = await _editable_opp(ctx, ctx.data.opp_id)
    if found is None or found[0].stage in opportunities.CLOSED:
        return Step.end(Reply(GONE))
    opp, customer = found
    old = opp.stage
    await opportunities.move(
        ctx.session, opp, customer, ctx.choice, by=ctx.me.id, now=ctx.now(), rules=ctx.rules
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="opportunity.stage",
        entity="customer",
        entity_id=customer.id,
        changes={"opportunity_id": opp.id, "stage": [old, opp.stage]},
        now=ctx.now(),
    )
    return Step.end(
        Reply(
            Lines(T("Saved."), opp_line(ctx, opp)),
            buttons=((Button(T("💼 Deals of the customer"), f"opps:{customer.id}"),),),
        )
    )


async def start_won(ctx: StaffCtx) -> Step:
    draft = await _draft(ctx)
    if draft is None:
        return ctx.stay(Reply(DENIED))
    ctx.data = draft
    return Step.go(OppwonStep.AMOUNT)


def _won_prompt(ctx: StaffCtx) -> Reply:
    estimated = view.money(ctx.rules, ctx.data.amount or Decimal(0))
    return Reply(
        T("Won — congratulations! The amount signed?"),
        buttons=(
            (
                flow_button(
                    T("{amount}, as estimated", amount=estimated), OppwonStep.AMOUNT, "same"
                ),
            ),
            (flow_button(CANCEL, OppwonStep.AMOUNT, "cancel"),),
        ),
    )


async def won_step(ctx: StaffCtx) -> Step:
    found = await _editable_opp(ctx, ctx.data.opp_id)
    if found is None or found[0].stage in opportunities.CLOSED:
        return Step.end(Reply(GONE))
    opp, customer = found
    if ctx.choice == "same":
        amount = Decimal(opp.amount)
    else:
        try:
            amount = parse_amount(ctx.inbound.text or "")
        except BadAmount:
            return ctx.stay(Reply(AMOUNT_HELP))
    await opportunities.win(
        ctx.session, opp, customer, amount, by=ctx.me.id, now=ctx.now(), rules=ctx.rules
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="opportunity.won",
        entity="customer",
        entity_id=customer.id,
        changes={"opportunity_id": opp.id, "amount": str(amount)},
        now=ctx.now(),
    )
    return Step.end(
        Reply(
            Lines(
                T("{customer}: opportunity won.", customer=customer.name),
                opp_line(ctx, opp),
            ),
            buttons=((Button(T("📄 Make the contract"), f"ct_new:{opp.id}"),),),
        )
    )


async def start_lost(ctx: StaffCtx) -> Step:
    draft = await _draft(ctx)
    if draft is None:
        return ctx.stay(Reply(DENIED))
    ctx.data = draft
    return Step.go(OpplostStep.REASON)


def _lost_prompt(ctx: StaffCtx) -> Reply:
    reasons = [
        flow_button(LOST_REASON.get(r, Raw(r)), OpplostStep.REASON, r)
        for r in ctx.rules.stages.lost_reasons
    ]
    return Reply(T("Why was it lost?"), buttons=rows(*reasons))


async def lost_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in ctx.rules.stages.lost_reasons:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    found = await _editable_opp(ctx, ctx.data.opp_id)
    if found is None or found[0].stage in opportunities.CLOSED:
        return Step.end(Reply(GONE))
    opp, customer = found
    await opportunities.lose(
        ctx.session, opp, customer, ctx.choice, by=ctx.me.id, now=ctx.now(), rules=ctx.rules
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="opportunity.lost",
        entity="customer",
        entity_id=customer.id,
        changes={"opportunity_id": opp.id, "reason": ctx.choice},
        now=ctx.now(),
    )
    return Step.end(
        Reply(
            Lines(
                opp_line(ctx, opp),
                T("Customer stage: {stage}", stage=label(STAGE, customer.stage)),
            ),
            buttons=((Button(T("💼 Deals of the customer"), f"opps:{customer.id}"),),),
        )
    )


ACTIONS = [
    Action("opp", FIELD, show, obj_kind="opportunity"),
    Action("opp_st", FIELD, start_stage, obj_kind="opportunity"),
    Action("opp_won", FIELD, start_won, obj_kind="opportunity"),
    Action("opp_lost", FIELD, start_lost, obj_kind="opportunity"),
]
FLOWS = [
    Flow(
        OppstStep,
        FIELD,
        {OppstStep.PICK: State(stage_pick_step, _stage_prompt, accepts=BUTTONS)},
        OneOppDraft,
        _stage_title,
        entries=(("opportunity Stage", OppstStep.PICK),),
    ),
    Flow(
        OppwonStep,
        FIELD,
        {OppwonStep.AMOUNT: State(won_step, _won_prompt, accepts=TEXT)},
        OneOppDraft,
        _won_title,
        entries=(("opportunity Won", OppwonStep.AMOUNT),),
    ),
    Flow(
        OpplostStep,
        FIELD,
        {OpplostStep.REASON: State(lost_step, _lost_prompt, accepts=BUTTONS)},
        OneOppDraft,
        _lost_title,
        entries=(("opportunity Lost", OpplostStep.REASON),),
    ),
]
