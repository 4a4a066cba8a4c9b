"""Registering a customer, with the duplicate check that keeps two reps off one customer.

```mermaid
stateDiagram-v2
    [*] --> name: /newcustomer, or ➕ in a visit
    name --> phone: name typed
    phone --> dup: a likely duplicate exists
    phone --> cls: no duplicate (or phone skipped)
    dup --> cls: a different customer after all
    dup --> [*]: use the existing one / ask the manager for handover / cancel
    cls --> [*]: saved (then back to the visit, if it came from one)
```
"""

from __future__ import annotations

from sqlalchemy import select

from bot.types import Button, Raw, Reply, T
from crm.enums import CustomerClass, Role
from crm.limits import text_limit
from crm.models import Customer, Staff
from crm.phones import normalise
from crm.services import access, runtime
from crm.services import customers as svc
from handlers.base import FIELD, Command, Ctx, Flow, Step, flow_button, typed_text

MAX_NAME = text_limit(Customer.name)


def _skip(step: str) -> Button:
    return flow_button(T("Skip"), f"newc.{step}", "skip")


async def start(ctx: Ctx) -> Step:
    ctx.data = {}
    return begin(ctx, then=None)


def begin(ctx: Ctx, then: str | None, name: str | None = None) -> Step:
    """Entered from elsewhere too (a visit); `then` says where to go once the customer exists."""
    ctx.data["new"] = {"then": then}
    if name:
        ctx.data["new"]["name"] = name
        return _phone_prompt(name)
    return Step.to(
        "newc.name",
        Reply(
            T("New customer: the company's or person's name?"),
            buttons=((flow_button(T("✖ Cancel"), "newc.name", "cancel"),),),
        ),
    )


def _phone_prompt(name: str) -> Step:
    return Step.to(
        "newc.phone",
        Reply(
            T("{name}: phone number? (It is used to find duplicates.)", name=name),
            buttons=((_skip("phone"),),),
        ),
    )


async def name_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    name, refused = typed_text(ctx, MAX_NAME, T("Please type the customer's name."))
    if refused is not None:
        return refused
    ctx.data["new"]["name"] = name
    return _phone_prompt(name)


async def phone_step(ctx: Ctx) -> Step:
    new = ctx.data["new"]
    if ctx.choice == "skip":
        new["phone"] = None
    else:
        raw = (ctx.inbound.text or ctx.inbound.contact_phone or "").strip()
        phone = normalise(raw) if raw and len(raw) <= 30 else None
        if phone is None:
            return ctx.stay(
                Reply(
                    T("That does not look like a phone number. Try again or skip."),
                    buttons=((_skip("phone"),),),
                )
            )
        new["phone"] = phone
    dups = await svc.duplicates(ctx.session, new["name"], new["phone"])
    if dups:
        return await _duplicate(ctx, dups[0])
    return _class_prompt()


async def _duplicate(ctx: Ctx, existing: Customer) -> Step:
    assert ctx.who.staff is not None
    owner = await ctx.session.get(Staff, existing.owner_id) if existing.owner_id else None
    ctx.data["new"]["dup_id"] = existing.id
    buttons = []
    if await access.can_edit_customer(ctx.session, ctx.who.staff, existing.id):
        buttons.append(flow_button(T("Use the existing customer"), "newc.dup", "use"))
    elif owner is not None and owner.id != ctx.who.staff.id:
        buttons.append(flow_button(T("Ask the manager for a handover"), "newc.dup", "handover"))
    buttons.append(flow_button(T("It is a different customer"), "newc.dup", "create"))
    buttons.append(flow_button(T("✖ Cancel"), "newc.dup", "cancel"))
    text = T(
        "⚠️ {name} is already registered by {owner} on {date}.",
        name=existing.name,
        owner=owner.name if owner else T("team pool"),
        date=existing.created_at.date(),
    )
    return Step.to("newc.dup", Reply(text, buttons=tuple((b,) for b in buttons)))


def _class_prompt() -> Step:
    buttons = tuple(flow_button(Raw(c.value), "newc.cls", c.value) for c in CustomerClass)
    return Step.to(
        "newc.cls",
        Reply(T("Class? A = key customer, B = ordinary, C = small."), buttons=(buttons,)),
    )


async def dup_step(ctx: Ctx) -> Step:
    assert ctx.who.staff is not None
    dup_id = ctx.data["new"].get("dup_id")
    if ctx.choice == "create":
        return _class_prompt()
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    existing = await ctx.session.get(Customer, dup_id) if dup_id else None
    if existing is None:
        return Step.end(Reply(T("This customer no longer exists.")))
    if ctx.choice == "use":
        if not await access.can_edit_customer(ctx.session, ctx.who.staff, existing.id):
            return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
        return await _continue(ctx, existing)
    if ctx.choice == "handover":
        return await _ask_handover(ctx, existing)
    return ctx.stay(Reply(T("Please choose one of the buttons.")))


async def _ask_handover(ctx: Ctx, existing: Customer) -> Step:
    me = ctx.who.staff
    assert me is not None
    owner = await ctx.session.get(Staff, existing.owner_id) if existing.owner_id else None
    managers = list(
        await ctx.session.scalars(
            select(Staff).where(
                Staff.active.is_(True),
                Staff.role == Role.MANAGER,
                (Staff.id == me.manager_id) | (Staff.team == me.team),
            )
        )
    )
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
        return Step.end(Reply(T("There is no manager to ask; please talk to an admin.")))
    return Step.end(
        Reply(T("I asked your manager for the handover of {customer}.", customer=existing.name))
    )


async def cls_step(ctx: Ctx) -> Step:
    if ctx.choice not in {c.value for c in CustomerClass}:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    me = ctx.who.staff
    assert me is not None
    new = ctx.data["new"]
    customer = svc.new_customer(
        new["name"],
        phone=new.get("phone"),
        customer_class=ctx.choice,
        owner_id=me.id,
        team=me.team,
        claim_expires_at=None,
        created_by=me.id,
        created_at=ctx.now(),
        updated_at=ctx.now(),
        source="cold_visit",
    )
    svc.renew_claim(customer, me, ctx.now(), ctx.rules.claims.period_days)
    ctx.session.add(customer)
    await ctx.session.flush()
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
    return await _continue(ctx, customer, created=True)


async def _continue(ctx: Ctx, customer: Customer, created: bool = False) -> Step:
    then = ctx.data.get("new", {}).get("then")
    ctx.data.pop("new", None)
    saved = Reply(T("Saved: new customer {name}.", name=customer.name)) if created else None
    if then in ("visit", "quick"):
        from handlers import visit  # the visit flow sent us here and takes over again

        return visit.resume_with_customer(ctx, customer, quick=then == "quick", before=saved)
    from handlers.customers import card_reply

    card = await card_reply(ctx, customer.id)
    return Step.end(*(r for r in (saved, card) if r is not None))


COMMANDS = [Command("newcustomer", FIELD, start, T("register a new customer"))]
FLOWS = [
    Flow("newc", FIELD, {"name": name_step, "phone": phone_step, "dup": dup_step, "cls": cls_step})
]
