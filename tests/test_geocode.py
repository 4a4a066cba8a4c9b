"""Pins with their address (issue 20, item 1): the offline resolvers on real coordinates
(Chinese districts inside China, GeoNames towns elsewhere), the sea without an address, the
online provider falling back, the address in each reader's language, and the console's
`[location LAT,LON — address]`."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest

from bot.channels.console import media_line
from bot.i18n import Renderer
from bot.types import Media, T
from crm.geocode import OfflineGeocoder, OnlineGeocoder, Place, make_geocoder, parse_nominatim

GEO = make_geocoder()


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (31.2304, 121.4737, Place("黄浦区", "上海市", "CN")),
        (39.9042, 116.4074, Place("东城区", "北京市", "CN")),
        (22.5431, 114.0579, Place("福田区", "深圳市, 广东省", "CN")),
        (22.3193, 114.1694, Place("油尖旺区", "香港特别行政区", "")),
        (55.7558, 37.6173, Place("Moscow", "Moscow", "RU")),
        (48.8566, 2.3522, Place("Paris", "Ile-de-France", "FR")),
    ],
)
async def test_real_coordinates_are_near_their_place(
    lat: float, lon: float, expected: Place
) -> None:
    assert await GEO.reverse(lat, lon) == expected


def test_a_pin_in_china_does_not_load_the_world_data() -> None:
    geo = OfflineGeocoder()
    assert geo.lookup(31.2304, 121.4737) == Place("黄浦区", "上海市", "CN")
    assert geo._world is None  # GeoNames' 150 MB stay unloaded
    assert geo.lookup(55.7558, 37.6173) is not None and geo._world is not None


@pytest.mark.parametrize(
    ("lat", "lon"), [(0.0, -140.0), (-40.0, -30.0), (30.0, 125.0), (91.0, 0.0)]
)
async def test_the_open_sea_and_nonsense_have_no_address(lat: float, lon: float) -> None:
    assert await GEO.reverse(lat, lon) is None


async def test_loaded_once_then_fast() -> None:
    await GEO.reverse(31.2304, 121.4737)
    started = time.perf_counter()
    for _ in range(100):
        await GEO.reverse(39.9042, 116.4074)
    assert time.perf_counter() - started < 1.0  # a k-d tree query, not a reload


async def test_online_provider_falls_back_to_the_offline_data() -> None:
    # A refused connection (nothing listens on port 9 here) stands for a provider that is down.
    geo = OnlineGeocoder("http://127.0.0.1:9/reverse", "k", GEO, timeout=1)
    place = await geo.reverse(55.7558, 37.6173)
    assert place is not None and place.name == "Moscow"
    alone = OnlineGeocoder("http://127.0.0.1:9/reverse", None, None, timeout=1)
    assert await alone.reverse(55.7558, 37.6173) is None
    with pytest.raises(ValueError):
        OnlineGeocoder("ftp://x", None, None)


def test_nominatim_answer_parsed() -> None:
    answer = {
        "address": {"city": "上海市", "state": "上海市", "country": "中国", "country_code": "cn"}
    }
    assert parse_nominatim(answer) == Place("上海市", "上海市", "CN")
    assert parse_nominatim({"error": "Unable to geocode"}) is None


def test_missing_data_means_no_address(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_package(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "reverse_geocoder":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_package)
    geo = OfflineGeocoder()
    assert geo.lookup(55.7558, 37.6173) is None and geo.available["world"] is False
    assert geo.lookup(31.2304, 121.4737) == Place("黄浦区", "上海市", "CN")


def test_the_address_in_each_language_and_on_the_console() -> None:
    place = Place("黄浦区", "上海市", "CN")
    said = {
        loc: Renderer(loc, ZoneInfo("Asia/Shanghai"))(T("📍 {place}", place=place))
        for loc in ("zh_CN", "zh_TW", "en", "ru")
    }
    assert said == {
        "zh_CN": "📍 黄浦区附近（上海市, 中国）",
        "zh_TW": "📍 黃浦區附近（上海市, 中國）",
        "en": "📍 near 黄浦区, 上海市, China",
        "ru": "📍 около 黄浦区, 上海市, Китай",
    }
    moscow = Renderer("zh_CN", ZoneInfo("Asia/Shanghai"))(
        T("📍 {place}", place=Place("Moscow", "Moscow", "RU"))
    )
    assert moscow == "📍 Moscow附近（Moscow, 俄罗斯）"
    pin = Media("location", lat=31.2304, lon=121.4737, name="黄浦区", region="上海市", country="CN")
    assert media_line(pin) == "[location 31.2304,121.4737 — near 黄浦区, 上海市, China]"
    assert media_line(Media("location", lat=0.0, lon=-140.0)) == "[location 0.0000,-140.0000]"


# ---- on Telegram: a pin with its address is a venue, for both libraries --------------------

from tests.test_channel_contract import USER, api, channel  # noqa: E402

_ = (api, channel)


async def test_a_pin_with_its_address_goes_as_a_venue(channel, api) -> None:  # type: ignore[no-untyped-def]
    from bot.render import render_reply
    from bot.types import Reply

    pin = Media("location", lat=31.2304, lon=121.4737, name="黄浦区", region="上海市", country="CN")
    bare = Media("location", lat=0.0, lon=-140.0)
    for locale, title, address in (
        ("zh_CN", "黄浦区", "上海市, 中国"),
        ("zh_TW", "黃浦區", "上海市, 中國"),
        ("en", "黄浦区", "上海市, China"),
    ):
        out = render_reply(
            Reply(T("📍 {place}", place=pin.place), media=(pin, bare)),
            Renderer(locale, ZoneInfo("Asia/Shanghai")),
            USER,
        )
        mark = api.mark()
        await channel.send(out)
        venue = api.find("sendVenue", since=mark)
        assert venue is not None and venue.status == 200
        assert (venue.params["title"], venue.params["address"]) == (title, address)
        assert (float(venue.params["latitude"]), float(venue.params["longitude"])) == (
            31.2304,
            121.4737,
        )
        # A pin at sea has no address: the bare location, as before.
        sea = api.find("sendLocation", since=mark)
        assert sea is not None and sea.status == 200 and float(sea.params["longitude"]) == -140.0
