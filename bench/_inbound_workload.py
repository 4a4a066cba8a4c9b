"""The inbound benchmark's workload (bench/bench_inbound.py tells why it is shaped so): the reps
and their company, a rep's round of updates, and crowds of reps tapping in their own chats
with a person's pauses, measured in windows.

Not a benchmark itself (`make bench` runs bench/bench_*.py only).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from _common import percentile
from _telegram_stub import FakeApi, Updates

from bot.app import App
from bot.channels.pressure import ChatPacer
from bot.demo import DEMO_START
from crm.clock import ManualClock
from crm.enums import Role
from crm.models import Contact, CustomerUser, Staff
from crm.services import tickets
from crm.services.customers import new_customer

# Customer names a one-message visit recognises. A rep sees only their own customers (and the
# team's unowned pool), so reps may share a name: rep k's customer is NAMES[k % len(NAMES)].
NAMES = [f"{a}{b}电厂" for a in "华大国中粤京申浙皖赣晋豫川鲁冀辽吉蒙" for b in "能电源"]
FIRST_REP_TG = 700_000
FIRST_CUSTOMER_TG = 3_000_000
VISIT_TEXT = "拜访{}，见了张工，谈变压器报价，下周二下午跟进"
REPLY_TEXT = "已安排人员上门检查，今天下班前答复您。"
# A person's pause after the answer before the next tap: at least PAUSE_MIN seconds (above the
# pacer's 1.05 s a chat, so a reply of the next update never waits for the previous one's),
# plus an exponential part with mean PAUSE_EXTRA.
PAUSE_MIN = 1.2
PAUSE_EXTRA = 0.5
DEMO_SPEED = 3.0


@dataclass(frozen=True)
class Plan:
    product_reps: int  # the first crowd of the ramp, times `grow` each step up to `cap` times
    echo_reps: int
    grow: int
    cap: int
    settle: float  # seconds a new crowd runs before its window
    window: float
    loaded_window: float
    loads: tuple[float, ...]
    burst: int


# ---------------------------------------------------------------- the company


@dataclass(frozen=True)
class Rep:
    tg: int
    customer: str
    ticket_id: int


async def add_reps(app: App, first: int, n: int) -> list[Rep]:
    """Reps `first`..`first + n - 1` in the demo manager's team, each with a customer (with a
    contact) and an open request from that customer's Telegram user, to answer."""
    from sqlalchemy import select

    now = app.clock.now()
    ks = range(first, first + n)
    async with app.sessions() as s, s.begin():
        manager = await s.scalar(select(Staff).where(Staff.handle == "manager"))
        assert manager is not None
        staff = [
            Staff(
                handle=f"bench{k}",
                tg_user_id=FIRST_REP_TG + k,
                name=f"代表{k}",
                role=Role.SALES,
                locale="zh_CN",
                team="east",
                manager_id=manager.id,
                created_at=now - timedelta(days=100),
            )
            for k in ks
        ]
        s.add_all(staff)
        await s.flush()
        customers = [
            new_customer(
                NAMES[k % len(NAMES)],
                customer_class="A",
                stage="contacted",
                owner_id=st.id,
                team="east",
                claim_expires_at=now + timedelta(days=30),
                created_by=st.id,
                created_at=now - timedelta(days=50),
            )
            for k, st in zip(ks, staff, strict=True)
        ]
        s.add_all(customers)
        await s.flush()
        cusers = [
            CustomerUser(
                tg_user_id=FIRST_CUSTOMER_TG + k,
                name=f"客户{k}",
                customer_id=c.id,
                locale="zh_CN",
                created_at=now - timedelta(days=10),
            )
            for k, c in zip(ks, customers, strict=True)
        ]
        s.add_all(cusers)
        s.add_all(Contact(customer_id=c.id, name="张工", role="decision_maker") for c in customers)
        await s.flush()
        reps = []
        for k, cuser in zip(ks, cusers, strict=True):
            ticket = await tickets.create(
                s, app.rules, cuser, kind="fault", text="配电柜跳闸", now=now
            )
            reps.append(Rep(FIRST_REP_TG + k, NAMES[k % len(NAMES)], ticket.id))
    return reps


def press(api: FakeApi, updates: Updates, uid: int, label: str | None) -> dict[str, Any]:
    """The button whose label contains `label` (None: the first) on the last message to `uid`."""
    sent = api.last.get(uid)
    assert sent is not None and sent.buttons, f"no buttons for {uid}"
    for text, data in sent.buttons:
        if label is None or label in text:
            return updates.callback(uid, data, sent.message_id)
    raise AssertionError(f"no button {label!r} in {sent.buttons}")


Step = Callable[[FakeApi, Updates], dict[str, Any]]


def script(rep: Rep) -> list[Step]:
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


# ---------------------------------------------------------------- what is measured


class Api(FakeApi):
    """The stub, noting when each chat's latest reply was handed to it."""

    def __init__(self) -> None:
        super().__init__()
        self.handed: dict[int, float] = {}
        self.times: dict[int, list[float]] = {}  # every send to the chats listed here

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        result = super().answer(method, params)
        if "chat_id" in params:
            now, chat = time.perf_counter(), int(params["chat_id"])
            self.handed[chat] = now
            if chat in self.times:
                self.times[chat].append(now)
        return result


class HeldPacer(ChatPacer):
    """The adapter's pacer, unchanged, noting how long it held each chat's replies."""

    def __init__(self) -> None:
        super().__init__()
        self.held: defaultdict[int, float] = defaultdict(float)

    def reserve(self, chat_id: int) -> float:
        delay = super().reserve(chat_id)
        self.held[chat_id] += delay
        return delay


@dataclass
class Subject:
    """What the crowds tap on: the dispatch, the stub, the pacer (None: echo) and the reps."""

    label: str
    feed: Callable[[dict[str, Any]], Awaitable[None]]
    api: Api
    pacer: HeldPacer | None
    new_reps: Callable[[int, int], Awaitable[list[Rep]]]
    clock: ManualClock | None = None
    reps: list[Rep] = field(default_factory=list)
    turn: dict[int, int] = field(default_factory=dict)  # each rep's next step in its round
    updates: Updates = field(default_factory=Updates)
    held: list[float] = field(default_factory=list)  # ms the pacer held each update's replies
    answered: dict[int, float] = field(default_factory=dict)  # each rep's last answer
    started: float = field(default_factory=time.perf_counter)

    async def grow(self, n: int) -> None:
        if n > len(self.reps):
            added = await self.new_reps(len(self.reps), n - len(self.reps))
            for k, rep in enumerate(added, len(self.reps)):
                # A third of the reps start their round with the visit, a third with the card
                # lookup, a third with the ticket: a crowd does not all do the same step.
                self.turn[rep.tg] = 2 * (k % 3)
            self.reps += added

    async def tap(self, rep: Rep) -> tuple[float, float]:
        """`rep`'s next update of their round: when its last reply was handed over, and the
        seconds the pacer held its replies."""
        k = self.turn.get(rep.tg, 0)
        steps = script(rep)
        self.turn[rep.tg] = (k + 1) % len(steps)
        if self.clock is not None:
            elapsed = DEMO_SPEED * (time.perf_counter() - self.started)
            self.clock.set(DEMO_START + timedelta(seconds=elapsed))
        update = steps[k](self.api, self.updates)
        self.api.handed.pop(rep.tg, None)
        await self.feed(update)
        answered = self.api.handed.get(rep.tg) or time.perf_counter()
        held = self.pacer.held.pop(rep.tg, 0.0) if self.pacer is not None else 0.0
        self.held.append(held * 1000)
        self.answered[rep.tg] = answered
        return answered, held

    async def warm(self) -> None:
        """One update before anything is measured: the first visit read loads the language
        package's dictionaries (most of a second), which no later update pays."""
        await self.grow(1)
        await self.tap(self.reps[0])

    def cycle(self, held_ms: float) -> float:
        """Seconds between one rep's taps when the bot answers at once."""
        return PAUSE_MIN + PAUSE_EXTRA + held_ms / 1000


@dataclass
class Measure:
    label: str
    reps: int
    seconds: float
    total: list[float]  # ms to the last reply, the pacer's holds included
    held: list[float]  # ms the pacer held the update's replies
    cpu: float  # this process's CPU seconds over the window's: ~1 when the loop never idles

    @property
    def rate(self) -> float:
        return len(self.total) / self.seconds

    @property
    def own(self) -> list[float]:
        return [t - h for t, h in zip(self.total, self.held, strict=True)]

    def line(self, note: str = "") -> str:
        return (
            f"  {self.label:<24} {self.reps:>5} reps {self.rate:6.0f} updates/s  "
            f"p50 {percentile(self.own, 50):6.1f} ms  p99 {percentile(self.own, 99):6.1f} ms  "
            f"CPU {self.cpu:4.0%} ({self.rate / max(self.cpu, 1e-9):5.0f}/CPU-s){note}"
        )


class Crowd:
    """Reps tapping in their own chats, each pausing after the answer as a person does."""

    def __init__(self, subject: Subject, reps: list[Rep], seed: int) -> None:
        self.s = subject
        self.rng = random.Random(seed)
        self.done: list[tuple[float, float, float]] = []  # (answered at, total ms, held ms)
        self.pausing: set[asyncio.Task[None]] = set()
        self.stopping = False
        self.tasks = [asyncio.create_task(self._tap(rep)) for rep in reps]

    async def _tap(self, rep: Rep) -> None:
        s, me = self.s, asyncio.current_task()
        assert me is not None
        self.pausing.add(me)
        # A crowd that starts all at once is a burst, not people: spread over one pause; and
        # a rep of an earlier crowd still pauses after their last answer.
        due = max(
            time.perf_counter() + self.rng.uniform(0, PAUSE_MIN + PAUSE_EXTRA),
            self.s.answered.get(rep.tg, 0.0) + PAUSE_MIN,
        )
        await asyncio.sleep(due - time.perf_counter())
        while True:
            self.pausing.discard(me)
            answered, held = await s.tap(rep)
            # From the moment the rep tapped, not from when this task got the loop: an update
            # that waits for the loop (behind others' work) waits as it would in the bot.
            self.done.append((answered, (answered - due) * 1000, held * 1000))
            self.pausing.add(me)
            if self.stopping:
                return
            due = answered + PAUSE_MIN + self.rng.expovariate(1 / PAUSE_EXTRA)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))

    async def window(self, label: str, seconds: float) -> Measure:
        """The updates answered within the next `seconds`."""
        self.done = []
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.sleep(seconds)
        end, cpu = time.perf_counter(), time.process_time() - cpu
        got = [d for d in self.done if start <= d[0] < end]
        total, held = [d[1] for d in got], [d[2] for d in got]
        return Measure(label, len(self.tasks), end - start, total, held, cpu / (end - start))

    async def stop(self) -> None:
        """Updates being handled finish; pauses are cut short."""
        self.stopping = True
        for task in self.pausing:
            task.cancel()
        for outcome in await asyncio.gather(*self.tasks, return_exceptions=True):
            if isinstance(outcome, Exception):
                raise outcome


async def measure(subject: Subject, n: int, label: str, plan: Plan, seconds: float) -> Measure:
    await subject.grow(n)
    crowd = Crowd(subject, subject.reps[:n], seed=n)
    try:
        await asyncio.sleep(plan.settle)
        return await crowd.window(label, seconds)
    finally:
        await crowd.stop()
