"""Search keys for customer names: lower-case text plus pinyin (full and initials) for Chinese."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def search_key(name: str) -> str:
    full = "".join(lazy_pinyin(name, errors="ignore"))
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore"))
    return " ".join(dict.fromkeys(p for p in (name.lower(), full.lower(), initials.lower()) if p))
