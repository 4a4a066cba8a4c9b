"""A won opportunity becomes a contract: number, signing date, term, payment terms (as the
customer's credit rating allows), the payment schedule and the signed copy (a PDF or a photo,
kept by its file id); and a contract's page with its instalments and payments.

Diagram: docs/flows/ct.md (generated from FLOWS).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.types import Lines, Reply, T, Text
from bot.views import deals as view
from crm.limits import parse_id
from crm.models import Contract, Customer, Opportunity
from crm.services import records, runtime
from crm.services.deals import contracts, opportunities, receivables
from crm.services.deals.contracts import Due, ScheduleError
from crm.services.deals.reading import parse_day, parse_schedule, parse_term
from handlers.base import FIELD, Action, StaffCtx, Step, flow_button, rows, typed_text
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS, FILES, TEXT
from handlers.deals import CANCEL, _editable_customer, _editable_opp
from handlers.refusals import CHOOSE, DENIED, GONE

MAX_NUMBER = 40


class CtStep(States, flow="ct"):
    NUMBER = "number"
    SIGNED = "signed"
    TERM = "term"
    TERMS = "terms"
    SCHEDULE = "schedule"
    FILE = "file"


class CtDraft(Draft):
    opp_id: int | None = None
    opp_title: str | None = None
    customer_name: str | None = None
    # The next free number, offered.
    auto_number: str | None = None
    number: str | None = None
    signed: str | None = None
    starts: str | None = None
    ends: str | None = None
    terms: str | None = None
    # The won amount, to split.
    amount: Decimal | None = None
    # The instalments: (due date, amount).
    schedule: list[tuple[str, Decimal]] = []


def _title(d: CtDraft) -> Text:
    return T("Contract for “{title}” of {customer}", title=d.opp_title, customer=d.customer_name)


async def _won_opp(ctx: StaffCtx, opp_id: int | None) -> tuple[Opportunity, Customer] | None:
    found = await _editable_opp(ctx, opp_id)
    if found is None or found[0].stage != opportunities.WON:
        return None
    if await contracts.of_opportunity(ctx.session, found[0].id) is not None:
        return None
    return found


async def start(ctx: StaffCtx) -> Step:
    found = await _won_opp(ctx, ctx.obj_id)
    if found is None:
        return ctx.stay(Reply(T("This opportunity is not won, or already has a contract.")))
    opp, customer = found
    today = ctx.local_now().date()
    number = await contracts.next_number(ctx.session, today)
    ctx.data = CtDraft(
        opp_id=opp.id,
        opp_title=opp.title,
        customer_name=customer.name,
        auto_number=number,
        amount=Decimal(opp.won_amount or 0),
    )
    return Step.go(CtStep.NUMBER)


def _number_prompt(ctx: StaffCtx) -> Reply:
    number = ctx.data.auto_number
    return Reply(
        T("Contract for {title}: its number?", title=ctx.data.opp_title),
        buttons=(
            (flow_button(T("Number it {number}", number=number), CtStep.NUMBER, "auto"),),
            (flow_button(CANCEL, CtStep.NUMBER, "cancel"),),
        ),
    )


async def number_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "auto" and ctx.data.auto_number:
        number = ctx.data.auto_number
    else:
        number, refused = typed_text(ctx, MAX_NUMBER, T("Please type the contract's number."))
        if refused is not None:
            return refused
    if await contracts.number_taken(ctx.session, number):
        return ctx.stay(
            Reply(T("Contract number {number} is taken; please type another.", number=number))
        )
    ctx.data.number = number
    return Step.go(CtStep.SIGNED)


def _signed_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("Signed on? (e.g. 2026-12-01)"),
        buttons=((flow_button(T("Today"), CtStep.SIGNED, "today"),),),
    )


async def signed_step(ctx: StaffCtx) -> Step:
    today = ctx.local_now().date()
    day = today if ctx.choice == "today" else parse_day(ctx.inbound.text or "", today)
    if day is None:
        return ctx.stay(Reply(T("Please type a date, e.g. 2027-01-31 or 1月31日.")))
    if day > today:
        return ctx.stay(Reply(T("A contract is signed today or earlier; please give that date.")))
    ctx.data.signed = day.isoformat()
    return Step.go(CtStep.TERM)


def _term_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T(
            "The term? Two dates (2026-12-01..2027-11-30) or a length from signing "
            "(1年, 12 months)."
        ),
        buttons=((flow_button(T("One year from signing"), CtStep.TERM, "1y"),),),
    )


async def term_step(ctx: StaffCtx) -> Step:
    signed = date.fromisoformat(ctx.data.signed)
    text = "1 year" if ctx.choice == "1y" else (ctx.inbound.text or "")
    term = parse_term(text, signed, ctx.local_now().date())
    if term is None:
        return ctx.stay(
            Reply(T("Please type two dates (2026-12-01..2027-11-30) or a length (1年, 12 months)."))
        )
    ctx.data.starts, ctx.data.ends = term[0].isoformat(), term[1].isoformat()
    if await _won_opp(ctx, ctx.data.opp_id) is None:
        return Step.end(Reply(GONE))
    return Step.go(CtStep.TERMS)


async def _terms_prompt(ctx: StaffCtx) -> Reply:
    found = await _won_opp(ctx, ctx.data.opp_id)
    if found is None:
        return Reply(GONE)
    customer = found[1]
    allowed = contracts.terms_allowed(ctx.rules, customer)
    lines: list[Text] = [T("Payment terms?")]
    credit = view.credit_line(ctx.rules, customer)
    if credit is not None:
        lines.append(credit)
    buttons = [flow_button(view.TERMS[t], CtStep.TERMS, t) for t in allowed]
    return Reply(Lines(*lines), buttons=rows(*buttons, width=1))


async def terms_step(ctx: StaffCtx) -> Step:
    found = await _won_opp(ctx, ctx.data.opp_id)
    if found is None:
        return Step.end(Reply(GONE))
    opp, customer = found
    if ctx.choice not in contracts.terms_allowed(ctx.rules, customer):
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.terms = ctx.choice
    signed = date.fromisoformat(ctx.data.signed)
    starts = date.fromisoformat(ctx.data.starts)
    amount = Decimal(opp.won_amount or 0)
    ctx.data.amount = amount
    if ctx.choice != contracts.INSTALMENTS:
        due = contracts.default_schedule(ctx.choice, amount, signed, starts)
        ctx.data.schedule = [(d.due_on.isoformat(), d.amount) for d in due]
        return Step.go(CtStep.FILE)
    return Step.go(CtStep.SCHEDULE)


def _schedule_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T(
            "The schedule of {amount}: type each instalment's amount and due date, separated "
            "by “;” (e.g. 40万 2026-12-31; 40万 2027-03-31), or split it evenly, monthly from "
            "the start:",
            amount=view.money(ctx.rules, ctx.data.amount or Decimal(0)),
        ),
        buttons=rows(
            *[flow_button(T("{n} equal", n=n), CtStep.SCHEDULE, str(n)) for n in (2, 3, 4, 6)],
            width=4,
        ),
    )


async def schedule_step(ctx: StaffCtx) -> Step:
    found = await _won_opp(ctx, ctx.data.opp_id)
    if found is None:
        return Step.end(Reply(GONE))
    opp = found[0]
    amount = Decimal(opp.won_amount or 0)
    signed = date.fromisoformat(ctx.data.signed)
    starts = date.fromisoformat(ctx.data.starts)
    if ctx.choice is not None:
        parts = parse_id(ctx.choice, 24)
        if parts not in (2, 3, 4, 6):
            return ctx.stay(Reply(CHOOSE, notice="toast"))
        due = contracts.default_schedule(contracts.INSTALMENTS, amount, signed, starts, parts)
    else:
        typed = parse_schedule(ctx.inbound.text or "", ctx.local_now().date())
        if typed is None:
            return ctx.stay(
                Reply(
                    T(
                        "Please type each instalment as an amount and a date, e.g. "
                        "40万 2026-12-31; 40万 2027-03-31."
                    )
                )
            )
        due = [Due(d, a) for d, a in typed]
    try:
        contracts.check_schedule(due, amount, signed)
    except ScheduleError as e:
        problem = {
            "sum": T(
                "The instalments add up to {sum}, not the contract's {amount}. "
                "Please type them again.",
                sum=view.money(ctx.rules, sum((d.amount for d in due), Decimal(0))),
                amount=view.money(ctx.rules, amount),
            ),
            "date": T("An instalment falls before the signing date. Please type them again."),
        }.get(
            str(e),
            T("That schedule cannot be used (1 to 24 positive instalments). Please type it again."),
        )
        return ctx.stay(Reply(problem))
    ctx.data.schedule = [(d.due_on.isoformat(), d.amount) for d in due]
    return Step.go(CtStep.FILE)


def _file_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("Send the signed contract as a PDF or a photo, or skip."),
        buttons=((flow_button(T("Skip"), CtStep.FILE, "skip"),),),
    )


async def file_step(ctx: StaffCtx) -> Step:
    inbound = ctx.inbound
    file_id, kind = None, None
    if inbound.document_id:
        file_id, kind = inbound.document_id, "document"
    elif inbound.photo_ids:
        file_id, kind = inbound.photo_ids[-1], "photo"
    elif ctx.choice != "skip":
        return ctx.stay(Reply(T("Send a PDF or a photo here, or tap Skip.")))
    found = await _won_opp(ctx, ctx.data.opp_id)
    staff = ctx.me
    if found is None:
        return Step.end(Reply(GONE))
    opp, customer = found
    d: CtDraft = ctx.data
    assert d.number and d.signed and d.starts and d.ends and d.terms
    schedule = [Due(date.fromisoformat(day), Decimal(a)) for day, a in d.schedule]
    try:
        contract = await contracts.create(
            ctx.session,
            opp,
            customer,
            staff,
            number=d.number,
            signed_on=date.fromisoformat(d.signed),
            starts_on=date.fromisoformat(d.starts),
            ends_on=date.fromisoformat(d.ends),
            terms=d.terms,
            schedule=schedule,
            rules=ctx.rules,
            now=ctx.now(),
            file_id=file_id,
            file_kind=kind,
        )
    except ValueError:
        return Step.end(Reply(T("The contract could not be saved as entered. Nothing was saved.")))
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="contract.create",
        entity="customer",
        entity_id=customer.id,
        changes={
            "contract_id": contract.id,
            "number": contract.number,
            "amount": str(contract.amount),
        },
        now=ctx.now(),
    )
    page = await contract_page(ctx, contract)
    return Step.end(Reply(T("Saved: contract {number}.", number=contract.number)), page)


async def contract_page(ctx: StaffCtx, contract: Contract) -> Reply:
    insts = await contracts.instalments(ctx.session, contract.id)
    owed = await receivables.outstanding(ctx.session, contract.id)
    return view.contract_page(ctx.rules, contract, insts, owed)


async def show(ctx: StaffCtx) -> Step:
    contract = await records.contract(ctx.session, ctx.obj_id)
    if contract is None or await _editable_customer(ctx, contract.customer_id) is None:
        return ctx.stay(Reply(DENIED))
    return ctx.stay(await contract_page(ctx, contract))


ACTIONS = [
    Action("ct_new", FIELD, start, obj_kind="opportunity"),
    Action(view.CONTRACT, FIELD, show, obj_kind="contract"),
]
FLOWS = [
    Flow(
        CtStep,
        FIELD,
        {
            CtStep.NUMBER: State(number_step, _number_prompt, to=(CtStep.SIGNED,), ends=False),
            CtStep.SIGNED: State(
                signed_step, _signed_prompt, to=(CtStep.TERM,), back=CtStep.NUMBER, ends=False
            ),
            CtStep.TERM: State(term_step, _term_prompt, to=(CtStep.TERMS,), back=CtStep.SIGNED),
            CtStep.TERMS: State(
                terms_step,
                _terms_prompt,
                accepts=BUTTONS,
                to=(CtStep.SCHEDULE, CtStep.FILE),
                back=CtStep.TERM,
            ),
            CtStep.SCHEDULE: State(
                schedule_step, _schedule_prompt, to=(CtStep.FILE,), back=CtStep.TERMS
            ),
            CtStep.FILE: State(
                file_step,
                _file_prompt,
                accepts=FILES | TEXT,  # a photo's caption comes with it
                back=CtStep.TERMS,
            ),
        },
        CtDraft,
        _title,
        entries=(("opportunity Make the contract", CtStep.NUMBER),),
    )
]
