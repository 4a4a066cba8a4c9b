"""Engine throughput and latency on the seeded demo company (SQLite file, one process).

Prints updates per second and latency percentiles, overall and per command, for a mix of staff
and customer updates (/summary draws a chart, so it dominates the mix).
Run: `make bench` or `.venv/bin/python bench/bench_engine.py [N | --quick]` (500 updates by
default, 100 with --quick: /summary's chart makes each one costly, and `make bench` has to stay
well under ten minutes).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.app import build_app
from bot.demo import DEMO_START, prepare
from bot.migrate import upgrade
from bot.settings import load
from bot.types import Inbound
from crm.clock import ManualClock

MIX = [
    (1003, "/today"),
    (1004, "/customers Acme"),
    (2001, "/my"),
    (1002, "/summary"),
    (2002, "/help"),
]


async def run(url: str, n: int) -> None:
    settings, rules = load(database_url=url, _env_file=None)
    clock = ManualClock(DEMO_START)
    app = build_app(settings, rules, clock)
    await prepare(app, clock)
    latencies = []
    per_command: dict[str, list[float]] = {}
    start = time.perf_counter()
    for i in range(n):
        user, text = MIX[i % len(MIX)]
        # Spread users so the flood limit does not kick in: the clock moves a second a turn.
        clock.set(DEMO_START + timedelta(seconds=i))
        t0 = time.perf_counter()
        out = await app.engine.handle(
            Inbound(channel="bench", update_id=i, chat_id=user, user_id=user, text=text)
        )
        ms = (time.perf_counter() - t0) * 1000
        latencies.append(ms)
        per_command.setdefault(text.split()[0], []).append(ms)
        assert out, text
    elapsed = time.perf_counter() - start
    await app.close()
    for command, values in per_command.items():
        cq = statistics.quantiles(values, n=100)
        print(f"  {command:<11} n={len(values):<5} p50 {cq[49]:.1f} ms  p95 {cq[94]:.1f} ms")
    q = statistics.quantiles(latencies, n=100)
    print(f"engine on SQLite: {n} updates in {elapsed:.2f} s = {n / elapsed:.0f} updates/s")
    print(
        f"latency ms: p50 {q[49]:.1f}  p95 {q[94]:.1f}  p99 {q[98]:.1f}  max {max(latencies):.1f}"
    )


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)  # Alembic runs its own event loop, so before ours
        asyncio.run(run(url, n))


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else ""
    main(100 if arg == "--quick" else int(arg) if arg else 500)
