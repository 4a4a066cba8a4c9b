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

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

from bot.types import TN, Lines, Money, Raw, T, Text
from crm.geocode import Place

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("zh_CN", "zh_TW", "en", "ru")
DOMAIN = "messages"
# Short and unambiguous for someone reading on a phone: weekday, day, month, time.
DATETIME_PATTERNS = {
    "zh_CN": "M月d日 EEE HH:mm",
    "zh_TW": "M月d日 EEE HH:mm",
    "en": "EEE d MMM HH:mm",
    "ru": "EEE, d MMM HH:mm",
}
DATE_PATTERNS = {
    "zh_CN": "yyyy年M月d日 EEE",
    "zh_TW": "yyyy年M月d日 EEE",
    "en": "EEE d MMM yyyy",
    "ru": "EEE, d MMMM yyyy",
}
# Telegram's language codes (IETF tags, lower case) that mean Traditional Chinese.
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


@cache
def translations(locale: str) -> Translations:
    po = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        # A catalog not yet written (tests/test_locales.py fails for it): the English msgids.
        return Translations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


# The language for someone whose Telegram speaks one we lack (de, ja...): a user outside China
# reads English more likely than Chinese. The company's default is for when Telegram says nothing.
FALLBACK_LOCALE = "en"


def pick_locale(language_code: str | None, default: str) -> str:
    """Telegram's language code at first contact → one of ours: its own when we have it,
    English when we do not, the company's `default` only when Telegram sent none."""
    code = (language_code or "").strip().lower().replace("_", "-")
    if not code:
        return default
    if any(code == t or code.startswith(t + "-") for t in _TRADITIONAL):
        return "zh_TW"
    for prefix, locale in (("zh", "zh_CN"), ("ru", "ru"), ("en", "en")):
        if code == prefix or code.startswith(prefix + "-"):
            return locale
    return FALLBACK_LOCALE


def _currency_pattern(locale: str) -> str | None:
    """The locale's standard currency pattern ("¤#,##0.00", "#,##0.00 ¤")."""
    found = Locale.parse(locale).currency_formats.get("standard")
    return found.pattern if found is not None else None


def menu_code(locale: str) -> str:
    """Our locale → the ISO 639-1 code Telegram's command menus take ("zh_TW" → "zh")."""
    return locale.split("_", 1)[0]


def menu_locale_for(language_code: str | None, default_locale: str) -> str:
    """The locale of the default-scope menu Telegram shows someone with this language code."""
    code = (language_code or "").strip().lower()[:2]
    found = default_menu_locales(default_locale)
    return found.get(code, found[None]) if code else found[None]


def default_menu_locales(default_locale: str) -> dict[str | None, str]:
    """Which locale's menu the default scope shows: for everyone (None) and per language code.

    Telegram keys default menus by a two-letter code, so zh_CN and zh_TW cannot both have one:
    the first supported locale of a language gets it, the company's own first of all.
    """
    found: dict[str | None, str] = {None: default_locale, menu_code(default_locale): default_locale}
    for locale in SUPPORTED:
        found.setdefault(menu_code(locale), locale)
    return found


def country_name(code: str, locale: str) -> str:
    """ "CN" → 中国 / China / Китай: the country's name in the reader's language (Babel's CLDR)."""
    if not code:
        return ""
    try:
        return Locale.parse(locale).territories.get(code.upper(), code)
    except (ValueError, TypeError):
        return code


@cache
def _to_traditional() -> Any:
    import opencc

    return opencc.OpenCC("s2twp")


def _names(place: Place, locale: str) -> tuple[str, str]:
    if locale == "zh_TW":
        return _to_traditional().convert(place.name), _to_traditional().convert(place.region)
    return place.name, place.region


def venue_title(place: Place, locale: str) -> str:
    """A venue's title: the place's name (in Traditional characters for zh_TW readers)."""
    return _names(place, locale)[0]


def venue_address(place: Place, locale: str) -> str:
    """A venue's address line under the place's name: “上海市, 中国”."""
    _, region = _names(place, locale)
    return ", ".join(p for p in (region, country_name(place.country, locale)) if p)


def near(place: Place, locale: str) -> Text:
    """“near 黄浦区, 上海市, China”, “near Moscow, Moscow, Russia”: the place and region as the
    data names them (Chinese inside China, in Traditional characters for zh_TW readers; Latin
    elsewhere: GeoNames has no other), the country in the reader's language."""
    name, _ = _names(place, locale)
    area = venue_address(place, locale)
    if not area:
        return T("near {place}", place=Raw(name))
    return T("near {place}, {area}", place=Raw(name), area=Raw(area))


@dataclass(frozen=True)
class Renderer:
    """Renders texts for one reader: their locale and time zone; HTML-escapes user content."""

    locale: str
    tz: ZoneInfo
    html: bool = True
    currency: str = "CNY"  # ISO 4217: the company's, for every Money shown

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
        if isinstance(v, Money):
            return self._esc(self.money(v.amount, v.currency, cents=v.cents))
        if isinstance(v, Place):
            return self(near(v, self.locale))
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, int | float | Decimal):
            return format_decimal(v, locale=self.locale)
        return self._esc(str(v))

    def money(self, amount: Any, currency: str | None = None, *, cents: bool = False) -> str:
        """¥120,000 / 120 000 CN¥: the locale's currency pattern; cents only when there are any
        (or always, with `cents`: ¥1,200,000.00)."""
        amount = Decimal(str(amount))
        fmt = None
        if not cents and amount == amount.to_integral_value():
            pattern = _currency_pattern(self.locale)
            fmt = pattern.replace(".00", "") if pattern else None
        return format_currency(
            amount,
            currency or self.currency,
            format=fmt,
            currency_digits=fmt is None,
            locale=self.locale,
        )

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
