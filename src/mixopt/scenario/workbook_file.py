"""A scenario workbook's file: its bytes within the size limits (packed and unpacked, so a zip bomb is
refused before openpyxl sees it) and each sheet's cell values as a grid."""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path
from typing import Any

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.reading import (
    DEFAULT_MAX_SCENARIO_BYTES,
    SCENARIO_LIMIT_VARIABLE,
    InputFileError,
    byte_limit,
    open_input_file,
    read_within,
)

__all__ = ["Grid", "UNPACKED_FACTOR", "read_grids", "read_workbook_bytes"]

UNPACKED_FACTOR = 10  # a workbook may unpack to this many times the scenario file size limit
_KIND = "scenario workbook"


def read_workbook_bytes(path: Path, shown: str) -> bytes:
    """The workbook's bytes, checked to be a zip archive within the size limits (packed and unpacked).

    Raises
    ------
    ScenarioError
        One line naming the file, when it cannot be read, is too big or is not a workbook.
    """
    limit = byte_limit(SCENARIO_LIMIT_VARIABLE, DEFAULT_MAX_SCENARIO_BYTES)
    try:
        with open_input_file(path, limit, SCENARIO_LIMIT_VARIABLE, _KIND) as handle:
            data = read_within(handle, limit)
    except InputFileError as err:
        raise ScenarioError([Issue(shown, "(file)", err.problem, err.fix)]) from None
    except OSError as err:
        raise ScenarioError([Issue(shown, "(file)", f"cannot read the file ({err.strerror or type(err).__name__})",
                                   "Check that the file can be read")]) from None
    if len(data) > limit:
        raise ScenarioError([Issue(shown, "(file)", f"is over the {limit:,}-byte limit for a {_KIND}",
                                   f"Check that this is the right file, or raise the limit with "
                                   f"{SCENARIO_LIMIT_VARIABLE}")])
    _check_archive(data, shown)
    return data


def _check_archive(content: bytes, shown: str) -> None:
    limit = UNPACKED_FACTOR * byte_limit(SCENARIO_LIMIT_VARIABLE, DEFAULT_MAX_SCENARIO_BYTES)
    fix = "Save the scenario workbook as .xlsx (Excel 2007-365 or LibreOffice 'Excel 2007-365')"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ScenarioError([Issue(shown, "(file)", "is not an .xlsx workbook (it is not a zip archive)", fix)]
                            ) from None
    unpacked = sum(max(info.file_size, 0) for info in members)
    if unpacked > limit or len(members) > 10_000:
        raise ScenarioError([Issue(shown, "(file)", f"the workbook unpacks to {unpacked:,} bytes in {len(members):,} "
                                   f"parts, over the {limit:,}-byte limit for a {_KIND}",
                                   f"Check that this is the right file, or raise the limit with "
                                   f"{SCENARIO_LIMIT_VARIABLE} (a workbook may unpack to {UNPACKED_FACTOR} times it)")])


Grid = dict[str, list[list[Any]]]


def read_grids(content: bytes, shown: str, *, data_only: bool, max_rows: int, max_columns: int
               ) -> tuple[Grid, set[tuple[str, int, int]]]:
    """Every sheet's cell values (up to ``max_columns``), and the cells that show a spreadsheet error;
    the saved values with ``data_only``, else the formulas. A sheet past ``max_rows`` is refused."""
    import openpyxl

    grids: Grid = {}
    errors: set[tuple[str, int, int]] = set()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not keep
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
            try:
                for sheet in book.worksheets:
                    rows: list[list[Any]] = []
                    for r, row in enumerate(sheet.iter_rows(max_col=max_columns)):
                        values = [getattr(cell, "value", None) for cell in row]
                        for c, cell in enumerate(row):
                            if getattr(cell, "data_type", None) == "e":
                                errors.add((sheet.title, r, c))
                        if any(v is not None for v in values):
                            if r >= max_rows:
                                raise ScenarioError([Issue(shown, f"{sheet.title}!A{r + 1}",
                                                           f"the sheet has more than {max_rows:,} rows",
                                                           "Keep one row per setting (a scenario needs a few "
                                                           "hundred)")])
                            rows.extend([] for _ in range(r - len(rows)))
                            rows.append(values)
                    grids[sheet.title] = rows
            finally:
                book.close()
    except ScenarioError:
        raise
    except MemoryError:
        raise
    except Exception as err:  # noqa: BLE001 - a malformed workbook can fail anywhere inside openpyxl
        raise ScenarioError([Issue(shown, "(file)", f"cannot read the workbook ({type(err).__name__})",
                                   "Save it again as .xlsx from Excel or LibreOffice")]) from None
    return grids, errors
