"""Reports on demand: `/report` for today, this week, this month, last month or a typed period
(`/report 2026-11-01..2026-11-15`, `/report 上个月`, `/report last week`).

A manager's report covers their team, an admin's every team (crm/services/report.py works the
scope out again at each report, so a button pressed later, or forged, shows nothing more).
Reps are not offered it: the report ranks the team's reps against each other and carries the
team's complaints and losses, which a sales organisation shows to its managers; a rep's own
figures are on /plan and /today. A rep typing /report gets the help, as for /summary.

Diagram: docs/flows/report.md (generated from FLOWS).
"""

from __future__ import annotations

from bot.types import Lines, Raw, Reply, T, Text
from bot.views import report as view
from bot.views import report_pipeline, yearly
from crm.language import date_ranges
from crm.services import report as svc
from crm.services import report_yearly
from handlers.base import LEADS, Command, Ctx, StaffCtx, Step, flow_button, rows
from handlers.conversation import Draft, Flow, State, States
from handlers.refusals import DENIED, STALE


class ReportStep(States, flow="report"):
    PICK = "pick"


class ReportDraft(Draft):
    """Nothing is gathered: the picker is answered at once (so it is never kept as a draft)."""


PICK = ReportStep.PICK
# The same examples in every language: managers type either.
EXAMPLES = T(
    "Examples: {examples}",
    examples=Raw("“2026-11-01..2026-11-15”, “11月1日-15日”, “上个月”, “last week”, “2026-11”"),
)
PROBLEMS: dict[str, T] = {
    date_ranges.UNREADABLE: T("I could not read that as a period."),
    date_ranges.REVERSED: T("The period ends before it starts."),
    date_ranges.FUTURE: T("That period has not started yet."),
    date_ranges.TOO_LONG: T(
        "A report covers at most {max} days; for longer, use /export.", max=date_ranges.MAX_DAYS
    ),
}


def _presets(ctx: Ctx) -> dict[str, date_ranges.DateRange]:
    today = ctx.local_now().date()
    return {
        "today": date_ranges.DateRange(date_ranges.DAY, today, today),
        "week": date_ranges.week_of(today),
        "month": date_ranges.month_of(today.year, today.month),
        "last_month": date_ranges.last_month(today),
    }


def _title(d: ReportDraft) -> Text:
    return T("Team report")


def _picker(ctx: Ctx) -> Reply:
    return Reply(
        Lines(T("Report for which period?"), T("Or type a period."), EXAMPLES),
        buttons=rows(
            flow_button(T("Today"), PICK, "today"),
            flow_button(T("This week"), PICK, "week"),
            flow_button(T("This month"), PICK, "month"),
            flow_button(T("Last month"), PICK, "last_month"),
            flow_button(T("⌨️ Type a period"), PICK, "type"),
            flow_button(T("✖ Cancel"), PICK, "cancel"),
        ),
    )


def _refusal(problem: str) -> Reply:
    lines: list[Text] = [PROBLEMS[problem], EXAMPLES]
    return Reply(Lines(*lines))


async def _report(ctx: StaffCtx, found: date_ranges.DateRange) -> list[Reply]:
    lead = ctx.me
    # Re-checked at every report (the router checks too): a button proves nothing.
    if ctx.who.role not in LEADS:
        return [Reply(DENIED, notice="alert")]
    period = svc.period_of(found, ctx.who.tz)
    report = await svc.build(ctx.session, lead, period, ctx.now(), ctx.rules)
    return [*view.report(report, ctx.render), *report_pipeline.replies(report)]


def _year(ctx: Ctx, words: str, parsed: date_ranges.Parsed) -> int | None:
    """A whole year ("去年", "2025") gets the yearly summary (crm/services/report_yearly.py)."""
    year = report_yearly.year_asked(words, ctx.local_now().date())
    if year is None and parsed.range is not None:
        year = report_yearly.whole_year(parsed.range)
    return year


async def _yearly(ctx: StaffCtx, year: int) -> list[Reply]:
    # Re-checked at every report (the router checks too), as _report does.
    if ctx.who.role not in LEADS:
        return [Reply(DENIED, notice="alert")]
    found = await report_yearly.build(ctx.session, ctx.me, year, ctx.who.tz, ctx.now(), ctx.rules)
    return yearly.summary(found)


async def report(ctx: Ctx) -> Step:
    words = ctx.inbound.args.strip()
    if not words:
        ctx.data = ReportDraft()
        return Step.go(PICK)
    parsed = date_ranges.parse_range(words, ctx.local_now().date())
    year = _year(ctx, words, parsed)
    if year is not None:
        return Step.end(*await _yearly(ctx, year))
    if parsed.range is None:
        assert parsed.problem is not None
        return Step.end(_refusal(parsed.problem))
    return Step.end(*await _report(ctx, parsed.range))


async def pick_step(ctx: Ctx) -> Step:
    if ctx.choice == "type":
        return ctx.stay(Reply(Lines(T("Type the period."), EXAMPLES)))
    if ctx.choice is not None:
        found = _presets(ctx).get(ctx.choice)
        if found is None:
            return ctx.stay(Reply(STALE, notice="toast"))
        return Step.end(*await _report(ctx, found))
    text = (ctx.inbound.text or "").strip()
    parsed = date_ranges.parse_range(text, ctx.local_now().date())
    year = _year(ctx, text, parsed)
    if year is not None:
        return Step.end(*await _yearly(ctx, year))
    if parsed.range is None:
        assert parsed.problem is not None
        return ctx.stay(_refusal(parsed.problem))
    return Step.end(*await _report(ctx, parsed.range))


COMMANDS = [
    Command("report", LEADS, report, T("team report for a day, week, month or typed period"))
]
FLOWS = [
    Flow(
        ReportStep,
        LEADS,
        {PICK: State(pick_step, _picker)},
        ReportDraft,
        _title,
        entries=(("/report", PICK),),
    )
]
