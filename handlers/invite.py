"""Inviting a colleague: a one-time link for a new member of staff (/invite: the role, the name,
then the link). Diagram: docs/flows/invite.md (generated from FLOWS).
"""

from __future__ import annotations

from bot.types import Lines, Raw, Reply, T, Text
from crm.enums import Role
from crm.services import invites
from handlers.base import LEADS, Command, StaffCtx, Step, flow_button, rows, typed_text
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.labels import ROLE, label
from handlers.refusals import CHOOSE

INVITABLE = {Role.ADMIN: list(Role)[:4], Role.MANAGER: [Role.SALES]}


class InviteStep(States, flow="invite"):
    ROLE = "role"
    NAME = "name"


class InviteDraft(Draft):
    # One tap is not worth keeping as a draft: only a typed name would be (none is kept).
    SCAFFOLD = frozenset({"role"})

    role: str | None = None


def _title(d: InviteDraft) -> Text:
    if d.role:
        return T("Invitation of a colleague ({role})", role=label(ROLE, d.role))
    return T("Invitation of a colleague")


def _invitable(ctx: StaffCtx) -> list[Role]:
    me = ctx.me
    return INVITABLE.get(Role(me.role), [])


async def start_invite(ctx: StaffCtx) -> Step:
    ctx.data = InviteDraft()
    return Step.go(InviteStep.ROLE)


def _role_prompt(ctx: StaffCtx) -> Reply:
    buttons = [flow_button(label(ROLE, r), InviteStep.ROLE, r.value) for r in _invitable(ctx)]
    return Reply(T("Invite whom? Choose the role."), buttons=rows(*buttons))


def _name_prompt(ctx: StaffCtx) -> Reply:
    return Reply(T("Their name?"), buttons=rows(flow_button(T("⬅ Back"), InviteStep.NAME, "back")))


async def role_step(ctx: StaffCtx) -> Step:
    if ctx.choice not in {r.value for r in _invitable(ctx)}:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.role = ctx.choice
    return Step.go(InviteStep.NAME)


async def name_step(ctx: StaffCtx) -> Step:
    if ctx.choice is not None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    name, refused = typed_text(ctx, 120, T("Please type their name."))
    if refused is not None:
        return refused
    me = ctx.me
    role = ctx.data.role
    if role not in {r.value for r in _invitable(ctx)}:
        # The inviter's role changed since the role was chosen.
        return Step.go(InviteStep.ROLE)
    token = await invites.create(
        ctx.session,
        now=ctx.now(),
        ttl_hours=ctx.rules.invites.ttl_hours,
        role=Role(role),
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
    Flow(
        InviteStep,
        LEADS,
        {
            InviteStep.ROLE: State(
                role_step, _role_prompt, accepts=BUTTONS, to=(InviteStep.NAME,), ends=False
            ),
            InviteStep.NAME: State(
                name_step, _name_prompt, to=(InviteStep.ROLE,), back=InviteStep.ROLE
            ),
        },
        InviteDraft,
        _title,
        entries=(("/invite", InviteStep.ROLE),),
    )
]
