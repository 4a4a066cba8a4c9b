"""Telegram users linked to a customer record: the owner rep sees who is linked, lets a person
see all of the company's requests (or only their own) and unlinks; a customer unlinks with
/unlink; the owner rep is told when someone links.

```mermaid
stateDiagram-v2
    [*] --> confirm: /unlink (a customer)
    confirm --> [*]: Unlink / Keep
```
"""

from __future__ import annotations

from bot.types import Button, Lines, Raw, Reply, T, Text
from crm.models import Customer, CustomerUser
from crm.services import access, identity, records, runtime
from handlers.base import CUSTOMER, FIELD, Action, Command, Ctx, StaffCtx, Step, flow_button
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS


async def tell_owner_linked(ctx: Ctx, customer: Customer, cuser: CustomerUser, via: str) -> None:
    rep = await records.staff(ctx.session, customer.owner_id)
    if rep is None:
        return
    await ctx.notify.to_staff(
        rep,
        Reply(
            Lines(
                T(
                    "🔗 {name} linked their Telegram to {customer} by sharing their phone.",
                    name=cuser.name or str(cuser.tg_user_id),
                    customer=customer.name,
                ),
                T("They see all of the company's requests.")
                if cuser.sees_company
                else T("They see their own requests only; you can allow more on the card."),
            ),
            buttons=((Button(T("📱 Telegram users"), f"clinks:{customer.id}"),),),
        ),
        dedupe_key=f"linked:{cuser.id}:{customer.id}:{ctx.inbound.update_id}",
    )


async def card_button(ctx: StaffCtx, customer_id: int) -> list[Button]:
    """The card's button to the linked users, when there are any."""
    if not await identity.linked_users(ctx.session, customer_id):
        return []
    return [Button(T("📱 Telegram users"), f"clinks:{customer_id}")]


async def show(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    return ctx.stay(await _listing(ctx, ctx.obj_id))


async def _listing(ctx: StaffCtx, customer_id: int) -> Reply:
    customer = await records.customer(ctx.session, customer_id)
    assert customer is not None
    users = await identity.linked_users(ctx.session, customer_id)
    if not users:
        return Reply(T("Nobody's Telegram is linked to {customer}.", customer=customer.name))
    lines: list[Text] = [T("<b>Telegram users of {customer}</b>", customer=customer.name)]
    buttons: list[tuple[Button, ...]] = []
    for cu in users:
        name = cu.name or str(cu.tg_user_id)
        sight = T("all requests") if cu.sees_company else T("own requests only")
        lines.append(T("• {name}: {sight}", name=name, sight=sight))
        buttons.append(
            (
                Button(
                    T("👁 {name}: own only", name=name)
                    if cu.sees_company
                    else T("👁 {name}: all requests", name=name),
                    f"clsee:{cu.id}",
                ),
                Button(T("✂️ Unlink {name}", name=name), f"clunlink:{cu.id}"),
            )
        )
    return Reply(Lines(*lines), buttons=tuple(buttons))


async def authorise_linked(ctx: StaffCtx, cuser_id: int) -> bool:
    cu = await records.customer_user(ctx.session, cuser_id)
    return (
        cu is not None
        and cu.customer_id is not None
        and await access.can_edit_customer(ctx.session, ctx.me, cu.customer_id)
    )


async def _audit(ctx: StaffCtx, cu: CustomerUser, action: str, changes: dict[str, object]) -> None:
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action=action,
        entity="customer",
        entity_id=cu.customer_id,
        changes=changes,
        now=ctx.now(),
    )


async def toggle_sight(ctx: StaffCtx) -> Step:
    cu = await records.customer_user(ctx.session, ctx.obj_id)
    assert cu is not None and cu.customer_id is not None
    cu.sees_company = not cu.sees_company
    await _audit(ctx, cu, "customer.link_sight", {"sees_company": cu.sees_company})
    return ctx.stay(await _listing(ctx, cu.customer_id))


async def staff_unlink(ctx: StaffCtx) -> Step:
    cu = await records.customer_user(ctx.session, ctx.obj_id)
    assert cu is not None and cu.customer_id is not None
    customer_id = cu.customer_id
    await _audit(ctx, cu, "customer.unlink", {"customer_user": cu.id})
    identity.unlink(cu)
    await ctx.notify.to_customer(
        cu,
        Reply(T("Your Telegram is no longer linked to a customer record.")),
        dedupe_key=f"unlinked:{cu.id}:{ctx.inbound.update_id}",
    )
    return ctx.stay(await _listing(ctx, customer_id))


async def unlink_command(ctx: Ctx) -> Step:
    cuser = ctx.who.customer_user
    assert cuser is not None
    customer = await records.customer(ctx.session, cuser.customer_id)
    if customer is None:
        return ctx.stay(Reply(T("Your Telegram is not linked to a customer record.")))
    ctx.data = UnlinkDraft(customer_name=customer.name)
    return Step.go(UnlinkStep.CONFIRM)


class UnlinkStep(States, flow="unlink"):
    CONFIRM = "confirm"


class UnlinkDraft(Draft):
    # A yes/no question: nothing typed to keep.
    SCAFFOLD = frozenset({"customer_name"})

    customer_name: str = ""


def _confirm_prompt(ctx: Ctx) -> Reply:
    return Reply(
        T("Unlink your Telegram from {customer}?", customer=ctx.data.customer_name),
        buttons=(
            (
                flow_button(T("✂️ Unlink"), UnlinkStep.CONFIRM, "yes"),
                flow_button(T("Keep it"), UnlinkStep.CONFIRM, "no"),
            ),
        ),
    )


async def confirm_step(ctx: Ctx) -> Step:
    cuser = ctx.who.customer_user
    assert cuser is not None
    if ctx.choice != "yes":
        return Step.end(Reply(T("Nothing was changed.")))
    customer = await records.customer(ctx.session, cuser.customer_id)
    if customer is None:
        return Step.end(Reply(T("Your Telegram is not linked to a customer record.")))
    await runtime.audit(
        ctx.session,
        actor_kind="customer",
        actor_id=cuser.id,
        action="customer.unlink",
        entity="customer",
        entity_id=customer.id,
        changes={"customer_user": cuser.id},
        now=ctx.now(),
    )
    identity.unlink(cuser)
    rep = await records.staff(ctx.session, customer.owner_id)
    if rep is not None:
        await ctx.notify.to_staff(
            rep,
            Reply(
                T(
                    "✂️ {name} unlinked their Telegram from {customer}.",
                    name=cuser.name or Raw(str(cuser.tg_user_id)),
                    customer=customer.name,
                )
            ),
            dedupe_key=f"unlinked:{cuser.id}:{ctx.inbound.update_id}:{rep.id}",
        )
    return Step.end(
        Reply(T("Done: your Telegram is no longer linked to {customer}.", customer=customer.name))
    )


COMMANDS = [
    Command("unlink", CUSTOMER, unlink_command, T("unlink your Telegram from your customer record"))
]
ACTIONS = [
    Action("clinks", FIELD, show, obj_kind="customer_edit"),
    Action("clsee", FIELD, toggle_sight, obj_kind="linked_user"),
    Action("clunlink", FIELD, staff_unlink, obj_kind="linked_user"),
]
FLOWS = [
    Flow(
        UnlinkStep,
        CUSTOMER,
        {UnlinkStep.CONFIRM: State(confirm_step, _confirm_prompt, accepts=BUTTONS)},
        UnlinkDraft,
        lambda d: T("Unlinking from {customer}", customer=d.customer_name),
        entries=(("/unlink", UnlinkStep.CONFIRM),),
    )
]
AUTHORISERS = {"linked_user": authorise_linked}
