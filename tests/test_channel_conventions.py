# ruff: noqa: F811  (pytest fixtures imported from the contract suite)
"""Telegram conventions, one contract for both adapters over the fake Bot API (issue 16 item 5,
issue 20 item 8): a press is answered with its notice (toast or alert), a pressed button edits
its message, location and contact requests keep their reply-keyboard buttons next to inline
ones, labels are plain text, and long messages arrive split, never refused."""

from __future__ import annotations

import asyncio
import re
from zoneinfo import ZoneInfo

from bot.channels.console import ConsoleChannel
from bot.channels.parts import CAPTION_LIMIT, TEXT_LIMIT, split_text
from bot.i18n import Renderer
from bot.render import render_reply
from bot.types import Button, Inbound, KeyButton, Raw, Reply, T
from bot.types import Outgoing as Out
from tests.fake_botapi import FakeBotAPI
from tests.test_channel_contract import (  # noqa: F401 (fixtures)
    PNG,
    USER,
    Polling,
    api,
    channel,
    polling,
)


async def test_a_toast_answers_the_press(polling: Polling, api: FakeBotAPI) -> None:
    polling.engine.reply = lambda i: [
        Out(i.chat_id, "Saved <b>A &amp; B</b>", notice="toast"),
        Out(i.chat_id, "Next step"),
    ]
    mark = api.mark()
    api.push_callback(USER, "save", message_id=7)
    answer = await api.wait_for("answerCallbackQuery", since=mark)
    await api.wait_for("sendMessage", since=mark)
    await asyncio.sleep(0.1)
    assert answer.status == 200
    assert answer.params["text"] == "Saved A & B"
    assert not answer.params.get("show_alert")
    assert [c.params["text"] for c in api.calls_of("sendMessage")[-1:]] == ["Next step"]
    assert api.find("sendMessage", lambda c: "Saved" in c.params["text"], since=mark) is None


async def test_an_alert_refusal_is_shown_as_an_alert(polling: Polling, api: FakeBotAPI) -> None:
    polling.engine.reply = lambda i: [
        Out(i.chat_id, "Not allowed: nothing changed", notice="alert")
    ]
    mark = api.mark()
    api.push_callback(USER, "ticket:9:take", message_id=7)
    answer = await api.wait_for("answerCallbackQuery", since=mark)
    await asyncio.sleep(0.2)
    assert answer.status == 200
    assert (answer.params["text"], answer.params["show_alert"]) == (
        "Not allowed: nothing changed",
        True,
    )
    assert api.find("sendMessage", since=mark) is None
    assert len(api.calls_of("answerCallbackQuery")) == 1


async def test_a_refused_answer_sends_its_notice_as_a_message(
    polling: Polling, api: FakeBotAPI
) -> None:
    api.fail_next("answerCallbackQuery", 400, "Bad Request: query is too old")
    polling.engine.reply = lambda i: [Out(i.chat_id, "This button has expired", notice="alert")]
    mark = api.mark()
    api.push_callback(USER, "old", message_id=7)
    sent = await api.wait_for("sendMessage", since=mark)
    assert sent.params["text"] == "This button has expired"


async def test_a_notice_without_a_press_is_a_message(polling: Polling, api: FakeBotAPI) -> None:
    polling.engine.reply = lambda i: [Out(i.chat_id, "Noted", notice="toast")]
    mark = api.mark()
    api.push_message(USER, "hello")
    sent = await api.wait_for("sendMessage", since=mark)
    assert sent.params["text"] == "Noted"
    assert api.find("answerCallbackQuery", since=mark) is None


async def test_a_second_notice_is_not_lost(polling: Polling, api: FakeBotAPI) -> None:
    polling.engine.reply = lambda i: [
        Out(i.chat_id, "First", notice="toast"),
        Out(i.chat_id, "Second", notice="toast"),
    ]
    mark = api.mark()
    api.push_callback(USER, "x", message_id=7)
    answer = await api.wait_for("answerCallbackQuery", since=mark)
    sent = await api.wait_for("sendMessage", since=mark)
    assert (answer.params["text"], sent.params["text"]) == ("First", "Second")


async def test_a_press_edits_text_and_keyboard_in_place(
    channel: object, polling: Polling, api: FakeBotAPI
) -> None:
    await channel.send(Out(USER, "Card", buttons=((("Edit", "e"), ("Save", "s")),)))  # type: ignore[attr-defined]
    sent = api.calls_of("sendMessage")[-1].result["message_id"]
    polling.engine.reply = lambda i: [
        Out(
            i.chat_id,
            "Card <i>saved</i>",
            buttons=((("Undo", "u"),),),
            edit_message_id=i.callback_message_id,
        )
    ]
    mark = api.mark()
    api.push_callback(USER, "s", message_id=sent)
    edit = await api.wait_for("editMessageText", since=mark)
    assert edit.status == 200 and edit.result["text"] == "Card saved"
    assert edit.result["reply_markup"] == {
        "inline_keyboard": [[{"text": "Undo", "callback_data": "u"}]]
    }
    assert api.find("sendMessage", since=mark) is None


async def test_an_edit_of_a_photo_message_becomes_a_new_message(
    channel: object, api: FakeBotAPI
) -> None:
    await channel.send(Out(USER, "Chart", photo=PNG, buttons=((("Details", "d"),),)))  # type: ignore[attr-defined]
    photo = api.calls_of("sendPhoto")[-1].result["message_id"]
    mark = api.mark()
    await channel.send(  # type: ignore[attr-defined]
        Out(USER, "Details", buttons=((("Back", "b"),),), edit_message_id=photo)
    )
    assert api.calls_of("editMessageText")[-1].status == 400
    follow = api.find("sendMessage", since=mark)
    assert follow is not None and follow.status == 200 and follow.params["text"] == "Details"
    assert follow.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"


def _request_buttons(call: object) -> list[dict]:
    markup = call.params["reply_markup"]  # type: ignore[attr-defined]
    return [b for row in markup.get("keyboard", []) for b in row]


async def test_location_and_contact_requests_survive_inline_buttons(
    channel: object, api: FakeBotAPI
) -> None:
    for kind in ("location", "contact"):
        mark = api.mark()
        await channel.send(  # type: ignore[attr-defined]
            Out(
                USER,
                "Check in: send your location",
                buttons=((("Skip", "skip"), ("⬅ Back", "back")),),
                keyboard=((("📍 Send my location" if kind == "location" else "📱 Share", kind),),),
            )
        )
        first, second = [c for c in api.calls if c.method == "sendMessage"][-2:]
        assert api.calls.index(first) >= mark and first.status == second.status == 200
        assert first.params["text"] == "Check in: send your location"
        assert "inline_keyboard" in first.params["reply_markup"]
        (button,) = _request_buttons(second)
        assert button[f"request_{kind}"] is True
        assert second.params["text"] == button["text"]


async def test_a_press_with_a_location_request_edits_and_adds_the_keyboard(
    channel: object, api: FakeBotAPI
) -> None:
    await channel.send(Out(USER, "Step 5", buttons=((("Done", "d"),),)))  # type: ignore[attr-defined]
    sent = api.calls_of("sendMessage")[-1].result["message_id"]
    mark = api.mark()
    await channel.send(  # type: ignore[attr-defined]
        Out(
            USER,
            "Step 6: location",
            buttons=((("Skip", "s"),),),
            keyboard=((("📍 Here", "location"),),),
            edit_message_id=sent,
        )
    )
    edit = api.find("editMessageText", since=mark)
    assert edit is not None and edit.status == 200 and edit.result["text"] == "Step 6: location"
    keyboard = api.find("sendMessage", since=mark)
    assert keyboard is not None and _request_buttons(keyboard)[0]["request_location"] is True


async def test_labels_are_plain_text(channel: object, api: FakeBotAPI) -> None:
    reply = Reply(
        T("Pick {name}", name="A&B <Ltd>"),
        buttons=((Button(Raw("A&B <Ltd>"), "c:1"),),),
        keyboard=((KeyButton(Raw("Tom & Jerry")),),),
    )
    out = render_reply(reply, Renderer("en", ZoneInfo("UTC")), USER)
    assert out.text == "Pick A&amp;B &lt;Ltd&gt;"  # the text is HTML, escaped
    await channel.send(out)  # type: ignore[attr-defined]
    call = api.calls_of("sendMessage")[-1]
    assert call.status == 200 and call.result["text"] == "Pick A&B <Ltd>"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "A&B <Ltd>"


# ---- long messages: split at line boundaries, never refused (issue 20 item 8) -----------------


def _long(lines: int, width: int = 60) -> str:
    return "<b>Ticket T-1</b>\n" + "\n".join(
        f"{i:04d} <i>note</i> " + "x" * width + " &amp; more" for i in range(lines)
    )


async def test_a_long_text_arrives_split_with_buttons_on_the_last(
    channel: object, api: FakeBotAPI
) -> None:
    text = _long(120)  # ~9,000 characters
    assert len(text) > 2 * TEXT_LIMIT
    mark = api.mark()
    await channel.send(Out(USER, text, buttons=((("Reply", "r"),),)))  # type: ignore[attr-defined]
    sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert len(sent) >= 3 and all(c.status == 200 for c in sent)
    assert all("reply_markup" not in c.params for c in sent[:-1])
    assert sent[-1].params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Reply"
    # Nothing lost, nothing cut inside a line.
    joined = "\n".join(c.result["text"] for c in sent)
    assert joined == re.sub(r"<[^>]+>", "", text).replace("&amp;", "&")


async def test_a_long_edit_replaces_the_first_part(channel: object, api: FakeBotAPI) -> None:
    await channel.send(Out(USER, "Short", buttons=((("More", "m"),),)))  # type: ignore[attr-defined]
    sent = api.calls_of("sendMessage")[-1].result["message_id"]
    mark = api.mark()
    await channel.send(  # type: ignore[attr-defined]
        Out(USER, _long(80), buttons=((("Back", "b"),),), edit_message_id=sent)
    )
    edit = api.find("editMessageText", since=mark)
    assert edit is not None and edit.status == 200 and "reply_markup" not in edit.params
    rest = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert rest and rest[-1].params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Back"


async def test_a_long_caption_of_a_document(channel: object, api: FakeBotAPI) -> None:
    text = _long(30)
    assert CAPTION_LIMIT < len(text) < TEXT_LIMIT
    mark = api.mark()
    await channel.send(Out(USER, text, document=b"a,b\n", filename="t.csv"))  # type: ignore[attr-defined]
    doc = api.find("sendDocument", since=mark)
    assert doc is not None and doc.status == 200 and doc.params["caption"] == "<b>Ticket T-1</b>"
    follow = api.find("sendMessage", since=mark)
    assert follow is not None and follow.status == 200 and follow.params["text"] == text


def test_split_keeps_tags_balanced_across_parts() -> None:
    text = "<pre>" + "\n".join(f"line {i} " + "y" * 50 for i in range(200)) + "</pre>"
    parts = split_text(text)
    assert len(parts) > 1
    for part in parts:
        assert part.startswith("<pre>") and part.endswith("</pre>") and len(part) <= TEXT_LIMIT
    # A single line longer than a message is cut, not refused.
    one = split_text("z" * 10_000)
    assert "".join(one) == "z" * 10_000 and all(len(p) <= TEXT_LIMIT for p in one)


async def test_console_splits_and_shows_notices() -> None:
    lines: list[str] = []
    console = ConsoleChannel(write=lines.append, handle_of=lambda cid: "ann")
    await console.send(Out(1, "\n".join(f"row {i}" + "q" * 80 for i in range(100))))
    assert sum(line.startswith("[to ann]") for line in lines) == 3
    lines.clear()
    press = Inbound("console", 1, 1, 1, callback="x")
    typed = Inbound("console", 2, 1, 1, text="hi")
    await console.deliver(press, [Out(1, "Saved", notice="toast"), Out(1, "Card")])
    await console.deliver(press, [Out(1, "Not <b>yours</b>", notice="alert")])
    await console.deliver(typed, [Out(1, "Noted", notice="toast")])
    assert lines == [
        "[toast to ann] Saved",
        "[to ann] Card",
        "[alert to ann] Not yours",
        "[to ann] Noted",
    ]
