"""Claims and the team pool from a customer's card: claim a pooled customer, reassign one.

- `claim:ID` (reps and managers): takes a customer from the team pool. Re-checked in one
  conditional update, so of two reps pressing it the second is told it is already taken.
- `reassign:ID` (managers, admins): lists the team's reps as `reassign_to:ID:STAFF_ID` buttons;
  the new owner is told, and so is the former one.

The buttons appear on the card through `card_buttons_extra`, called by handlers/customers.py.
"""

from __future__ import annotations

from bot.types import Button, Lines, Raw, Reply, T
from crm.enums import Role
from crm.limits import parse_id
from crm.services import access, records
from crm.services import claims as svc
from crm.services.customers import Card
from crm.services.summary import team_of
from handlers.base import LEADS, Action, StaffCtx, Step
from handlers.refusals import DENIED, NO_CUSTOMER, STALE

CLAIMERS = frozenset({Role.SALES, Role.MANAGER})


def card_buttons_extra(ctx: StaffCtx, card: Card) -> list[Button]:
    """Buttons for a card the user may already see: "Claim" on a pooled customer for reps and
    managers, "Reassign" (or "Assign", for a pooled one) for managers and admins.

    Reads only the card and the user's role (no database); each action re-checks on press.
    """
    c = card.customer
    buttons: list[Button] = []
    if c.owner_id is None and ctx.who.role in CLAIMERS:
        buttons.append(Button(T("🙋 Claim"), f"claim:{c.id}"))
    if ctx.who.role in LEADS:
        label = T("👥 Assign to a rep") if c.owner_id is None else T("🔁 Reassign")
        buttons.append(Button(label, f"reassign:{c.id}"))
    return buttons


async def claim(ctx: StaffCtx) -> Step:
    staff = ctx.me
    assert ctx.obj_id is not None
    customer = await svc.claim(
        ctx.session,
        ctx.obj_id,
        staff,
        now=ctx.now(),
        period_days=ctx.rules.claims.period_days,
    )
    if customer is None:
        # No name: the user may not see this customer any more (or never could, if forged).
        return ctx.stay(
            Reply(
                T(
                    "This customer is no longer in the pool: someone has already taken it. "
                    "Nothing was changed."
                )
            )
        )
    return ctx.stay(
        Reply(
            Lines(
                T("✅ <b>{customer}</b> is now yours.", customer=customer.name),
                T(
                    "Your claim lasts until {when}; each visit or follow-up renews it.",
                    when=customer.claim_expires_at,
                ),
            ),
            buttons=((Button(T("📝 Log a visit"), f"visit_for:{customer.id}"),),),
        )
    )


async def reassign(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    customer = await records.customer(ctx.session, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(NO_CUSTOMER))
    reps = [r for r in await team_of(ctx.session, ctx.me) if r.id != customer.owner_id]
    if not reps:
        return ctx.stay(Reply(T("There is no other rep in your team to hand this customer to.")))
    buttons = tuple((Button(Raw(r.name), f"reassign_to:{customer.id}:{r.id}"),) for r in reps)
    return ctx.stay(
        Reply(T("Hand <b>{customer}</b> over to whom?", customer=customer.name), buttons=buttons)
    )


async def reassign_to(ctx: StaffCtx) -> Step:
    lead = ctx.me
    assert ctx.obj_id is not None
    owner_id = parse_id(ctx.choice)
    if owner_id is None:
        return ctx.stay(Reply(STALE))
    customer = await records.customer(ctx.session, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(NO_CUSTOMER))
    new_owner = next((r for r in await team_of(ctx.session, lead) if r.id == owner_id), None)
    if new_owner is None:
        return ctx.stay(Reply(DENIED))
    if customer.owner_id == new_owner.id:
        return ctx.stay(
            Reply(
                T(
                    "{customer} already belongs to {rep}. Nothing was changed.",
                    customer=customer.name,
                    rep=new_owner.name,
                )
            )
        )
    old_id = await svc.reassign(
        ctx.session,
        customer,
        new_owner,
        by=lead,
        now=ctx.now(),
        period_days=ctx.rules.claims.period_days,
    )
    stamp = ctx.now().isoformat()
    card = (
        Button(T("📇 Open card"), f"card:{customer.id}"),
        Button(T("📝 Log a visit"), f"visit_for:{customer.id}"),
    )
    await ctx.notify.to_staff(
        new_owner,
        Reply(
            T(
                "📥 {manager} handed <b>{customer}</b> over to you.",
                manager=lead.name,
                customer=customer.name,
            ),
            buttons=(card,),
        ),
        dedupe_key=f"reassign:{customer.id}:{new_owner.id}:{stamp}",
    )
    former = await records.staff(ctx.session, old_id)
    if former is not None and former.id != lead.id:
        await ctx.notify.to_staff(
            former,
            Reply(
                T(
                    "{manager} handed <b>{customer}</b> over to {rep}.",
                    manager=lead.name,
                    customer=customer.name,
                    rep=new_owner.name,
                )
            ),
            dedupe_key=f"reassign:{customer.id}:{former.id}:{stamp}",
        )
    return ctx.stay(
        Reply(
            T(
                "Done: <b>{customer}</b> now belongs to {rep}.",
                customer=customer.name,
                rep=new_owner.name,
            )
        )
    )


async def authorise_team_customer(ctx: StaffCtx, customer_id: int) -> bool:
    """For "Claim": the customer belongs to the user's team (pooled or not) or to no team.

    Whether it is still in the pool is decided by the claim itself, so that a rep who comes
    second is told it is taken rather than that it is not theirs.
    """
    return await access.can_claim_customer(ctx.session, ctx.me, customer_id)


ACTIONS = [
    Action("claim", CLAIMERS, claim, obj_kind="team_customer"),
    Action("reassign", LEADS, reassign, obj_kind="customer"),
    Action("reassign_to", LEADS, reassign_to, obj_kind="customer"),
]
AUTHORISERS = {"team_customer": authorise_team_customer}
