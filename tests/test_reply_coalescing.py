"""Issue 24 item 5: a burst's direct replies to one chat, waiting for their turn, are joined
into fewer messages (bot.channels.pressure.ChatPacer.send) where that loses nothing: words only,
in order, at most 4,096 characters, never across inline buttons or a file, the reply keyboard
the last one set; a failed message fails every reply in it."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.base import SendError
from bot.channels.pressure import ChatPacer
from bot.types import Media
from bot.types import Outgoing as Out

CHAT = 42
STEP = 0.02


async def _burst(pacer: ChatPacer, outs: list[Out], fail: bool = False) -> list[Out]:
    sent: list[Out] = []

    async def send_part(out: Out) -> None:
        if fail and len(sent) == 1:
            raise SendError("network", "reset")
        sent.append(out)

    results = await asyncio.gather(
        *(pacer.send(o, send_part) for o in outs), return_exceptions=True
    )
    if not fail:
        assert all(r is None for r in results)
    else:
        _burst.errors = results  # type: ignore[attr-defined]
    return sent


async def test_words_join_but_never_across_buttons_or_files() -> None:
    outs = [
        Out(CHAT, "a"),
        Out(CHAT, "b"),
        Out(CHAT, "c"),
        Out(CHAT, "pick", buttons=((("OK", "ok:1"),),)),
        Out(CHAT, "d"),
        Out(CHAT, "chart", photo=b"png"),
        Out(CHAT, "e"),
        Out(CHAT, "f", media=(Media("location", lat=1.0, lon=2.0),)),
        Out(CHAT, "g"),
        Out(CHAT, "h", edit_message_id=7),
        Out(CHAT, "i"),
        Out(CHAT, "j"),
    ]
    sent = await _burst(ChatPacer(interval=STEP), outs)
    assert [o.text for o in sent] == [
        "a", "b\n\nc", "pick", "d", "chart", "e", "f", "g", "h", "i\n\nj"
    ]  # fmt: skip
    assert sent[2].buttons == ((("OK", "ok:1"),),) and sent[4].photo == b"png"
    assert sent[6].media and sent[8].edit_message_id == 7
    assert all(not o.buttons for i, o in enumerate(sent) if i != 2)


async def test_without_coalescing_each_reply_is_its_own_message() -> None:
    outs = [Out(CHAT, str(n)) for n in range(5)]
    sent = await _burst(ChatPacer(interval=STEP, coalesce=False), outs)
    assert [o.text for o in sent] == ["0", "1", "2", "3", "4"]


async def test_a_joined_message_stays_within_telegrams_limit() -> None:
    outs = [Out(CHAT, "x" * 1500) for _ in range(7)]
    sent = await _burst(ChatPacer(interval=STEP), outs)
    assert all(len(o.text) <= 4096 for o in sent)
    assert "".join(o.text for o in sent).replace("\n", "") == "x" * 1500 * 7
    # The first goes at once; the rest wait, two to a message (three would be 4,504).
    assert [o.text.count("x") for o in sent] == [1500, 3000, 3000, 3000]


async def test_the_reply_keyboard_is_the_last_one_set_and_other_chats_wait_apart() -> None:
    kb_a = ((("A", ""),),)
    kb_b = ((("B", ""), ("📍 Here", "location")),)
    outs = [
        Out(CHAT, "first"),
        Out(CHAT, "one", keyboard=kb_a),
        Out(CHAT, "two"),
        Out(CHAT + 1, "elsewhere"),
        Out(CHAT, "three", keyboard=kb_b),
        Out(CHAT, "four"),
        Out(CHAT, "five", remove_keyboard=True),
        Out(CHAT, "six"),
    ]
    sent = await _burst(ChatPacer(interval=STEP), outs)
    mine = [o for o in sent if o.chat_id == CHAT]
    assert [o.text for o in mine] == ["first", "one\n\ntwo\n\nthree\n\nfour\n\nfive\n\nsix"]
    assert mine[1].remove_keyboard and mine[1].keyboard is None
    sent = await _burst(ChatPacer(interval=STEP), outs[:5])
    assert [o.keyboard for o in sent if o.chat_id == CHAT] == [None, kb_b]
    assert [o.text for o in sent if o.chat_id == CHAT + 1] == ["elsewhere"]


async def test_a_failed_joined_message_fails_every_reply_in_it() -> None:
    outs = [Out(CHAT, "a"), Out(CHAT, "b"), Out(CHAT, "c"), Out(CHAT, "d")]
    sent = await _burst(ChatPacer(interval=STEP), outs, fail=True)
    assert [o.text for o in sent] == ["a"]
    errors = _burst.errors  # type: ignore[attr-defined]
    assert errors[0] is None
    assert all(isinstance(e, SendError) for e in errors[1:])


@pytest.mark.parametrize("thread", [None, 5])
async def test_topics_of_a_group_are_not_mixed(thread: int | None) -> None:
    outs = [Out(-100, "x"), Out(-100, "general"), Out(-100, "topic", thread_id=thread)]
    sent = await _burst(ChatPacer(group_interval=STEP), outs)
    expected = ["x", "general\n\ntopic"] if thread is None else ["x", "general", "topic"]
    assert [o.text for o in sent] == expected


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
@pytest.mark.parametrize("setting", [True, False])
def test_the_setting_turns_coalescing_on_and_off(lib: str, setting: bool) -> None:
    from bot.runtime import make_channel
    from bot.settings import Settings

    settings = Settings(
        telegram_token="123456:ABC-token-abcdefghijklmnopqrstuvwx",
        channel=lib,
        coalesce_replies=setting,
    )
    assert make_channel(settings).pacer.coalesce is setting  # type: ignore[attr-defined]
