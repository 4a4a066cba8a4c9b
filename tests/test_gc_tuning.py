"""Startup's objects are frozen for the garbage collector in the real processes, and garbage
made later is still collected."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from bot import cli
from bot.gc_tuning import freeze_startup_objects


def test_frozen_startup_leaves_later_garbage_collectable() -> None:
    suite_frozen = gc.get_freeze_count() > 0  # tests/conftest.py freezes the collected suite
    try:
        frozen = freeze_startup_objects()
        assert frozen > 10_000  # this process's libraries, at the least
        assert gc.get_freeze_count() == frozen

        class Node:
            me: Any

        node = Node()
        node.me = node  # a cycle: only the collector frees it
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
        if suite_frozen:
            gc.freeze()


@pytest.mark.parametrize(
    ("argv", "module", "name"),
    [(["scheduler"], "bot.scheduler_main", "serve_scheduler"), (["run"], "bot.runtime", "serve")],
)
def test_the_command_line_processes_freeze_their_startup(
    argv: list[str], module: str, name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    seen: dict[str, Any] = {}

    async def fake(*_args: Any, **kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(f"{module}.{name}", fake)
    monkeypatch.setenv("CRM_TELEGRAM_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    assert cli.main(argv) == 0
    assert seen.get("freeze_startup") is True
