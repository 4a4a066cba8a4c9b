"""Inbound: updates per second and latency per update through each Telegram adapter's real
dispatch, with the HTTP layer stubbed, on SQLite and on PostgreSQL; and, with the same workload,
the same library's bare echo handler through the same stub. Prints the ratio to echo.

The dispatch paths are the ones the bot runs: aiogram `Dispatcher.feed_raw_update` on the
adapter's own dispatcher (what its webhook does; polling feeds the same dispatcher), and for
python-telegram-bot `Update.de_json` + the adapter's `_process` (its webhook path; the adapter
uses PTB's Bot only, no Application). The HTTP layer is replaced by a session (aiogram) or a
request object (PTB) that still serialises every call as the real one does and answers at once
with a realistic result, so no network is involved and the figures are the bot's own.

Why the workload is shaped so: direct replies are paced per chat (bot.channels.pressure.
ChatPacer, issue 24: about one message a second to a private chat, Telegram's limit), and the
pacing stays on here. Until stop 15 the workload was 10 reps tapping back to back, each in their
own chat; with the pacer that measures the pacer (one reply a second a chat, ~8 updates/s), not
the bot. A bot's load is many chats, each a person who reads the answer before tapping again.
So a rep here waits PAUSE_MIN (1.2 s, more than the pacer's 1.05 s a chat, so no reply waits
for the previous update's) plus an exponential pause (mean PAUSE_EXTRA) after their answer
before the next tap, and the bot's rate comes from the number of reps. A rep's round is six
updates: a one-message visit, the Save button, a card lookup, a button on the card, Reply on a
ticket of theirs and the reply's text; a third of the reps start the round at the visit, a
third at the card, a third at the ticket, so a crowd does not all do the same step.

What is measured: the updates answered within a window of a crowd that has been tapping for a
moment (`Plan.settle`). An update's latency runs from the moment its rep tapped (the end of the
pause, whether or not the loop was free) to its last reply handed to the stubbed HTTP layer,
less the time the pacer held its replies on purpose: the Save answers with two messages and the
second waits its turn (1.05 s). How often that happened is printed apart. CPU is this
process's CPU time over the window's: saturated on a quiet machine it is near 100 % (one event
loop); well under that, the bot waited (for SQLite's lock, the pool, PostgreSQL) or other work
on the machine had the CPU (the load average is printed at the start and the end). Updates
per CPU second (the rate over CPU) is the figure that least depends on a busy machine.

- Throughput, saturated: the crowd grows (×2 a step, from 200 reps; the echo bot from 4,000)
  until the bot is saturated, i.e. the median update waited QUEUED_MS or more: work was queued
  all along, so the rate is the bot's capacity, and the offered rate is above it. The best rate
  of the ramp is kept; the ramp is printed. The echo bot gets the same workload and the same
  ramp; PostgreSQL's starts from the crowd that saturated SQLite. The saturated latency is
  printed too but is queueing: in a closed crowd it grows with the number of reps waiting.
- Latency at a stated load: crowds sized to offer 25 %, 50 % and 75 % of the saturated rate
  (SQLite). This is the latency people see.
- The pacer apart: one chat sends several card lookups at once (as a webhook may deliver them)
  and gets every reply, ~1.05 s apart, while another chat sends one meanwhile and is answered at
  once.

As in `crm-bot run`, every reply is journaled (an outbox row in the update's transaction,
marked sent once it went out) and startup's objects are frozen for the garbage collector. The
flood guard stays on: the demo clock runs at DEMO_SPEED × real time, so a rep taps at most ~17
times a demo minute (the guard allows 30).

Run: `make bench`, or `.venv/bin/python bench/bench_inbound.py [--quick]` (expected about 2.5
min, --quick about 1, on a quiet machine; --quick: shorter windows, the crowd ×4 a step, 50 %
load only, a burst of three).
Targets (SQLite): saturated updates/s at least 40 % of echo's (both saturated, same workload);
p99 at most 30 ms at 50 % load (at saturation p99 is a queue's length, not a target).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import logs_counted, percentile, pg_server, quick_flag, verdict
from _inbound_workload import (
    FIRST_REP_TG,
    NAMES,
    PAUSE_EXTRA,
    PAUSE_MIN,
    Api,
    HeldPacer,
    Measure,
    Plan,
    Rep,
    Subject,
    add_reps,
    measure,
)
from _telegram_stub import TOKEN, aiogram_bot, ptb_request

from bot.app import App, build_app
from bot.demo import DEMO_START, prepare
from bot.gc_tuning import freeze_startup_objects
from bot.logging import setup as setup_logging
from bot.migrate import upgrade
from bot.settings import load
from crm.clock import ManualClock

FULL = Plan(200, 4000, 2, 16, 2.0, 3.0, 3.5, (0.25, 0.5, 0.75), 5)
QUICK = Plan(200, 2000, 4, 16, 1.0, 1.5, 2.0, (0.5,), 3)
# A median update that waited this long had dozens queued before it (a step takes ~1–20 ms).
QUEUED_MS = 200.0


# ---------------------------------------------------------------- the ramp


async def saturate(subject: Subject, first: int, plan: Plan) -> Measure:
    """Grows the crowd until the bot is saturated (its median update waited QUEUED_MS or
    more behind others: it had work queued all along, so its rate is its capacity); the best
    rate of the ramp is the result (a crowd twice too large can cost a little of it)."""
    steps: list[Measure] = []
    n = first
    while True:
        steps.append(await measure(subject, n, subject.label, plan, plan.window))
        if percentile(steps[-1].own, 50) >= QUEUED_MS:
            break
        if n * plan.grow > first * plan.cap:
            print(f"  (not saturated at {n} reps: the rate is a lower bound)")
            break
        n *= plan.grow
    ramp = ", ".join(
        f"{m.reps}: {m.rate:.0f}/s {percentile(m.own, 50):.0f} ms {m.cpu:.0%}" for m in steps
    )
    print(f"  {subject.label} ramp (reps: updates/s, p50, CPU): {ramp}", flush=True)
    return max(steps, key=lambda m: m.rate)


# ---------------------------------------------------------------- the subjects


async def product_subject(lib: str, app: App, clock: ManualClock, label: str) -> Subject:
    api = Api()
    pacer = HeldPacer()

    async def new_reps(first: int, n: int) -> list[Rep]:
        return await add_reps(app, first, n)

    if lib == "aiogram":
        from bot.channels.aiogram import AiogramChannel

        channel = AiogramChannel(TOKEN)
        await channel.bot.session.close()
        channel.bot = aiogram_bot(api)
        channel.pacer = pacer
        dp = channel._dispatcher(app.engine)  # noqa: SLF001 (the adapter's own dispatcher)

        async def feed(update: dict[str, Any]) -> None:
            await dp.feed_raw_update(channel.bot, update)

        return Subject(label, feed, api, pacer, new_reps, clock)

    from telegram import Bot, Update

    from bot.channels.ptb import PtbChannel

    pchannel = PtbChannel(TOKEN)
    request = ptb_request(api)
    pchannel.bot = Bot(TOKEN, request=request, get_updates_request=request)
    pchannel.pacer = pacer

    async def pfeed(update: dict[str, Any]) -> None:
        await pchannel._process(Update.de_json(update, pchannel.bot), app.engine)  # noqa: SLF001

    return Subject(label, pfeed, api, pacer, new_reps, clock)


async def echo_subject(lib: str) -> Subject:
    """The library's bare echo bot through the same stub: a message is sent back, a button
    press answered and its data sent back (with a button, as the product's replies have)."""
    api = Api()

    async def new_reps(first: int, n: int) -> list[Rep]:
        return [Rep(FIRST_REP_TG + k, NAMES[k % len(NAMES)], 1) for k in range(first, first + n)]

    if lib == "aiogram":
        from aiogram import Dispatcher
        from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

        bot = aiogram_bot(api)
        dp = Dispatcher()
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="保存", callback_data="echo")]]
        )

        @dp.message()
        async def on_message(message: Message) -> None:
            await message.answer(message.text or "", reply_markup=markup)

        @dp.callback_query()
        async def on_callback(cq: CallbackQuery) -> None:
            await cq.answer()
            await bot.send_message(cq.from_user.id, cq.data or "", reply_markup=markup)

        async def feed(update: dict[str, Any]) -> None:
            await dp.feed_raw_update(bot, update)

        return Subject(f"{lib} echo", feed, api, None, new_reps)

    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

    request = ptb_request(api)
    pbot = Bot(TOKEN, request=request, get_updates_request=request)
    pmarkup = InlineKeyboardMarkup([[InlineKeyboardButton("保存", callback_data="echo")]])

    async def pfeed(update: dict[str, Any]) -> None:
        # The same shape as the adapter's path (de_json, answer the button, send), minus ours.
        u = Update.de_json(update, pbot)
        if u.callback_query is not None:
            await u.callback_query.answer()
            chat = u.callback_query.from_user.id
            await pbot.send_message(chat, u.callback_query.data or "", reply_markup=pmarkup)
        elif u.message is not None:
            await u.message.reply_text(u.message.text or "", reply_markup=pmarkup)

    return Subject(f"{lib} echo", pfeed, api, None, new_reps)


# ---------------------------------------------------------------- the sections


async def echo_run(lib: str, plan: Plan) -> Measure:
    subject = await echo_subject(lib)
    await subject.warm()
    with logs_counted():
        return await saturate(subject, plan.echo_reps, plan)


async def product_run(
    lib: str, url: str, plan: Plan, echo: Measure, first: int, *, loads: bool
) -> tuple[Measure, Measure | None]:
    """The saturated rate; with `loads`, latency at the plan's loads and the pacer's section.
    Returns the saturated measure and the one at 50 % load."""
    settings, rules = load(database_url=url, _env_file=None)
    clock = ManualClock(DEMO_START)
    app = build_app(settings, rules, clock)
    # As `crm-bot run` has it (bot.runtime.serve): every reply journaled in the update's
    # transaction and marked sent after it went out.
    app.engine.reply_lease = timedelta(seconds=settings.reply_lease_seconds)
    await prepare(app, clock)
    backend = url.split("+", 1)[0]
    subject = await product_subject(lib, app, clock, f"{lib} on {backend}")
    await subject.grow(first)
    await subject.warm()
    freeze_startup_objects()  # as `crm-bot run` does once started
    half: Measure | None = None
    try:
        with logs_counted() as sink:
            sat = await saturate(subject, first, plan)
            ratio = f"  {sat.rate / echo.rate:4.0%} of echo (saturated: latency is queueing)"
            print(sat.line(ratio), flush=True)
            if loads:
                held = statistics.fmean(subject.held)
                for share in plan.loads:
                    n = max(1, round(share * sat.rate * subject.cycle(held)))
                    label = f"{lib}, {share:.0%} load"
                    m = await measure(subject, n, label, plan, plan.loaded_window)
                    print(m.line(f"  = {m.rate / sat.rate:.0%} of saturated"), flush=True)
                    half = m if share == 0.5 else half
                print(held_line(subject.held), flush=True)
                await pacer_burst(subject, plan)
        if sink.errors:
            print(f"  ({len(sink.errors)} errors logged)")
        return sat, half
    finally:
        await app.close()


def held_line(every: list[float]) -> str:
    held = [h for h in every if h > 0]
    if not held:
        return "  the pacer held no reply in the workload"
    return (
        f"  the pacer held the replies of {len(held)} of {len(every)} updates (the Save's second "
        f"message), {statistics.fmean(held):.0f} ms each; the latencies above leave that out"
    )


async def pacer_burst(subject: Subject, plan: Plan) -> None:
    """One chat sends `plan.burst` card lookups at once; another chat sends one meanwhile.
    Two reps who took no part in the workload, so no earlier reply of theirs is pending."""
    n = len(subject.reps)
    await subject.grow(n + 2)
    busy, other = subject.reps[n], subject.reps[n + 1]
    api, up = subject.api, subject.updates
    api.times[busy.tg] = []
    start = time.perf_counter()
    burst = [
        asyncio.create_task(subject.feed(up.message(busy.tg, f"/customers {busy.customer}")))
        for _ in range(plan.burst)
    ]
    await asyncio.sleep(0.5)
    api.handed.pop(other.tg, None)
    t0 = time.perf_counter()
    await subject.feed(up.message(other.tg, f"/customers {other.customer}"))
    other_ms = (api.handed.get(other.tg, time.perf_counter()) - t0) * 1000
    await asyncio.gather(*burst)
    sent = api.times.pop(busy.tg)
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    spacing = f"{min(gaps):.2f}–{max(gaps):.2f} s apart" if gaps else "no gaps"
    print(
        f"  pacer, one chat, {plan.burst} updates at once: {len(sent)} replies of "
        f"{plan.burst}, {spacing}, the last {sent[-1] - start:.1f} s after the first update; "
        f"another chat meanwhile answered in {other_ms:.0f} ms",
        flush=True,
    )


def sqlite_url(tmp: str, name: str) -> str:
    url = f"sqlite+aiosqlite:///{Path(tmp) / name}"
    upgrade(url)  # Alembic runs its own event loop, so before ours
    return url


def load_average() -> str:
    """Other work on the machine takes the figures down: say how much there was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} CPUs"


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    plan = QUICK if quick_flag(argv) else FULL
    # Production logging: JSON at INFO (the sink swallows it, but it is rendered).
    setup_logging("INFO", json=True)
    print(
        f"inbound: reps in their own chats, {PAUSE_MIN} s + ~{PAUSE_EXTRA} s (exponential) "
        f"between an answer and the next tap; the pacer on; {load_average()}"
    )
    results: dict[str, Measure] = {}
    with tempfile.TemporaryDirectory() as tmp, pg_server() as server:
        for lib in ("aiogram", "ptb"):
            echo = asyncio.run(echo_run(lib, plan))
            results[f"{lib} echo"] = echo
            print(echo.line(), flush=True)
            url = sqlite_url(tmp, f"{lib}.db")
            sat, half = asyncio.run(
                product_run(lib, url, plan, echo, plan.product_reps, loads=True)
            )
            results[f"{lib} sqlite"] = sat
            if half is not None:
                results[f"{lib} half"] = half
            if server is not None:
                pg_url = server.create_database(f"bench_{lib}")  # type: ignore[attr-defined]
                upgrade(pg_url)
                # From the crowd that saturated SQLite: PostgreSQL is not the faster of the two.
                asyncio.run(product_run(lib, pg_url, plan, echo, sat.reps, loads=False))
    print("targets (SQLite):")
    for lib in ("aiogram", "ptb"):
        r, echo = results[f"{lib} sqlite"], results[f"{lib} echo"]
        verdict(r.rate >= 0.4 * echo.rate, f"{lib}: {r.rate / echo.rate:.0%} of echo (≥ 40 %)")
        half = results.get(f"{lib} half")
        if half is not None:
            p99 = percentile(half.own, 99)
            verdict(p99 <= 30, f"{lib}: p99 {p99:.1f} ms at 50 % load (≤ 30 ms)")
    print(f"run time {time.perf_counter() - started:.0f} s; {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
