"""Fixtures of the end-to-end suite: the emulator must be there in CI, and a seeded database."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.e2e import launcher
from tests.e2e.launcher import bot_env


@pytest.fixture(scope="session")
def emulator_ready() -> None:
    """Fails in CI and skips elsewhere when node or the npm package is missing."""
    reason = launcher.missing()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(
            f"end-to-end tests cannot run: {reason}; .ci/run must install the Node packages",
            pytrace=False,
        )
    pytest.skip(f"end-to-end tests need the telegram-test-api emulator: {reason}")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company, seeded once by `crm-bot demo --reset`; each bot runs on a copy."""
    where = tmp_path_factory.mktemp("e2e-template")
    path = where / "demo.db"
    seeded = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--reset", "--db", f"sqlite+aiosqlite:///{path}"],
        cwd=where,  # no stray .env file
        env=bot_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seeded.returncode == 0, f"crm-bot demo --reset failed:\n{seeded.stderr[-4000:]}"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        # `crm-bot run` lives on the real clock; without the demo's clock the invites the
        # tests make are stamped on real time too.
        db.execute("DELETE FROM key_value WHERE key = 'demo.clock'")
    return path
