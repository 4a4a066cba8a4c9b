"""/oncall: a manager or admin marks who is on call each day; faults received out of hours
reach them at once (scheduler.ticket_jobs.on_call_faults). Diagram: docs/flows/oncall.md.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.types import Lines, Raw, Reply, T, Text
from crm.services import on_call, runtime
from handlers.base import LEADS, Command, StaffCtx, Step, flow_button, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.refusals import CHOOSE, DENIED

DAYS = 7


def _lead(ctx: StaffCtx) -> bool:
    staff = ctx.me
    return staff.active and staff.role in LEADS


class OncallStep(States, flow="oncall"):
    DAY = "day"
    PICK = "pick"


class OncallDraft(Draft):
    # Each tap is saved at once: nothing is left to keep as a draft.
    SCAFFOLD = frozenset({"day"})

    day: str | None = None


async def _overview_prompt(ctx: StaffCtx) -> Reply:
    first = ctx.local_now().date()
    days = [first + timedelta(days=i) for i in range(DAYS)]
    found = await on_call.rota(ctx.session, days[0], days[-1])
    lines: list[Text] = [T("<b>On call</b> (faults out of hours reach them at once):")]
    for day in days:
        names = ", ".join(s.name for s in found.get(day, [])) or "—"
        lines.append(T("{day}: {names}", day=day, names=names))
    buttons = [
        flow_button(Raw(day.strftime("%m-%d")), OncallStep.DAY, day.isoformat()) for day in days
    ]
    buttons.append(flow_button(T("Done"), OncallStep.DAY, "done"))
    return Reply(Lines(*lines), buttons=rows(*buttons, width=4))


async def start(ctx: StaffCtx) -> Step:
    ctx.data = OncallDraft()
    return Step.go(OncallStep.DAY)


def _day(value: str | None, today: date) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if today <= day < today + timedelta(days=DAYS) else None


async def day_step(ctx: StaffCtx) -> Step:
    if not _lead(ctx):
        return Step.end(Reply(DENIED))
    if ctx.choice == "done":
        return Step.end(Reply(T("The on-call rota is saved.")))
    day = _day(ctx.choice, ctx.local_now().date())
    if day is None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.day = day.isoformat()
    return Step.go(OncallStep.PICK)


async def _pick_prompt(ctx: StaffCtx) -> Reply:
    day = date.fromisoformat(ctx.data.day)
    found = await on_call.rota(ctx.session, day, day)
    on = {s.id for s in found.get(day, [])}
    buttons = [
        flow_button(
            T("✓ {name}", name=s.name) if s.id in on else Raw(s.name),
            OncallStep.PICK,
            str(s.id),
        )
        for s in await on_call.candidates(ctx.session)
    ]
    buttons.append(flow_button(T("⬅ Back"), OncallStep.PICK, "back"))
    return Reply(
        T("Who is on call on {day}? Tap to add or remove.", day=day), buttons=rows(*buttons)
    )


async def pick_step(ctx: StaffCtx) -> Step:
    if not _lead(ctx):
        return Step.end(Reply(DENIED))
    day = _day(ctx.data.day, ctx.local_now().date())
    people = {str(s.id): s for s in await on_call.candidates(ctx.session)}
    if day is None or ctx.choice not in people:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    person = people[ctx.choice]
    now_on = await on_call.toggle(ctx.session, day, person.id)
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="oncall.set" if now_on else "oncall.unset",
        entity="staff",
        entity_id=person.id,
        changes={"day": day.isoformat()},
        now=ctx.now(),
    )
    return Step.go(OncallStep.PICK)


COMMANDS = [Command("oncall", LEADS, start, T("who is on call each day for faults out of hours"))]
FLOWS = [
    Flow(
        OncallStep,
        LEADS,
        {
            OncallStep.DAY: State(
                day_step, _overview_prompt, accepts=BUTTONS, to=(OncallStep.PICK,)
            ),
            OncallStep.PICK: State(
                pick_step, _pick_prompt, accepts=BUTTONS, back=OncallStep.DAY, ends=True
            ),
        },
        OncallDraft,
        lambda d: T("On-call rota"),
        entries=(("/oncall", OncallStep.DAY),),
    )
]
