"""/rules → Business calendar: the admin sets the hours of each weekday and the days off and
make-up working days (调休) of each year, typed one a line or sent as a CSV/text file (import).
The table is seeded from chinese-calendar or holidays (crm.services.calendar).

```mermaid
stateDiagram-v2
    [*] --> menu: /rules → Business calendar
    menu --> weekday: Hours
    weekday --> hours: a weekday
    hours --> menu: 09:00-17:30 or closed
    menu --> days: Add days (lines or a file)
    days --> menu: saved
    menu --> remove: Remove a day
    remove --> menu: a date
    menu --> [*]: Done
```
"""

from __future__ import annotations

from datetime import date

from bot.types import FileTooLarge, FileUnavailable, Lines, Raw, Reply, T, Text
from crm.services import calendar, runtime
from handlers.base import ADMINS, Ctx, Flow, Handler, Step, flow_button, is_admin, rows

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
DENIED = T("Only an admin can change business rules. Nothing was changed.")
SOURCE = {
    calendar.OFFICIAL: T("official schedule (chinese-calendar)"),
    calendar.LIBRARY: T("holidays library, without make-up working days"),
    calendar.ADMIN: T("entered by an admin"),
    calendar.IMPORT: T("imported"),
}


def _hours_text(ctx: Ctx, weekday: int) -> Text:
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


async def _overview(ctx: Ctx) -> Step:
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
        flow_button(T("🕘 Hours of a weekday"), "cal.menu", "hours"),
        flow_button(T("➕ Add or change days"), "cal.menu", "days"),
        flow_button(T("➖ Remove a day"), "cal.menu", "remove"),
        flow_button(T("Done"), "cal.menu", "done"),
    )
    return Step.to("cal.menu", Reply(Lines(*lines), buttons=buttons))


async def start(ctx: Ctx) -> Step:
    ctx.data = {}
    return await _overview(ctx)


async def menu_step(ctx: Ctx) -> Step:
    if not is_admin(ctx):
        return Step.end(Reply(DENIED))
    if ctx.choice == "done":
        return Step.end(Reply(T("The business calendar is in effect.")))
    if ctx.choice == "hours":
        buttons = [flow_button(label, "cal.weekday", str(d)) for d, label in WEEKDAY.items()]
        return Step.to("cal.weekday", Reply(T("Which weekday?"), buttons=rows(*buttons, width=4)))
    if ctx.choice == "days":
        return Step.to(
            "cal.days",
            Reply(
                Lines(
                    T("Type the days, one a line: the date, “off” or “work”, and a name, e.g."),
                    Raw("2027-02-06 off 春节\n2027-02-14 work 春节调休"),
                    T("Or send a CSV or text file with such lines (an import)."),
                ),
                buttons=((flow_button(T("⬅ Back"), "cal.days", "back"),),),
            ),
        )
    if ctx.choice == "remove":
        return Step.to(
            "cal.remove",
            Reply(
                T("Which day should go? Type its date, e.g. 2027-02-06."),
                buttons=((flow_button(T("⬅ Back"), "cal.remove", "back"),),),
            ),
        )
    return ctx.stay(Reply(T("Please choose one of the buttons.")))


async def weekday_step(ctx: Ctx) -> Step:
    if not is_admin(ctx):
        return Step.end(Reply(DENIED))
    if ctx.choice is None or not ctx.choice.isdigit() or int(ctx.choice) not in WEEKDAY:
        return ctx.stay(Reply(T("Please choose one of the buttons.")))
    ctx.data = {"weekday": int(ctx.choice)}
    return Step.to(
        "cal.hours",
        Reply(
            Lines(
                _hours_text(ctx, int(ctx.choice)),
                T("Type the new hours as HH:MM-HH:MM (e.g. 09:00-17:30), or “closed”."),
            )
        ),
    )


async def hours_step(ctx: Ctx) -> Step:
    if not is_admin(ctx):
        return Step.end(Reply(DENIED))
    weekday = ctx.data.get("weekday")
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
    step = await _overview(ctx)
    step.replies.insert(0, Reply(T("Saved: {hours}.", hours=_hours_text(ctx, weekday))))
    return step


async def _reload(ctx: Ctx) -> None:
    if ctx.rulebook is not None:
        ctx.rules = await ctx.rulebook.current(ctx.session)


async def _audit(ctx: Ctx, changes: dict[str, object]) -> None:
    assert ctx.who.staff is not None
    await runtime.audit(
        ctx.session,
        actor_kind="staff",
        actor_id=ctx.who.staff.id,
        action="calendar.change",
        entity="calendar",
        entity_id=None,
        changes=changes,
        now=ctx.now(),
    )


async def _file_text(ctx: Ctx) -> str | None:
    if ctx.files is None or ctx.inbound.document_id is None:
        return None
    try:
        data = await ctx.files.download(ctx.inbound.document_id, MAX_FILE)
    except (FileTooLarge, FileUnavailable):
        return None
    return data.decode("utf-8-sig", errors="replace")


async def days_step(ctx: Ctx) -> Step:
    if not is_admin(ctx):
        return Step.end(Reply(DENIED))
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
    step = await _overview(ctx)
    step.replies.insert(
        0, Reply(T("Saved {n} days. Deadlines use them from now on.", n=len(entries)))
    )
    return step


async def remove_step(ctx: Ctx) -> Step:
    if not is_admin(ctx):
        return Step.end(Reply(DENIED))
    try:
        day = date.fromisoformat((ctx.inbound.text or "").strip())
    except ValueError:
        return ctx.stay(Reply(T("Please type a date as YYYY-MM-DD. Nothing was changed.")))
    if not await calendar.remove_day(ctx.session, day):
        return ctx.stay(Reply(T("{day} is not in the calendar. Nothing was changed.", day=day)))
    await _audit(ctx, {"removed": day.isoformat()})
    await _reload(ctx)
    step = await _overview(ctx)
    step.replies.insert(0, Reply(T("Removed {day}.", day=day)))
    return step


def _with_back(handler: Handler) -> Handler:
    async def wrapped(ctx: Ctx) -> Step:
        if ctx.choice == "back":
            return await _overview(ctx)
        return await handler(ctx)

    return wrapped


FLOWS = [
    Flow(
        "cal",
        ADMINS,
        {
            "menu": menu_step,
            "weekday": weekday_step,
            "hours": hours_step,
            "days": _with_back(days_step),
            "remove": _with_back(remove_step),
        },
    )
]
