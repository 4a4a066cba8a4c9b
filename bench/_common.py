"""What the benchmarks share: the project on sys.path, percentiles, PASS/MISS lines, a throwaway
PostgreSQL server, the machine's description and resident memory.

Not a benchmark itself (`make bench` runs bench/bench_*.py only).
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A script's own folder is on sys.path, not the project's: tests.pg_server lives there.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def quick_flag(argv: list[str]) -> bool:
    """`--quick`: a smaller run, to check a change in seconds rather than minutes."""
    return "--quick" in argv


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def verdict(ok: bool, what: str) -> str:
    """One target's line; the benchmarks exit 0 either way, so the figures are always printed."""
    line = f"  {'PASS' if ok else 'MISS'}  {what}"
    print(line, flush=True)
    return line


def rss_mb() -> float:
    """Resident memory of this process (VmRSS), in MiB, from /proc (no psutil needed)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1) if m else "?"
    mem = "?"
    with contextlib.suppress(OSError):
        m = re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M)
        mem = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB" if m else "?"
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem} RAM, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, PostgreSQL {pg_version() or 'n/a'}"
    )


def pg_version() -> str | None:
    from tests.pg_server import find_pg_bin

    found = find_pg_bin()
    if found is None:
        return None
    try:
        out = subprocess.run(
            [str(found / "postgres"), "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except OSError:
        return None
    return out.strip().rsplit(" ", 1)[-1] or None


@contextlib.contextmanager
def pg_server() -> Iterator[object | None]:
    """A private PostgreSQL on 127.0.0.1 (tests/pg_server.py), or None without its binaries."""
    from tests.pg_server import PgServer, find_pg_bin

    if find_pg_bin() is None:
        print("  (PostgreSQL binaries not found: its runs are skipped)")
        yield None
        return
    server = PgServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class LogSink:
    """Stands in for stderr while measuring: the product's JSON logs are still rendered (their
    cost is part of the product's), counted, and the errors kept to show afterwards."""

    def __init__(self) -> None:
        self.lines = 0
        self.errors: list[str] = []

    def write(self, s: str) -> int:
        self.lines += s.count("\n")
        if '"level": "error"' in s or "Traceback" in s:
            self.errors.append(s[:2000])
        return len(s)

    def flush(self) -> None:
        pass


@contextlib.contextmanager
def logs_counted() -> Iterator[LogSink]:
    sink = LogSink()
    saved, sys.stderr = sys.stderr, sink
    try:
        yield sink
    finally:
        sys.stderr = saved
        for e in sink.errors[:3]:
            print(e, file=sys.stderr)
