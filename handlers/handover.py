"""Handing a person's work (customers, follow-ups, requests, claims) over to reps of the team.

Started from a card's "Hand over" (or after deactivating): reps are picked, the counts are shown,
then it is handed over (customers told, if chosen). Diagram: docs/flows/ho.md (generated from
FLOWS).
"""

from __future__ import annotations

from bot.types import TN, Lines, Raw, Reply, T, Text
from crm.enums import Role
from crm.limits import parse_id
from crm.models import Staff
from crm.services import colleagues, handover, identity, records, runtime
from handlers.base import LEADS, Action, StaffCtx, Step, flow_button
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.refusals import CHOOSE, STALE


class HoStep(States, flow="ho"):
    PICK = "pick"
    CONFIRM = "confirm"


class HoDraft(Draft):
    # Whose work is handed over (and their name, for the draft's title).
    source: int | None = None
    source_name: str = ""
    # The reps chosen, in the order chosen: the first gets the first key customer.
    targets: list[int] = []
    tell: bool = True


def _title(d: HoDraft) -> Text:
    return T("Handover of {name}'s work", name=d.source_name)


async def start_handover(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    source = await records.staff(ctx.session, ctx.obj_id)
    ctx.data = HoDraft(source=ctx.obj_id, source_name=source.name if source else "")
    return Step.go(HoStep.PICK)


async def _candidates(ctx: StaffCtx) -> list[Staff]:
    people = await colleagues.managed_by(ctx.session, ctx.me)
    return [
        p
        for p in people
        if p.active and p.id != ctx.data.source and p.role in (Role.SALES, Role.MANAGER)
    ]


async def _pick_prompt(ctx: StaffCtx) -> Reply:
    chosen = set(ctx.data.targets)
    buttons = [
        flow_button(Raw(("✓ " if p.id in chosen else "") + p.name), HoStep.PICK, str(p.id))
        for p in await _candidates(ctx)
    ]
    buttons.append(flow_button(T("Next"), HoStep.PICK, "next"))
    return Reply(
        T("Hand {name}'s work over to whom? Tap one or more reps.", name=ctx.data.source_name),
        buttons=tuple((b,) for b in buttons),
    )


async def pick_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "next":
        if not ctx.data.targets:
            return ctx.stay(Reply(T("Choose at least one rep."), notice="alert"))
        return Step.go(HoStep.CONFIRM)
    ids = {p.id for p in await _candidates(ctx)}
    pid = parse_id(ctx.choice)
    if pid is None or pid not in ids:
        return ctx.stay(Reply(STALE, notice="toast"))
    targets = ctx.data.targets
    ctx.data.targets = [t for t in targets if t != pid] if pid in targets else [*targets, pid]
    return Step.go(HoStep.PICK)


async def _confirm_prompt(ctx: StaffCtx) -> Reply:
    c = await handover.counts(ctx.session, ctx.data.source or -1, ctx.now())
    names = [p.name for p in await colleagues.by_ids(ctx.session, ctx.data.targets)]
    return Reply(
        Lines(
            T(
                "Hand over from {source} to {targets}:",
                source=ctx.data.source_name,
                targets=", ".join(names),
            ),
            T(
                "Customers {c} · open follow-ups {f} · open requests {t} · claims {k}",
                c=c.customers,
                f=c.followups,
                t=c.tickets,
                k=c.claims,
            ),
            T("Customers will be told their new contact.")
            if ctx.data.tell
            else T("Customers will not be told."),
        ),
        buttons=(
            (
                flow_button(T("✅ Hand over"), HoStep.CONFIRM, "go"),
                flow_button(T("Tell customers: on/off"), HoStep.CONFIRM, "tell"),
            ),
            (
                flow_button(T("⬅ Back"), HoStep.CONFIRM, "back"),
                flow_button(T("✖ Cancel"), HoStep.CONFIRM, "cancel"),
            ),
        ),
    )


async def confirm_step(ctx: StaffCtx) -> Step:
    if ctx.choice == "tell":
        ctx.data.tell = not ctx.data.tell
        return Step.go(HoStep.CONFIRM)
    if ctx.choice != "go":
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    me = ctx.me
    source = await records.staff(ctx.session, ctx.data.source or -1)
    allowed = {p.id for p in await _candidates(ctx)}
    targets = [p for p in await colleagues.by_ids(ctx.session, ctx.data.targets) if p.id in allowed]
    order = {pid: i for i, pid in enumerate(ctx.data.targets)}
    targets.sort(key=lambda p: order[p.id])  # the first chosen gets the first key customer
    if source is None or not targets:
        return Step.end(Reply(STALE, notice="toast"))
    moved = await handover.hand_over(ctx.session, source, targets, by=me.id, now=ctx.now())
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=me.id,
        action="staff.handover",
        entity="staff",
        entity_id=source.id,
        changes={"to": [t.id for t in targets], "customers": len(moved)},
        now=ctx.now(),
    )
    per_target: dict[int, int] = {}
    for m in moved:
        per_target[m.new_owner.id] = per_target.get(m.new_owner.id, 0) + 1
        if ctx.data.tell:
            for cu in await identity.linked_users(ctx.session, m.customer.id):
                await ctx.notify.to_customer(
                    cu,
                    Reply(T("Your new contact at our company is {rep}.", rep=m.new_owner.name)),
                    dedupe_key=f"handover-cust:{m.customer.id}:{m.new_owner.id}:{cu.id}",
                )
    for t in targets:
        await ctx.notify.to_staff(
            t,
            Reply(
                TN(
                    "🤝 You now look after {n} customer from {source}. See /today.",
                    "🤝 You now look after {n} customers from {source}. See /today.",
                    per_target.get(t.id, 0),
                    source=source.name,
                )
            ),
            dedupe_key=f"handover:{source.id}:{t.id}:{ctx.inbound.update_id}",
        )
    return Step.end(
        Reply(TN("Handed over: {n} customer.", "Handed over: {n} customers.", len(moved)))
    )


ACTIONS = [
    Action("st_ho", LEADS, start_handover, obj_kind="team_member"),
]
FLOWS = [
    Flow(
        HoStep,
        LEADS,
        {
            HoStep.PICK: State(
                pick_step, _pick_prompt, accepts=BUTTONS, to=(HoStep.CONFIRM,), ends=False
            ),
            HoStep.CONFIRM: State(confirm_step, _confirm_prompt, accepts=BUTTONS, back=HoStep.PICK),
        },
        HoDraft,
        _title,
        entries=(("card Hand over", HoStep.PICK),),
    )
]
