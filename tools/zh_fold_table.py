"""Prints crm/language/zh_hant.py's FOLD table: the Traditional forms of the Chinese characters
that the date and visit-report grammars match, each mapped to the Simplified one they spell.

Run it after adding Chinese words to crm/language/*.py and paste its output into
crm/language/zh_hant.py. Needs OpenCC (`pip install opencc`), which the bot itself does not.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["crm/language/*.py"]
CONFIGS = ("s2t", "s2tw", "s2hk")
# Forms OpenCC gives only in words, not for the character alone (週二, 點鐘, 簽合同).
EXTRA = {"週": "周", "鐘": "钟", "簽": "签"}


def main() -> int:
    chars: set[str] = set()
    for pattern in SOURCES:
        for path in ROOT.glob(pattern):
            chars |= set(re.findall(r"[\u3400-\u9fff]", path.read_text(encoding="utf-8")))
    converters = [opencc.OpenCC(c) for c in CONFIGS]
    to_simplified = opencc.OpenCC("t2s").convert
    fold: dict[str, str] = {t: s for t, s in EXTRA.items() if s in chars}
    for simplified in sorted(chars):
        for convert in converters:
            traditional = convert.convert(simplified)
            # Only a character Simplified text never has: folding must not change Simplified.
            if (
                len(traditional) == 1
                and traditional != simplified
                and to_simplified(traditional) != traditional
            ):
                fold.setdefault(traditional, simplified)
    pairs = "".join(f"{t}{s}" for t, s in sorted(fold.items(), key=lambda kv: kv[1]))
    lines = [pairs[i : i + 80] for i in range(0, len(pairs), 80)]
    print("_PAIRS = (")
    for line in lines:
        print(f'    "{line}"')
    print(")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
