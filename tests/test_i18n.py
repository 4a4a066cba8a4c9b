"""Languages: picking one from Telegram's code, /lang, menus per language, dates and money."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App
from bot.commands_menu import commands, default_menus
from bot.i18n import SUPPORTED, Renderer, default_menu_locales, pick_locale
from bot.types import Inbound, Money, T
from bot.views import digest as digest_views
from crm.enums import Role
from crm.models import CustomerUser
from crm.services import care
from handlers import build_router
from tests.conftest import Transcript
from tests.helpers import press, staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(990_000)

CODES = [
    ("zh-hans", "zh_CN"),
    ("zh", "zh_CN"),
    ("zh-CN", "zh_CN"),
    ("zh_SG", "zh_CN"),
    ("zh-hant", "zh_TW"),
    ("zh-Hant-TW", "zh_TW"),
    ("zh-tw", "zh_TW"),
    ("zh-HK", "zh_TW"),
    ("zh-mo", "zh_TW"),
    ("ru", "ru"),
    ("ru-RU", "ru"),
    ("en", "en"),
    ("en-GB", "en"),
    # A language we lack: English, not the company's Chinese (issue 24 item 6).
    ("de", "en"),
    ("ja", "en"),
    ("pt-br", "en"),
    ("rus", "en"),  # not a prefix match: "rus" is no tag of ours
    ("zhx", "en"),
    # Telegram sent none: the company's default.
    ("", "default"),
    ("  ", "default"),
    (None, "default"),
]


@pytest.mark.parametrize(("code", "expected"), CODES, ids=[str(c) for c, _ in CODES])
def test_pick_locale(code: str | None, expected: str) -> None:
    assert pick_locale(code, "default") == expected


WHEN = datetime(2026, 12, 2, 2, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in Shanghai, a Wednesday
FORMATS = [
    ("zh_CN", "12月2日 周三 10:00", "2026年12月2日 周三", "¥120,000", "¥1,234.50", "1,234,567"),
    ("zh_TW", "12月2日 週三 10:00", "2026年12月2日 週三", "CN¥120,000", "CN¥1,234.50", "1,234,567"),
    ("en", "Wed 2 Dec 10:00", "Wed 2 Dec 2026", "CN¥120,000", "CN¥1,234.50", "1,234,567"),
    (
        "ru",
        "ср, 2 дек. 10:00",
        "ср, 2 декабря 2026",
        "120\xa0000\xa0CN¥",
        "1\xa0234,50\xa0CN¥",
        "1\xa0234\xa0567",
    ),
]


@pytest.mark.parametrize(("locale", "when", "day", "whole", "cents", "number"), FORMATS)
def test_dates_numbers_and_money_in_the_readers_format(
    locale: str, when: str, day: str, whole: str, cents: str, number: str
) -> None:
    r = Renderer(locale, SHANGHAI)
    assert r.value(WHEN) == when
    assert r.value(date(2026, 12, 2)) == day
    assert r.value(Money(Decimal(120000))) == whole
    assert r.value(Money(1234.5)) == cents
    assert r.value(1234567) == number


def test_dates_follow_the_readers_time_zone() -> None:
    assert Renderer("ru", ZoneInfo("Europe/Moscow")).value(WHEN) == "ср, 2 дек. 05:00"


def test_money_in_another_currency() -> None:
    assert Renderer("ru", SHANGHAI, currency="RUB").value(Money(5000)) == "5\xa0000\xa0₽"


def test_every_locale_translates_a_message() -> None:
    shown = {loc: Renderer(loc, SHANGHAI)(T("show this help")) for loc in SUPPORTED}
    assert shown["en"] == "show this help"
    assert shown["zh_CN"] == "显示帮助"
    assert shown["zh_TW"] == "顯示說明"
    assert shown["ru"] != "show this help" and _cyrillic(shown["ru"])


def test_default_menus_one_per_language_telegram_can_tell_apart() -> None:
    assert default_menu_locales("zh_CN") == {None: "zh_CN", "zh": "zh_CN", "en": "en", "ru": "ru"}
    assert default_menu_locales("zh_TW") == {None: "zh_TW", "zh": "zh_TW", "en": "en", "ru": "ru"}
    menus = default_menus(build_router(), "en")
    assert [m.language_code for m in menus] == [None, "zh", "ru"]
    helps = [dict(m.commands)["help"] for m in menus]
    assert helps[0] == "show this help" and helps[1] == "显示帮助"
    assert len(set(helps)) == 3


@pytest.mark.parametrize("role", [Role.SALES, Role.MANAGER, Role.SERVICE, Role.CUSTOMER])
def test_every_role_has_its_menu_in_every_language(role: Role) -> None:
    book = build_router()
    menus = {loc: dict(commands(book, role, loc)) for loc in SUPPORTED}
    assert len({tuple(m) for m in menus.values()}) == 1  # the same commands everywhere
    assert menus["zh_TW"]["help"] == "顯示說明" and menus["zh_CN"]["help"] == "显示帮助"
    assert _cyrillic(menus["ru"]["help"]) and menus["en"]["help"] == "show this help"
    for loc in ("zh_CN", "zh_TW", "ru"):
        same = [c for c, d in menus[loc].items() if d == menus["en"][c]]
        assert not same, f"{loc} menu not translated: {same}"


def _cyrillic(text: str) -> bool:
    return any("а" <= c <= "я" for c in text.lower())


def _hello(user: int, code: str) -> Inbound:
    return Inbound(
        channel="test",
        update_id=next(_ids),
        chat_id=user,
        user_id=user,
        text="/start",
        language_code=code,
        first_name="Newcomer",
    )


async def _locale_of(app: App, user: int) -> str | None:
    async with app.sessions() as s:
        return await s.scalar(select(CustomerUser.locale).where(CustomerUser.tg_user_id == user))


@pytest.mark.parametrize(
    ("code", "locale", "phrase"),
    [
        ("zh-hant", "zh_TW", "歡迎"),
        ("ru-RU", "ru", "/new"),
        ("zh-hans", "zh_CN", "欢迎"),
        ("en", "en", "Welcome"),
    ],
)
async def test_first_contact_picks_the_language(
    app: App, chat: Transcript, code: str, locale: str, phrase: str
) -> None:
    calls: list[tuple[int, str, str]] = []

    async def record(chat_id: int, role: object, loc: str) -> None:
        calls.append((chat_id, str(role), loc))

    app.engine.on_identity_change = record
    user = 770_001
    [out] = await app.engine.handle(_hello(user, code))
    assert phrase in out.text
    assert await _locale_of(app, user) == locale
    # Only a language the default menus cannot serve gets a menu on the chat.
    assert calls == ([(user, "customer", "zh_TW")] if locale == "zh_TW" else [])
    await app.engine.handle(_hello(user, code))
    assert len(calls) == (1 if locale == "zh_TW" else 0)


async def test_lang_offers_all_four_each_named_in_itself(chat: Transcript) -> None:
    out = await chat("/as customer6", "/lang")
    assert "[1] 简体中文  [2] 繁體中文  [3] English  [4] Русский" in out
    out = await chat("[繁體中文]")
    assert "語言已切換為繁體中文。" in out
    out = await chat("/help")
    assert "顯示" in out and "显示" not in out
    out = await chat("/lang", "[Русский]", "/help")
    assert _cyrillic(out.split("/new — ", 1)[1].split("\n", 1)[0])


async def test_lang_refuses_a_forged_language(app: App, chat: Transcript) -> None:
    await chat("/as rep1")
    out = await press(chat, app, "rep1", "lang::xx")
    assert "该按钮已失效，未做任何更改。" in out
    assert (await staff(app, "rep1")).locale == "zh_CN"


@pytest.mark.parametrize(
    ("templates", "locale", "expected"),
    [
        ({"zh_CN": "简", "en": "E", "zh_TW": "繁", "ru": "Р"}, "ru", "Р"),
        ({"zh_CN": "简", "en": "E", "zh_TW": "繁"}, "zh_TW", "繁"),
        ({"zh_CN": "简", "en": "E"}, "zh_TW", "简"),  # Simplified stands in for Traditional
        ({"zh_TW": "繁", "en": "E"}, "zh_CN", "繁"),  # ... and back
        ({"zh_CN": "简", "en": "E"}, "ru", "E"),  # English for Russian
        ({"zh_CN": "简", "en": ""}, "ru", "简"),
        ({"ru": "Р"}, "en", "Р"),  # whatever was written
        ({"zh_CN": "简", "en": "E"}, "xx", "简"),
        ({}, "en", ""),
    ],
)
def test_campaign_text_for_each_reader(
    templates: dict[str, str], locale: str, expected: str
) -> None:
    assert care.pick_template(templates, locale) == expected


@pytest.mark.parametrize(
    ("locale", "won", "lost"),
    [
        ("zh_CN", "¥120,000", "¥8,500.50"),
        ("zh_TW", "CN¥120,000", "CN¥8,500.50"),
        ("en", "CN¥120,000", "CN¥8,500.50"),
        ("ru", "120\xa0000\xa0CN¥", "8\xa0500,50\xa0CN¥"),
    ],
)
def test_digest_amounts_are_money_in_the_readers_format(locale: str, won: str, lost: str) -> None:
    d = SimpleNamespace(
        new_customers=0,
        stage_changes=2,
        won=1,
        won_amount=Decimal(120000),
        lost=1,
        lost_amount=Decimal("8500.50"),
        followups_done=0,
        followups_overdue=0,
    )
    render = Renderer(locale, SHANGHAI)
    won_line, lost_line = (render(t) for t in digest_views.sales_lines(d)[2:4])  # type: ignore[arg-type]
    assert won in won_line and lost in lost_line
