"""/healthz and /metrics: scraped from the running bot (polling and webhook), from the scheduler,
and the health check following the database down and back up."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.demo import prepare
from bot.engine import Engine, EngineConfig
from bot.health import Health
from bot.metrics import Metrics
from bot.scheduler_main import serve_scheduler
from bot.types import Inbound, Outgoing, T
from bot.webhook import PATH, SECRET_HEADER
from crm.clock import ManualClock
from crm.db import make_engine, make_sessionmaker
from crm.services import outbox
from handlers import build_router
from handlers.base import EVERYONE, Command, Ctx, Step
from scheduler import runner
from tests.fake_botapi import FakeBotAPI
from tests.test_run_smoke import TOKEN, USER, free_port, running, to

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as server:
        yield server


def samples(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


async def scrape(base: str) -> Samples:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        return samples(await r.text())


async def healthz(base: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/healthz") as r:
        return r.status, await r.json()


async def enqueue(db_url: str, key: str) -> None:
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as s, s.begin():
            await outbox.enqueue(
                s,
                chat_id=USER,
                payload=Outgoing(USER, "Reminder").to_payload(),
                dedupe_key=key,
                due_at=datetime.now(UTC),
            )
    finally:
        await engine.dispose()


@pytest.mark.slow
async def test_polling_bot_serves_health_and_metrics_that_move(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with running(api, tmp_path, health_port=port) as bot:
        status, body = await healthz(base)
        assert status == 200, body
        assert body["checks"] == {"database": {"ok": True}, "telegram": {"ok": True}}
        before = await scrape(base)
        assert value(before, "crm_updates_total", outcome="ok") == 0
        assert value(before, "crm_scheduler_leader") == 1  # the scheduler runs in this process

        api.push_message(USER, "/start", language_code="en")
        await api.wait_for("sendMessage", to(USER), timeout=10)
        api.fail_next_flood("sendMessage", retry_after=1)
        await enqueue(bot.db_url, "obs-1")
        await api.wait_for("sendMessage", lambda c: c.status == 429, timeout=10)
        await api.wait_for("sendMessage", lambda c: c.params.get("text") == "Reminder", timeout=10)
        for _ in range(200):  # the sent row is recorded just after Telegram answered
            after = await scrape(base)
            if value(after, "crm_sends_total", outcome="ok") == 1:
                break
            await asyncio.sleep(0.05)
        # Once more: a scrape reads the database before its counters, so the last one may
        # have seen the row still queued.
        after = await scrape(base)
    assert value(after, "crm_updates_total", outcome="ok") == 1
    assert value(after, "crm_handler_seconds_count") == 1
    assert value(after, "crm_handler_seconds_sum") > 0
    assert value(after, "crm_sends_total", outcome="ok") == 1
    assert value(after, "crm_sends_total", outcome="429") == 1
    assert value(after, "crm_sends_total", outcome="403") == 0
    assert value(after, "crm_telegram_429_total") == 1
    assert value(after, "crm_outbox_depth") == 0
    assert value(after, "crm_outbox_oldest_age_seconds") == 0
    assert value(after, "crm_sla_breaches_total") == 0


@pytest.mark.slow
async def test_webhook_bot_serves_them_on_the_webhook_port(api: FakeBotAPI, tmp_path: Path) -> None:
    port, secret = free_port(), "obs-hook-secret"
    base = f"http://127.0.0.1:{port}"
    async with running(
        api,
        tmp_path,
        ready="setWebhook",
        scheduler=False,
        webhook_url=f"{base}{PATH}",
        webhook_port=port,
        webhook_secret=secret,
        # Set to a port in use: polling's health server must not be started with a webhook.
        health_port=port,
    ):
        status, body = await healthz(base)
        assert status == 200, body
        update = api.push_message(USER, "/start", language_code="en")
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}{PATH}", json=update, headers={SECRET_HEADER: secret}):
                pass
        await api.wait_for("sendMessage", to(USER), timeout=10)
        found = await scrape(base)
    assert value(found, "crm_updates_total", outcome="ok") == 1
    assert value(found, "crm_scheduler_leader") == 0  # started with --no-scheduler


@pytest.mark.slow
async def test_scheduler_serves_its_own_and_counts_sla_breaches(app: App) -> None:
    clock = app.clock
    assert isinstance(clock, ManualClock)
    await prepare(app, clock)  # the demo company: one ticket is past its deadline at the start
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = app.settings.model_copy(update={"health_port": port})
    stop = asyncio.Event()
    task = asyncio.create_task(serve_scheduler(settings, app.rules, stop=stop, clock=clock))
    try:
        first: Samples = {}
        for _ in range(200):  # the first pass runs at start
            with contextlib.suppress(aiohttp.ClientConnectionError):
                first = await scrape(base)
                if value(first, "crm_sla_breaches_total") > 0:
                    break
            await asyncio.sleep(0.05)
        # A day later (the README's transcript): a first answer and a resolution are late too.
        clock.advance(timedelta(days=1))
        await runner.run_due(app.sessions, clock, app.settings.tz, app.rules)
        later = await scrape(base)
        status, body = await healthz(base)
    finally:
        stop.set()
    assert await asyncio.wait_for(task, 5) == 0
    # One count per deadline, however many people were told, admins' escalations not again.
    assert value(first, "crm_sla_breaches_total") == 1
    assert value(later, "crm_sla_breaches_total") == 3
    assert value(first, "crm_scheduler_leader") == 1
    assert value(first, "crm_outbox_depth") > 0  # queued here, sent by the bots
    assert value(first, "crm_outbox_oldest_age_seconds") >= 0
    assert status == 200 and body["checks"] == {"database": {"ok": True}}  # no Telegram here


class Proxy:
    """A TCP forwarder to the database that can be cut (open connections too) and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for w in self._writers:
            w.transport.abort()
        await self._server.wait_closed()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextlib.asynccontextmanager
async def health_on(url: str) -> AsyncIterator[str]:
    db = make_engine(url)
    health = Health(db, make_sessionmaker(db), ManualClock(datetime.now(UTC)), Metrics())
    try:
        async with health.serving("127.0.0.1", 0) as port:
            yield f"http://127.0.0.1:{port}"
    finally:
        await db.dispose()


async def wait_status(base: str, wanted: int) -> dict:
    body: dict = {}
    for _ in range(100):
        status, body = await healthz(base)
        if status == wanted:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"/healthz never answered {wanted}: {body}")


async def test_healthz_follows_postgresql_down_and_up(pg_server: object) -> None:
    name = "obs_health"
    url = pg_server.create_database(name)  # type: ignore[attr-defined]
    proxy = Proxy(pg_server.port)  # type: ignore[attr-defined]
    await proxy.open()
    try:
        async with health_on(url.replace(f":{proxy.target_port}/", f":{proxy.port}/")) as base:
            await wait_status(base, 200)
            await proxy.cut()  # the server is gone, and the pooled connections with it
            down = await wait_status(base, 503)
            assert down["status"] == "unhealthy" and not down["checks"]["database"]["ok"]
            assert down["checks"]["database"]["error"]
            scraped = await scrape(base)  # the process's figures still, the database's not
            assert ("crm_outbox_depth", ()) not in scraped
            assert value(scraped, "crm_updates_total", outcome="ok") == 0
            await proxy.open()
            up = await wait_status(base, 200)
            assert up["checks"]["database"] == {"ok": True}
    finally:
        with contextlib.suppress(AssertionError):
            await proxy.cut()
        pg_server.drop_database(name)  # type: ignore[attr-defined]


async def test_healthz_on_an_sqlite_file_that_cannot_be_opened(tmp_path: Path) -> None:
    async with health_on(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'crm.db'}") as base:
        body = await wait_status(base, 503)
    assert not body["checks"]["database"]["ok"]
    assert str(tmp_path) not in str(body)  # the error names no path


async def test_telegram_check_is_cached_and_fails_the_health(tmp_path: Path) -> None:
    calls: list[float] = []
    answer: list[Exception | None] = [None]

    async def ping() -> None:
        calls.append(1)
        if answer[0] is not None:
            raise answer[0]

    db = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}")
    sessions = make_sessionmaker(db)
    clock = ManualClock(datetime.now(UTC))
    try:
        health = Health(db, sessions, clock, Metrics(), ping, telegram_cache=0.2)
        assert (await health.check())[0] is True
        answer[0] = RuntimeError("Unauthorized")
        assert (await health.check())[0] is True  # still the cached answer
        assert len(calls) == 1
        await asyncio.sleep(0.25)
        healthy, body = await health.check()
        assert not healthy and body["checks"]["telegram"] == {
            "ok": False,
            "error": "RuntimeError: Unauthorized",
        }
        assert body["checks"]["database"] == {"ok": True}
        assert len(calls) == 2
    finally:
        await db.dispose()


@pytest.mark.slow
async def test_update_outcomes_are_counted_apart(app: App) -> None:
    router = build_router()

    async def broken(ctx: Ctx) -> Step:
        raise RuntimeError("boom")

    router.add(commands=[Command("broken", EVERYONE, broken, T("show this help"))])
    metrics = Metrics()
    config = EngineConfig(app.settings.locale, app.settings.tz, app.settings.bot_username)
    engine = Engine(app.sessions, router, app.clock, app.rules, config, metrics)

    def inbound(text: str, update_id: int, user: int = 901, chat_type: str = "private") -> Inbound:
        return Inbound(
            channel="test",
            update_id=update_id,
            chat_id=user if chat_type == "private" else -100,
            user_id=user,
            text=text,
            chat_type=chat_type,
        )

    await engine.handle(inbound("/start", 1))
    await engine.handle(inbound("/start", 1))  # Telegram resending it
    await engine.handle(inbound("/broken", 2))
    await engine.handle(inbound("hello", 3, user=902, chat_type="group"))  # not staff
    for i in range(app.rules.rate_limits.user_messages_per_minute + 1):
        await engine.handle(inbound("/start", 100 + i, user=903))
    found = samples(metrics.render().decode())
    per_minute = app.rules.rate_limits.user_messages_per_minute
    assert value(found, "crm_updates_total", outcome="ok") == 1 + per_minute
    assert value(found, "crm_updates_total", outcome="duplicate") == 1
    assert value(found, "crm_updates_total", outcome="error") == 1
    assert value(found, "crm_updates_total", outcome="ignored") == 1
    assert value(found, "crm_updates_total", outcome="throttled") == 1
    assert value(found, "crm_handler_seconds_count") == 5 + per_minute


async def test_a_health_port_in_use_stops_the_scheduler_with_status_2(app: App) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = app.settings.model_copy(update={"health_port": taken.getsockname()[1]})
        status = await asyncio.wait_for(
            serve_scheduler(settings, app.rules, stop=asyncio.Event(), clock=app.clock), 30
        )
    assert status == 2
