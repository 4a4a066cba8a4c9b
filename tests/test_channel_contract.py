"""One contract for both Telegram adapters (aiogram 3 and python-telegram-bot 22).

Each test runs against each library over real HTTP: only Telegram is replaced, by
`tests.fake_botapi.FakeBotAPI` on 127.0.0.1, so each library's own HTTP layer, JSON and error
handling are exercised. The engine is replaced by `Recorder`, which keeps what the adapter
translated and answers with scripted replies.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot import commands_menu
from bot.channels.aiogram import AiogramChannel
from bot.channels.base import CommandMenu, MethodMissing, SendError, TelegramChannel
from bot.channels.ptb import PtbChannel
from bot.types import FileTooLarge, FileUnavailable, Inbound, Location, Outgoing
from crm.db import make_engine, make_sessionmaker
from crm.enums import Role
from crm.models import Staff
from handlers import build_router
from tests.fake_botapi import Call, FakeBotAPI

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
SECRET = TOKEN.split(":", 1)[1]
USER = 700200
GROUP = -100500
LIBS = ["aiogram", "ptb"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_channel(lib: str, base_url: str, token: str = TOKEN) -> TelegramChannel:
    if lib == "ptb":
        return PtbChannel(token, base_url)
    return AiogramChannel(token, base_url)


def to(chat_id: int) -> Callable[[Call], bool]:
    return lambda call: call.params.get("chat_id") == chat_id


@dataclass
class Recorder:
    """The engine as an adapter sees it."""

    reply: Callable[[Inbound], list[Outgoing]] = lambda inbound: []
    delay: float = 0.0
    seen: list[Inbound] = field(default_factory=list)
    done: list[Inbound] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, inbound: Inbound) -> list[Outgoing]:
        self.seen.append(inbound)
        self._arrived.set()
        await asyncio.sleep(self.delay)
        self.done.append(inbound)
        return self.reply(inbound)

    async def next(self, timeout: float = 5.0) -> Inbound:  # noqa: ASYNC109
        count = len(self.seen)
        async with asyncio.timeout(timeout):
            while len(self.seen) == count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.seen[count]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as server:
        yield server


@pytest.fixture(params=LIBS)
async def channel(request: pytest.FixtureRequest, api: FakeBotAPI) -> AsyncIterator[Any]:
    ch = make_channel(request.param, api.base_url)
    # These tests check what goes on the wire, not when: a chat's second reply need not wait
    # Telegram's second (pacing has its own tests: test_telegram_native, test_reply_coalescing).
    ch.pacer.interval = 0.05
    try:
        yield ch
    finally:
        await ch.close()


@dataclass
class Polling:
    engine: Recorder
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 5)


@pytest.fixture
async def polling(channel: Any, api: FakeBotAPI) -> AsyncIterator[Polling]:
    engine = Recorder()
    stop = asyncio.Event()
    run = Polling(engine, stop, asyncio.create_task(channel.poll(engine, stop)))
    try:
        await api.wait_for("getUpdates")
        yield run
    finally:
        await run.finish()


# ---- inbound: each kind of update becomes the same Inbound in both libraries ---------------

Push = Callable[[FakeBotAPI], dict[str, Any]]
INBOUND: list[tuple[str, Push, dict[str, Any]]] = [
    (
        "text",
        lambda api: api.push_message(USER, "hello <there>", first_name="Ann", username="ann"),
        {
            "kind": "text",
            "text": "hello <there>",
            "first_name": "Ann",
            "username": "ann",
            "chat_type": "private",
            "chat_id": USER,
        },
    ),
    (
        "command_with_args",
        lambda api: api.push_message(USER, "/find 明珠 hotel"),
        {"kind": "command", "command": "find", "args": "明珠 hotel"},
    ),
    (
        "command_to_the_bot",
        lambda api: api.push_message(USER, "/help@crm_test_bot"),
        {"kind": "command", "command": "help", "args": ""},
    ),
    (
        "deep_link",
        lambda api: api.push_message(USER, "/start inv_Ab-c123"),
        {"kind": "command", "command": "start", "args": "inv_Ab-c123"},
    ),
    (
        "contact",
        lambda api: api.push_content(
            USER,
            {"contact": {"phone_number": "+8613800138000", "first_name": "Ann", "user_id": USER}},
        ),
        {"kind": "contact", "contact_phone": "+8613800138000", "contact_user_id": USER},
    ),
    (
        "contact_of_someone_else",
        lambda api: api.push_content(
            USER, {"contact": {"phone_number": "13800138001", "first_name": "Bob"}}
        ),
        {"kind": "contact", "contact_phone": "13800138001", "contact_user_id": None},
    ),
    (
        "location",
        lambda api: api.push_content(
            USER, {"location": {"latitude": 31.2312, "longitude": 121.4712}}
        ),
        {"kind": "location", "location": Location(31.2312, 121.4712)},
    ),
    (
        "photo",
        lambda api: api.push_content(
            USER,
            {
                "photo": [
                    {"file_id": "SMALL", "file_unique_id": "s", "width": 90, "height": 60},
                    {"file_id": "LARGE", "file_unique_id": "l", "width": 1280, "height": 960},
                ],
                "caption": "front door",
            },
        ),
        {"kind": "photo", "photo_ids": ("LARGE",), "text": "front door"},
    ),
    (
        "voice",
        lambda api: api.push_content(
            USER, {"voice": {"file_id": "VOICE1", "file_unique_id": "v", "duration": 4}}
        ),
        {"kind": "voice", "voice_id": "VOICE1", "text": None},
    ),
    (
        "document",
        lambda api: api.push_content(
            USER,
            {"document": {"file_id": "DOC1", "file_unique_id": "d", "file_name": "quote.pdf"}},
        ),
        {"kind": "document", "document_id": "DOC1", "document_name": "quote.pdf"},
    ),
    (
        "language_code",
        lambda api: api.push_message(USER, "你好", language_code="zh-hans"),
        {"language_code": "zh-hans"},
    ),
    (
        "no_language_code",
        lambda api: api.push_message(USER, "hi", language_code=None),
        {"language_code": None},
    ),
    (
        "group_chat",
        lambda api: api.push_content(USER, {"text": "hello all"}, chat_id=GROUP),
        {"chat_type": "group", "chat_id": GROUP, "user_id": USER, "text": "hello all"},
    ),
]


@pytest.mark.parametrize(
    ("push", "expected"), [c[1:] for c in INBOUND], ids=[c[0] for c in INBOUND]
)
async def test_inbound(
    polling: Polling, api: FakeBotAPI, push: Push, expected: dict[str, Any]
) -> None:
    update = push(api)
    inbound = await polling.engine.next()
    assert inbound.channel == "telegram"
    assert inbound.update_id == update["update_id"]
    assert inbound.user_id == USER
    assert {k: getattr(inbound, k) for k in expected} == expected


async def test_callback_is_answered_and_translated(polling: Polling, api: FakeBotAPI) -> None:
    mark = api.mark()
    pressed = api.push_callback(USER, "ticket:42:take", message_id=7)
    inbound = await polling.engine.next()
    assert (inbound.kind, inbound.callback, inbound.callback_message_id) == (
        "callback",
        "ticket:42:take",
        7,
    )
    assert (inbound.chat_id, inbound.user_id) == (USER, USER)
    # Answered although the engine had nothing to say.
    answer = await api.wait_for("answerCallbackQuery", since=mark)
    assert answer.params["callback_query_id"] == pressed["callback_query"]["id"]
    assert answer.status == 200


async def test_callback_in_a_group(polling: Polling, api: FakeBotAPI) -> None:
    api.push_callback(USER, "poll:1", message_id=3, chat_id=GROUP)
    inbound = await polling.engine.next()
    assert (inbound.chat_id, inbound.user_id, inbound.chat_type) == (GROUP, USER, "group")
    await api.wait_for("answerCallbackQuery")


@pytest.mark.slow
async def test_the_answer_follows_the_engine_once(polling: Polling, api: FakeBotAPI) -> None:
    # The engine first (it takes milliseconds), so that the answer can carry its notice.
    polling.engine.delay = 0.3
    api.push_callback(USER, "slow", message_id=7)
    await polling.engine.next()
    answer = await api.wait_for("answerCallbackQuery", timeout=2)
    assert answer.status == 200 and polling.engine.done
    await asyncio.sleep(0.1)
    assert len(api.calls_of("answerCallbackQuery")) == 1


@pytest.mark.slow
async def test_a_slow_callback_answer_does_not_hold_the_reply(
    polling: Polling, api: FakeBotAPI
) -> None:
    # Telegram a long way off: the press's reply goes out while its answer is on the way.
    api.delay_next("answerCallbackQuery", 1.0)
    polling.engine.reply = lambda i: [Outgoing(i.chat_id, "Saved")]
    mark = api.mark()
    api.push_callback(USER, "save", message_id=7)
    reply = await api.wait_for("sendMessage", since=mark, timeout=0.6)
    answer = api.find("answerCallbackQuery", since=mark)
    assert reply.params["text"] == "Saved"
    assert answer is not None and not answer.answered.is_set()
    await asyncio.wait_for(answer.answered.wait(), 2)
    assert answer.status == 200


async def test_a_refused_callback_answer_still_reaches_the_engine(
    polling: Polling, api: FakeBotAPI
) -> None:
    api.fail_next("answerCallbackQuery", 400, "Bad Request: query is too old")
    api.push_callback(USER, "late", message_id=7)
    assert (await polling.engine.next()).callback == "late"


async def test_callback_reply_edits_the_message_in_place(
    channel: Any, polling: Polling, api: FakeBotAPI
) -> None:
    await channel.send(Outgoing(USER, "Pick one", buttons=((("A", "a"), ("B", "b")),)))
    sent = api.calls_of("sendMessage")[-1].result["message_id"]
    polling.engine.reply = lambda i: [
        Outgoing(i.chat_id, "Picked <b>A</b>", edit_message_id=i.callback_message_id)
    ]
    mark = api.mark()
    api.push_callback(USER, "a", message_id=sent)
    edit = await api.wait_for("editMessageText", since=mark)
    assert edit.status == 200
    assert (edit.params["message_id"], edit.params["parse_mode"]) == (sent, "HTML")
    assert edit.result["text"] == "Picked A" and "reply_markup" not in edit.result
    assert api.find("sendMessage", since=mark) is None


async def test_replies_are_sent_to_the_chat(polling: Polling, api: FakeBotAPI) -> None:
    polling.engine.reply = lambda i: [Outgoing(i.chat_id, "one"), Outgoing(i.chat_id, "two")]
    api.push_message(USER, "hi")
    await api.wait_for("sendMessage", lambda c: c.params["text"] == "two")
    assert [c.params["text"] for c in api.calls_of("sendMessage")] == ["one", "two"]


async def test_a_failed_reply_does_not_stop_the_next(polling: Polling, api: FakeBotAPI) -> None:
    polling.engine.reply = lambda i: [Outgoing(i.chat_id, "first"), Outgoing(i.chat_id, "second")]
    api.fail_next_blocked()
    api.push_message(USER, "hi")
    second = await api.wait_for("sendMessage", lambda c: c.params["text"] == "second")
    assert second.status == 200


@pytest.mark.slow
async def test_polling_survives_a_transient_failure(polling: Polling, api: FakeBotAPI) -> None:
    api.fail_next("getUpdates", 502, "Bad Gateway")
    api.fail_next("getUpdates", 500, "Internal Server Error")
    # The poll waiting now ends with this update; the next two polls fail.
    api.push_message(USER, "first")
    assert (await polling.engine.next()).text == "first"
    api.push_message(USER, "still there?")
    assert (await polling.engine.next(timeout=10)).text == "still there?"
    statuses = [c.status for c in api.calls_of("getUpdates")]
    assert statuses[statuses.index(502) : statuses.index(502) + 2] == [502, 500]


@pytest.mark.slow
async def test_stop_finishes_updates_in_flight(polling: Polling, api: FakeBotAPI) -> None:
    polling.engine.delay = 0.5
    polling.engine.reply = lambda i: [Outgoing(i.chat_id, "done")]
    api.push_message(USER, "slow one")
    await polling.engine.next()
    await polling.finish()  # SIGTERM while the engine works on it
    reply = api.find("sendMessage", to(USER))
    assert reply is not None and reply.delivered and reply.status == 200


@pytest.mark.parametrize("lib", LIBS)
async def test_polling_raises_when_the_token_is_refused(lib: str, api: FakeBotAPI) -> None:
    ch = make_channel(lib, api.base_url, "123456:ANOTHER-token-abcdefghijklmnopqrstuvwx")
    try:
        with pytest.raises(Exception) as err:
            await asyncio.wait_for(ch.poll(Recorder(), asyncio.Event()), 5)
        assert not isinstance(err.value, TimeoutError)
        assert "nauthorized" in str(err.value)
    finally:
        await ch.close()


# ---- outbound: each kind of Outgoing becomes the same Bot API call in both libraries -------


async def test_text_is_sent_as_html(channel: Any, api: FakeBotAPI) -> None:
    await channel.send(Outgoing(USER, "<b>Hi</b> A&amp;B &lt;3"))
    call = api.calls_of("sendMessage")[-1]
    assert call.status == 200
    assert (call.params["text"], call.params["parse_mode"]) == ("<b>Hi</b> A&amp;B &lt;3", "HTML")
    assert call.result["text"] == "Hi A&B <3"
    assert "reply_markup" not in call.params


async def test_inline_keyboard(channel: Any, api: FakeBotAPI) -> None:
    buttons = ((("✅ Yes", "fu:9:done"), ("No", "fu:9:no")), (("More", "~visit.kind:call"),))
    await channel.send(Outgoing(USER, "Done?", buttons=buttons))
    markup = api.calls_of("sendMessage")[-1].params["reply_markup"]
    assert markup == {
        "inline_keyboard": [
            [
                {"text": "✅ Yes", "callback_data": "fu:9:done"},
                {"text": "No", "callback_data": "fu:9:no"},
            ],
            [{"text": "More", "callback_data": "~visit.kind:call"}],
        ]
    }


async def test_reply_keyboard_with_request_buttons(channel: Any, api: FakeBotAPI) -> None:
    keyboard = ((("📱 Share", "contact"), ("📍 Here", "location")), (("❓ Help", ""),))
    await channel.send(Outgoing(USER, "Menu", keyboard=keyboard))
    markup = api.calls_of("sendMessage")[-1].params["reply_markup"]
    assert markup["resize_keyboard"] is True
    rows = [
        [{k: v for k, v in b.items() if v is not None} for b in row] for row in markup["keyboard"]
    ]
    assert rows == [
        [
            {"text": "📱 Share", "request_contact": True},
            {"text": "📍 Here", "request_location": True},
        ],
        [{"text": "❓ Help"}],
    ]


async def test_keyboard_removal(channel: Any, api: FakeBotAPI) -> None:
    await channel.send(Outgoing(USER, "Bye", remove_keyboard=True))
    markup = api.calls_of("sendMessage")[-1].params["reply_markup"]
    assert markup == {"remove_keyboard": True}


async def test_edit_in_place(channel: Any, api: FakeBotAPI) -> None:
    await channel.send(Outgoing(USER, "Pick", buttons=((("A", "a"),),)))
    message_id = api.calls_of("sendMessage")[-1].result["message_id"]
    mark = api.mark()
    await channel.send(
        Outgoing(USER, "Picked <i>A</i>", buttons=((("Undo", "u"),),), edit_message_id=message_id)
    )
    edit = api.calls_of("editMessageText")[-1]
    assert edit.status == 200
    assert (edit.params["chat_id"], edit.params["message_id"]) == (USER, message_id)
    assert edit.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Undo", "callback_data": "u"}]]
    }
    assert edit.result["text"] == "Picked A"
    assert api.find("sendMessage", since=mark) is None


async def test_edits_that_need_not_or_cannot_happen(channel: Any, api: FakeBotAPI) -> None:
    await channel.send(Outgoing(USER, "Pick", buttons=((("A", "a"),),)))
    message_id = api.calls_of("sendMessage")[-1].result["message_id"]
    # The same content again: Telegram says "not modified", which is no error.
    await channel.send(Outgoing(USER, "Pick", buttons=((("A", "a"),),), edit_message_id=message_id))
    assert api.calls_of("editMessageText")[-1].status == 400
    # A message that can no longer be edited: the text comes as a new message.
    mark = api.mark()
    await channel.send(Outgoing(USER, "Done", edit_message_id=message_id + 100))
    assert api.find("sendMessage", lambda c: c.params["text"] == "Done", since=mark)
    # A reply keyboard cannot go on an edited message: a new one carries it.
    mark = api.mark()
    keyboard = ((("Menu", ""),),)
    await channel.send(Outgoing(USER, "Back", keyboard=keyboard, edit_message_id=message_id))
    assert api.find("editMessageText", since=mark) is None
    assert api.find("sendMessage", lambda c: "keyboard" in c.params["reply_markup"], since=mark)


async def test_photo(channel: Any, api: FakeBotAPI) -> None:
    await channel.send(
        Outgoing(USER, "<b>Team</b> today", photo=PNG, buttons=((("Details", "sum:1"),),))
    )
    call = api.calls_of("sendPhoto")[-1]
    assert call.status == 200
    assert call.files["photo"][1] == PNG
    assert (call.params["caption"], call.params["parse_mode"]) == ("<b>Team</b> today", "HTML")
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "sum:1"
    assert call.result["caption"] == "Team today"


async def test_photo_with_a_text_too_long_for_a_caption(channel: Any, api: FakeBotAPI) -> None:
    text = "<b>Team summary</b>\n" + "\n".join(f"• rep {i}: 3 visits" for i in range(80))
    assert len(text) > 1024
    mark = api.mark()
    await channel.send(Outgoing(USER, text, photo=PNG, buttons=((("Details", "sum:1"),),)))
    photo = api.find("sendPhoto", since=mark)
    assert photo is not None and photo.status == 200
    assert photo.params["caption"] == "<b>Team summary</b>" and "reply_markup" not in photo.params
    follow = api.find("sendMessage", since=mark)
    assert follow is not None and follow.status == 200 and follow.params["text"] == text
    assert follow.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "sum:1"


async def test_document(channel: Any, api: FakeBotAPI) -> None:
    data = "name,visits\n张伟,3\n".encode()
    await channel.send(Outgoing(USER, "Export <i>ready</i>", document=data, filename="visits.csv"))
    call = api.calls_of("sendDocument")[-1]
    assert call.status == 200
    assert call.files["document"] == ("visits.csv", data)
    assert (call.params["caption"], call.params["parse_mode"]) == ("Export <i>ready</i>", "HTML")


# ---- download: the file a user sent, as bytes, within the limit ---------------------------


async def test_download_a_document_the_user_sent(
    channel: Any, polling: Polling, api: FakeBotAPI
) -> None:
    data = "客户名称,电话\n华北电力,13900000001\n".encode() + bytes(range(256)) * 300
    file_id = api.upload("customers.csv", data)
    api.push_content(
        USER,
        {"document": {"file_id": file_id, "file_unique_id": "u1", "file_name": "customers.csv"}},
    )
    inbound = await polling.engine.next()
    assert inbound.document_id == file_id
    mark = api.mark()
    assert await channel.download(inbound.document_id) == data
    assert api.find("getFile", lambda c: c.params["file_id"] == file_id, since=mark)


async def test_download_refuses_what_is_over_the_limit(channel: Any, api: FakeBotAPI) -> None:
    small = api.upload("a.csv", b"x" * 2000)
    with pytest.raises(FileTooLarge):
        await channel.download(small, limit=1000)
    assert await channel.download(small, limit=2000) == b"x" * 2000
    # Telegram itself refuses getFile over 20 MB, before any byte is sent.
    huge = api.upload("huge.xlsx", b"PK", size=25 * 1024 * 1024)
    with pytest.raises(FileTooLarge):
        await channel.download(huge)


async def test_download_of_an_unknown_file(channel: Any, api: FakeBotAPI) -> None:
    with pytest.raises(FileUnavailable) as err:
        await channel.download("NO-SUCH-FILE")
    assert SECRET not in str(err.value)
    api.fail_next("getFile", 502, "Bad Gateway")
    with pytest.raises(FileUnavailable):
        await channel.download(api.upload("b.csv", b"name\nA\n"))


# ---- errors: every failure reaches the outbox sender as a kind it knows how to treat -------

SEND_ERRORS = [
    (429, "Too Many Requests: retry after 3", "retry_after"),
    (403, "Forbidden: bot was blocked by the user", "blocked"),
    (403, "Forbidden: user is deactivated", "blocked"),
    (400, "Bad Request: chat not found", "bad_request"),
    (400, "Bad Request: can't parse entities: Unsupported start tag", "bad_request"),
    (404, "Not Found", "bad_request"),
    (413, "Request Entity Too Large", "bad_request"),
    (500, "Internal Server Error", "network"),
    (502, "Bad Gateway", "network"),
    (409, "Conflict: terminated by other getUpdates request", "network"),
]


@pytest.mark.parametrize(
    ("status", "description", "kind"), SEND_ERRORS, ids=[f"{s}-{k}" for s, _, k in SEND_ERRORS]
)
async def test_send_error_kinds(
    channel: Any, api: FakeBotAPI, status: int, description: str, kind: str
) -> None:
    api.fail_next("sendMessage", status, description, 3 if status == 429 else None)
    with pytest.raises(SendError) as err:
        await channel.send(Outgoing(USER, "hi"))
    assert err.value.kind == kind, err.value
    if kind == "retry_after":
        assert err.value.retry_after == 3.0
    await channel.send(Outgoing(USER, "hi"))  # and the next one goes through


async def test_errors_of_photos_and_edits_are_mapped_too(channel: Any, api: FakeBotAPI) -> None:
    api.fail_next_flood("sendPhoto", retry_after=5)
    with pytest.raises(SendError) as err:
        await channel.send(Outgoing(USER, "chart", photo=PNG))
    assert (err.value.kind, err.value.retry_after) == ("retry_after", 5.0)
    api.fail_next_blocked("editMessageText")
    with pytest.raises(SendError) as err:
        await channel.send(Outgoing(USER, "x", buttons=((("A", "a"),),), edit_message_id=1))
    assert err.value.kind == "blocked"


async def test_a_proxy_error_page_is_a_network_error(channel: Any, api: FakeBotAPI) -> None:
    api.fail_next_raw("sendMessage", 502, "<html><body>502 Bad Gateway</body></html>")
    with pytest.raises(SendError) as err:
        await channel.send(Outgoing(USER, "hi"))
    assert err.value.kind == "network"
    assert SECRET not in err.value.detail


@pytest.mark.parametrize("lib", LIBS)
async def test_an_unreachable_server_is_a_network_error(lib: str) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ch = make_channel(lib, f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(SendError) as err:
            await ch.send(Outgoing(USER, "hi"))
        assert err.value.kind == "network"
        assert SECRET not in err.value.detail
    finally:
        await ch.close()


# ---- command menus ---------------------------------------------------------------------------


async def test_set_commands_scopes(channel: Any, api: FakeBotAPI) -> None:
    api.user(USER)
    await channel.set_commands(CommandMenu((("new", "New request"),)))
    await channel.set_commands(CommandMenu((("new", "新工单"),), language_code="zh"))
    await channel.set_commands(CommandMenu((("visit", "Register a visit"),), chat_id=USER))
    calls = api.calls_of("setMyCommands")
    assert all(c.status == 200 for c in calls)
    assert [c.params.get("scope", {"type": "default"}) for c in calls] == [
        {"type": "default"},
        {"type": "default"},
        {"type": "chat", "chat_id": USER},
    ]
    assert [c.params.get("language_code") for c in calls] == [None, "zh", None]
    assert calls[1].params["commands"] == [{"command": "new", "description": "新工单"}]


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (404, "Not Found"),  # Telegram's answer to an unknown method
        (500, "API method 'setMyCommands' is not supported."),  # an emulator's
    ],
)
async def test_a_server_without_set_my_commands(
    channel: Any, api: FakeBotAPI, status: int, description: str
) -> None:
    api.fail_next("setMyCommands", status, description)
    with pytest.raises(MethodMissing):
        await channel.set_commands(CommandMenu((("new", "New request"),)))


async def test_a_menu_for_an_unknown_chat_is_a_bad_request(channel: Any, api: FakeBotAPI) -> None:
    with pytest.raises(SendError) as err:
        await channel.set_commands(CommandMenu((("new", "New"),), chat_id=USER + 999))
    assert err.value.kind == "bad_request"


@pytest.fixture
async def sessions(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Any]:
    path = tmp_path / "crm.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def test_menus_at_start_per_role_and_language(
    channel: Any, api: FakeBotAPI, sessions: Any
) -> None:
    async with sessions() as s, s.begin():
        s.add_all(
            [
                Staff(tg_user_id=USER + 1, name="Rep", role="sales", locale="en"),
                Staff(tg_user_id=USER + 2, name="经理", role="manager", locale="zh_CN"),
                Staff(tg_user_id=USER + 3, name="Gone", role="sales", active=False),
                Staff(tg_user_id=None, name="Invited", role="service"),
            ]
        )
    for user_id in (USER + 1, USER + 2):
        api.user(user_id)
    router = build_router()
    assert await commands_menu.publish(channel, router, sessions, "zh_CN")
    calls = {
        (c.params.get("scope", {}).get("chat_id"), c.params.get("language_code")): c
        for c in api.calls_of("setMyCommands")
    }
    assert set(calls) == {
        (None, None),
        (None, "en"),
        (None, "ru"),
        (USER + 1, None),
        (USER + 2, None),
    }
    assert all(c.status == 200 for c in calls.values())

    def menu(key: tuple[int | None, str | None]) -> dict[str, str]:
        return {c["command"]: c["description"] for c in calls[key].params["commands"]}

    customer_zh, customer_en = menu((None, None)), menu((None, "en"))
    assert (
        set(customer_zh) == set(customer_en) == {c.name for c in router.commands_for(Role.CUSTOMER)}
    )
    assert "visit" not in customer_zh and customer_en["help"] == "show this help"
    assert customer_zh["help"] != customer_en["help"]  # translated
    rep, manager = menu((USER + 1, None)), menu((USER + 2, None))
    assert list(rep) == [c.name for c in router.commands_for(Role.SALES)]
    assert "visit" in rep and "summary" not in rep and rep["help"] == "show this help"
    assert "summary" in manager and manager["help"] == customer_zh["help"]


async def test_menus_stop_quietly_on_a_server_without_the_method(
    channel: Any, api: FakeBotAPI, sessions: Any
) -> None:
    api.fail_next("setMyCommands", 404, "Not Found")
    assert not await commands_menu.publish(channel, build_router(), sessions, "zh_CN")
    assert len(api.calls_of("setMyCommands")) == 1


async def test_refresh_after_a_role_or_language_change(channel: Any, api: FakeBotAPI) -> None:
    api.user(USER)
    router = build_router()
    assert await commands_menu.refresh_user(channel, router, USER, Role.SERVICE, "en")
    call = api.calls_of("setMyCommands")[-1]
    assert call.params["scope"] == {"type": "chat", "chat_id": USER}
    names = [c["command"] for c in call.params["commands"]]
    assert names == [c.name for c in router.commands_for(Role.SERVICE)]


# ---- media sent on by file id: photos, an album, a document, voice, a location pin ----------


async def test_media_relay_by_file_id(channel: Any, api: FakeBotAPI) -> None:
    from bot.types import Media

    for fid in ("PH1", "PH2", "PH3", "DOC1", "VO1"):
        api.add_file(fid, f"{fid}.bin", b"x")
    media = (
        Media("photo", file_id="PH1", group="a1"),
        Media("photo", file_id="PH2", group="a1"),
        Media("photo", file_id="PH3"),
        Media("document", file_id="DOC1", name="report.pdf"),
        Media("voice", file_id="VO1"),
        Media("location", lat=31.2304, lon=121.4737),
    )
    mark = api.mark()
    await channel.send(Outgoing(USER, "💬 T-1: photos", media=media))
    text = api.find("sendMessage", since=mark)
    assert text is not None and text.status == 200
    group = api.find("sendMediaGroup", since=mark)
    assert group is not None and group.status == 200
    assert [m["media"] for m in group.params["media"]] == ["PH1", "PH2"]
    photo = api.find("sendPhoto", since=mark)
    assert photo is not None and photo.status == 200 and photo.params["photo"] == "PH3"
    doc = api.find("sendDocument", since=mark)
    assert doc is not None and doc.status == 200 and doc.params["document"] == "DOC1"
    voice = api.find("sendVoice", since=mark)
    assert voice is not None and voice.status == 200
    pin = api.find("sendLocation", since=mark)
    assert pin is not None and pin.status == 200
    assert (float(pin.params["latitude"]), float(pin.params["longitude"])) == (31.2304, 121.4737)


async def test_media_survives_the_outbox_payload() -> None:
    from bot.types import Media

    out = Outgoing(
        USER, "x", media=(Media("photo", file_id="P", group="g"), Media("location", lat=1, lon=2))
    )
    back = Outgoing.from_payload(USER, out.to_payload())
    assert back.media == out.media
