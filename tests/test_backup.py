"""`crm-bot backup` of a SQLite database the bot is writing to, `crm-bot restore` into a new
file, and their refusals; for PostgreSQL, the pg_dump / pg_restore command lines."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_app
from bot.cli import main
from bot.demo import prepare
from bot.settings import load
from bot.types import Outgoing
from crm.clock import ManualClock
from crm.services import outbox

WRITTEN = "outbox_message"  # the table the "bot" below writes to during the backup


def tables(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"'), key=repr) for n in names}
    finally:
        conn.close()


async def test_backup_of_a_database_being_written_restores_equal(
    sqlite_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "crm.db"
    shutil.copyfile(sqlite_template, live)
    url = f"sqlite+aiosqlite:///{live}"
    settings, rules = load(_env_file=None, database_url=url)
    clock = ManualClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    app = build_app(settings, rules, clock)
    copy, restored = tmp_path / "backup.db", tmp_path / "restored" / "crm.db"
    restored.parent.mkdir()
    writing = asyncio.Event()
    written = 0

    async def bot_writes() -> None:
        nonlocal written
        while True:
            async with app.sessions() as s, s.begin():
                await outbox.enqueue(
                    s,
                    chat_id=1,
                    payload=Outgoing(1, "hi").to_payload(),
                    dedupe_key=f"bk-{written}",
                    due_at=clock.now(),
                )
            written += 1
            writing.set()
            await asyncio.sleep(0)

    try:
        await prepare(app, clock)  # a company with customers, visits, tickets...
        writer = asyncio.create_task(bot_writes())
        await writing.wait()
        before = written
        status = await asyncio.to_thread(main, ["backup", str(copy), "--db", url])
        after = written
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
    finally:
        await app.close()
    assert status == 0, capsys.readouterr().err
    assert "integrity ok" in capsys.readouterr().out
    assert after > before  # the bot went on writing while the backup ran

    assert main(["restore", str(copy), "--db", f"sqlite+aiosqlite:///{restored}"]) == 0
    source, back = tables(live), tables(restored)
    assert source.keys() == back.keys() and len(source) > 10
    for name in source.keys() - {WRITTEN}:
        assert back[name] == source[name], name
    assert len(back["customer"]) == 30 and back["alembic_version"] == source["alembic_version"]
    # The snapshot holds what was committed when it was taken: a prefix of the bot's writes.
    keys = {row[1] for row in back[WRITTEN]}
    bk = sorted(int(k[3:]) for k in keys if isinstance(k, str) and k.startswith("bk-"))
    assert bk == list(range(len(bk))) and before <= len(bk) <= written
    assert set(back[WRITTEN]) <= set(source[WRITTEN])
    conn = sqlite3.connect(restored)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_restore_never_overwrites_a_database(tmp_path: Path, sqlite_template: Path) -> None:
    existing = tmp_path / "crm.db"
    existing.write_bytes(b"the live database")
    status = main(["restore", str(sqlite_template), "--db", f"sqlite+aiosqlite:///{existing}"])
    assert status == 2
    assert existing.read_bytes() == b"the live database"
    # Nor one whose main file was moved but whose write-ahead log is still there.
    gone = tmp_path / "other.db"
    Path(f"{gone}-wal").write_bytes(b"")
    assert main(["restore", str(sqlite_template), "--db", f"sqlite+aiosqlite:///{gone}"]) == 2
    assert not gone.exists()


def test_backup_refuses_an_existing_file_and_restore_a_broken_backup(
    tmp_path: Path, sqlite_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "backup.db"
    taken.write_bytes(b"older backup")
    assert main(["backup", str(taken), "--db", f"sqlite+aiosqlite:///{sqlite_template}"]) == 2
    assert taken.read_bytes() == b"older backup"
    assert main(["backup", str(tmp_path / "x.db"), "--db", "sqlite+aiosqlite:///nowhere.db"]) == 2
    assert not Path("nowhere.db").exists()  # a backup never creates the database it copies
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + b"not really")
    target = tmp_path / "new.db"
    assert main(["restore", str(broken), "--db", f"sqlite+aiosqlite:///{target}"]) == 2
    assert "not a usable SQLite database" in capsys.readouterr().err
    assert not target.exists() and not Path(f"{target}.partial").exists()


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgresql_gets_the_pg_tools_command_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+asyncpg://crm:s3cret-pw@db.internal:5433/crm"
    dump = tmp_path / "crm.dump"
    assert main([command, str(dump), "--db", url]) == 2
    err = capsys.readouterr().err
    tool = "pg_dump --format=custom" if command == "backup" else "pg_restore --clean"
    assert tool in err and str(dump) in err
    assert "postgresql://crm@db.internal:5433/crm" in err
    assert "s3cret-pw" not in err and "asyncpg" not in err
    assert not dump.exists()
