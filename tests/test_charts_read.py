"""Charts that read well: a title with the period, axis labels and figures on the bars; a team
of 30 stays legible (horizontal bars, sorted, a taller figure, long names cut); an empty chart
is not sent, a line says why."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from matplotlib.text import Text as MplText
from PIL import Image
from sqlalchemy import delete

from bot import charts
from bot.app import App
from bot.channels.console import plain
from bot.i18n import Renderer
from bot.types import T, Text
from bot.views import digest as view
from crm.models import Ticket, Visit
from crm.services import digest as svc
from tests.conftest import Transcript

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ZH = Renderer("zh_CN", SHANGHAI)
TEXTS = charts.SummaryTexts(
    "每位销售的拜访 · 11月30日 – 12月6日",
    "每日拜访，近14天（11/23 – 12/6）",
    "拜访",
    "计划",
    "暂无销售",
    reps="销售",
    days="日期",
)
LONG = "Aleksandra Konstantinovna Rozhdestvenskaya"


def zh(text: Text) -> str:
    return plain(_ZH(text))


def _team(n: int) -> list[tuple[str, int, float | None]]:
    names = [f"销售{i:02d}号" for i in range(n - 1)] + [LONG]
    return [(name, (i * 7) % 23, 12.0 if i % 3 == 0 else None) for i, name in enumerate(names)]


def _ink(data: bytes) -> tuple[tuple[int, int], float]:
    """The PNG's size and the share of its pixels that are not (nearly) white."""
    assert data.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(data)) as img:
        grey = img.convert("L")
        inked = sum(grey.histogram()[:240])
        return img.size, inked / (img.size[0] * img.size[1])


def test_thirty_reps_are_sorted_horizontal_bars_in_a_taller_figure() -> None:
    reps = _team(30)
    trend = [(f"11/{d}", d % 5) for d in range(23, 31)] + [(f"12/{d}", d) for d in range(1, 7)]
    fig = charts.summary_figure(reps, trend, TEXTS)
    top, bottom = fig.axes[:2]
    # The most visits on top, every rep one tick, a long name cut with an ellipsis.
    names = [t.get_text() for t in top.get_yticklabels()]
    by_name = {charts.short(n): v for n, v, _p in reps}
    assert len(names) == 30 and [by_name[n] for n in names] == sorted(
        by_name.values(), reverse=True
    )
    assert charts.short(LONG) in names and charts.short(LONG).endswith("…")
    assert charts.short("张伟") == "张伟" and len(charts.short("很长很长很长很长很长的名字")) == 8
    # Title with the period, both axes labelled, each bar's figure (against the plan where set).
    assert top.get_title() == TEXTS.bars_title and bottom.get_title() == TEXTS.trend_title
    assert (top.get_xlabel(), top.get_ylabel()) == ("拜访", "销售")
    assert (bottom.get_xlabel(), bottom.get_ylabel()) == ("日期", "拜访")
    drawn = {t.get_text() for t in fig.findobj(MplText) if t.get_visible()}
    assert "0 / 12" in drawn and "19" in drawn and "6" in drawn  # bars and the trend's points
    data = charts.png(fig)
    (width, height), ink = _ink(data)
    # 800 wide, about 12 inches tall: a bar a rep, not squeezed into the usual 640 pixels.
    assert width == 800 and 1150 <= height <= 1350
    assert 0.04 < ink < 0.5 and len(data) < 250_000


def test_a_small_team_keeps_the_usual_size_and_is_not_blank() -> None:
    data = charts.summary_chart([("张伟", 3, 2.5), ("Lucy Chen", 1, None)], [("12/1", 4)], TEXTS)
    assert data is not None
    size, ink = _ink(data)
    assert size == (800, 640) and ink > 0.03


def test_report_chart_sorts_kinds_and_labels_axes() -> None:
    texts = charts.ReportTexts(
        "拜访 · 12月", "工单类型 · 12月", "拜访", "计划", "工单", "无", "无工单", "销售", "类型"
    )
    fig = charts.report_figure(
        [("张伟", 2, None)], [("咨询", 1), ("投诉", 5), ("故障报修", 3)], texts
    )
    bottom = fig.axes[1]
    assert [t.get_text() for t in bottom.get_yticklabels()] == ["投诉", "故障报修", "咨询"]
    assert (bottom.get_xlabel(), bottom.get_ylabel()) == ("工单", "类型")
    assert charts.report_chart([("张伟", 0, None)], [], texts) is None


def test_no_visit_in_the_period_is_a_sentence_not_zero_bars() -> None:
    texts = charts.SummaryTexts(
        "拜访 · 12月1日", "每日拜访", "拜访", "计划", "暂无销售", no_visits="12月1日没有拜访。"
    )
    fig = charts.summary_figure([("张伟", 0, None), ("Lucy Chen", 0, None)], [("11/30", 2)], texts)
    top = fig.axes[0]
    assert [t.get_text() for t in top.texts] == ["12月1日没有拜访。"] and not top.patches
    # With a plan, zero bars say something: 0 of the plan.
    fig = charts.summary_figure([("张伟", 0, 3.0)], [("11/30", 2)], texts)
    assert "0 / 3" in {t.get_text() for t in fig.axes[0].texts}


def test_nothing_to_draw_gives_no_chart() -> None:
    assert charts.summary_chart([("张伟", 0, 3.0)], [("12/1", 0), ("12/2", 0)], TEXTS) is None
    assert charts.summary_chart([], [], TEXTS) is None


async def test_an_empty_week_is_said_not_charted(app: App, chat: Transcript) -> None:
    async with app.sessions() as s, s.begin():
        await s.execute(delete(Visit))
        await s.execute(delete(Ticket))
    out = await chat("/as manager", "/summary week")
    week = svc.period_of(svc.WEEK, app.clock.now().astimezone(SHANGHAI).date(), SHANGHAI)
    assert "[photo" not in out and zh(view.no_chart(week)) in out
    assert "没有拜访" in zh(view.no_chart(week))
    out = await chat("/report", f"[{zh(T('This week'))}]")
    assert "[photo" not in out and "所以没有图表" in out
    # With a visit, the chart is back.
    out = await chat("/as rep1", "拜访华能电厂，见了张工，谈变压器报价", "[保存]")
    out = await chat("/as manager", "/summary week")
    assert "[to manager] [photo]" in out and zh(view.no_chart(week)) not in out
