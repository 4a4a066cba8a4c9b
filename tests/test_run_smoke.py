"""`crm-bot run` against a fake Bot API server: polling, replies, buttons, outbox, clean stop.

The bot runs for real (aiogram or python-telegram-bot, polling or a webhook over HTTP, the outbox
sender, the scheduler, migrations on a fresh SQLite file); only Telegram is replaced, by
`tests.fake_botapi.FakeBotAPI` on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import socket
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import structlog

from bot import logging as logs
from bot.channels.aiogram import AiogramChannel
from bot.channels.base import SendError
from bot.runtime import serve
from bot.settings import load
from bot.types import Outgoing
from bot.webhook import PATH, SECRET_HEADER
from crm.db import make_engine, make_sessionmaker
from crm.services import outbox
from tests.fake_botapi import Call, FakeBotAPI
from tests.processes import spawn_cli

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
SECRET = TOKEN.split(":", 1)[1]
USER = 700100
STARTUP = 15.0  # migrations and imports on a slow machine
LIBS = ["aiogram", "ptb"]
NOISY = ("aiogram", "telegram", "httpx", "apscheduler", "sqlalchemy", "asyncio", "alembic")


def to(chat_id: int) -> Callable[[Call], bool]:
    return lambda call: call.params.get("chat_id") == chat_id


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as server:
        yield server


@pytest.fixture
def logged(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> Iterator[Callable[[], str]]:
    """The production log setup (JSON, INFO); returns everything logged so far, both kinds."""
    saved = structlog.get_config()
    levels = {name: logging.getLogger(name).level for name in NOISY}
    caplog.set_level(logging.INFO)
    logs.setup("INFO", json=True)
    seen: list[str] = []

    def text() -> str:
        captured = capsys.readouterr()
        seen.extend([captured.out, captured.err])
        return "\n".join([*seen, caplog.text])

    try:
        yield text
    finally:
        structlog.configure(**saved)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def events(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "event" in record:
                out.append(record)
    return out


def assert_clean(text: str, caplog: pytest.LogCaptureFixture) -> None:
    assert TOKEN not in text and SECRET not in text, "the bot token reached the logs"
    errors = [e for e in events(text) if e.get("level") in ("error", "critical")]
    assert not errors, errors
    bad = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, bad
    for warning in ("Task was destroyed", "never retrieved", "Unclosed", "never awaited"):
        assert warning not in text


@dataclass
class Bot:
    task: asyncio.Task[int]
    stop: asyncio.Event
    db_url: str
    status: int | None = None
    stop_seconds: float = 0.0


@contextlib.asynccontextmanager
async def running(
    api: FakeBotAPI,
    tmp_path: Path,
    ready: str = "getUpdates",
    scheduler: bool = True,
    **overrides: object,
) -> AsyncIterator[Bot]:
    """`serve()` in this event loop until the block ends; then it must stop promptly and tidily.

    The block starts once the bot made the `ready` call (polling's first, or setWebhook).
    """
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}"
    settings, rules = load(
        _env_file=None,
        database_url=db_url,
        telegram_token=TOKEN,
        telegram_api_url=api.base_url,
        locale="zh_CN",
        sender_poll_seconds=0.1,
        **{"health_port": 0, **overrides},
    )
    loop = asyncio.get_running_loop()
    before = asyncio.all_tasks()
    stop = asyncio.Event()
    bot = Bot(
        asyncio.create_task(serve(settings, rules, scheduler=scheduler, stop=stop)), stop, db_url
    )
    try:
        polling = asyncio.create_task(api.wait_for(ready, timeout=STARTUP))
        await asyncio.wait({polling, bot.task}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            polling.cancel()
            raise AssertionError(f"serve() ended before {ready}: {bot.task.result()}")
        polling.result()
        yield bot
    finally:
        stop.set()
        started = loop.time()
        bot.status = await asyncio.wait_for(bot.task, 5)
        bot.stop_seconds = loop.time() - started
    # Nothing of the bot may outlive serve(): no handler, sender, scheduler or HTTP task.
    gc.collect()
    leftover = asyncio.all_tasks() - before - {asyncio.current_task()}
    for _ in range(50):
        leftover = {t for t in leftover if not t.done()}
        if not leftover:
            break
        await asyncio.sleep(0.02)
    assert not leftover, leftover


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.slow
async def test_start_and_first_ticket_step_over_the_bot_api(
    lib: str,
    api: FakeBotAPI,
    tmp_path: Path,
    logged: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A webhook left over from another deployment would make getUpdates fail with 409.
    api.webhook_url = "https://old-deployment.example/hook"
    async with running(api, tmp_path, channel=lib) as bot:
        api.push_message(USER, "/start", language_code="en")
        welcome = await api.wait_for("sendMessage", to(USER), timeout=5)
        assert "Welcome!" in welcome.params["text"]
        assert welcome.params["parse_mode"] == "HTML"
        assert "keyboard" in welcome.params["reply_markup"]
        assert welcome.status == 200

        mark = api.mark()
        api.push_message(USER, "/new")
        kinds = await api.wait_for("sendMessage", to(USER), since=mark)
        first = kinds.params["reply_markup"]["inline_keyboard"][0][0]

        mark = api.mark()
        pressed = api.push_callback(USER, first["callback_data"], kinds.result["message_id"])
        answer = await api.wait_for("answerCallbackQuery", since=mark)
        assert answer.params["callback_query_id"] == pressed["callback_query"]["id"]
        assert answer.status == 200
        prompt = await api.wait_for_reply(to(USER), since=mark)
        assert prompt.params["text"].startswith(f"{first['text']}:"), prompt.params["text"]
        assert prompt.status == 200
    assert bot.status == 0
    assert bot.stop_seconds < 3
    assert api.find("deleteWebhook") is not None
    assert not [c for c in api.calls if c.status != 200]
    # The customers' command menus: in the company's language, and in English and Russian for
    # users whose Telegram speaks them (zh_TW shares "zh" with the company's zh_CN: per chat).
    menus = api.calls_of("setMyCommands")
    assert [(c.params["scope"], c.params.get("language_code")) for c in menus] == [
        ({"type": "default"}, None),
        ({"type": "default"}, "en"),
        ({"type": "default"}, "ru"),
    ]
    text = logged()
    assert {"bot_started", "telegram_connected", "bot_stopped", "commands_menu_set"} <= {
        e["event"] for e in events(text)
    }
    assert_clean(text, caplog)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.slow
async def test_a_refused_callback_answer_does_not_cost_the_reply(
    lib: str,
    api: FakeBotAPI,
    tmp_path: Path,
    logged: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with running(api, tmp_path, channel=lib):
        api.push_message(USER, "/new")
        kinds = await api.wait_for("sendMessage", to(USER))
        first = kinds.params["reply_markup"]["inline_keyboard"][0][0]
        # Telegram refuses answers that come late (the bot was down when it was pressed).
        api.fail_next(
            "answerCallbackQuery",
            400,
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
        )
        mark = api.mark()
        api.push_callback(USER, first["callback_data"], kinds.result["message_id"])
        prompt = await api.wait_for_reply(to(USER), since=mark)
        assert prompt.params["text"].startswith(f"{first['text']}:")
    assert_clean(logged(), caplog)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.slow
async def test_stop_lets_the_reply_in_flight_finish(
    lib: str,
    api: FakeBotAPI,
    tmp_path: Path,
    logged: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with running(api, tmp_path, channel=lib) as bot:
        api.delay_next("sendMessage", 0.7)
        api.push_message(USER, "/start")
        reply = await api.wait_for("sendMessage", to(USER))
        bot.stop.set()  # SIGTERM while the reply is on its way
    assert bot.status == 0
    assert reply.delivered, "the session was closed under the reply"
    text = logged()
    assert not [
        e for e in events(text) if e["event"] in ("reply_failed", "updates_cancelled_on_stop")
    ]
    assert_clean(text, caplog)


@pytest.mark.slow
async def test_outbox_row_is_sent_and_flood_control_respected(
    api: FakeBotAPI, tmp_path: Path, logged: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    async with running(api, tmp_path) as bot:
        api.fail_next_flood("sendMessage", retry_after=1)
        engine = make_engine(bot.db_url)
        try:
            async with make_sessionmaker(engine)() as s, s.begin():
                await outbox.enqueue(
                    s,
                    chat_id=USER,
                    payload=Outgoing(USER, "Reminder: <b>call back</b> A&amp;B").to_payload(),
                    dedupe_key="smoke-1",
                    due_at=datetime.now(UTC),
                )
        finally:
            await engine.dispose()
        flood = await api.wait_for("sendMessage", to(USER), timeout=5)
        assert flood.status == 429
        sent = await api.wait_for("sendMessage", lambda c: c.status == 200, timeout=5)
        assert sent.at - flood.at >= 0.9  # waited for retry_after
        assert sent.result["text"] == "Reminder: call back A&B"
        assert sent.params["parse_mode"] == "HTML"
    assert_clean(logged(), caplog)


@pytest.mark.parametrize("lib", LIBS)
async def test_a_refused_token_ends_run_with_an_error(
    lib: str, tmp_path: Path, logged: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeBotAPI("123456:ANOTHER-token-abcdefghijklmnopqrstuvwx") as api:
        settings, rules = load(
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}",
            telegram_token=TOKEN,
            telegram_api_url=api.base_url,
            channel=lib,
            health_port=0,  # not 8081: another suite on the machine may hold it
        )
        status = await asyncio.wait_for(serve(settings, rules, stop=asyncio.Event()), STARTUP)
    assert status == 1
    text = logged()
    failed = [e for e in events(text) if e["event"] == "bot_part_failed"]
    assert failed and "Unauthorized" in failed[0]["error"]
    assert SECRET not in text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.slow
async def test_webhook_mode(
    lib: str,
    api: FakeBotAPI,
    tmp_path: Path,
    logged: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    port, secret = free_port(), "smoke-hook-secret"
    url = f"http://127.0.0.1:{port}{PATH}"  # plain HTTP: allowed with a local Bot API server
    # An emulator without setMyCommands: a warning, and the bot works on.
    api.fail_next("setMyCommands", 404, "Not Found")
    async with running(
        api,
        tmp_path,
        ready="setWebhook",
        channel=lib,
        webhook_url=url,
        webhook_port=port,
        webhook_secret=secret,
    ) as bot:
        assert (api.webhook_url, api.webhook_secret) == (url, secret)
        update = api.push_message(USER, "/start", language_code="en")
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update, headers={SECRET_HEADER: "guess"}) as r:
                assert r.status == 403
            async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as r:
                assert r.status == 200
        welcome = await api.wait_for("sendMessage", to(USER), timeout=5)
        assert "Welcome!" in welcome.params["text"]
    assert bot.status == 0
    assert not api.calls_of("getUpdates") and not api.calls_of("deleteWebhook")
    assert len(api.calls_of("setMyCommands")) == 1
    text = logged()
    names = {e["event"] for e in events(text)}
    assert {"webhook_listening", "commands_menu_unsupported", "bot_stopped"} <= names
    assert secret not in text
    assert_clean(text, caplog)


SEND_ERRORS = [
    (429, "Too Many Requests: retry after 3", "retry_after"),
    (403, "Forbidden: bot was blocked by the user", "blocked"),
    (400, "Bad Request: chat not found", "bad_request"),
    (404, "Not Found", "bad_request"),
    (413, "Request Entity Too Large", "bad_request"),
    (500, "Internal Server Error", "network"),
    (409, "Conflict: terminated by other getUpdates request", "network"),
]


async def test_send_errors_become_send_error_kinds(api: FakeBotAPI) -> None:
    """Every Bot API failure reaches the outbox sender as a SendError it knows how to treat."""
    channel = AiogramChannel(TOKEN, api.base_url)
    try:
        for status, description, kind in SEND_ERRORS:
            api.fail_next("sendMessage", status, description, 3 if status == 429 else None)
            with pytest.raises(SendError) as err:
                await channel.send(Outgoing(USER, "hi"))
            assert err.value.kind == kind, (status, err.value)
            if kind == "retry_after":
                assert err.value.retry_after == 3.0
        await channel.send(Outgoing(USER, "hi"))  # and the next one goes through
    finally:
        await channel.close()


async def test_transport_failures_never_show_the_token(api: FakeBotAPI) -> None:
    channel = AiogramChannel(TOKEN, api.base_url)
    try:
        api.fail_next_raw("sendMessage", 502, "<html><body>502 Bad Gateway</body></html>")
        with pytest.raises(SendError) as err:
            await channel.send(Outgoing(USER, "hi"))
        assert err.value.kind == "network"
        # aiohttp names the URL - with the token in it - when it gives up on redirects.
        api.redirect_next("sendMessage")
        with pytest.raises(SendError) as err:
            await channel.send(Outgoing(USER, "hi"))
        assert err.value.kind == "network"
        shown = "".join(traceback.format_exception(err.value)) + err.value.detail
        assert "/bot" in shown and SECRET not in shown
    finally:
        api.clear_failures()
        await channel.close()


async def test_edits_that_need_not_or_cannot_happen(api: FakeBotAPI) -> None:
    channel = AiogramChannel(TOKEN, api.base_url)
    try:
        await channel.send(Outgoing(USER, "Pick one", buttons=((("A", "a"),),)))
        message_id = api.calls_of("sendMessage")[-1].result["message_id"]
        # Pressing a button that changes nothing: Telegram says "not modified", which is fine.
        await channel.send(
            Outgoing(USER, "Pick one", buttons=((("A", "a"),),), edit_message_id=message_id)
        )
        assert api.calls_of("editMessageText")[-1].status == 400
        # A message that can no longer be edited: the text comes as a new message.
        mark = api.mark()
        await channel.send(Outgoing(USER, "Done", edit_message_id=message_id + 100))
        assert api.find("sendMessage", lambda c: c.params["text"] == "Done", since=mark)
    finally:
        await channel.close()


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.slow
async def test_crm_bot_run_process(lib: str, api: FakeBotAPI, tmp_path: Path) -> None:
    """The real command: environment settings, migrations on start, SIGTERM, exit status 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "PTB_"))}
    env.update(
        CRM_CHANNEL=lib,
        CRM_TELEGRAM_TOKEN=TOKEN,
        CRM_TELEGRAM_API_URL=api.base_url,
        CRM_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        CRM_LOG_LEVEL="INFO",
        CRM_LOG_JSON="true",
        CRM_HEALTH_PORT="0",
        PYTHONPATH=str(ROOT),
        PYTHONDEVMODE="1",  # unclosed resources and never-awaited coroutines are reported
    )
    proc = await spawn_cli("run", env, tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    output = asyncio.gather(proc.stdout.read(), proc.stderr.read())
    try:
        await api.wait_for("getUpdates", timeout=STARTUP)
        api.push_message(USER + 1, "/start", language_code="en")
        welcome = await api.wait_for("sendMessage", to(USER + 1), timeout=5)
        assert "Welcome!" in welcome.params["text"]
        proc.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(proc.wait(), 5)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    out, err = (b.decode() for b in await output)
    assert status == 0, err
    assert (tmp_path / "run.db").exists()
    text = out + err
    assert TOKEN not in text and SECRET not in text
    names = [e["event"] for e in events(err)]
    assert "bot_started" in names and names[-1] == "bot_stopped", err
    for problem in ("Traceback", "Task was destroyed", "never retrieved", "Unclosed", "Warning"):
        assert problem not in text, err
