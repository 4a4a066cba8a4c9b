"""Composition root: settings → database → engine → channels → sender → scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.engine import Engine, EngineConfig
from bot.identity import PLACEHOLDER
from bot.metrics import Metrics
from bot.settings import Settings
from crm.clock import Clock, SystemClock
from crm.db import make_engine, make_sessionmaker
from crm.geocode import make_geocoder
from crm.rules import Rules
from crm.services.rule_overrides import RuleBook
from handlers import build_router
from handlers.router import Router
from scheduler.leader import Leadership


@dataclass
class App:
    settings: Settings
    rules: Rules
    clock: Clock
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    engine: Engine
    router: Router
    # The effective rules: `rules` (the files) with what admins changed in chat (/rules).
    rulebook: RuleBook
    metrics: Metrics
    # Set by the runtime when this process is a scheduler candidate: `leadership.is_leader`
    # says whether it runs the jobs now (for metrics and health checks).
    leadership: Leadership | None = field(default=None)

    async def close(self) -> None:
        await self.engine.close()
        await self.db.dispose()


def build_app(settings: Settings, rules: Rules, clock: Clock | None = None) -> App:
    clock = clock or SystemClock()
    db = make_engine(settings.database_url)
    sessions = make_sessionmaker(db)
    router = build_router()
    rulebook = RuleBook(rules)
    metrics = Metrics()
    engine = Engine(
        sessions,
        router,
        clock,
        rulebook,
        EngineConfig(
            default_locale=settings.locale,
            default_tz=settings.tz,
            # The last one getMe gave is set by the runtime at start-up (bot.identity).
            bot_username=settings.bot_username or PLACEHOLDER,
        ),
        metrics,
    )
    key = settings.geocoder_key.get_secret_value() if settings.geocoder_key else None
    engine.geocoder = make_geocoder(settings.geocoder_url, key, settings.locale.replace("_", "-"))
    return App(settings, rules, clock, db, sessions, engine, router, rulebook, metrics)
