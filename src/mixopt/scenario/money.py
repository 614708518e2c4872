"""Money held exactly: each currency's minor unit, exact sums, and USD defaults in another currency.

Budgets, money caps and money floors hold to half a minor unit of the scenario's currency at any
magnitude (FORMULATION.md section 1). Floats cannot promise that at 1e13 (their spacing there is
about 0.002), so the rule checks add money as exact fractions of the decimal values the planner
wrote (``exact``), and compare with an absolute tolerance of half a minor unit, never a relative one.

Minor units follow ISO 4217 (list one, the number of decimals of each currency): two decimals
unless the table below says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

import numpy as np

__all__ = [
    "USD", "MINOR_UNIT_DIGITS", "minor_digits", "minor_unit", "half_unit", "is_currency_code", "exact", "exact_sum",
    "exact_dot", "scaled_decimals", "round_money", "MONEY_PARAMETERS",
]

USD = "USD"

#: Currencies whose minor unit is not a hundredth (ISO 4217 list one, "minor unit" column).
MINOR_UNIT_DIGITS: dict[str, int] = {
    # no minor unit in use: amounts are whole units
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IDR": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    # thousandths
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

#: Assumptions whose unit is money (per post or per creator): converted with ``fx_per_usd``.
MONEY_PARAMETERS = ("fee_per_post", "product_cost", "handling_cost")


def is_currency_code(text: str) -> bool:
    """Three capital letters, the shape of an ISO 4217 code (USD, EUR, IDR)."""
    return len(text) == 3 and text.isascii() and text.isalpha() and text.isupper()


def minor_digits(currency: str) -> int:
    """Decimals of the currency's minor unit: 2 unless ISO 4217 gives it another (IDR, JPY: 0)."""
    return MINOR_UNIT_DIGITS.get(currency, 2)


def minor_unit(currency: str) -> Fraction:
    """The currency's smallest unit as an exact fraction: 1/100 for USD, 1 for IDR."""
    return Fraction(1, 10 ** minor_digits(currency))


def half_unit(currency: str) -> Fraction:
    """The money tolerance of every rule check: half a minor unit, absolute."""
    return minor_unit(currency) / 2


def exact(value: float | int | Fraction) -> Fraction:
    """The decimal a planner wrote, exactly: ``exact(0.1) == Fraction(1, 10)`` (not the binary float)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite amount: {value!r}")
    return Fraction(repr(number))


def exact_sum(values: Iterable[float | int | Fraction]) -> Fraction:
    """The exact sum of decimal amounts."""
    return sum((exact(v) for v in values), Fraction(0))


def scaled_decimals(amounts: np.ndarray) -> tuple[np.ndarray, int] | None:
    """The amounts as whole numbers of 1/10**d (d = 0, 2, 4 or 6, the fewest that fit), when every
    amount is one with at most 15 digits: its float is then the nearest to exactly that decimal
    and no other decimal of 15 digits shares it. None otherwise."""
    amounts = np.asarray(amounts, dtype=float)
    for digits in (0, 2, 4, 6):
        scaled = np.round(amounts * 10.0 ** digits)
        if np.all(np.abs(scaled) < 1e15) and np.all(scaled / 10.0 ** digits == amounts):
            return scaled, digits
    return None


def exact_dot(amounts: np.ndarray, counts: np.ndarray) -> Fraction:
    """sum(amount_i x count_i) exactly, for decimal amounts and whole counts (the spend of many creators).

    Fast path: when every amount is a whole number of 1/10**d (:func:`scaled_decimals`), the
    amounts are summed as integers of 1/10**d; otherwise as fractions.
    """
    amounts = np.asarray(amounts, dtype=float)
    counts = np.asarray(counts, dtype=float)
    keep = counts != 0
    amounts, counts = amounts[keep], counts[keep]
    if len(amounts) == 0:
        return Fraction(0)
    if np.all(counts == np.round(counts)) and np.all(np.abs(counts) < 2.0 ** 53):
        found = scaled_decimals(amounts)
        if found is not None:
            scaled, digits = found
            if float(np.abs(scaled).max()) * float(np.abs(counts).max()) * len(scaled) < 2.0 ** 62:
                # whole numbers whose products and sum stay far inside int64: exact in numpy
                total = int((scaled.astype(np.int64) * counts.astype(np.int64)).sum())
            else:
                total = sum(int(k) * int(c) for k, c in zip(scaled.tolist(), counts.tolist()))
            return Fraction(total, 10 ** digits)
    return sum((exact(a) * exact(c) for a, c in zip(amounts.tolist(), counts.tolist())), Fraction(0))


def round_money(value: float, currency: str) -> float:
    """An amount rounded to the currency's minor unit (half away from zero), as a float."""
    unit = minor_unit(currency)
    steps = exact(value) / unit
    whole = math.floor(abs(steps) + Fraction(1, 2))
    return float(math.copysign(1, value) * whole * unit)
