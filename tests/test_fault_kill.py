"""`kill -9` of `crm-bot run` in the middle of draining the outbox, 20 times.

One bot process at a time drains batches of N rows (one chat per row, so only the overall rate
paces them) into `FakeBotAPI` on 127.0.0.1. Each trial queues a batch, waits until a random
number of its rows reached the Bot API (plus a random few milliseconds, so the kill lands in
any phase: a request under way, its answer, the row's commit), SIGKILLs the process and starts a
new one, which must take the dead sender's rows over once their lease (1 s here) ends and finish
the batch. The new process is the next trial's victim, so 20 trials cost 21 starts. Each start
is `bot.cli.main(["run", "--no-scheduler"])` (migrations, polling, the sender) in a process
forked from a parent that imported the bot once: an import costs 5 s on a busy machine.

Per trial: every row reached the chat at least once and ends `sent`; a row that reached it twice
is a duplicate, counted, and there is at most one per crash (the sender has at most one request
whose outcome is not yet written down); every duplicate is a row flagged `retaken`.
The summary is printed (`pytest -s` shows it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.types import Outgoing
from crm.db import make_engine, make_sessionmaker
from crm.enums import OutboxStatus
from crm.models import OutboxMessage
from crm.services import outbox
from tests.fake_botapi import FakeBotAPI

# kill -9 of real processes, twenty times a database: minutes. One xdist worker for the tests
# of real processes (see test_replicas.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:KILL-token-abcdefghijklmnopqrstuvwxyz"
TRIALS = 20
ROWS = 30  # per trial
FIRST_CHAT = 810_000
LEASE_SECONDS = 1
STARTUP = 20.0  # a start on a busy machine
BUDGET = 180.0  # per database: 40-70 s on SQLite, 50-95 s on PostgreSQL with 2 busy cores


@dataclass
class Trial:
    killed_after: int  # rows of the batch the Bot API had accepted when the kill was sent
    duplicates: int = 0
    retaken: int = 0


@dataclass
class Run:
    trials: list[Trial] = field(default_factory=list)
    starts: int = 0
    seconds: float = 0.0

    def summary(self, backend: str) -> str:
        dups = [t.duplicates for t in self.trials]
        return (
            f"kill -9 on {backend}: {len(self.trials)} trials of {ROWS} rows, "
            f"{self.starts} starts, {self.seconds:.1f} s; lost 0; duplicates {sum(dups)} "
            f"(per trial {dups}); retaken {sum(t.retaken for t in self.trials)}"
        )


def delivered(api: FakeBotAPI, prefix: str) -> Counter[str]:
    """How many times each row's text reached its chat (the fake made the message)."""
    return Counter(
        c.params["text"]
        for c in api.calls_of("sendMessage")
        if c.status == 200 and c.result is not None and str(c.params["text"]).startswith(prefix)
    )


# The parent of the bot processes: it imports the bot once (5 s on a busy machine), then forks
# one child per start that runs `crm-bot run --no-scheduler` (`bot.cli.main`, migrations
# included) - 21 starts without 21 imports. It reads commands on stdin: "start LOGFILE" forks
# and answers "pid N"; "wait" reaps the child and answers "status S" (negative: the signal).
FORK_SERVER = r"""
import os, sys
import bot.cli, bot.runtime, bot.channels.aiogram  # noqa: F401  (the slow imports, once)
child = None
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "start":
        child = os.fork()
        if child == 0:
            fd = os.open(arg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            code = 1
            try:
                code = bot.cli.main(["run", "--no-scheduler"])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print("pid", child, flush=True)
    elif cmd == "wait":
        _, status = os.waitpid(child, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print("status", code, flush=True)
"""


class BotProcess:
    """`crm-bot run` processes, one at a time, forked from a parent that imported the bot."""

    def __init__(self, api: FakeBotAPI, db_url: str, workdir: Path) -> None:
        self.api, self.db_url, self.workdir = api, db_url, workdir
        self.parent: asyncio.subprocess.Process | None = None
        self.pid: int | None = None
        self.logs: list[Path] = []

    async def __aenter__(self) -> BotProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "PTB_"))}
        env.update(
            CRM_TELEGRAM_TOKEN=TOKEN,
            CRM_TELEGRAM_API_URL=self.api.base_url,
            CRM_DATABASE_URL=self.db_url,
            CRM_SENDER_POLL_SECONDS="0.05",
            CRM_SENDER_LEASE_SECONDS=str(LEASE_SECONDS),
            CRM_LOG_LEVEL="WARNING",
            # Any free port: a taken 8081 must not fail the bot as if messages were lost.
            CRM_HEALTH_PORT="0",
            PYTHONPATH=str(ROOT),
        )
        self.parent = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            FORK_SERVER,
            cwd=self.workdir,  # no stray .env file
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.parent is not None
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            await self._ask("wait")
        assert self.parent.stdin is not None
        self.parent.stdin.close()
        try:
            await asyncio.wait_for(self.parent.wait(), 10)
        except TimeoutError:
            self.parent.kill()
            await self.parent.wait()

    async def _ask(self, command: str) -> int:
        assert self.parent is not None and self.parent.stdin and self.parent.stdout
        self.parent.stdin.write(command.encode() + b"\n")
        await self.parent.stdin.drain()
        answer = await asyncio.wait_for(self.parent.stdout.readline(), STARTUP)
        assert answer, "the fork server died"
        return int(answer.split()[1])

    async def start(self) -> None:
        assert self.pid is None
        log = self.workdir / f"bot-{len(self.logs)}.log"
        self.logs.append(log)
        self.pid = await self._ask(f"start {log}")

    async def _end(self, sig: signal.Signals) -> int:
        assert self.pid is not None
        os.kill(self.pid, sig)
        status = await self._ask("wait")
        self.pid = None
        return status

    async def kill(self) -> None:
        assert await self._end(signal.SIGKILL) == -signal.SIGKILL

    async def stop(self) -> int:
        """SIGTERM, as a deployment stops it; the exit status."""
        return await self._end(signal.SIGTERM)


async def _queue(db_url: str, prefix: str) -> None:
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as s, s.begin():
            for i in range(ROWS):
                chat = FIRST_CHAT + i
                assert await outbox.enqueue(
                    s,
                    chat_id=chat,
                    payload=Outgoing(chat, f"{prefix}{i:03d}").to_payload(),
                    dedupe_key=f"{prefix}{i:03d}",
                    due_at=datetime.now(UTC),
                )
    finally:
        await engine.dispose()


async def _rows(db_url: str, prefix: str) -> list[OutboxMessage]:
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as s:
            found = await s.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix))
            )
            return list(found)
    finally:
        await engine.dispose()


async def _wait_delivered(api: FakeBotAPI, prefix: str, count: int, timeout: float) -> None:
    """Until `count` different rows of the batch reached their chats."""
    deadline = time.monotonic() + timeout
    while len(delivered(api, prefix)) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(
                f"{prefix}: {len(delivered(api, prefix))}/{count} rows delivered in {timeout}s"
            )
        # Woken by the next message the fake gets; the loop then counts the batch again.
        with contextlib.suppress(AssertionError):
            await api.wait_for("sendMessage", since=api.mark(), timeout=min(left, 1.0))


async def run_trials(db_url: str, workdir: Path, seed: int) -> Run:
    rng = random.Random(seed)
    run = Run()
    started = time.monotonic()
    async with FakeBotAPI(TOKEN) as api, BotProcess(api, db_url, workdir) as bot:
        await bot.start()
        run.starts += 1
        for n in range(TRIALS):
            prefix = f"kill{n:02d}-"
            await _queue(db_url, prefix)
            # Kill once between 1 and ROWS-5 rows went out: mid-batch, whatever the jitter.
            target = rng.randint(1, ROWS - 5)
            await _wait_delivered(api, prefix, target, STARTUP)
            await asyncio.sleep(rng.uniform(0.0, 0.03))
            await bot.kill()
            trial = Trial(killed_after=len(delivered(api, prefix)))
            assert trial.killed_after < ROWS, f"{prefix}: the batch was done before the kill"
            await bot.start()
            run.starts += 1
            await _wait_delivered(api, prefix, ROWS, STARTUP + 10 * LEASE_SECONDS)
            rows = await _rows(db_url, prefix)
            # The batch is done when every row is recorded sent, not only delivered.
            for _ in range(100):
                if all(r.status == OutboxStatus.SENT for r in rows):
                    break
                await asyncio.sleep(0.05)
                rows = await _rows(db_url, prefix)
            assert len(rows) == ROWS
            assert all(r.status == OutboxStatus.SENT for r in rows), Counter(
                str(r.status) for r in rows
            )
            counts = delivered(api, prefix)
            assert set(counts) == {f"{prefix}{i:03d}" for i in range(ROWS)}, "a row was lost"
            twice = {key for key, times in counts.items() if times > 1}
            trial.duplicates = sum(counts[key] - 1 for key in twice)
            retaken = {r.dedupe_key for r in rows if r.retaken}
            trial.retaken = len(retaken)
            run.trials.append(trial)
            print(f"{prefix} {trial} at {time.monotonic() - started:.1f}s", flush=True)
            assert trial.duplicates <= 1, f"{prefix}: {dict(counts)}"
            # A row sent twice must be one the restarted sender knew it might duplicate.
            assert twice <= retaken, (twice, retaken)
        assert await bot.stop() == 0
    run.seconds = time.monotonic() - started
    for log in bot.logs:
        text = log.read_text(errors="replace")
        assert TOKEN not in text and TOKEN.split(":", 1)[1] not in text
        assert "Traceback" not in text, text
    return run


@pytest.fixture(params=["sqlite", "postgresql"])
def kill_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(backend, URL) of a migrated database of the test's own (a sync fixture: the templates
    are migrated with asyncio.run, outside the test's event loop)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "kill.db"
        path.write_bytes(template.read_bytes())
        yield "sqlite", f"sqlite+aiosqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server")
    request.getfixturevalue("pg_template")
    yield "postgresql", server.create_database("kill9", template="crm_template")
    server.drop_database("kill9")


async def test_kill_9_during_dispatch_loses_nothing(
    kill_db: tuple[str, str], tmp_path: Path
) -> None:
    backend, db_url = kill_db
    run = await asyncio.wait_for(run_trials(db_url, tmp_path, seed=8_2026), BUDGET)
    print("\n" + run.summary(backend))
    assert len(run.trials) == TRIALS and run.starts == TRIALS + 1
    assert all(0 < t.killed_after < ROWS for t in run.trials)
