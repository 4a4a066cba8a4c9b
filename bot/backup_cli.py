"""`crm-bot backup PATH` / `crm-bot restore PATH`: SQLite through sqlite3's online backup API.

Backup works while the bot runs: the API copies a consistent snapshot (WAL mode lets the bot go
on writing meanwhile) into `PATH.partial`, which becomes PATH only after `PRAGMA integrity_check`
says ok. So PATH is never a half-written file.

Restore copies a checked backup into the database file CRM_DATABASE_URL (or --db) names, and
refuses if that file (or its -wal/-shm) exists: a running bot's database is never overwritten
under it. To restore over a live database: stop the bot and the scheduler, move the file away,
restore, start them again.

PostgreSQL has its own tools; for it both commands print the pg_dump / pg_restore command line
(without the password: give it by PGPASSWORD or ~/.pgpass) and change nothing.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bot.settings import Settings

SQLITE_PREFIX = "sqlite+aiosqlite:///"
SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A refusal or a failure; the message says which and what to do."""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    b = sub.add_parser(
        "backup", help="copy the SQLite database, also while the bot runs (PostgreSQL: pg_dump)"
    )
    b.add_argument("--db", help="database URL (default: CRM_DATABASE_URL)")
    b.add_argument("path", type=Path, help="the backup file to write (must not exist)")
    r = sub.add_parser(
        "restore", help="restore a backup into a new SQLite database file (PostgreSQL: pg_restore)"
    )
    r.add_argument("--db", help="database URL (default: CRM_DATABASE_URL)")
    r.add_argument("path", type=Path, help="the backup file")


def run(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database_url
    try:
        if not url.startswith(SQLITE_PREFIX):
            print(postgres_commands(url, args.command, args.path), file=sys.stderr)
            return 2
        target = _sqlite_path(url)
        if args.command == "backup":
            pages = backup(target, args.path)
            print(f"backed up {target} to {args.path} ({pages} pages, integrity ok)")
        else:
            pages = restore(args.path, target)
            print(f"restored {args.path} into {target} ({pages} pages, integrity ok)")
    except BackupError as exc:
        print(f"crm-bot {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


def backup(database: Path, dest: Path) -> int:
    """Copies the live database `database` to `dest`; returns its size in pages."""
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    _refuse_existing(dest, "the backup file")
    # Read-only: a backup must never create or change the database it copies.
    src = _connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return _copy(src, dest)
    finally:
        src.close()


def restore(backup_file: Path, database: Path) -> int:
    """Copies the backup `backup_file` into the new database file `database`."""
    if not backup_file.is_file():
        raise BackupError(f"no backup at {backup_file}")
    for suffix in ("", *SIDE_FILES):
        _refuse_existing(
            Path(f"{database}{suffix}"),
            "the database",
            "stop the bot and the scheduler and move the database away first",
        )
    src = _connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _check(src, backup_file)
        return _copy(src, database)
    finally:
        src.close()


def postgres_commands(url: str, command: str, path: Path) -> str:
    """What to run instead, for PostgreSQL (the password left out of the command line)."""
    given = make_url(url)
    # Built afresh: URL.set(password=None) would keep the password.
    conninfo = URL.create(
        "postgresql",
        username=given.username,
        host=given.host,
        port=given.port,
        database=given.database,
        query=given.query,
    )
    target = shlex.quote(conninfo.render_as_string(hide_password=False))
    file = shlex.quote(str(path))
    if command == "backup":
        line = f"pg_dump --format=custom --no-owner --file={file} {target}"
        note = "It can run while the bots run: pg_dump reads one consistent snapshot."
    else:
        line = f"pg_restore --clean --if-exists --no-owner --dbname={target} {file}"
        note = "Stop the bots and the scheduler first; then start them (migrations run on start)."
    return (
        f"crm-bot {command} copies SQLite databases only; for PostgreSQL run:\n\n  {line}\n\n"
        f"{note} Give the password by PGPASSWORD or ~/.pgpass. See deploy/README.md."
    )


def _sqlite_path(url: str) -> Path:
    path = url[len(SQLITE_PREFIX) :]
    if not path or path == ":memory:":
        raise BackupError("an in-memory database has nothing to back up or restore into")
    return Path(path)


def _refuse_existing(path: Path, what: str, advice: str = "choose a new name") -> None:
    if path.exists():
        raise BackupError(f"{path} exists: {what} is never overwritten ({advice})")


def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
    try:
        return sqlite3.connect(target, uri=uri, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {target}: {exc}") from None


def _check(conn: sqlite3.Connection, where: Path) -> None:
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{where} is not a usable SQLite database: {exc}") from None
    if result != ["ok"]:
        raise BackupError(f"{where} failed the integrity check: {'; '.join(result[:5])}")


def _copy(src: sqlite3.Connection, dest: Path) -> int:
    """The online backup into `dest.partial`, checked, then renamed to `dest`."""
    partial = Path(f"{dest}.partial")
    for suffix in ("", *SIDE_FILES):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)  # a failed earlier attempt
    try:
        dst = sqlite3.connect(partial)
        try:
            # All pages in one step: under WAL the bot's writers are not blocked meanwhile,
            # and a step by step copy would start again after each of their commits.
            src.backup(dst)
            # One self-contained file, whatever the live database's journal mode.
            dst.execute("PRAGMA journal_mode=DELETE")
            _check(dst, dest)
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        finally:
            dst.close()
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        raise BackupError(f"copy failed: {exc}") from None
    finally:
        for suffix in ("", *SIDE_FILES):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
    return pages
