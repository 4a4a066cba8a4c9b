"""The webhook receiver both Telegram adapters share; it imports no Telegram library.

An aiohttp server (aiohttp comes with aiogram) takes Telegram's POSTs on `PATH`, refuses any
without the secret given to setWebhook, and answers 200 once the update has been handled: its
transaction committed and its replies sent. Telegram resends an update whose POST failed or got
no answer, so a replica killed mid-update (kill -9, a crashed host) loses nothing: the resent copy
goes to a replica still up (behind the load balancer), and the dedupe of update ids makes sure it
is processed once, whichever replica had got how far. Telegram also waits for the answer before
sending that chat's next update, which keeps one user's updates in order across replicas.

An update whose handling fails is still answered 200: the engine already turned a flow's error
into a reply, and an update the adapter cannot read would fail again on every resend.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import structlog
from aiohttp import web

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# The adapter's entry for one raw update (a JSON object): translate, handle, reply.
UpdateHandler = Callable[[dict[str, Any]], Awaitable[None]]

log = structlog.get_logger("webhook")


class WebhookServer:
    """Listens on `listen`:`port` (0: any free port, known once serving) for `url`'s updates."""

    def __init__(
        self,
        url: str,
        secret: str,
        listen: str = "127.0.0.1",
        port: int = 8080,
        routes: Sequence[web.AbstractRouteDef] = (),
    ) -> None:
        """`routes`: served beside the webhook (bot.health's /healthz and /metrics)."""
        self.url = url
        self.secret = secret
        self.listen = listen
        self.port = port
        self._routes = list(routes)

    @asynccontextmanager
    async def serving(self, handle: UpdateHandler) -> AsyncIterator[WebhookServer]:
        """Serves while the block runs; on leaving, stops listening, then lets updates end."""
        app = web.Application()
        app.router.add_post(PATH, partial(self._receive, handle))
        app.add_routes(self._routes)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.listen, self.port).start()
            self.port = runner.addresses[0][1]
            log.info("webhook_listening", listen=self.listen, port=self.port, path=PATH)
            yield self
        finally:
            # Stops listening, then waits (up to shutdown_timeout) for requests being handled.
            await runner.cleanup()

    async def _receive(self, handle: UpdateHandler, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            # Anyone can find the URL; only Telegram knows the secret.
            log.warning("webhook_refused", reason="secret" if given else "no secret")
            return web.Response(status=403)
        try:
            update = await request.json()
        except ValueError:
            update = None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            log.warning("webhook_refused", reason="not an update")
            return web.Response(status=400)
        try:
            await handle(update)
        except Exception:
            log.exception("webhook_update_failed", update_id=update["update_id"])
        return web.Response()
