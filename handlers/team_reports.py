"""A manager reads the team's reports: /reports (a day's, or "week"), opens one with its
button, and comments; the rep is sent the comment and sees it on the report (/daily, /weekly).

Diagram: docs/flows/rptc.md (generated from FLOWS).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from bot.types import Button, Lines, Reply, T, Text
from bot.views import rep_report as view
from crm.models import RepReport
from crm.services import records
from crm.services import rep_reports as svc
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
from handlers.refusals import CHOOSE, DENIED

DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
WEEK_WORDS = {"week", "weekly", "周", "周报", "本周", "週", "週報", "неделя"}
YESTERDAY_WORDS = {"yesterday", "昨天", "昨日", "вчера"}
BAD_PERIOD = T(
    "Please give a date as YYYY-MM-DD, “yesterday” or “week”, e.g. /reports 2026-12-02. "
    "Nothing was shown."
)


class CommentStep(States, flow="rptc"):
    TEXT = "text"


class CommentDraft(Draft):
    SCAFFOLD = frozenset({"report_id", "rep_name"})
    report_id: int | None = None
    rep_name: str | None = None


def _period(ctx: StaffCtx) -> tuple[str, date] | None:
    """What /reports was asked for: today (nothing typed), yesterday, a date, or the week."""
    words = unicodedata.normalize("NFKC", ctx.inbound.args).strip().lower()
    today = ctx.local_now().date()
    if not words:
        return svc.DAY, today
    if words in YESTERDAY_WORDS:
        return svc.DAY, today - timedelta(days=1)
    if words in WEEK_WORDS:
        return svc.WEEK, svc.week_start(today)
    m = DATE.fullmatch(words)
    if m is not None:
        try:
            return svc.DAY, date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


async def reports(ctx: StaffCtx) -> Step:
    asked = _period(ctx)
    if asked is None:
        return ctx.stay(Reply(BAD_PERIOD))
    kind, period = asked
    rows = await svc.team(ctx.session, ctx.me, kind, period)
    return ctx.stay(view.team_message(kind, period, rows))


async def _report_reply(ctx: StaffCtx, report: RepReport) -> Reply:
    rep = await records.staff(ctx.session, report.staff_id)
    assert rep is not None
    comments = await svc.comments(ctx.session, report.id)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if await svc.may_comment(ctx.session, ctx.me, report):
        buttons = ((Button(T("💬 Comment"), f"rpt_note:{report.id}"),),)
    return Reply(view.body(report, rep, comments=comments), buttons=buttons)


async def open_report(ctx: StaffCtx) -> Step:
    report = await records.rep_report(ctx.session, ctx.obj_id)
    assert report is not None  # the authoriser found it
    if report.sent_at is None and report.staff_id != ctx.me.id:
        return ctx.stay(Reply(T("This report has not been sent yet."), notice="toast"))
    return ctx.stay(await _report_reply(ctx, report))


async def comment_pressed(ctx: StaffCtx) -> Step:
    report = await records.rep_report(ctx.session, ctx.obj_id)
    assert report is not None
    if not await svc.may_comment(ctx.session, ctx.me, report):
        return ctx.stay(Reply(DENIED, notice="alert"))
    rep = await records.staff(ctx.session, report.staff_id)
    ctx.data = CommentDraft(report_id=report.id, rep_name=rep.name if rep else None)
    return Step.go(CommentStep.TEXT)


def _comment_prompt(ctx: Ctx) -> Reply:
    return Reply(
        T("Your comment on {name}'s report:", name=ctx.data.rep_name or ""),
        buttons=((flow_button(T("✖ Cancel"), CommentStep.TEXT, "cancel"),),),
    )


async def comment_step(ctx: StaffCtx) -> Step:
    if ctx.choice is not None:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    text, refused = typed_text(ctx, svc.COMMENT_LIMIT, T("Please type the comment."))
    if refused is not None:
        return refused
    report = await records.rep_report(ctx.session, ctx.data.report_id)
    # Re-checked: the rep may have left the team since the button was pressed.
    if report is None or not await svc.may_comment(ctx.session, ctx.me, report):
        return Step.end(Reply(DENIED))
    row = await svc.comment(ctx.session, report, ctx.me, text, ctx.now())
    rep = await records.staff(ctx.session, report.staff_id)
    if rep is not None:
        await ctx.notify.to_staff(
            rep,
            Reply(
                Lines(
                    T("💬 {who} commented on your report:", who=ctx.me.name),
                    view.body(report, rep, comments=await svc.comments(ctx.session, report.id)),
                )
            ),
            dedupe_key=f"rpt-comment:{row.id}",
        )
    return Step.end(Reply(T("💬 Comment sent to {name}.", name=rep.name if rep else "")))


async def authorise_report(ctx: Ctx, report_id: int) -> bool:
    report = await records.rep_report(ctx.session, report_id)
    staff = ctx.who.staff
    return (
        report is not None and staff is not None and await svc.can_read(ctx.session, staff, report)
    )


def _title(d: CommentDraft) -> Text:
    return T("Comment on {name}'s report", name=d.rep_name or "")


COMMANDS = [
    Command("reports", LEADS, reports, T("the team's daily reports (or: /reports week)")),
]
ACTIONS = [
    Action("rpt_view", FIELD, open_report, obj_kind="report"),
    Action("rpt_note", LEADS, comment_pressed, obj_kind="report"),
]
AUTHORISERS = {"report": authorise_report}
FLOWS = [
    Flow(
        CommentStep,
        LEADS,
        {CommentStep.TEXT: State(comment_step, _comment_prompt)},
        CommentDraft,
        _title,
        entries=(("report 💬 Comment", CommentStep.TEXT),),
    )
]
