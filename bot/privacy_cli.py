"""`crm-bot privacy export|erase CUSTOMER`: a customer's data out, or erased with figures kept."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings
from crm.db import make_engine, make_sessionmaker
from crm.services import privacy


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("privacy", help="export or erase a customer's personal data")
    p.add_argument("--db", help="database URL (default: CRM_DATABASE_URL)")
    p.add_argument("action", choices=["export", "erase"])
    p.add_argument("customer", type=int, help="the customer's id")
    p.add_argument("--out", type=Path, help="export: the JSON file (default: standard output)")
    p.add_argument("--yes", action="store_true", help="erase: do not ask for confirmation")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "erase" and not args.yes:
        if not sys.stdin.isatty():
            print("crm-bot privacy erase: add --yes to erase without a prompt", file=sys.stderr)
            return 2
        if input(f"Erase customer {args.customer}'s personal data? Type yes: ") != "yes":
            print("nothing erased")
            return 1
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            if args.action == "export":
                data = await privacy.export(session, args.customer)
            else:
                data = (
                    {}
                    if await privacy.erase(session, args.customer, now=datetime.now(UTC))
                    else None
                )
    finally:
        await engine.dispose()
    if data is None:
        print(f"crm-bot privacy: no customer with id {args.customer}", file=sys.stderr)
        return 2
    if args.action == "erase":
        print(f"customer {args.customer}: personal data erased, figures kept")
        print(
            "copies in messages, the audit log and drafts were scrubbed; log files carry no "
            "phone numbers, e-mail addresses or message bodies, so they need no erasure"
        )
        return 0
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0
