"""Money as the library writes it: an amount in the deployment's currency (`LIBRARY_CURRENCY`, an ISO 4217 code),
as `USD 0.75`, with that currency's minor-unit digits (`JPY 1`, `KWD 0.750`).

Python's standard library has no ISO 4217 table, and the layer takes no dependency for one: the codes of the
currencies in use and the minor units that are not 2 are ISO 4217's (list one, 2025), funds, precious metals and
test codes left out, as nobody is fined in them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
    CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG
    HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
    MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
_WITHOUT_MINOR_UNIT = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THOUSANDTHS = "BHD IQD JOD KWD LYD OMR TND"

ISO_4217 = frozenset(_CODES.split())
# Every other currency has 2 (cents).
_MINOR_DIGITS = {**dict.fromkeys(_WITHOUT_MINOR_UNIT.split(), 0), **dict.fromkeys(_THOUSANDTHS.split(), 3)}


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency, 2)


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency: USD 0.01, JPY 1, KWD 0.001."""
    return Decimal(1).scaleb(-minor_digits(currency))


def in_minor_units(amount: Decimal, currency: str) -> bool:
    """Whether the amount is a whole number of the currency's minor unit, so that `money` writes it as it is (JPY
    0.25 would read "JPY 0")."""
    return amount % minor_unit(currency) == 0


def not_in_minor_units(currency: str) -> str:
    """What an amount that is not `in_minor_units` is refused with."""
    if minor_digits(currency) == 0:
        return f"must be a whole number of {currency}, which has no minor unit"
    return f"must be a whole number of {currency} {minor_unit(currency)}, the currency's minor unit"


def money(amount: Decimal, currency: str) -> str:
    """`USD 0.75`: the code, a space, the amount rounded half up to the currency's minor unit (as PostgreSQL's
    numeric cast rounds, which `notices.money_text` uses)."""
    return f"{currency} {amount.quantize(minor_unit(currency), ROUND_HALF_UP)}"
