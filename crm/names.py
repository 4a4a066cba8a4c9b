"""Search keys for customer names: lower-case text plus pinyin (full and initials) for Chinese.

pypinyin reads Simplified and Traditional characters alike, so 華能電廠 and 华能电厂 share the
keys huanengdianchang and hndc.
"""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

from crm.limits import text_limit
from crm.models import Customer


def search_key(name: str) -> str:
    full = "".join(lazy_pinyin(name, errors="ignore"))
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore"))
    # Initials before the full pinyin: a long name's key is cut to the column's size, and the
    # full pinyin is what is lost then.
    parts = (name.lower(), initials.lower(), full.lower())
    return " ".join(dict.fromkeys(p for p in parts if p))[: text_limit(Customer.name_search)]


def sound_of(query: str) -> str | None:
    """The full pinyin of a query of two or more Chinese characters, to find a name typed in the
    other script (华能 finds 華能電廠); None for anything else (one character is too vague)."""
    if len(query) < 2 or not all("\u3400" <= c <= "\u9fff" for c in query):
        return None
    return "".join(lazy_pinyin(query, errors="ignore")).lower() or None
