"""Managing staff: the list, invitations, roles, deactivation, and handing work over.

```mermaid
stateDiagram-v2
    [*] --> role: /invite
    role --> name
    name --> [*]: one-time link shown
    [*] --> pick: card "Hand over" (or after deactivating)
    pick --> confirm: reps chosen, counts shown
    confirm --> [*]: handed over (customers told, if chosen)
```
"""

from __future__ import annotations

from sqlalchemy import or_, select

from bot.types import TN, Button, Lines, Raw, Reply, T, Text
from crm.enums import Role
from crm.models import CustomerUser, Staff
from crm.services import handover, invites, runtime
from handlers.base import LEADS, Action, Command, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.labels import ROLE, label

INVITABLE = {Role.ADMIN: list(Role)[:4], Role.MANAGER: [Role.SALES]}


def _team(ctx: Ctx):  # type: ignore[no-untyped-def]
    me = ctx.who.staff
    assert me is not None
    stmt = select(Staff).order_by(Staff.active.desc(), Staff.role, Staff.name)
    if me.role != Role.ADMIN:
        stmt = stmt.where(or_(Staff.manager_id == me.id, Staff.team == me.team))
    return stmt


async def staff_list(ctx: Ctx) -> Step:
    people = list(await ctx.session.scalars(_team(ctx)))
    buttons = [
        Button(
            T("{name} · {role}", name=p.name, role=label(ROLE, p.role))
            if p.active
            else T("{name} · {role} (inactive)", name=p.name, role=label(ROLE, p.role)),
            f"st:{p.id}",
        )
        for p in people
    ]
    return ctx.stay(Reply(T("<b>Staff</b>"), buttons=tuple((b,) for b in buttons[:40])))


async def card(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    person = await ctx.session.get(Staff, ctx.obj_id)
    assert person is not None
    c = await handover.counts(ctx.session, person.id, ctx.now())
    lines: list[Text] = [
        T("<b>{name}</b> · {role}", name=person.name, role=label(ROLE, person.role)),
        T("Team: {team}", team=person.team or "—"),
        T("Active") if person.active else T("Deactivated"),
        T(
            "Customers {c} · open follow-ups {f} · open requests {t} · claims {k}",
            c=c.customers,
            f=c.followups,
            t=c.tickets,
            k=c.claims,
        ),
    ]
    buttons = []
    me = ctx.who.staff
    assert me is not None
    if me.role == Role.ADMIN and person.id != me.id:
        buttons.append(Button(T("🔀 Change role"), f"st_role:{person.id}"))
    if person.id != me.id:
        buttons.append(
            Button(T("⛔ Deactivate"), f"st_off:{person.id}")
            if person.active
            else Button(T("✅ Reactivate"), f"st_on:{person.id}")
        )
    if c.customers or c.followups or c.tickets:
        buttons.append(Button(T("🤝 Hand over"), f"st_ho:{person.id}"))
    return ctx.stay(Reply(Lines(*lines), buttons=rows(*buttons)))


async def change_role(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None and ctx.who.staff is not None
    if ctx.who.staff.role != Role.ADMIN:
        return ctx.stay(Reply(T("That is not available to you. Nothing was changed.")))
    person = await ctx.session.get(Staff, ctx.obj_id)
    assert person is not None
    if ctx.choice in {r.value for r in list(Role)[:4]}:
        old = person.role
        person.role = ctx.choice
        await runtime.audit(
            ctx.session,
            actor_kind="staff",
            actor_id=ctx.who.staff.id,
            action="staff.role",
            entity="staff",
            entity_id=person.id,
            changes={"role": [old, person.role]},
            now=ctx.now(),
        )
        await ctx.notify.to_staff(
            person,
            Reply(
                T(
                    "Your role is now: {role}. Send /start to see your menu.",
                    role=label(ROLE, person.role),
                )
            ),
            dedupe_key=f"staff-role:{person.id}:{ctx.inbound.update_id}",
        )
        return ctx.stay(
            Reply(T("{name} is now {role}.", name=person.name, role=label(ROLE, person.role)))
        )
    buttons = [Button(label(ROLE, r), f"st_role:{person.id}:{r.value}") for r in list(Role)[:4]]
    return ctx.stay(Reply(T("New role for {name}?", name=person.name), buttons=rows(*buttons)))


async def deactivate(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None and ctx.who.staff is not None
    person = await ctx.session.get(Staff, ctx.obj_id)
    assert person is not None
    if person.id == ctx.who.staff.id:
        return ctx.stay(Reply(T("You cannot deactivate yourself.")))
    person.active = False
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
        action="staff.deactivate",
        entity="staff",
        entity_id=person.id,
        changes={},
        now=ctx.now(),
    )
    c = await handover.counts(ctx.session, person.id, ctx.now())
    note = Reply(
        Lines(
            T("{name} is deactivated and can no longer act.", name=person.name),
            T(
                "Customers {c} · open follow-ups {f} · open requests {t} · claims {k}",
                c=c.customers,
                f=c.followups,
                t=c.tickets,
                k=c.claims,
            ),
        ),
        buttons=((Button(T("🤝 Hand over"), f"st_ho:{person.id}"),),),
    )
    manager = await ctx.session.get(Staff, person.manager_id) if person.manager_id else None
    if manager is not None and manager.id != ctx.who.staff.id:
        await ctx.notify.to_staff(manager, note, dedupe_key=f"staff-off:{person.id}:{ctx.now()}")
    return ctx.stay(note)


async def reactivate(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None and ctx.who.staff is not None
    person = await ctx.session.get(Staff, ctx.obj_id)
    assert person is not None
    person.active = True
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
        action="staff.reactivate",
        entity="staff",
        entity_id=person.id,
        changes={},
        now=ctx.now(),
    )
    return ctx.stay(Reply(T("{name} is active again.", name=person.name)))


async def start_handover(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    ctx.data = {"source": ctx.obj_id, "targets": [], "tell": True}
    return await _pick_prompt(ctx)


async def _candidates(ctx: Ctx) -> list[Staff]:
    people = await ctx.session.scalars(_team(ctx))
    return [
        p
        for p in people
        if p.active and p.id != ctx.data["source"] and p.role in (Role.SALES, Role.MANAGER)
    ]


async def _pick_prompt(ctx: Ctx) -> Step:
    source = await ctx.session.get(Staff, ctx.data["source"])
    assert source is not None
    chosen = set(ctx.data["targets"])
    buttons = [
        flow_button(Raw(("✓ " if p.id in chosen else "") + p.name), "ho.pick", str(p.id))
        for p in await _candidates(ctx)
    ]
    buttons.append(flow_button(T("Next"), "ho.pick", "next"))
    return Step.to(
        "ho.pick",
        Reply(
            T("Hand {name}'s work over to whom? Tap one or more reps.", name=source.name),
            buttons=tuple((b,) for b in buttons),
        ),
    )


async def pick_step(ctx: Ctx) -> Step:
    if ctx.choice == "next":
        if not ctx.data["targets"]:
            return ctx.stay(Reply(T("Choose at least one rep.")))
        return await _confirm_prompt(ctx)
    ids = {p.id for p in await _candidates(ctx)}
    pid = int(ctx.choice) if ctx.choice and ctx.choice.isdigit() else -1
    if pid not in ids:
        return ctx.stay(Reply(T("This button is no longer valid. Nothing was changed.")))
    targets = ctx.data["targets"]
    ctx.data["targets"] = [t for t in targets if t != pid] if pid in targets else [*targets, pid]
    return await _pick_prompt(ctx)


async def _confirm_prompt(ctx: Ctx) -> Step:
    source = await ctx.session.get(Staff, ctx.data["source"])
    assert source is not None
    c = await handover.counts(ctx.session, source.id, ctx.now())
    names = [
        p.name
        for p in await ctx.session.scalars(
            select(Staff).where(Staff.id.in_(ctx.data["targets"])).order_by(Staff.name)
        )
    ]
    tell = ctx.data["tell"]
    return Step.to(
        "ho.confirm",
        Reply(
            Lines(
                T(
                    "Hand over from {source} to {targets}:",
                    source=source.name,
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
                if tell
                else T("Customers will not be told."),
            ),
            buttons=(
                (
                    flow_button(T("✅ Hand over"), "ho.confirm", "go"),
                    flow_button(T("Tell customers: on/off"), "ho.confirm", "tell"),
                ),
                (flow_button(T("✖ Cancel"), "ho.confirm", "cancel"),),
            ),
        ),
    )


async def confirm_step(ctx: Ctx) -> Step:
    if ctx.choice == "cancel":
        return Step.end(Reply(T("Cancelled. Nothing was saved.")))
    if ctx.choice == "tell":
        ctx.data["tell"] = not ctx.data["tell"]
        return await _confirm_prompt(ctx)
    if ctx.choice != "go":
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    me = ctx.who.staff
    assert me is not None
    source = await ctx.session.get(Staff, ctx.data["source"])
    allowed = {p.id for p in await _candidates(ctx)}
    targets = [
        p
        for p in await ctx.session.scalars(select(Staff).where(Staff.id.in_(ctx.data["targets"])))
        if p.id in allowed
    ]
    order = {pid: i for i, pid in enumerate(ctx.data["targets"])}
    targets.sort(key=lambda p: order[p.id])  # the first chosen gets the first key customer
    if source is None or not targets:
        return Step.end(Reply(T("This button is no longer valid. Nothing was changed.")))
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
        if ctx.data["tell"]:
            for cu in await ctx.session.scalars(
                select(CustomerUser).where(CustomerUser.customer_id == m.customer.id)
            ):
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


async def start_invite(ctx: Ctx) -> Step:
    me = ctx.who.staff
    assert me is not None
    buttons = [
        flow_button(label(ROLE, r), "invite.role", r.value) for r in INVITABLE[Role(me.role)]
    ]
    ctx.data = {}
    return Step.to("invite.role", Reply(T("Invite whom? Choose the role."), buttons=rows(*buttons)))


async def role_step(ctx: Ctx) -> Step:
    me = ctx.who.staff
    assert me is not None
    if ctx.choice not in {r.value for r in INVITABLE[Role(me.role)]}:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data["role"] = ctx.choice
    return Step.to("invite.name", Reply(T("Their name?")))


async def name_step(ctx: Ctx) -> Step:
    name, refused = typed_text(ctx, 120, T("Please type their name."))
    if refused is not None:
        return refused
    me = ctx.who.staff
    assert me is not None
    token = await invites.create(
        ctx.session,
        now=ctx.now(),
        ttl_hours=ctx.rules.invites.ttl_hours,
        role=Role(ctx.data["role"]),
        name=name,
        manager_id=me.id if me.role == Role.MANAGER else None,
        created_by=me.id,
    )
    return Step.end(
        Reply(
            Lines(
                T(
                    "Send this link to {name}; it works once, for {hours} hours:",
                    name=name,
                    hours=ctx.rules.invites.ttl_hours,
                ),
                Raw(f"https://t.me/{ctx.bot_username}?start={token}"),
            )
        )
    )


async def authorise_team_member(ctx: Ctx, staff_id: int) -> bool:
    me = ctx.who.staff
    if me is None or me.role not in (Role.ADMIN, Role.MANAGER):
        return False
    person = await ctx.session.get(Staff, staff_id)
    if person is None:
        return False
    return (
        me.role == Role.ADMIN
        or person.manager_id == me.id
        or (person.team == me.team and person.role != Role.ADMIN)
    )


COMMANDS = [
    Command("staff", LEADS, staff_list, T("your team: roles, deactivation, handover")),
    Command("invite", LEADS, start_invite, T("invite a new colleague")),
]
ACTIONS = [
    Action("st", LEADS, card, obj_kind="team_member"),
    Action("st_role", LEADS, change_role, obj_kind="team_member"),
    Action("st_off", LEADS, deactivate, obj_kind="team_member"),
    Action("st_on", LEADS, reactivate, obj_kind="team_member"),
    Action("st_ho", LEADS, start_handover, obj_kind="team_member"),
]
FLOWS = [
    Flow("ho", LEADS, {"pick": pick_step, "confirm": confirm_step}),
    Flow("invite", LEADS, {"role": role_step, "name": name_step}),
]
AUTHORISERS = {"team_member": authorise_team_member}
