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

SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def serve(
    settings: Settings,
    rules: Rules,
    *,
    scheduler: bool = True,
    stop: asyncio.Event | None = None,
) -> int:
    """Runs until SIGINT/SIGTERM (or until `stop` is set, when given); returns an exit status.

    0 after a requested stop, 1 if a part (the channel's polling, the sender) ended by itself,
    2 for settings that cannot work. With `stop` given, signals are left to the caller.
    """
    from bot.channels.aiogram import AiogramChannel

    assert settings.telegram_token is not None
    try:
        channel = AiogramChannel(
            settings.telegram_token.get_secret_value(), settings.telegram_api_url
        )
    except ValueError as exc:
        log.error("invalid_setting", setting="CRM_TELEGRAM_API_URL", error=str(exc))
        return 2
    try:
        await upgrade_async(settings.database_url)
        app = build_app(settings, rules)
    except BaseException:
        await channel.close()
        raise
    sender = OutboxSender(
        app.sessions,
        channel,
        app.clock,
        limiter=AsyncLimiter(rules.rate_limits.global_per_second, 1),
    )
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    if stop is None:
        stop = asyncio.Event()
        for sig in SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
                handled.append(sig)
    sched = None
    tasks: dict[asyncio.Task[None], str] = {}
    status = 0
    try:
        if scheduler:
            sched = runner.build(
                app.sessions, app.clock, settings.tz, rules, settings.scheduler_tick_seconds
            )
            sched.start()
        tasks = {
            asyncio.create_task(sender.run(stop, settings.sender_poll_seconds)): "sender",
            asyncio.create_task(channel.poll(app.engine, stop)): "channel",
        }
        log.info("bot_started", channel=channel.name, scheduler=scheduler)
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({stopping, *tasks}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if stopping not in done:
            # Polling or the sender ended without being asked to: running on would look
            # healthy while answering nobody, so stop everything and say why.
            for task in done:
                exc = None if task.cancelled() else task.exception()
                log.error(
                    "bot_part_failed",
                    part=tasks[task],
                    error=f"{type(exc).__name__}: {exc}" if exc else "ended unexpectedly",
                )
            status = 1
    finally:
        stop.set()
        for sig in handled:
            loop.remove_signal_handler(sig)
        if sched is not None:
            sched.shutdown(wait=False)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await channel.close()
        await app.close()
        log.info("bot_stopped", status=status)
    return status
