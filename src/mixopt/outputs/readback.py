"""Read a mixopt workbook's table back by column code.

A workbook shows planner headers ("Expected to sign"); its Data dictionary maps each header of
each sheet to its code (``expected_signed``, the CSV / JSON column name). ``sheet_records``
returns a sheet's rows as dicts keyed by code, so scripts (and tests) that read workbooks do
not depend on the wording of the headers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["sheet_records", "header_codes"]


def header_codes(path: Path) -> dict[tuple[str, str], str]:
    """(sheet, header) -> code, from the workbook's Data dictionary."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book["Data dictionary"].iter_rows(values_only=True)
        header = [str(h) for h in next(rows)]
        at = {name: i for i, name in enumerate(header)}
        codes: dict[tuple[str, str], str] = {}
        for row in rows:
            for sheet in str(row[at["Sheet"]]).split(", "):
                codes[(sheet, str(row[at["Column"]]))] = str(row[at["Code"]])
        return codes
    finally:
        book.close()


def sheet_records(path: Path, sheet: str, *, totals: bool = False) -> list[dict[str, Any]]:
    """The rows of ``sheet`` keyed by column code (a header without a code keeps its text);
    the bold total row is left out unless ``totals``."""
    import openpyxl

    codes = header_codes(path)
    book = openpyxl.load_workbook(path, data_only=True)
    try:
        ws = book[sheet]
        rows = list(ws.iter_rows())
        header = [c.value for c in rows[0]]
        keys = [codes.get((sheet, str(h)), str(h)) if h is not None else None for h in header]
        out = []
        for row in rows[1:]:
            if not totals and row and row[0].font is not None and row[0].font.b and row[0].border.top.style:
                continue
            out.append({k: c.value for k, c in zip(keys, row) if k is not None})
        return out
    finally:
        book.close()
