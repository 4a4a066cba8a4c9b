"""Three `crm-bot run` replicas on one PostgreSQL, fed by webhook, the scheduler leader killed.

What runs: one PostgreSQL (the `pg_server` fixture), the fake Bot API (`tests.fake_botapi`) on
127.0.0.1, and three real processes (`crm-bot run`, webhook mode, alternately aiogram and
python-telegram-bot), each a full replica: webhook receiver, outbox sender and scheduler
candidate. The processes share the database and the system clock, so reminders are seeded due a
few seconds ahead in real time and fall due while the test runs.

This test plays Telegram and its load balancer: 200 customers each send a request through the
ticket flow (10 updates: /new, kind, category, text, four photos sent at once, Done, Send),
2,000 updates round-robin over the three webhooks with the secret header, at most 20 in flight.
Like Telegram it only sends a user's next update once the previous one was answered (the four
photos go together, to different replicas: they race for the same draft), and it resends to a
live replica an update whose POST failed. Midway it kills (SIGKILL) the replica holding the
scheduler's leader lock, found in pg_locks, and keeps feeding; more reminders are seeded then,
due while the stand-bys take over.

Its time is the replicas' CPU: about 10 updates/s on two cores shared with other work (some
three minutes), faster on a quiet machine. Every wait has a timeout and the processes are always
stopped (SIGTERM, then SIGKILL) on the way out.

Then: every update processed exactly once (processed_update; each reply delivered once at the
fake API), every conversation consistent (ended, one ticket each with exactly its text and four
photos, the draft's counter 1-4 seen in order), every reminder due during the run delivered
exactly once, a stand-by leading within 30 s. A reply or reminder the killed replica had sent but
not yet recorded is sent again by another replica (its outbox row is flagged `retaken`, the
documented "possibly twice"): only such rows may show twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, text

from bot.webhook import PATH, SECRET_HEADER
from crm.db import make_engine, make_sessionmaker
from crm.models import (
    ConversationState,
    CustomerUser,
    FollowUp,
    OutboxMessage,
    ProcessedUpdate,
    Staff,
    Ticket,
    TicketMessage,
)
from crm.services.customers import new_customer
from scheduler.leader import LEADER_LOCK_KEY
from tests.fake_botapi import Call, FakeBotAPI

# Three real replicas and a killed leader: a minute or more. The tests that start real bot
# processes and time their start-up share one xdist worker (`make test -n 2 --dist loadgroup`):
# two such tests at once on two cores would starve each other past those time limits.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]

ROOT = Path(__file__).resolve().parent.parent
CRM_BOT = Path(sys.executable).parent / "crm-bot"
TOKEN = "424242:REPLICA-token-abcdefghijklmnopqrstuvwxyz"
SECRET = "replica-hook-secret"
LIBS = ["aiogram", "ptb", "aiogram"]
USERS = 200
FIRST_USER = 910_000
REPS = 10
FIRST_REP = 920_000
REMINDERS_BEFORE = 20  # due during the first half, led by the first leader
REMINDERS_AFTER = 20  # seeded once the leader is killed, due while the stand-bys take over
PHOTOS = 4
UPDATES_PER_USER = 6 + PHOTOS
STARTUP = 60.0
TAKEOVER_LIMIT = 30.0
POST_TIMEOUT = 60.0
FEED_TIMEOUT = 300.0  # generous: a loaded 2-core machine feeds about 10 updates/s
SETTLE_TIMEOUT = 40.0

REPLY_METHODS = ("sendMessage", "editMessageText")
STEP_TEXTS = [
    "What would you like to send us?",
    "Complaint: what is it about?",
    "Complaint: please describe it in one message.",
    "Add photos, documents or the fault's location if they help, then tap Done.",
    *[f"Attached ({n}). More, or tap Done." for n in range(1, PHOTOS + 1)],
    "Send this to us?",  # the confirmation's last line
    "Thank you. Your request number is",  # the start of the last reply
]
LEADER_SQL = text(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted"
    " AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Replica:
    lib: str
    port: int
    log: Path
    proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


@dataclass
class Feed:
    """Telegram and its load balancer: round-robin over live replicas, resends on failure."""

    http: aiohttp.ClientSession
    replicas: list[Replica]
    live: list[Replica]
    posted: int = 0
    resent: int = 0
    resent_ids: set[int] = field(default_factory=set)
    why: Counter[str] = field(default_factory=Counter)  # what made a POST fail, per replica
    latency: list[float] = field(default_factory=list)
    halfway: asyncio.Event = field(default_factory=asyncio.Event)
    # Updates in flight at once, as Telegram's setWebhook max_connections caps them (40 by
    # default): about what three replicas on a small machine serve; more would only queue.
    # A semaphore, not the connector's limit: its waiters are served in order, and the POST's
    # timeout then counts the request alone, as Telegram's does.
    in_flight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(20))

    async def post(self, update: dict[str, Any]) -> None:
        for attempt in range(20):
            async with self.in_flight:
                if await self._try(update):
                    return
            # Telegram resends an update whose POST failed; the balancer picks a live replica.
            self.resent += 1
            self.resent_ids.add(update["update_id"])
            await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError(f"update {update['update_id']} was never accepted")

    async def _try(self, update: dict[str, Any]) -> bool:
        replica = self.live[self.posted % len(self.live)]
        self.posted += 1
        if self.posted >= USERS * UPDATES_PER_USER // 2:
            self.halfway.set()
        started = time.monotonic()
        try:
            async with self.http.post(
                replica.url,
                json=update,
                headers={SECRET_HEADER: SECRET},
                timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT),
            ) as r:
                await r.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.why[f"{type(exc).__name__} {replica.lib}:{replica.port}"] += 1
            return False
        self.latency.append(time.monotonic() - started)
        assert r.status in (200, 500, 502, 503), f"{r.status} from {replica.lib}:{replica.port}"
        return r.status == 200


class Replies:
    """The bot's messages per chat at the fake API, read incrementally (the call list is long)."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self.seen = 0
        self.last_message: dict[int, int] = {}
        self.texts: defaultdict[int, list[str]] = defaultdict(list)

    def scan(self) -> None:
        calls = self.api.calls
        for call in calls[self.seen :]:
            self._take(call)
        self.seen = len(calls)

    def _take(self, call: Call) -> None:
        if call.method not in REPLY_METHODS or call.status != 200:
            return
        chat = call.params.get("chat_id")
        if not isinstance(chat, int) or _keyboard_carrier(call):
            return
        self.texts[chat].append(call.params.get("text", ""))
        if call.method == "sendMessage" and isinstance(call.result, dict):
            self.last_message[chat] = call.result["message_id"]


def _keyboard_carrier(call: Call) -> bool:
    """The short message a step's location or contact request button travels on (a message
    with inline buttons cannot also carry a reply keyboard): not a reply of its own."""
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    keys = [b for row in markup.get("keyboard") or [] for b in row if isinstance(b, dict)]
    return not markup.get("inline_keyboard") and any(
        b.get("request_location") or b.get("request_contact") for b in keys
    )


def photo(uid: int, k: int) -> dict[str, Any]:
    return {
        "photo": [
            {
                "file_id": f"photo-{uid}-{k}",
                "file_unique_id": f"u-{uid}-{k}",
                "width": 640,
                "height": 480,
                "file_size": 2048,
            }
        ]
    }


async def run_user(api: FakeBotAPI, replies: Replies, feed: Feed, uid: int) -> list[int]:
    """One customer's request, a step at a time, as Telegram delivers them; the update ids."""
    ids: list[int] = []

    async def send(update: dict[str, Any]) -> None:
        ids.append(update["update_id"])
        await feed.post(update)

    def press(data: str) -> dict[str, Any]:
        replies.scan()
        # The button is on the bot's last message to the user (an edit of it if it was edited).
        return api.push_callback(uid, data, replies.last_message.get(uid, 1))

    await send(api.push_message(uid, "/new", language_code="en", first_name=f"User{uid}"))
    await send(press("~ticket.kind:complaint"))
    await send(press("~ticket.category:service"))
    await send(api.push_message(uid, f"user {uid}: the lights flicker", language_code="en"))
    # The photos together, to different replicas: they race for the same draft.
    shots = [api.push_content(uid, photo(uid, k), language_code="en") for k in range(PHOTOS)]
    ids.extend(u["update_id"] for u in shots)
    await asyncio.gather(*[feed.post(u) for u in shots])
    await send(press("~ticket.extras:done"))
    await send(press("~ticket.confirm:send"))
    return ids


async def seed(url: str, now: datetime) -> list[int]:
    """The sales reps the reminders go to; their staff ids."""
    db = make_engine(url)
    sessions = make_sessionmaker(db)
    try:
        async with sessions() as s, s.begin():
            reps = [
                Staff(
                    tg_user_id=FIRST_REP + i,
                    handle=f"rep{i}",
                    name=f"Rep {i}",
                    role="sales",
                    locale="en",
                    created_at=now,
                )
                for i in range(REPS)
            ]
            s.add_all(reps)
            await s.flush()
            return [r.id for r in reps]
    finally:
        await db.dispose()


async def add_followups(
    url: str, staff_ids: list[int], first: int, count: int, start: datetime, spread: float
) -> list[str]:
    """`count` follow-ups due from `start` over `spread` seconds; their notes (unique)."""
    db = make_engine(url)
    sessions = make_sessionmaker(db)
    notes = []
    try:
        async with sessions() as s, s.begin():
            for n in range(first, first + count):
                customer = new_customer(
                    f"Replica Co {n}", owner_id=staff_ids[n % len(staff_ids)], stage="lead"
                )
                s.add(customer)
                await s.flush()
                note = f"replica follow-up {n}"
                s.add(
                    FollowUp(
                        customer_id=customer.id,
                        staff_id=staff_ids[n % len(staff_ids)],
                        note=note,
                        due_at=start + timedelta(seconds=spread * (n - first) / max(count, 1)),
                        created_at=start,
                    )
                )
                notes.append(note)
    finally:
        await db.dispose()
    return notes


async def leader_pid(url: str) -> int | None:
    db = make_engine(url)
    try:
        async with db.connect() as conn:
            names = [r[0] for r in await conn.execute(LEADER_SQL, {"key": LEADER_LOCK_KEY})]
    finally:
        await db.dispose()
    assert len(names) <= 1, names
    if not names:
        return None
    m = re.search(r"pid=(\d+)", names[0])
    assert m, names[0]
    return int(m.group(1))


@pytest.fixture
def replica_db(pg_server: Any, pg_template: str) -> Iterator[str]:
    name = f"replicas_{uuid.uuid4().hex[:10]}"
    url = pg_server.create_database(name, template=pg_template)
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            pg_server.drop_database(name)


@contextlib.asynccontextmanager
async def replicas(api: FakeBotAPI, db_url: str, tmp_path: Path) -> AsyncIterator[list[Replica]]:
    """Three `crm-bot run` processes; always stopped (SIGTERM, then SIGKILL) on the way out."""
    group = [Replica(lib, free_port(), tmp_path / f"replica{i}.log") for i, lib in enumerate(LIBS)]
    logs = []
    try:
        for r in group:
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("CRM_")},
                "CRM_DATABASE_URL": db_url,
                "CRM_TELEGRAM_TOKEN": TOKEN,
                "CRM_TELEGRAM_API_URL": api.base_url,
                "CRM_CHANNEL": r.lib,
                # Each update's reply is counted as its own message below: two replies to one
                # chat joined by the pacer (a retaken reply beside a new one) would read as one.
                "CRM_COALESCE_REPLIES": "0",
                "CRM_WEBHOOK_URL": r.url,
                "CRM_WEBHOOK_SECRET": SECRET,
                "CRM_WEBHOOK_LISTEN": "127.0.0.1",
                "CRM_WEBHOOK_PORT": str(r.port),
                "CRM_LOCALE": "en",
                "CRM_LOG_JSON": "true",
                "CRM_SCHEDULER_TICK_SECONDS": "3",
                "CRM_SENDER_POLL_SECONDS": "0.5",
                "CRM_SENDER_LEASE_SECONDS": "10",
                "CRM_REPLY_LEASE_SECONDS": "10",
                "CRM_LEADER_RETRY_SECONDS": "1",
                "CRM_LEADER_CHECK_SECONDS": "1",
            }
            log = r.log.open("wb")
            logs.append(log)
            r.proc = await asyncio.create_subprocess_exec(
                str(CRM_BOT),
                "run",
                cwd=str(tmp_path),
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        async with asyncio.timeout(STARTUP):
            while len({c.params.get("url") for c in api.calls_of("setWebhook")}) < len(group):
                for r in group:
                    assert r.proc is not None and r.proc.returncode is None, r.log.read_text()
                await asyncio.sleep(0.1)
        yield group
    finally:
        for r in group:
            if r.proc is not None and r.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    r.proc.send_signal(signal.SIGTERM)
        for r in group:
            if r.proc is None:
                continue
            try:
                await asyncio.wait_for(r.proc.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    r.proc.kill()
                await r.proc.wait()
        for log in logs:
            log.close()


def events(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "event" in record:
                out.append(record)
    return out


async def test_three_replicas_one_database_the_leader_killed(
    replica_db: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    staff_ids = await seed(replica_db, datetime.now(UTC))
    async with FakeBotAPI(TOKEN) as api, replicas(api, replica_db, tmp_path) as group:
        # Due from now on, during the first half of the feed.
        notes = await add_followups(
            replica_db, staff_ids, 0, REMINDERS_BEFORE, datetime.now(UTC) + timedelta(seconds=1), 8
        )
        first_leader = None
        async with asyncio.timeout(15):
            while first_leader is None:
                first_leader = await leader_pid(replica_db)
                await asyncio.sleep(0.1)
        assert first_leader in {r.pid for r in group}

        replies = Replies(api)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:
            feed = Feed(http, group, list(group))
            users = [
                asyncio.create_task(run_user(api, replies, feed, FIRST_USER + i))
                for i in range(USERS)
            ]
            feeding = asyncio.gather(*users)
            try:
                async with asyncio.timeout(FEED_TIMEOUT):
                    await asyncio.wait(
                        {asyncio.ensure_future(feed.halfway.wait()), feeding},
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    assert feed.halfway.is_set(), "the feed ended before halfway"
                    # Midway: kill -9 the leader; the balancer stops sending it anything.
                    victim = next(r for r in group if r.pid == first_leader)
                    os.kill(victim.pid, signal.SIGKILL)
                    killed_at = time.monotonic()
                    feed.live.remove(victim)
                    # Due while nobody may lead yet: the next leader must send them.
                    notes += await add_followups(
                        replica_db,
                        staff_ids,
                        REMINDERS_BEFORE,
                        REMINDERS_AFTER,
                        datetime.now(UTC),
                        5,
                    )
                    new_leader = None
                    while new_leader is None or new_leader == first_leader:
                        new_leader = await leader_pid(replica_db)
                        await asyncio.sleep(0.1)
                    takeover = time.monotonic() - killed_at
                    assert new_leader in {r.pid for r in feed.live}
                    ids_per_user = await feeding
            finally:
                for task in users:
                    task.cancel()
                await asyncio.gather(*users, return_exceptions=True)
            fed_at = time.monotonic()

        # Settle: everything journaled or queued is sent (leases of the dead replica run out).
        db = make_engine(replica_db)
        sessions = make_sessionmaker(db)
        try:
            async with asyncio.timeout(SETTLE_TIMEOUT):
                while True:
                    async with sessions() as s:
                        open_rows = await s.scalar(
                            select(text("count(*)"))
                            .select_from(OutboxMessage)
                            .where(OutboxMessage.status.in_(["pending", "sending"]))
                        )
                        reminded = await s.scalar(
                            select(text("count(*)"))
                            .select_from(FollowUp)
                            .where(FollowUp.reminded_at.is_(None))
                        )
                    if not open_rows and not reminded:
                        break
                    await asyncio.sleep(0.3)
            await asyncio.sleep(0.5)  # the last mark_sent's request already answered
            replies.scan()

            async with sessions() as s:
                processed = list(await s.scalars(select(ProcessedUpdate.update_id)))
                states = list(await s.scalars(select(ConversationState)))
                cusers = {
                    c.tg_user_id: c
                    for c in await s.scalars(
                        select(CustomerUser).where(CustomerUser.tg_user_id >= FIRST_USER)
                    )
                }
                tickets = list(await s.scalars(select(Ticket)))
                firsts = {
                    m.ticket_id: m
                    for m in await s.scalars(
                        select(TicketMessage).where(TicketMessage.author_kind == "customer")
                    )
                }
                retaken_rows = list(
                    await s.scalars(select(OutboxMessage).where(OutboxMessage.retaken.is_(True)))
                )
                dead = list(
                    await s.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead"))
                )
        finally:
            await db.dispose()

        # -- every update processed exactly once
        sent_ids = [i for ids in ids_per_user for i in ids]
        assert len(sent_ids) == USERS * UPDATES_PER_USER == len(set(sent_ids))
        assert sorted(processed) == sorted(sent_ids)
        assert feed.resent > 0, "no update was in flight at the killed replica: nothing tested"
        assert not dead, [(r.dedupe_key, r.last_error) for r in dead]

        # -- each update's reply delivered once (twice only where the row says "possibly")
        retaken_texts: defaultdict[int, Counter[str]] = defaultdict(Counter)
        for row in retaken_rows:
            retaken_texts[row.chat_id][row.payload["text"]] += 1
        for i in range(USERS):
            uid = FIRST_USER + i
            got = replies.texts[uid]
            extra = Counter(got) - Counter(set(got))
            assert not (extra - retaken_texts[uid]), (uid, got)
            unique = list(dict.fromkeys(got))
            assert len(unique) == UPDATES_PER_USER, (uid, got)
            for expected, seen in zip(STEP_TEXTS, sorted(unique, key=_step_of), strict=True):
                assert expected in seen, (uid, expected, seen)

        # -- every conversation consistent: ended, one ticket with exactly what the user sent
        mine = [st for st in states if st.user_id >= FIRST_USER]
        assert len(mine) == USERS
        # No draft left (the row may keep the router's note of the message a press ended on).
        assert all(st.flow is None and st.step is None and "d" not in st.data for st in mine)
        assert all(st.version == UPDATES_PER_USER for st in mine)
        assert len(cusers) == USERS
        by_owner = {t.customer_user_id: t for t in tickets}
        assert len(tickets) == USERS == len(by_owner)
        assert len({t.number for t in tickets}) == USERS
        for uid, cuser in cusers.items():
            ticket = by_owner[cuser.id]
            assert (ticket.kind, ticket.category) == ("complaint", "service")
            assert ticket.text == f"user {uid}: the lights flicker"
            assert sorted(firsts[ticket.id].attachments) == [
                f"photo-{uid}-{k}" for k in range(PHOTOS)
            ]

        # -- every reminder due during the run sent exactly once (or a retaken row's twice)
        assert len(notes) == REMINDERS_BEFORE + REMINDERS_AFTER
        retaken_notes = {
            n
            for row in retaken_rows
            for n in notes
            if f"Note: {n}" in row.payload["text"].splitlines()
        }
        reminder_texts = [t for chat in range(REPS) for t in replies.texts[FIRST_REP + chat]]
        for note in notes:
            copies = sum(1 for t in reminder_texts if f"Note: {note}" in t.splitlines())
            assert copies == 1 or (copies == 2 and note in retaken_notes), (note, copies)

        # -- a stand-by took over in time; no update failed anywhere
        assert takeover < TAKEOVER_LIMIT, takeover
        for r in group:
            failed = [e for e in events(r.log) if e["event"] in ("update_failed", "job_failed")]
            assert not failed, (r.lib, failed[:3])
        took_over = [e for r in group for e in events(r.log) if e["event"] == "scheduler_leader"]
        assert len(took_over) == 2  # the first leader, then the one after it
        print(
            f"\nreplicas: {len(sent_ids)} updates, {feed.resent} resent, "
            f"takeover {takeover:.1f}s, fed in {fed_at - started:.1f}s, "
            f"total {time.monotonic() - started:.1f}s, retaken rows {len(retaken_rows)}"
        )
        lat = sorted(feed.latency)
        print(
            f"POST latency p50 {lat[len(lat) // 2]:.2f}s p95 {lat[int(len(lat) * 0.95)]:.2f}s,"
            f" resent because {dict(feed.why)}"
        )


def _step_of(reply: str) -> int:
    for i, marker in enumerate(STEP_TEXTS):
        if marker in reply:
            return i
    return len(STEP_TEXTS)
