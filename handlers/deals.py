"""Opportunities in chat: a customer's deals from the card, a new one (from the card, from a
saved visit, or from one message such as `华能电厂 变压器增容 报价80万 预计1月底签`), and moving
one along: another stage, won with the amount signed, lost with a reason.

Diagram: docs/flows/opp.md and docs/flows/oppq.md (generated from FLOWS).

One opportunity (its page, another stage, won, lost) is handlers/deals_opportunity.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.types import Button, Lines, Raw, Reply, T, Text
from bot.views import deals as view
from crm.models import Customer, Opportunity
from crm.money import BadAmount, parse_amount
from crm.services import access, records, runtime
from crm.services.deals import contracts, opportunities, receivables
from crm.services.deals.reading import parse_day
from handlers.base import FIELD, Action, StaffCtx, Step, flow_button, rows, typed_text
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.labels import LOST_REASON, STAGE, label
from handlers.refusals import CHOOSE, DENIED, GONE

AMOUNT_HELP = T("Please type the amount as a number, e.g. 800000, 80万, 一百二十万 or 1.2亿.")
CANCEL = T("✖ Cancel")


def pct(ctx: StaffCtx, stage: str) -> int:
    return opportunities.probability(ctx.rules, stage)


def opp_line(ctx: StaffCtx, opp: Opportunity) -> Text:
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


async def _editable_customer(ctx: StaffCtx, customer_id: int | None) -> Customer | None:
    if customer_id is None:
        return None
    return await access.editable_customer(ctx.session, ctx.me, customer_id)


async def _editable_opp(ctx: StaffCtx, opp_id: int | None) -> tuple[Opportunity, Customer] | None:
    """The opportunity and its customer, if the user may change them: checked on every step."""
    if opp_id is None:
        return None
    opp = await records.opportunity(ctx.session, opp_id)
    if opp is None:
        return None
    customer = await _editable_customer(ctx, opp.customer_id)
    return None if customer is None else (opp, customer)


# ---------------------------------------------------------------- the customer's deals


async def customer_deals(ctx: StaffCtx) -> Step:
    customer = await _editable_customer(ctx, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(DENIED))
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


class OppStep(States, flow="opp"):
    TITLE = "title"
    AMOUNT = "amount"
    CLOSE = "close"
    STAGE = "stage"


class OppDraft(Draft):
    customer_id: int | None = None
    customer_name: str | None = None
    # From a saved visit: the visit, and what was discussed (offered as the title).
    visit_id: int | None = None
    about: str | None = None
    title: str | None = None
    amount: Decimal | None = None
    close: str | None = None
    # The renewal of this contract (expiry reminder "Renewal opportunity").
    renews: int | None = None
    # Read from one message: the message (it may be a visit report after all) and the name typed.
    text: str | None = None
    query: str | None = None


def _opp_title(d: OppDraft) -> Text:
    customer = d.customer_name or d.query or ""
    if d.title:
        return T("Opportunity “{title}” for {customer}", title=d.title, customer=customer)
    return T("New opportunity for {customer}", customer=customer)


async def new_from_card(ctx: StaffCtx) -> Step:
    customer = await _editable_customer(ctx, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(DENIED, notice="alert"))
    ctx.data = OppDraft(customer_id=customer.id, customer_name=customer.name)
    return Step.go(OppStep.TITLE)


async def new_from_visit(ctx: StaffCtx) -> Step:
    visit = await records.visit(ctx.session, ctx.obj_id)
    customer = await _editable_customer(ctx, visit.customer_id if visit else None)
    if visit is None or customer is None:
        return ctx.stay(Reply(DENIED, notice="alert"))
    about = (visit.outcome or visit.purpose or "").strip()[:100]
    ctx.data = OppDraft(
        customer_id=customer.id, customer_name=customer.name, visit_id=visit.id, about=about
    )
    return Step.go(OppStep.TITLE)


def _title_prompt(ctx: StaffCtx) -> Reply:
    d: OppDraft = ctx.data
    buttons: list[Button] = []
    if d.visit_id is not None:
        text: Text = T(
            "This visit to {customer} was about… what is being sold?", customer=d.customer_name
        )
        if d.about:
            buttons.append(flow_button(T("Use: {text}", text=d.about[:30]), OppStep.TITLE, "visit"))
    else:
        text = T("New opportunity for {customer}: what is being sold?", customer=d.customer_name)
    buttons.append(flow_button(CANCEL, OppStep.TITLE, "cancel"))
    return Reply(text, buttons=rows(*buttons, width=1))


async def title_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "visit" and ctx.data.about:
        title = ctx.data.about
    else:
        title, refused = typed_text(ctx, 200, T("Please type what is being sold."))
        if refused is not None:
            return refused
    ctx.data.title = title
    return Step.go(OppStep.AMOUNT)


def _amount_prompt(ctx: StaffCtx) -> Reply:
    ask = T("The amount? (e.g. 800000, 80万, 1.2亿)")
    if ctx.data.renews is not None:
        return Reply(Lines(T("New opportunity: {title}.", title=ctx.data.title), ask))
    return Reply(ask)


async def amount_step(ctx: StaffCtx) -> Step:
    try:
        amount = parse_amount(ctx.inbound.text or "")
    except BadAmount:
        return ctx.stay(Reply(AMOUNT_HELP))
    ctx.data.amount = amount
    return Step.go(OppStep.CLOSE)


def _close_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("Expected close date? (e.g. 2027-01-31, 1月31日)"),
        buttons=((flow_button(T("No date yet"), OppStep.CLOSE, "none"),),),
    )


async def close_step(ctx: StaffCtx) -> Step:
    if ctx.choice != "none":
        day = parse_day(ctx.inbound.text or "", ctx.local_now().date())
        if day is None:
            return ctx.stay(Reply(T("Please type a date, e.g. 2027-01-31 or 1月31日.")))
        if day < ctx.local_now().date():
            return ctx.stay(Reply(T("That date has passed; please give a future date.")))
        ctx.data.close = day.isoformat()
    else:
        ctx.data.close = None
    return Step.go(OppStep.STAGE)


def _stage_prompt(ctx: StaffCtx) -> Reply:
    d: OppDraft = ctx.data
    visit_button = flow_button(T("📝 No, log it as a visit"), OppStep.STAGE, "visit")
    cancel = flow_button(CANCEL, OppStep.STAGE, "cancel")
    if d.customer_id is None:
        # Read from one message naming no customer of the rep's: it may be a visit report.
        return Reply(
            T("No customer of yours matches “{query}”. Nothing was saved.", query=d.query or ""),
            buttons=rows(visit_button, cancel),
        )
    close: Text = (
        T("close {when}", when=date.fromisoformat(d.close)) if d.close else T("no close date")
    )
    buttons = [
        flow_button(T("{stage} ({pct}%)", stage=label(STAGE, s), pct=pct(ctx, s)), OppStep.STAGE, s)
        for s in ctx.rules.deals.open_stages
    ]
    if d.text:
        # Read from one message: it may have been a visit report that named an amount.
        buttons.append(visit_button)
    buttons.append(cancel)
    return Reply(
        Lines(
            T("<b>New opportunity</b> · {customer}", customer=d.customer_name),
            T(
                "{title}: {amount} · {close}",
                title=d.title,
                amount=view.money(ctx.rules, d.amount or Decimal(0)),
                close=close,
            ),
            T("At which stage? Choosing one saves it."),
        ),
        buttons=rows(*buttons),
    )


async def stage_step(ctx: StaffCtx) -> Step:
    d: OppDraft = ctx.data
    if ctx.choice == "visit" and d.text:
        return await as_visit(ctx)
    if d.customer_id is None or ctx.choice not in ctx.rules.deals.open_stages:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    customer = await _editable_customer(ctx, d.customer_id)
    staff = ctx.me
    if customer is None:
        return Step.end(Reply(GONE))
    assert d.title is not None and d.amount is not None
    opp = await opportunities.create(
        ctx.session,
        customer,
        staff,
        title=d.title,
        amount=d.amount,
        expected_close=date.fromisoformat(d.close) if d.close else None,
        stage=ctx.choice,
        now=ctx.now(),
        rules=ctx.rules,
        visit_id=d.visit_id,
        renews_contract_id=d.renews,
    )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="opportunity.create",
        entity="customer",
        entity_id=customer.id,
        changes={"opportunity_id": opp.id, "amount": str(d.amount), "stage": opp.stage},
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


async def as_visit(ctx: StaffCtx) -> Step:
    """The message was a visit report: the visit flow takes it, as handlers/quick.py would have,
    so nothing the rep typed is lost."""
    from handlers import visit, visit_reading  # visit imports this module (its card offers a deal)
    from handlers.visit_states import VisitDraft

    text = ctx.data.text or ""
    query = ctx.data.query or ""
    step = await visit_reading.from_message(ctx, text)
    if step is not None:
        return step
    ctx.data = VisitDraft(quick=True, kind="onsite", outcome=text, text=text)
    return await visit.pick_customer(ctx, query)


# ---------------------------------------------------------------- who may press what


async def authorise_opportunity(ctx: StaffCtx, opp_id: int) -> bool:
    return await _editable_opp(ctx, opp_id) is not None


async def authorise_contract(ctx: StaffCtx, contract_id: int) -> bool:
    contract = await records.contract(ctx.session, contract_id)
    return contract is not None and await _editable_customer(ctx, contract.customer_id) is not None


async def authorise_visit(ctx: StaffCtx, visit_id: int) -> bool:
    visit = await records.visit(ctx.session, visit_id)
    return visit is not None and await _editable_customer(ctx, visit.customer_id) is not None


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
        OppStep,
        FIELD,
        {
            OppStep.TITLE: State(title_step, _title_prompt, to=(OppStep.AMOUNT,), ends=False),
            OppStep.AMOUNT: State(
                amount_step, _amount_prompt, to=(OppStep.CLOSE,), back=OppStep.TITLE, ends=False
            ),
            OppStep.CLOSE: State(
                close_step, _close_prompt, to=(OppStep.STAGE,), back=OppStep.AMOUNT, ends=False
            ),
            OppStep.STAGE: State(stage_step, _stage_prompt, accepts=BUTTONS, back=OppStep.CLOSE),
        },
        OppDraft,
        _opp_title,
        entries=(
            ("card New opportunity, saved visit Opportunity from this visit", OppStep.TITLE),
            ("expiry reminder Renewal opportunity", OppStep.AMOUNT),
            ("one message, the customer found (or none: log it as a visit)", OppStep.STAGE),
        ),
    ),
]
AUTHORISERS = {
    "opportunity": authorise_opportunity,
    "contract": authorise_contract,
    "visit_edit": authorise_visit,
}
