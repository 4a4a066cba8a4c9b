"""Which of the rep's customers a message names, wherever the name stands in it.

A customer is found by its name or a part of it (国际会展 for 国际会展中心, 宏远 for
上海宏远机电设备有限公司, Northwind for Northwind Traders Ltd.), with the city in front
and the legal suffix left out. Chinese is compared by sound (pypinyin), so Traditional
characters (華能電廠) and typos of the same sound (华能电场, 东方刚铁) match, and one
syllable or letter may differ in a long enough name (红心汽修). Pinyin initials (hndc,
thyf) are a word of their own. English and Russian words may differ by a letter
(Blue Rivr Hotel) or by their ending (в Ромашке).

Only the customers passed in are looked at: those the rep may see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

_CJK = re.compile(r"[\u3400-\u9fff]")
_LEGAL = re.compile(
    r"(?:股份有限公司|有限责任公司|有限公司|有限責任公司|股份公司|集团有限公司|集团|集團|公司|分公司)$"
)
_PLACE = re.compile(
    r"^(?:北京|上海|天津|重庆|深圳|广州|苏州|杭州|南京|武汉|成都|西安|福州|厦门|青岛|大连|宁波|"
    r"台北|臺北|高雄|新竹|台中|臺中|台南|臺南|香港|澳门)(?:市)?"
)
_LATIN_LEGAL = {"ltd", "ltd.", "inc", "inc.", "co", "co.", "llc", "corp", "corp.", "plc", "gmbh",
                "ооо", "оао", "зао", "ао", "ип"}  # fmt: skip
# Words that name what a business is, not which one: alone they name no customer.
_GENERIC = {
    "hotel", "farm", "cafe", "gym", "spa", "mall", "clinic", "print", "foods", "food", "studio",
    "dental", "logistics", "bakery", "kindergarten", "traders", "the", "of", "and", "group",
    "гостиница", "отель", "строй", "кафе",
}  # fmt: skip
# Short (two-syllable) parts of a name must stand as a word of their own, or after one of these.
_BEFORE_SHORT = set("去到给在和跟访约了见与同找")
_INITIALS_STOP = {"the", "and", "for", "but", "not", "you", "ok", "call", "met", "ms", "mr", "dr"}


@dataclass(frozen=True)
class Match:
    customer_id: int
    name: str
    start: int
    end: int
    score: float  # 1.0: the whole name as typed; less for a part, a typo or initials
    how: str  # "name", "part", "sound", "typo", "initials", "word"


@lru_cache(maxsize=8192)
def _syllable(ch: str) -> str:
    if _CJK.match(ch):
        return lazy_pinyin(ch)[0]
    return ch.lower()


def _cores(name: str) -> list[str]:
    """The name and its shorter forms: without the legal suffix, without the city in front."""
    forms = [name.strip()]
    for form in list(forms):
        bare = _LEGAL.sub("", form)
        if bare and bare != form:
            forms.append(bare)
    for form in list(forms):
        bare = _PLACE.sub("", form)
        if len(bare) >= 2 and bare != form:
            forms.append(bare)
    return list(dict.fromkeys(forms))


@dataclass(frozen=True)
class _Entry:
    customer_id: int
    name: str
    cjk: tuple[tuple[str, ...], ...]  # each core as syllables
    initials: tuple[str, ...]
    words: tuple[tuple[str, ...], ...]  # Latin/Cyrillic cores as lower-case words


@lru_cache(maxsize=4096)
def _entry(customer_id: int, name: str) -> _Entry:
    cores = _cores(name)
    cjk = tuple(
        tuple(_syllable(c) for c in core if not c.isspace()) for core in cores if _CJK.search(core)
    )
    initials = tuple(
        "".join(lazy_pinyin(core, style=4, errors="ignore")).lower()  # 4: Style.FIRST_LETTER
        for core in cores
        if _CJK.search(core)
    )
    words = tuple(
        tuple(w for w in re.findall(r"[\w.&'-]+", core.lower()) if w not in _LATIN_LEGAL)
        for core in cores
        if not _CJK.search(core)
    )
    return _Entry(customer_id, name, cjk, initials, tuple(w for w in words if w))


def _near(a: str, b: str) -> bool:
    """Two syllables or words one letter apart (xin/xing, rivr/river)."""
    return len(a) >= 3 and len(b) >= 3 and Levenshtein.distance(a, b) <= 1


def _variants(word: str) -> set[str]:
    """The word and the word less one letter: two words one edit apart share one of these."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass
class _Text:
    """What every customer is compared with, worked out once per message."""

    text: str
    masked: list[bool]
    sylls: list[str | None]
    at: dict[str, list[int]]  # syllable → where it stands
    near_at: dict[str, set[int]]  # a variant of a syllable → where such syllables stand
    tokens: list[tuple[int, int, str]]
    initials: list[tuple[int, int, str]]

    @classmethod
    def of(cls, text: str, masked: list[bool]) -> _Text:
        sylls = [
            _syllable(c) if _CJK.match(c) and not masked[i] else None for i, c in enumerate(text)
        ]
        at: dict[str, list[int]] = {}
        near_at: dict[str, set[int]] = {}
        for i, syl in enumerate(sylls):
            if syl is None:
                continue
            at.setdefault(syl, []).append(i)
            for v in _variants(syl):
                near_at.setdefault(v, set()).add(i)
        tokens = [(m.start(), m.end(), m.group().lower().rstrip(".")) for m in _WORD.finditer(text)]
        initials = [
            (m.start(), m.end(), m.group())
            for m in re.finditer(r"(?<![A-Za-z])[a-z]{3,8}(?![A-Za-z])", text)
            if m.group() not in _INITIALS_STOP
        ]
        return cls(text, masked, sylls, at, near_at, tokens, initials)

    def starts(self, first: str, fuzzy: bool) -> list[int]:
        exact = self.at.get(first, [])
        if not fuzzy:
            return exact
        near = {i for v in _variants(first) for i in self.near_at.get(v, ())}
        return sorted(set(exact) | {i for i in near if _near(self.sylls[i] or "", first)})


def _cjk_matches(t: _Text, entry: _Entry) -> list[Match]:
    sylls, text, masked = t.sylls, t.text, t.masked
    found: list[Match] = []
    for core in entry.cjk:
        n = len(core)
        for i in t.starts(core[0], fuzzy=n >= 4):
            k, exact, all_exact = 0, 0, 0
            while k < n and i + k < len(sylls) and sylls[i + k] is not None:
                syl = sylls[i + k]
                if syl == core[k]:
                    exact += 1
                elif not (n >= 4 and _near(syl or "", core[k])):
                    break
                k += 1
                all_exact = k if exact == k else all_exact
            if k < n and exact < k and all_exact >= 2:
                k = exact = all_exact  # 永辉超市看…: 看 (kan) is not 南 (nan) of 南京路店
            if k < 2 or exact < k - 1 or (k < n and exact < k):
                continue
            typed = text[i : i + k]
            if k < n and k == 2 and not _short_ok(text, masked, i, i + k):
                continue
            how = "name" if k == n else "part"
            if exact < k:
                how = "typo"
            elif typed not in entry.name and k == n:
                how = "sound"  # Traditional characters, or a typo of the same sound
            score = (k / n) * (0.85 if how == "typo" else 1.0) * (0.5 + 0.5 * min(k, 4) / 4)
            found.append(Match(entry.customer_id, entry.name, i, i + k, score, how))
    return found


def _short_ok(text: str, masked: list[bool], start: int, end: int) -> bool:
    """A two-character part names a customer only as a word of its own (国际会展 | 宏远 电话)."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    left = not _CJK.match(before) or before in _BEFORE_SHORT or masked[start - 1]
    right = not _CJK.match(after) or masked[end] if end < len(text) else True
    return left and right


_WORD = re.compile(r"[A-Za-zА-Яа-яЁё0-9][A-Za-zА-Яа-яЁё0-9_'&.-]*")  # Acme的人: Acme


def _word_matches(t: _Text, entry: _Entry) -> list[Match]:
    tokens = t.tokens
    found: list[Match] = []
    for core in entry.words:
        n = len(core)
        for i in range(len(tokens)):
            best_k, typos = 0, 0
            for start_in_core in range(n):
                k, t = 0, 0
                while start_in_core + k < n and i + k < len(tokens):
                    if _word_same(tokens[i + k][2], core[start_in_core + k]):
                        pass
                    elif _word_near(tokens[i + k][2], core[start_in_core + k]):
                        t += 1
                    else:
                        break
                    k += 1
                named = [w for w in core[start_in_core : start_in_core + k] if w not in _GENERIC]
                if k and named and (k == n or len(named[0]) >= 4) and k > best_k:
                    best_k, typos = k, t
            if best_k == 0:
                continue
            start, end = tokens[i][0], tokens[i + best_k - 1][1]
            how = "name" if best_k == n and not typos else "typo" if typos else "word"
            score = (best_k / n) * (0.85 if typos else 1.0)
            found.append(Match(entry.customer_id, entry.name, start, end, max(score, 0.5), how))
    return found


def _word_same(typed: str, word: str) -> bool:
    if typed == word:
        return True
    # Russian endings: в Ромашке, в Северном Металле
    if re.match(r"[а-яё]", word) and len(word) >= 5:
        common = len(_common_prefix(typed, word))
        return common >= max(4, len(word) - 2) and len(typed) - common <= 3
    return False


def _word_near(typed: str, word: str) -> bool:
    return len(word) >= 4 and len(typed) >= 3 and Levenshtein.distance(typed, word) <= 1


def _common_prefix(a: str, b: str) -> str:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[:i]


def _initials_matches(t: _Text, entry: _Entry) -> list[Match]:
    found = []
    for start, end, word in t.initials:
        for initials in entry.initials:
            if initials == word or (len(word) >= 4 and initials.startswith(word)):
                found.append(Match(entry.customer_id, entry.name, start, end, 0.9, "initials"))
                break
    return found


def find_customers(text: str, masked: list[bool], customers: list[tuple[int, str]]) -> list[Match]:
    """Every place a customer is named, best first; masked characters (dates) are skipped."""
    found: list[Match] = []
    t = _Text.of(text, masked)
    for cid, name in customers:
        entry = _entry(cid, name)
        if entry.cjk and t.at:
            found += _cjk_matches(t, entry)
        if entry.words and t.tokens:
            found += _word_matches(t, entry)
        if entry.initials and t.initials:
            found += _initials_matches(t, entry)
    if not found:
        found = _fuzzy_runs(text, masked, customers)
    found.sort(key=lambda m: (-m.score, -(m.end - m.start), m.start))
    return found


_RUN = re.compile(r"[\u3400-\u9fff]{3,}")


def _fuzzy_runs(text: str, masked: list[bool], customers: list[tuple[int, str]]) -> list[Match]:
    """Last resort: a run of Chinese characters close to a name with a word left out or added
    (永辉南京路店 for 永辉超市南京路店)."""
    plain = "".join(" " if masked[i] else c for i, c in enumerate(text))
    found = []
    for run in _RUN.finditer(plain):
        for cid, name in customers:
            for core in _cores(name):
                if not _CJK.search(core):
                    continue
                for length in range(max(3, len(core) - 3), len(core) + 2):
                    piece = run.group()[:length]
                    if fuzz.ratio(piece, core) >= 80 and piece[:2] == core[:2]:
                        end = run.start() + len(piece)
                        found.append(Match(cid, name, run.start(), end, 0.6, "typo"))
                        break
    return found


def nearest(typed: str, customers: list[tuple[int, str]], limit: int = 3) -> list[tuple[int, str]]:
    """The customers whose names look most like typed text, for a "did you mean" question."""
    from rapidfuzz import process

    if not typed.strip() or not customers:
        return []
    keyed = {cid: f"{name} {' '.join(lazy_pinyin(name))}" for cid, name in customers}
    query = f"{typed} {' '.join(lazy_pinyin(typed))}"
    best = process.extract(query, keyed, scorer=fuzz.partial_ratio, limit=limit)
    names = dict(customers)
    return [(cid, names[cid]) for _text, _score, cid in best]
