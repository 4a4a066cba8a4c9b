"""Monthly visit plans: a manager sets a rep's targets per customer class; reps see completion.

`/plan` for a rep shows their own plan and progress this month. For a manager (admin: all reps)
it lists the team's completion with a ✏️ (set) and a 📊 (view) button per rep.

Diagram: docs/flows/plan.md (generated from FLOWS).
"""

from __future__ import annotations

from bot.types import Button, Lines, Raw, Reply, T, Text
from bot.views import targets as targets_view
from crm.enums import Role
from crm.models import Staff
from crm.services import plans, records, runtime, targets
from crm.services.summary import team_of
from handlers.base import (
    FIELD,
    LEADS,
    Action,
    Command,
    Ctx,
    StaffCtx,
    Step,
    flow_button,
    typed_text,
)
from handlers.conversation import Draft, Flow, State, States
from handlers.refusals import NOT_IN_TEAM, STALE

EXAMPLE = "A4 B6 C10"


class PlanStep(States, flow="plan"):
    TARGETS = "targets"


class PlanDraft(Draft):
    # The rep whose plan is set (the name for the draft's title).
    rep_id: int | None = None
    rep_name: str = ""


def _title(d: PlanDraft) -> Text:
    return T("Visit plan of {name}", name=d.rep_name)


def _targets_text(targets: dict[str, int]) -> Raw:
    return Raw(" · ".join(f"{cls} {n}" for cls, n in targets.items()))


def _visits_text(visits: dict[str, int]) -> Raw:
    return Raw(" · ".join(f"{cls} {visits.get(cls, 0)}" for cls in plans.CLASSES))


def _short(progress: plans.PlanProgress) -> Text:
    done = Raw(" · ".join(f"{p.customer_class} {p.done}/{p.target}" for p in progress.classes))
    pct = progress.percent
    return done if pct is None else T("{progress} — {pct}% done", progress=done, pct=pct)


def progress_lines(progress: plans.PlanProgress, title: Text) -> list[Text]:
    lines: list[Text] = [title]
    if not progress.has_plan:
        lines.append(T("No visit plan is set for {month} yet.", month=progress.month))
        lines.append(T("Visits this month: {visits}", visits=_visits_text(progress.visits)))
        return lines
    for p in progress.classes:
        pct = p.percent
        lines.append(
            T(
                "Class {cls}: {done}/{target} visits",
                cls=p.customer_class,
                done=p.done,
                target=p.target,
            )
            if pct is None
            else T(
                "Class {cls}: {done}/{target} visits ({pct}%)",
                cls=p.customer_class,
                done=p.done,
                target=p.target,
                pct=pct,
            )
        )
    overall = progress.percent
    if overall is not None:
        lines.append(T("Overall: {pct}% of the plan", pct=overall))
    return lines


async def _team(ctx: StaffCtx) -> list[Staff]:
    return await team_of(ctx.session, ctx.me)


async def _team_rep(ctx: Ctx, staff_id: int) -> Staff | None:
    return next((s for s in await _team(ctx) if s.id == staff_id), None)


async def show(ctx: StaffCtx) -> Step:
    staff = ctx.me
    if ctx.who.role == Role.SALES:
        progress = await plans.progress(ctx.session, staff, ctx.now())
        title = T("<b>Your visit plan for {month}</b>", month=progress.month)
        tz = plans.staff_tz(staff, ctx.who.tz)
        (own,) = await targets.completion(ctx.session, [staff], progress.month, tz, ctx.now())
        currency = ctx.rules.deals.currency
        return ctx.stay(
            Reply(Lines(*progress_lines(progress, title), *targets_view.own_lines(own, currency)))
        )
    reps = await _team(ctx)
    if not reps:
        return ctx.stay(Reply(T("There are no sales reps in your team yet.")))
    month = plans.month_of(ctx.local_now().date())
    lines: list[Text] = [T("<b>Visit plans for {month}</b>", month=month)]
    buttons = []
    done = await targets.completion(ctx.session, reps, month, ctx.who.tz, ctx.now())
    for rep, completion in zip(reps, done, strict=True):
        progress = await plans.progress(ctx.session, rep, ctx.now())
        summary = _short(progress) if progress.has_plan else T("no plan yet")
        lines.append(T("• {name}: {summary}", name=rep.name, summary=summary))
        if completion.has_targets:
            figures = targets_view.figures_text(completion, ctx.rules.deals.currency)
            lines.append(T("  🎯 {figures}", figures=figures))
        buttons.append(
            (
                Button(T("✏️ {name}", name=rep.name), f"plan_set:{rep.id}"),
                Button(T("📊 {name}", name=rep.name), f"plan_of:{rep.id}"),
            )
        )
    lines.append(T("Tap ✏️ to set a rep's plan for this month, 📊 to see their progress."))
    lines.append(T("/targets sets the monthly targets; /board ranks the team by them."))
    return ctx.stay(Reply(Lines(*lines), buttons=tuple(buttons)))


async def view_rep(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    rep = await records.staff(ctx.session, ctx.obj_id)
    assert rep is not None  # the authoriser found them in the team
    progress = await plans.progress(ctx.session, rep, ctx.now())
    title = T("<b>Visit plan of {name} for {month}</b>", name=rep.name, month=progress.month)
    return ctx.stay(Reply(Lines(*progress_lines(progress, title))))


async def _targets_prompt(ctx: Ctx) -> Reply:
    rep = await records.staff(ctx.session, ctx.data.rep_id or -1)
    if rep is None:
        return Reply(NOT_IN_TEAM)
    month = plans.current_month(rep, ctx.now())
    current = await plans.targets_for(ctx.session, rep.id, month)
    lines: list[Text] = [
        T("<b>Visit plan of {name} for {month}</b>", name=rep.name, month=month),
        T(
            "Type the visits per customer class, e.g. “{example}” "
            "(also “A 4, B 6, C 10” or “A类4 B类6 C类10”).",
            example=EXAMPLE,
        ),
    ]
    if current:
        lines.append(T("Current plan: {plan}", plan=_targets_text(current)))
    return Reply(
        Lines(*lines), buttons=((flow_button(T("✖ Cancel"), PlanStep.TARGETS, "cancel"),),)
    )


async def start_set(ctx: Ctx) -> Step:
    assert ctx.obj_id is not None
    rep = await records.staff(ctx.session, ctx.obj_id)
    assert rep is not None  # the authoriser found them in the team
    ctx.data = PlanDraft(rep_id=rep.id, rep_name=rep.name)
    return Step.go(PlanStep.TARGETS)


PROBLEMS: dict[str, T] = {
    "empty": T("Please type the visits per class, e.g. “{example}”.", example=EXAMPLE),
    "unreadable": T(
        "I could not read that as targets. Type the visits per class, e.g. “{example}”.",
        example=EXAMPLE,
    ),
    "negative": T("A target cannot be negative. Type e.g. “{example}”.", example=EXAMPLE),
    "duplicate": T("Give each class only once. Type e.g. “{example}”.", example=EXAMPLE),
    "too_large": T(
        "More than {max} visits a month looks like a typo. Type e.g. “{example}”.",
        max=plans.MAX_TARGET,
        example=EXAMPLE,
    ),
}


async def targets_step(ctx: StaffCtx) -> Step:
    if ctx.choice is not None:
        return ctx.stay(Reply(STALE, notice="toast"))
    text, refused = typed_text(ctx, 100, PROBLEMS["empty"])
    if refused is not None:
        return refused
    parsed = plans.parse_targets(text)
    if parsed.problem is not None:
        return ctx.stay(Reply(PROBLEMS[parsed.problem]))
    lead = ctx.me
    # Re-checked on save: the rep may have left the team since the button was pressed.
    rep = await _team_rep(ctx, ctx.data.rep_id or 0)
    if rep is None:
        return Step.end(Reply(NOT_IN_TEAM))
    month = plans.current_month(rep, ctx.now())
    old = await plans.set_plan(ctx.session, rep, month, parsed.targets, set_by=lead, now=ctx.now())
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=lead.id,
        action="plan.set",
        entity="staff",
        entity_id=rep.id,
        changes={"month": month, "old": old, "new": parsed.targets},
        now=ctx.now(),
    )
    plan = _targets_text(parsed.targets)
    await ctx.notify.to_staff(
        rep,
        Reply(
            Lines(
                T(
                    "📋 {manager} set your visit plan for {month}: {plan}",
                    manager=lead.name,
                    month=month,
                    plan=plan,
                ),
                T("/plan shows your progress."),
            )
        ),
        dedupe_key=f"plan-set:{rep.id}:{month}:{ctx.now().isoformat()}",
    )
    return Step.end(
        Reply(
            T(
                "Saved: visit plan of {name} for {month}: {plan}",
                name=rep.name,
                month=month,
                plan=plan,
            )
        )
    )


async def authorise_team_rep(ctx: Ctx, staff_id: int) -> bool:
    """A manager acts on reps of their team; an admin on every rep."""
    if ctx.who.role not in LEADS:
        return False
    return await _team_rep(ctx, staff_id) is not None


COMMANDS = [Command("plan", FIELD, show, T("monthly visit plan and its completion"))]
ACTIONS = [
    Action("plan_set", LEADS, start_set, obj_kind="team_rep"),
    Action("plan_of", LEADS, view_rep, obj_kind="team_rep"),
]
FLOWS = [
    Flow(
        PlanStep,
        LEADS,
        {PlanStep.TARGETS: State(targets_step, _targets_prompt)},
        PlanDraft,
        _title,
        entries=(("/plan ✏️ rep", PlanStep.TARGETS),),
    )
]
AUTHORISERS = {"team_rep": authorise_team_rep}
