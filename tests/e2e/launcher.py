"""The `telegram-test-api` emulator on 127.0.0.1 for the end-to-end tests, and what it needs.

* `Emulator` runs the npm package (pinned in package.json, installed by
  `npm ci --prefix tests/e2e`) with `node` on a free port and stops it again.
* `Mender` is a small HTTP proxy between the bot and the emulator that mends the emulator's
  quirks on the bot's side of the Bot API (listed in its docstring).
* `Client` is a Telegram user: it speaks the emulator's own client API (`/sendMessage`,
  `/sendCommand`, `/sendCallback`, `/getUpdates`), which is not Telegram's, and mends the
  quirks on that side.

Only loopback is used; nothing here talks to Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PACKAGE = HERE / "node_modules" / "telegram-test-api"
HOST = "127.0.0.1"

# The emulator is a library with no command line of its own: this starts it on a port the OS
# picks (its config turns port 0 into 9000, so 0 is set after construction), says which port
# once it listens, and stops when told to or when the test process goes away (stdin closes).
NODE_SCRIPT = r"""
const TelegramServer = require('telegram-test-api');
const server = new TelegramServer({host: '127.0.0.1', port: 1, storeTimeout: 3600});
server.config.port = 0;
server.start().then(
  () => process.stdout.write(JSON.stringify({port: server.server.address().port}) + '\n'),
  (err) => { console.error(err); process.exit(1); },
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 2000).unref();
  server.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('close', stop);
process.stdin.resume();
"""

# The bot as Telegram would describe it (the emulator's getMe answer lacks `is_bot`).
BOT_USER = {"id": 666, "is_bot": True, "first_name": "Test First name", "username": "TestNameBot"}
# A getUpdates call is held at most this long when nothing is waiting (Telegram's long polling);
# short, so that a bot being stopped is never kept waiting on the emulator.
HOLD_SECONDS = 1.0
POLL_SECONDS = 0.05
# Form fields that carry JSON in a Bot API request (both libraries send requests as forms).
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
}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id"}


def bot_env(**settings: str) -> dict[str, str]:
    """The environment of a `crm-bot` process: ours, without stray CRM_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    # Any free port for /healthz: several bots (and test runs) share this machine.
    env["CRM_HEALTH_PORT"] = "0"
    env.update(PYTHONPATH=str(ROOT), **settings)
    return env


def missing() -> str | None:
    """Why the emulator cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "`node` is not on PATH (install Node.js 18+)"
    install = "run `npm ci --prefix tests/e2e --no-audit --no-fund`"
    if not (PACKAGE / "package.json").is_file():
        return (
            f"the telegram-test-api package is not installed in {HERE / 'node_modules'} ({install})"
        )
    pinned = json.loads((HERE / "package.json").read_text())["dependencies"]["telegram-test-api"]
    installed = json.loads((PACKAGE / "package.json").read_text())["version"]
    if installed != pinned:
        return f"telegram-test-api {installed} is installed but {pinned} is pinned ({install})"
    return None


class Emulator:
    """`node` running telegram-test-api on 127.0.0.1, on a port the OS chose."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.port: int | None = None
        self.stderr = b""
        self._drain: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def start(self, timeout: float = 15.0) -> None:
        node = shutil.which("node")
        assert node is not None, missing()
        self.proc = await asyncio.create_subprocess_exec(
            node,
            "-e",
            NODE_SCRIPT,
            cwd=HERE,  # `require` looks in ./node_modules
            env={**os.environ, "NODE_ENV": "production"},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            line = b""
        if not line:
            await self.stop()
            raise RuntimeError(f"telegram-test-api did not start: {self.stderr.decode()[-2000:]}")
        self.port = int(json.loads(line)["port"])
        self._drain = asyncio.create_task(self._read_stderr(self.proc.stderr))

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.stderr += chunk

    async def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()  # the script stops on that too
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._drain is not None:
            await asyncio.gather(self._drain, return_exceptions=True)
        elif proc.stderr is not None:
            self.stderr += await proc.stderr.read()


@dataclass
class Call:
    """One Bot API request the bot made, as the bot saw its answer."""

    method: str
    params: dict[str, Any]
    user_agent: str
    status: int = 0  # 0 while the call is being served
    body: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived


class Mender:
    """A proxy on 127.0.0.1 that the bot takes for Telegram; it forwards to the emulator.

    Why a proxy at all: the quirks below make both libraries refuse to start or fail on the
    first reply, and the package is pinned, not patched. Why in Python, as an aiohttp app in
    the test's own event loop, rather than a Node wrapper around the emulator: the mending
    stays next to the tests that depend on it and in the language they read; it records every
    call with the answer the bot actually got and the library's User-Agent (so a test can tell
    which adapter is talking, and which methods the emulator could not serve); and it needs no
    JavaScript beyond the few lines that start the package.

    What it mends (the emulator's answer → what Telegram would answer):

    * `getMe` lacks `is_bot`: aiogram and python-telegram-bot both refuse such a User.
    * message `date`s are in milliseconds (`sendMessage` results): python-telegram-bot cannot
      turn them into a datetime (year out of range); aiogram only guesses right. → seconds.
    * `getUpdates` answers at once, ignoring `timeout` and `offset`, and hands each update out
      only once: without help a bot spins on empty answers, and an update whose answer never
      reached the bot is lost. → held like Telegram's long polling (at most `HOLD_SECONDS`),
      and updates are handed out again until a later `offset` confirms them.
    * callback queries lack `chat_instance`, which both libraries require.
    * updates carry the client's `botToken` field inside the message: dropped.
    * `answerCallbackQuery`, `editMessageText`, `editMessageReplyMarkup`, `setWebhook` return
      `result: null`; Telegram returns `true` (or the message). → `true` (neither library
      trips on the null today).
    * `sendMessage` echoes the request's fields (`chat_id`, `parse_mode`...) into the Message
      and leaves out `from`: the result is rebuilt as a plain Message from the bot.
    * errors (an unknown method such as sendPhoto, sendDocument or setMyCommands, or a crash)
      come as `{"message": ...}` with status 500, not as the Bot API's
      `{"ok": false, "error_code", "description"}`: reshaped, status kept, so the bot sees an
      honest server error and each call is recorded in `calls` (see `unsupported`).
    * requests are forwarded as JSON whatever their encoding (the emulator's Express app has
      no multipart parser, and aiogram sends files as multipart forms).
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.calls: list[Call] = []
        self.port: int | None = None
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    # ------------------------------------------------------------------ what the bot sees

    @property
    def unsupported(self) -> list[Call]:
        """Calls the emulator could not serve (the bot must live with them)."""
        return [c for c in self.calls if c.status not in (0, 200)]

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        call = Call(method, await _params(request), request.headers.get("User-Agent", ""))
        self.calls.append(call)
        if method.lower() == "getupdates":
            status, body = await self._get_updates(token, call.params)
        else:
            status, body = await self._forward(token, method, call.params)
        call.status, call.body = status, _mend(method, status, body)
        return web.json_response(call.body, status=status)

    async def _forward(
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        assert self._http is not None
        async with self._http.post(f"{self.upstream}/bot{token}/{method}", json=params) as resp:
            text = await resp.text()
            status = resp.status
        try:
            body = json.loads(text)
        except ValueError:
            body = {"message": text[:500]}
        if not isinstance(body, dict):
            body = {"message": str(body)[:500]}
        return status, body

    async def _get_updates(self, token: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        queue = self._pending.setdefault(token, [])
        offset = int(params.get("offset") or 0)
        if offset:
            queue[:] = [u for u in queue if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(params.get("timeout") or 0), HOLD_SECONDS)
        while True:
            status, body = await self._forward(token, "getUpdates", {})
            if status != 200 or not body.get("ok"):
                return status, body
            known = {u["update_id"] for u in queue}
            queue.extend(u for u in body.get("result") or [] if u["update_id"] not in known)
            if queue or loop.time() >= deadline:
                return 200, {"ok": True, "result": [dict(u) for u in queue]}
            await asyncio.sleep(POLL_SECONDS)


async def _params(request: web.Request) -> dict[str, Any]:
    data: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            data.update(await request.json())
        else:
            form = await request.post()
            for key, value in form.items():
                data[key] = value if isinstance(value, str) else f"<file {value.filename}>"
    for key, value in list(data.items()):
        if not isinstance(value, str):
            continue
        if key in JSON_FIELDS:
            with contextlib.suppress(ValueError):
                data[key] = json.loads(value)
        elif key in INT_FIELDS and value.lstrip("-").isdigit():
            data[key] = int(value)
    return data


def _seconds(value: Any) -> Any:
    """A Unix time in milliseconds (anything after the year 5138 in seconds) → seconds."""
    if isinstance(value, int | float) and value > 1e11:
        return int(value // 1000)
    return value


def _fix_message(msg: dict[str, Any]) -> dict[str, Any]:
    msg = {k: v for k, v in msg.items() if k != "botToken"}
    if "date" in msg:
        msg["date"] = _seconds(msg["date"])
    return msg


def _fix_update(update: dict[str, Any]) -> dict[str, Any]:
    update = dict(update)
    if isinstance(update.get("message"), dict):
        update["message"] = _fix_message(update["message"])
    cq = update.get("callback_query")
    if isinstance(cq, dict):
        cq = dict(cq)
        cq.setdefault("chat_instance", f"e2e-{cq['from']['id']}")
        if isinstance(cq.get("message"), dict):
            cq["message"] = _fix_message(cq["message"])
        update["callback_query"] = cq
    return update


def _sent_message(result: dict[str, Any]) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": result["message_id"],
        "date": _seconds(result["date"]),
        "chat": {"id": int(result["chat"]["id"]), "type": "private", "first_name": "User"},
        "from": BOT_USER,
        "text": result.get("text") or "",
    }
    if result.get("reply_markup"):
        msg["reply_markup"] = result["reply_markup"]
    return msg


def _mend(method: str, status: int, body: dict[str, Any]) -> dict[str, Any]:
    if "ok" not in body:
        description = str(body.get("message") or body.get("description") or "error")
        return {"ok": False, "error_code": status, "description": description}
    if not body["ok"]:
        return body
    result = body.get("result")
    name = method.lower()
    if name == "getme":
        result = {**BOT_USER, **result, "is_bot": True}
    elif name == "getupdates":
        result = [_fix_update(u) for u in result or []]
    elif name == "sendmessage" and isinstance(result, dict):
        result = _sent_message(result)
    elif result is None:
        result = True
    return {"ok": True, "result": result}


# ---------------------------------------------------------------------- the user's side


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    username: str
    language_code: str = "en"

    def as_from(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "username": self.username,
            "language_code": self.language_code,
        }

    def chat(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "private",
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass
class BotMessage:
    """A message the bot sent to a chat, as the emulator's client sees it."""

    message_id: int
    chat_id: int
    text: str
    sent_at: float  # Unix time when the emulator got it
    inline: list[list[dict[str, Any]]]
    keyboard: list[list[str]]

    @classmethod
    def from_client(cls, entry: dict[str, Any]) -> BotMessage:
        msg = entry["message"]
        markup = msg.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return cls(
            message_id=int(entry["messageId"]),
            chat_id=int(msg["chat_id"]),
            text=str(msg.get("text") or msg.get("caption") or ""),
            sent_at=entry["time"] / 1000,  # the emulator keeps milliseconds
            inline=markup.get("inline_keyboard") or [],
            keyboard=[
                [b["text"] if isinstance(b, dict) else str(b) for b in row]
                for row in markup.get("keyboard") or []
            ],
        )

    @property
    def labels(self) -> list[str]:
        return [b["text"] for row in self.inline for b in row]

    def button(self, label: str) -> dict[str, Any]:
        found = [b for row in self.inline for b in row if label in b["text"]]
        assert found, f"no button {label!r} in {self.labels} of {self.text!r}"
        return found[0]


class Client:
    """Telegram users in front of the emulator, over its client API.

    The emulator's client API differs from Telegram's, and this mends it: a message goes to
    `/sendMessage` but a command must go to `/sendCommand` with a `bot_command` entity; the
    client's `/getUpdates` needs the bot's token and a `chatId`, and hands each of the bot's
    messages out once; a button press is `/sendCallback` with the message it was on.
    """

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.inbox: dict[int, list[BotMessage]] = {}
        self._seen: dict[int, int] = {}
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()

    async def _post(self, route: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert self._http is not None
        async with self._http.post(f"{self.url}/{route}", json=payload) as resp:
            body = await resp.json(content_type=None)
            assert resp.status == 200 and body.get("ok"), (route, resp.status, body)
            return body

    async def say(self, user: User, text: str) -> None:
        """A message typed by `user` (a command when it starts with "/")."""
        message: dict[str, Any] = {
            "botToken": self.token,
            "from": user.as_from(),
            "chat": user.chat(),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
            await self._post("sendCommand", message)
        else:
            await self._post("sendMessage", message)

    async def press(self, user: User, msg: BotMessage, label: str) -> None:
        """`user` presses the inline button whose label contains `label` on `msg`."""
        button = msg.button(label)
        await self._post(
            "sendCallback",
            {
                "botToken": self.token,
                "from": user.as_from(),
                "message": {
                    "message_id": msg.message_id,
                    "date": int(msg.sent_at),
                    "chat": user.chat(),
                    "from": BOT_USER,
                    "text": msg.text,
                },
                "data": button["callback_data"],
            },
        )

    async def fetch(self, chat_id: int) -> list[BotMessage]:
        body = await self._post("getUpdates", {"token": self.token, "chatId": chat_id})
        new = [BotMessage.from_client(e) for e in body.get("result") or []]
        new.sort(key=lambda m: m.message_id)
        self.inbox.setdefault(chat_id, []).extend(new)
        return new

    async def expect(
        self,
        user: User,
        match: str | Callable[[BotMessage], bool],
        *,
        timeout: float = 10.0,
    ) -> BotMessage:
        """The next message to `user` (after those already expected) that matches."""
        test = (lambda m: match in m.text) if isinstance(match, str) else match
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.fetch(user.id)
            inbox = self.inbox[user.id]
            for i in range(self._seen.get(user.id, 0), len(inbox)):
                if test(inbox[i]):
                    self._seen[user.id] = i + 1
                    return inbox[i]
            if loop.time() >= deadline:
                got = "\n".join(f"  #{m.message_id}: {m.text!r} {m.labels}" for m in inbox)
                raise AssertionError(
                    f"no message matching {match!r} reached {user.username} in {timeout:g} s; "
                    f"it got:\n{got or '  (nothing)'}"
                )
            await asyncio.sleep(POLL_SECONDS)
