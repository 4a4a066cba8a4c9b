"""Inviting a colleague: a one-time link for a new member of staff.

```mermaid
stateDiagram-v2
    [*] --> role: /invite
    role --> name
    name --> [*]: one-time link shown
```
"""

from __future__ import annotations

from bot.types import Lines, Raw, Reply, T
from crm.enums import Role
from crm.services import invites
from handlers.base import LEADS, Command, Ctx, Flow, Step, flow_button, rows, typed_text
from handlers.labels import ROLE, label

INVITABLE = {Role.ADMIN: list(Role)[:4], Role.MANAGER: [Role.SALES]}


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


COMMANDS = [
    Command("invite", LEADS, start_invite, T("invite a new colleague")),
]
FLOWS = [
    Flow("invite", LEADS, {"role": role_step, "name": name_step}),
]
