"""Reverse geocoding: a location pin → the place it is near ("near 黄浦区, 上海市, CN").

Offline by default, from two packages that ship their data:
- inside China, `geotool-cn`: the official districts, cities and provinces with their Chinese
  names, by point in polygon (6 MB memory-mapped: the first pin ~90 ms and +9 MB RSS, then
  ~25 µs a pin);
- elsewhere (and in Taiwan, where it has no districts), `reverse_geocoder`: GeoNames' towns of
  over 1,000 people, Latin names only, the nearest one by k-d tree (~55 µs a pin). Loading it
  (numpy, scipy, the tree) takes ~2 s and +150 MB RSS, so only when a pin outside China arrives.
Both load once, in a thread (the event loop keeps serving meanwhile). A pin farther than MAX_KM
from any town (the sea, a desert) has no address: the pin alone is shown.

An online provider (a Nominatim-compatible reverse endpoint: OSM's, or a gateway in front of
AMap) may be set for production; it is asked first and the offline data answers when it fails.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from crm.geo import distance_m

log = structlog.get_logger("geocode")

# Farther than this from the nearest town, a pin is "nowhere" (the sea): no address.
MAX_KM = 60.0
ONLINE_TIMEOUT_SECONDS = 3.0
NAME_MAX = 100  # a place, a region: what the pin's label keeps of each


@dataclass(frozen=True)
class Place:
    """Where a pin is: the nearest town, its region and ISO country code (any may be "")."""

    name: str
    region: str = ""
    country: str = ""


class Geocoder(Protocol):
    async def reverse(self, lat: float, lon: float) -> Place | None: ...


def _valid(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180


# Hong Kong and Macau (adcodes 81, 82): their region's name says where they are.
_SAR_PREFIXES = ("81", "82")


class OfflineGeocoder:
    """China's districts from `geotool-cn`, the world's towns from `reverse_geocoder`; each
    loaded once on first use."""

    def __init__(self, max_km: float = MAX_KM) -> None:
        self.max_km = max_km
        self._china: Any = None
        self._world: Any = None
        self._lock = threading.Lock()  # threads, not tasks: the loads run in one
        self.available = {"china": True, "world": True}

    def _load(self, which: str) -> Any:
        with self._lock:
            loaded = self._china if which == "china" else self._world
            if loaded is None and self.available[which]:
                try:
                    if which == "china":
                        from GeoToolCN import GeoTool

                        loaded = self._china = GeoTool()
                    else:
                        import reverse_geocoder

                        loaded = self._world = reverse_geocoder.RGeocoder(mode=1, verbose=False)
                except Exception:
                    # Missing package or data: pins are shown without that address.
                    log.warning("geocoder_unavailable", which=which, exc_info=True)
                    self.available[which] = False
            return loaded

    def _in_china(self, lat: float, lon: float) -> Place | None:
        tool = self._load("china")
        if tool is None:
            return None
        found = tool.reverse(lat, lon)
        smallest = found.district or found.city
        if smallest is None:
            return None  # abroad, or a province without districts in the data (Taiwan)
        around = [r.name for r in (found.city, found.province) if r is not None]
        region = ", ".join(dict.fromkeys(n for n in around if n != smallest.name))
        country = "" if smallest.code.startswith(_SAR_PREFIXES) else "CN"
        return Place(smallest.name[:NAME_MAX], region[:NAME_MAX], country)

    def _nearest_town(self, lat: float, lon: float) -> Place | None:
        tree = self._load("world")
        if tree is None:
            return None
        row = tree.query([(lat, lon)])[0]
        if distance_m(lat, lon, float(row["lat"]), float(row["lon"])) > self.max_km * 1000:
            return None
        return Place(row["name"][:NAME_MAX], row["admin1"][:NAME_MAX], row["cc"])

    def lookup(self, lat: float, lon: float) -> Place | None:
        """Blocking: a first call may load data (run it in a thread)."""
        if not _valid(lat, lon):
            return None
        return self._in_china(lat, lon) or self._nearest_town(lat, lon)

    async def reverse(self, lat: float, lon: float) -> Place | None:
        return await asyncio.to_thread(self.lookup, lat, lon)


class OnlineGeocoder:
    """A Nominatim-compatible reverse endpoint (`url`?lat=..&lon=..&format=jsonv2[&key=..]),
    asked first; `fallback` answers when it fails or finds nothing. Never called in tests."""

    def __init__(
        self,
        url: str,
        key: str | None,
        fallback: Geocoder | None,
        language: str = "zh-CN",
        timeout: float = ONLINE_TIMEOUT_SECONDS,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the geocoder URL must start with http:// or https://")
        self.url, self.key, self.fallback = url, key, fallback
        self.language, self.timeout = language, timeout

    def _fetch(self, lat: float, lon: float) -> dict[str, Any]:
        query = {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "format": "jsonv2", "zoom": "10"}
        query["accept-language"] = self.language
        if self.key:
            query["key"] = self.key
        request = urllib.request.Request(
            f"{self.url}?{urllib.parse.urlencode(query)}", headers={"User-Agent": "crm-bot"}
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            return json.loads(answer.read(200_000))

    async def reverse(self, lat: float, lon: float) -> Place | None:
        if _valid(lat, lon):
            try:
                data = await asyncio.to_thread(self._fetch, lat, lon)
                place = parse_nominatim(data)
                if place is not None:
                    return place
            except (OSError, ValueError) as e:  # network, HTTP error, bad JSON
                log.warning("geocoder_online_failed", error=type(e).__name__)
        return await self.fallback.reverse(lat, lon) if self.fallback is not None else None


def parse_nominatim(data: dict[str, Any]) -> Place | None:
    """Nominatim's jsonv2 answer → a Place (None when it found nothing there)."""
    address = data.get("address") if isinstance(data, dict) else None
    if not isinstance(address, dict):
        return None
    name = next(
        (
            address[k]
            for k in ("city", "town", "village", "county", "district", "suburb")
            if address.get(k)
        ),
        "",
    )
    region = address.get("state") or address.get("province") or ""
    country = str(address.get("country_code") or "").upper()
    if not (name or region):
        return None
    return Place(str(name)[:NAME_MAX], str(region)[:NAME_MAX], country[:2])


_OFFLINE = OfflineGeocoder()


def make_geocoder(
    url: str | None = None, key: str | None = None, language: str = "zh-CN"
) -> Geocoder:
    """The offline geocoder (one per process: its data is large), behind `url` when given."""
    if url:
        return OnlineGeocoder(url, key, _OFFLINE, language=language)
    return _OFFLINE
