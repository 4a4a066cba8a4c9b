"""Money is exact: amounts as typed (digits, units, Chinese numerals), their storage and sums,
the schedule split, and the display in the reader's locale."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import Renderer
from bot.types import Money
from crm.models.deals import MoneyType
from crm.money import CENT, MAX_AMOUNT, BadAmount, exact, find_amount, parse_amount, total
from crm.services.deals.contracts import split

ROOT = Path(__file__).resolve().parent.parent
UTC = ZoneInfo("UTC")

# Amounts in cents up to the largest accepted, as Decimals with two places.
cents = st.integers(min_value=1, max_value=int(MAX_AMOUNT * 100))
amounts = cents.map(lambda c: Decimal(c).scaleb(-2).quantize(CENT))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("80万", "800000"),
        ("一百二十万", "1200000"),
        ("1.2亿", "120000000"),
        ("八十万元", "800000"),
        ("十二万五千", "125000"),
        ("¥1,200,000.50", "1200000.50"),
        ("1 200 000,50 ₽", "1200000.50"),
        ("800k", "800000"),
        ("1.5m", "1500000"),
        ("120000", "120000"),
        ("3.5万", "35000"),
    ],
)
def test_typed_amounts(typed: str, expected: str) -> None:
    assert parse_amount(typed) == Decimal(expected)
    assert parse_amount(typed).as_tuple().exponent == -2


@pytest.mark.parametrize(
    "typed", ["", "0", "-5", "abc", "12.345", "1e3", "2万亿亿", "3000000000000"]
)
def test_bad_amounts_are_refused(typed: str) -> None:
    with pytest.raises(BadAmount):
        parse_amount(typed)


@given(amounts)
def test_digits_round_trip(amount: Decimal) -> None:
    assert parse_amount(f"{amount}") == amount
    assert parse_amount(f"{amount:,}") == amount
    assert parse_amount(f"¥{amount:,}元") == amount


@given(st.integers(min_value=1, max_value=9999), st.sampled_from(["万", "亿"]))
def test_units_multiply_exactly(n: int, unit: str) -> None:
    scale = Decimal(10000) if unit == "万" else Decimal(100000000)
    # n / 100 with a unit, e.g. 12.34万: exact whatever binary floats would make of it.
    typed = f"{Decimal(n).scaleb(-2)}{unit}"
    assert parse_amount(typed) == exact(Decimal(n).scaleb(-2) * scale)


@given(st.integers(min_value=1, max_value=99999999))
def test_chinese_numerals_match_their_digits(n: int) -> None:
    words = cn2an.an2cn(str(n), "low")
    assert parse_amount(words) == Decimal(n)


@given(st.lists(amounts, max_size=50))
def test_sums_are_exact(values: list[Decimal]) -> None:
    found = total(values)
    assert found == sum(values, Decimal(0))
    assert found.as_tuple().exponent == -2
    # Exactly the sum of the cents as integers: no rounding anywhere.
    assert int(found * 100) == sum(int(v * 100) for v in values)


@given(amounts, st.integers(min_value=1, max_value=24))
def test_split_adds_up_and_differs_by_under_n_cents(amount: Decimal, n: int) -> None:
    parts = split(amount, n)
    assert len(parts) == n and total(parts) == amount
    assert all(p.as_tuple().exponent == -2 for p in parts)
    assert max(parts) - min(parts) < CENT * n


@given(amounts)
def test_storage_is_exact_on_both_databases(amount: Decimal) -> None:
    money = MoneyType()
    for name in ("sqlite", "postgresql"):
        dialect = type("D", (), {"name": name})()
        stored = money.process_bind_param(amount, dialect)
        assert not isinstance(stored, float)
        assert money.process_result_value(stored, dialect) == amount


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        exact(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        MoneyType().process_bind_param(0.1, type("D", (), {"name": "sqlite"})())


@settings(max_examples=50)
@given(amounts)
def test_found_in_a_sentence(amount: Decimal) -> None:
    found = find_amount(f"华能电厂 变压器增容 报价{amount}元 预计1月底签")
    assert found is not None and found[2] == amount


def test_shown_in_the_readers_locale() -> None:
    amount = Decimal("1200000")
    assert Renderer("zh_CN", UTC).value(Money(amount, "CNY", cents=True)) == "¥1,200,000.00"
    assert Renderer("ru", UTC).value(Money(amount, "RUB", cents=True)) == "1\xa0200\xa0000,00\xa0₽"
    assert Renderer("en", UTC).value(Money(Decimal("0.10"), "USD", cents=True)) == "$0.10"


def test_no_float_in_the_money_code() -> None:
    """The deal modules never call float() nor write a float literal."""
    paths = [
        ROOT / "crm" / "money.py",
        ROOT / "crm" / "models" / "deals.py",
        *sorted((ROOT / "crm" / "services" / "deals").glob("*.py")),
    ]
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "float":
                pytest.fail(f"float() in {path.name}:{node.lineno}")
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                pytest.fail(f"float literal in {path.name}:{node.lineno}")


def test_dates_are_not_amounts() -> None:
    assert find_amount("预计1月31日签") is None
    assert find_amount("12月 3点") is None


def test_currency_comes_from_the_rules(tmp_path: Path) -> None:
    from bot.views.deals import money
    from crm.rules import load_rules

    own = tmp_path / "rules.toml"
    own.write_text('[deals]\ncurrency = "RUB"\n', encoding="utf-8")
    rules = load_rules(own)
    shown = Renderer("ru", UTC).value(money(rules, Decimal("1200000")))
    assert shown == "1\xa0200\xa0000,00\xa0₽"
    assert Renderer("zh_CN", UTC).value(money(load_rules(), Decimal("1200000"))) == "¥1,200,000.00"


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("[deals]\nprobability = {proposal = 40, won = 100, lost = 0, maybe = 10}\n", "maybe"),
        ("[deals]\nprobability = {proposal = 140, won = 100, lost = 0}\n", "percents"),
        ('[deals]\ncredit_terms = {D = ["barter"]}\n', "barter"),
        ('[deals]\ncurrency = "yuan"\n', "currency"),
    ],
)
def test_bad_deal_rules_are_refused(tmp_path: Path, toml: str, problem: str) -> None:
    from pydantic import ValidationError

    from crm.rules import load_rules

    own = tmp_path / "rules.toml"
    own.write_text(toml, encoding="utf-8")
    with pytest.raises(ValidationError, match=problem):
        load_rules(own)
