"""Rebuild bot/fonts/wqy-microhei-subset.ttf, the CJK font the charts fall back on.

The project carries its own Chinese font so that charts draw on a machine with none installed
(a fresh clone, CI). The whole WenQuanYi Micro Hei is 5 MB; this subset keeps what charts
draw: GB2312 (simplified Chinese, with its Latin, Greek, Cyrillic and symbols), Big5's symbols
and level-1 common characters (traditional Chinese), Latin-1 and Latin Extended-A, all of
Cyrillic, common punctuation and symbols, and every character of the catalogs and of the
demo's data. A name with a rarer character is drawn as a box: production machines install a
full font (`apt-get install fonts-wqy-microhei`), which charts prefer when present.

The family is renamed "WenQuanYi Micro Hei Subset" so that matplotlib never mistakes it for
the full font. Source: the Debian package fonts-wqy-microhei (Apache-2.0 or GPL-3+ with the font
exception; bot/fonts/LICENSE.wqy-microhei):

    apt-get download fonts-wqy-microhei && dpkg-deb -x fonts-wqy-microhei_*.deb wqy
    .venv/bin/python tools/make_cjk_font.py wqy/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
"""

from __future__ import annotations

import argparse
import itertools
import re
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bot" / "fonts" / "wqy-microhei-subset.ttf"
FAMILY = "WenQuanYi Micro Hei Subset"
RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x17F),  # Latin-1, Latin Extended-A
    (0x370, 0x3FF),  # Greek
    (0x400, 0x4FF),  # Cyrillic
    (0x2000, 0x206F),  # general punctuation
    (0x20A0, 0x20CF),  # currency signs
    (0x2100, 0x218F),  # letterlike symbols, number forms (№, Ⅻ)
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed numbers (①)
    (0x25A0, 0x25FF),  # geometric shapes
    (0x3000, 0x303F),  # CJK punctuation
    (0xFF00, 0xFFEF),  # full-width forms
)
# Text the project itself draws: the catalogs and the demo company.
SOURCES = ("locales/*/LC_MESSAGES/messages.po", "crm/demo_seed.py", "bot/demo.py")


def _decodable(codec: str, leads: range, trails: range) -> set[str]:
    chars = set()
    for lead, trail in itertools.product(leads, trails):
        try:
            chars.update(bytes((lead, trail)).decode(codec))
        except UnicodeDecodeError:
            continue
    return chars


def charset() -> set[str]:
    chars = {chr(c) for lo, hi in RANGES for c in range(lo, hi + 1)}
    chars |= _decodable("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))
    # Big5: symbols A140-A3BF, level-1 (common) characters A440-C67E.
    big5_trails = itertools.chain(range(0x40, 0x7F), range(0xA1, 0xFF))
    chars |= _decodable("big5", range(0xA1, 0xC7), big5_trails)
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            chars |= set(path.read_text(encoding="utf-8"))
    return {c for c in chars if c.isprintable() and not re.match(r"\s", c)} | {" "}


def build(ttc: Path, out: Path = OUT) -> int:
    font = TTCollection(str(ttc)).fonts[0]  # 0 is the proportional face, 1 the Mono
    options = subset.Options()
    options.hinting = False  # matplotlib's Agg auto-hints anyway; halves the size
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.name_languages = [0x409]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in charset()])
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 4):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            where = (record.platformID, record.platEncID, record.langID)
            names.setName(FAMILY.replace(" ", ""), 6, *where)
        elif record.nameID == 3:
            names.setName(f"{FAMILY};subset", 3, record.platformID, record.platEncID, record.langID)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))
    return out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ttc", type=Path, help="wqy-microhei.ttc from fonts-wqy-microhei")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    size = build(args.ttc, args.out)
    print(f"{args.out}: {len(charset())} characters, {size:,} bytes")


if __name__ == "__main__":
    main()
