"""One opportunity: its page, another stage, won with the amount signed (then "Make the
contract", handlers/deals_contract.py), lost with a reason. The customer's stage follows
(crm/services/deals/opportunities.py).

```mermaid
stateDiagram-v2
    [*] --> pick: opportunity "Stage"
    pick --> [*]: saved
    [*] --> amount: opportunity "Won"
    amount --> [*]: saved (and "Make the contract")
    [*] --> reason: opportunity "Lost"
    reason --> [*]: saved
```
"""

from __future__ import annotations

from decimal import Decimal

from bot.types import Button, Lines, Raw, Reply, T, Text
from bot.views import deals as view
from crm.money import BadAmount, parse_amount
from crm.services import runtime
from crm.services.deals import contracts, opportunities
from handlers.base import FIELD, Action, Ctx, Flow, Step, flow_button, rows
from handlers.deals import AMOUNT_HELP, CANCEL, GONE, NOT_YOURS, _editable_opp, opp_line, pct
from handlers.labels import LOST_REASON, STAGE, label


async def show(ctx: Ctx) -> Step:
    found = await _editable_opp(ctx, ctx.obj_id)
    if found is None:
        return ctx.stay(Reply(NOT_YOURS))
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


async def start_stage(ctx: Ctx) -> Step:
    found = await _editable_opp(ctx, ctx.obj_id)
    if found is None or found[0].stage in opportunities.CLOSED:
        return ctx.stay(Reply(NOT_YOURS))
    opp, _customer = found
    ctx.data = {"opp_id": opp.id}
    buttons = [
        flow_button(T("{stage} ({pct}%)", stage=label(STAGE, s), pct=pct(ctx, s)), "oppst.pick", s)
        for s in ctx.rules.deals.open_stages
        if s != opp.stage
    ]
    buttons.append(flow_button(CANCEL, "oppst.pick", "cancel"))
    return Step.to(
        "oppst.pick", Reply(T("{title}: new stage?", title=opp.title), buttons=rows(*buttons))
    )


async def stage_pick_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    if ctx.choice not in ctx.rules.deals.open_stages:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    found = await _editable_opp(ctx, ctx.data.get("opp_id"))
    if found is None or found[0].stage in opportunities.CLOSED or ctx.who.staff is None:
        return Step.end(Reply(GONE))
    opp, customer = found
    old = opp.stage
    await opportunities.move(
        ctx.session, opp, customer, ctx.choice, by=ctx.who.staff.id, now=ctx.now(), rules=ctx.rules
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
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


async def start_won(ctx: Ctx) -> Step:
    found = await _editable_opp(ctx, ctx.obj_id)
    if found is None or found[0].stage in opportunities.CLOSED:
        return ctx.stay(Reply(NOT_YOURS))
    opp, _customer = found
    ctx.data = {"opp_id": opp.id}
    return Step.to(
        "oppwon.amount",
        Reply(
            T("Won — congratulations! The amount signed?"),
            buttons=(
                (
                    flow_button(
                        T("{amount}, as estimated", amount=view.money(ctx.rules, opp.amount)),
                        "oppwon.amount",
                        "same",
                    ),
                ),
                (flow_button(CANCEL, "oppwon.amount", "cancel"),),
            ),
        ),
    )


async def won_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    found = await _editable_opp(ctx, ctx.data.get("opp_id"))
    if found is None or found[0].stage in opportunities.CLOSED or ctx.who.staff is None:
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
        ctx.session, opp, customer, amount, by=ctx.who.staff.id, now=ctx.now(), rules=ctx.rules
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
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


async def start_lost(ctx: Ctx) -> Step:
    found = await _editable_opp(ctx, ctx.obj_id)
    if found is None or found[0].stage in opportunities.CLOSED:
        return ctx.stay(Reply(NOT_YOURS))
    ctx.data = {"opp_id": found[0].id}
    reasons = [
        flow_button(LOST_REASON.get(r, Raw(r)), "opplost.reason", r)
        for r in ctx.rules.stages.lost_reasons
    ]
    return Step.to("opplost.reason", Reply(T("Why was it lost?"), buttons=rows(*reasons)))


async def lost_step(ctx: Ctx) -> Step:
    if ctx.choice not in ctx.rules.stages.lost_reasons:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    found = await _editable_opp(ctx, ctx.data.get("opp_id"))
    if found is None or found[0].stage in opportunities.CLOSED or ctx.who.staff is None:
        return Step.end(Reply(GONE))
    opp, customer = found
    await opportunities.lose(
        ctx.session, opp, customer, ctx.choice, by=ctx.who.staff.id, now=ctx.now(), rules=ctx.rules
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
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
    Flow("oppst", FIELD, {"pick": stage_pick_step}),
    Flow("oppwon", FIELD, {"amount": won_step}),
    Flow("opplost", FIELD, {"reason": lost_step}),
]
