"""Amounts in the library's currency: its ISO 4217 minor unit, and which amounts are whole numbers of it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from library_common.money import in_minor_units, minor_unit, money, not_in_minor_units


@pytest.mark.parametrize(("currency", "unit"), [("USD", "0.01"), ("JPY", "1"), ("KWD", "0.001"), ("IQD", "0.001")])
def test_the_minor_unit_is_iso_4217s(currency, unit):
    assert minor_unit(currency) == Decimal(unit)


@pytest.mark.parametrize(
    ("amount", "currency", "whole"),
    [
        ("0.25", "USD", True),
        ("0.255", "USD", False),
        ("25", "JPY", True),
        ("25.00", "JPY", True),
        ("0.25", "JPY", False),
        ("0.125", "KWD", True),
        ("0.1255", "KWD", False),
    ],
)
def test_an_amount_is_in_minor_units_when_money_writes_it_as_it_is(amount, currency, whole):
    assert in_minor_units(Decimal(amount), currency) is whole
    written = Decimal(money(Decimal(amount), currency).removeprefix(f"{currency} "))
    assert (written == Decimal(amount)) is whole


def test_the_refusal_says_the_unit():
    assert not_in_minor_units("JPY") == "must be a whole number of JPY, which has no minor unit"
    assert not_in_minor_units("USD") == "must be a whole number of USD 0.01, the currency's minor unit"
