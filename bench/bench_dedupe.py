"""The duplicate check's name comparison against a company of N customers (default 10,000):
the first check in a process (every name's core and sound computed, then cached) and the
checks after it. Target: a registration's check within 200 ms once warm.

Run: `.venv/bin/python bench/bench_dedupe.py [N]`.
"""

from __future__ import annotations

import random
import sys
import time

import _common  # noqa: F401  (the project on sys.path)
from _common import percentile, verdict

from crm.dedupe.check import _alike_names
from crm.rules import load_rules

CHARS = (
    "华能电厂东方钢铁明珠酒店新华印刷宏达五金城东小学国际会展中心长江水泥星光影院海尔格力美的万达"
)
FORMS = ("有限公司", "集团", "股份有限公司", "(浦东)", "")


def main(n: int) -> int:
    rules = load_rules().dedupe
    rnd = random.Random(1)
    names = {
        i: "".join(rnd.choice(CHARS) for _ in range(rnd.randint(4, 8))) + rnd.choice(FORMS)
        for i in range(n)
    }
    start = time.perf_counter()
    _alike_names(rules, "东方钢铁集团有限公司", names)
    cold = (time.perf_counter() - start) * 1000
    warm = []
    for _ in range(30):
        query = "".join(rnd.choice(CHARS) for _ in range(6)) + "有限公司"
        start = time.perf_counter()
        _alike_names(rules, query, names)
        warm.append((time.perf_counter() - start) * 1000)
    p95 = percentile(warm, 95)
    print(
        f"dedupe, {n} customers: first check {cold:.0f} ms; then p50 "
        f"{percentile(warm, 50):.1f} ms, p95 {p95:.1f} ms"
    )
    verdict(p95 < 200, "a warm check within 200 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
