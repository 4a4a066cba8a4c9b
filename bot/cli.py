"""`crm-bot`: run, scheduler, demo, migrate, export, backup, restore..."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import backup_cli, import_cli, privacy_cli
from bot import logging as logs
from bot.settings import Settings, SettingsError, load
from crm.export import KINDS as EXPORT_KINDS
from crm.rules import Rules

DEMO_DB = "sqlite+aiosqlite:///var/demo.db"
NO_TOKEN = (
    "crm-bot run: CRM_TELEGRAM_TOKEN is not set. Set it to your bot's token from @BotFather "
    "(in the environment or .env), or try the console demo with `make demo`."
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crm-bot", description="CRM messaging bot")
    sub = p.add_subparsers(dest="command", required=True)

    def db_opt(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--db", help="database URL (default: CRM_DATABASE_URL)")

    run = sub.add_parser("run", help="run the Telegram bot")
    db_opt(run)
    run.add_argument("--no-scheduler", action="store_true", help="do not run the scheduler here")

    sch = sub.add_parser("scheduler", help="run the scheduler alone (pair with run --no-scheduler)")
    db_opt(sch)

    demo = sub.add_parser("demo", help="console demo on a seeded SQLite database")
    demo.add_argument("--db", default=None, help=f"database URL (default: {DEMO_DB})")
    demo.add_argument("--reset", action="store_true", help="start again from fresh demo data")
    demo.add_argument("--script", type=Path, help="read inputs from FILE, print the transcript")

    mig = sub.add_parser("migrate", help="apply database migrations up to head")
    db_opt(mig)

    inv = sub.add_parser("invite", help="a one-time deep link for a new staff member or customer")
    db_opt(inv)
    who = inv.add_mutually_exclusive_group(required=True)
    who.add_argument("--role", choices=["sales", "manager", "service", "admin"])
    who.add_argument("--customer", type=int, metavar="ID", help="link a customer's Telegram")
    inv.add_argument("--name", help="the staff member's name (required with --role)")
    inv.add_argument("--manager", metavar="HANDLE", help="their manager's handle")

    import_cli.add_parser(sub)
    privacy_cli.add_parser(sub)
    backup_cli.add_parser(sub)

    exp = sub.add_parser(
        "export", help="write customers, visits, follow-ups, tickets or deals (opportunities…)"
    )
    db_opt(exp)
    exp.add_argument("kind", choices=[*EXPORT_KINDS, "all"], help="all: XLSX, a sheet per kind")
    exp.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    exp.add_argument("--out", type=Path, help="output file (default: standard output for CSV)")
    exp.add_argument(
        "--raw",
        action="store_true",
        help="for machines: the column names and codes as stored (what `import` reads back)",
    )
    exp.add_argument(
        "--lang",
        choices=["zh_CN", "zh_TW", "en", "ru"],
        help="the readers' language of headers and labels (default: CRM_LOCALE's)",
    )
    return p


def _settings(db: str | None) -> tuple[Settings, Rules]:
    overrides = {"database_url": db} if db else {}
    return load(**overrides)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            settings, rules = _settings(args.db or DEMO_DB)
        else:
            settings, rules = _settings(args.db)
    except SettingsError as exc:
        print(f"crm-bot: {exc}", file=sys.stderr)
        return 2
    long_running = args.command in ("run", "scheduler")
    logs.setup(
        settings.log_level if long_running else "WARNING",
        settings.log_json,
        region=rules.business_hours.holiday_country,
    )
    if args.command == "migrate":
        from bot.migrate import upgrade

        upgrade(settings.database_url)
        print("database is at the latest schema")
        return 0
    if args.command == "demo":
        script = args.script.read_text(encoding="utf-8").splitlines() if args.script else None
        return asyncio.run(_demo(settings, rules, args.reset, script))
    if args.command == "export":
        if args.kind == "all" and (args.format != "xlsx" or args.raw):
            print(
                "crm-bot export: `all` is an XLSX with a sheet per kind (--format xlsx, not --raw)",
                file=sys.stderr,
            )
            return 2
        data, count = asyncio.run(
            _export(settings, args.kind, args.format, raw=args.raw, lang=args.lang)
        )
        if args.out is None:
            if args.format == "xlsx":
                print("crm-bot export: XLSX needs --out FILE", file=sys.stderr)
                return 2
            sys.stdout.buffer.write(data)
        else:
            args.out.write_bytes(data)
            print(f"wrote {count} {args.kind} to {args.out}", file=sys.stderr)
        return 0
    if args.command == "import":
        return import_cli.run(args, settings, rules)
    if args.command == "privacy":
        return privacy_cli.run(args, settings)
    if args.command in ("backup", "restore"):
        return backup_cli.run(args, settings)
    if args.command == "invite":
        return asyncio.run(_invite(settings, rules, args))
    if args.command == "scheduler":
        from bot.scheduler_main import serve_scheduler

        return asyncio.run(serve_scheduler(settings, rules, freeze_startup=True))
    if args.command == "run":
        if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
            print(NO_TOKEN, file=sys.stderr)
            return 2
        from bot.runtime import serve

        return asyncio.run(
            serve(settings, rules, scheduler=not args.no_scheduler, freeze_startup=True)
        )
    return 2


async def _demo(settings: Settings, rules: Rules, reset: bool, script: list[str] | None) -> int:
    from bot.app import build_app
    from bot.demo import DEMO_START, Demo, prepare
    from bot.migrate import upgrade_async
    from crm.clock import ManualClock

    if reset:
        _drop_sqlite(settings.database_url)
    await upgrade_async(settings.database_url)
    clock = ManualClock(DEMO_START)
    app = build_app(settings, rules, clock)
    try:
        await prepare(app, clock)
        demo = Demo(app, clock, lambda s: print(s, flush=True))
        if script is not None:
            await demo.run(script)
        elif sys.stdin.isatty():
            await _interactive(demo)
        else:
            await demo.run(sys.stdin.read().splitlines())
    finally:
        await app.close()
    return 0


async def _interactive(demo: object) -> None:
    from bot.demo import Demo

    assert isinstance(demo, Demo)
    print("CRM demo. /people lists who you can be, /as HANDLE switches, Ctrl-D quits.")
    while True:
        try:
            line = await asyncio.to_thread(input, f"{demo.acting}> ")
        except EOFError:
            print()
            return
        await demo.run([line])


def _drop_sqlite(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix):
        raise SystemExit("--reset only works on the SQLite demo database")
    path = Path(url[len(prefix) :])
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


async def _invite(settings: Settings, rules: Rules, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot import identity
    from crm.db import make_engine, make_sessionmaker
    from crm.enums import Role
    from crm.models import Customer, Staff
    from crm.services import invites, runtime

    if args.role and not args.name:
        print("crm-bot invite: --name is required with --role", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            manager_id = None
            if args.manager:
                manager_id = await session.scalar(
                    select(Staff.id).where(Staff.handle == args.manager.lstrip("@"))
                )
                if manager_id is None:
                    print(f"crm-bot invite: no staff with handle {args.manager}", file=sys.stderr)
                    return 2
            if args.customer is not None and await session.get(Customer, args.customer) is None:
                print(f"crm-bot invite: no customer with id {args.customer}", file=sys.stderr)
                return 2
            seen = None if settings.bot_username else await identity.last_seen(session)
            # A demo database keeps its own clock; an invite made for it lives on demo time.
            demo_now = await runtime.kv_get(session, "demo.clock")
            now = datetime.fromisoformat(demo_now) if demo_now else datetime.now(UTC)
            token = await invites.create(
                session,
                now=now,
                ttl_hours=rules.invites.ttl_hours,
                role=Role(args.role) if args.role else Role.CUSTOMER,
                name=args.name,
                manager_id=manager_id,
                customer_id=args.customer,
            )
    finally:
        await engine.dispose()
    username = settings.bot_username or (seen.username if seen else None)
    if username is None:
        print(f"token: {token} (valid {rules.invites.ttl_hours} h, once)")
        print(
            "crm-bot invite: the bot's username is not known yet: start the bot once "
            "(it asks Telegram) or set CRM_BOT_USERNAME; the link is "
            f"https://t.me/<bot username>?start={token}",
            file=sys.stderr,
        )
        return 0
    print(identity.link(username, token))
    print(f"token: {token} (valid {rules.invites.ttl_hours} h, once)")
    if seen is not None:
        print(
            f"(bot @{seen.username} as Telegram named it at the last start-up, "
            f"{seen.at:%Y-%m-%d %H:%M} UTC; CRM_BOT_USERNAME overrides it)",
            file=sys.stderr,
        )
    return 0


async def _export(
    settings: Settings, kind: str, fmt: str, *, raw: bool = False, lang: str | None = None
) -> tuple[bytes, int]:
    """The bytes of an export and its row count: raw (codes, the old column names) or in the
    readers' language (labels, typed and formatted cells, a summary sheet first)."""
    from crm.db import make_engine, make_sessionmaker
    from crm.export import KINDS, sheet, table
    from crm.export_files import to_csv, to_xlsx

    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            if raw:
                columns, rows = await table(session, kind, settings.tz)
            else:
                kinds = KINDS if kind == "all" else (kind,)
                sheets = [await sheet(session, k, settings.tz) for k in kinds]
    finally:
        await engine.dispose()
    if raw:
        data = to_csv(columns, rows) if fmt == "csv" else to_xlsx(columns, rows, kind)
        return data, len(rows)
    from datetime import datetime

    from bot.i18n import Renderer
    from bot.types import T
    from bot.views import export as view

    render = Renderer(lang or settings.locale, settings.tz, html=False)
    count = sum(len(s.rows) for s in sheets)
    if fmt == "csv":
        return view.csv(sheets[0], render), count
    now = datetime.now(settings.tz).replace(tzinfo=None, microsecond=0)
    by = T("the command line (crm-bot export)")
    return view.book(sheets, render, by=by, at=now, filters=[], zone=settings.timezone), count


if __name__ == "__main__":
    raise SystemExit(main())
