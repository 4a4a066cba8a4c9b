"""Reading reps' messages (crm.language.read_visit): time per message over the corpus
(tests/language/*.yaml), p50 and p99 (target p99 ≤ 5 ms), and what importing the package costs
(time and resident memory, in a fresh interpreter).

    .venv/bin/python bench/bench_language.py
"""

from __future__ import annotations

import subprocess
import sys
import time

from _common import ROOT, percentile, verdict

_IMPORT = """
import resource, time
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
import crm.language
from crm.language import read_visit
took = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{took * 1000:.0f} {(after - before) / 1024:.1f} {after / 1024:.1f}")
"""


def _import_cost() -> tuple[float, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def main() -> None:
    ms, grown, total = _import_cost()
    print(f"import crm.language: {ms:.0f} ms, +{grown:.1f} MB resident ({total:.1f} MB in all)")

    from bot.gc_tuning import freeze_startup_objects
    from crm.language import read_visit
    from tests.language.corpus import TZ, customers, load

    listed = customers()
    entries = load(
        "batch1_zh.yaml", "batch1_other.yaml", "heldout.yaml", "batch2_rules.yaml", "heldout2.yaml"
    )
    first = time.perf_counter()  # the first message pays for the compiled patterns
    read_visit(entries[0].text, listed, entries[0].now, TZ, entries[0].lang)
    print(f"first message (patterns compiled): {(time.perf_counter() - first) * 1000:.0f} ms")
    # As the bot does once started (bot.gc_tuning): pypinyin's dictionaries, half a million
    # objects, out of the collector's full passes, which otherwise add 10-20 ms to one message
    # in a hundred.
    freeze_startup_objects()
    wall: list[float] = []
    cpu: list[float] = []
    for _round in range(5):
        for e in entries:
            t, c = time.perf_counter(), time.thread_time()
            read_visit(e.text, listed, e.now, TZ, e.lang)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
    n = f"{len(entries)} messages × 5 against {len(listed)} customers"
    for label, values in (("wall clock", wall), ("CPU time", cpu)):
        p50, p99 = percentile(values, 50), percentile(values, 99)
        print(f"{n}, {label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(values):.2f} ms")
    # On a shared machine the wall clock's tail is other processes' turn on the CPU (load
    # average 8 on 2 cores when measured); the thread's CPU time is what reading costs.
    verdict(percentile(cpu, 99) <= 5.0, f"CPU p99 {percentile(cpu, 99):.2f} ms ≤ 5 ms")
    verdict(percentile(wall, 99) <= 5.0, f"wall p99 {percentile(wall, 99):.2f} ms ≤ 5 ms")


if __name__ == "__main__":
    main()
