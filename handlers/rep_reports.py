"""A rep's day and week: the morning's plan note, the daily report (日报, /daily) and the weekly
report with next week's plan (周报 / 周计划, /weekly).

The scheduler (scheduler/report_jobs.py) pushes the drafts; their buttons and the commands open
the draft card here: the figures counted from the rows, the rep's lines, [✏️ Add a line]
[📤 Send] [🗑 Discard]. A text typed at the card is a line too. An interruption parks the draft
like any other. Diagram: docs/flows/rpt.md and docs/flows/dplan.md (generated from FLOWS).
"""

from __future__ import annotations

from datetime import date

from bot.types import Button, Lines, Raw, Reply, T, Text
from bot.views import rep_report as view
from crm.limits import parse_id
from crm.models import RepReport
from crm.services import access, records
from crm.services import customers as customer_svc
from crm.services import rep_reports as svc
from crm.services.plans import staff_tz
from handlers.base import FIELD, Action, Command, Ctx, StaffCtx, Step, flow_button, typed_text
from handlers.conversation import Draft, Flow, State, States
from handlers.refusals import CHOOSE, STALE


class RptStep(States, flow="rpt"):
    CARD = "card"
    LINE = "line"
    NEXT = "next"
    VISIT = "visit"


class RptDraft(Draft):
    report_id: int | None = None
    kind: str = svc.DAY
    period: str | None = None  # ISO date: the day, or the week's Monday
    lines: list[str] = []
    # A week's: next week's plan lines, and customers to visit next week (ids and names).
    plan: list[str] = []
    visit_ids: list[int] = []
    visit_names: list[str] = []


class PlanStep(States, flow="dplan"):
    NOTE = "note"


class PlanDraft(Draft):
    SCAFFOLD = frozenset({"day"})
    day: str | None = None


ALREADY_SENT = T("This report has already been sent. Nothing was changed.")
TOO_LONG = T(
    "The report would be longer than {max} characters; shorten a line. Nothing was added.",
    max=svc.LINES_LIMIT,
)


def _already_sent(d: RptDraft) -> Lines:
    """The refusal, with the lines the draft held quoted back: nothing typed goes silently."""
    kept = [*d.lines, *d.plan]
    if not kept:
        return Lines(ALREADY_SENT)
    return Lines(
        ALREADY_SENT,
        T("Your lines, not added:"),
        *(Raw(f"• {line}") for line in kept),
    )


def _today(ctx: StaffCtx) -> date:
    return ctx.local_now().date()


async def _own_unsent(ctx: StaffCtx) -> RepReport | None:
    report = await records.rep_report(ctx.session, ctx.data.report_id)
    if report is None or report.staff_id != ctx.me.id or report.sent_at is not None:
        return None
    return report


async def open_report(ctx: StaffCtx, kind: str, period: date, first: RptStep) -> Step:
    """The report's card (or, sent, the report as it was sent, with the comments)."""
    report = await svc.draft(ctx.session, ctx.me, kind, period, ctx.who.tz, ctx.now())
    if report.sent_at is not None:
        comments = await svc.comments(ctx.session, report.id)
        return ctx.stay(Reply(view.body(report, ctx.me, comments=comments)))
    ctx.data = RptDraft(report_id=report.id, kind=kind, period=period.isoformat())
    return Step.go(first)


async def daily(ctx: StaffCtx) -> Step:
    return await open_report(ctx, svc.DAY, _today(ctx), RptStep.CARD)


async def weekly(ctx: StaffCtx) -> Step:
    return await open_report(ctx, svc.WEEK, svc.week_start(_today(ctx)), RptStep.CARD)


FIRST = {"line": RptStep.LINE, "next": RptStep.NEXT}


async def edit_pushed(ctx: StaffCtx) -> Step:
    """A button of the evening or Saturday push: the draft card, or straight to a line."""
    report = await records.rep_report(ctx.session, ctx.obj_id)
    assert report is not None  # the authoriser found it
    first = FIRST.get(ctx.choice or "", RptStep.CARD)
    return await open_report(ctx, report.kind, report.period, first)


async def send_pushed(ctx: StaffCtx) -> Step:
    """[📤 Send] on the push: the report as drafted, without lines of the rep's."""
    report = await records.rep_report(ctx.session, ctx.obj_id)
    assert report is not None
    if report.sent_at is not None:
        return ctx.stay(Reply(ALREADY_SENT, notice="toast"))
    await svc.send(ctx.session, report, ctx.me, [], ctx.who.tz, ctx.now())
    await tell_late(ctx, report)
    return ctx.stay(Reply(Lines(T("📤 Sent to your manager."), view.body(report, ctx.me))))


async def tell_late(ctx: StaffCtx, report: RepReport) -> None:
    """A manager whose team list already named the rep as not sent is told it came."""
    for manager in await svc.listed_to(ctx.session, report, ctx.me):
        await ctx.notify.to_staff(
            manager,
            Reply(
                T("📋 {name} has now sent the report (after the team's list).", name=ctx.me.name),
                buttons=((Button(Raw(f"📋 {ctx.me.name}"), f"rpt_view:{report.id}"),),),
            ),
            dedupe_key=f"rpt-late:{report.id}:{manager.id}",
        )


async def _card_prompt(ctx: StaffCtx) -> Reply:
    d: RptDraft = ctx.data
    report = await _own_unsent(ctx)
    if report is None:
        # Sent meanwhile (the push's Send): the lines quoted back, and the way out.
        return Reply(
            _already_sent(d), buttons=((flow_button(T("🗑 Discard"), RptStep.CARD, "cancel"),),)
        )
    report = await svc.draft(ctx.session, ctx.me, report.kind, report.period, ctx.who.tz, ctx.now())
    week = d.kind == svc.WEEK
    parts: list[Text] = [view.body(report, ctx.me, lines=d.lines, plan=d.plan if week else None)]
    if d.visit_names:
        parts.append(T("<b>To visit next week</b>: {names}", names=", ".join(d.visit_names)))
    parts.append(T("Type a line to add it (e.g. tomorrow's focus), or send the report."))
    buttons: list[tuple[Button, ...]] = [(flow_button(T("✏️ Add a line"), RptStep.CARD, "line"),)]
    if week:
        buttons.append(
            (
                flow_button(T("📅 Next week's plan"), RptStep.CARD, "next"),
                flow_button(T("👥 Visit next week"), RptStep.CARD, "visit"),
            )
        )
    buttons.append(
        (
            flow_button(T("📤 Send"), RptStep.CARD, "send"),
            flow_button(T("🗑 Discard"), RptStep.CARD, "cancel"),
        )
    )
    return Reply(Lines(*parts), buttons=tuple(buttons))


async def card_step(ctx: StaffCtx) -> Step:
    d: RptDraft = ctx.data
    if ctx.choice is None:
        return await _line(ctx, "lines")  # a text typed at the card is a line
    if await _own_unsent(ctx) is None:
        return Step.end(Reply(_already_sent(d)))
    if ctx.choice == "line":
        return Step.go(RptStep.LINE)
    if ctx.choice in ("next", "visit") and d.kind == svc.WEEK:
        return Step.go(RptStep.NEXT if ctx.choice == "next" else RptStep.VISIT)
    if ctx.choice == "send":
        return await _send(ctx)
    return ctx.stay(Reply(CHOOSE, notice="toast"))


async def _line(ctx: StaffCtx, field: str) -> Step:
    """A typed line added to the draft's `field` ("lines" or "plan"), or refused (nothing
    added): too long alone, or together with the lines before it."""
    text, refused = typed_text(ctx, svc.LINE_LIMIT, T("Please type the line to add."))
    if refused is not None:
        return refused
    lines = [*ctx.data[field], text]
    if not svc.fits(lines, svc.LINES_LIMIT if field == "lines" else svc.PLAN_LIMIT):
        return ctx.stay(Reply(TOO_LONG))
    ctx.data[field] = lines
    return Step.go(RptStep.CARD)


async def line_step(ctx: StaffCtx) -> Step:
    return await _line(ctx, "lines")


async def next_step(ctx: StaffCtx) -> Step:
    return await _line(ctx, "plan")


async def visit_step(ctx: StaffCtx) -> Step:
    if ctx.choice is not None:
        customer = await access.editable_customer(ctx.session, ctx.me, parse_id(ctx.choice) or -1)
        if customer is None:
            return ctx.stay(Reply(STALE, notice="toast"))
        return _planned(ctx, customer.id, customer.name)
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
    if len(found) == 1:
        return _planned(ctx, found[0].id, found[0].name)
    buttons = tuple(
        (flow_button(Raw(f"{c.name} · {c.customer_class}"), RptStep.VISIT, str(c.id)),)
        for c in found[:10]
    )
    return ctx.stay(Reply(T("Which one?"), buttons=buttons))


def _planned(ctx: StaffCtx, customer_id: int, name: str) -> Step:
    d: RptDraft = ctx.data
    if customer_id not in d.visit_ids:
        d.visit_ids = [*d.visit_ids, customer_id]
        d.visit_names = [*d.visit_names, name]
    return Step.go(RptStep.CARD)


async def _send(ctx: StaffCtx) -> Step:
    d: RptDraft = ctx.data
    report = await _own_unsent(ctx)
    if report is None:
        return Step.end(Reply(_already_sent(d)))
    week = report.kind == svc.WEEK
    planned = []
    if week and d.visit_ids:
        planned = await svc.plan_visits(
            ctx.session,
            ctx.me,
            d.visit_ids,
            report.period,
            staff_tz(ctx.me),
            ctx.now(),
            claim_days=ctx.rules.claims.period_days,
        )
    plan = None
    if week:
        # The customers planned are on the report too, for the manager who reads it.
        plan = list(d.plan)
        for c in planned:
            if svc.fits([*plan, f"👥 {c.name}"], svc.PLAN_LIMIT):
                plan.append(f"👥 {c.name}")
    await svc.send(ctx.session, report, ctx.me, d.lines, ctx.who.tz, ctx.now(), plan=plan)
    replies = [Reply(Lines(T("📤 Sent to your manager."), view.body(report, ctx.me)))]
    await tell_late(ctx, report)
    if planned:
        replies.append(
            Reply(
                T(
                    "📅 Planned for next Monday as follow-ups: {names}",
                    names=", ".join(c.name for c in planned),
                )
            )
        )
    return Step.end(*replies)


def _line_prompt(ctx: Ctx) -> Reply:
    back = ((flow_button(T("⬅ Back"), RptStep.LINE, "back"),),)
    return Reply(T("Type the line to add, e.g. “明天重点跟进华能”."), buttons=back)


def _next_prompt(ctx: Ctx) -> Reply:
    back = ((flow_button(T("⬅ Back"), RptStep.NEXT, "back"),),)
    return Reply(T("Type a line of next week's plan."), buttons=back)


def _visit_prompt(ctx: Ctx) -> Reply:
    back = ((flow_button(T("⬅ Back"), RptStep.VISIT, "back"),),)
    return Reply(T("Which customer will you visit next week? Type a name."), buttons=back)


def _title(d: RptDraft) -> Text:
    day = date.fromisoformat(d.period) if d.period else None
    if d.kind == svc.WEEK:
        return T("Weekly report, week of {day}", day=day or "")
    return T("Daily report for {day}", day=day or "")


# ---------------------------------------------------------------- the morning's plan note


async def plan_pressed(ctx: StaffCtx) -> Step:
    """[✏️ Add to today's plan] on the morning agenda: the day is in the button."""
    try:
        day = date.fromisoformat(ctx.choice or "")
    except ValueError:
        return ctx.stay(Reply(STALE, notice="toast"))
    # Only this morning's button (or last night's, just past midnight) plans a day.
    if not 0 <= (_today(ctx) - day).days <= 1:
        return ctx.stay(Reply(STALE, notice="toast"))
    ctx.data = PlanDraft(day=day.isoformat())
    return Step.go(PlanStep.NOTE)


async def day_plan(ctx: StaffCtx) -> Step:
    """/dayplan: today's plan note without waiting for the morning's button."""
    ctx.data = PlanDraft(day=_today(ctx).isoformat())
    return Step.go(PlanStep.NOTE)


def _plan_prompt(ctx: Ctx) -> Reply:
    return Reply(
        T("Anything to add to today's plan? Type it (e.g. “下午去华能谈合同”)."),
        buttons=((flow_button(T("✖ Cancel"), PlanStep.NOTE, "cancel"),),),
    )


async def plan_step(ctx: StaffCtx) -> Step:
    if ctx.choice is not None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    text, refused = typed_text(ctx, svc.LINE_LIMIT, T("Please type what to add to the plan."))
    if refused is not None:
        return refused
    day = date.fromisoformat(ctx.data.day) if ctx.data.day else _today(ctx)
    report = await svc.draft(ctx.session, ctx.me, svc.DAY, day, ctx.who.tz, ctx.now())
    if report.sent_at is not None:
        return Step.end(Reply(ALREADY_SENT))
    if not svc.fits([report.plan or "", text], svc.PLAN_LIMIT):
        return ctx.stay(Reply(T("The plan is full. Nothing was added.")))
    await svc.set_plan(ctx.session, report, text, ctx.now())
    return Step.end(
        Reply(T("📝 Kept in today's plan; it will be in this evening's report: {text}", text=text))
    )


async def authorise_own_report(ctx: Ctx, report_id: int) -> bool:
    report = await records.rep_report(ctx.session, report_id)
    staff = ctx.who.staff
    return report is not None and staff is not None and report.staff_id == staff.id


COMMANDS = [
    Command("daily", FIELD, daily, T("your daily report (日报): write, add a line, send")),
    Command("weekly", FIELD, weekly, T("your weekly report and next week's plan (周报)")),
    Command("dayplan", FIELD, day_plan, T("add to today's plan (日计划)")),
]
ACTIONS = [
    Action("rpt_plan", FIELD, plan_pressed),
    Action("rpt_edit", FIELD, edit_pushed, obj_kind="own_report"),
    Action("rpt_send", FIELD, send_pushed, obj_kind="own_report"),
]
AUTHORISERS = {"own_report": authorise_own_report}
FLOWS = [
    Flow(
        RptStep,
        FIELD,
        {
            RptStep.CARD: State(
                card_step, _card_prompt, to=(RptStep.LINE, RptStep.NEXT, RptStep.VISIT)
            ),
            RptStep.LINE: State(line_step, _line_prompt, to=(RptStep.CARD,), back=RptStep.CARD),
            RptStep.NEXT: State(next_step, _next_prompt, to=(RptStep.CARD,), back=RptStep.CARD),
            RptStep.VISIT: State(visit_step, _visit_prompt, to=(RptStep.CARD,), back=RptStep.CARD),
        },
        RptDraft,
        _title,
        entries=(
            ("/daily, /weekly, evening push", RptStep.CARD),
            ("push ✏️ Add a line", RptStep.LINE),
            ("push 📅 Next week's plan", RptStep.NEXT),
        ),
    ),
    Flow(
        PlanStep,
        FIELD,
        {PlanStep.NOTE: State(plan_step, _plan_prompt)},
        PlanDraft,
        lambda d: T("Today's plan"),
        entries=(("morning agenda ✏️ Add to today's plan, /dayplan", PlanStep.NOTE),),
    ),
]
