"""/rules → Business calendar: the admin sets the hours of each weekday and the days off and
make-up working days (调休) of each year, typed one a line or sent as a CSV/text file (import).
The table is seeded from chinese-calendar or holidays (crm.services.calendar).

Diagram: docs/flows/cal.md (generated from FLOWS).
"""

from __future__ import annotations

from datetime import date

from bot.types import FileTooLarge, FileUnavailable, Lines, Raw, Reply, T, Text
from crm.limits import parse_index
from crm.services import calendar, runtime
from handlers.base import ADMINS, StaffCtx, Step, flow_button, is_admin, rows
from handlers.conversation import Draft, Flow, Input, State, States
from handlers.conversation.flow import BUTTONS
from handlers.refusals import CHOOSE, RULES_ADMINS_ONLY

WEEKDAY = {
    1: T("Monday"),
    2: T("Tuesday"),
    3: T("Wednesday"),
    4: T("Thursday"),
    5: T("Friday"),
    6: T("Saturday"),
    7: T("Sunday"),
}
MAX_FILE = 256 * 1024
SHOWN_DAYS = 12
NOT_IN_TABLE = T("not in the table")


class CalStep(States, flow="cal"):
    MENU = "menu"
    WEEKDAY = "weekday"
    HOURS = "hours"
    DAYS = "days"
    REMOVE = "remove"


class CalDraft(Draft):
    # The weekday whose hours are being changed (1 = Monday).
    weekday: int | None = None


def _title(d: CalDraft) -> Text:
    if d.weekday in WEEKDAY:
        return T("Business calendar: hours of {day}", day=WEEKDAY[d.weekday])
    return T("Business calendar")


SOURCE = {
    calendar.OFFICIAL: T("official schedule (chinese-calendar)"),
    calendar.LIBRARY: T("holidays library, without make-up working days"),
    calendar.ADMIN: T("entered by an admin"),
    calendar.IMPORT: T("imported"),
}


def _hours_text(ctx: StaffCtx, weekday: int) -> Text:
    bh = ctx.rules.business_hours
    span = bh.by_weekday.get(weekday)
    if span is None:
        span = [bh.start, bh.end] if weekday in bh.weekdays else []
    if not span:
        return T("{day}: closed", day=WEEKDAY[weekday])
    return T(
        "{day}: {start}–{end}",
        day=WEEKDAY[weekday],
        start=span[0].strftime("%H:%M"),
        end=span[1].strftime("%H:%M"),
    )


async def _menu_prompt(ctx: StaffCtx) -> Reply:
    """The calendar's overview: hours, each year's days off and where they came from."""
    today = ctx.local_now().date()
    for year in (today.year, today.year + 1):
        await calendar.seed_year(ctx.session, ctx.rules.business_hours, year)
    lines: list[Text] = [T("<b>Business calendar</b>"), T("<b>Hours</b>:")]
    lines += [_hours_text(ctx, d) for d in WEEKDAY]
    for year in (today.year, today.year + 1):
        source = await calendar.year_source(ctx.session, year)
        counts = await calendar.count_days(ctx.session, year)
        lines.append(
            T(
                "<b>{year}</b>: {off} days off, {work} make-up working days ({source})",
                year=Raw(str(year)),
                off=counts.get(calendar.OFF, 0),
                work=counts.get(calendar.WORK, 0),
                source=SOURCE.get(source or "", NOT_IN_TABLE),
            )
        )
    upcoming = [
        d
        for year in (today.year, today.year + 1)
        for d in await calendar.year_days(ctx.session, year)
        if d.day >= today
    ][:SHOWN_DAYS]
    for d in upcoming:
        kind = T("day off") if d.kind == calendar.OFF else T("working day")
        lines.append(T("• {day} · {kind} {name}", day=d.day, kind=kind, name=d.name or ""))
    buttons = rows(
        flow_button(T("🕘 Hours of a weekday"), CalStep.MENU, "hours"),
        flow_button(T("➕ Add or change days"), CalStep.MENU, "days"),
        flow_button(T("➖ Remove a day"), CalStep.MENU, "remove"),
        flow_button(T("Done"), CalStep.MENU, "done"),
    )
    return Reply(Lines(*lines), buttons=buttons)


def _back(state: CalStep) -> tuple:
    return ((flow_button(T("⬅ Back"), state, "back"),),)


def _weekday_prompt(ctx: StaffCtx) -> Reply:
    buttons = [flow_button(label, CalStep.WEEKDAY, str(d)) for d, label in WEEKDAY.items()]
    return Reply(T("Which weekday?"), buttons=(*rows(*buttons, width=4), *_back(CalStep.WEEKDAY)))


def _hours_prompt(ctx: StaffCtx) -> Reply:
    weekday = ctx.data.weekday
    return Reply(
        Lines(
            *((_hours_text(ctx, weekday),) if weekday in WEEKDAY else ()),
            T("Type the new hours as HH:MM-HH:MM (e.g. 09:00-17:30), or “closed”."),
        ),
        buttons=_back(CalStep.HOURS),
    )


def _days_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        Lines(
            T("Type the days, one a line: the date, “off” or “work”, and a name, e.g."),
            Raw("2027-02-06 off 春节\n2027-02-14 work 春节调休"),
            T("Or send a CSV or text file with such lines (an import)."),
        ),
        buttons=_back(CalStep.DAYS),
    )


def _remove_prompt(ctx: StaffCtx) -> Reply:
    return Reply(
        T("Which day should go? Type its date, e.g. 2027-02-06."),
        buttons=_back(CalStep.REMOVE),
    )


async def start(ctx: StaffCtx) -> Step:
    """Entered from /rules (its Business calendar button): the caller returns this step."""
    ctx.data = CalDraft()
    return Step.go(CalStep.MENU)


def _denied() -> Step:
    return Step.end(Reply(RULES_ADMINS_ONLY, notice="alert"))


async def menu_step(ctx: StaffCtx) -> Step:
    if not is_admin(ctx):
        return _denied()
    if ctx.choice == "done":
        return Step.end(Reply(T("The business calendar is in effect.")))
    if ctx.choice == "hours":
        return Step.go(CalStep.WEEKDAY)
    if ctx.choice == "days":
        return Step.go(CalStep.DAYS)
    if ctx.choice == "remove":
        return Step.go(CalStep.REMOVE)
    return ctx.stay(Reply(CHOOSE, notice="toast"))


async def weekday_step(ctx: StaffCtx) -> Step:
    if not is_admin(ctx):
        return _denied()
    weekday = parse_index(ctx.choice, len(WEEKDAY) + 1)
    if weekday not in WEEKDAY:
        return ctx.stay(Reply(CHOOSE, notice="toast"))
    ctx.data.weekday = weekday
    return Step.go(CalStep.HOURS)


async def hours_step(ctx: StaffCtx) -> Step:
    if not is_admin(ctx):
        return _denied()
    weekday = ctx.data.weekday
    span = calendar.parse_span(ctx.inbound.text or "")
    if weekday not in WEEKDAY or span is None:
        return ctx.stay(
            Reply(
                T(
                    "Please type the hours as HH:MM-HH:MM, the start before the end (e.g. "
                    "09:00-17:30), or “closed”. Nothing was changed."
                )
            )
        )
    await calendar.set_hours(ctx.session, weekday, span)
    await _audit(ctx, {"weekday": weekday, "hours": [t.strftime("%H:%M") for t in span]})
    await _reload(ctx)
    ctx.data.weekday = None
    return Step.go(CalStep.MENU, Reply(T("Saved: {hours}.", hours=_hours_text(ctx, weekday))))


async def _reload(ctx: StaffCtx) -> None:
    if ctx.rulebook is not None:
        ctx.rules = await ctx.rulebook.current(ctx.session)


async def _audit(ctx: StaffCtx, changes: dict[str, object]) -> None:
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.me.id,
        action="calendar.change",
        entity="calendar",
        entity_id=None,
        changes=changes,
        now=ctx.now(),
    )


async def _file_text(ctx: StaffCtx) -> str | None:
    if ctx.files is None or ctx.inbound.document_id is None:
        return None
    try:
        data = await ctx.files.download(ctx.inbound.document_id, MAX_FILE)
    except (FileTooLarge, FileUnavailable):
        return None
    return data.decode("utf-8-sig", errors="replace")


async def days_step(ctx: StaffCtx) -> Step:
    if not is_admin(ctx):
        return _denied()
    imported = ctx.inbound.document_id is not None
    text = await _file_text(ctx) if imported else ctx.inbound.text
    if not text:
        return ctx.stay(Reply(T("Please type the days, or send a CSV or text file.")))
    lines = [line for line in text.splitlines() if line.strip()]
    entries = [calendar.parse_day(line) for line in lines]
    bad = [line for line, e in zip(lines, entries, strict=True) if e is None]
    if bad:
        # All or nothing: a half-applied schedule would be worse than none.
        return ctx.stay(
            Reply(
                Lines(
                    T("These lines are not “date off|work name”; nothing was changed:"),
                    *(Raw(line[:60]) for line in bad[:5]),
                )
            )
        )
    source = calendar.IMPORT if imported else calendar.ADMIN
    for entry in entries:
        assert entry is not None
        await calendar.set_day(ctx.session, entry, source)
    await _audit(ctx, {"days": [f"{e.day.isoformat()} {e.kind}" for e in entries if e]})
    await _reload(ctx)
    return Step.go(
        CalStep.MENU, Reply(T("Saved {n} days. Deadlines use them from now on.", n=len(entries)))
    )


async def remove_step(ctx: StaffCtx) -> Step:
    if not is_admin(ctx):
        return _denied()
    try:
        day = date.fromisoformat((ctx.inbound.text or "").strip())
    except ValueError:
        return ctx.stay(Reply(T("Please type a date as YYYY-MM-DD. Nothing was changed.")))
    if not await calendar.remove_day(ctx.session, day):
        return ctx.stay(Reply(T("{day} is not in the calendar. Nothing was changed.", day=day)))
    await _audit(ctx, {"removed": day.isoformat()})
    await _reload(ctx)
    return Step.go(CalStep.MENU, Reply(T("Removed {day}.", day=day)))


FLOWS = [
    Flow(
        CalStep,
        ADMINS,
        {
            CalStep.MENU: State(
                menu_step,
                _menu_prompt,
                accepts=BUTTONS,
                to=(CalStep.WEEKDAY, CalStep.DAYS, CalStep.REMOVE),
            ),
            CalStep.WEEKDAY: State(
                weekday_step,
                _weekday_prompt,
                accepts=BUTTONS,
                to=(CalStep.HOURS,),
                back=CalStep.MENU,
            ),
            CalStep.HOURS: State(
                hours_step, _hours_prompt, to=(CalStep.MENU,), back=CalStep.WEEKDAY
            ),
            CalStep.DAYS: State(
                days_step,
                _days_prompt,
                accepts=frozenset({Input.TEXT, Input.BUTTON, Input.DOCUMENT}),
                to=(CalStep.MENU,),
                back=CalStep.MENU,
            ),
            CalStep.REMOVE: State(
                remove_step, _remove_prompt, to=(CalStep.MENU,), back=CalStep.MENU
            ),
        },
        CalDraft,
        _title,
        entries=(("/rules → Business calendar", CalStep.MENU),),
    )
]
