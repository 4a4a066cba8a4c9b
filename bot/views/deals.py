"""Texts about deals shared by the flows (handlers/deals*.py) and the scheduler's jobs
(scheduler/deals_jobs.py): amounts in the rules' currency, labels of payment terms and methods,
and the proactive messages (collection task, payment reminder, contract expiry)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.types import Button, Lines, Money, Reply, T, Text
from crm.models import Contract, Customer, Instalment
from crm.rules import Rules
from crm.services.deals.receivables import PAID

TERMS = {
    "prepaid": T("prepaid"),
    "instalments": T("instalments"),
    "on_delivery": T("payment on delivery"),
}
METHODS = {
    "transfer": T("bank transfer"),
    "cash": T("cash"),
    "cheque": T("cheque"),
    "card": T("card"),
    "other": T("other"),
}

# Actions (handlers/deals*.py): "name:<id>".
PAY = "pay"
CONTRACT = "ct"
RENEW = "opp_renew"


def money(rules: Rules, amount: Decimal) -> Money:
    """An amount of a deal: the rules' currency, always with cents."""
    return Money(amount, currency=rules.deals.currency, cents=True)


def credit_line(rules: Rules, customer: Customer) -> Text | None:
    """What the card says about the credit rating's payment terms (None: every term allowed)."""
    rating = (customer.credit_rating or "").upper()
    allowed = rules.deals.credit_terms.get(rating)
    if not rating or not allowed:
        return None
    if allowed == ["prepaid"]:
        return T("Credit rating {rating}: prepaid only.", rating=rating)
    names = [TERMS.get(t, T("other")) for t in allowed]
    return T(
        "Credit rating {rating}: {terms} only.",
        rating=rating,
        terms=Lines(*names) if len(names) == 1 else _joined(names),
    )


def _joined(names: list[Text]) -> Text:
    # A short list on one line: "prepaid / payment on delivery".
    out: Text = names[0]
    for name in names[1:]:
        out = T("{a} / {b}", a=out, b=name)
    return out


def collection_task(
    rules: Rules,
    customer: Customer,
    contract: Contract,
    inst: Instalment,
    due: Decimal,
    reminded: str,
) -> Reply:
    """To the owner, the day after an instalment fell due. `reminded` says what the customer got:
    queued, quiet (held for the morning), cap (held back), unreachable or no_chat."""
    lines: list[Text] = [
        T(
            "💰 <b>Collection (催款): {customer}</b> — instalment {seq} of contract {number}, "
            "{amount} due {due_on}, is unpaid.",
            customer=customer.name,
            seq=inst.seq,
            number=contract.number,
            amount=money(rules, due),
            due_on=inst.due_on,
        )
    ]
    lines.append(
        {
            "queued": T("A payment reminder went to the customer."),
            "quiet": T("A payment reminder goes to the customer when their quiet hours end."),
            "cap": T(
                "No payment reminder to the customer: they have had as many messages as the "
                "frequency cap allows. Please contact them yourself."
            ),
            "unreachable": T(
                "No payment reminder to the customer: their chat is unreachable (they blocked "
                "the bot). Please call or visit them."
            ),
            "no_chat": T(
                "No payment reminder to the customer: they are not on Telegram with us. Please "
                "call or visit them."
            ),
        }[reminded]
    )
    return Reply(
        Lines(*lines),
        buttons=(
            (
                Button(T("💳 Record a payment"), f"{PAY}:{contract.id}"),
                Button(T("📇 Open card"), f"card:{customer.id}"),
            ),
        ),
    )


def payment_reminder(
    rules: Rules, customer: Customer, contract: Contract, inst: Instalment, due: Decimal
) -> Reply:
    """To the customer: a business notice (sent whatever their care consent)."""
    return Reply(
        Lines(
            T(
                "Payment reminder for {customer}: instalment {seq} of contract {number}, {amount}, "
                "was due on {due_on}.",
                customer=customer.name,
                seq=inst.seq,
                number=contract.number,
                amount=money(rules, due),
                due_on=inst.due_on,
            ),
            T("If you have paid already, thank you, and please ignore this message."),
        )
    )


def escalation(
    rules: Rules,
    customer: Customer,
    contract: Contract,
    inst: Instalment,
    due: Decimal,
    owner_name: str,
    days: int,
) -> Reply:
    return Reply(
        T(
            "⚠️ {customer} has owed {amount} for {days} days: instalment {seq} of contract "
            "{number}, "
            "due {due_on} (owner {owner}).",
            customer=customer.name,
            amount=money(rules, due),
            days=days,
            seq=inst.seq,
            number=contract.number,
            due_on=inst.due_on,
            owner=owner_name,
        ),
        buttons=((Button(T("📇 Open card"), f"card:{customer.id}"),),),
    )


def expiry(rules: Rules, customer: Customer, contract: Contract, days_left: int) -> Reply:
    return Reply(
        Lines(
            T(
                "📄 Contract {number} with {customer} ends on {ends_on}, in {days} days.",
                number=contract.number,
                customer=customer.name,
                ends_on=contract.ends_on,
                days=days_left,
            ),
            T("Time to talk about renewing it."),
        ),
        buttons=(
            (
                Button(T("🔁 Renewal opportunity"), f"{RENEW}:{contract.id}"),
                Button(T("📇 Open card"), f"card:{customer.id}"),
            ),
        ),
    )


def collection_note(rules: Rules, contract: Contract, inst: Instalment, due: Decimal) -> Text:
    """The collection task's note, as the follow-up lists show it."""
    return T(
        "Collect {amount}: contract {number}, instalment {seq}, due {due_on}",
        amount=money(rules, due),
        number=contract.number,
        seq=inst.seq,
        due_on=inst.due_on,
    )


def contract_page(
    rules: Rules, contract: Contract, insts: Sequence[Instalment], owed: Decimal
) -> Reply:
    """A contract: its terms, each instalment paid, partly paid or open, and what is owed."""
    lines: list[Text] = [
        T("<b>Contract {number}</b>", number=contract.number),
        T(
            "{amount} · signed {signed} · {starts} – {ends}",
            amount=money(rules, contract.amount),
            signed=contract.signed_on,
            starts=contract.starts_on,
            ends=contract.ends_on,
        ),
        T("Payment terms: {terms}", terms=TERMS.get(contract.terms, T("other"))),
        T("Signed copy: kept") if contract.file_id else T("Signed copy: not sent yet"),
    ]
    for inst in insts:
        if inst.status == PAID:
            lines.append(
                T(
                    "✓ {seq}. {amount} due {due_on}: paid",
                    seq=inst.seq,
                    amount=money(rules, inst.amount),
                    due_on=inst.due_on,
                )
            )
        elif inst.paid:
            lines.append(
                T(
                    "◐ {seq}. {amount} due {due_on}: {paid} paid, {left} to pay",
                    seq=inst.seq,
                    amount=money(rules, inst.amount),
                    due_on=inst.due_on,
                    paid=money(rules, inst.paid),
                    left=money(rules, inst.due),
                )
            )
        else:
            lines.append(
                T(
                    "○ {seq}. {amount} due {due_on}",
                    seq=inst.seq,
                    amount=money(rules, inst.amount),
                    due_on=inst.due_on,
                )
            )
    lines.append(T("Outstanding: {amount}", amount=money(rules, owed)))
    buttons: list[Button] = []
    if owed > 0:
        buttons.append(Button(T("💳 Record a payment"), f"{PAY}:{contract.id}"))
    buttons.append(Button(T("💼 Deals of the customer"), f"opps:{contract.customer_id}"))
    return Reply(Lines(*lines), buttons=(tuple(buttons),))
