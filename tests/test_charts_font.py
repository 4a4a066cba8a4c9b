"""The CJK font the project carries: registered with matplotlib, drawn when nothing better is
installed, and covering every letter the catalogs and the demo company use."""

from __future__ import annotations

import unicodedata
import warnings
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text as MplText

from bot import charts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def only_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without a system CJK font: only the bundled family is looked for."""
    charts.cjk_font_path.cache_clear()
    monkeypatch.setattr(charts, "CJK_FAMILIES", (charts.BUNDLED_FAMILY,))
    yield
    charts.cjk_font_path.cache_clear()


def test_the_bundled_font_is_registered_under_its_own_family() -> None:
    assert charts.register_bundled_font() is True
    found = font_manager.findfont(
        FontProperties(family=charts.BUNDLED_FAMILY), fallback_to_default=False
    )
    assert Path(found) == charts.BUNDLED_FONT
    # A second registration adds nothing: start-up may run more than once in a process.
    before = len(font_manager.fontManager.ttflist)
    charts.register_bundled_font()
    assert len(font_manager.fontManager.ttflist) == before
    # Its licence travels with it.
    licence = (charts.BUNDLED_FONT.parent / "LICENSE.wqy-microhei").read_text(encoding="utf-8")
    assert "Apache License" in licence and "WenQuanYi" in licence


def test_a_chart_is_drawn_with_the_bundled_font_when_no_system_font_is_there(
    only_bundled: None,
) -> None:
    texts = charts.SummaryTexts("拜访次数 · 12月1日", "近14天每日拜访", "拜访", "计划", "暂无")
    reps = [("张伟", 3, 2.5), ("陳志豪", 1, None), ("Лукина", 2, 1.0), ("Lucy Chen", 0, None)]
    fig = charts.summary_figure(reps, [("12/1", 2), ("12/2", 0)], texts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font warns: there must be none
        data = charts.png(fig)
    assert data.startswith(b"\x89PNG")
    shown = [t for t in fig.findobj(MplText) if t.get_text() and t.get_visible()]
    assert {"张伟", "陳志豪", "Лукина"} <= {t.get_text() for t in shown}
    drawn = {t.get_fontproperties().get_file() for t in shown}
    assert drawn == {str(charts.BUNDLED_FONT)}


def test_without_the_bundled_file_and_a_system_font_charts_give_none(
    only_bundled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font Family",))
    texts = charts.SummaryTexts("a", "b", "c", "d", "e")
    assert charts.summary_chart([("x", 1, None)], [("12/1", 1)], texts) is None


def test_the_bundled_font_covers_the_catalogs_and_the_demo() -> None:
    cmap = TTFont(charts.BUNDLED_FONT).getBestCmap()
    sources = [*ROOT.glob("locales/*/LC_MESSAGES/messages.po"), ROOT / "crm" / "demo_seed.py"]
    assert len(sources) >= 5
    used: set[str] = set()
    for path in sources:
        used |= set(path.read_text(encoding="utf-8"))
    # Letters, digits and punctuation; emoji (symbols, "So") are never drawn on charts.
    wanted = {c for c in used if unicodedata.category(c)[0] in "LNP"}
    assert {c for c in wanted if ord(c) not in cmap} == set()
    # Simplified and traditional forms both, and Cyrillic for the Russian catalog.
    assert {ord(c) for c in "数數据據张張Жж₂"} - {0x2082} <= set(cmap)
