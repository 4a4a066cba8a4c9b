"""Inbound: updates per second and latency per update through each Telegram adapter's real
dispatch, with the HTTP layer stubbed, on SQLite and on PostgreSQL; and, in the same run, the
same library's bare echo handler through the same stub. Prints the ratio to echo.

The dispatch paths are the ones the bot runs: aiogram `Dispatcher.feed_raw_update` on the
adapter's own dispatcher (what its webhook does; polling feeds the same dispatcher), and for
python-telegram-bot `Update.de_json` + the adapter's `_process` (its webhook path; the adapter
uses PTB's Bot only, no Application). The HTTP layer is replaced by a session (aiogram) or a
request object (PTB) that still serialises every call as the real one does and answers at once
with a realistic result, so no network is involved and the figures are the bot's own.

Workload: 10 sales reps at once (4 with --quick), each sequential (a person waits for the answer
before the next tap), each round six updates: a one-message visit, the Save button, a card
lookup, a button on the card, Reply on a ticket of theirs and the reply's text. A first round
per user warms caches up and is not measured. On SQLite a single rep is measured too: an
update's own latency, without queueing behind the others'. The flood guard stays on: the demo
clock moves 3 s per update, so nobody is over 30 a minute. As in `crm-bot run`, every reply is
journaled (an outbox row in the update's transaction, marked sent once it went out) and startup's
objects are frozen for the garbage collector.

Those ten reps tap without pausing, so the bot is saturated and an update's latency is mostly
its wait behind the other nine. The same workload is then run under a given load: 50 reps who
pause between taps (exponentially, with a mean set so that they offer 25 %, 50 % and 75 % of the
updates per second just measured), which shows latency as people would see it at that load.

Run: `make bench`, or `.venv/bin/python bench/bench_inbound.py [--quick]`.
Targets (SQLite): at least 40 % of echo's updates/s, and p99 at most 30 ms.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import logs_counted, percentile, pg_server, quick_flag, verdict
from _telegram_stub import TOKEN, FakeApi, Updates, aiogram_bot, ptb_request

from bot.app import App, build_app
from bot.demo import DEMO_START, prepare
from bot.gc_tuning import freeze_startup_objects
from bot.logging import setup as setup_logging
from bot.migrate import upgrade
from bot.settings import load
from crm.clock import ManualClock
from crm.enums import Role
from crm.models import Contact, CustomerUser, Staff
from crm.services import tickets
from crm.services.customers import new_customer

# Customer names a one-message visit recognises; one per bench rep.
NAMES = [f"{a}{b}电厂" for a in "华大国中粤京申浙皖赣晋豫川鲁冀辽吉蒙" for b in "能电源"]
FIRST_REP_TG = 700_000
FIRST_CUSTOMER_TG = 800_000
VISIT_TEXT = "拜访{}，见了张工，谈变压器报价，下周二下午跟进"
REPLY_TEXT = "已安排人员上门检查，今天下班前答复您。"
# The runs under a given load (`under_load`): reps pausing between taps, and updates measured.
LOADED_REPS = 50
LOADED_UPDATES = 600


# ---------------------------------------------------------------- the company


@dataclass(frozen=True)
class Rep:
    tg: int
    customer: str
    ticket_id: int


async def add_reps(app: App, n: int) -> list[Rep]:
    """`n` reps in the demo manager's team, each with a customer (with a contact) and an open
    request from that customer's Telegram user, to answer."""
    reps = []
    now = app.clock.now()
    async with app.sessions() as s, s.begin():
        from sqlalchemy import select

        manager = await s.scalar(select(Staff).where(Staff.handle == "manager"))
        assert manager is not None
        for k in range(n):
            staff = Staff(
                handle=f"bench{k}",
                tg_user_id=FIRST_REP_TG + k,
                name=f"代表{k}",
                role=Role.SALES,
                locale="zh_CN",
                team="east",
                manager_id=manager.id,
                created_at=now - timedelta(days=100),
            )
            s.add(staff)
            await s.flush()
            customer = new_customer(
                NAMES[k],
                customer_class="A",
                stage="contacted",
                owner_id=staff.id,
                team="east",
                claim_expires_at=now + timedelta(days=30),
                created_by=staff.id,
                created_at=now - timedelta(days=50),
            )
            s.add(customer)
            await s.flush()
            s.add(Contact(customer_id=customer.id, name="张工", role="decision_maker"))
            cuser = CustomerUser(
                tg_user_id=FIRST_CUSTOMER_TG + k,
                name=f"客户{k}",
                customer_id=customer.id,
                locale="zh_CN",
                created_at=now - timedelta(days=10),
            )
            s.add(cuser)
            await s.flush()
            ticket = await tickets.create(
                s, app.rules, cuser, kind="fault", text="配电柜跳闸", now=now
            )
            reps.append(Rep(staff.tg_user_id or 0, NAMES[k], ticket.id))
    return reps


# ---------------------------------------------------------------- one run


Feed = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Result:
    label: str
    updates: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def line(self, echo: Result | None = None) -> str:
        ratio = f"  {self.rate / echo.rate:5.0%} of echo" if echo is not None else ""
        return (
            f"  {self.label:<22} {self.updates:>5} updates {self.rate:7.0f}/s  "
            f"p50 {percentile(self.latencies, 50):5.1f} ms  "
            f"p99 {percentile(self.latencies, 99):5.1f} ms{ratio}"
        )


def press(api: FakeApi, updates: Updates, uid: int, label: str | None) -> dict[str, Any]:
    """The button whose label contains `label` (None: the first) on the last message to `uid`."""
    sent = api.last.get(uid)
    assert sent is not None and sent.buttons, f"no buttons for {uid}"
    for text, data in sent.buttons:
        if label is None or label in text:
            return updates.callback(uid, data, sent.message_id)
    raise AssertionError(f"no button {label!r} in {sent.buttons}")


def script(rep: Rep) -> list[Callable[[FakeApi, Updates], dict[str, Any]]]:
    """One round of a rep's updates; each step is built when it is its turn (buttons depend on
    the answer to the previous one)."""
    uid = rep.tg
    return [
        lambda api, up: up.message(uid, VISIT_TEXT.format(rep.customer)),
        lambda api, up: press(api, up, uid, "保存"),
        lambda api, up: up.message(uid, f"/customers {rep.customer}"),
        lambda api, up: press(api, up, uid, None),
        lambda api, up: up.callback(uid, f"tk_reply:{rep.ticket_id}", 1),
        lambda api, up: up.message(uid, REPLY_TEXT),
    ]


async def drive(
    label: str,
    feed: Feed,
    api: FakeApi,
    reps: list[Rep],
    rounds: int,
    clock: ManualClock | None,
    think: float | None = None,
) -> Result:
    """Each rep sends its next update once the last one is answered: at once, or (`think`, in
    seconds) after a pause drawn from an exponential distribution with that mean."""
    updates = Updates()
    latencies: list[float] = []
    ticks = itertools.count()
    pauses = random.Random(7)

    async def user(rep: Rep, measured: bool) -> None:
        for _ in range(rounds if measured else 1):
            for step in script(rep):
                if measured and think is not None:
                    # Before each update, the first too: a start all at once is a burst.
                    await asyncio.sleep(pauses.expovariate(1 / think))
                if clock is not None:
                    # Three seconds of the demo clock per update: nobody sends more than 20 a
                    # minute, so the flood guard (30) lets everything through.
                    clock.set(DEMO_START + timedelta(seconds=3 * next(ticks)))
                update = step(api, updates)
                t0 = time.perf_counter()
                await feed(update)
                if measured:
                    latencies.append((time.perf_counter() - t0) * 1000)

    await asyncio.gather(*(user(r, measured=False) for r in reps))
    start = time.perf_counter()
    await asyncio.gather(*(user(r, measured=True) for r in reps))
    elapsed = time.perf_counter() - start
    return Result(label, len(latencies), elapsed, latencies)


async def product_run(
    lib: str, url: str, users: int, rounds: int, think: float | None = None
) -> Result:
    settings, rules = load(database_url=url, _env_file=None)
    clock = ManualClock(DEMO_START)
    app = build_app(settings, rules, clock)
    # As `crm-bot run` has it (bot.runtime.serve): every reply journaled in the update's
    # transaction and marked sent after it went out.
    app.engine.reply_lease = timedelta(seconds=settings.reply_lease_seconds)
    await prepare(app, clock)
    reps = await add_reps(app, users)
    freeze_startup_objects()  # as `crm-bot run` does once started
    api = FakeApi()
    backend = url.split("+", 1)[0]
    try:
        if lib == "aiogram":
            from bot.channels.aiogram import AiogramChannel

            channel = AiogramChannel(TOKEN)
            await channel.bot.session.close()
            channel.bot = aiogram_bot(api)
            dp = channel._dispatcher(app.engine)  # noqa: SLF001 (the adapter's own dispatcher)

            async def feed(update: dict[str, Any]) -> None:
                await dp.feed_raw_update(channel.bot, update)

        else:
            from telegram import Bot, Update

            from bot.channels.ptb import PtbChannel

            pchannel = PtbChannel(TOKEN)
            request = ptb_request(api)
            pchannel.bot = Bot(TOKEN, request=request, get_updates_request=request)

            async def feed(update: dict[str, Any]) -> None:
                await pchannel._process(Update.de_json(update, pchannel.bot), app.engine)  # noqa: SLF001

        with logs_counted() as sink:
            result = await drive(f"{lib} on {backend}", feed, api, reps, rounds, clock, think)
        if sink.errors:
            print(f"  ({len(sink.errors)} errors logged)")
        return result
    finally:
        await app.close()


async def echo_run(lib: str, users: int, rounds: int) -> Result:
    """The library's bare echo bot through the same stub: a message is sent back, a button
    press answered and its data sent back."""
    api = FakeApi()
    reps = [Rep(FIRST_REP_TG + k, NAMES[k], 1) for k in range(users)]
    # The echo bot sends no buttons: give every chat one to press, as the product's would.
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

        try:
            return await drive(f"{lib} echo", feed, api, reps, rounds, None)
        finally:
            await bot.session.close()

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

    return await drive(f"{lib} echo", pfeed, api, reps, rounds, None)


def sqlite_url(tmp: str, name: str) -> str:
    url = f"sqlite+aiosqlite:///{Path(tmp) / name}"
    upgrade(url)  # Alembic runs its own event loop, so before ours
    return url


def under_load(tmp: str, lib: str, capacity: float, quick: bool) -> None:
    """Latency at a given load rather than at saturation: reps who pause between taps (as people
    do), as many and with such pauses that they offer a quarter, half and three quarters of the
    updates per second measured above. Informational: the targets are judged on the run above."""
    users = 10 if quick else LOADED_REPS
    for share in (0.5,) if quick else (0.25, 0.5, 0.75):
        think = users / (share * capacity)
        rounds = max(2, math.ceil(LOADED_UPDATES / (6 * users)))
        url = sqlite_url(tmp, f"{lib}-load{share}.db")
        r = asyncio.run(product_run(lib, url, users, rounds, think))
        r.label = f"{lib}, {share:.0%} load"
        print(r.line(), flush=True)


def main(argv: list[str]) -> int:
    quick = quick_flag(argv)
    users, rounds = (4, 2) if quick else (10, 5)
    # Production logging: JSON at INFO (the sink below swallows it, but it is rendered).
    setup_logging("INFO", json=True)
    print(f"inbound: {users} reps at once, {rounds} measured rounds of 6 updates each")
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as tmp, pg_server() as server:
        for lib in ("aiogram", "ptb"):
            echo = asyncio.run(echo_run(lib, users, rounds))
            results[f"{lib} echo"] = echo
            print(echo.line(), flush=True)
            url = sqlite_url(tmp, f"{lib}.db")
            r = asyncio.run(product_run(lib, url, users, rounds))
            results[f"{lib} sqlite"] = r
            print(r.line(echo), flush=True)
            # One rep alone: an update's own time, without waiting behind the others'.
            alone = asyncio.run(product_run(lib, sqlite_url(tmp, f"{lib}-1.db"), 1, rounds))
            alone.label += ", 1 rep"
            print(alone.line(), flush=True)
            under_load(tmp, lib, r.rate, quick)
            if server is not None:
                pg_url = server.create_database(f"bench_{lib}")  # type: ignore[attr-defined]
                upgrade(pg_url)
                r = asyncio.run(product_run(lib, pg_url, users, rounds))
                results[f"{lib} postgresql"] = r
                print(r.line(echo), flush=True)
    print("targets (SQLite):")
    for lib in ("aiogram", "ptb"):
        r, echo = results[f"{lib} sqlite"], results[f"{lib} echo"]
        verdict(r.rate >= 0.4 * echo.rate, f"{lib}: {r.rate / echo.rate:.0%} of echo (≥ 40 %)")
        p99 = percentile(r.latencies, 99)
        verdict(p99 <= 30, f"{lib}: p99 {p99:.1f} ms (≤ 30 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
