"""A rep's daily or weekly report as a message: shared by the chat (/daily, /weekly, /reports)
and the scheduler's pushes (scheduler/report_jobs.py), so both say it in the same words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.types import TN, Button, Lines, Raw, Reply, T, Text
from crm.models import RepReport, Staff
from crm.services.rep_reports import DAY, Comment


def title(kind: str, period: date, name: str) -> Text:
    if kind == DAY:
        return T("📋 <b>Daily report</b> · {name} · {day}", name=name, day=period)
    return T("📋 <b>Weekly report</b> · {name} · week of {day}", name=name, day=period)


def figure_lines(figures: dict[str, int]) -> list[Text]:
    f = {k: int(figures.get(k, 0)) for k in ("visits", "calls", "new_customers")}
    done, tickets = int(figures.get("followups_done", 0)), int(figures.get("tickets", 0))
    return [
        T(
            "Visits: {visits} · calls: {calls} · new customers: {new}",
            visits=f["visits"],
            calls=f["calls"],
            new=f["new_customers"],
        ),
        T("Follow-ups done: {done} · requests resolved: {tickets}", done=done, tickets=tickets),
    ]


def body(
    report: RepReport,
    staff: Staff,
    *,
    lines: Sequence[str] | None = None,
    plan: Sequence[str] | None = None,
    comments: Sequence[Comment] = (),
) -> Lines:
    """The report: figures, the morning's plan (a day) or next week's plan (a week), the rep's
    lines (`lines`/`plan` given: a draft's, else the stored ones) and the comments."""
    out: list[Text] = [title(report.kind, report.period, staff.name), *figure_lines(report.figures)]
    shown_plan = list(plan) if plan is not None else (report.plan or "").splitlines()
    shown_lines = list(lines) if lines is not None else (report.lines or "").splitlines()
    if shown_plan:
        out.append(T("<b>Today's plan</b>") if report.kind == DAY else T("<b>Next week's plan</b>"))
        out += [Raw(f"• {line}") for line in shown_plan]
    if shown_lines:
        out.append(T("<b>Notes</b>"))
        out += [Raw(f"• {line}") for line in shown_lines]
    if report.sent_at is not None:
        out.append(T("Sent {when}.", when=report.sent_at))
    if comments:
        out.append(TN("<b>{n} comment</b>", "<b>{n} comments</b>", len(comments)))
        for c in comments:
            out.append(
                T(
                    "💬 {who} ({when}): {text}",
                    who=Raw(c.author) if c.author else T("a former colleague"),
                    when=c.at,
                    text=c.text,
                )
            )
    return Lines(*out)


def team_message(
    kind: str, period: date, rows: Sequence[tuple[Staff, RepReport | None]], *, late: bool = False
) -> Reply:
    """The team's reports in one message: who sent one (a button opens it) and who has not."""
    sent = [(rep, r) for rep, r in rows if r is not None and r.sent_at is not None]
    missing = [rep for rep, r in rows if r is None or r.sent_at is None]
    head = (
        T("🗂 <b>The team's daily reports</b> · {day}", day=period)
        if kind == DAY
        else T("🗂 <b>The team's weekly reports</b> · week of {day}", day=period)
    )
    out: list[Text] = [head]
    for rep, r in sent:
        assert r is not None
        f = r.figures
        out.append(
            T(
                "✅ {name}: visits {visits} · calls {calls} · new customers {new}",
                name=rep.name,
                visits=int(f.get("visits", 0)),
                calls=int(f.get("calls", 0)),
                new=int(f.get("new_customers", 0)),
            )
        )
    if missing:
        out.append(
            TN("⏳ <b>{n} has not sent one</b>:", "⏳ <b>{n} have not sent one</b>:", len(missing))
        )
        out += [Raw(f"• {rep.name}") for rep in missing]
    if not rows:
        out.append(T("Your team has no reps."))
    if late:
        out.append(T("(sent late: the bot was not running at the due time)"))
    buttons = tuple(
        (Button(Raw(f"📋 {rep.name}"), f"rpt_view:{r.id}"),) for rep, r in sent if r is not None
    )
    return Reply(Lines(*out), buttons=buttons[:30])
