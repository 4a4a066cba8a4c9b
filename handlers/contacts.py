"""Adding a contact person to a customer: name → role → phone → birthday (solar or lunar)."""

from __future__ import annotations

from bot.types import Reply, T
from crm.birthdays import parse_birthday
from crm.enums import ContactRole
from crm.limits import text_limit
from crm.models import Contact, Customer
from crm.phones import normalise
from crm.services import access, runtime
from handlers.base import FIELD, Action, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.customers import card_reply
from handlers.labels import CONTACT_ROLE


def _skip(step: str) -> tuple[tuple, ...]:
    return ((flow_button(T("Skip"), f"contact.{step}", "skip"),),)


async def start(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    customer = await ctx.session.get(Customer, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(T("This customer no longer exists.")))
    ctx.data = {"customer_id": customer.id}
    return Step.to(
        "contact.name", Reply(T("New contact at {customer}: name?", customer=customer.name))
    )


async def name_step(ctx: Ctx) -> Step:
    name, refused = typed_text(ctx, text_limit(Contact.name), T("Please type the contact's name."))
    if refused is not None:
        return refused
    ctx.data["name"] = name
    buttons = [flow_button(CONTACT_ROLE[r], "contact.role", r) for r in ContactRole]
    return Step.to("contact.role", Reply(T("{name}'s role?", name=name), buttons=rows(*buttons)))


async def role_step(ctx: Ctx) -> Step:
    if ctx.choice not in set(ContactRole):
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["role"] = ctx.choice
    return Step.to("contact.phone", Reply(T("Phone number?"), buttons=_skip("phone")))


async def phone_step(ctx: Ctx) -> Step:
    if ctx.choice != "skip":
        raw = (ctx.inbound.text or ctx.inbound.contact_phone or "").strip()
        phone = normalise(raw) if raw and len(raw) <= 30 else None
        if phone is None:
            return ctx.stay(
                Reply(
                    T("That does not look like a phone number. Try again or skip."),
                    buttons=_skip("phone"),
                )
            )
        ctx.data["phone"] = phone
    return Step.to(
        "contact.birthday",
        Reply(
            T("Birthday? E.g. 1980-05-02, 5月2日, or a lunar one: 农历八月十五 / lunar 8-15."),
            buttons=_skip("birthday"),
        ),
    )


async def birthday_step(ctx: Ctx) -> Step:
    birthday, lunar = None, False
    if ctx.choice != "skip":
        parsed = parse_birthday(ctx.inbound.text or "")
        if parsed is None:
            return ctx.stay(
                Reply(
                    T("I could not read that as a birthday. Try 1980-05-02 or 农历八月十五."),
                    buttons=_skip("birthday"),
                )
            )
        birthday, lunar = parsed
    assert ctx.who.staff is not None
    cid = ctx.data["customer_id"]
    if not await access.can_edit_customer(ctx.session, ctx.who.staff, cid):
        return Step.end(Reply(T("This customer is no longer available to you. Nothing was saved.")))
    contact = Contact(
        customer_id=cid,
        name=ctx.data["name"],
        role=ctx.data["role"],
        phone=ctx.data.get("phone"),
        birthday=birthday,
        birthday_lunar=lunar,
        created_at=ctx.now(),
    )
    ctx.session.add(contact)
    await ctx.session.flush()
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
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
FLOWS = [
    Flow(
        "contact",
        FIELD,
        {"name": name_step, "role": role_step, "phone": phone_step, "birthday": birthday_step},
    )
]
