"""Recording a payment against a contract (amount, date, method, an optional photo of the
receipt), partial or full; and the renewal opportunity offered before a contract ends.

Diagram: docs/flows/pay.md (generated from FLOWS); the renewal is the new-opportunity flow
(docs/flows/opp.md).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.types import Lines, Reply, T, Text
from bot.views import deals as view
from crm.models import Contract
from crm.money import BadAmount, parse_amount
from crm.services import records, runtime
from crm.services.deals import receivables
from crm.services.deals.reading import parse_day
from handlers.base import FIELD, Action, StaffCtx, Step, flow_button, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS, FILES, TEXT
from handlers.deals import (
    AMOUNT_HELP,
    CANCEL,
    OppDraft,
    OppStep,
    _editable_customer,
)
from handlers.deals_contract import contract_page
from handlers.refusals import CHOOSE, DENIED, GONE


class PayStep(States, flow="pay"):
    AMOUNT = "amount"
    DAY = "day"
    METHOD = "method"
    RECEIPT = "receipt"


class PayDraft(Draft):
    contract_id: int | None = None
    number: str | None = None
    customer_name: str | None = None
    amount: Decimal | None = None
    day: str | None = None
    method: str | None = None


def _title(d: PayDraft) -> Text:
    return T(
        "Payment on contract {number} of {customer}", number=d.number, customer=d.customer_name
    )


async def _contract(ctx: StaffCtx, contract_id: int | None) -> Contract | None:
    contract = await records.contract(ctx.session, contract_id)
    if contract is None or await _editable_customer(ctx, contract.customer_id) is None:
        return None
    return contract


async def start(ctx: StaffCtx) -> Step:
    contract = await _contract(ctx, ctx.obj_id)
    if contract is None:
        return ctx.stay(Reply(DENIED))
    owed = await receivables.outstanding(ctx.session, contract.id)
    if owed <= 0:
        return ctx.stay(Reply(T("Contract {number} is paid in full.", number=contract.number)))
    customer = await _editable_customer(ctx, contract.customer_id)
    ctx.data = PayDraft(
        contract_id=contract.id,
        number=contract.number,
        customer_name=customer.name if customer else None,
    )
    return Step.go(PayStep.AMOUNT)


async def _amount_prompt(ctx: StaffCtx) -> Reply:
    contract = await _contract(ctx, ctx.data.contract_id)
    if contract is None:
        return Reply(GONE)
    owed = view.money(ctx.rules, await receivables.outstanding(ctx.session, contract.id))
    return Reply(
        T(
            "Contract {number}: {owed} outstanding. The amount received?",
            number=contract.number,
            owed=owed,
        ),
        buttons=(
            (flow_button(T("All of it: {owed}", owed=owed), PayStep.AMOUNT, "all"),),
            (flow_button(CANCEL, PayStep.AMOUNT, "cancel"),),
        ),
    )


async def amount_step(ctx: StaffCtx) -> Step:
    contract = await _contract(ctx, ctx.data.contract_id)
    if contract is None:
        return Step.end(Reply(GONE))
    owed = await receivables.outstanding(ctx.session, contract.id)
    if ctx.choice == "all":
        amount = owed
    else:
        try:
            amount = parse_amount(ctx.inbound.text or "")
        except BadAmount:
            return ctx.stay(Reply(AMOUNT_HELP))
    if amount > owed:
        return ctx.stay(
            Reply(
                T(
                    "That is more than the {owed} still owed on this contract. "
                    "Please type the amount again.",
                    owed=view.money(ctx.rules, owed),
                )
            )
        )
    ctx.data.amount = amount
    return Step.go(PayStep.DAY)


def _day_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("Paid on? (e.g. 2026-12-01)"),
        buttons=((flow_button(T("Today"), PayStep.DAY, "today"),),),
    )


async def day_step(ctx: StaffCtx) -> Step:
    today = ctx.local_now().date()
    day = today if ctx.choice == "today" else parse_day(ctx.inbound.text or "", today)
    if day is None:
        return ctx.stay(Reply(T("Please type a date, e.g. 2027-01-31 or 1月31日.")))
    if day > today:
        return ctx.stay(Reply(T("A payment is recorded once received: today or earlier.")))
    ctx.data.day = day.isoformat()
    return Step.go(PayStep.METHOD)


def _method_prompt(ctx: StaffCtx) -> Reply:
    buttons = [flow_button(view.METHODS[m], PayStep.METHOD, m) for m in receivables.METHODS]
    return Reply(T("How was it paid?"), buttons=rows(*buttons, width=3))


async def method_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in receivables.METHODS:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.method = ctx.choice
    return Step.go(PayStep.RECEIPT)


def _receipt_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("A photo of the receipt? Send it, or skip."),
        buttons=((flow_button(T("Skip"), PayStep.RECEIPT, "skip"),),),
    )


async def receipt_step(ctx: StaffCtx) -> Step:
    inbound = ctx.inbound
    receipt = inbound.photo_ids[-1] if inbound.photo_ids else inbound.document_id
    if receipt is None and ctx.choice != "skip":
        return ctx.stay(Reply(T("Send a photo of the receipt here, or tap Skip.")))
    contract = await _contract(ctx, ctx.data.contract_id)
    staff = ctx.me
    if contract is None:
        return Step.end(Reply(GONE))
    d: PayDraft = ctx.data
    assert d.amount is not None and d.day is not None and d.method is not None
    try:
        payment, touched = await receivables.record_payment(
            ctx.session,
            contract,
            amount=d.amount,
            paid_on=date.fromisoformat(d.day),
            method=d.method,
            by=staff,
            now=ctx.now(),
            receipt_file_id=receipt,
        )
    except receivables.Overpaid as owed:
        return Step.end(
            Reply(
                T(
                    "Meanwhile the contract's outstanding amount fell to {owed}. "
                    "Nothing was saved.",
                    owed=view.money(ctx.rules, Decimal(str(owed))),
                )
            )
        )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="payment.create",
        entity="customer",
        entity_id=contract.customer_id,
        changes={"payment_id": payment.id, "contract_id": contract.id, "amount": str(d.amount)},
        now=ctx.now(),
    )
    lines: list[Text] = [
        T(
            "Saved: payment of {amount} on contract {number} ({method}).",
            amount=view.money(ctx.rules, payment.amount),
            number=contract.number,
            method=view.METHODS[payment.method],
        )
    ]
    for inst in touched:
        lines.append(
            T("Instalment {seq} is paid in full.", seq=inst.seq)
            if inst.status == receivables.PAID
            else T(
                "Instalment {seq} is partly paid: {left} still to pay.",
                seq=inst.seq,
                left=view.money(ctx.rules, inst.due),
            )
        )
    return Step.end(Reply(Lines(*lines)), await contract_page(ctx, contract))


async def start_renewal(ctx: StaffCtx) -> Step:
    contract = await _contract(ctx, ctx.obj_id)
    customer = await _editable_customer(ctx, contract.customer_id) if contract else None
    if contract is None or customer is None:
        return ctx.stay(Reply(DENIED))
    title = ctx.render(T("Renewal of contract {number}", number=contract.number))
    ctx.data = OppDraft(
        customer_id=customer.id, customer_name=customer.name, title=title, renews=contract.id
    )
    return Step.go(OppStep.AMOUNT)


ACTIONS = [
    Action(view.PAY, FIELD, start, obj_kind="contract"),
    Action(view.RENEW, FIELD, start_renewal, obj_kind="contract"),
]
FLOWS = [
    Flow(
        PayStep,
        FIELD,
        {
            PayStep.AMOUNT: State(amount_step, _amount_prompt, to=(PayStep.DAY,)),
            PayStep.DAY: State(
                day_step, _day_prompt, to=(PayStep.METHOD,), back=PayStep.AMOUNT, ends=False
            ),
            PayStep.METHOD: State(
                method_step,
                _method_prompt,
                accepts=BUTTONS,
                to=(PayStep.RECEIPT,),
                back=PayStep.DAY,
                ends=False,
            ),
            PayStep.RECEIPT: State(
                receipt_step,
                _receipt_prompt,
                accepts=FILES | TEXT,  # a photo's caption comes with it
                back=PayStep.METHOD,
            ),
        },
        PayDraft,
        _title,
        entries=(("contract or collection task Record a payment", PayStep.AMOUNT),),
    )
]
