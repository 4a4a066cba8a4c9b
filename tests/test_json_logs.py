"""`crm-bot run` with JSON logs: every line parses, and none carries the token, a phone number or
what a user wrote, while a customer files a complaint with a phone number in it and shares
their contact."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fake_botapi import Call, FakeBotAPI
from tests.processes import spawn_cli
from tests.test_run_smoke import ROOT, SECRET, STARTUP, TOKEN, USER, to

PHONE = "13812345678"
BODY = "停电三次了冰箱坏了请回电"  # the words of the complaint, with the phone number after them


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as server:
        yield server


def button(call: Call, label: str) -> str:
    for row in call.params["reply_markup"]["inline_keyboard"]:
        for b in row:
            if label in b["text"]:
                return b["callback_data"]
    raise AssertionError(f"no {label!r} button in {call.params['reply_markup']}")


async def press(api: FakeBotAPI, last: Call, label: str) -> Call:
    mark = api.mark()
    api.push_callback(USER, button(last, label), last.result["message_id"])
    # A reply keyboard of the step before may still be on its way (replies are paced).
    return await api.wait_for_reply(
        lambda c: (
            to(USER)(c)
            and (c.method == "editMessageText" or _inline(c) or "T-" in c.params.get("text", ""))
        ),
        since=mark,
        timeout=10,
    )


def _inline(call: Call) -> bool:
    return bool((call.params.get("reply_markup") or {}).get("inline_keyboard"))


async def say(api: FakeBotAPI, text: str) -> Call:
    """The answer with the step's buttons (a step that asks for a location sends its
    request-location keyboard on a second, short message)."""
    mark = api.mark()
    api.push_message(USER, text, language_code="en")
    first = await api.wait_for("sendMessage", to(USER), since=mark, timeout=10)
    if _inline(first):
        return first
    return await api.wait_for(
        "sendMessage", lambda c: to(USER)(c) and _inline(c), since=mark, timeout=10
    )


@pytest.mark.slow
async def test_json_logs_carry_no_token_phone_or_message_text(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "PTB_"))}
    env.update(
        CRM_TELEGRAM_TOKEN=TOKEN,
        CRM_TELEGRAM_API_URL=api.base_url,
        CRM_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        CRM_LOG_LEVEL="DEBUG",  # the most our code logs
        CRM_LOG_JSON="true",
        CRM_HEALTH_PORT="0",
        CRM_LOCALE="en",
        PYTHONPATH=str(ROOT),
    )
    proc = await spawn_cli("run", env, tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    output = asyncio.gather(proc.stdout.read(), proc.stderr.read())
    try:
        await api.wait_for("getUpdates", timeout=STARTUP * 3)  # imports at DEBUG, a busy machine
        kinds = await say(api, "/new")
        categories = await press(api, kinds, "Complaint")
        text_prompt = await press(api, categories, "Service")
        assert text_prompt.params["reply_markup"]  # asks for the text, with a Back button
        extras = await say(api, f"{BODY} {PHONE}")
        confirm = await press(api, extras, "Done")
        assert BODY in confirm.params["text"]  # the flow did get the text
        filed = await press(api, confirm, "Send")
        assert "T-" in filed.params["text"]
        mark = api.mark()
        api.push_content(
            USER,
            {"contact": {"phone_number": f"+86{PHONE}", "first_name": "Tester", "user_id": USER}},
        )
        await api.wait_for("sendMessage", to(USER), since=mark, timeout=10)
        proc.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(proc.wait(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    out, err = (b.decode() for b in await output)
    assert status == 0, err
    lines = [line for line in (out + err).splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is a JSON object
    assert all(isinstance(e, dict) and "event" in e and "level" in e for e in events)
    names = {e["event"] for e in events}
    assert {"bot_started", "telegram_connected", "bot_stopped"} <= names, names
    for line in lines:
        for secret in (TOKEN, SECRET, PHONE, BODY, BODY[:4]):
            assert secret not in line, line
