"""`crm-bot import customers FILE`: preview, then apply (unless --dry-run)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings
from crm.db import make_engine, make_sessionmaker
from crm.importer import ImportFileError, Preview, read_rows
from crm.services import imports

REASONS = {
    "missing_name": "missing name",
    "bad_phone": "bad phone number",
    "unknown_owner": "unknown owner",
    "duplicate_in_file": "duplicate within the file",
    "bad_class": "unknown class",
    "bad_stage": "unknown stage",
    "bad_number": "not a number",
    "bad_contact_role": "unknown contact role",
}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    imp = sub.add_parser("import", help="import customers and contacts from CSV or XLSX")
    imp.add_argument("--db", help="database URL (default: CRM_DATABASE_URL)")
    imp.add_argument("what", choices=["customers"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="show the preview, change nothing")


def describe(preview: Preview) -> list[str]:
    lines = [
        f"to create: {len(preview.create)}",
        f"to update: {len(preview.update)}",
        f"unchanged: {preview.unchanged}",
        f"rejected: {len(preview.rejected)}",
    ]
    for r in preview.rejected[:50]:
        detail = f" ({r.detail})" if r.detail else ""
        lines.append(f"  row {r.number}: {REASONS.get(r.reason, r.reason)}{detail}")
    if len(preview.rejected) > 50:
        lines.append(f"  … and {len(preview.rejected) - 50} more")
    if preview.unknown_columns:
        lines.append("ignored columns: " + ", ".join(preview.unknown_columns))
    return lines


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        rows, unknown = read_rows(args.file.read_bytes(), args.file.name)
    except (OSError, ImportFileError) as exc:
        print(f"crm-bot import: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_apply(settings, rows, unknown, args.dry_run))


async def _apply(settings: Settings, rows: list, unknown: list[str], dry_run: bool) -> int:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            preview = await imports.plan(session, rows, unknown)
            print("\n".join(describe(preview)))
            if dry_run:
                return 0  # the session closes without a commit: nothing changes
            created, updated = await imports.apply(
                session, preview, actor_id=None, now=datetime.now(UTC)
            )
            await session.commit()
            print(f"done: {created} created, {updated} updated")
    finally:
        await engine.dispose()
    return 0
