"""Campaign texts: the placeholders a template may use, checking and filling them."""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter
from typing import NamedTuple

# ---------------------------------------------------------------- templates

PLACEHOLDERS = ("name", "company", "rep")


class TemplateProblem(NamedTuple):
    kind: str  # "unknown" (a placeholder we do not fill) or "braces" (a brace not matched)
    placeholder: str


def template_problem(text: str) -> TemplateProblem | None:
    """Why a typed template cannot be used, or None. Only {name}, {company} and {rep}."""
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        return TemplateProblem("braces", "")
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return TemplateProblem("unknown", "{" + shown + "}")
    return None


def fill(text: str, *, name: str, company: str, rep: str) -> str:
    """A checked template with its placeholders filled ("{{" stays a literal brace)."""
    return text.format_map({"name": name, "company": company, "rep": rep})


# Whose text a reader gets when none was written in their language: the nearest one first
# (Traditional and Simplified Chinese stand in for each other, English for Russian).
FALLBACKS = {
    "zh_CN": ("zh_TW", "en", "ru"),
    "zh_TW": ("zh_CN", "en", "ru"),
    "en": ("zh_CN", "zh_TW", "ru"),
    "ru": ("en", "zh_CN", "zh_TW"),
}


def pick_template(templates: Mapping[str, str], locale: str) -> str:
    """The text in the reader's language, else the nearest written one, else any other."""
    for code in (locale, *FALLBACKS.get(locale, ())):
        if templates.get(code):
            return templates[code]
    return next((t for t in templates.values() if t), "")
