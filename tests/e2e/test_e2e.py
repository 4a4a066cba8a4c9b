"""End to end: the real `crm-bot run` process against the `telegram-test-api` emulator.

For each Telegram adapter (CRM_CHANNEL=aiogram, CRM_CHANNEL=ptb) one bot process runs on a
fresh copy of the seeded demo database, polling the emulator over HTTP on 127.0.0.1 through
`launcher.Mender`, while the scenarios below act as its users through the emulator's client
API; the last test stops it with SIGTERM. Nothing is faked inside the bot: migrations, the
engine, the outbox sender and the scheduler all run. One process per adapter, not per test,
because starting one (imports, above all aiogram's) is most of the time this file takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.db import make_engine, make_sessionmaker
from crm.models import Customer, FollowUp, Staff, Ticket
from tests.e2e.launcher import BotMessage, Call, Client, Emulator, Mender, User, bot_env

TOKEN = "123456:E2E-token-abcdefghijklmnopqrstuvwxyz0123"
# How each library introduces itself (its User-Agent): which adapter is really talking.
AGENTS = {"aiogram": "aiogram/", "ptb": "python-telegram-bot"}
STARTUP = 30.0  # imports and migrations on a slow machine
STEP = 10.0  # one answer from the bot
SCENARIO = 45.0  # one whole test
STOP = 10.0
TZ = ZoneInfo("Asia/Shanghai")

CUSTOMER = User(910001, "Mei", "mei_e2e")
REP = User(910002, "Sam", "sam_e2e")
MANAGER = User(1002, "Li", "manager_e2e", "zh-hans")  # the demo's manager, 李经理
QUESTION = "What does a 400 kVA connection cost per month?"
VISIT = "visited Acme, met Li, they want a quote, follow up tomorrow 10am"

# The fixture's bot lives through all the tests of one adapter: they share its event loop.
# One xdist worker for the tests of real processes (see tests/test_replicas.py); the emulator and
# bot are module fixtures.
pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.slow,
    pytest.mark.xdist_group("processes"),
]


@dataclass
class Stack:
    """The emulator, the proxy in front of it, a user client, and the bot process."""

    channel: str
    tmp: Path
    db_url: str
    emulator: Emulator
    mender: Mender
    client: Client
    proc: asyncio.subprocess.Process | None = None
    log: bytearray = field(default_factory=bytearray)  # the bot's stderr so far (JSON lines)
    reader: asyncio.Future[Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    edits_seen: dict[int, int] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        engine = make_engine(self.db_url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                yield session
        finally:
            await engine.dispose()

    async def crm_bot(self, *args: str) -> str:
        """Another `crm-bot` command on the same database (stdout)."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *args,
            "--db",
            self.db_url,
            cwd=self.tmp,
            env=bot_env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        return out.decode()

    async def start_bot(self) -> None:
        """`crm-bot run`; returns once the expected library polls the emulator."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=self.tmp,  # no stray .env file
            env=bot_env(
                CRM_CHANNEL=self.channel,
                CRM_TELEGRAM_TOKEN=TOKEN,
                CRM_TELEGRAM_API_URL=self.mender.url,
                CRM_DATABASE_URL=self.db_url,
                CRM_SCHEDULER_TICK_SECONDS="1",
                CRM_SENDER_POLL_SECONDS="0.2",
                CRM_LOG_LEVEL="INFO",
                CRM_LOG_JSON="true",
            ),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.reader = asyncio.gather(self._read(self.proc.stdout), self._read(self.proc.stderr))
        agent = AGENTS[self.channel]
        while not any(c.method == "getUpdates" for c in self.mender.calls):
            if self.proc.returncode is not None or loop.time() - started > STARTUP:
                await self.stop_bot(kill=True)
                raise AssertionError(
                    f"CRM_CHANNEL={self.channel}: the bot never polled "
                    f"(exit status {self.proc.returncode}):\n{self.stderr[-4000:]}"
                )
            await asyncio.sleep(0.05)
        self.timings["startup"] = loop.time() - started
        agents = {c.user_agent for c in self.mender.calls}
        assert all(agent in a for a in agents), (
            f"CRM_CHANNEL={self.channel} but the Bot API calls came from {sorted(agents)}, "
            f"not from {agent!r}: the runtime did not pick this channel's adapter"
        )

    async def wait_call(self, method: str, timeout: float = STEP) -> Call:
        """The first answered Bot API call of `method` the bot made."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (done := [c for c in self.mender.calls if c.method == method and c.status]):
            assert loop.time() < deadline, f"the bot made no {method} call in {timeout:g} s"
            await asyncio.sleep(0.05)
        return done[0]

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.log += chunk

    @property
    def stderr(self) -> str:
        return self.log.decode(errors="replace")

    async def expect(
        self, user: User, match: str | Callable[[BotMessage], bool], timeout: float = STEP
    ) -> BotMessage:
        """`Client.expect`, or a message the bot edited in place (a pressed flow button edits its
        message; the emulator's client sees only new ones, so the edits are read from the calls
        the proxy recorded); when nothing comes, the bot's last log lines say why."""
        test = (lambda m: match in m.text) if isinstance(match, str) else match
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                return await self.client.expect(user, match, timeout=0.2)
            except AssertionError as e:
                error = e
            for edited in self._edits(user):
                if test(edited):
                    return edited
            if loop.time() >= deadline:
                tail = "\n".join(self.stderr.splitlines()[-15:])
                raise AssertionError(
                    f"{error}\n[{self.channel}] the bot's last log lines:\n{tail}"
                ) from None

    def _edits(self, user: User) -> list[BotMessage]:
        """Messages edited in place since the last look, as the user now sees them."""
        seen = self.edits_seen.get(user.id, 0)
        calls = self.mender.calls
        found = []
        for call in calls[seen:]:
            if call.method.lower() != "editmessagetext" or call.status != 200:
                continue
            if str(call.params.get("chat_id")) != str(user.id):
                continue
            markup = call.params.get("reply_markup") or {}
            if isinstance(markup, str):
                markup = json.loads(markup)
            found.append(
                BotMessage(
                    message_id=int(call.params["message_id"]),
                    chat_id=user.id,
                    text=str(call.params.get("text") or ""),
                    sent_at=datetime.now(UTC).timestamp(),
                    inline=markup.get("inline_keyboard") or [],
                    keyboard=[],
                )
            )
        self.edits_seen[user.id] = len(calls)
        return found

    async def stop_bot(self, *, kill: bool = False) -> int | None:
        """SIGTERM (or SIGKILL), then the exit status; the process never outlives a test."""
        proc = self.proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), STOP)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reader, 5)
        return proc.returncode

    async def finish(self) -> None:
        """The bot stops on SIGTERM, promptly, with status 0 and no errors logged."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        status = await self.stop_bot()
        self.timings["stop"] = loop.time() - started
        err = self.stderr
        assert status == 0, f"exit status {status}:\n{err[-4000:]}"
        events = []
        for line in err.splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and "event" in record:
                    events.append(record)
        names = [e["event"] for e in events]
        assert "bot_started" in names and names[-1] == "bot_stopped", err[-4000:]
        errors = [e for e in events if e.get("level") in ("error", "critical")]
        assert not errors, errors
        for problem in ("Traceback", "Task was destroyed", "never retrieved", "Unclosed"):
            assert problem not in err, err[-4000:]
        assert TOKEN.split(":", 1)[1] not in err, "the bot token reached the logs"
        unsupported = sorted({f"{c.method} ({c.status})" for c in self.mender.unsupported})
        print(
            f"\n[{self.channel}] timings: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items())
            + f"; calls the emulator could not serve: {unsupported or 'none'}"
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=sorted(AGENTS))
async def stack(
    request: pytest.FixtureRequest,
    emulator_ready: None,
    demo_db: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    """The emulator, the proxy, and `crm-bot run` with CRM_CHANNEL=<param>, polling."""
    tmp = tmp_path_factory.mktemp(f"e2e-{request.param}")
    shutil.copyfile(demo_db, tmp / "crm.db")
    emulator = Emulator()
    mender: Mender | None = None
    running: Stack | None = None
    try:
        await emulator.start()
        mender = Mender(emulator.url)
        await mender.start()
        async with Client(emulator.url, TOKEN) as client:
            running = Stack(
                channel=request.param,
                tmp=tmp,
                db_url=f"sqlite+aiosqlite:///{tmp / 'crm.db'}",
                emulator=emulator,
                mender=mender,
                client=client,
            )
            await running.start_bot()
            yield running
    finally:
        # Whatever happened, neither the bot nor node outlives the module.
        if running is not None:
            await running.stop_bot(kill=True)
        if mender is not None:
            await mender.stop()
        await emulator.stop()


async def step(stack: Stack, name: str, coro: Any) -> Any:
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await coro
    stack.timings[name] = stack.timings.get(name, 0.0) + loop.time() - started
    return result


async def test_customer_sends_an_inquiry_through_buttons(stack: Stack) -> None:
    """(a) /start, then kind → category → text → Done → Send: a ticket number comes back.

    Then the manager asks for the day's summary, which needs a method the emulator lacks.
    """
    c, me = stack.client, CUSTOMER
    async with asyncio.timeout(SCENARIO):

        async def inquiry() -> str:
            await c.say(me, "/start")
            welcome = await stack.expect(me, "Welcome!")
            new = next(b for row in welcome.keyboard for b in row if "New request" in b)
            await c.say(me, new)  # a reply-keyboard button sends its label
            kinds = await stack.expect(me, "What would you like to send us?")
            await c.press(me, kinds, "Inquiry")
            categories = await stack.expect(me, "Inquiry: what is it about?")
            await c.press(me, categories, "Tariffs and prices")
            await stack.expect(me, "please describe it in one message")
            await c.say(me, QUESTION)
            extras = await stack.expect(me, "then tap Done")
            await c.press(me, extras, "Done")
            confirm = await stack.expect(me, "Send this to us?")
            assert QUESTION in confirm.text and "Tariffs and prices" in confirm.text
            await c.press(me, confirm, "Send")
            done = await stack.expect(me, "Your request number is")
            number = re.search(r"\bT-\d{4}-\d{6}\b", done.text)
            assert number, done.text
            return number.group()

        number = await step(stack, "inquiry", inquiry())
        async with stack.db() as s:
            ticket = await s.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None, number
        assert (ticket.kind, ticket.category, ticket.text) == ("inquiry", "tariff", QUESTION)

        async def summary() -> None:
            # The emulator has no sendPhoto (nor sendDocument, setMyCommands), and the bot must
            # live with that. The manager's /summary is figures with a chart, sent as a photo
            # with the text as its caption: refused (500), the bot sends the figures alone.
            boss = MANAGER
            await c.say(boss, "/summary")
            photo = await stack.wait_call("sendPhoto")
            assert photo.status == 500 and photo.params["chat_id"] == boss.id, photo
            await stack.expect(boss, "Lucy Chen")
            await c.say(boss, "/help")
            await stack.expect(boss, "/summary")

        await step(stack, "summary", summary())


async def test_invited_rep_logs_a_visit_and_gets_the_reminder(stack: Stack) -> None:
    """(b) an invited rep joins and logs a visit in one message; (c) its reminder arrives."""
    c, me = stack.client, REP
    async with asyncio.timeout(SCENARIO):
        out = await stack.crm_bot(
            "invite", "--role", "sales", "--name", "Sam E2E", "--manager", "manager"
        )
        token = re.search(r"^token: (\S+)", out, re.M)
        assert token, out

        async def join_and_visit() -> None:
            await c.say(me, f"/start {token.group(1)}")
            await stack.expect(me, "You are signed in as: sales rep")
            # Acme Logistics (Lucy Chen's in the demo) becomes one of the new rep's customers.
            async with stack.db() as s:
                staff = await s.scalar(select(Staff).where(Staff.tg_user_id == me.id))
                assert staff is not None and staff.role == "sales" and staff.name == "Sam E2E"
                await s.execute(
                    update(Customer)
                    .where(Customer.name == "Acme Logistics")
                    .values(owner_id=staff.id)
                )
            await c.say(me, VISIT)
            card = await stack.expect(me, lambda m: any("Save" in b for b in m.labels))
            assert "Acme Logistics" in card.text and "Li" in card.text, card.text
            await c.press(me, card, "Save")
            saved = await stack.expect(me, "Saved: visit to Acme Logistics.")
            assert "I will remind you on" in saved.text, saved.text

        await step(stack, "join+visit", join_and_visit())
        tomorrow_10 = datetime.combine(
            datetime.now(TZ).date() + timedelta(days=1), datetime.min.time(), TZ
        ).replace(hour=10)
        async with stack.db() as s:
            staff_id = await s.scalar(select(Staff.id).where(Staff.tg_user_id == me.id))
            fu = await s.scalar(select(FollowUp).where(FollowUp.staff_id == staff_id))
            assert fu is not None and fu.due_at == tomorrow_10, fu and fu.due_at
            fu_id = fu.id
            # (c) due in a few seconds: the scheduler (1 s ticks) queues it, the sender sends it.
            due = datetime.now(UTC) + timedelta(seconds=3)
            await s.execute(update(FollowUp).where(FollowUp.id == fu_id).values(due_at=due))

        async def reminder() -> None:
            got = await stack.expect(me, "Follow-up due", timeout=15)
            assert "Acme Logistics" in got.text, got.text
            assert got.sent_at >= due.timestamp() - 0.01, "reminded before it was due"
            await c.press(me, got, "Done")
            await stack.expect(me, "Marked done: follow-up with Acme Logistics.")

        await step(stack, "reminder", reminder())
        async with stack.db() as s:
            fu = await s.get(FollowUp, fu_id)
            assert fu is not None and fu.status == "done" and fu.reminded_at is not None


async def test_the_bot_stops_cleanly_on_sigterm(stack: Stack) -> None:
    """After the scenarios: exit status 0, promptly, with no error or traceback in its logs."""
    await stack.finish()
