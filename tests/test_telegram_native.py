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
from bot.types import Outgoing as Out
from crm.clock import ManualClock
from crm.db import make_engine, make_sessionmaker
from tests.fake_botapi import FakeBotAPI
from tests.test_channel_contract import (
    USER,
    Polling,
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


# ---- sending under pressure ---------------------------------------------------------------


@pytest.fixture
async def sq_app(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Any]:
    """The real app on SQLite (its clock manual), for the engine's side of the channel."""
    from bot.app import build_app
    from bot.settings import load

    path = tmp_path / "app.db"
    shutil.copyfile(sqlite_template, path)
    settings, rules = load(
        database_url=f"sqlite+aiosqlite:///{path}", _env_file=None, health_port=0
    )
    application = build_app(settings, rules, ManualClock(START))
    try:
        yield application
    finally:
        await application.close()


def _burst_reply(i: Any) -> list[Out]:
    """Words only, except every tenth reply (m5, m15, m25): inline buttons, its own message."""
    n = int(i.text[1:])
    if n % 10 == 5:
        return [Out(i.chat_id, f"got {i.text}", buttons=((("OK", f"ok:{n}"),),))]
    return [Out(i.chat_id, f"got {i.text}")]


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_a_burst_of_35_is_paced_per_chat_coalesced_and_none_dropped(lib: str) -> None:
    from tests.fake_botapi import Limits
    from tests.test_channel_contract import TOKEN, make_channel

    # Telegram's one a second per chat, scaled down twentyfold so the test takes a moment.
    interval = 0.05
    async with FakeBotAPI(TOKEN, limits=Limits(per_chat=(1, interval))) as fake:
        ch = make_channel(lib, fake.base_url)
        ch.pacer.interval = interval * 1.5  # the margin the real pacer keeps, scaled up
        engine = Recorder(reply=_burst_reply)
        stop = asyncio.Event()
        task = asyncio.create_task(ch.poll(engine, stop))
        try:
            await fake.wait_for("getUpdates")
            for n in range(35):
                fake.push_message(USER, f"m{n}")
            await fake.wait_for(
                "sendMessage",
                lambda c: c.status == 200 and c.params["text"].endswith("got m34"),
                timeout=15,
            )
            await asyncio.sleep(0.2)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await ch.close()
        sent = [c for c in fake.calls_of("sendMessage") if c.status == 200]
        assert fake.violations == []  # no chat over its rate
        gaps = [b.at - a.at for a, b in zip(sent, sent[1:], strict=False)]
        assert min(gaps) >= interval * 0.9
        # Fewer messages, every reply's words in them, in order, none twice.
        assert len(sent) < 35
        words = [w for c in sent for w in c.params["text"].split("\n\n")]
        assert words == [f"got m{n}" for n in range(35)]
        # The buttons stay on their own reply's message, alone: a press edits only it.
        with_buttons = [c for c in sent if c.params.get("reply_markup")]
        assert [c.params["text"] for c in with_buttons] == ["got m5", "got m15", "got m25"]
        for c in with_buttons:
            n = c.params["text"].removeprefix("got m")
            assert f"ok:{n}" in str(c.params["reply_markup"])


async def test_a_long_flood_wait_on_a_reply_goes_to_the_outbox(
    channel: Any, api: FakeBotAPI, sq_app: Any
) -> None:
    from datetime import timedelta

    from bot.channels.base import deliver
    from bot.sender import OutboxSender
    from bot.types import Inbound

    app = sq_app
    app.engine.reply_lease = timedelta(seconds=30)  # as the runtime runs it
    sender = OutboxSender(app.sessions, channel, app.clock)
    api.user(USER)
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    inbound = Inbound("telegram", 1, USER, USER, first_name="Ann", language_code="en", text="/help")
    await deliver(app.engine, inbound, channel.send)
    refused = api.calls_of("sendMessage")
    assert [c.status for c in refused] == [429]  # not waited out in place, not retried at once
    assert await sender.drain() == 0  # not yet: Telegram said 30 s
    app.clock.advance(timedelta(seconds=29))
    assert await sender.drain() == 0
    app.clock.advance(timedelta(seconds=2))
    assert await sender.drain() == 1
    delivered = api.calls_of("sendMessage")[-1]
    assert delivered.status == 200 and "/help" in delivered.params["text"]


async def test_my_chat_member_marks_a_chat_blocked_and_unblocked(
    channel: Any, api: FakeBotAPI, sq_app: Any
) -> None:
    from crm.services import outbox

    stop = asyncio.Event()
    task = asyncio.create_task(channel.poll(sq_app.engine, stop))
    try:
        await api.wait_for("getUpdates")

        async def blocked() -> bool:
            async with sq_app.sessions() as s:
                return await outbox.is_unreachable(s, USER)

        api.push_member(USER, "kicked")
        for _ in range(50):
            if await blocked():
                break
            await asyncio.sleep(0.05)
        assert await blocked()
        api.push_member(USER, "member")
        for _ in range(50):
            if not await blocked():
                break
            await asyncio.sleep(0.05)
        assert not await blocked()
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


@pytest.mark.slow
async def test_slow_work_shows_a_chat_action(polling: Polling, api: FakeBotAPI) -> None:
    polling.engine.delay = 1.3
    polling.engine.reply = lambda i: [Out(i.chat_id, "export ready")]
    mark = api.mark()
    api.push_message(USER, "/export")
    action = await api.wait_for("sendChatAction", since=mark, timeout=3)
    assert action.status == 200 and action.params["action"] == "upload_document"
    reply = await api.wait_for("sendMessage", since=mark, timeout=3)
    assert action.at < reply.at
    # Quick work shows none.
    polling.engine.delay = 0.0
    mark = api.mark()
    api.push_message(USER, "/help")
    await api.wait_for("sendMessage", since=mark)
    await asyncio.sleep(1.2)
    assert api.find("sendChatAction", since=mark) is None


@pytest.mark.slow
async def test_an_album_is_one_message(polling: Polling, api: FakeBotAPI) -> None:
    def photo(file_id: str) -> list[dict[str, Any]]:
        return [{"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 600}]

    api.push_content(USER, {"photo": photo("P1"), "media_group_id": "G1", "caption": "leak"})
    api.push_content(USER, {"photo": photo("P2"), "media_group_id": "G1"})
    api.push_content(USER, {"photo": photo("P3"), "media_group_id": "G1"})
    inbound = await polling.engine.next(timeout=5)
    await asyncio.sleep(1.2)
    assert len(polling.engine.seen) == 1
    assert inbound.photo_ids == ("P1", "P2", "P3") and inbound.text == "leak"


# ---- live menus and the first screen -------------------------------------------------------


async def _outbox_rows(sessions: Any, chat_id: int) -> list[Any]:
    from sqlalchemy import select

    from crm.models import OutboxMessage

    async with sessions() as s:
        rows = await s.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return list(rows)


async def test_menus_follow_role_changes_and_deactivation(
    channel: Any, api: FakeBotAPI, sessions: Any
) -> None:
    from sqlalchemy import select

    from bot import menu_sync
    from crm.models import Staff
    from handlers import build_router

    rep_chat, other = USER + 11, USER + 12
    for chat_id in (rep_chat, other):
        api.user(chat_id)
    async with sessions() as s, s.begin():
        s.add_all(
            [
                Staff(tg_user_id=rep_chat, name="Rep", role="sales", locale="en"),
                Staff(tg_user_id=other, name="Other", role="service", locale="en"),
            ]
        )
    router, clock = build_router(), ManualClock(START)

    def menu_of(call: Any) -> list[str]:
        return [c["command"] for c in call.params["commands"]]

    async def change(**values: Any) -> None:
        async with sessions() as s, s.begin():
            person = await s.scalar(select(Staff).where(Staff.name == "Rep"))
            for k, v in values.items():
                setattr(person, k, v)

    # First run: every menu set, nobody messaged.
    assert await menu_sync.sync(channel, router, sessions, clock) == 2
    assert await _outbox_rows(sessions, rep_chat) == []
    assert await menu_sync.sync(channel, router, sessions, clock) == 0  # nothing changed

    mark = api.mark()
    await change(role="manager")
    assert await menu_sync.sync(channel, router, sessions, clock) == 1
    call = api.find("setMyCommands", since=mark)
    assert call is not None and call.status == 200
    assert call.params["scope"] == {"type": "chat", "chat_id": rep_chat}
    assert "summary" in menu_of(call)  # the manager's menu now
    (note,) = await _outbox_rows(sessions, rep_chat)
    assert "manager" in note.payload["text"] and note.payload["keyboard"]
    labels = [b[0] for row in note.payload["keyboard"] for b in row]
    assert any("📊" in label for label in labels)  # the team summary button

    mark = api.mark()
    await change(active=False)
    assert await menu_sync.sync(channel, router, sessions, clock) == 1
    deleted = api.find("deleteMyCommands", since=mark)
    assert deleted is not None and deleted.status == 200
    assert deleted.params["scope"] == {"type": "chat", "chat_id": rep_chat}
    assert api.find("setMyCommands", since=mark) is None
    last = (await _outbox_rows(sessions, rep_chat))[-1]
    assert "deactivated" in last.payload["text"] and last.payload["remove_keyboard"]

    mark = api.mark()
    await change(active=True, locale="ru")
    assert await menu_sync.sync(channel, router, sessions, clock) == 1
    call = api.find("setMyCommands", since=mark)
    assert call is not None and "summary" in menu_of(call)
    assert call.params["commands"][0]["description"] != "register a visit"
    last = (await _outbox_rows(sessions, rep_chat))[-1]
    assert last.payload["keyboard"] and not last.payload["remove_keyboard"]

    # Unlinked from Telegram: that chat gets the default menu back.
    mark = api.mark()
    await change(tg_user_id=None)
    assert await menu_sync.sync(channel, router, sessions, clock) == 1
    gone = api.find("deleteMyCommands", since=mark)
    assert gone is not None and gone.params["scope"]["chat_id"] == rep_chat


async def test_descriptions_and_menu_button_at_start(channel: Any, api: FakeBotAPI) -> None:
    from bot import profile

    assert await profile.publish(channel, "zh_CN")
    long = {c.params.get("language_code"): c for c in api.calls_of("setMyDescription")}
    short = {c.params.get("language_code"): c for c in api.calls_of("setMyShortDescription")}
    assert set(long) == set(short) == {None, "en", "ru"}
    assert all(c.status == 200 for c in [*long.values(), *short.values()])
    assert long[None].params["description"] != long["en"].params["description"]
    assert "Start" in long["en"].params["description"]
    button = api.calls_of("setChatMenuButton")[-1]
    assert button.status == 200 and button.params["menu_button"] == {"type": "commands"}


async def test_invites_in_chat_use_the_name_telegram_gave(app: Any, chat: Any) -> None:
    names = identity.Tracker(app.sessions, app.engine, app.clock, override=None)
    await names.seen("acme_crm_bot")
    out = await chat("/as manager", "/invite", "[1]", "王小明")
    link = next(line for line in out.splitlines() if "https://t.me/" in line)
    assert "https://t.me/acme_crm_bot?start=" in link
