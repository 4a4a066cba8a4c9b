"""A rep's agenda and the reminder buttons: done, snooze."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.types import Reply, T
from crm.enums import FollowUpStatus
from crm.models import Customer, FollowUp
from crm.services import access, runtime
from handlers.base import FIELD, Action, Ctx, Step


async def _open(ctx: Ctx) -> FollowUp | None:
    assert ctx.obj_id is not None
    fu = await ctx.session.get(FollowUp, ctx.obj_id)
    return fu if fu is not None and fu.status == FollowUpStatus.OPEN else None


async def done(ctx: Ctx) -> Step:
    fu = await _open(ctx)
    if fu is None:
        return ctx.stay(Reply(T("This follow-up is already closed. Nothing was changed.")))
    fu.status = FollowUpStatus.DONE
    fu.done_at = ctx.now()
    customer = await ctx.session.get(Customer, fu.customer_id)
    assert customer is not None and ctx.who.staff is not None
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
        action="followup.done",
        entity="customer",
        entity_id=customer.id,
        changes={"followup_id": fu.id},
        now=ctx.now(),
    )
    return ctx.stay(Reply(T("Marked done: follow-up with {customer}.", customer=customer.name)))


async def snooze(ctx: Ctx) -> Step:
    fu = await _open(ctx)
    if fu is None:
        return ctx.stay(Reply(T("This follow-up is already closed. Nothing was changed.")))
    if ctx.choice == "1h":
        fu.due_at = ctx.now() + timedelta(hours=1)
    elif ctx.choice == "tomorrow":
        tomorrow = ctx.local_now().date() + timedelta(days=1)
        fu.due_at = datetime.combine(tomorrow, time(9, 0), tzinfo=ctx.who.tz)
    else:
        return ctx.stay(Reply(T("This button is no longer valid. Nothing was changed.")))
    # A new due time means a new reminder.
    fu.reminded_at = None
    return ctx.stay(Reply(T("Snoozed until {when}.", when=fu.due_at)))


async def authorise_followup(ctx: Ctx, followup_id: int) -> bool:
    return ctx.who.staff is not None and await access.can_act_on_followup(
        ctx.session, ctx.who.staff, followup_id
    )


ACTIONS = [
    Action("fu_done", FIELD, done, obj_kind="followup"),
    Action("fu_snooze", FIELD, snooze, obj_kind="followup"),
]
AUTHORISERS = {"followup": authorise_followup}
