"""Follow-ups: adding one (from a card or by itself), the reminder's buttons, the overdue list.

The flow's diagram is generated from `FLOWS` (docs/flows/fu.md).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.types import Button, Lines, Raw, Reply, T, Text
from crm.enums import FollowUpStatus
from crm.language.dates import parse_when
from crm.limits import parse_id
from crm.models import Customer, FollowUp
from crm.services import access, records, runtime, sales
from crm.services import customers as customer_svc
from crm.services.customers import renew_claim
from handlers.base import FIELD, Action, Command, StaffCtx, Step, flow_button, typed_text
from handlers.conversation import Draft, Flow, State, States
from handlers.customers import card_reply
from handlers.refusals import DENIED, FOLLOWUP_CLOSED, GONE_CUSTOMER, NO_CUSTOMER, STALE


class FuStep(States, flow="fu"):
    CUSTOMER = "customer"
    WHEN = "when"
    NOTE = "note"


class FuDraft(Draft):
    customer_id: int | None = None
    customer_name: str | None = None
    # Moving an existing follow-up (reminder's "Pick a time" / "Reschedule") instead of a new one.
    move_id: int | None = None
    when: str | None = None
    # Words the rep already wrote (a note kept from a message): offered as the next step.
    note: str | None = None


async def _open(ctx: StaffCtx) -> FollowUp | None:
    assert ctx.obj_id is not None
    fu = await records.followup(ctx.session, ctx.obj_id)
    return fu if fu is not None and fu.status == FollowUpStatus.OPEN else None


async def done(ctx: StaffCtx) -> Step:
    fu = await _open(ctx)
    if fu is None:
        return ctx.stay(Reply(FOLLOWUP_CLOSED))
    fu.status = FollowUpStatus.DONE
    fu.done_at = ctx.now()
    customer = await records.customer(ctx.session, fu.customer_id)
    assert customer is not None
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="followup.done",
        entity="customer",
        entity_id=customer.id,
        changes={"followup_id": fu.id},
        now=ctx.now(),
    )
    return ctx.stay(Reply(T("Marked done: follow-up with {customer}.", customer=customer.name)))


async def snooze(ctx: StaffCtx) -> Step:
    fu = await _open(ctx)
    if fu is None:
        return ctx.stay(Reply(FOLLOWUP_CLOSED))
    if ctx.choice == "1h":
        fu.due_at = ctx.now() + timedelta(hours=1)
    elif ctx.choice == "tomorrow":
        tomorrow = ctx.local_now().date() + timedelta(days=1)
        fu.due_at = datetime.combine(tomorrow, time(9, 0), tzinfo=ctx.who.tz)
    elif ctx.choice == "pick":
        ctx.data = FuDraft(move_id=fu.id)
        return Step.go(FuStep.WHEN)
    else:
        return ctx.stay(Reply(STALE))
    # A new due time means a new reminder.
    fu.reminded_at = None
    return ctx.stay(Reply(T("Snoozed until {when}.", when=fu.due_at)))


async def reschedule(ctx: StaffCtx) -> Step:
    fu = await _open(ctx)
    if fu is None:
        return ctx.stay(Reply(FOLLOWUP_CLOSED))
    ctx.data = FuDraft(move_id=fu.id)
    return Step.go(FuStep.WHEN)


def _when_prompt(ctx: StaffCtx) -> Reply:
    when = T("When? E.g. “tomorrow 15:00”, “next Monday”, “2026-12-05 10:00”.")
    name = ctx.data.customer_name
    if name and ctx.data.move_id is None:
        return Reply(Lines(T("Follow-up with {customer}.", customer=name), when))
    return Reply(when)


def _customer_prompt(ctx: StaffCtx) -> Reply:
    return Reply(T("Which customer? Type a name, phone or pinyin initials."))


def _note_prompt(ctx: StaffCtx) -> Reply:
    d: FuDraft = ctx.data
    if d.note:
        return Reply(
            Lines(
                T(
                    "Follow-up with {customer} on {when}:",
                    customer=d.customer_name or "",
                    when=datetime.fromisoformat(d.when) if d.when else "",
                ),
                Raw(f"“{d.note}”"),
                T("Save it with this note, or type another next step."),
            ),
            buttons=(
                (
                    flow_button(T("✅ Save"), FuStep.NOTE, "keep"),
                    flow_button(T("✖ Cancel"), FuStep.NOTE, "cancel"),
                ),
            ),
        )
    return Reply(
        T("What is the next step? (e.g. send the quote, ask for the deposit)"),
        buttons=((flow_button(T("Skip"), FuStep.NOTE, "skip"),),),
    )


def _title(d: FuDraft) -> Text:
    if d.move_id is not None:
        return T("Moving a follow-up")
    if d.customer_name:
        return T("Follow-up with {customer}", customer=d.customer_name)
    return T("New follow-up")


async def add_for_customer(ctx: StaffCtx) -> Step:
    assert ctx.obj_id is not None
    customer = await records.customer(ctx.session, ctx.obj_id)
    if customer is None:
        return ctx.stay(Reply(NO_CUSTOMER))
    ctx.data = FuDraft(customer_id=customer.id, customer_name=customer.name)
    return Step.go(FuStep.WHEN)


def begin(ctx: StaffCtx, customer: Customer | None, *, when: str | None, note: str | None) -> Step:
    """A follow-up from words already typed: only what is still missing is asked."""
    ctx.data = FuDraft(
        customer_id=customer.id if customer else None,
        customer_name=customer.name if customer else None,
        when=when,
        note=note,
    )
    if customer is None:
        return Step.go(FuStep.CUSTOMER)
    return Step.go(FuStep.NOTE if when else FuStep.WHEN)


async def add_command(ctx: StaffCtx) -> Step:
    ctx.data = FuDraft()
    return Step.go(FuStep.CUSTOMER)


async def customer_step(ctx: StaffCtx) -> Step:
    if ctx.choice is not None:
        customer = await access.editable_customer(ctx.session, ctx.me, parse_id(ctx.choice) or -1)
        if customer is None:
            return ctx.stay(Reply(DENIED, notice="alert"))
        ctx.data.customer_id, ctx.data.customer_name = customer.id, customer.name
        return Step.go(FuStep.NOTE if ctx.data.when else FuStep.WHEN)
    text, refused = typed_text(
        ctx, 100, T("Please type a customer name, phone or pinyin initials.")
    )
    if refused is not None:
        return refused
    found = [
        c
        for c in await customer_svc.search(ctx.session, ctx.me, text)
        if await access.can_edit_customer(ctx.session, ctx.me, c.id)
    ]
    if not found:
        return ctx.stay(
            Reply(T("No customer matches “{query}”. Try another spelling.", query=text))
        )
    buttons = [
        flow_button(Raw(f"{c.name} · {c.customer_class}"), FuStep.CUSTOMER, str(c.id))
        for c in found
    ]
    return ctx.stay(Reply(T("Which one?"), buttons=tuple((b,) for b in buttons)))


async def when_step(ctx: StaffCtx) -> Step:
    text = (ctx.inbound.text or "").strip()
    when = parse_when(text, ctx.now(), ctx.who.tz) if text else None
    if when is None:
        return ctx.stay(
            Reply(
                T(
                    "I could not read “{text}” as a date. Try “tomorrow 10:00” or “2026-12-05”.",
                    text=text[:100],
                )
            )
        )
    if when <= ctx.now():
        return ctx.stay(Reply(T("That time has already passed; please give a future time.")))
    if ctx.data.move_id is not None:
        fu = await records.followup(ctx.session, ctx.data.move_id)
        if (
            fu is None
            or fu.status != FollowUpStatus.OPEN
            or not await access.can_act_on_followup(ctx.session, ctx.me, fu.id)
        ):
            return Step.end(Reply(FOLLOWUP_CLOSED))
        fu.due_at, fu.reminded_at = when, None
        return Step.end(Reply(T("Moved to {when}.", when=when)))
    ctx.data.when = when.isoformat()
    return Step.go(FuStep.NOTE)


async def note_step(ctx: StaffCtx) -> Step:
    note = ctx.data.note if ctx.choice == "keep" else None
    if ctx.choice not in ("skip", "keep"):
        note, refused = typed_text(ctx, 500, T("Please type the next step, or skip."))
        if refused is not None:
            return refused
    staff = ctx.me
    customer = await records.customer(ctx.session, ctx.data.customer_id or -1)
    if customer is None or not await access.can_edit_customer(ctx.session, staff, customer.id):
        return Step.end(Reply(GONE_CUSTOMER))
    fu = FollowUp(
        customer_id=customer.id,
        staff_id=staff.id,
        note=note,
        due_at=datetime.fromisoformat(ctx.data.when),
        created_at=ctx.now(),
    )
    await records.save(ctx.session, fu)
    renew_claim(customer, staff, ctx.now(), ctx.rules.claims.period_days)
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=staff.id,
        action="followup.create",
        entity="customer",
        entity_id=customer.id,
        changes={"followup_id": fu.id},
        now=ctx.now(),
    )
    return Step.end(
        Reply(T("Saved. I will remind you on {when}.", when=fu.due_at)),
        await card_reply(ctx, customer.id),
    )


async def overdue(ctx: StaffCtx) -> Step:
    items = [(f, c) for f, c in await sales.open_followups(ctx.session, ctx.me, ctx.now())]
    if not items:
        return ctx.stay(Reply(T("No overdue follow-ups. Well done!")))
    lines: list[Text] = [T("<b>Overdue follow-ups</b>")]
    buttons = []
    for fu, customer in items:
        lines.append(
            T(
                "{when}: {customer} — {note}",
                when=fu.due_at,
                customer=customer.name,
                note=fu.note or "",
            )
        )
        buttons.append(
            (
                Button(T("✅ {customer}", customer=customer.name), f"fu_done:{fu.id}"),
                Button(T("📆 Reschedule"), f"fu_resched:{fu.id}"),
            )
        )
    return ctx.stay(Reply(Lines(*lines), buttons=tuple(buttons[:20])))


async def authorise_followup(ctx: StaffCtx, followup_id: int) -> bool:
    return await access.can_act_on_followup(ctx.session, ctx.me, followup_id)


COMMANDS = [
    Command("followup", FIELD, add_command, T("plan a follow-up")),
    Command("overdue", FIELD, overdue, T("overdue follow-ups")),
]
FLOWS = [
    Flow(
        FuStep,
        FIELD,
        {
            FuStep.CUSTOMER: State(customer_step, _customer_prompt, to=(FuStep.WHEN, FuStep.NOTE)),
            FuStep.WHEN: State(when_step, _when_prompt, to=(FuStep.NOTE,), back=None),
            FuStep.NOTE: State(note_step, _note_prompt, back=FuStep.WHEN),
        },
        FuDraft,
        _title,
        entries=(
            ("/followup", FuStep.CUSTOMER),
            ("card Follow-up, reminder Pick a time / Reschedule", FuStep.WHEN),
        ),
    )
]
ACTIONS = [
    Action("fu_resched", FIELD, reschedule, obj_kind="followup"),
    Action("fu_add", FIELD, add_for_customer, obj_kind="customer_edit"),
    Action("fu_done", FIELD, done, obj_kind="followup"),
    Action("fu_snooze", FIELD, snooze, obj_kind="followup"),
]
AUTHORISERS = {"followup": authorise_followup}
