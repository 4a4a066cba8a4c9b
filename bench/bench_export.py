"""Export: the CPU time and memory of writing a big visits export, raw (the old dump, codes and
text) and in the reader's words (labels, typed and formatted cells, a summary sheet).

100,000 visits (13 columns, 1.3 million cells) are made in memory, as crm/export.py's `sheet()`
returns them, and written by crm/export_files.py's `to_xlsx` (raw) and bot/views/export.py's
`book` (zh_CN). Both use openpyxl's write-only mode: the file is streamed, so the peak memory is
the rows' own, not one cell object per value.

Run: `.venv/bin/python bench/bench_export.py [--quick]` (a tenth). Targets: the labelled export
at most twice the raw one's CPU time, and no more memory than the raw one plus 50 MB.
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from _common import quick_flag, verdict

from bot.i18n import Renderer
from bot.types import Raw
from bot.views import export as view
from crm.export import COLUMNS, Sheet, _raw
from crm.export_files import to_xlsx

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _rows(n: int) -> list[tuple[object, ...]]:
    t0 = datetime(2026, 11, 1, 9)
    return [
        (
            i,
            t0 + timedelta(minutes=i),
            i % 300,
            f"客户{i % 300}号",
            "张伟",
            "onsite",
            "quote",
            "谈变压器报价，下周二下午跟进",
            "张工",
            31.2,
            121.5,
            292.6069426196603,
            False,
        )
        for i in range(n)
    ]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    n = 10_000 if quick_flag(argv) else 100_000
    sheet = Sheet("visits", COLUMNS["visits"], _rows(n))
    base = _peak_mb()
    start = time.process_time()
    raw = [tuple(_raw(c, v) for c, v in zip(sheet.columns, r, strict=True)) for r in sheet.rows]
    raw_bytes = to_xlsx([c.key for c in sheet.columns], raw, "visits")
    raw_cpu = time.process_time() - start
    del raw
    raw_peak = _peak_mb()
    start = time.process_time()
    render = Renderer("zh_CN", SHANGHAI, html=False)
    book = view.book(
        [sheet],
        render,
        by=Raw("bench"),
        at=datetime(2026, 12, 1, 9),
        filters=[],
        zone="Asia/Shanghai",
    )
    cpu = time.process_time() - start
    peak = _peak_mb()
    print(
        f"{n:,} visits: raw {raw_cpu:.1f} s CPU, {len(raw_bytes) / 1e6:.1f} MB; "
        f"labelled {cpu:.1f} s CPU, {len(book) / 1e6:.1f} MB"
    )
    print(
        f"peak RSS: rows {base:.0f} MB, after raw {raw_peak:.0f} MB, after labelled {peak:.0f} MB"
    )
    ok_cpu, ok_mem = cpu <= 2 * raw_cpu, peak <= raw_peak + 50
    verdict(ok_cpu, "labelled CPU time at most twice the raw export's")
    verdict(ok_mem, "labelled memory within 50 MB of the raw export's")
    return 0  # like the other benchmarks: the figures are printed either way


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
