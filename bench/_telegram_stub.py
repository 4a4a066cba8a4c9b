"""The Bot API stubbed for the inbound benchmark: answers at once, after the library has
serialised the call as for the wire (aiogram's session, PTB's request object); and raw updates
as Telegram sends them."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

TOKEN = "123456:" + "A" * 35


# ---------------------------------------------------------------- the stubbed Bot API


@dataclass
class Sent:
    """What the bot last sent to a chat, for pressing its buttons."""

    message_id: int
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)


class FakeApi:
    """Answers like the Bot API, at once: realistic result objects, message ids per chat."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.last: dict[int, Sent] = {}
        self.calls = 0

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        self.calls += 1
        name = method.lower()
        if name in ("answercallbackquery", "setmycommands", "deletewebhook"):
            return True
        chat_id = int(params.get("chat_id", 0))
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        buttons = [
            (b.get("text", ""), b.get("callback_data", ""))
            for row in (markup or {}).get("inline_keyboard", [])
            for b in row
        ]
        message_id = int(params.get("message_id") or next(self._ids))
        if buttons:
            self.last[chat_id] = Sent(message_id, buttons)
        result: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "x"},
            "from": {"id": 123456, "is_bot": True, "first_name": "CRM"},
        }
        if "text" in params:
            result["text"] = params["text"]
        if "caption" in params:
            result["caption"] = params["caption"]
        if name == "sendphoto":
            result["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
        if markup and "inline_keyboard" in markup:
            result["reply_markup"] = markup
        return result


def aiogram_bot(api: FakeApi) -> Any:
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession

    class StubSession(AiohttpSession):
        """aiohttp's session up to the wire: the form is built (every value serialised as for a
        real request), then answered here instead of sent."""

        async def make_request(self, bot: Any, method: Any, timeout: Any = None) -> Any:  # noqa: ASYNC109
            form = self.build_form_data(bot, method)
            params = {f["name"]: v for f, _h, v in form._fields}  # noqa: SLF001
            result = api.answer(method.__api_method__, params)
            body = json.dumps({"ok": True, "result": result})
            return self.check_response(bot, method, 200, body).result

    return Bot(TOKEN, session=StubSession(), default=DefaultBotProperties(parse_mode="HTML"))


def ptb_request(api: FakeApi) -> Any:
    from telegram.request import BaseRequest

    class StubRequest(BaseRequest):
        """PTB's request path up to the wire: parameters serialised as for httpx, answered here."""

        @property
        def read_timeout(self) -> float | None:
            return None

        async def initialize(self) -> None:
            pass

        async def shutdown(self) -> None:
            pass

        async def do_request(self, url: str, method: str, request_data: Any = None, **_: Any):  # noqa: ANN202
            params = request_data.json_parameters if request_data is not None else {}
            result = api.answer(url.rsplit("/", 1)[-1], params)
            return 200, json.dumps({"ok": True, "result": result}).encode()

    return StubRequest()


# ---------------------------------------------------------------- raw Telegram updates


class Updates:
    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    @staticmethod
    def _user(uid: int) -> dict[str, Any]:
        return {"id": uid, "is_bot": False, "first_name": f"u{uid}", "language_code": "zh-hans"}

    def message(self, uid: int, text: str) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self._user(uid),
            "chat": {"id": uid, "type": "private", "first_name": f"u{uid}"},
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            msg["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return {"update_id": next(self._update_ids), "message": msg}

    def callback(self, uid: int, data: str, message_id: int) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._callback_ids)),
                "from": self._user(uid),
                "message": {
                    "message_id": message_id,
                    "from": {"id": 123456, "is_bot": True, "first_name": "CRM"},
                    "chat": {"id": uid, "type": "private", "first_name": f"u{uid}"},
                    "date": int(time.time()),
                    "text": "…",
                },
                "chat_instance": str(uid),
                "data": data,
            },
        }
