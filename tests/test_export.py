"""`crm-bot export`: every kind, CSV and XLSX, times in local time."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import App
from bot.cli import _export
from tests.conftest import Transcript


@pytest.mark.parametrize("kind", ["customers", "visits", "followups", "tickets"])
async def test_export_csv_and_xlsx(app: App, chat: Transcript, kind: str, tmp_path: Path) -> None:
    data, count = await _export(app.settings, kind, "csv")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "id" and len(rows) == count + 1
    assert count > 0
    xdata, xcount = await _export(app.settings, kind, "xlsx")
    (tmp_path / "x.xlsx").write_bytes(xdata)
    ws = load_workbook(tmp_path / "x.xlsx").active
    assert ws.max_row == xcount + 1 == count + 1
    assert [c.value for c in ws[1]] == rows[0]


async def test_customer_export_has_local_times_and_owner(app: App, chat: Transcript) -> None:
    data, count = await _export(app.settings, "customers", "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert count == 30
    hn = next(r for r in rows if r["name"] == "华能电厂")
    assert hn["owner"] == "张伟" and hn["class"] == "A"
    assert hn["phone"].startswith("+86")
    # Claim expiry of the demo is relative to 2026-12-01 09:00 Shanghai time, in local time.
    assert hn["claim_expires"][:4] == "2026" and len(hn["claim_expires"]) == 16


def test_cli_migrate_and_export_to_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert main(["migrate", "--db", db]) == 0
    out = tmp_path / "tickets.xlsx"
    assert main(["export", "tickets", "--format", "xlsx", "--out", str(out), "--db", db]) == 0
    assert load_workbook(out).active.max_row == 1  # header only: a fresh database
    assert main(["export", "visits", "--format", "xlsx", "--db", db]) == 2
    assert "--out" in capsys.readouterr().err
