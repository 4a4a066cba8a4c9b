"""Registering a customer, with the duplicate check that keeps two reps off one customer.

Called from a visit (➕ new customer) it returns the new customer to the visit; by itself
(/newcustomer) it ends on the customer's card. Diagram: docs/flows/newc.md.
"""

from __future__ import annotations

from bot.types import Button, Raw, Reply, T, Text
from crm import dedupe
from crm.enums import CustomerClass
from crm.limits import text_limit
from crm.models import Customer
from crm.phones import normalise
from crm.services import access, colleagues, records, runtime
from crm.services import customers as svc
from handlers import customer_dupes
from handlers.base import FIELD, Command, StaffCtx, Step, flow_button, typed_text
from handlers.conversation import Draft, Flow, Input, State, States
from handlers.conversation.flow import BUTTONS, short_answer
from handlers.refusals import CHOOSE, DENIED, NO_CUSTOMER

MAX_NAME = text_limit(Customer.name)


class NewcStep(States, flow="newc"):
    NAME = "name"
    PHONE = "phone"
    DUP = "dup"
    CLS = "cls"


class NewcDraft(Draft):
    name: str | None = None
    phone: str | None = None
    dup_id: int | None = None
    # "It is a different customer" from this one: created pending the manager's approval.
    pending_of: int | None = None


def _skip(step: NewcStep) -> Button:
    return flow_button(T("Skip"), step, "skip")


async def start(ctx: StaffCtx) -> Step:
    ctx.data = NewcDraft()
    return Step.go(NewcStep.NAME)


def called(name: str | None, *, returns_to: States) -> Step:
    """Entered from another flow (a visit): it comes back there with the new customer's id."""
    first = NewcStep.PHONE if name else NewcStep.NAME
    return Step.sub(first, NewcDraft(name=name[:MAX_NAME] if name else None), returns_to=returns_to)


def _name_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("New customer: the company's or person's name?"),
        buttons=((flow_button(T("✖ Cancel"), NewcStep.NAME, "cancel"),),),
    )


def _phone_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("{name}: phone number? (It is used to find duplicates.)", name=ctx.data.name or ""),
        buttons=((_skip(NewcStep.PHONE),),),
    )


async def name_step(ctx: StaffCtx) -> Step:
    name, refused = typed_text(ctx, MAX_NAME, T("Please type the customer's name."))
    if refused is not None:
        return refused
    ctx.data.name = name
    return Step.go(NewcStep.PHONE)


async def phone_step(ctx: StaffCtx) -> Step:
    new = ctx.data
    if ctx.choice == "skip":
        new.phone = None
    else:
        raw = (ctx.inbound.text or ctx.inbound.contact_phone or "").strip()
        phone = normalise(raw) if raw and len(raw) <= 30 else None
        if phone is None:
            return ctx.stay(
                Reply(
                    T("That does not look like a phone number. Try again or skip."),
                    buttons=((_skip(NewcStep.PHONE),),),
                )
            )
        new.phone = phone
    dups = await dedupe.find(ctx.session, ctx.rules.dedupe, new.name or "", new.phone)
    if dups:
        ctx.data.dup_id = dups[0].customer.id
        return Step.go(NewcStep.DUP)
    return Step.go(NewcStep.CLS)


async def _dup_prompt(ctx: StaffCtx) -> Reply:
    existing = await records.customer(ctx.session, ctx.data.dup_id or -1)
    if existing is None:
        return Reply(NO_CUSTOMER, buttons=((_different(),),))
    owner = await records.staff(ctx.session, existing.owner_id)
    buttons = []
    if await access.can_edit_customer(ctx.session, ctx.me, existing.id):
        buttons.append(flow_button(T("Use the existing customer"), NewcStep.DUP, "use"))
    elif owner is not None and owner.id != ctx.me.id:
        buttons.append(flow_button(T("Ask the manager for a handover"), NewcStep.DUP, "handover"))
    buttons.append(_different())
    buttons.append(flow_button(T("✖ Cancel"), NewcStep.DUP, "cancel"))
    text = T(
        "⚠️ {name} is already registered by {owner} on {date}.",
        name=existing.name,
        owner=owner.name if owner else T("team pool"),
        date=existing.created_at.date(),
    )
    return Reply(text, buttons=tuple((b,) for b in buttons))


def _different() -> Button:
    return flow_button(T("It is a different customer"), NewcStep.DUP, "create")


def _class_prompt(ctx: StaffCtx) -> Reply:
    buttons = tuple(flow_button(Raw(c.value), NewcStep.CLS, c.value) for c in CustomerClass)
    return Reply(T("Class? A = key customer, B = ordinary, C = small."), buttons=(buttons,))


async def dup_step(ctx: StaffCtx) -> Step:
    dup_id = ctx.data.dup_id
    if ctx.choice == "create":
        # Really different? A manager decides (customer_dupes): it is created pending.
        ctx.data.pending_of = dup_id
        return Step.go(NewcStep.CLS)
    existing = await records.customer(ctx.session, dup_id)
    if existing is None:
        return Step.go(NewcStep.CLS, Reply(NO_CUSTOMER))
    if ctx.choice == "use":
        if not await access.can_edit_customer(ctx.session, ctx.me, existing.id):
            return ctx.stay(Reply(DENIED, notice="alert"))
        return await _continue(ctx, existing)
    if ctx.choice == "handover":
        return await _ask_handover(ctx, existing)
    return ctx.stay(Reply(CHOOSE, notice="toast"))


async def _ask_handover(ctx: StaffCtx, existing: Customer) -> Step:
    me = ctx.me
    owner = await records.staff(ctx.session, existing.owner_id)
    managers = await colleagues.managers_near(ctx.session, me)
    note = Reply(
        T(
            "🤝 {rep} asks for a handover of {customer} (now with {owner}).",
            rep=me.name,
            customer=existing.name,
            owner=owner.name if owner else T("team pool"),
        ),
        buttons=((Button(T("📇 Open card"), f"card:{existing.id}"),),),
    )
    for manager in managers:
        await ctx.notify.to_staff(
            manager, note, dedupe_key=f"handover-ask:{existing.id}:{me.id}:{ctx.inbound.update_id}"
        )
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=me.id,
        action="customer.handover_request",
        entity="customer",
        entity_id=existing.id,
        changes={},
        now=ctx.now(),
    )
    if not managers:
        return Step.ret(None, Reply(T("There is no manager to ask; please talk to an admin.")))
    return Step.ret(
        None,
        Reply(T("I asked your manager for the handover of {customer}.", customer=existing.name)),
    )


async def cls_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in {c.value for c in CustomerClass}:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    me = ctx.me
    new = ctx.data
    customer = svc.new_customer(
        new.name,
        phone=new.phone,
        customer_class=ctx.choice,
        owner_id=me.id,
        team=me.team,
        claim_expires_at=None,
        created_by=me.id,
        created_at=ctx.now(),
        updated_at=ctx.now(),
        source=None,
        approval="pending" if new.pending_of else None,
        dup_of_id=new.pending_of,
    )
    svc.renew_claim(customer, me, ctx.now(), ctx.rules.claims.period_days)
    await records.save(ctx.session, customer)
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=me.id,
        action="customer.create",
        entity="customer",
        entity_id=customer.id,
        changes={"name": customer.name},
        now=ctx.now(),
    )
    note = None
    if customer.approval is not None:
        note = await customer_dupes.registered_pending(ctx, customer)
    return await _continue(ctx, customer, created=True, note=note)


async def _continue(
    ctx: StaffCtx, customer: Customer, created: bool = False, note: Reply | None = None
) -> Step:
    saved = note or (
        Reply(T("Saved: new customer {name}.", name=customer.name)) if created else None
    )
    if ctx.stack:
        # Called from another flow (a visit): it goes on with this customer.
        return Step.ret(customer.id, *(r for r in (saved,) if r is not None))
    from handlers.customers import card_reply

    card = await card_reply(ctx, customer.id)
    if created:  # the rest of the record, while it is fresh in mind
        from handlers.customer_edit import EditStep, edit_customer

        ctx.data = edit_customer(customer)
        return Step.go(EditStep.FIELD, *(r for r in (saved, card) if r))
    return Step.end(*(r for r in (saved, card) if r is not None))


def _title(d: NewcDraft) -> Text:
    if d.name:
        return T("New customer {name}", name=d.name)
    return T("New customer")


COMMANDS = [Command("newcustomer", FIELD, start, T("register a new customer"))]
FLOWS = [
    Flow(
        NewcStep,
        FIELD,
        {
            NewcStep.NAME: State(
                name_step, _name_prompt, to=(NewcStep.PHONE,), ends=False, takes=short_answer
            ),
            NewcStep.PHONE: State(
                phone_step,
                _phone_prompt,
                accepts=frozenset({Input.TEXT, Input.BUTTON, Input.CONTACT}),
                to=(NewcStep.DUP, NewcStep.CLS),
                back=NewcStep.NAME,
                ends=False,
            ),
            NewcStep.DUP: State(dup_step, _dup_prompt, accepts=BUTTONS, to=(NewcStep.CLS,)),
            NewcStep.CLS: State(cls_step, _class_prompt, accepts=BUTTONS, back=NewcStep.PHONE),
        },
        NewcDraft,
        _title,
        entries=(("/newcustomer", NewcStep.NAME), ("➕ new customer in a visit", NewcStep.NAME)),
    )
]
