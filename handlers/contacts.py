"""Adding a contact person to a customer: name → role → phone → birthday (solar or lunar)."""

from __future__ import annotations

from bot.types import Reply, T, Text
from crm.birthdays import parse_birthday
from crm.enums import ContactRole
from crm.limits import text_limit
from crm.models import Contact
from crm.phones import normalise
from crm.services import access, records, runtime
from handlers.base import FIELD, Action, StaffCtx, Step, flow_button, rows, typed_text
from handlers.conversation import Draft, Flow, Input, State, States
from handlers.conversation.flow import BUTTONS
from handlers.customers import card_reply
from handlers.labels import CONTACT_ROLE
from handlers.refusals import CHOOSE, GONE_CUSTOMER, NO_CUSTOMER


class ContactStep(States, flow="contact"):
    NAME = "name"
    ROLE = "role"
    PHONE = "phone"
    BIRTHDAY = "birthday"


class ContactDraft(Draft):
    SCAFFOLD = frozenset({"customer_id", "customer_name"})

    customer_id: int = 0
    customer_name: str = ""
    name: str | None = None
    role: str | None = None
    phone: str | None = None


def _skip(step: ContactStep) -> tuple[tuple, ...]:
    return ((flow_button(T("Skip"), step, "skip"),),)


async def start(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    customer = await records.customer(ctx.session, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(NO_CUSTOMER))
    ctx.data = ContactDraft(customer_id=customer.id, customer_name=customer.name)
    return Step.go(ContactStep.NAME)


def _name_prompt(ctx: StaffCtx) -> Reply:
    return Reply(T("New contact at {customer}: name?", customer=ctx.data.customer_name))


def _role_prompt(ctx: StaffCtx) -> Reply:
    buttons = [flow_button(CONTACT_ROLE[r], ContactStep.ROLE, r) for r in ContactRole]
    return Reply(T("{name}'s role?", name=ctx.data.name or ""), buttons=rows(*buttons))


def _phone_prompt(ctx: StaffCtx) -> Reply:
    return Reply(T("Phone number?"), buttons=_skip(ContactStep.PHONE))


def _birthday_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("Birthday? E.g. 1980-05-02, 5月2日, or a lunar one: 农历八月十五 / lunar 8-15."),
        buttons=_skip(ContactStep.BIRTHDAY),
    )


async def name_step(ctx: StaffCtx) -> Step:
    name, refused = typed_text(ctx, text_limit(Contact.name), T("Please type the contact's name."))
    if refused is not None:
        return refused
    ctx.data.name = name
    return Step.go(ContactStep.ROLE)


async def role_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in set(ContactRole):
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.role = ctx.choice
    return Step.go(ContactStep.PHONE)


async def phone_step(ctx: StaffCtx) -> Step:
    if ctx.choice != "skip":
        raw = (ctx.inbound.text or ctx.inbound.contact_phone or "").strip()
        phone = normalise(raw) if raw and len(raw) <= 30 else None
        if phone is None:
            return ctx.stay(
                Reply(
                    T("That does not look like a phone number. Try again or skip."),
                    buttons=_skip(ContactStep.PHONE),
                )
            )
        ctx.data.phone = phone
    return Step.go(ContactStep.BIRTHDAY)


async def birthday_step(ctx: StaffCtx) -> Step:
    birthday, lunar = None, False
    if ctx.choice != "skip":
        parsed = parse_birthday(ctx.inbound.text or "")
        if parsed is None:
            return ctx.stay(
                Reply(
                    T("I could not read that as a birthday. Try 1980-05-02 or 农历八月十五."),
                    buttons=_skip(ContactStep.BIRTHDAY),
                )
            )
        birthday, lunar = parsed
    cid = ctx.data.customer_id
    if not await access.can_edit_customer(ctx.session, ctx.me, cid):
        return Step.end(Reply(GONE_CUSTOMER))
    contact = Contact(
        customer_id=cid,
        name=ctx.data.name,
        role=ctx.data.role,
        phone=ctx.data.phone,
        birthday=birthday,
        birthday_lunar=lunar,
        created_at=ctx.now(),
    )
    await records.save(ctx.session, contact)
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="contact.create",
        entity="customer",
        entity_id=cid,
        changes={"contact_id": contact.id},
        now=ctx.now(),
    )
    return Step.end(
        Reply(T("Saved: {name} ({role}).", name=contact.name, role=CONTACT_ROLE[contact.role])),
        await card_reply(ctx, cid),
    )


ACTIONS = [Action("contact_add", FIELD, start, obj_kind="customer_edit")]
def _title(d: ContactDraft) -> Text:
    if d.name:
        return T("New contact {name} at {customer}", name=d.name, customer=d.customer_name)
    return T("New contact at {customer}", customer=d.customer_name)


FLOWS = [
    Flow(
        ContactStep,
        FIELD,
        {
            ContactStep.NAME: State(name_step, _name_prompt, to=(ContactStep.ROLE,), ends=False),
            ContactStep.ROLE: State(
                role_step,
                _role_prompt,
                accepts=BUTTONS,
                to=(ContactStep.PHONE,),
                back=ContactStep.NAME,
                ends=False,
            ),
            ContactStep.PHONE: State(
                phone_step,
                _phone_prompt,
                accepts=frozenset({Input.TEXT, Input.BUTTON, Input.CONTACT}),
                to=(ContactStep.BIRTHDAY,),
                back=ContactStep.ROLE,
                ends=False,
            ),
            ContactStep.BIRTHDAY: State(birthday_step, _birthday_prompt, back=ContactStep.PHONE),
        },
        ContactDraft,
        _title,
        entries=(("card Add contact", ContactStep.NAME),),
    )
]
