"""`crm-bot export`: in the reader's language (labels, typed and formatted cells, a summary sheet,
a sheet per kind) and `--raw` for machines (the old column names and codes)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.app import App
from bot.cli import _export
from crm.enums import Stage
from crm.export_book import text_width
from crm.models import Customer, Visit
from tests.conftest import Transcript


@pytest.mark.parametrize("kind", ["customers", "visits", "followups", "tickets"])
async def test_raw_csv_and_xlsx(app: App, chat: Transcript, kind: str) -> None:
    data, count = await _export(app.settings, kind, "csv", raw=True)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "id" and len(rows) == count + 1
    assert count > 0
    xdata, xcount = await _export(app.settings, kind, "xlsx", raw=True)
    ws = load_workbook(io.BytesIO(xdata)).active
    assert ws.max_row == xcount + 1 == count + 1
    assert [c.value for c in ws[1]] == rows[0]


async def test_raw_keeps_codes_and_local_times(app: App, chat: Transcript) -> None:
    data, count = await _export(app.settings, "customers", "csv", raw=True)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert count == 30
    hn = next(r for r in rows if r["name"] == "华能电厂")
    assert hn["owner"] == "张伟" and hn["class"] == "A" and hn["kind"] == "company"
    assert hn["phone"].startswith("+86") and hn["source"] in {"", *_codes("source", rows)}
    # Claim expiry of the demo is relative to 2026-12-01 09:00 Shanghai time, in local time.
    assert hn["claim_expires"][:4] == "2026" and len(hn["claim_expires"]) == 16
    data, _n = await _export(app.settings, "tickets", "csv", raw=True)
    tickets = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {t["kind"] for t in tickets} <= {
        "inquiry",
        "complaint",
        "fault",
        "suggestion",
        "service",
        "praise",
    }


def _codes(key: str, rows: list[dict[str, str]]) -> set[str]:
    return {r[key] for r in rows}


def _sheet(data: bytes, name: str):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(data))[name]


def _column(ws, header: str) -> list:  # type: ignore[no-untyped-def]
    heads = [c.value for c in ws[1]]
    i = heads.index(header)
    return [row[i] for row in ws.iter_rows(min_row=2)]


async def test_full_export_in_chinese(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(update(Visit).values(distance_m=292.6069426196603))
    data, count = await _export(app.settings, "all", "xlsx", lang="zh_CN")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [
        "概要",
        "客户",
        "联系人",
        "拜访记录",
        "跟进记录",
        "工单",
        "商机",
        "合同",
        "分期款项",
        "收款",
    ]
    summary = {r[0].value: r[1].value for r in wb["概要"].iter_rows(min_row=3) if r[0].value}
    assert summary["导出人"] == "命令行（crm-bot export）" and summary["时区"] == "Asia/Shanghai"
    assert isinstance(summary["导出时间"], datetime) and summary["筛选条件"] == "无"
    assert summary["客户"] == 30 == wb["客户"].max_row - 1
    assert summary["拜访记录"] == wb["拜访记录"].max_row - 1 > 0
    assert count == sum(wb[n].max_row - 1 for n in wb.sheetnames[1:])

    for sheet in wb.worksheets[1:]:  # a filter's header names one column
        heads = [c.value for c in sheet[1]]
        assert len(set(heads)) == len(heads), sheet.title
    ws = wb["客户"]
    heads = [c.value for c in ws[1]]
    assert heads[:4] == ["编号", "外部编号", "名称", "客户等级"] and "负责人" in heads
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{_last(ws)}{ws.max_row}"
    # Labels, not codes: the customer's kind, the stage, yes/no.
    assert {c.value for c in _column(ws, "单位或个人")} <= {"单位", "个人"}
    stages = {c.value for c in _column(ws, "阶段")}
    assert stages and not stages & {str(s) for s in Stage}
    assert {c.value for c in _column(ws, "VIP")} <= {"是", "否"}
    money = _column(ws, "年采购额")
    assert all(c.number_format == "#,##0.00" and isinstance(c.value, int | float) for c in money)
    assert 1_200_000 in {c.value for c in money}
    # Fitted widths: a Chinese name counts double.
    names = [c.value for c in _column(ws, "名称")]
    assert ws.column_dimensions["C"].width >= max(text_width(n) for n in names) + 2

    visits = wb["拜访记录"]
    when = _column(visits, "拜访时间")
    assert all(
        isinstance(c.value, datetime) and c.number_format.startswith("yyyy-mm-dd") for c in when
    )
    kinds = {c.value for c in _column(visits, "拜访方式")}
    assert kinds and kinds <= {"上门拜访", "电话沟通", "线上会议", "消息（微信、邮件…）", "其他"}
    metres = _column(visits, "距地址距离（米）")
    assert {c.value for c in metres} == {293} and metres[0].number_format == "#,##0"
    tickets = wb["工单"]
    assert {c.value for c in _column(tickets, "工单类型")} <= {
        "咨询",
        "投诉",
        "建议",
        "故障报修",
        "业务办理",
        "表扬",
    }
    assert {c.value for c in _column(tickets, "状态")} <= {"已受理", "处理中", "已解决", "已关闭"}


def _last(ws) -> str:  # type: ignore[no-untyped-def]
    from openpyxl.utils import get_column_letter

    return get_column_letter(ws.max_column)


async def test_export_in_english(app: App, chat: Transcript) -> None:
    data, _n = await _export(app.settings, "customers", "xlsx", lang="en")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Summary", "Customers"]
    ws = wb["Customers"]
    assert [c.value for c in ws[1]][:4] == ["ID", "External ID", "Name", "Class"]
    assert {c.value for c in _column(ws, "Company or person")} <= {"company", "person"}
    assert isinstance(_column(ws, "Created at")[0].value, datetime)


async def test_csv_has_a_bom_and_labels(app: App, chat: Transcript) -> None:
    data, count = await _export(app.settings, "visits", "csv", lang="zh_CN")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == count > 0
    assert {r["拜访方式"] for r in rows} <= {
        "上门拜访",
        "电话沟通",
        "线上会议",
        "消息（微信、邮件…）",
        "其他",
    }
    assert "onsite" not in {r["拜访方式"] for r in rows}
    assert len(rows[0]["拜访时间"]) == 16  # 2026-12-01 09:00, local


async def test_a_formula_looking_name_stays_text(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        c = await s.scalar(select(Customer).where(Customer.name == "华能电厂"))
        assert c is not None
        c.name, c.notes = '=HYPERLINK("http://x.example","点我")', "@SUM(A1)"
    data, _n = await _export(app.settings, "customers", "xlsx", lang="en")
    ws = _sheet(data, "Customers")
    cell = next(c for c in _column(ws, "Name") if "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and cell.value.startswith("'=")
    note = next(c for c in _column(ws, "Notes") if c.value and "SUM" in c.value)
    assert note.value == "'@SUM(A1)"
    raw, _n = await _export(app.settings, "customers", "csv", lang="en")
    assert "'=HYPERLINK" in raw.decode("utf-8-sig")


def test_cli_migrate_and_export_to_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert main(["migrate", "--db", db]) == 0
    out = tmp_path / "tickets.xlsx"
    assert main(["export", "tickets", "--format", "xlsx", "--out", str(out), "--db", db]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["概要", "工单"] and wb["工单"].max_row == 1  # header only
    raw = tmp_path / "raw.xlsx"
    assert (
        main(["export", "tickets", "--raw", "--format", "xlsx", "--out", str(raw), "--db", db]) == 0
    )
    assert [c.value for c in load_workbook(raw).active[1]][:3] == ["id", "number", "kind"]
    assert main(["export", "visits", "--format", "xlsx", "--db", db]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["export", "all", "--db", db]) == 2  # a full export is a workbook
    assert "xlsx" in capsys.readouterr().err
    full = tmp_path / "all.xlsx"
    assert (
        main(["export", "all", "--format", "xlsx", "--lang", "ru", "--out", str(full), "--db", db])
        == 0
    )
    assert load_workbook(full).sheetnames[:3] == ["Сводка", "Клиенты", "Контакты"]


def test_dates_are_date_cells() -> None:
    from crm.export import DATE, MONEY
    from crm.export_book import Page, workbook

    data = workbook(
        "t", [], [Page("p", ["d", "m"], [DATE, MONEY], [[date(2027, 1, 31), None]])], "s"
    )
    cell = _sheet(data, "p")["A2"]
    assert cell.is_date and cell.number_format == "yyyy-mm-dd"
