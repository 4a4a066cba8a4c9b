"""A loop that outlives outages: a step run every few seconds, whatever it raises."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from crm.db import unavailable

# The longest wait between two steps that failed (the database away).
BACKOFF_CAP_SECONDS = 30.0


async def run_every(
    seconds: float,
    stop: asyncio.Event,
    step: Callable[[], Awaitable[object]],
    *,
    name: str,
    log: Any,
) -> None:
    """Runs `step` every `seconds` until `stop`. A step that fails is logged and tried again,
    waiting twice as long after each failure in a row (at most BACKOFF_CAP_SECONDS): the loop
    resumes by itself once the database (or whatever failed) is back. `log` is the caller's
    logger; `name` starts its events' names."""
    failures = 0
    while not stop.is_set():
        try:
            await step()
            if failures:
                log.info(f"{name}_recovered", failures=failures)
            failures = 0
        except Exception as exc:
            failures += 1
            if unavailable(exc):
                # Expected while the database is away: one line, not a traceback per try.
                first = str(exc).partition("\n")[0][:200]  # no statement parameters
                log.warning(
                    f"{name}_failed_database_unavailable",
                    failures=failures,
                    error=f"{type(exc).__name__}: {first}",
                )
            else:
                log.exception(f"{name}_failed", failures=failures)
        wait = seconds
        if failures:
            wait = max(seconds, min(seconds * 2**failures, BACKOFF_CAP_SECONDS))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
