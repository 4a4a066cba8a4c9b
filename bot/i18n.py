"""gettext catalogs from locales/*.po, and rendering of neutral texts for one reader."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from bot.types import TN, Lines, Raw, T, Text

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("zh_CN", "en")
DOMAIN = "messages"
# Short and unambiguous for someone reading on a phone: weekday, day, month, time.
DATETIME_PATTERNS = {"zh_CN": "M月d日 EEE HH:mm", "en": "EEE d MMM HH:mm"}
DATE_PATTERNS = {"zh_CN": "yyyy年M月d日 EEE", "en": "EEE d MMM yyyy"}


@cache
def translations(locale: str) -> Translations:
    po = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def pick_locale(language_code: str | None, default: str) -> str:
    """Telegram's language code at first contact → one of ours."""
    code = (language_code or "").lower().replace("_", "-")
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en"):
        return "en"
    return default


@dataclass(frozen=True)
class Renderer:
    """Renders texts for one reader: their locale and time zone; HTML-escapes user content."""

    locale: str
    tz: ZoneInfo
    html: bool = True

    def _esc(self, s: str) -> str:
        return html.escape(s, quote=False) if self.html else s

    def value(self, v: Any) -> str:
        if isinstance(v, T | TN | Raw | Lines):
            return self(v)
        if isinstance(v, datetime):
            pattern = DATETIME_PATTERNS.get(self.locale, "yyyy-MM-dd HH:mm")
            return format_datetime(
                v.astimezone(self.tz), pattern, tzinfo=self.tz, locale=self.locale
            )
        if isinstance(v, date):
            return format_date(v, DATE_PATTERNS.get(self.locale, "yyyy-MM-dd"), locale=self.locale)
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, int | float | Decimal):
            return format_decimal(v, locale=self.locale)
        return self._esc(str(v))

    def __call__(self, text: Text) -> str:
        tr = translations(self.locale)
        if isinstance(text, Raw):
            return self._esc(text.text)
        if isinstance(text, Lines):
            return "\n".join(self(p) for p in text.parts)
        if isinstance(text, TN):
            template = tr.ngettext(text.singular, text.plural, text.n)
        elif isinstance(text, T):
            template = tr.gettext(text.msgid)
        else:
            raise TypeError(f"not a text: {text!r}")
        if not text.params:
            return template
        return template.format(**{k: self.value(v) for k, v in text.params.items()})
