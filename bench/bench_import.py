"""Import throughput: a 10,000-row customer CSV into SQLite, then the same file again; and the
same file sent to the bot in chat (preview, Confirm, then sent again).

Prints the preview and apply times, and the no-op re-import time.
Run: `make bench` or `.venv/bin/python bench/bench_import.py [ROWS]`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_app
from bot.demo import DEMO_START, Demo, prepare
from bot.migrate import upgrade
from bot.settings import load
from crm.clock import ManualClock
from crm.db import make_engine, make_sessionmaker
from crm.importer import read_rows
from crm.services import imports


def make_csv(n: int) -> bytes:
    lines = ["客户编号,客户名称,电话,客户等级,行业,地址,联系人,联系人电话"]
    for i in range(n):
        cls = "A" if i % 20 == 0 else "B" if i % 5 == 0 else "C"
        lines.append(
            f"B-{i:06d},测试客户{i}号有限公司,139{i:08d},{cls},制造,东区{i}号,联系人{i},138{i:08d}"
        )
    return ("\n".join(lines) + "\n").encode()


async def run(url: str, data: bytes) -> None:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    for label in ("first import", "re-import"):
        t0 = time.perf_counter()
        rows, unknown = read_rows(data, "bench.csv")
        t1 = time.perf_counter()
        async with sessions() as s, s.begin():
            preview = await imports.plan(s, rows, unknown)
            t2 = time.perf_counter()
            created, updated = await imports.apply(s, preview, actor_id=None, now=datetime.now(UTC))
        t3 = time.perf_counter()
        print(
            f"{label}: {len(rows)} rows: read {t1 - t0:.2f} s, preview {t2 - t1:.2f} s, "
            f"apply {t3 - t2:.2f} s, total {t3 - t0:.2f} s "
            f"(created {created}, updated {updated}, unchanged {preview.unchanged})"
        )
    await engine.dispose()


async def run_chat(url: str, path: Path) -> None:
    settings, rules = load(database_url=url, _env_file=None)
    clock = ManualClock(DEMO_START)
    app = build_app(settings, rules, clock)
    try:
        await prepare(app, clock)
        lines: list[str] = []
        demo = Demo(app, clock, lines.append)
        await demo.run(["/as admin"])
        for label, inputs in (
            ("chat preview", [f"@doc {path}"]),
            ("chat confirm", ["[Confirm]"]),
            ("chat re-send", [f"@doc {path}"]),
        ):
            start = len(lines)
            t0 = time.perf_counter()
            await demo.run(inputs)
            answer = next((x for x in lines[start:] if x.startswith("[to admin]")), "")
            print(f"{label}: {time.perf_counter() - t0:.2f} s: {answer.splitlines()[0][:90]}")
    finally:
        await app.close()


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        data = make_csv(n)
        asyncio.run(run(url, data))
        chat_url = f"sqlite+aiosqlite:///{Path(tmp) / 'chat.db'}"
        upgrade(chat_url)
        path = Path(tmp) / "customers.csv"
        path.write_bytes(data)
        asyncio.run(run_chat(chat_url, path))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
