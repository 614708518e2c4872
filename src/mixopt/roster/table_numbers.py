"""Numbers written as text in a creator table: decimal marks, thousands separators, and cells that read two ways.

The rule (the README's "Numbers in creator tables"):

- The decimal mark is ``roster.decimal`` when the scenario sets it (``.`` or ``,``).
- With a decimal point (the default), a comma is read only as a thousands separator in groups of
  three digits after a first group of one to three digits that does not start with 0:
  ``26,404`` is 26404 and ``1,200.5`` is 1200.5. Any other comma (``264,04``, ``0,035``,
  ``1,2,3``) is never guessed: the cell is refused by row and column, with the fix.
- With a decimal comma (``roster.decimal: ","``), ``264,04`` is 264.04, and a number written with a
  dot is refused (a dot is neither read as a decimal point nor as a thousands separator there),
  so no value can change its magnitude silently.
- Undeclared, in a table separated by ``;`` or tabs (a spreadsheet export of a decimal-comma
  locale), the number columns whose every filled cell is a whole number or digits, one comma,
  digits (``264,04``, ``0,035``, ``120``) are read with decimal commas when at least one of their
  cells cannot be a thousands separator (``264,04``, ``0,035``; a table of ``1,200`` and ``26,404``
  only could be either, so it is refused) and no number column is written with a decimal point
  (a table that mixes both marks has its comma cells refused). In a comma-separated table, XLSX
  or Parquet, nothing is detected.

Everything is vectorised over a column; only the odd cells of a column are looked at twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ParsedNumbers", "parse_numbers", "comma_decimal_column", "has_decimal_point", "is_text"]

#: A comma read as a thousands separator (with a decimal point): 1,200 / 26,404 / 1,234,567.89.
THOUSANDS = r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?"
#: The shape of a number column written with decimal commas: 264,04 / 0,035 / 120.
COMMA_SHAPE = r"[+-]?\d+(?:,\d+)?"
#: A number written with a decimal point: 0.035 / .5 / 12.5e3.
POINT_SHAPE = r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?"
#: A cell made of digits and marks only: a number, whatever its marks mean.
NUMBER_LIKE = r"[+-]?[\d.,]*\d[\d.,]*"


@dataclass(frozen=True)
class ParsedNumbers:
    """One column's numbers (NaN where there is none) and what is wrong with the other cells."""

    values: np.ndarray
    empty: np.ndarray  # blank or 'nan'
    bad: np.ndarray  # not a number at all
    comma: np.ndarray  # a comma that is neither a thousands separator nor a declared decimal mark
    dot: np.ndarray  # a dot in a table declared with decimal commas


def is_text(column: pd.Series) -> bool:
    """True for a column of text (not parsed into numbers by the reader)."""
    return not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


def _clean(column: pd.Series) -> pd.Series:
    return column.fillna("").astype(str).str.strip()


def _to_float(text: pd.Series) -> np.ndarray:
    """Text to floats, NaN where a cell is not a number (Arrow's parser first, pandas' for the odd column)."""
    try:
        array = pa.array(text.to_numpy(dtype=object) if text.dtype == object else text.array, type=pa.string())
        blank = pc.equal(array, "")
        array = pc.if_else(blank, pa.scalar(None, pa.string()), array)
        return pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False).astype(float, copy=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)


def parse_numbers(column: pd.Series, decimal: str, *, thousands: bool = True) -> ParsedNumbers:
    """Read a text column as numbers with ``decimal`` as the decimal mark.

    ``thousands`` allows comma thousands separators with a decimal point (off where a comma is
    more likely a decimal mark, so ``26,404`` is refused rather than guessed).
    """
    n = len(column)
    text = _clean(column)
    lowered = text.str.lower()
    empty = ((text == "") | (lowered == "nan")).to_numpy(dtype=bool)
    comma = np.zeros(n, dtype=bool)
    dot = np.zeros(n, dtype=bool)
    if decimal == ",":
        has_dot = text.str.contains(".", regex=False).to_numpy(dtype=bool) & ~empty
        values = _to_float(text.str.replace(",", ".", regex=False).where(~has_dot, ""))
        dot = has_dot & text.str.fullmatch(NUMBER_LIKE).to_numpy(dtype=bool)
    else:
        values = _to_float(text.where(~empty, ""))
        odd = np.nonzero(np.isnan(values) & ~empty)[0]
        if len(odd):
            part = text.iloc[odd]
            has_comma = part.str.contains(",", regex=False).to_numpy(dtype=bool)
            grouped = part.str.fullmatch(THOUSANDS).to_numpy(dtype=bool) & thousands
            if grouped.any():
                values[odd[grouped]] = _to_float(part[grouped].str.replace(",", "", regex=False))
            comma[odd[has_comma & ~grouped & part.str.fullmatch(NUMBER_LIKE).to_numpy(dtype=bool)]] = True
    values[empty] = np.nan
    bad = np.isnan(values) & ~empty & ~comma & ~dot
    return ParsedNumbers(values=values, empty=empty, bad=bad, comma=comma, dot=dot)


def comma_decimal_column(column: pd.Series) -> tuple[bool, str | None]:
    """Whether every filled cell is a whole number or digits, one comma, digits (with one comma at least),
    and a cell whose comma cannot be a thousands separator ('264,04', '0,035'), if there is one."""
    if not is_text(column):
        return False, None
    text = _clean(column)
    filled = text[(text != "") & (text.str.lower() != "nan")]
    if len(filled) == 0 or not filled.str.fullmatch(COMMA_SHAPE).all():
        return False, None
    commas = filled[filled.str.contains(",", regex=False)]
    if len(commas) == 0:
        return False, None
    sure = commas[~commas.str.fullmatch(THOUSANDS)]
    return True, (str(sure.iloc[0]) if len(sure) else None)


def has_decimal_point(column: pd.Series) -> bool:
    """True when some number of the column is written with a decimal point (a fraction, in a parsed column)."""
    if not is_text(column):
        values = column.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        return bool(len(finite) and (finite != np.round(finite)).any())
    return bool(_clean(column).str.fullmatch(POINT_SHAPE).any())
