"""Startup's objects out of the garbage collector's way.

A running bot holds about half a million objects from startup (the libraries' modules, pydantic
models, SQLAlchemy's mappers) that live as long as the process. Every full collection walks all
of them: 100-250 ms during which no update is served, seen as the inbound benchmark's p99 jumping
from 40 ms to 250 ms in one run of three. `gc.freeze()` moves what exists now to a generation the
collector never walks; what is made later is collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Call once, when startup is done (libraries imported, the app built). Returns how many
    objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
