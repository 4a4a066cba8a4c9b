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
import unicodedata
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
# 8 x 6.4 inches at 100 dpi: 800 x 640 pixels, legible on a phone, about 40-60 KB; taller when
# a panel of horizontal bars needs it (bars_inches: 30 reps make about 800 x 1240).
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
    """The chart's words, translated by the caller; the titles carry the period."""

    bars_title: str
    trend_title: str
    visits: str  # the visits axis of both panels
    plan: str  # the legend entry of the plan markers
    no_reps: str  # shown in place of bars when the team has no reps
    reps: str = ""  # the reps' axis
    days: str = ""  # the trend's days axis
    no_visits: str = ""  # shown in place of bars when no rep has a visit or a plan


@dataclass(frozen=True)
class ReportTexts:
    """The report chart's words, translated by the caller; the titles carry the period."""

    bars_title: str
    kinds_title: str
    visits: str
    plan: str
    requests: str  # the x axis of the requests panel
    no_reps: str
    no_requests: str  # shown in place of bars when no request came in
    reps: str = ""
    kinds: str = ""  # the requests panel's kinds axis
    no_visits: str = ""


# A rep's name on the axis: at most this many columns (a Chinese character takes two).
NAME_COLUMNS = 16
# Inches per bar of a horizontal bar panel, and around it (title, axis label, ticks).
BAR_INCHES = 0.28
PANEL_INCHES = 1.3


def _columns(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def short(name: str, columns: int = NAME_COLUMNS) -> str:
    """A name cut to `columns` display columns, with an ellipsis when cut."""
    if sum(_columns(ch) for ch in name) <= columns:
        return name
    out, used = [], 0
    for ch in name:
        if used + _columns(ch) > columns - 1:
            break
        out.append(ch)
        used += _columns(ch)
    return "".join(out) + "…"


def bars_inches(n: int) -> float:
    """The height of a horizontal bar panel of `n` bars: it grows with the count, so 30 reps'
    names stay legible instead of squeezing into a fixed figure."""
    return max(n, 3) * BAR_INCHES + PANEL_INCHES


def _empty(ax: Axes, text: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        fontproperties=cjk_font(10),
        transform=ax.transAxes,
    )


def _rep_bars(
    ax: Axes,
    reps: Sequence[tuple[str, int, float | None]],
    heading: str,
    texts: SummaryTexts | ReportTexts,
) -> None:
    """Visits per rep as horizontal bars, the most on top, the plan as a marker where set and
    each bar's figure at its end ("12" or "12 / 20" against a plan)."""
    font, small = cjk_font(10), cjk_font(9)
    ax.set_title(heading, fontproperties=cjk_font(12))
    if not reps:
        _empty(ax, texts.no_reps)
        return
    if texts.no_visits and not any(n or plan for _name, n, plan in reps):
        _empty(ax, texts.no_visits)  # a row of zero-length bars says less than a sentence
        return
    ordered = sorted(reps, key=lambda r: (-r[1], r[0]))
    ys = list(range(len(ordered)))[::-1]  # the first on top
    done = [n for _name, n, _plan in ordered]
    bars = ax.barh(ys, done, color=BAR_COLOUR, height=0.6)
    figures = [f"{n}" if not plan else f"{n} / {round(plan, 1):g}" for _name, n, plan in ordered]
    # On a white ground: a plan's marker near the bar's end does not cross the figure.
    ax.bar_label(
        bars,
        labels=figures,
        fontproperties=small,
        padding=3,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
        zorder=4,
    )
    ax.set_yticks(ys, [short(name) for name, _n, _plan in ordered])
    planned = [(y, plan) for y, (_name, _n, plan) in zip(ys, ordered, strict=True) if plan]
    if planned:
        ax.scatter(
            [p for _, p in planned],
            [y for y, _ in planned],
            marker="|",
            s=220,
            linewidths=2.5,
            color=PLAN_COLOUR,
            label=texts.plan,
            zorder=2.5,  # over the bars, under the figures
        )
        ax.legend(prop=small, loc="lower right")
    highest = max([*done, *(p for _, p in planned), 1])
    ax.set_xlim(0, highest * 1.3)  # room for the figures at the bars' ends
    _rows(ax, len(ordered))
    ax.set_xlabel(texts.visits, fontproperties=font)
    if texts.reps:
        ax.set_ylabel(texts.reps, fontproperties=font)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", alpha=0.3)


def _rows(ax: Axes, n: int) -> None:
    """Room for at least four bars, the bars in the middle: two bars are not drawn fat."""
    pad = (max(n, 4) - n) / 2
    ax.set_ylim(-0.6 - pad, n - 0.4 + pad)


def _figure(*heights: float) -> tuple[Figure, list[Axes]]:
    """A figure SIZE_INCHES wide, as tall as its panels need (at least SIZE_INCHES)."""
    total = max(SIZE_INCHES[1], sum(heights))
    fig = Figure(figsize=(SIZE_INCHES[0], total), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(heights), 1, gridspec_kw={"height_ratios": list(heights)})
    return fig, list(axes)


def _tidy(*axes: Axes) -> None:
    small = cjk_font(9)
    for ax in axes:
        for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
            label.set_fontproperties(small)
        ax.spines[["top", "right"]].set_visible(False)


def summary_figure(
    reps: Sequence[tuple[str, int, float | None]],
    trend: Sequence[tuple[str, int]],
    texts: SummaryTexts,
) -> Figure:
    """Two panels: visits per rep (bars, with the plan as a marker where set) and visits per
    day (a line with each day's figure). `reps` is (name, visits, plan or None); `trend` is
    (day label, visits)."""
    font, small = cjk_font(10), cjk_font(9)
    fig, (top, bottom) = _figure(bars_inches(len(reps)), 2.8)
    _rep_bars(top, reps, texts.bars_title, texts)

    bottom.set_title(texts.trend_title, fontproperties=cjk_font(12))
    bottom.set_ylabel(texts.visits, fontproperties=font)
    if texts.days:
        bottom.set_xlabel(texts.days, fontproperties=font)
    days = list(range(len(trend)))
    counts = [n for _label, n in trend]
    bottom.plot(days, counts, marker="o", color=LINE_COLOUR, linewidth=2)
    bottom.fill_between(days, counts, color=LINE_COLOUR, alpha=0.15)
    for x, n in zip(days, counts, strict=True):
        if n:
            bottom.annotate(
                str(n),
                (x, n),
                textcoords="offset points",
                xytext=(0, 5),
                ha="center",
                fontproperties=small,
            )
    bottom.set_xticks(days, [label for label, _n in trend])
    bottom.set_ylim(0, max([*counts, 1]) * 1.3)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    bottom.grid(axis="y", alpha=0.3)
    _tidy(top, bottom)
    return fig


def report_figure(
    reps: Sequence[tuple[str, int, float | None]],
    kinds: Sequence[tuple[str, int]],
    texts: ReportTexts,
) -> Figure:
    """Two panels: visits per rep against plan, and the period's requests by kind (horizontal
    bars, the most frequent on top). `kinds` is (translated kind, requests)."""
    font, small = cjk_font(10), cjk_font(9)
    fig, (top, bottom) = _figure(bars_inches(len(reps)), bars_inches(len(kinds)))
    _rep_bars(top, reps, texts.bars_title, texts)

    bottom.set_title(texts.kinds_title, fontproperties=cjk_font(12))
    if kinds:
        ordered = sorted(kinds, key=lambda k: (-k[1], k[0]))
        ys = list(range(len(ordered)))[::-1]
        bars = bottom.barh(ys, [n for _k, n in ordered], color=LINE_COLOUR, height=0.6)
        bottom.bar_label(bars, fontproperties=small, padding=3)
        bottom.set_yticks(ys, [short(k) for k, _n in ordered])
        bottom.set_xlim(0, max(n for _k, n in ordered) * 1.25)
        _rows(bottom, len(ordered))
        bottom.set_xlabel(texts.requests, fontproperties=font)
        if texts.kinds:
            bottom.set_ylabel(texts.kinds, fontproperties=font)
        bottom.xaxis.get_major_locator().set_params(integer=True)
        bottom.grid(axis="x", alpha=0.3)
    else:
        _empty(bottom, texts.no_requests)
    _tidy(top, bottom)
    return fig


def report_chart(
    reps: Sequence[tuple[str, int, float | None]],
    kinds: Sequence[tuple[str, int]],
    texts: ReportTexts,
) -> bytes | None:
    """`report_figure` as PNG bytes; None without a CJK font, or with nothing to draw (no
    visit and no request: the caller says so in words)."""
    if not any(n for _name, n, _plan in reps) and not any(n for _k, n in kinds):
        return None
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
    """`summary_figure` as PNG bytes; None without a CJK font, or with nothing to draw (no
    visit in the period nor in the trend: the caller says so in words)."""
    if not any(n for _name, n, _plan in reps) and not any(n for _d, n in trend):
        return None
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
