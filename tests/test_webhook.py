"""Webhook mode of both adapters: the shared receiver in `bot.webhook`, the real engine on SQLite,
Telegram replaced by `tests.fake_botapi.FakeBotAPI` on 127.0.0.1.

Updates are POSTed the way Telegram does it, with the secret given to setWebhook in the
X-Telegram-Bot-Api-Secret-Token header; the replies are awaited at the fake Bot API.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App, build_app
from bot.settings import load
from bot.webhook import PATH, SECRET_HEADER, WebhookServer
from tests.fake_botapi import FakeBotAPI
from tests.test_channel_contract import LIBS, TOKEN, make_channel, to

SECRET = "hook-Secret_42"
URL = "https://crm.example.com/telegram/webhook"
USER = 700300


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as server:
        yield server


@pytest.fixture
async def crm(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[App]:
    path = tmp_path / "crm.db"
    shutil.copyfile(sqlite_template, path)
    settings, rules = load(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}")
    app = build_app(settings, rules)
    try:
        yield app
    finally:
        await app.close()


@dataclass
class Hook:
    api: FakeBotAPI
    server: WebhookServer
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def post(self, body: dict[str, Any] | str, secret: str | None = SECRET) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        data = body if isinstance(body, str) else json.dumps(body)
        url = f"http://127.0.0.1:{self.server.port}{PATH}"
        async with aiohttp.ClientSession() as http, http.post(url, data=data, headers=headers) as r:
            return r.status

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 5)


@pytest.fixture(params=LIBS)
async def hook(request: pytest.FixtureRequest, api: FakeBotAPI, crm: App) -> AsyncIterator[Hook]:
    channel = make_channel(request.param, api.base_url)
    channel.pacer.interval = 0.05  # what goes on the wire, not when (pacing has its own tests)
    server = WebhookServer(URL, SECRET, "127.0.0.1", 0)
    stop = asyncio.Event()
    running = Hook(
        api, server, stop, asyncio.create_task(channel.webhook(crm.engine, stop, server))
    )
    try:
        await api.wait_for("setWebhook")
        yield running
    finally:
        await running.finish()
        await channel.close()


async def test_the_webhook_is_set_with_the_secret(hook: Hook, api: FakeBotAPI) -> None:
    call = api.calls_of("setWebhook")[-1]
    assert call.status == 200
    assert (api.webhook_url, api.webhook_secret) == (URL, SECRET)
    assert call.params["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    # Polling's calls would fight another replica's webhook.
    assert not api.calls_of("deleteWebhook") and not api.calls_of("getUpdates")


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_a_wrong_or_missing_secret_is_refused(
    hook: Hook, api: FakeBotAPI, secret: str | None
) -> None:
    update = api.push_message(USER, "/start", language_code="en")
    assert await hook.post(update, secret=secret) == 403
    await asyncio.sleep(0.3)
    assert api.find("sendMessage", to(USER)) is None
    # Not even recorded as seen: the same update with the secret is still handled.
    assert await hook.post(update) == 200
    await api.wait_for("sendMessage", to(USER))


async def test_an_update_is_processed_and_answered(hook: Hook, api: FakeBotAPI) -> None:
    assert await hook.post(api.push_message(USER, "/start", language_code="en")) == 200
    welcome = await api.wait_for("sendMessage", to(USER))
    assert welcome.status == 200 and "Welcome!" in welcome.params["text"]
    assert welcome.params["parse_mode"] == "HTML"


async def test_the_same_update_twice_is_processed_once(hook: Hook, api: FakeBotAPI) -> None:
    update = api.push_message(USER, "/start", language_code="en")
    # Telegram resends when an answer is late: both copies may arrive at once, or later.
    assert await asyncio.gather(hook.post(update), hook.post(update)) == [200, 200]
    await api.wait_for("sendMessage", to(USER))
    assert await hook.post(update) == 200
    await asyncio.sleep(0.5)
    assert len([c for c in api.calls_of("sendMessage") if to(USER)(c)]) == 1


async def test_a_button_press_is_answered_and_handled(hook: Hook, api: FakeBotAPI) -> None:
    await hook.post(api.push_message(USER, "/new", language_code="en"))
    kinds = await api.wait_for("sendMessage", to(USER))
    first = kinds.params["reply_markup"]["inline_keyboard"][0][0]
    mark = api.mark()
    pressed = api.push_callback(USER, first["callback_data"], kinds.result["message_id"])
    assert await hook.post(pressed) == 200
    answer = await api.wait_for("answerCallbackQuery", since=mark)
    assert answer.params["callback_query_id"] == pressed["callback_query"]["id"]
    prompt = await api.wait_for_reply(to(USER), since=mark)
    assert prompt.params["text"].startswith(f"{first['text']}:")


async def test_an_update_that_fails_still_gets_200(hook: Hook, api: FakeBotAPI) -> None:
    # Not a message the library can read: handling fails after the answer.
    assert await hook.post({"update_id": 1, "message": {"unexpected": True}}) == 200
    assert await hook.post(api.push_message(USER, "/start", language_code="en")) == 200
    await api.wait_for("sendMessage", to(USER))  # and the receiver still works


async def test_what_is_not_an_update_is_refused(hook: Hook) -> None:
    assert await hook.post("not json") == 400
    assert await hook.post({"message": {}}) == 400
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{hook.server.port}{PATH}") as r:
            assert r.status == 405
        async with http.post(f"http://127.0.0.1:{hook.server.port}/other") as r:
            assert r.status == 404


@pytest.mark.slow
async def test_stop_lets_the_reply_in_flight_finish(hook: Hook, api: FakeBotAPI) -> None:
    api.delay_next("sendMessage", 0.5)
    assert await hook.post(api.push_message(USER, "/start", language_code="en")) == 200
    reply = await api.wait_for("sendMessage", to(USER))
    await hook.finish()  # SIGTERM while the reply is on its way
    assert reply.delivered and reply.status == 200
