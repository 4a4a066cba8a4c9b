"""The gettext catalogs agree with the source: complete, not stale, same placeholders and tags.

Extraction here mirrors the command that makes locales/messages.pot:

    pybabel extract -F babel.cfg -k T -k TN:1,2 --no-location --sort-output --omit-header \
        -o locales/messages.pot .
    pybabel update -i locales/messages.pot -d locales -D messages --no-wrap --ignore-obsolete

When a test here fails, run those two commands, then fill the msgstrs it lists.
"""

from __future__ import annotations

import ast
import gettext
import io
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations
from babel.util import pathmatch

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
DOMAIN = "messages"
KEYWORDS = {"T": None, "TN": (1, 2)}
# Same as babel.cfg; used if that file cannot be read.
DEFAULT_METHOD_MAP = [
    ("handlers/**.py", "python"),
    ("bot/**.py", "python"),
    ("scheduler/**.py", "python"),
]
HEADERS = {
    "zh_CN": {"Language": "zh_CN", "Plural-Forms": "nplurals=1; plural=0;"},
    "en": {"Language": "en", "Plural-Forms": "nplurals=2; plural=(n != 1);"},
    "zh_TW": {"Language": "zh_TW", "Plural-Forms": "nplurals=1; plural=0;"},
    "ru": {
        "Language": "ru",
        # Babel's (and CLDR's) Russian: one (1, 21, 101), few (2-4, 22-24), many (0, 5-20, 11-14).
        "Plural-Forms": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);",
    },
}
# n → the msgstr index a Russian reader must get for it.
RU_FORMS = {1: 0, 21: 0, 101: 0, 2: 1, 3: 1, 4: 1, 22: 1, 0: 2, 5: 2, 11: 2, 12: 2, 14: 2, 25: 2}
LOCALES = tuple(HEADERS)

# Literal T()/TN() calls that `pybabel extract` does not see (its Python extractor skips a
# keyword call nested in the arguments of another one). Each is a source bug: hoist the inner
# call out of the outer T(...) so it is extracted, then delete it from here.
# Calls pybabel cannot see (a T() nested in another T()'s arguments); keep this empty.
KNOWN_NOT_EXTRACTED: set[str] = set()

MsgId = str | tuple[str, str]  # a T msgid, or a TN (singular, plural)
TAG = re.compile(r"</?[A-Za-z][^<>]*>")


# ---------------------------------------------------------------- loading


def _method_map() -> list[tuple[str, str]]:
    cfg = ROOT / "babel.cfg"
    if cfg.exists():
        with cfg.open() as fh:
            method_map, _options = parse_mapping_cfg(fh, str(cfg))
        if method_map:
            return list(method_map)
    return DEFAULT_METHOD_MAP


def _key(msgid: MsgId) -> str:
    """How a Catalog indexes a message: by its singular."""
    return msgid[0] if isinstance(msgid, tuple) else msgid


@cache
def source_messages() -> dict[MsgId, tuple[str, ...]]:
    """msgid (or (singular, plural)) → 'file:line' where `pybabel extract` finds it."""
    found: dict[MsgId, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), _method_map(), keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
    ):
        if not _key(message):
            continue
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    assert found, "no messages extracted: is the method map / keyword list right?"
    return {k: tuple(v) for k, v in found.items()}


@cache
def catalog(locale: str) -> Catalog:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fh:
        # abort_invalid: a malformed file (e.g. more msgstr[i] than nplurals) is an error here.
        try:
            return read_po(fh, locale=locale, domain=DOMAIN, abort_invalid=True)
        except PoFileError as exc:
            pytest.fail(
                f"{path.relative_to(LOCALES_DIR.parent)} is malformed: {exc}", pytrace=False
            )


def entries(locale: str) -> Iterator[Message]:
    """The catalog's messages, without the header entry."""
    return (m for m in catalog(locale) if m.id)


def _show(msgid: MsgId) -> str:
    return repr(msgid[0]) + " / " + repr(msgid[1]) if isinstance(msgid, tuple) else repr(msgid)


def _report(title: str, problems: list[str]) -> str:
    return f"{title} ({len(problems)}):\n" + "\n".join(f"  - {p}" for p in problems)


def _forms(m: Message) -> list[tuple[str, str]]:
    """(label, msgstr) for each form of a message."""
    if isinstance(m.id, tuple):
        strings = m.string if isinstance(m.string, tuple | list) else (m.string,)
        return [(f"msgstr[{i}]", s or "") for i, s in enumerate(strings)]
    return [("msgstr", m.string or "")]


def _msgid_forms(m: Message) -> list[str]:
    return list(m.id) if isinstance(m.id, tuple) else [m.id]


def placeholders(text: str) -> set[str]:
    """Names used by str.format fields: '{a} {b.c} {d[0]:>3}' → {'a', 'b', 'd'}."""
    names = set()
    for _literal, field, spec, _conversion in Formatter().parse(text):
        if field is None:
            continue
        names.add(re.split(r"[.\[]", field, maxsplit=1)[0])
        if spec:
            names |= placeholders(spec)
    return names


def tags(text: str) -> Counter[str]:
    return Counter(TAG.findall(text))


# ---------------------------------------------------------------- tests


def _same_plurals(actual: str, expected: str) -> bool:
    """Two Plural-Forms headers with the same nplurals that pick the same form for every n."""

    def parse(header: str) -> tuple[str, Callable[[int], int]] | None:
        found = re.fullmatch(r"\s*nplurals=(\d+);\s*plural=(.+?);?\s*", header)
        if found is None:
            return None
        try:
            return found.group(1), gettext.c2py(found.group(2))
        except (ValueError, SyntaxError):
            return None

    a, e = parse(actual), parse(expected)
    return (
        a is not None
        and e is not None
        and a[0] == e[0]
        and all(a[1](n) == e[1](n) for n in range(1000))
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_header(locale: str) -> None:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    text = path.read_text(encoding="utf-8")
    problems = []
    for name, expected in HEADERS[locale].items():
        found = re.search(rf'^"{re.escape(name)}: (.*?)\\n"$', text, re.MULTILINE)
        actual = found.group(1) if found else None
        if name == "Plural-Forms" and actual and _same_plurals(actual, expected):
            continue  # written differently (Babel versions do), choosing the same forms
        if actual != expected:
            problems.append(f"{name}: expected {expected!r}, found {actual!r}")
    if catalog(locale).fuzzy:
        problems.append("the header entry is marked fuzzy")
    if problems:
        pytest.fail(
            _report(f"{path.relative_to(LOCALES_DIR.parent)} header", problems), pytrace=False
        )


@pytest.mark.parametrize("locale", LOCALES)
def test_every_source_message_is_translated(locale: str) -> None:
    cat = catalog(locale)
    problems = []
    for msgid, where in sorted(source_messages().items(), key=lambda kv: _key(kv[0])):
        m = cat.get(_key(msgid))
        if m is None:
            problems.append(f"missing: {_show(msgid)}  (from {', '.join(where)})")
            continue
        if isinstance(msgid, tuple) != isinstance(m.id, tuple) or (
            isinstance(msgid, tuple) and tuple(m.id) != msgid
        ):
            problems.append(
                f"singular/plural mismatch: source {_show(msgid)}, catalog {_show(m.id)}"
            )
            continue
        if m.fuzzy:
            problems.append(f"fuzzy: {_show(msgid)}")
        if isinstance(msgid, tuple) and len(_forms(m)) != cat.num_plurals:
            problems.append(
                f"{len(_forms(m))} plural forms instead of {cat.num_plurals}: {_show(msgid)}"
            )
        empty = [label for label, s in _forms(m) if not s.strip()]
        if empty:
            problems.append(f"empty {', '.join(empty)}: {_show(msgid)}")
    if problems:
        pytest.fail(_report(f"{locale}: untranslated messages", problems), pytrace=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_stale_entries(locale: str) -> None:
    wanted = {_key(k) for k in source_messages()}
    stale = sorted(_show(m.id) for m in entries(locale) if _key(m.id) not in wanted)
    if stale:
        pytest.fail(
            _report(
                f"{locale}: entries the source no longer has (pybabel update --ignore-obsolete)",
                stale,
            ),
            pytrace=False,
        )


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match(locale: str) -> None:
    problems = []
    for m in entries(locale):
        try:
            allowed = [placeholders(s) for s in _msgid_forms(m)]
        except ValueError as exc:
            problems.append(f"msgid is not a valid format string ({exc}): {_show(m.id)}")
            continue
        for label, s in _forms(m):
            if not s:
                continue  # reported by test_every_source_message_is_translated
            try:
                names = placeholders(s)
            except ValueError as exc:
                problems.append(f"{label} is not a valid format string ({exc}): {_show(m.id)}")
                continue
            # A plural form must use the names of the singular or of the plural msgid.
            if names not in allowed:
                expected = " or ".join(str(sorted(a)) for a in allowed)
                problems.append(
                    f"{label} has {sorted(names)}, msgid has {expected}: {_show(m.id)} → {s!r}"
                )
    if problems:
        pytest.fail(_report(f"{locale}: {{placeholder}} names differ", problems), pytrace=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_html_tags_match(locale: str) -> None:
    problems = []
    for m in entries(locale):
        allowed = [tags(s) for s in _msgid_forms(m)]
        for label, s in _forms(m):
            if s and tags(s) not in allowed:
                problems.append(
                    f"{label} has tags {sorted(tags(s).elements())}, msgid has "
                    f"{sorted(allowed[0].elements())}: {_show(m.id)} → {s!r}"
                )
    if problems:
        pytest.fail(_report(f"{locale}: HTML tags differ", problems), pytrace=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_renders(locale: str) -> None:
    """Compile as bot.i18n does, look up every source message and format it with dummy values."""
    buf = io.BytesIO()
    write_mo(buf, catalog(locale))
    buf.seek(0)
    tr = Translations(fp=buf, domain=DOMAIN)
    problems = []
    for msgid in sorted(source_messages(), key=_key):
        ids = list(msgid) if isinstance(msgid, tuple) else [msgid]
        try:
            # What the code passes: the msgid's names (TN always adds n).
            names = set().union(*(placeholders(s) for s in ids))
        except ValueError as exc:
            problems.append(f"msgid is not a valid format string ({exc}): {_show(msgid)}")
            continue
        if isinstance(msgid, tuple):
            cases = [(n, tr.ngettext(msgid[0], msgid[1], n)) for n in (0, 1, 2, 5, 21)]
            names.add("n")
        else:
            cases = [(None, tr.gettext(msgid))]
        for n, template in cases:
            params = {name: f"<{name}>" for name in names}
            if n is not None:
                params["n"] = str(n)
            try:
                template.format(**params)
            except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
                when = f" (n={n})" if n is not None else ""
                problems.append(f"{type(exc).__name__}: {exc}{when}: {_show(msgid)} → {template!r}")
    if problems:
        pytest.fail(_report(f"{locale}: messages that fail to render", problems), pytrace=False)


def test_supported_locales_have_catalogs() -> None:
    """Every locale the bot offers is checked here, and has its catalog."""
    from bot.i18n import SUPPORTED

    assert set(SUPPORTED) == set(LOCALES)
    missing = [
        loc for loc in LOCALES if not (LOCALES_DIR / loc / "LC_MESSAGES" / f"{DOMAIN}.po").exists()
    ]
    assert not missing, f"no catalog for {missing}"


def test_russian_plural_forms() -> None:
    """Each plural message has three filled Russian forms, and n picks the one CLDR says."""
    cat = catalog("ru")
    assert cat.num_plurals == 3
    buf = io.BytesIO()
    write_mo(buf, cat)
    buf.seek(0)
    tr = Translations(fp=buf, domain=DOMAIN)
    plural = [m for m in entries("ru") if isinstance(m.id, tuple)]
    assert plural, "the catalog has no plural messages"
    problems = []
    for m in plural:
        forms = [s for _label, s in _forms(m)]
        if len(forms) != 3 or not all(s.strip() for s in forms):
            problems.append(f"not three filled forms: {_show(m.id)} → {forms!r}")
            continue
        for n, index in RU_FORMS.items():
            got = tr.ngettext(m.id[0], m.id[1], n)
            if got != forms[index]:
                problems.append(f"n={n} gave {got!r}, not form {index}: {_show(m.id)}")
                break
    if problems:
        pytest.fail(_report("ru: plural forms", problems), pytrace=False)


def _calls() -> tuple[dict[MsgId, list[str]], list[str]]:
    """T("…") / TN("…", "…", …) calls in the extracted files, found with the ast module:
    msgid → 'file:line', and the calls whose msgid is not a string literal."""
    patterns = [pattern for pattern, method in _method_map() if method == "python"]
    found: dict[MsgId, list[str]] = {}
    not_literal: list[str] = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        for filename in filenames:
            path = Path(dirpath) / filename
            rel = path.relative_to(ROOT).as_posix()
            if not any(pathmatch(p, rel) for p in patterns):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), rel)):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                arity = {"T": 1, "TN": 2}.get(node.func.id)
                if arity is None:
                    continue
                args = node.args[:arity]
                where = f"{rel}:{node.lineno}"
                if len(args) < arity or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args
                ):
                    not_literal.append(f"{ast.unparse(node)[:80]}  ({where})")
                    continue
                values = [a.value for a in args]  # type: ignore[attr-defined]
                msgid: MsgId = values[0] if arity == 1 else (values[0], values[1])
                found.setdefault(msgid, []).append(where)
    return found, not_literal


def test_pybabel_extracts_every_call() -> None:
    """A T()/TN() call pybabel does not see is never translated: the reader gets English."""
    extracted = set(source_messages())
    calls, not_literal = _calls()
    problems = [f"msgid is not a string literal, cannot be extracted: {c}" for c in not_literal]
    for msgid, where in sorted(calls.items(), key=lambda kv: _key(kv[0])):
        if msgid not in extracted and msgid not in KNOWN_NOT_EXTRACTED:
            problems.append(
                f"not extracted by pybabel (nested in another T()/TN() call?): {_show(msgid)} "
                f"({', '.join(where)})"
            )
    for msgid in sorted(KNOWN_NOT_EXTRACTED):
        if msgid in extracted or msgid not in calls:
            problems.append(
                f"{msgid!r} is now extracted or gone: remove it from KNOWN_NOT_EXTRACTED "
                "(and translate it if it is extracted)"
            )
    if problems:
        pytest.fail(
            _report("T()/TN() calls that the catalogs cannot cover", problems), pytrace=False
        )
