"""Cell text that is safe where it lands: CSV cells a spreadsheet cannot run, terminal text
that cannot move the cursor, and counts printed as whole numbers.

- ``csv_text``: OWASP's CSV-injection rule. A text cell that begins with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return gets a leading single quote, so a spreadsheet shows it as
  text instead of running it as a formula. Numbers are never touched (a negative number stays a
  number); only text is.
- ``printable``: control characters (and the invisible format characters that reorder or hide
  text) as visible escapes, e.g. ``\\x1b``, ``\\t``, ``\\u202e``, for tables printed on a terminal.
- ``frame_csv``: a table as CSV with fixed rounding, counts as whole numbers and text cells
  neutralised.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixopt.errors import printable

__all__ = ["CSV_TRIGGERS", "csv_text", "csv_header", "csv_line", "printable", "printable_frame", "frame_csv", "is_count_column",
           "COUNT_COLUMNS"]

#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP CSV injection).
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: Columns that hold whole counts (printed without decimals when every value is whole).
COUNT_COLUMNS = frozenset({"creators", "posts", "invites", "followers", "rank", "chosen", "reserves", "reserves_needed",
                           "reserves_available", "points", "year"})


def is_count_column(name: str) -> bool:
    """True for a column of whole counts: creators, posts, invites, followers, creators_<tier>, ..."""
    return name in COUNT_COLUMNS or name.startswith("creators_")


def csv_text(value: str) -> str:
    """A text cell neutralised for spreadsheets: a leading ``'`` when it begins like a formula."""
    return "'" + value if value.startswith(CSV_TRIGGERS) else value


def csv_header(names: Iterable[Any]) -> list[str]:
    """Column names for a CSV header row, neutralised like text cells."""
    return [csv_text(str(n)) for n in names]


def printable_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are ``printable``."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map(lambda v: printable(v) if isinstance(v, str) else v)
    out.columns = [printable(c) for c in out.columns]
    return out


def _whole(values: pd.Series) -> bool:
    finite = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    return bool(len(finite) == 0 or np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2 ** 53))


def _number(value: Any, whole: bool, decimals: int) -> str:
    if value is None or value is pd.NA or isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(round(number))) if whole else f"{number:.{decimals}f}"
    return csv_text(str(value))


def frame_csv(frame: pd.DataFrame, decimals: int = 6, counts: Iterable[str] | None = None,
              count_rows: Sequence[bool] | None = None) -> str:
    """``frame`` as CSV text (LF line ends, no index): floats with ``decimals`` decimals, columns of
    whole counts (``is_count_column`` or ``counts``) as integers, text cells neutralised with
    ``csv_text``. A count column with a fractional value (an LP preview) keeps its decimals.
    ``count_rows`` marks rows of counts (a comparison's creators rows): whole values there print
    as integers in every column."""
    extra = set(counts or ())
    columns = [str(c) for c in frame.columns]
    whole = {c: (is_count_column(c) or c in extra) and _whole(frame[c]) for c in columns}
    buffer = io.StringIO()
    buffer.write(csv_line(csv_header(columns)))
    if len(columns):
        matrix = frame.astype(object).to_numpy()
        for i, row in enumerate(matrix):
            counted = bool(count_rows[i]) if count_rows is not None else False
            buffer.write(csv_line([_number(v, whole[c] or counted and _whole_value(v), decimals)
                                   for v, c in zip(row, columns)]))
    return buffer.getvalue()


def csv_line(cells: Iterable[str]) -> str:
    """One CSV record ending in LF: a cell holding a comma, a quote, a line feed or a carriage
    return is quoted (the csv module leaves a lone carriage return unquoted, which readers
    take for a line break)."""
    return ",".join('"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\r\n') else c for c in cells) + "\n"


def _whole_value(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer()
