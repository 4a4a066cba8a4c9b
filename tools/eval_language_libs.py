"""Libraries against crm.language's own grammar, part by part, on the rep-message corpus
(tests/language/*.yaml); the figures in docs/language.md come from here.

Needs what the bot does not install: `pip install jionlp jieba cn2an` in a separate
virtualenv that also has the project (`pip install -e '.[dev]'`), then

    python tools/eval_language_libs.py [heldout.yaml]

Parts compared:
- time phrases in Chinese: jionlp.ner.extract_time vs the grammar (date_grammar.phrases);
- time phrases in English and Russian: dateparser.search.search_dates vs the grammar;
- the customer: jieba's words looked up among the names, rapidfuzz over the whole message,
  vs crm.language.customers;
- Chinese numerals: cn2an vs date_words.number.

A time phrase counts as found when one of the phrases a reader returns stands for the expected
time: the same day, and a time of day that is the expected one or a range holding it (jionlp
gives 下午 as 13:00-17:59; a whole day stands for our default 09:00). Which phrase is the visit's
time and which the follow-up is the reader's rule, the same for all; this measures only whether
the phrase is found and read right.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm.language.customers import find_customers  # noqa: E402
from crm.language.date_grammar import phrases  # noqa: E402
from crm.language.date_words import number  # noqa: E402
from crm.language.reader import _pick_customer  # noqa: E402
from tests.language.corpus import NOW, TZ, customers, load  # noqa: E402

FILES = ("batch1_zh.yaml", "batch1_other.yaml", "heldout.yaml")
LOCAL_NOW = NOW.astimezone(TZ).replace(tzinfo=None)


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed_import(name: str) -> tuple[object, float, float]:
    before, t = _rss(), time.perf_counter()
    module = __import__(name, fromlist=["_"])
    return module, (time.perf_counter() - t) * 1000, _rss() - before


def _expected_times(e) -> list[datetime]:  # noqa: ANN001
    return [d.astimezone(TZ).replace(tzinfo=None) for d in (e.happened, e.followup) if d]


def _holds(found: list[tuple[datetime, datetime]], want: datetime) -> bool:
    for start, end in found:
        if start.date() != want.date():
            continue
        if start <= want <= end:
            return True
        whole_day = start.hour == 0 and end - start >= timedelta(hours=23)
        if whole_day and want.hour == 9 and want.minute == 0:
            return True
    return False


def _ours(text: str) -> list[tuple[datetime, datetime]]:
    out = []
    for p in phrases(text, LOCAL_NOW):
        out += [(p.ahead, p.ahead), (p.back, p.back)]
    return out


def _report(label: str, right: int, n: int, times: list[float]) -> None:
    p50 = statistics.median(times)
    p99 = sorted(times)[int(len(times) * 0.99) - 1]
    print(f"  {label:<34} {right:>3}/{n} = {right / n:6.1%}   p50 {p50:6.2f} ms  p99 {p99:7.2f} ms")


def times_zh(entries) -> None:  # noqa: ANN001
    jio, ms, mb = _timed_import("jionlp")
    print(f"jionlp import {ms:.0f} ms, +{mb:.0f} MB resident")
    base = time.mktime(LOCAL_NOW.timetuple())
    jio.ner.extract_time("明天下午3点", time_base=base)  # its first call loads its tables
    cases = [e for e in entries if e.lang in ("zh_CN", "zh_TW", "mixed") and _expected_times(e)]
    n = sum(len(_expected_times(e)) for e in cases)
    for label, read in (
        ("grammar (crm.language)", _ours),
        ("jionlp.ner.extract_time", lambda t: _jionlp(jio, t, base)),
    ):
        right, times = 0, []
        for e in cases:
            t = time.perf_counter()
            found = read(e.text)
            times.append((time.perf_counter() - t) * 1000)
            right += sum(_holds(found, w) for w in _expected_times(e))
        _report(label, right, n, times)


def _jionlp(jio, text: str, base: float) -> list[tuple[datetime, datetime]]:  # noqa: ANN001
    out = []
    for ent in jio.ner.extract_time(text, time_base=base, with_parsing=True):
        span = ent.get("detail", {}).get("time")
        if isinstance(span, list) and len(span) == 2 and "inf" not in span:
            try:
                start, end = (datetime.fromisoformat(s) for s in span)
            except ValueError:
                continue
            out.append((start, end))
    return out


def times_en_ru(entries) -> None:  # noqa: ANN001
    t0 = time.perf_counter()
    from dateparser.search import search_dates

    print(f"dateparser import {(time.perf_counter() - t0) * 1000:.0f} ms")
    settings = {"RELATIVE_BASE": LOCAL_NOW, "PREFER_DATES_FROM": "future"}
    cases = [e for e in entries if e.lang in ("en", "ru") and _expected_times(e)]
    n = sum(len(_expected_times(e)) for e in cases)

    def dp(text: str) -> list[tuple[datetime, datetime]]:
        found = search_dates(text, languages=["en", "ru"], settings=settings) or []
        out = []
        for _phrase, when in found:
            if when.time() == LOCAL_NOW.time():  # a date alone gets now's time: the day is meant
                out.append((when.replace(hour=0, minute=0), when.replace(hour=23, minute=59)))
            else:
                out.append((when, when))
        return out

    for label, read in (("grammar (crm.language)", _ours), ("dateparser.search_dates", dp)):
        right, times = 0, []
        for e in cases:
            t = time.perf_counter()
            found = read(e.text)
            times.append((time.perf_counter() - t) * 1000)
            right += sum(_holds(found, w) for w in _expected_times(e))
        _report(label, right, n, times)


def customers_part(entries) -> None:  # noqa: ANN001
    from rapidfuzz import fuzz, process

    jieba, ms, mb = _timed_import("jieba")
    jieba.lcut("华能电厂")  # loads its dictionary
    print(f"jieba import {ms:.0f} ms, +{mb:.0f} MB resident (dictionary loaded on first use)")
    listed = customers()
    names = dict(listed)
    cases = [e for e in entries if isinstance(e.customer, str)]

    def ours(text: str) -> str | None:
        best, _tied = _pick_customer(find_customers(text, [False] * len(text), listed))
        return best.name if best else None

    def with_jieba(text: str) -> str | None:
        best, score = None, 0
        for word in jieba.lcut(text):
            if len(word) < 2:
                continue
            for _cid, name in listed:
                if word in name and len(word) > score:
                    best, score = name, len(word)
        return best

    def with_rapidfuzz(text: str) -> str | None:
        hit = process.extractOne(text, names, scorer=fuzz.partial_ratio, score_cutoff=75)
        return hit[0] if hit else None

    for label, read in (
        ("matcher (crm.language.customers)", ours),
        ("jieba words in names", with_jieba),
        ("rapidfuzz partial_ratio", with_rapidfuzz),
    ):
        right, times = 0, []
        for e in cases:
            t = time.perf_counter()
            got = read(e.text)
            times.append((time.perf_counter() - t) * 1000)
            right += got == e.customer
        _report(label, right, len(cases), times)


def numerals() -> None:
    cn2an, ms, mb = _timed_import("cn2an")
    print(f"cn2an import {ms:.0f} ms, +{mb:.0f} MB resident")
    words = ["三", "两", "十", "十二", "二十", "二十五", "三十一", "零五", "八", "九", "十一", "一"]
    expected = [3, 2, 10, 12, 20, 25, 31, 5, 8, 9, 11, 1]

    def by_cn2an(w: str) -> int | None:
        try:
            return int(cn2an.cn2an(w, "smart"))
        except (ValueError, KeyError):
            return None

    for label, read in (("date_words.number", number), ("cn2an.cn2an", by_cn2an)):
        t = time.perf_counter()
        got = [read(w) for w in words]
        took = (time.perf_counter() - t) * 1000 / len(words)
        right = sum(g == x for g, x in zip(got, expected, strict=True))
        print(f"  {label:<34} {right:>3}/{len(words)}   {took:.3f} ms a numeral")


def main() -> None:
    entries = load(*(sys.argv[1:] or FILES))
    print("Time phrases, Chinese (zh_CN, zh_TW, mixed):")
    times_zh(entries)
    print("Time phrases, English and Russian:")
    times_en_ru(entries)
    print("Customer (messages naming one customer):")
    customers_part(entries)
    print("Chinese numerals:")
    numerals()


if __name__ == "__main__":
    main()
