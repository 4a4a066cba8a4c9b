"""/oncall: a manager or admin marks who is on call each day; faults received out of hours
reach them at once (scheduler.ticket_jobs.on_call_faults).

```mermaid
stateDiagram-v2
    [*] --> day: /oncall (the next 7 days)
    day --> pick: a day
    pick --> pick: a person toggled
    pick --> day: Back
    day --> [*]: Done
```
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.types import Lines, Raw, Reply, T, Text
from crm.services import on_call, runtime
from handlers.base import LEADS, Command, Ctx, Flow, Step, flow_button, rows

DAYS = 7


def _lead(ctx: Ctx) -> bool:
    staff = ctx.who.staff
    return staff is not None and staff.active and staff.role in LEADS


async def _overview(ctx: Ctx) -> Step:
    first = ctx.local_now().date()
    days = [first + timedelta(days=i) for i in range(DAYS)]
    found = await on_call.rota(ctx.session, days[0], days[-1])
    lines: list[Text] = [T("<b>On call</b> (faults out of hours reach them at once):")]
    for day in days:
        names = ", ".join(s.name for s in found.get(day, [])) or "—"
        lines.append(T("{day}: {names}", day=day, names=names))
    buttons = [
        flow_button(Raw(day.strftime("%m-%d")), "oncall.day", day.isoformat()) for day in days
    ]
    buttons.append(flow_button(T("Done"), "oncall.day", "done"))
    return Step.to("oncall.day", Reply(Lines(*lines), buttons=rows(*buttons, width=4)))


async def start(ctx: Ctx) -> Step:
    return await _overview(ctx)


def _day(value: str | None, today: date) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if today <= day < today + timedelta(days=DAYS) else None


async def day_step(ctx: Ctx) -> Step:
    if not _lead(ctx):
        return Step.end(Reply(T("That is not available to you. Nothing was changed.")))
    if ctx.choice == "done":
        return Step.end(Reply(T("The on-call rota is saved.")))
    day = _day(ctx.choice, ctx.local_now().date())
    if day is None:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data = {"day": day.isoformat()}
    return await _pick_prompt(ctx, day)


async def _pick_prompt(ctx: Ctx, day: date) -> Step:
    found = await on_call.rota(ctx.session, day, day)
    on = {s.id for s in found.get(day, [])}
    buttons = [
        flow_button(
            T("✓ {name}", name=s.name) if s.id in on else Raw(s.name), "oncall.pick", str(s.id)
        )
        for s in await on_call.candidates(ctx.session)
    ]
    buttons.append(flow_button(T("⬅ Back"), "oncall.pick", "back"))
    return Step.to(
        "oncall.pick",
        Reply(T("Who is on call on {day}? Tap to add or remove.", day=day), buttons=rows(*buttons)),
    )


async def pick_step(ctx: Ctx) -> Step:
    if not _lead(ctx):
        return Step.end(Reply(T("That is not available to you. Nothing was changed.")))
    if ctx.choice == "back":
        return await _overview(ctx)
    day = _day(ctx.data.get("day"), ctx.local_now().date())
    people = {str(s.id): s for s in await on_call.candidates(ctx.session)}
    if day is None or ctx.choice not in people:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    person = people[ctx.choice]
    now_on = await on_call.toggle(ctx.session, day, person.id)
    assert ctx.who.staff is not None
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
        action="oncall.set" if now_on else "oncall.unset",
        entity="staff",
        entity_id=person.id,
        changes={"day": day.isoformat()},
        now=ctx.now(),
    )
    return await _pick_prompt(ctx, day)


COMMANDS = [Command("oncall", LEADS, start, T("who is on call each day for faults out of hours"))]
FLOWS = [Flow("oncall", LEADS, {"day": day_step, "pick": pick_step})]
