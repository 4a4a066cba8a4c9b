"""Prometheus metrics of one process, in a registry of its own (no global default registry).

The composition root makes one `Metrics` per process and hands it to the engine, the sender
and the scheduler; `/metrics` (bot.health) renders it. Two kinds of figure:

- this process's: updates handled, handler latency, sends by outcome, 429s, whether this
  process is the scheduler leader;
- the database's, read at scrape time (`refresh`): outbox depth and oldest age, SLA breaches
  alerted. Every replica reports the same values for these, so aggregate them with max(), not
  sum(). When the database cannot be read they are left out of the scrape rather than stale.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.services import outbox, sla_watch

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UPDATE_OUTCOMES = ("ok", "error", "unavailable", "duplicate", "throttled", "ignored")
# ok: sent; 429: Telegram's flood wait; 403: the chat blocked the bot; error: retried later;
# dead: given up (Telegram refused it for good, or too many failures).
SEND_OUTCOMES = ("ok", "429", "403", "error", "dead")
# Most updates take a few database round trips; a chart or an export takes seconds.
HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _DatabaseFigures(Collector):
    """The figures read from the database by the last `Metrics.refresh` (none if it failed)."""

    def __init__(self) -> None:
        self.depth: int | None = None
        self.oldest_age: float | None = None
        self.breaches: int | None = None

    def collect(self) -> Iterator[Metric]:
        if self.depth is None or self.breaches is None:
            return
        yield GaugeMetricFamily(
            "crm_outbox_depth", "Outbox messages due now and not yet sent", value=self.depth
        )
        yield GaugeMetricFamily(
            "crm_outbox_oldest_age_seconds",
            "Age of the oldest outbox message due and not yet sent (0 when none)",
            value=self.oldest_age or 0.0,
        )
        yield CounterMetricFamily(
            "crm_sla_breaches",
            "Service-desk deadlines passed and alerted (first answer or resolution), all time",
            value=self.breaches,
        )

    def clear(self) -> None:
        self.depth = self.oldest_age = self.breaches = None


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "crm_updates", "Updates handled, by outcome", ["outcome"], registry=r
        )
        self.handler_seconds = Histogram(
            "crm_handler_seconds",
            "Time to handle one update, waiting for the user's lock included",
            buckets=HANDLER_BUCKETS,
            registry=r,
        )
        self.sends = Counter(
            "crm_sends", "Outbox messages tried on Telegram, by outcome", ["outcome"], registry=r
        )
        self.telegram_429 = Counter(
            "crm_telegram_429", "Flood waits (429 Too Many Requests) from Telegram", registry=r
        )
        self.leader = Gauge(
            "crm_scheduler_leader", "1 while this process runs the scheduler's jobs", registry=r
        )
        # Every outcome shows from the start (at 0): a rate over a missing series is no rate.
        for outcome in UPDATE_OUTCOMES:
            self.updates.labels(outcome)
        for outcome in SEND_OUTCOMES:
            self.sends.labels(outcome)
        self._db = _DatabaseFigures()
        r.register(self._db)

    def update_handled(self, outcome: str, seconds: float) -> None:
        self.updates.labels(outcome).inc()
        self.handler_seconds.observe(seconds)

    def sent(self, outcome: str) -> None:
        self.sends.labels(outcome).inc()
        if outcome == "429":
            self.telegram_429.inc()

    def set_leader(self, leader: bool) -> None:
        """For the scheduler's leader election: 1 while this process holds the leadership."""
        self.leader.set(1 if leader else 0)

    async def refresh(self, sessions: async_sessionmaker[AsyncSession], now: datetime) -> None:
        """Reads the database's figures; on failure they are dropped and the error raised."""
        try:
            async with sessions() as session:
                stats = await outbox.stats(session, now)
                breaches = await sla_watch.breaches_alerted(session)
        except BaseException:
            self._db.clear()
            raise
        self._db.depth = stats.depth
        self._db.oldest_age = stats.oldest_pending_seconds
        self._db.breaches = breaches

    def render(self) -> bytes:
        return generate_latest(self.registry)
