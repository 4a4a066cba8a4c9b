"""A failing update's log carries no phone number in any format, no e-mail address and no SQL
parameters: the texts go through a path that fails, and the JSON log is searched."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from bot import logging as logs
from bot.app import App
from crm.db import make_engine
from crm.enums import Role
from tests.conftest import Transcript
from tests.security.helpers import send, unthrottle, user_id

PHONES = ["139 1234 5678", "+86 139-1234-5678", "010-62345678", "8613912345678", "13912345678"]
EMAIL = "zhang.wei@example.com"


def _leaks(err: str) -> list[str]:
    digits = re.sub(r"\D", "", err)
    found = [p for p in PHONES if p in err]
    found += [d for d in ("13912345678", "62345678") if d in digits]
    return found + ([EMAIL] if EMAIL in err else [])


async def test_a_failing_update_logs_no_phone_or_email(
    app: App, chat: Transcript, capsys: pytest.CaptureFixture[str]
) -> None:
    unthrottle(app)
    logs.setup("INFO", json=True, region="CN")

    async def broken(ctx):  # type: ignore[no-untyped-def]
        # A failure whose message quotes what the user typed (as a driver error would).
        raise ValueError(f"cannot store {ctx.inbound.text!r}")

    app.engine._router.fallback = {**app.engine._router.fallback, Role.CUSTOMER: broken}
    uid = await user_id(app, "customer1")
    capsys.readouterr()
    for phone in PHONES:
        await send(app, uid, text=f"请联系我 {phone} 或 {EMAIL}")
    err = capsys.readouterr().err
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert sum(e["event"] == "update_failed" for e in events) == len(PHONES)
    assert _leaks(err) == []


async def test_a_failing_statement_logs_no_parameters(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    logs.setup("INFO", json=True, region="CN")
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
            await conn.execute(text("INSERT INTO t VALUES (1, 'x')"))
        capsys.readouterr()
        for phone in PHONES:
            try:
                async with engine.begin() as conn:
                    body = f"地址幸福路88号 {phone} {EMAIL}"
                    await conn.execute(text("INSERT INTO t VALUES (1, :b)"), {"b": body})
            except Exception:  # noqa: BLE001
                logs.structlog.get_logger("t").exception("update_failed")
    finally:
        await engine.dispose()
    err = capsys.readouterr().err
    assert err.count("update_failed") == len(PHONES) and "UNIQUE" in err
    assert "幸福路" not in err  # the parameters are not shown at all
    assert _leaks(err) == []
