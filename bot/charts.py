"""Charts as PNG bytes (matplotlib, Agg), for the managers' summaries.

No pyplot: each chart is its own `Figure` on its own Agg canvas, so nothing is left in
matplotlib's global state and charts may be drawn concurrently. Every text is drawn with a CJK
font found through matplotlib's font manager and passed explicitly (rcParams are not touched):
Chinese names drawn with matplotlib's default font come out as empty boxes. The texts arrive
already translated; this module knows no gettext.

A system CJK font is preferred; without one, the subset of WenQuanYi Micro Hei the project carries
(bot/fonts/, made by tools/make_cjk_font.py: GB2312, Big5's common characters, Latin, Cyrillic) is
registered with matplotlib when this module is imported and used instead, so a fresh machine draws
charts with nothing installed. Without any CJK font (the bundled file removed) a chart is not drawn
(`summary_chart` and `report_chart` give None, logged once per process): the manager still gets
the figures as text, rather than an error for a machine's missing package.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import structlog
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

# The project's own font: a subset, so a full system font (all of Unicode's Han) comes first.
BUNDLED_FONT = Path(__file__).with_name("fonts") / "wqy-microhei-subset.ttf"
BUNDLED_FAMILY = "WenQuanYi Micro Hei Subset"
# Font families with Chinese glyphs, most preferred first; the bundled subset is the last resort.
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    BUNDLED_FAMILY,
)
INSTALL_HINT = (
    f"No font with Chinese characters was found for charts ({BUNDLED_FONT} is missing too). "
    "Install one, e.g. "
    "`apt-get install fonts-wqy-microhei` (or fonts-noto-cjk), then remove matplotlib's font "
    "cache (~/.cache/matplotlib) so it is found."
)
# 8 x 6.4 inches at 100 dpi: 800 x 640 pixels, legible on a phone, about 40-60 KB.
SIZE_INCHES = (8.0, 6.4)
DPI = 100
BAR_COLOUR = "#4C72B0"
PLAN_COLOUR = "#DD8452"
LINE_COLOUR = "#55A868"

log = structlog.get_logger("charts")


def register_bundled_font() -> bool:
    """Make the bundled subset known to matplotlib's font manager (once; False if it is absent).

    `addfont` only adds an entry to the manager's list, not to its cache file, so this is done
    at every start-up and costs a few milliseconds.
    """
    if not BUNDLED_FONT.is_file():
        return False
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    if str(BUNDLED_FONT) not in known:
        font_manager.fontManager.addfont(str(BUNDLED_FONT))
    return True


register_bundled_font()


class FontMissing(RuntimeError):
    """No CJK font is installed; the message names the package to install."""


@cache
def cjk_font_path() -> str:
    """The file of the first installed CJK family in `CJK_FAMILIES`."""
    for family in CJK_FAMILIES:
        try:
            return str(
                font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
            )
        except ValueError:
            continue
    raise FontMissing(INSTALL_HINT)


def cjk_font(size: float | None = None) -> FontProperties:
    return FontProperties(fname=cjk_font_path(), size=size)


@dataclass(frozen=True)
class SummaryTexts:
    """The chart's words, translated by the caller."""

    bars_title: str
    trend_title: str
    visits: str  # the y axis of both panels
    plan: str  # the legend entry of the plan markers
    no_reps: str  # shown in place of bars when the team has no reps


def _rep_bars(
    top: Axes,
    reps: Sequence[tuple[str, int, float | None]],
    heading: str,
    texts: SummaryTexts | ReportTexts,
) -> None:
    """Visits per rep as bars, the plan as a marker where set (the summary's and the report's)."""
    font, small, title = cjk_font(10), cjk_font(9), cjk_font(12)
    top.set_title(heading, fontproperties=title)
    top.set_ylabel(texts.visits, fontproperties=font)
    if reps:
        xs = list(range(len(reps)))
        done = [n for _name, n, _plan in reps]
        bars = top.bar(xs, done, color=BAR_COLOUR, width=0.6)
        top.bar_label(bars, fontproperties=small, padding=2)
        # Many names side by side overlap: slant them.
        slant = 30 if len(reps) > 5 else 0
        top.set_xticks(xs, [name for name, _n, _plan in reps], rotation=slant)
        planned = [(x, plan) for x, (_name, _n, plan) in zip(xs, reps, strict=True) if plan]
        if planned:
            top.scatter(
                [x for x, _ in planned],
                [p for _, p in planned],
                marker="_",
                s=900,
                linewidths=2.5,
                color=PLAN_COLOUR,
                label=texts.plan,
                zorder=3,
            )
            top.legend(prop=small, loc="upper right")
        highest = max([*done, *(p for _, p in planned), 1])
        top.set_ylim(0, highest * 1.25)
    else:
        top.set_xticks([])
        top.text(
            0.5,
            0.5,
            texts.no_reps,
            ha="center",
            va="center",
            fontproperties=font,
            transform=top.transAxes,
        )
    top.yaxis.get_major_locator().set_params(integer=True)


def summary_figure(
    reps: Sequence[tuple[str, int, float | None]],
    trend: Sequence[tuple[str, int]],
    texts: SummaryTexts,
) -> Figure:
    """Two panels: visits per rep (bars, with the plan as a marker where set) and visits per
    day (a line). `reps` is (name, visits, plan or None); `trend` is (day label, visits)."""
    font, small, title = cjk_font(10), cjk_font(9), cjk_font(12)
    fig = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1)

    _rep_bars(top, reps, texts.bars_title, texts)

    bottom.set_title(texts.trend_title, fontproperties=title)
    bottom.set_ylabel(texts.visits, fontproperties=font)
    days = list(range(len(trend)))
    counts = [n for _label, n in trend]
    bottom.plot(days, counts, marker="o", color=LINE_COLOUR, linewidth=2)
    bottom.fill_between(days, counts, color=LINE_COLOUR, alpha=0.15)
    bottom.set_xticks(days, [label for label, _n in trend])
    bottom.set_ylim(0, max([*counts, 1]) * 1.25)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    bottom.grid(axis="y", alpha=0.3)

    for ax in (top, bottom):
        for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
            label.set_fontproperties(small)
        ax.spines[["top", "right"]].set_visible(False)
    return fig


@dataclass(frozen=True)
class ReportTexts:
    """The report chart's words, translated by the caller."""

    bars_title: str
    kinds_title: str
    visits: str
    plan: str
    requests: str  # the x axis of the requests panel
    no_reps: str
    no_requests: str  # shown in place of bars when no request came in


def report_figure(
    reps: Sequence[tuple[str, int, float | None]],
    kinds: Sequence[tuple[str, int]],
    texts: ReportTexts,
) -> Figure:
    """Two panels: visits per rep against plan, and the period's requests by kind (horizontal
    bars, the most frequent on top). `kinds` is (translated kind, requests)."""
    font, small, title = cjk_font(10), cjk_font(9), cjk_font(12)
    fig = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1)
    _rep_bars(top, reps, texts.bars_title, texts)

    bottom.set_title(texts.kinds_title, fontproperties=title)
    if kinds:
        ys = list(range(len(kinds)))[::-1]
        bars = bottom.barh(ys, [n for _k, n in kinds], color=LINE_COLOUR, height=0.6)
        bottom.bar_label(bars, fontproperties=small, padding=2)
        bottom.set_yticks(ys, [k for k, _n in kinds])
        bottom.set_xlim(0, max(n for _k, n in kinds) * 1.2)
        bottom.set_xlabel(texts.requests, fontproperties=font)
        bottom.xaxis.get_major_locator().set_params(integer=True)
    else:
        bottom.set_yticks([])
        bottom.set_xticks([])
        bottom.text(
            0.5,
            0.5,
            texts.no_requests,
            ha="center",
            va="center",
            fontproperties=font,
            transform=bottom.transAxes,
        )
    for ax in (top, bottom):
        for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
            label.set_fontproperties(small)
        ax.spines[["top", "right"]].set_visible(False)
    return fig


def report_chart(
    reps: Sequence[tuple[str, int, float | None]],
    kinds: Sequence[tuple[str, int]],
    texts: ReportTexts,
) -> bytes | None:
    """`report_figure` as PNG bytes; None without a CJK font."""
    return _drawn(lambda: report_figure(reps, kinds, texts))


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # No "Software" entry: the bytes depend on the drawing only.
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def summary_chart(
    reps: Sequence[tuple[str, int, float | None]],
    trend: Sequence[tuple[str, int]],
    texts: SummaryTexts,
) -> bytes | None:
    """`summary_figure` as PNG bytes; None without a CJK font."""
    return _drawn(lambda: summary_figure(reps, trend, texts))


def _drawn(figure: Callable[[], Figure]) -> bytes | None:
    try:
        return png(figure())
    except FontMissing:
        _font_missing_logged()
        return None


@cache
def _font_missing_logged() -> None:
    log.warning("chart_not_drawn", reason="no CJK font", hint=INSTALL_HINT)
