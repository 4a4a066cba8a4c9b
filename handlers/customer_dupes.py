"""A registration beside a likely duplicate waits for a manager: approve it, or merge it into the
customer it resembles. Also a manager's merge of any two customers from a card."""

from __future__ import annotations

from bot.types import Button, Raw, Reply, T
from crm.limits import parse_id
from crm.models import Customer
from crm.services import customer_merge as svc
from crm.services import customers as customers_svc
from crm.services import records
from handlers.base import LEADS, Action, StaffCtx, Step, flow_button, typed_text
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import short_answer
from handlers.refusals import CHOOSE, NOTHING_PENDING


async def registered_pending(ctx: StaffCtx, customer: Customer) -> Reply:
    """Tells the rep's managers (with Approve / Merge buttons); returns what the rep is told."""
    me = ctx.me
    existing = await records.customer(ctx.session, customer.dup_of_id)
    owner = await records.staff(ctx.session, existing.owner_id if existing else None)
    note = Reply(
        T(
            "⚠️ {rep} registered {name} as a new customer although it resembles {existing} "
            "(with {owner}). Approve it, or merge it into {existing}?",
            rep=me.name,
            name=customer.name,
            existing=existing.name if existing else T("—"),
            owner=owner.name if owner else T("team pool"),
        ),
        buttons=(
            (
                Button(T("✅ Approve"), f"dupok:{customer.id}"),
                Button(T("🔗 Merge"), f"dupmerge:{customer.id}"),
            ),
            (Button(T("📇 Open card"), f"card:{customer.id}"),),
        ),
    )
    managers = await svc.managers_of(ctx.session, me)
    for manager in managers:
        await ctx.notify.to_staff(
            manager, note, dedupe_key=f"dup-pending:{customer.id}:{manager.id}"
        )
    return Reply(
        T(
            "Saved: {name}, awaiting your manager's approval as a customer different from "
            "{existing}.",
            name=customer.name,
            existing=existing.name if existing else T("—"),
        )
    )


async def approve(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    customer = await svc.approve(ctx.session, ctx.me, ctx.obj_id, now=ctx.now())
    if customer is None:
        return ctx.stay(Reply(NOTHING_PENDING))
    await _tell_owner(ctx, customer, T("✅ {name} was approved as a customer.", name=customer.name))
    return ctx.stay(Reply(T("Approved: {name}.", name=customer.name)))


async def merge_pending(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    pending = await records.customer(ctx.session, ctx.obj_id)
    if pending is None or pending.approval != svc.PENDING or pending.dup_of_id is None:
        return ctx.stay(Reply(NOTHING_PENDING))
    return await _merge(ctx, pending.dup_of_id, pending.id)


async def _merge(ctx: StaffCtx, survivor_id: int, merged_id: int) -> Step:
    merged = await records.customer(ctx.session, merged_id)
    owner_id, name = (merged.owner_id, merged.name) if merged else (None, "")
    survivor = await svc.merge(ctx.session, ctx.me, survivor_id, merged_id, now=ctx.now())
    if survivor is None:
        return Step.end(Reply(T("You cannot merge these customers. Nothing was changed.")))
    text = T("🔗 {merged} was merged into {survivor}.", merged=name, survivor=survivor.name)
    if owner_id and owner_id != ctx.me.id:
        rep = await records.staff(ctx.session, owner_id)
        if rep is not None:
            await ctx.notify.to_staff(rep, Reply(text), dedupe_key=f"merged:{merged_id}")
    return Step.end(Reply(text, buttons=((Button(T("📇 Open card"), f"card:{survivor.id}"),),)))


async def _tell_owner(ctx: StaffCtx, customer: Customer, text: T) -> None:
    if customer.owner_id and customer.owner_id != ctx.me.id:
        rep = await records.staff(ctx.session, customer.owner_id)
        if rep is not None:
            await ctx.notify.to_staff(rep, Reply(text), dedupe_key=f"dup-ok:{customer.id}")


class MergeStep(States, flow="merge"):
    TARGET = "target"


class MergeDraft(Draft):
    SCAFFOLD = frozenset({"merged", "merged_name"})

    merged: int = 0
    merged_name: str = ""


async def merge_start(ctx: StaffCtx) -> Step:
    """From a card: which customer is this one the same as?"""
    assert ctx.obj_id is not None
    customer = await records.customer(ctx.session, ctx.obj_id)
    ctx.data = MergeDraft(merged=ctx.obj_id, merged_name=customer.name if customer else "")
    return Step.go(MergeStep.TARGET)


def _target_prompt(ctx: StaffCtx) -> Reply:
    return Reply(T("Merge into which customer? Type its name, phone or pinyin initials."))


async def target_step(ctx: StaffCtx) -> Step:
    if ctx.choice:
        target = parse_id(ctx.choice)
        if target is None:
            return ctx.stay(Reply(CHOOSE, notice="toast"))
        return await _merge(ctx, target, ctx.data.merged)
    text, refused = typed_text(ctx, 100, T("Please type some text to search for."))
    if refused is not None:
        return refused
    found = [
        c for c in await customers_svc.search(ctx.session, ctx.me, text) if c.id != ctx.data.merged
    ]
    if not found:
        return ctx.stay(
            Reply(T("No customer matches “{query}”. Try another spelling.", query=text))
        )
    buttons = tuple((flow_button(Raw(c.name), MergeStep.TARGET, str(c.id)),) for c in found)
    return ctx.stay(Reply(T("Merge into which of these? It keeps its owner."), buttons=buttons))


ACTIONS = [
    Action("dupok", LEADS, approve, obj_kind="customer"),
    Action("dupmerge", LEADS, merge_pending, obj_kind="customer"),
    Action("merge", LEADS, merge_start, obj_kind="customer"),
]
FLOWS = [
    Flow(
        MergeStep,
        LEADS,
        {MergeStep.TARGET: State(target_step, _target_prompt, takes=short_answer)},
        MergeDraft,
        lambda d: T("Merge of {customer}", customer=d.merged_name),
        entries=(("card Merge into…", MergeStep.TARGET),),
    )
]
