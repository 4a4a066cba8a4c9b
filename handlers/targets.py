"""Monthly targets: a manager sets a rep's (or every rep's) visits per class, new customers, amount
won and amount collected for a month, or copies last month's (`/targets`); `/board 新客户` ranks
the team by the completion of one target (buttons switch the target).

A rep sees their own targets in /plan; only managers and admins set them or see the team's.

Diagram: docs/flows/tgt.md (generated from FLOWS).
"""

from __future__ import annotations

from bot.types import Button, Lines, Raw, Reply, T, Text
from bot.views import targets as view
from crm.models import Staff
from crm.services import plans, runtime
from crm.services import targets as svc
from crm.services.summary import team_of
from handlers.base import LEADS, Action, Command, Ctx, StaffCtx, Step, flow_button, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.conversation.flow import BUTTONS
from handlers.refusals import NOT_IN_TEAM, STALE

EXAMPLE = "A4 B6 C10 新客户3 成交50万 回款30万"
ALL = "all"
BOARD = "tgb"


class TgtStep(States, flow="tgt"):
    REP = "rep"
    MONTH = "month"
    FIGURES = "figures"


class TgtDraft(Draft):
    # Every rep of the team when `everyone`; the rep's id and name otherwise.
    everyone: bool = False
    rep_id: int | None = None
    rep_name: str = ""
    month: str | None = None


def _title(d: TgtDraft) -> Text:
    if d.everyone:
        return T("Targets of all reps")
    return T("Targets of {name}", name=d.rep_name or "…")


async def _reps(ctx: StaffCtx, d: TgtDraft) -> list[Staff]:
    """The reps the draft names, among the manager's team now (re-checked at every step)."""
    team = await team_of(ctx.session, ctx.me)
    return team if d.everyone else [r for r in team if r.id == d.rep_id]


async def start(ctx: StaffCtx) -> Step:
    if not await team_of(ctx.session, ctx.me):
        return Step.end(Reply(T("There are no sales reps in your team yet.")))
    ctx.data = TgtDraft()
    return Step.go(TgtStep.REP)


async def _rep_prompt(ctx: StaffCtx) -> Reply:
    team = await team_of(ctx.session, ctx.me)
    buttons = [flow_button(Raw(r.name), TgtStep.REP, str(r.id)) for r in team]
    buttons += [
        flow_button(T("👥 All reps"), TgtStep.REP, ALL),
        flow_button(T("✖ Cancel"), TgtStep.REP, "cancel"),
    ]
    return Reply(T("Set the monthly targets of which rep?"), buttons=rows(*buttons))


async def rep_step(ctx: StaffCtx) -> Step:
    team = {str(r.id): r for r in await team_of(ctx.session, ctx.me)}
    if ctx.choice == ALL:
        ctx.data = TgtDraft(everyone=True)
    elif ctx.choice in team:
        rep = team[ctx.choice]
        ctx.data = TgtDraft(rep_id=rep.id, rep_name=rep.name)
    else:
        return ctx.stay(Reply(STALE, notice="toast"))
    return Step.go(TgtStep.MONTH)


def _this_month(ctx: Ctx) -> str:
    return plans.month_of(ctx.local_now().date())


async def _month_prompt(ctx: StaffCtx) -> Reply:
    this = _this_month(ctx)
    nxt = svc.next_month(this)
    return Reply(
        Lines(T("For which month?"), T("Or type a month, e.g. “{example}”.", example=nxt)),
        buttons=rows(
            flow_button(T("This month ({month})", month=this), TgtStep.MONTH, this),
            flow_button(T("Next month ({month})", month=nxt), TgtStep.MONTH, nxt),
            flow_button(T("⬅ Back"), TgtStep.MONTH, "back"),
            flow_button(T("✖ Cancel"), TgtStep.MONTH, "cancel"),
        ),
    )


def _month(text: str, this: str) -> str | None:
    """ "2027-01" or "2027-1", from a year back to a year ahead of this month."""
    parts = text.strip().replace("/", "-").split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    year, mon = int(parts[0]), int(parts[1])
    if not 1 <= mon <= 12:
        return None
    month = f"{year:04d}-{mon:02d}"
    lo, hi = f"{int(this[:4]) - 1}{this[4:]}", f"{int(this[:4]) + 1}{this[4:]}"
    return month if lo <= month <= hi else None


async def month_step(ctx: StaffCtx) -> Step:
    text = ctx.choice if ctx.choice is not None else (ctx.inbound.text or "")
    month = _month(text, _this_month(ctx))
    if month is None:
        return ctx.stay(
            Reply(
                T(
                    "Please type a month within a year of now, e.g. “{example}”.",
                    example=svc.next_month(_this_month(ctx)),
                )
            )
        )
    ctx.data.month = month
    return Step.go(TgtStep.FIGURES)


async def _figures_prompt(ctx: StaffCtx) -> Reply:
    d: TgtDraft = ctx.data
    month = d.month or _this_month(ctx)
    currency = ctx.rules.deals.currency
    lines: list[Text] = [
        T("<b>{title} for {month}</b>", title=_title(d), month=month),
        T("Type the targets, e.g. “{example}”.", example=EXAMPLE),
        T(
            "Visits per customer class, then new customers (新客户), amount won (成交) and "
            "amount collected (回款). A figure left out keeps its value; 0 clears it."
        ),
    ]
    reps = await _reps(ctx, d)
    if not d.everyone and reps:
        now = (await svc.targets_of(ctx.session, [reps[0].id], month)).get(reps[0].id)
        last_month = svc.previous_month(month)
        last = (await svc.targets_of(ctx.session, [reps[0].id], last_month)).get(reps[0].id)
        if now is not None:
            lines.append(T("Now: {targets}", targets=view.targets_text(now, currency)))
        if last is not None:
            lines.append(
                T(
                    "{month}: {targets}",
                    month=last_month,
                    targets=view.targets_text(last, currency),
                )
            )
    return Reply(
        Lines(*lines),
        buttons=rows(
            flow_button(
                T("📋 Copy {month}", month=svc.previous_month(month)), TgtStep.FIGURES, "copy"
            ),
            flow_button(T("⬅ Back"), TgtStep.FIGURES, "back"),
            flow_button(T("✖ Cancel"), TgtStep.FIGURES, "cancel"),
        ),
    )


PROBLEMS: dict[str, T] = {
    "empty": T("Please type the targets, e.g. “{example}”.", example=EXAMPLE),
    "unreadable": T("I could not read that as targets. Type e.g. “{example}”.", example=EXAMPLE),
    "negative": T("A target cannot be negative. Type e.g. “{example}”.", example=EXAMPLE),
    "duplicate": T("Give each figure only once. Type e.g. “{example}”.", example=EXAMPLE),
    "too_large": T("That figure looks like a typo. Type e.g. “{example}”.", example=EXAMPLE),
    "amount": T("I could not read that amount. Type e.g. “{example}”.", example=EXAMPLE),
}


async def _notify(ctx: StaffCtx, rep: Staff, month: str) -> None:
    t = (await svc.targets_of(ctx.session, [rep.id], month)).get(rep.id, svc.Targets())
    await ctx.notify.to_staff(
        rep,
        Reply(
            Lines(
                T(
                    "🎯 {manager} set your targets for {month}: {targets}",
                    manager=ctx.me.name,
                    month=month,
                    targets=view.targets_text(t, ctx.rules.deals.currency),
                ),
                T("/plan shows your progress."),
            )
        ),
        dedupe_key=f"targets-set:{rep.id}:{month}:{ctx.now().isoformat()}",
    )


async def figures_step(ctx: StaffCtx) -> Step:
    d: TgtDraft = ctx.data
    month = d.month or _this_month(ctx)
    reps = await _reps(ctx, d)
    if not reps:
        return Step.end(Reply(NOT_IN_TEAM))
    if ctx.choice == "copy":
        done = await svc.copy_last_month(ctx.session, reps, month, set_by=ctx.me, now=ctx.now())
        if not done:
            return ctx.stay(
                Reply(
                    T(
                        "No targets were set for {month}: nothing to copy.",
                        month=svc.previous_month(month),
                    ),
                    notice="alert",
                )
            )
        changes = {"month": month, "copied_from": svc.previous_month(month)}
    elif ctx.choice is not None:
        return ctx.stay(Reply(STALE, notice="toast"))
    else:
        text = (ctx.inbound.text or "").strip()
        if len(text) > 200:
            return ctx.stay(
                Reply(T("That is longer than {max} characters; please shorten it.", max=200))
            )
        parsed = svc.parse(text)
        if parsed.problem is not None:
            return ctx.stay(Reply(PROBLEMS[parsed.problem]))
        for rep in reps:
            await svc.save(ctx.session, rep, month, parsed, set_by=ctx.me, now=ctx.now())
        done = reps
        changes = {"month": month, "typed": text}
    for rep in done:
        await runtime.audit(
            ctx.session,
            actor_kind="staff",
            actor_id=ctx.me.id,
            action="targets.set",
            entity="staff",
            entity_id=rep.id,
            changes=changes,
            now=ctx.now(),
        )
        await _notify(ctx, rep, month)
    rows_ = await svc.completion(ctx.session, done, month, ctx.who.tz, ctx.now())
    saved: list[Text] = [T("Saved: targets for {month}", month=month)]
    saved += [
        T(
            "• {name}: {figures}",
            name=r.staff.name,
            figures=view.targets_text(r.targets, ctx.rules.deals.currency),
        )
        for r in rows_
    ]
    return Step.end(Reply(Lines(*saved)))


# ---------------------------------------------------------------- the ranking


def board_buttons(lead_id: int, month: str) -> tuple[tuple[Button, ...], ...]:
    return rows(
        *(
            Button(T("🎯 {name}", name=view.NAMES[m]), f"{BOARD}:{lead_id}:{m}{month}")
            for m in svc.METRICS
        ),
    )


async def _board(ctx: StaffCtx, metric: str, month: str) -> Reply:
    team = await team_of(ctx.session, ctx.me)
    if not team:
        return Reply(T("There are no sales reps in your team yet."))
    found = await svc.completion(ctx.session, team, month, ctx.who.tz, ctx.now())
    lines = view.board_lines(found, metric, month, ctx.rules.deals.currency)
    return Reply(Lines(*lines), buttons=board_buttons(ctx.me.id, month))


async def board(ctx: StaffCtx) -> Step:
    word = ctx.inbound.args.strip().lower()
    metric = view.BOARD_WORDS.get(word, svc.VISITS if not word else None)
    if metric is None:
        words = Raw(" / ".join(("拜访", "新客户", "成交", "回款")))
        return Step.end(Reply(T("Rank by which target? {words}", words=words)))
    return Step.end(await _board(ctx, metric, _this_month(ctx)))


async def board_press(ctx: StaffCtx) -> Step:
    arg = ctx.choice or ""
    metric = next((m for m in svc.METRICS if arg.startswith(m)), None)
    month = _month(arg[len(metric) :], _this_month(ctx)) if metric else None
    if metric is None or month is None:
        return ctx.stay(Reply(STALE, notice="toast"))
    return ctx.stay(await _board(ctx, metric, month))


COMMANDS = [
    Command("targets", LEADS, start, T("set reps' monthly targets")),
    Command("board", LEADS, board, T("rank the team by a target's completion")),
]
ACTIONS = [Action(BOARD, LEADS, board_press, obj_kind="own_summary")]
FLOWS = [
    Flow(
        TgtStep,
        LEADS,
        {
            TgtStep.REP: State(rep_step, _rep_prompt, to=(TgtStep.MONTH,), accepts=BUTTONS),
            TgtStep.MONTH: State(
                month_step, _month_prompt, to=(TgtStep.FIGURES,), back=TgtStep.REP
            ),
            TgtStep.FIGURES: State(figures_step, _figures_prompt, back=TgtStep.MONTH),
        },
        TgtDraft,
        _title,
        entries=(("/targets", TgtStep.REP),),
    )
]
