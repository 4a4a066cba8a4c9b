"""The long-running bot: the channel's polling, the outbox sender and the scheduler together."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import structlog
from aiolimiter import AsyncLimiter

from bot.app import build_app
from bot.migrate import upgrade_async
from bot.sender import OutboxSender
from bot.settings import Settings
from crm.rules import Rules
from scheduler import runner

log = structlog.get_logger("runtime")


async def serve(settings: Settings, rules: Rules, *, scheduler: bool = True) -> int:
    await upgrade_async(settings.database_url)
    app = build_app(settings, rules)
    from bot.channels.aiogram import AiogramChannel

    assert settings.telegram_token is not None
    channel = AiogramChannel(settings.telegram_token.get_secret_value(), settings.telegram_api_url)
    sender = OutboxSender(
        app.sessions,
        channel,
        app.clock,
        limiter=AsyncLimiter(rules.rate_limits.global_per_second, 1),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    sched = None
    if scheduler:
        sched = runner.build(app.sessions, app.clock, settings.tz, settings.scheduler_tick_seconds)
        sched.start()
    tasks = [
        asyncio.create_task(sender.run(stop, settings.sender_poll_seconds)),
        asyncio.create_task(channel.poll(app.engine, stop)),
    ]
    log.info("bot_started", channel=channel.name, scheduler=scheduler)
    try:
        await stop.wait()
    finally:
        if sched is not None:
            sched.shutdown(wait=False)
        await asyncio.gather(*tasks, return_exceptions=True)
        await channel.close()
        await app.close()
    return 0
