# ruff: noqa: F811  (pytest fixtures imported from the contract suite)
"""Issue 24 over both adapters and the fake Bot API: the bot's name from getMe, live menus,
groups, pacing under pressure, my_chat_member, chat actions, albums."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import identity
from crm.clock import ManualClock
from crm.db import make_engine, make_sessionmaker
from tests.fake_botapi import FakeBotAPI
from tests.test_channel_contract import (
    Recorder,
    api,
    channel,
    polling,
)

_ = (api, channel, polling)
START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Any]:
    path = tmp_path / "crm.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


class _Engine:
    bot_username = identity.PLACEHOLDER


async def test_the_username_comes_from_get_me_and_is_stored(
    channel: Any, api: FakeBotAPI, sessions: Any
) -> None:
    engine = _Engine()
    clock = ManualClock(START)
    names = identity.Tracker(sessions, engine, clock, override=None)
    channel.on_username = names.seen
    stop = asyncio.Event()
    task = asyncio.create_task(channel.poll(Recorder(), stop))
    await api.wait_for("getUpdates")
    stop.set()
    await asyncio.wait_for(task, 5)
    assert engine.bot_username == "crm_test_bot"
    async with sessions() as s:
        seen = await identity.last_seen(s)
    assert seen is not None and seen.username == "crm_test_bot"
    # The next start-up knows it before Telegram answers; an override wins.
    later = _Engine()
    await identity.Tracker(sessions, later, clock, override=None).load()
    assert later.bot_username == "crm_test_bot"
    pinned = _Engine()
    tracker = identity.Tracker(sessions, pinned, clock, override="other_bot")
    await tracker.load()
    await tracker.seen("crm_test_bot")
    assert pinned.bot_username == identity.PLACEHOLDER  # the app sets the override itself


def test_cli_invite_uses_the_last_username_seen(
    sqlite_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    from bot.cli import main

    monkeypatch.delenv("CRM_BOT_USERNAME", raising=False)
    path = tmp_path / "i.db"
    shutil.copyfile(sqlite_template, path)
    db = f"sqlite+aiosqlite:///{path}"
    # Nothing known yet: no link to a wrong bot, but the token and how to get the link.
    assert main(["invite", "--role", "sales", "--name", "Zhao", "--db", db]) == 0
    out, err = capsys.readouterr()
    assert "t.me/crm_bot" not in out and out.startswith("token: ")
    assert "CRM_BOT_USERNAME" in err

    async def store() -> None:
        engine = make_engine(db)
        async with make_sessionmaker(engine)() as s, s.begin():
            await identity.remember(s, "acme_crm_bot", ManualClock(START).now())
        await engine.dispose()

    asyncio.run(store())
    assert main(["invite", "--role", "sales", "--name", "Qian", "--db", db]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("https://t.me/acme_crm_bot?start=")
    assert "acme_crm_bot" in err and "last start-up" in err
    monkeypatch.setenv("CRM_BOT_USERNAME", "override_bot")
    assert main(["invite", "--role", "sales", "--name", "Sun", "--db", db]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("https://t.me/override_bot?start=") and "last start-up" not in err
