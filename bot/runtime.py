"""The long-running bot: the channel (polling or webhook), the outbox sender and the scheduler.

Every part may run in several replicas against one PostgreSQL: updates serialise per user in
the database (`crm.services.runtime`), senders claim outbox rows with SKIP LOCKED
(`crm.services.outbox`), and the scheduler runs in every replica as a candidate of which only the
leader runs jobs (`scheduler.leader`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from datetime import timedelta

import structlog

from bot import commands_menu, forum, identity, menu_sync, profile
from bot.app import App, build_app
from bot.channels.base import TelegramChannel, pause
from bot.gc_tuning import freeze_startup_objects
from bot.health import Health
from bot.migrate import upgrade_async
from bot.resilient import run_every
from bot.sender import OutboxSender, SendLimits
from bot.settings import Settings
from bot.webhook import WebhookServer
from crm.rules import Rules
from scheduler import runner
from scheduler.leader import Leadership

log = structlog.get_logger("runtime")

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def make_channel(settings: Settings) -> TelegramChannel:
    """The adapter CRM_CHANNEL names; only its library is imported."""
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value()
    channel: TelegramChannel
    if settings.channel == "ptb":
        from bot.channels.ptb import PtbChannel

        channel = PtbChannel(token, settings.telegram_api_url)
    else:
        from bot.channels.aiogram import AiogramChannel

        channel = AiogramChannel(token, settings.telegram_api_url)
    channel.pacer.coalesce = settings.coalesce_replies  # type: ignore[attr-defined]
    return channel


async def _publish_menus(
    channel: TelegramChannel, app: App, locale: str, stop: asyncio.Event | None = None
) -> None:
    """Menus and the bot's description at start-up, then menus kept live (bot.menu_sync)."""
    try:
        if not await commands_menu.publish(channel, app.router, app.sessions, locale):
            return  # no setMyCommands on this server: nothing to keep up to date
        await profile.publish(channel, locale)
    except Exception:
        log.exception("commands_menu_failed")
    while stop is not None and not stop.is_set():
        try:
            await menu_sync.sync(channel, app.router, app.sessions, app.clock)
        except Exception:
            log.warning("menu_sync_failed", exc_info=True)
        await pause(stop, menu_sync.SYNC_SECONDS)


def make_leadership(settings: Settings) -> Leadership:
    return Leadership(
        settings.database_url,
        retry_seconds=settings.leader_retry_seconds,
        check_seconds=settings.leader_check_seconds,
    )


def make_webhook(settings: Settings, health: Health | None = None) -> WebhookServer | None:
    if settings.webhook_url is None or settings.webhook_secret is None:
        return None
    return WebhookServer(
        settings.webhook_url,
        settings.webhook_secret.get_secret_value(),
        settings.webhook_listen,
        settings.webhook_port,
        routes=health.routes() if health is not None else (),
    )


async def serve(
    settings: Settings,
    rules: Rules,
    *,
    scheduler: bool = True,
    stop: asyncio.Event | None = None,
    freeze_startup: bool = False,
) -> int:
    """Runs until SIGINT/SIGTERM (or until `stop` is set, when given); returns an exit status.

    0 after a requested stop, 1 if a part (the channel, the sender) ended by itself,
    2 for settings that cannot work. With `stop` given, signals are left to the caller.
    `freeze_startup` (the command line's process, not a test's) keeps startup's objects out of
    the garbage collector's full passes (`bot.gc_tuning`).
    """
    try:
        channel = make_channel(settings)
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
        limits=SendLimits.from_rules(rules.rate_limits),
        metrics=app.metrics,
        lease=timedelta(seconds=settings.sender_lease_seconds),
    )
    app.engine.files = channel
    names = identity.Tracker(app.sessions, app.engine, app.clock, settings.bot_username)
    await names.load()
    channel.on_username = names.seen
    health = Health(app.db, app.sessions, app.clock, app.metrics, channel.ping)
    app.engine.on_identity_change = functools.partial(
        commands_menu.refresh_user, channel, app.router
    )
    # A reply committed but not yet sent when this process dies is sent by another replica.
    app.engine.reply_lease = timedelta(seconds=settings.reply_lease_seconds)
    if freeze_startup:
        log.info("startup_objects_frozen", count=freeze_startup_objects())
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    if stop is None:
        stop = asyncio.Event()
        for sig in SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
                handled.append(sig)
    sched = None
    leadership: Leadership | None = None
    campaign: asyncio.Task[None] | None = None
    tasks: dict[asyncio.Task[None], str] = {}
    menus: asyncio.Task[None] | None = None
    forum_task: asyncio.Task[None] | None = None
    # With a webhook, /healthz and /metrics are on its listener (the one port the proxy reaches).
    webhook = make_webhook(settings, health)
    exits = contextlib.AsyncExitStack()
    status = 0
    try:
        if webhook is None:
            try:
                await exits.enter_async_context(
                    health.serving(settings.health_listen, settings.health_port)
                )
            except OSError as exc:
                log.error("invalid_setting", setting="CRM_HEALTH_PORT", error=str(exc))
                status = 2
                return status
        if scheduler:
            leadership = make_leadership(settings)
            app.leadership = leadership
            sched = runner.build(
                app.sessions,
                app.clock,
                settings.tz,
                app.rulebook,
                settings.scheduler_tick_seconds,
                leadership=leadership,
            )
            app.metrics.set_leader(leadership.is_leader)
            leadership.on_change(app.metrics.set_leader)
            sched.start()
            # Not among `tasks`: it retries on its own while the database is away.
            campaign = asyncio.create_task(leadership.run(stop))
        receive = (
            channel.poll(app.engine, stop)
            if webhook is None
            else channel.webhook(app.engine, stop, webhook)
        )
        tasks = {
            asyncio.create_task(sender.run(stop, settings.sender_poll_seconds)): "sender",
            asyncio.create_task(receive): "channel",
        }
        if settings.service_group_id is not None:
            app.engine.forum_chat_id = settings.service_group_id
            desk = forum.ForumDesk(
                channel,
                app.sessions,
                app.clock,
                settings.service_group_id,
                settings.locale,
                settings.tz,
            )
            lead = leadership

            async def forum_pass() -> None:
                # One replica keeps the topics (two would open a ticket's topic twice): the
                # scheduler's leader, or this process when it runs no scheduler candidate.
                if lead is None or lead.is_leader:
                    await desk.sync()

            forum_task = asyncio.create_task(
                run_every(forum.SYNC_SECONDS, stop, forum_pass, name="forum", log=log)
            )
        # Beside the rest, not before it: menus are a convenience and may fail on their own.
        menus = asyncio.create_task(_publish_menus(channel, app, settings.locale, stop))
        log.info(
            "bot_started",
            channel=channel.name,
            library=settings.channel,
            mode="polling" if webhook is None else "webhook",
            scheduler=scheduler,
        )
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({stopping, *tasks}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if stopping not in done:
            # The channel or the sender ended without being asked to: running on would look
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
        # The channel, the sender and a running scheduler job all finish what they are doing:
        # they write to the database closed below.
        await asyncio.gather(
            *tasks, *([sched.stop()] if sched is not None else []), return_exceptions=True
        )
        if campaign is not None:
            # After the jobs: the lock goes once nothing runs under it any more.
            await asyncio.gather(campaign, return_exceptions=True)
        if forum_task is not None:
            await asyncio.gather(forum_task, return_exceptions=True)
        if menus is not None:
            menus.cancel()  # still setting menus when stopped so soon: they can wait
            await asyncio.gather(menus, return_exceptions=True)
        app.metrics.set_leader(False)
        await exits.aclose()
        await channel.close()
        await app.close()
        log.info("bot_stopped", status=status)
    return status
