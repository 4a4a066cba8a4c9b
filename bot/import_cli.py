"""`crm-bot import customers FILE` and `crm-bot import deals FILE` (opportunities, contracts,
instalments or payments, told by the header: crm/services/deals/transfer.py): preview, then
apply (unless --dry-run)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings
from crm.db import make_engine, make_sessionmaker
from crm.importer import ImportFileError, Preview, read_rows
from crm.rules import Rules
from crm.services import imports
from crm.services.deals import transfer

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
    imp.add_argument("what", choices=["customers", "deals"])
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


def run(args: argparse.Namespace, settings: Settings, rules: Rules) -> int:
    if args.what == "deals":
        try:
            kind, found = transfer.read(args.file.read_bytes(), args.file.name)
        except (OSError, transfer.TransferError) as exc:
            print(f"crm-bot import: {exc}", file=sys.stderr)
            return 2
        return asyncio.run(_apply_deals(settings, rules, kind, found, args.dry_run))
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


async def _apply_deals(
    settings: Settings, rules: Rules, kind: str, found: list, dry_run: bool
) -> int:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            preview = await transfer.plan(session, kind, found, rules)
            print(f"{kind} to create: {len(preview.create)}")
            print(f"rejected: {len(preview.rejected)}")
            for number, reason, value in preview.rejected[:50]:
                print(f"  row {number}: {reason.replace('_', ' ')} ({value})")
            if dry_run:
                return 0
            created, refused = await transfer.apply(
                session, preview, by=None, now=datetime.now(UTC)
            )
            await session.commit()
            print(f"done: {created} created, {refused} refused (more than the contract owes)")
    finally:
        await engine.dispose()
    return 0
