"""Managing staff: the list, a person's card, roles, deactivation; handing work over is in
`handlers.handover`, invitations in `handlers.invite`."""

from __future__ import annotations

from bot.types import Button, Lines, Reply, T, Text
from crm.enums import Role
from crm.services import access, colleagues, handover, records, runtime
from crm.services.admins import is_last_active_admin
from handlers.base import LEADS, Action, Command, StaffCtx, Step, rows
from handlers.labels import ROLE, label
from handlers.refusals import DENIED

LAST_ADMIN = T(
    "That would leave the company without an active admin. Make someone else an admin first. "
    "Nothing was changed."
)


async def staff_list(ctx: StaffCtx) -> Step:
    people = await colleagues.managed_by(ctx.session, ctx.me)
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


async def card(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    person = await records.staff(ctx.session, ctx.obj_id)
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
    me = ctx.me
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


async def change_role(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    if ctx.me.role != Role.ADMIN:
        return ctx.stay(Reply(DENIED))
    person = await records.staff(ctx.session, ctx.obj_id)
    assert person is not None
    if ctx.choice in {r.value for r in list(Role)[:4]}:
        if ctx.choice != Role.ADMIN and await is_last_active_admin(ctx.session, person):
            return ctx.stay(Reply(LAST_ADMIN))
        old = person.role
        person.role = ctx.choice
        await runtime.audit(
            ctx.session,
            actor_kind="staff",
            actor_id=ctx.me.id,
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


async def deactivate(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    person = await records.staff(ctx.session, ctx.obj_id)
    assert person is not None
    if person.id == ctx.me.id:
        return ctx.stay(Reply(T("You cannot deactivate yourself.")))
    if await is_last_active_admin(ctx.session, person):
        return ctx.stay(Reply(LAST_ADMIN))
    person.active = False
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
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
    manager = await records.staff(ctx.session, person.manager_id)
    if manager is not None and manager.id != ctx.me.id:
        await ctx.notify.to_staff(manager, note, dedupe_key=f"staff-off:{person.id}:{ctx.now()}")
    return ctx.stay(note)


async def reactivate(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    person = await records.staff(ctx.session, ctx.obj_id)
    assert person is not None
    person.active = True
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="staff.reactivate",
        entity="staff",
        entity_id=person.id,
        changes={},
        now=ctx.now(),
    )
    return ctx.stay(Reply(T("{name} is active again.", name=person.name)))


async def authorise_team_member(ctx: StaffCtx, staff_id: int) -> bool:
    return await access.can_manage_staff(ctx.session, ctx.me, staff_id)


COMMANDS = [
    Command("staff", LEADS, staff_list, T("your team: roles, deactivation, handover")),
]
ACTIONS = [
    Action("st", LEADS, card, obj_kind="team_member"),
    Action("st_role", LEADS, change_role, obj_kind="team_member"),
    Action("st_off", LEADS, deactivate, obj_kind="team_member"),
    Action("st_on", LEADS, reactivate, obj_kind="team_member"),
]
AUTHORISERS = {"team_member": authorise_team_member}
