"""A small fake Telegram Bot API server on 127.0.0.1, for running the real bot against it.

It speaks the HTTP interface aiogram uses (``{base}/bot{token}/{method}`` and
``{base}/file/bot{token}/{path}``), keeps a queue of updates for ``getUpdates`` long polling,
records every request and answers with realistic result objects. Tests push updates with
`FakeBotAPI.push_message` / `FakeBotAPI.push_callback` and await the bot's calls with
`FakeBotAPI.wait_for`.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Form fields that carry JSON in a Bot API request (aiogram sends every call as a form).
JSON_FIELDS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "allowed_updates",
    "commands",
    "scope",
    "link_preview_options",
    "reply_parameters",
    "media",
    "menu_button",
}
INT_FIELDS = {
    "chat_id",
    "from_chat_id",
    "icon_color",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "message_thread_id",
    "cache_time",
    "user_id",
}
BOOL_FIELDS = {
    "drop_pending_updates",
    "show_alert",
    "disable_notification",
    "protect_content",
    "resize_keyboard",
}
# The HTML subset Telegram accepts with parse_mode=HTML.
HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_GETFILE = 20 * 1024 * 1024  # Telegram gives bots no file larger than this
# Methods that send a message to a chat: what Telegram's limits count and a block refuses.
SEND_METHODS = {
    "sendmessage",
    "copymessage",
    "sendphoto",
    "senddocument",
    "sendvideo",
    "sendaudio",
    "sendvoice",
    "sendlocation",
    "sendvenue",
    "sendcontact",
    "sendmediagroup",
}


@dataclass(frozen=True)
class Limits:
    """Telegram's sending limits, as (messages, seconds): a message that would make more than
    `messages` in any `seconds` is refused with 429 and a retry_after, and not delivered."""

    per_chat: tuple[int, float] = (1, 1.0)
    per_group: tuple[int, float] = (20, 60.0)  # a group: a negative chat id
    overall: tuple[int, float] = (30, 1.0)


@dataclass(frozen=True)
class Violation:
    """A message refused for going over a limit: which one, to which chat, when."""

    limit: str  # "per_chat", "per_group" or "overall"
    chat_id: int
    at: float


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    content_type: str = ""
    status: int = 200
    result: Any = None
    delivered: bool = False  # the whole answer reached the client's connection
    at: float = field(default_factory=time.monotonic)
    answered: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        description: str,
        parameters: dict | None = None,
        *,
        raw: str | None = None,
        redirect: bool = False,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters
        self.raw = raw  # a body that is not the Bot API's JSON (a proxy's error page)
        self.redirect = redirect


def html_error(text: str) -> str | None:
    """Why Telegram would refuse ``text`` with parse_mode=HTML, or None if it would accept it."""
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            m = TAG_RE.match(text, pos)
            if m is None:
                return f"Unsupported start tag at byte offset {pos}"
            closing, name = m.group(1) == "/", m.group(2).lower()
            if name not in HTML_TAGS:
                return f'Unsupported start tag "{name}" at byte offset {pos}'
            if closing:
                if not stack or stack[-1] != name:
                    return f'Unmatched end tag at byte offset {pos}, expected "</{name}>"'
                stack.pop()
            else:
                stack.append(name)
            pos = m.end()
        elif ch == "&":
            m = ENTITY_RE.match(text, pos)
            if m is None:
                return f"Can't find end of the entity starting at byte offset {pos}"
            pos = m.end()
        elif ch == ">":
            return f"Unexpected end tag at byte offset {pos}"
        else:
            pos += 1
    if stack:
        return f'Can\'t find end tag corresponding to start tag "{stack[-1]}"'
    return None


def plain(text: str, parse_mode: str | None) -> str:
    """The text as Telegram stores it: markup removed, entities decoded."""
    if (parse_mode or "").upper() != "HTML":
        return text
    return html.unescape(TAG_RE.sub("", text))


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if key in INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if key in BOOL_FIELDS and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


class FakeBotAPI:
    def __init__(
        self,
        token: str,
        *,
        strict_html: bool = True,
        limits: Limits | None = None,
        blocked: Iterable[int] = (),
    ) -> None:
        """`limits` enforces Telegram's sending limits (none by default); the chats in
        `blocked` have blocked the bot: sending there gets 403."""
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.strict_html = strict_html
        self.calls: list[Call] = []
        self.port = 0
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._inbound_message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._users: dict[int, dict[str, Any]] = {}
        self._forums: dict[int, str] = {}  # forum supergroups: chat id -> title
        self.topics: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, thread) -> topic
        self._thread_ids = itertools.count(100)
        self._photo_files: set[str] = set()  # file ids that are photos (others: documents)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._callbacks: dict[str, bool] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._file_sizes: dict[str, int] = {}  # sizes Telegram reports, where not len(data)
        self._failures: dict[str, list[ApiError]] = {}
        self._delays: dict[str, list[float]] = {}
        self.limits = limits
        self.blocked: set[int] = set(blocked)
        self.violations: list[Violation] = []
        self._sent_all: deque[float] = deque()
        self._sent_to: defaultdict[int, deque[float]] = defaultdict(deque)
        self.webhook_url = ""
        self.webhook_secret = ""
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # Like Telegram, stop working on a request whose client went away (a cancelled poll).
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- what tests do ---------------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "CRM Test Bot",
            "username": "crm_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Tester",
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Registers (or updates) a Telegram user the fake knows about."""
        u: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            u["username"] = username
        if language_code is not None:
            u["language_code"] = language_code
        self._users[user_id] = u
        return u

    def _private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    def forum(self, chat_id: int, title: str = "Service desk") -> None:
        """Makes `chat_id` a forum supergroup (topics on) where the bot is an admin."""
        self._forums[chat_id] = title

    def upload_photo(self, data: bytes = b"\x89PNG") -> str:
        """A photo a user sent: its file id (sendPhoto takes it; getFile serves it)."""
        file_id = self.upload("photo.jpg", data)
        self._photo_files.add(file_id)
        return file_id

    def push_member(self, chat_id: int, status: str) -> dict[str, Any]:
        """my_chat_member: the bot's status in `chat_id` changed ("kicked": blocked)."""
        user = self._users.get(chat_id) or self.user(chat_id) if chat_id > 0 else self.user(1)
        old = {"user": self.bot_user(), "status": "member"}
        new: dict[str, Any] = {"user": self.bot_user(), "status": status}
        if status == "kicked":
            new["until_date"] = 0
        if status == "member":
            old = {"user": self.bot_user(), "status": "kicked", "until_date": 0}
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": self._chat(chat_id),
                    "from": user,
                    "date": int(time.time()),
                    "old_chat_member": old,
                    "new_chat_member": new,
                }
            }
        )

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self._forums:
            return {
                "id": chat_id,
                "type": "supergroup",
                "title": self._forums[chat_id],
                "is_forum": True,
            }
        user = self._users.get(chat_id)
        if user is not None:
            return self._private_chat(user)
        if chat_id < 0:
            return {"id": chat_id, "type": "group", "title": "Test group"}
        return {"id": chat_id, "type": "private", "first_name": "Someone"}

    def push_update(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queues one update (``body`` is e.g. ``{"message": {...}}``); returns it with its id."""
        update = {"update_id": next(self._update_ids), **body}
        self._updates.append(update)
        self._notify()
        return update

    def push_message(
        self,
        user_id: int,
        text: str,
        language_code: str | None = "en",
        *,
        first_name: str = "Tester",
        username: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A private text message from ``user_id``; commands get their bot_command entity."""
        user = self.user(
            user_id, first_name=first_name, username=username, language_code=language_code
        )
        message: dict[str, Any] = {
            "message_id": next(self._inbound_message_ids),
            "from": user,
            "chat": self._private_chat(user),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {
                    "offset": 0,
                    "length": len(command.encode("utf-16-le")) // 2,
                    "type": "bot_command",
                }
            ]
        message.update(extra or {})
        return self.push_update({"message": message})

    def push_content(
        self,
        user_id: int,
        content: dict[str, Any],
        *,
        chat_id: int | None = None,
        language_code: str | None = "en",
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A message from ``user_id`` with any ``content`` (``{"contact": {...}}``, a photo...),
        in their private chat or, with a negative ``chat_id``, in a group (in the forum topic
        ``thread_id``)."""
        user = self.user(user_id, language_code=language_code)
        chat = self._private_chat(user) if chat_id is None else self._chat(chat_id)
        if thread_id is not None:
            content = {**content, "message_thread_id": thread_id, "is_topic_message": True}
        message = {
            "message_id": next(self._inbound_message_ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        return self.push_update({"message": message})

    def push_callback(
        self, user_id: int, data: str, message_id: int, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user presses an inline button with ``data`` under the bot's ``message_id``
        (in their private chat, or in the group ``chat_id``)."""
        user = self._users.get(user_id) or self.user(user_id)
        sent = self._messages.get((chat_id or user_id, message_id))
        message = sent or {
            "message_id": message_id,
            "from": self.bot_user(),
            "chat": self._private_chat(user) if chat_id is None else self._chat(chat_id),
            "date": int(time.time()),
            "text": "",
        }
        query_id = f"{self.bot_id}{next(self._callback_ids):08d}"
        self._callbacks[query_id] = False
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": message,
                    "chat_instance": f"-{user_id}77",
                    "data": data,
                }
            }
        )

    def upload(self, name: str, data: bytes, *, size: int | None = None) -> str:
        """A file a user sent (as a document), for `getFile` and the file path; its file id.

        `size` is the size Telegram reports, when a test needs a file too big to hold."""
        file_id = f"FILE{next(self._file_ids):06d}"
        self._files[file_id] = (f"documents/{file_id}_{name}", data)
        if size is not None:
            self._file_sizes[file_id] = size
        return file_id

    def fail_next(
        self, method: str, status: int, description: str, retry_after: int | None = None
    ) -> None:
        """Makes the next call of ``method`` fail, e.g. (429, retry_after=3) or (403, blocked)."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        self._failures.setdefault(method.lower(), []).append(
            ApiError(status, description, parameters)
        )

    def fail_next_raw(self, method: str, status: int, body: str) -> None:
        """The next call of ``method`` gets a non-JSON body, as from a proxy in between."""
        self._failures.setdefault(method.lower(), []).append(ApiError(status, "", raw=body))

    def redirect_next(self, method: str) -> None:
        """The next call of ``method`` is redirected to itself until the client gives up."""
        self._failures.setdefault(method.lower(), []).append(ApiError(307, "", redirect=True))

    def delay_next(self, method: str, seconds: float) -> None:
        """The answer to the next call of ``method`` comes ``seconds`` late."""
        self._delays.setdefault(method.lower(), []).append(seconds)

    def fail_next_blocked(self, method: str = "sendMessage") -> None:
        self.fail_next(method, 403, "Forbidden: bot was blocked by the user")

    def fail_next_flood(self, method: str = "sendMessage", retry_after: int = 3) -> None:
        self.fail_next(
            method, 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
        )

    def clear_failures(self) -> None:
        self._failures.clear()
        self._delays.clear()

    def mark(self) -> int:
        """An index into `calls`; pass it as ``since`` to wait only for later calls."""
        return len(self.calls)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def find(
        self, method: str, predicate: Callable[[Call], bool] | None = None, since: int = 0
    ) -> Call | None:
        for call in self.calls[since:]:
            if call.method.lower() == method.lower() and (predicate is None or predicate(call)):
                return call
        return None

    async def wait_for_reply(
        self,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 (a deadline for the whole wait)
        *,
        since: int = 0,
    ) -> Call:
        """The first message sent or edited in place (a pressed flow button edits its message)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            event = self._changed
            found = [
                c
                for c in (
                    self.find("sendMessage", predicate, since),
                    self.find("editMessageText", predicate, since),
                )
                if c is not None
            ]
            if found:
                return min(found, key=lambda c: self.calls.index(c))
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = [(c.method, c.status) for c in self.calls[since:]]
                raise AssertionError(f"no message sent or edited within {timeout}s; calls: {seen}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 (a deadline for the whole wait)
        *,
        since: int = 0,
    ) -> Call:
        """The first call of ``method`` (from index ``since``) that matches ``predicate``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            event = self._changed
            found = self.find(method, predicate, since)
            if found is not None:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = [(c.method, c.status) for c in self.calls[since:]]
                raise AssertionError(f"no matching {method} within {timeout}s; calls: {seen}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()

    # ---- the server ------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        elif request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                else:
                    params[key] = value
        return {k: _decode(k, v) for k, v in params.items()}, files

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await self._params(request)
        call = Call(method, params, files, request.content_type)
        self.calls.append(call)
        self._notify()
        try:
            response = await self._answer(request, call)
            try:
                await response.prepare(request)
                await response.write_eof()
                call.delivered = True
            except ConnectionError:
                pass  # the client went away before the answer
            return response
        finally:
            call.answered.set()
            self._notify()

    async def _answer(self, request: web.Request, call: Call) -> web.StreamResponse:
        key = call.method.lower()
        delays = self._delays.get(key)
        if delays:
            await asyncio.sleep(delays.pop(0))
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            failures = self._failures.get(key)
            if failures:
                err = failures[0]
                if not err.redirect:  # a redirect repeats until the client stops following
                    failures.pop(0)
                raise err
            handler = getattr(self, f"_m_{key}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            if key in SEND_METHODS:
                self._police(call)
            call.result = await handler(call.params, call.files)
            if key in SEND_METHODS:
                self._count_sent(call)
        except ApiError as err:
            call.status = err.status
            if err.redirect:
                raise web.HTTPTemporaryRedirect(str(request.rel_url)) from None
            if err.raw is not None:
                return web.Response(status=err.status, text=err.raw, content_type="text/html")
            body: dict[str, Any] = {
                "ok": False,
                "error_code": err.status,
                "description": err.description,
            }
            if err.parameters:
                body["parameters"] = err.parameters
            return web.json_response(body, status=err.status)
        return web.json_response({"ok": True, "result": call.result})

    def _police(self, call: Call) -> None:
        """403 for a blocked chat; 429 for a message over one of the `limits`."""
        chat_id = call.params.get("chat_id")
        if not isinstance(chat_id, int):
            return  # the method answers "chat not found"
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.limits is None:
            return
        checks = [
            ("overall", self.limits.overall, self._sent_all),
            ("per_chat", self.limits.per_chat, self._sent_to[chat_id]),
        ]
        if chat_id < 0:
            checks.append(("per_group", self.limits.per_group, self._sent_to[chat_id]))
        for name, (count, seconds), stamps in checks:
            recent = [t for t in stamps if t > call.at - seconds]
            if len(recent) >= count:
                self.violations.append(Violation(name, chat_id, call.at))
                retry_after = max(1, math.ceil(recent[-count] + seconds - call.at))
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )

    def _count_sent(self, call: Call) -> None:
        chat_id = call.params.get("chat_id")
        if not isinstance(chat_id, int):
            return
        horizon = call.at - 120.0  # longer than any window
        for stamps in (self._sent_all, self._sent_to[chat_id]):
            stamps.append(call.at)
            while stamps and stamps[0] < horizon:
                stamps.popleft()

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        for name, data in self._files.values():
            if name == request.match_info["path"]:
                return web.Response(body=data)
        return web.Response(status=404, text="Not Found")

    # ---- Bot API methods -------------------------------------------------------------------

    async def _m_getme(self, params: dict, files: dict) -> Any:
        return self.bot_user()

    async def _m_setwebhook(self, params: dict, files: dict) -> Any:
        self.webhook_url = str(params.get("url") or "")
        self.webhook_secret = str(params.get("secret_token") or "")
        return True

    async def _m_deletewebhook(self, params: dict, files: dict) -> Any:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getwebhookinfo(self, params: dict, files: dict) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_setmycommands(self, params: dict, files: dict) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, 'Bad Request: field "commands" must be an Array')
        for c in commands:
            name, description = c.get("command", ""), c.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name) or not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        scope = params.get("scope") or {"type": "default"}
        if scope.get("type") == "chat" and self._chat_id(scope) not in self._users:
            raise ApiError(400, "Bad Request: chat not found")
        language = params.get("language_code")
        if language is not None and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return True

    async def _m_deletemycommands(self, params: dict, files: dict) -> Any:
        return True

    async def _m_sendchataction(self, params: dict, files: dict) -> Any:
        self._chat_id(params)
        if params.get("action") not in {
            "typing",
            "upload_photo",
            "upload_document",
            "record_voice",
            "find_location",
        }:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _m_setmydescription(self, params: dict, files: dict) -> Any:
        if len(str(params.get("description") or "")) > 512:
            raise ApiError(400, "Bad Request: description is too long")
        return True

    async def _m_setmyshortdescription(self, params: dict, files: dict) -> Any:
        if len(str(params.get("short_description") or "")) > 120:
            raise ApiError(400, "Bad Request: short description is too long")
        return True

    async def _m_setchatmenubutton(self, params: dict, files: dict) -> Any:
        return True

    def _forum_chat(self, params: dict) -> int:
        chat_id = self._chat_id(params)
        if chat_id not in self._forums:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        return chat_id

    def _topic(self, params: dict) -> dict[str, Any]:
        key = (self._forum_chat(params), params.get("message_thread_id"))
        if key not in self.topics:
            raise ApiError(400, "Bad Request: message thread not found")
        return self.topics[key]  # type: ignore[index]

    async def _m_createforumtopic(self, params: dict, files: dict) -> Any:
        chat_id = self._forum_chat(params)
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise ApiError(
                400,
                "Bad Request: TOPIC_TITLE_EMPTY"
                if not name
                else "Bad Request: TOPIC_TITLE_TOO_LONG",
            )
        thread = next(self._thread_ids)
        topic = {
            "message_thread_id": thread,
            "name": name,
            "icon_color": params.get("icon_color") or 7322096,
            "closed": False,
        }
        self.topics[(chat_id, thread)] = topic
        return {k: v for k, v in topic.items() if k != "closed"}

    async def _m_editforumtopic(self, params: dict, files: dict) -> Any:
        topic = self._topic(params)
        if params.get("name"):
            if len(str(params["name"])) > 128:
                raise ApiError(400, "Bad Request: TOPIC_TITLE_TOO_LONG")
            topic["name"] = params["name"]
        if params.get("icon_custom_emoji_id") is not None:
            topic["icon_custom_emoji_id"] = params["icon_custom_emoji_id"]
        return True

    async def _m_closeforumtopic(self, params: dict, files: dict) -> Any:
        self._topic(params)["closed"] = True
        return True

    async def _m_reopenforumtopic(self, params: dict, files: dict) -> Any:
        self._topic(params)["closed"] = False
        return True

    async def _m_getforumtopiciconstickers(self, params: dict, files: dict) -> Any:
        return [
            {
                "file_id": f"ICON{i}",
                "file_unique_id": f"UICON{i}",
                "type": "custom_emoji",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
                "custom_emoji_id": f"50000000000000000{i}",
            }
            for i, emoji in enumerate(["🆕", "🔥", "✅", "❗", "💬", "📌"])
        ]

    async def _m_close(self, params: dict, files: dict) -> Any:
        return True

    async def _m_logout(self, params: dict, files: dict) -> Any:
        return True

    async def _m_getupdates(self, params: dict, files: dict) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = float(params.get("timeout") or 0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if isinstance(offset, int) and offset > 0:
                # Updates below the offset are confirmed: the server forgets them.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if self._updates or self._closing:
                return self._updates[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            event = self._changed
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                return []

    def _chat_id(self, params: dict) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _check_text(self, text: Any, parse_mode: Any, limit: int, what: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, f"Bad Request: {what} is empty")
        if self.strict_html and (parse_mode or "").upper() == "HTML":
            problem = html_error(text)
            if problem is not None:
                raise ApiError(400, f"Bad Request: can't parse entities: {problem}")
        stored = plain(text, parse_mode)
        if len(stored) > limit:
            raise ApiError(400, f"Bad Request: {what} is too long")
        return stored

    def _message(self, chat_id: int, params: dict, **content: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self.bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        thread = params.get("message_thread_id")
        if thread is not None:
            if (chat_id, thread) not in self.topics:
                raise ApiError(400, "Bad Request: message thread not found")
            if self.topics[(chat_id, thread)]["closed"]:
                raise ApiError(400, "Bad Request: TOPIC_CLOSED")
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _store_file(
        self, files: dict, key: str, params: dict | None = None
    ) -> tuple[str, str, bytes]:
        # The file is a part named like the field, or named by "attach://<part>" (aiogram), or
        # the id of a file Telegram already has (sent on by file_id).
        ref = str((params or {}).get(key) or "")
        if ref and not ref.startswith("attach://") and key not in files:
            if ref not in self._files:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return ref, self._files[ref][0].rsplit("_", 1)[-1], self._files[ref][1]
        part = ref.removeprefix("attach://") if ref.startswith("attach://") else key
        if part not in files:
            raise ApiError(400, f"Bad Request: there is no {key} in the request")
        name, data = files[part]
        files.setdefault(key, files[part])  # tests look for the file under the field's name
        file_id = f"FILE{next(self._file_ids):06d}"
        self._files[file_id] = (f"{key}s/{file_id}_{name}", data)
        return file_id, name, data

    async def _m_sendmessage(self, params: dict, files: dict) -> Any:
        chat_id = self._chat_id(params)
        text = self._check_text(params.get("text"), params.get("parse_mode"), MAX_TEXT, "text")
        return self._message(chat_id, params, text=text)

    async def _m_editmessagetext(self, params: dict, files: dict) -> Any:
        chat_id = self._chat_id(params)
        key = (chat_id, params.get("message_id"))
        old = self._messages.get(key)  # type: ignore[arg-type]
        if old is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if "text" not in old:  # a photo or a document: only its caption can be edited
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = self._check_text(params.get("text"), params.get("parse_mode"), MAX_TEXT, "text")
        markup = params.get("reply_markup")
        if text == old.get("text") and markup == old.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        new = {**old, "text": text, "edit_date": int(time.time())}
        new.pop("reply_markup", None)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            new["reply_markup"] = markup
        self._messages[key] = new  # type: ignore[index]
        return new

    async def _m_answercallbackquery(self, params: dict, files: dict) -> Any:
        query_id = params.get("callback_query_id")
        if query_id not in self._callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if self._callbacks[query_id]:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._callbacks[query_id] = True
        return True

    async def _m_sendphoto(self, params: dict, files: dict) -> Any:
        chat_id = self._chat_id(params)
        ref = params.get("photo")
        if isinstance(ref, str) and not ref.startswith("attach://") and "photo" not in files:
            # By file id: a photo's id (or a file registered with add_file) is taken for a photo.
            if ref not in self._photo_files and ref not in self._files:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            files = {"photo": ("photo.jpg", self._files[ref][1])}
        file_id, _name, data = self._store_file(files, "photo", params)
        content: dict[str, Any] = {
            "photo": [
                {
                    "file_id": file_id,
                    "file_unique_id": f"U{file_id}",
                    "width": 800,
                    "height": 600,
                    "file_size": len(data),
                }
            ]
        }
        if params.get("caption"):
            content["caption"] = self._check_text(
                params["caption"], params.get("parse_mode"), MAX_CAPTION, "caption"
            )
        return self._message(chat_id, params, **content)

    async def _m_senddocument(self, params: dict, files: dict) -> Any:
        chat_id = self._chat_id(params)
        ref = params.get("document")
        if isinstance(ref, str) and not ref.startswith("attach://") and "document" not in files:
            if ref not in self._files:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            name, data = self._files[ref]
            files = {"document": (name.rsplit("/", 1)[-1], data)}
        file_id, name, data = self._store_file(files, "document", params)
        content: dict[str, Any] = {
            "document": {
                "file_id": file_id,
                "file_unique_id": f"U{file_id}",
                "file_name": name,
                "file_size": len(data),
            }
        }
        if params.get("caption"):
            content["caption"] = self._check_text(
                params["caption"], params.get("parse_mode"), MAX_CAPTION, "caption"
            )
        return self._message(chat_id, params, **content)

    def add_file(self, file_id: str, name: str, data: bytes) -> None:
        """A file as if a user had sent it: bots may send it on by its id."""
        self._files[file_id] = (f"files/{file_id}_{name}", data)

    async def _m_sendvoice(self, params: dict, files: dict) -> Any:
        chat_id = self._chat_id(params)
        file_id, _name, data = self._store_file(files, "voice", params)
        voice = {"file_id": file_id, "file_unique_id": f"U{file_id}", "duration": 1}
        return self._message(chat_id, params, voice=voice)

    async def _m_sendlocation(self, params: dict, files: dict) -> Any:
        chat_id = self._chat_id(params)
        try:
            lat, lon = float(params["latitude"]), float(params["longitude"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: wrong latitude or longitude") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ApiError(400, "Bad Request: wrong latitude or longitude")
        return self._message(chat_id, params, location={"latitude": lat, "longitude": lon})

    async def _m_sendvenue(self, params: dict, files: dict) -> Any:
        """A pin with a title and an address (Telegram requires both, non-empty)."""
        chat_id = self._chat_id(params)
        try:
            lat, lon = float(params["latitude"]), float(params["longitude"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: wrong latitude or longitude") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ApiError(400, "Bad Request: wrong latitude or longitude")
        title, address = params.get("title"), params.get("address")
        if not isinstance(title, str) or not title or not isinstance(address, str) or not address:
            raise ApiError(400, "Bad Request: venue title and address must be non-empty")
        location = {"latitude": lat, "longitude": lon}
        venue = {"location": location, "title": title, "address": address}
        return self._message(chat_id, params, location=location, venue=venue)

    async def _m_sendmediagroup(self, params: dict, files: dict) -> Any:
        chat_id = self._chat_id(params)
        items = params.get("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise ApiError(400, "Bad Request: wrong number of messages to send")
        group = f"G{next(self._message_ids)}"
        sent = []
        for item in items:
            if item.get("type") != "photo" or item.get("media") not in self._files:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            photo = [
                {
                    "file_id": item["media"],
                    "file_unique_id": f"U{item['media']}",
                    "width": 800,
                    "height": 600,
                }
            ]
            sent.append(self._message(chat_id, {}, photo=photo, media_group_id=group))
        return sent

    async def _m_getfile(self, params: dict, files: dict) -> Any:
        file_id = params.get("file_id")
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self._files[file_id]
        size = self._file_sizes.get(file_id, len(data))
        if size > MAX_GETFILE:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"U{file_id}",
            "file_size": size,
            "file_path": path,
        }
