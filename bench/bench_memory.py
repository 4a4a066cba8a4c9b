"""Memory: the bot process's resident memory with 10,000 users in the middle of a flow.

10,000 sales reps (each with a customer of their own) each open the guided visit from their
customer's card, which leaves them at step 2 of 8 (the kind of visit: the customer is chosen,
a draft with its contacts is saved), through the engine on SQLite, CONCURRENCY users at a time.
One update each keeps the run near a minute; a step further on holds the same kind of state.
Their drafts are in the database (conversation_state); what the process keeps per user (its
per-user locks, the flood guard's counts) is what this measures.

Prints VmRSS from /proc/self/status before the users arrive (the app built and warmed up),
after, and the peak (VmHWM).
Run: `make bench`, or `.venv/bin/python bench/bench_memory.py [--quick]` (1,000 users).
Target: at most 300 MB resident.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _common import logs_counted, peak_rss_mb, quick_flag, rss_mb, verdict
from sqlalchemy import func, insert, select

from bot.app import build_app
from bot.demo import DEMO_START
from bot.logging import setup as setup_logging
from bot.migrate import upgrade
from bot.settings import load
from bot.types import Inbound
from crm.clock import ManualClock
from crm.enums import Role
from crm.models import ConversationState, Customer, Staff

FIRST_TG = 3_000_000
CONCURRENCY = 20
TARGET_MB = 300


async def run(url: str, users: int) -> None:
    settings, rules = load(database_url=url, _env_file=None)
    clock = ManualClock(DEMO_START)
    app = build_app(settings, rules, clock)
    now = clock.now()
    async with app.sessions() as s, s.begin():
        await s.execute(
            insert(Staff),
            [
                dict(
                    tg_user_id=FIRST_TG + k,
                    handle=f"m{k}",
                    name=f"代表{k}",
                    role=Role.SALES,
                    team=f"t{k // 10}",
                    locale="zh_CN",
                    timezone="Asia/Shanghai",
                    active=True,
                    created_at=now - timedelta(days=30),
                )
                for k in range(users)
            ],
        )
        ids = dict((await s.execute(select(Staff.tg_user_id, Staff.id))).all())
        await s.execute(
            insert(Customer),
            [
                dict(
                    name=f"客户{k}",
                    name_search="",
                    customer_class="B",
                    stage="contacted",
                    relationship="new",
                    owner_id=ids[FIRST_TG + k],
                    team=f"t{k // 10}",
                    tags=[],
                    annual_value=0,
                    created_at=now - timedelta(days=30),
                    updated_at=now - timedelta(days=30),
                )
                for k in range(users)
            ],
        )
        owners = dict((await s.execute(select(Customer.owner_id, Customer.id))).all())

    update_ids = itertools.count(1)
    ticks = itertools.count()

    async def user(k: int) -> None:
        tg = FIRST_TG + k
        for data in (f"visit_for:{owners[ids[tg]]}",):
            clock.set(DEMO_START + timedelta(milliseconds=next(ticks)))
            out = await app.engine.handle(
                Inbound(
                    channel="telegram",
                    update_id=next(update_ids),
                    chat_id=tg,
                    user_id=tg,
                    first_name=f"u{k}",
                    language_code="zh-hans",
                    callback=data,
                    callback_message_id=1,
                )
            )
            assert out, data
        assert "2/8" in out[-1].text, out[-1].text

    async def wave(ks: range) -> None:
        for start in range(ks.start, ks.stop, CONCURRENCY):
            await asyncio.gather(
                *(user(k) for k in range(start, min(start + CONCURRENCY, ks.stop)))
            )

    with logs_counted() as sink:
        await wave(range(0, 20))  # warm-up: imports, catalogs, the connection pool
        gc.collect()
        before = rss_mb()
        t0 = time.perf_counter()
        await wave(range(20, users))
        elapsed = time.perf_counter() - t0
        gc.collect()
        after = rss_mb()
    async with app.sessions() as s:
        mid_flow = await s.scalar(
            select(func.count()).where(
                ConversationState.flow == "visit", ConversationState.step == "kind"
            )
        )
    await app.close()
    if sink.errors:
        print(f"  ({len(sink.errors)} errors logged)")
    peak = peak_rss_mb()
    print(
        f"  {mid_flow} users at step 2 of 8 of the visit ({users - 20} updates in "
        f"{elapsed:.1f} s, {CONCURRENCY} at a time)"
    )
    print(
        f"  resident memory: {before:.0f} MB before, {after:.0f} MB after "
        f"({(after - before) * 1024 / max(users - 20, 1):.1f} KB per user), peak {peak:.0f} MB"
    )
    print("targets:")
    verdict(max(after, peak) <= TARGET_MB, f"resident {max(after, peak):.0f} MB (≤ {TARGET_MB} MB)")


def main(argv: list[str]) -> int:
    users = 1000 if quick_flag(argv) else 10_000
    setup_logging("INFO", json=True)
    print(f"memory: {users} users in the middle of the guided visit, on SQLite")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'memory.db'}"
        upgrade(url)
        asyncio.run(run(url, users))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
