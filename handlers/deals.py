"""Opportunities in chat: a customer's deals from the card, a new one (from the card, from a
saved visit, or from one message such as `华能电厂 变压器增容 报价80万 预计1月底签`), and moving
one along: another stage, won with the amount signed, lost with a reason.

```mermaid
stateDiagram-v2
    [*] --> title: card "New opportunity"
    [*] --> title: saved visit "Opportunity from this visit" (what was discussed offered)
    title --> amount
    amount --> close
    close --> stage
    [*] --> pick: one message, several customers match
    [*] --> stage: one message, the customer found
    pick --> stage
    stage --> [*]: saved
```

One opportunity (its page, another stage, won, lost) is handlers/deals_opportunity.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.types import Button, Lines, Raw, Reply, T, Text
from bot.views import deals as view
from crm.models import Contract, Customer, Opportunity, Visit
from crm.money import BadAmount, parse_amount
from crm.services import access, runtime
from crm.services import customers as customer_svc
from crm.services.deals import contracts, opportunities, receivables
from crm.services.deals.reading import OpportunityReading, parse_day
from crm.visit_text import parse_visit
from handlers.base import FIELD, Action, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.labels import LOST_REASON, STAGE, label

GONE = T("This is no longer available to you. Nothing was saved.")
NOT_YOURS = T("That is not available to you. Nothing was changed.")
AMOUNT_HELP = T("Please type the amount as a number, e.g. 800000, 80万, 一百二十万 or 1.2亿.")
CANCEL = T("✖ Cancel")


def pct(ctx: Ctx, stage: str) -> int:
    return opportunities.probability(ctx.rules, stage)


def opp_line(ctx: Ctx, opp: Opportunity) -> Text:
    close: Text = (
        T("close {when}", when=opp.expected_close) if opp.expected_close else T("no close date")
    )
    if opp.stage == opportunities.WON:
        return T(
            "✅ {title}: won {amount}",
            title=opp.title,
            amount=view.money(ctx.rules, opp.won_amount or Decimal(0)),
        )
    if opp.stage == opportunities.LOST:
        return T(
            "✖ {title}: lost ({reason})",
            title=opp.title,
            reason=label(LOST_REASON, opp.lost_reason or "other"),
        )
    return T(
        "• {title}: {amount} · {stage} ({pct}%) · {close}",
        title=opp.title,
        amount=view.money(ctx.rules, opp.amount),
        stage=label(STAGE, opp.stage),
        pct=pct(ctx, opp.stage),
        close=close,
    )


async def _editable_customer(ctx: Ctx, customer_id: int | None) -> Customer | None:
    assert ctx.who.staff is not None
    if customer_id is None:
        return None
    return await access.editable_customer(ctx.session, ctx.who.staff, customer_id)


async def _editable_opp(ctx: Ctx, opp_id: int | None) -> tuple[Opportunity, Customer] | None:
    """The opportunity and its customer, if the user may change them: checked on every step."""
    if opp_id is None:
        return None
    opp = await ctx.session.get(Opportunity, opp_id)
    if opp is None:
        return None
    customer = await _editable_customer(ctx, opp.customer_id)
    return None if customer is None else (opp, customer)


# ---------------------------------------------------------------- the customer's deals


async def customer_deals(ctx: Ctx) -> Step:
    customer = await _editable_customer(ctx, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(NOT_YOURS))
    opps = await opportunities.for_customer(ctx.session, customer.id)
    signed = await contracts.for_customer(ctx.session, customer.id)
    lines: list[Text] = [T("<b>Deals of {customer}</b>", customer=customer.name)]
    credit = view.credit_line(ctx.rules, customer)
    if credit is not None:
        lines.append(credit)
    if not opps and not signed:
        lines.append(T("No opportunities yet."))
    lines += [opp_line(ctx, o) for o in opps]
    buttons: list[Button] = [
        Button(Raw(o.title[:30]), f"opp:{o.id}")
        for o in opps
        if o.stage not in opportunities.CLOSED
    ]
    for c in signed:
        owed = await receivables.outstanding(ctx.session, c.id)
        lines.append(
            T(
                "📄 {number}: {amount}, outstanding {owed}, ends {ends_on}",
                number=c.number,
                amount=view.money(ctx.rules, c.amount),
                owed=view.money(ctx.rules, owed),
                ends_on=c.ends_on,
            )
        )
        buttons.append(Button(T("📄 {number}", number=c.number), f"{view.CONTRACT}:{c.id}"))
    buttons += [
        Button(T("📄 Contract: {title}", title=o.title[:20]), f"ct_new:{o.id}")
        for o in opps
        if o.stage == opportunities.WON and o.id not in {c.opportunity_id for c in signed}
    ]
    buttons.append(Button(T("➕ New opportunity"), f"opp_new:{customer.id}"))
    return ctx.stay(Reply(Lines(*lines), buttons=rows(*buttons, width=1)))


# ---------------------------------------------------------------- a new opportunity


async def new_from_card(ctx: Ctx) -> Step:
    customer = await _editable_customer(ctx, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(NOT_YOURS))
    ctx.data = {"customer_id": customer.id}
    return Step.to(
        "opp.title",
        Reply(
            T("New opportunity for {customer}: what is being sold?", customer=customer.name),
            buttons=((flow_button(CANCEL, "opp.title", "cancel"),),),
        ),
    )


async def new_from_visit(ctx: Ctx) -> Step:
    visit = await ctx.session.get(Visit, ctx.obj_id) if ctx.obj_id else None
    customer = await _editable_customer(ctx, visit.customer_id if visit else None)
    if visit is None or customer is None:
        return ctx.stay(Reply(NOT_YOURS))
    about = (visit.outcome or visit.purpose or "").strip()[:100]
    ctx.data = {"customer_id": customer.id, "visit_id": visit.id, "about": about}
    buttons: list[Button] = []
    if about:
        buttons.append(flow_button(T("Use: {text}", text=about[:30]), "opp.title", "visit"))
    buttons.append(flow_button(CANCEL, "opp.title", "cancel"))
    return Step.to(
        "opp.title",
        Reply(
            T("This visit to {customer} was about… what is being sold?", customer=customer.name),
            buttons=rows(*buttons, width=1),
        ),
    )


async def title_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    if ctx.choice == "visit" and ctx.data.get("about"):
        title = ctx.data["about"]
    else:
        title, refused = typed_text(ctx, 200, T("Please type what is being sold."))
        if refused is not None:
            return refused
    ctx.data["title"] = title
    return Step.to("opp.amount", Reply(T("The amount? (e.g. 800000, 80万, 1.2亿)")))


async def amount_step(ctx: Ctx) -> Step:
    try:
        amount = parse_amount(ctx.inbound.text or "")
    except BadAmount:
        return ctx.stay(Reply(AMOUNT_HELP))
    ctx.data["amount"] = str(amount)
    return Step.to(
        "opp.close",
        Reply(
            T("Expected close date? (e.g. 2027-01-31, 1月31日)"),
            buttons=((flow_button(T("No date yet"), "opp.close", "none"),),),
        ),
    )


async def close_step(ctx: Ctx) -> Step:
    if ctx.choice != "none":
        day = parse_day(ctx.inbound.text or "", ctx.local_now().date())
        if day is None:
            return ctx.stay(Reply(T("Please type a date, e.g. 2027-01-31 or 1月31日.")))
        if day < ctx.local_now().date():
            return ctx.stay(Reply(T("That date has passed; please give a future date.")))
        ctx.data["close"] = day.isoformat()
    else:
        ctx.data["close"] = None
    return await _ask_stage(ctx)


async def _ask_stage(ctx: Ctx) -> Step:
    customer = await _editable_customer(ctx, ctx.data.get("customer_id"))
    if customer is None:
        return Step.end(Reply(GONE))
    d = ctx.data
    close: Text = (
        T("close {when}", when=date.fromisoformat(d["close"]))
        if d.get("close")
        else T("no close date")
    )
    buttons = [
        flow_button(T("{stage} ({pct}%)", stage=label(STAGE, s), pct=pct(ctx, s)), "opp.stage", s)
        for s in ctx.rules.deals.open_stages
    ]
    if d.get("text"):
        # Read from one message: it may have been a visit report that named an amount.
        buttons.append(flow_button(T("📝 No, log it as a visit"), "opp.stage", "visit"))
    buttons.append(flow_button(CANCEL, "opp.stage", "cancel"))
    return Step.to(
        "opp.stage",
        Reply(
            Lines(
                T("<b>New opportunity</b> · {customer}", customer=customer.name),
                T(
                    "{title}: {amount} · {close}",
                    title=d["title"],
                    amount=view.money(ctx.rules, Decimal(d["amount"])),
                    close=close,
                ),
                T("At which stage? Choosing one saves it."),
            ),
            buttons=rows(*buttons),
        ),
    )


async def stage_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    if ctx.choice == "visit" and ctx.data.get("text"):
        return await as_visit(ctx)
    if ctx.choice not in ctx.rules.deals.open_stages:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    customer = await _editable_customer(ctx, ctx.data.get("customer_id"))
    staff = ctx.who.staff
    if customer is None or staff is None:
        return Step.end(Reply(GONE))
    d = ctx.data
    opp = await opportunities.create(
        ctx.session,
        customer,
        staff,
        title=d["title"],
        amount=Decimal(d["amount"]),
        expected_close=date.fromisoformat(d["close"]) if d.get("close") else None,
        stage=ctx.choice,
        now=ctx.now(),
        rules=ctx.rules,
        visit_id=d.get("visit_id"),
        renews_contract_id=d.get("renews"),
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="opportunity.create",
        entity="customer",
        entity_id=customer.id,
        changes={"opportunity_id": opp.id, "amount": d["amount"], "stage": opp.stage},
        now=ctx.now(),
    )
    return Step.end(
        Reply(
            Lines(
                T("Saved: opportunity for {customer}.", customer=customer.name),
                opp_line(ctx, opp),
                T("Customer stage: {stage}", stage=label(STAGE, customer.stage)),
            ),
            buttons=((Button(T("💼 Open"), f"opp:{opp.id}"),),),
        )
    )


async def start_from_reading(
    ctx: Ctx, reading: OpportunityReading, text: str | None = None
) -> Step:
    """One message read as an opportunity (handlers/quick.py): the customer, then the stage.
    `text`, the message, is kept in the draft: the rep may say it was a visit after all."""
    assert ctx.who.staff is not None
    ctx.data = {
        "text": text,
        "query": reading.customer_query,
        "title": reading.title,
        "amount": str(reading.amount),
        "close": reading.expected_close.isoformat() if reading.expected_close else None,
    }
    found = await customer_svc.search(ctx.session, ctx.who.staff, reading.customer_query)
    exact = [c for c in found if c.name == reading.customer_query]
    found = [
        c
        for c in (exact or found)
        if await access.can_edit_customer(ctx.session, ctx.who.staff, c.id)
    ]
    if not found:
        refusal = T(
            "No customer of yours matches “{query}”. Nothing was saved.",
            query=reading.customer_query,
        )
        if not text:
            return Step.end(Reply(refusal))
        # The message stays in the draft: as a visit report it may still name someone.
        buttons = rows(
            flow_button(T("📝 No, log it as a visit"), "opp.stage", "visit"),
            flow_button(CANCEL, "opp.stage", "cancel"),
        )
        return Step.to("opp.stage", Reply(refusal, buttons=buttons))
    if len(found) > 1:
        buttons = [flow_button(Raw(c.name), "oppq.pick", str(c.id)) for c in found[:8]]
        return Step.to(
            "oppq.pick",
            Reply(T("Which customer is this opportunity for?"), buttons=rows(*buttons, width=1)),
        )
    ctx.data["customer_id"] = found[0].id
    return await _ask_stage(ctx)


async def as_visit(ctx: Ctx) -> Step:
    """The message was a visit report: the visit flow takes it, as handlers/quick.py would have,
    so nothing the rep typed is lost."""
    from handlers import visit  # visit imports this module (its saved card offers a deal)

    text = ctx.data["text"]
    draft = parse_visit(text, ctx.now(), ctx.who.tz)
    query = (draft.customer_query if draft else None) or ctx.data.get("query") or ""
    ctx.data = {
        "quick": True,
        "kind": (draft.kind if draft else None) or "onsite",
        "outcome": (draft.outcome if draft else None) or text,
        "contacts": draft.contacts if draft else [],
        "photos": [],
        "followup_at": draft.followup_at.isoformat() if draft and draft.followup_at else None,
    }
    return await visit.pick_customer(ctx, query)


async def pick_step(ctx: Ctx) -> Step:
    if ctx.choice is None:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    cid = int(ctx.choice) if ctx.choice.isdigit() else None
    customer = await _editable_customer(ctx, cid)
    if customer is None:
        return ctx.stay(Reply(NOT_YOURS))
    ctx.data["customer_id"] = customer.id
    return await _ask_stage(ctx)


# ---------------------------------------------------------------- who may press what


async def authorise_opportunity(ctx: Ctx, opp_id: int) -> bool:
    return ctx.who.staff is not None and await _editable_opp(ctx, opp_id) is not None


async def authorise_contract(ctx: Ctx, contract_id: int) -> bool:
    contract = await ctx.session.get(Contract, contract_id)
    return (
        contract is not None
        and ctx.who.staff is not None
        and await _editable_customer(ctx, contract.customer_id) is not None
    )


async def authorise_visit(ctx: Ctx, visit_id: int) -> bool:
    visit = await ctx.session.get(Visit, visit_id)
    return (
        visit is not None
        and ctx.who.staff is not None
        and await _editable_customer(ctx, visit.customer_id) is not None
    )


def visit_offer(visit_id: int) -> Reply:
    """After a visit is saved: the visit's summary card may turn into an opportunity."""
    return Reply(
        T("Was this visit about a deal?"),
        buttons=((Button(T("💼 Opportunity from this visit"), f"opp_visit:{visit_id}"),),),
    )


ACTIONS = [
    Action("opps", FIELD, customer_deals, obj_kind="customer_edit"),
    Action("opp_new", FIELD, new_from_card, obj_kind="customer_edit"),
    Action("opp_visit", FIELD, new_from_visit, obj_kind="visit_edit"),
]
FLOWS = [
    Flow(
        "opp",
        FIELD,
        {"title": title_step, "amount": amount_step, "close": close_step, "stage": stage_step},
    ),
    Flow("oppq", FIELD, {"pick": pick_step}),
]
AUTHORISERS = {
    "opportunity": authorise_opportunity,
    "contract": authorise_contract,
    "visit_edit": authorise_visit,
}
