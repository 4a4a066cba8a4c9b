"""Import throughput: a 10,000-row customer CSV into SQLite, then the same file again.

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

from bot.migrate import upgrade
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


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        asyncio.run(run(url, make_csv(n)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
