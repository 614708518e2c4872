"""Money rows rewritten so that a solver can tell one minor unit from none at any magnitude.

A solver checks a row to about 1e-9 of its size, so at a 10,000,000,000,000 budget it cannot tell
a plan three cents over from one within; its bound then counts plans that break the budget. When
every column of a row is a whole number (creators, posts), the row is an equation between whole
numbers once its decimals are cleared (``D``: the common denominator of what was written):
``U - sum A_j x_j = s`` with a whole slack ``s >= 0``. Written in base ``M`` (a power of ten)
with carries, that one equation becomes ``K`` small ones, digit by digit:

    T_0 + s_0 + M c_0 = u_0
    T_k + s_k + M c_k - c_(k-1) = u_k        (0 < k < K - 1)
    T_(K-1) + s_top - c_(K-2) = u_(K-1)

where ``T_k = sum_j a_jk x_j`` sums the k-th digits of the coefficients, ``0 <= s_k < M`` are the
slack's digits (``s_top >= 0`` its top part) and ``c_k`` are whole carries. Multiplying row ``k``
by ``M^k`` and adding gives the original equation back, and every whole solution of the original
gives whole digits and carries, so the rewritten rows hold for exactly the same whole plans. Each
row's size is about ``M x (most posts)``, kept below 1e7, and ``M`` is at most 10,000: the rows
are well scaled, a solver computes them far inside its default tolerance (it must be solved at
that tolerance, not a tighter one, or it may lose whole plans to its own rounding), and one unit
is far above it.

The coefficients come from the model's floats as the decimals they print as. A sum or a product
of written amounts (product plus handling cost, a fee times posts, a share times the budget) is
within 2^-51 of itself (four ulps) of the exact one, so each rewritten row is loosened by four
ulps of every coefficient times its column's upper bound and of the limit; for a cap, by 2^-50
of the cap (every plan within it spends at most the cap). Only rows of positive coefficients and
a non-zero limit are rewritten (the budget, money caps and floors, budget shares): a coefficient
made by cancelling two amounts (a fee less its share of the total in a spend-share row, profit or
cost ceilings) is within a few ulps of the amounts, not of itself, and such a row is left as it
was. The row's activity is a whole number of units for whole columns, so the allowance rounds
down to whole units (to nothing when it is below one unit: in a currency with cents, caps up to
about 1.1e13): a relaxation of the exact rule, hence a valid bound, and as tight as the exact rule.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from mixopt.scenario.money import exact
from mixopt.solvers.types import LinearArrays

__all__ = ["with_exact_rows", "ROW_SIZE"]

#: The largest row size (in whole units) the rewritten rows may reach: far inside what a solver
#: computes to better than its default row tolerance of 1e-7.
ROW_SIZE = 1e7

#: The base of the digits is at most 10 to this power: coefficients from 1 to 10,000, well scaled.
BASE_DIGITS = 4


_Rows = list[tuple[list[int], list[float], float]]  # (columns, coefficients, right-hand side)
_Cols = list[tuple[float, float, str]]  # (lower, upper, name)


def _digits(value: int, base: int, count: int) -> list[int]:
    """``count`` signed base-``base`` digits of ``value`` (the last takes what is left)."""
    sign, rest, out = (-1 if value < 0 else 1), abs(value), []
    for _ in range(count - 1):
        rest, digit = divmod(rest, base)
        out.append(sign * digit)
    out.append(sign * rest)
    return out


def with_exact_rows(arrays: LinearArrays, rows: set[str]) -> LinearArrays | None:
    """``arrays`` with each named row that can be rewritten replaced by its digit rows (the others
    left as they are), or None when none of them can be."""
    position = {name: i for i, name in enumerate(arrays.row_names)}
    lower, upper = arrays.row_lower.copy(), arrays.row_upper.copy()
    new_rows: _Rows = []
    new_cols: _Cols = []
    n = arrays.num_col
    for name in sorted(rows):
        rewritten = _digit_rows(arrays, position.get(name), name, n + len(new_cols))
        if rewritten is None:
            continue  # left as it is: the solver's own row is still a relaxation of the exact rule
        rows_added, cols_added = rewritten
        new_rows += rows_added
        new_cols += cols_added
        lower[position[name]], upper[position[name]] = -math.inf, math.inf  # the digit rows hold it now
    if not new_rows:
        return None
    extra = len(new_cols)
    starts = list(arrays.starts.tolist())
    index = list(arrays.index.tolist())
    value = list(arrays.value.tolist())
    names = list(arrays.row_names)
    for k, (c, v, rhs) in enumerate(new_rows):
        index += c
        value += v
        starts.append(len(index))
        names.append(f"exact_digit_{k}")
    return LinearArrays(
        names=arrays.names + [name for _, _, name in new_cols],
        col_lower=np.concatenate([arrays.col_lower, [low for low, _, _ in new_cols]]),
        col_upper=np.concatenate([arrays.col_upper, [high for _, high, _ in new_cols]]),
        integer=np.concatenate([arrays.integer, np.ones(extra, dtype=bool)]),
        row_names=names,
        row_lower=np.concatenate([lower, [rhs for _, _, rhs in new_rows]]),
        row_upper=np.concatenate([upper, [rhs for _, _, rhs in new_rows]]),
        starts=np.array(starts, dtype=np.int64),
        index=np.array(index, dtype=np.int64),
        value=np.array(value, dtype=float),
        costs=[np.concatenate([c, np.zeros(extra)]) for c in arrays.costs],
        stage_labels=list(arrays.stage_labels),
    )



def _digit_rows(arrays: LinearArrays, i: int | None, name: str, first_new: int) -> tuple[_Rows, _Cols] | None:
    """Row ``i``'s digit rows and their new slack and carry columns (numbered from ``first_new``),
    or None when it cannot be rewritten: a continuous or unbounded column, an equality, a row too
    large, or coefficients of both signs or a limit of zero (a spend share, a ROI or cost ceiling:
    a coefficient made by cancelling two amounts is only within a few ulps of those amounts, not of
    itself, so the allowance below would not cover it)."""
    if i is None:
        return None
    cols = arrays.index[arrays.starts[i]:arrays.starts[i + 1]].tolist()
    coefs = arrays.value[arrays.starts[i]:arrays.starts[i + 1]].tolist()
    if not cols or not all(bool(arrays.integer[j]) for j in cols) or not all(c > 0 for c in coefs):
        return None
    if not all(float(arrays.col_lower[j]) >= 0 for j in cols):
        return None
    most = [float(arrays.col_upper[j]) for j in cols]
    lower, upper = float(arrays.row_lower[i]), float(arrays.row_upper[i])
    if not all(math.isfinite(m) for m in most) or lower == upper:
        return None  # an equality cannot be loosened into a relaxation
    sides = [(sign, limit) for sign, limit in ((1, upper), (-1, lower)) if math.isfinite(limit)]
    if not sides or any(limit == 0 for _, limit in sides):
        return None
    total = sum(most)
    power = math.floor(math.log10(ROW_SIZE / max(total, 1.0)))
    if power < 1:
        return None
    base = 10 ** min(power, BASE_DIGITS)
    written = [exact(c) for c in coefs]
    new_rows: _Rows = []
    new_cols: _Cols = []
    for sign, limit in sides:  # sign * sum a x <= sign * limit
        bound = exact(limit)
        denominator = math.lcm(bound.denominator, *(w.denominator for w in written))
        looser = 4 * (sum(math.ulp(c) * m for c, m in zip(coefs, most)) + math.ulp(limit))
        if sign == 1 and limit > 0:
            # a cap over spend alone: every number is within 2^-51 of itself of the exact one, so
            # on any plan within the cap the drift is at most 2^-51 of the cap, twice
            looser = min(looser, 2.0 ** -50 * limit * (1 + 1e-9))
        whole = [int(sign * w * denominator) for w in written]
        limit_units = int(sign * bound * denominator) + math.floor(Fraction(looser) * denominator)
        widest = max([abs(limit_units), *(abs(w) for w in whole)])
        count = 1
        while base ** count <= widest:
            count += 1
        coef_digits = [_digits(w, base, count) for w in whole]
        rhs_digits = _digits(limit_units, base, count)
        start = first_new + len(new_cols)
        slack = [start + k for k in range(count)]  # digits, then the top part last
        carry = [start + count + k for k in range(count - 1)]
        # each carry's range follows from its row (M c_k = u_k - T_k - s_k + c_(k-1)); stated
        # as bounds, so the solver never works with a free whole column
        ranges, low, high = [], 0, 0
        for k in range(count):
            t_low = sum(min(d[k], 0) * int(m) for d, m in zip(coef_digits, most))
            t_high = sum(max(d[k], 0) * int(m) for d, m in zip(coef_digits, most))
            if k == count - 1:
                top_high = max(rhs_digits[k] - t_low + high, 0)
            else:
                low = -((-(rhs_digits[k] - t_high - (base - 1) + low)) // base)  # ceiling
                high = (rhs_digits[k] - t_low + high) // base
                ranges.append((float(low), float(high)))
        for k in range(count):
            new_cols.append((0.0, float(top_high) if k == count - 1 else float(base - 1), f"{name}_slack{sign}_{k}"))
        for k in range(count - 1):
            new_cols.append((*ranges[k], f"{name}_carry{sign}_{k}"))
        for k in range(count):
            c = [j for j, d in zip(cols, coef_digits) if d[k] != 0]
            v = [float(d[k]) for d in coef_digits if d[k] != 0]
            c.append(slack[k])
            v.append(1.0)
            if k < count - 1:
                c.append(carry[k])
                v.append(float(base))
            if k > 0:
                c.append(carry[k - 1])
                v.append(-1.0)
            new_rows.append((c, v, float(rhs_digits[k])))
    return new_rows, new_cols
