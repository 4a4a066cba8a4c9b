"""`/healthz` and `/metrics`: on the webhook server in webhook mode, else on a server of their own.

`/healthz` answers 200 when every check passes and 503 otherwise, with a JSON body naming each:
the database (`SELECT 1`, with a short timeout) and, for a bot, Telegram (getMe, its answer kept
for `telegram_cache` seconds so that frequent health checks do not become frequent API calls).
The scheduler has no Telegram check: it never calls Telegram.

`/metrics` reads the database's figures (bot.metrics) first; if the database cannot be read the
scrape still answers, without them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.metrics import CONTENT_TYPE, Metrics
from crm.clock import Clock

log = structlog.get_logger("health")

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


class Health:
    def __init__(
        self,
        db: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        metrics: Metrics,
        telegram: Callable[[], Awaitable[object]] | None = None,
        *,
        timeout: float = 2.0,
        telegram_cache: float = 30.0,
    ) -> None:
        self._db = db
        self._sessions = sessions
        self._clock = clock
        self._metrics = metrics
        self._telegram = telegram
        self._timeout = timeout
        self._telegram_cache = telegram_cache
        self._telegram_seen: tuple[float, bool, str] | None = None  # (when, ok, error)
        self._telegram_lock = asyncio.Lock()

    async def check(self) -> tuple[bool, dict[str, Any]]:
        checks: dict[str, Any] = {"database": await self._check_db()}
        if self._telegram is not None:
            checks["telegram"] = await self._check_telegram()
        healthy = all(c["ok"] for c in checks.values())
        return healthy, {"status": "ok" if healthy else "unhealthy", "checks": checks}

    async def _check_db(self) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self._timeout), self._db.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means the database is not usable
            return {"ok": False, "error": _short(exc)}
        return {"ok": True}

    async def _check_telegram(self) -> dict[str, Any]:
        assert self._telegram is not None
        async with self._telegram_lock:  # one getMe for a burst of health checks
            seen = self._telegram_seen
            if seen is None or time.monotonic() - seen[0] > self._telegram_cache:
                try:
                    async with asyncio.timeout(self._timeout):
                        await self._telegram()
                    seen = (time.monotonic(), True, "")
                except Exception as exc:  # noqa: BLE001 - unreachable, refused, timed out: all unhealthy
                    seen = (time.monotonic(), False, _short(exc))
                self._telegram_seen = seen
        return {"ok": True} if seen[1] else {"ok": False, "error": seen[2]}

    async def _healthz(self, _request: web.Request) -> web.Response:
        healthy, body = await self.check()
        if not healthy:
            log.warning("health_failed", checks=body["checks"])
        return web.json_response(body, status=200 if healthy else 503)

    async def _metrics_page(self, _request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(self._timeout):
                await self._metrics.refresh(self._sessions, self._clock.now())
        except Exception as exc:  # noqa: BLE001 - our own figures are still worth serving
            log.warning("metrics_db_failed", error=_short(exc))
        return web.Response(body=self._metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    def routes(self) -> list[web.RouteDef]:
        return [web.get(HEALTH_PATH, self._healthz), web.get(METRICS_PATH, self._metrics_page)]

    @asynccontextmanager
    async def serving(self, listen: str, port: int) -> AsyncIterator[int]:
        """A server of its own for polling mode and the scheduler; yields the port it got."""
        app = web.Application()
        app.add_routes(self.routes())
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, listen, port).start()
            port = runner.addresses[0][1]
            log.info("health_listening", listen=listen, port=port)
            yield port
        finally:
            await runner.cleanup()


def _short(exc: BaseException) -> str:
    # The type and the first line: enough to act on, and no connection string or query.
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
