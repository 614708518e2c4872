"""Creator tables off disk, as a frame of typed columns: CSV, XLSX (one sheet) or Parquet (a file or a folder).

CSV is parsed by Arrow in C++ on every core with the number columns typed as numbers (a million
creators in about half a second); a table whose numbers are written as text (decimal commas,
thousands separators, typos) is read again with those columns as text, and the checks in
:mod:`mixopt.roster.table` look at them. Anything Arrow's fast reader does not take (rows of
uneven length, quoted line breaks, a cell longer than a block) goes through pandas' reader, so
odd tables get the same messages they always did. Parquet columns keep their stored types; a
folder is read as one dataset (hive partitions such as ``platform=tiktok/`` become columns).

Before anything is parsed, the number of creators is estimated (from the file size and the
first rows, or from Parquet's metadata) and compared with the memory available, so a table too
large to plan is refused in one line instead of running out of memory.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import stat
import sys
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa

from mixopt.errors import Issue, ScenarioError, undecodable
from mixopt.roster.table_memory import check_memory
from mixopt.scenario.reading import InputFileError, byte_limit, open_input_file

__all__ = ["TableLayout", "read_table", "release_memory", "REQUIRED_COLUMNS", "NUMERIC_OPTIONAL", "TEXT_OPTIONAL",
           "FLAG_COLUMNS", "DEFAULT_MAX_TABLE_BYTES", "TABLE_LIMIT_VARIABLE", "MAX_COLUMNS", "PARQUET_SUFFIXES",
           "refuse"]

REQUIRED_COLUMNS = ("id", "platform", "followers")
NUMERIC_OPTIONAL = ("engagement_rate", "average_views", "fee_per_post", "product_cost", "handling_cost",
                    "conversion_rate", "reach_rate", "acceptance_rate", "fit_score")
TEXT_OPTIONAL = ("category", "country", "overlap_group")
FLAG_COLUMNS = ("must_include", "exclude")
_NUMBERS = frozenset(("followers",) + NUMERIC_OPTIONAL)
_TEXT = frozenset(("id", "platform") + TEXT_OPTIONAL)
_LABELS = frozenset(("platform",) + TEXT_OPTIONAL)  # few distinct values: read as categories
_DICTIONARY = pa.dictionary(pa.int32(), pa.string())

#: The largest creator table read, in bytes (about five million creators); the variable changes it.
DEFAULT_MAX_TABLE_BYTES = 500_000_000
TABLE_LIMIT_VARIABLE = "MIXOPT_MAX_TABLE_BYTES"
MAX_COLUMNS = 1_000
PARQUET_SUFFIXES = (".parquet", ".pq")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_HEADER_BYTES = 1_000_000  # the header row must end within this many bytes
_BLOCK_BYTES = 8 << 20  # Arrow's CSV block: rows longer than this go through pandas
_PROGRESS_BYTES = 20_000_000  # tables from this size show a progress line on a terminal
_FIX_FORMAT = "Save it as CSV (UTF-8, comma separated) or XLSX with one header row"
_FIX_UTF8 = "Save it as CSV UTF-8 (comma separated)"
_DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}


@dataclass(frozen=True)
class TableLayout:
    """How a creator table was written: its kind, the mark between its columns, its sheet or its parts."""

    kind: str = "csv"  # csv, xlsx or parquet
    delimiter: str = ","
    delimiter_detected: bool = False
    sheet: str | None = None
    parts: tuple[tuple[str, int], ...] = ()  # a Parquet folder: (file, creators) in reading order

    def where(self, path: str) -> str:
        """A field of the table, with the sheet named in a workbook ("sheet 'Creators', row 3, followers")."""
        if self.sheet is None:
            return path
        return f"sheet '{self.sheet}'" if path in ("(file)", "(rows)") else f"sheet '{self.sheet}', {path}"

    def locate(self, index: int, shown: str) -> tuple[str, str]:
        """The file and row a planner finds creator ``index`` at (a spreadsheet's header is row 1;
        Parquet has no header row, so its first creator is row 1 of its file)."""
        if self.kind != "parquet":
            return shown, f"row {index + 2}"
        if not self.parts:
            return shown, f"row {index + 1}"
        ends = self._ends()
        part = bisect.bisect_right(ends, index)
        start = ends[part - 1] if part else 0
        return self.parts[part][0], f"row {index - start + 1}"

    def _ends(self) -> list[int]:
        total, out = 0, []
        for _, rows in self.parts:
            total += rows
            out.append(total)
        return out


def release_memory() -> None:
    """Give the memory Arrow freed back to the system (its allocator keeps freed pages for reuse otherwise,
    which would count towards a solve's peak: over a gigabyte at five million creators)."""
    pa.default_memory_pool().release_unused()


def refuse(shown: str, problem: str, fix: str = _FIX_FORMAT, path: str = "(file)") -> ScenarioError:
    """One line about the table as a whole."""
    return ScenarioError([Issue(shown, path, problem, fix)])


class _Progress:
    """A progress line on a terminal's stderr for big tables (nothing otherwise, never in files)."""

    def __init__(self, shown: str, total: int) -> None:
        self.on = total >= _PROGRESS_BYTES and sys.stderr.isatty()
        self.name = Path(shown).name
        self.total = max(total, 1)
        self.done_bytes = 0
        self.started = time.perf_counter()
        self.shown_at = 0.0

    def advance(self, count: int) -> None:
        self.done_bytes += count
        now = time.perf_counter()
        if self.on and now - self.shown_at > 0.25:
            self.shown_at = now
            share = min(self.done_bytes / self.total, 1.0)
            self.say(f"reading {self.name}: {share:.0%} of {self.total / 1e6:,.0f} MB")

    def say(self, text: str) -> None:
        if self.on:
            sys.stderr.write(f"\r\033[K{text}")
            sys.stderr.flush()

    def finish(self, creators: int) -> None:
        if self.on:
            self.say(f"{self.name}: {creators:,} creators read in {time.perf_counter() - self.started:.1f} s\n")


class _Counted:
    """A binary file that tells a progress line how much of it was read."""

    def __init__(self, handle: BinaryIO, progress: _Progress) -> None:
        self.handle = handle
        self.progress = progress
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.progress.advance(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


def _open(path: Path, shown: str) -> BinaryIO:
    """The creator table, opened as a regular file within the size limit (never a device or a pipe)."""
    limit = byte_limit(TABLE_LIMIT_VARIABLE, DEFAULT_MAX_TABLE_BYTES)
    try:
        return open_input_file(path, limit, TABLE_LIMIT_VARIABLE, "creator table")
    except InputFileError as err:
        if err.reason == "missing":  # named where it was looked for: the path as written may be anything
            raise refuse(str(Path(path).absolute()), "creator table not found",
                         "Check roster.file in the scenario (paths are relative to the scenario file)") from None
        raise refuse(shown, err.problem, err.fix) from None


def _first_line(err: BaseException) -> str:
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__


def _digest(handle: BinaryIO, digest: Any) -> None:
    handle.seek(0)
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)


# ----------------------------------------------------------------------------- header and delimiter


def _check_text(head: bytes, shown: str) -> None:
    """Refuse CSV text that is empty, UTF-16, binary, not UTF-8, or whose header row never ends."""
    if not head.strip():
        raise refuse(shown, "the creator table is empty", "Write a header row (id, platform, followers) and one row "
                     "per creator")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise refuse(shown, "is UTF-16 text, not UTF-8", _FIX_UTF8)
    if b"\x00" in head:
        raise refuse(shown, "is not a text file (it holds NUL bytes)", _FIX_FORMAT)
    line = head.split(b"\n", 1)[0]
    if len(line) > _HEADER_BYTES:
        raise refuse(shown, f"the header row is longer than {_HEADER_BYTES:,} bytes", _FIX_FORMAT)
    if max(line.count(mark.encode()) for mark in _DELIMITERS) >= 10 * MAX_COLUMNS:
        raise refuse(shown, f"the header row has more than {MAX_COLUMNS:,} columns", "Keep the creator columns only")
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse(shown, "is not UTF-8 text", _FIX_UTF8) from None


def _delimiter(head: bytes, declared: str | None) -> tuple[str, bool]:
    """The declared delimiter, or ';' / tab when the header row has one of them and no comma."""
    if declared is not None:
        return declared, False
    line = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    if "," not in line:
        for mark in (";", "\t"):
            if mark in line:
                return mark, True
    return ",", False


def _check_names(names: list[str], shown: str, layout: TableLayout) -> None:
    """No name twice (ignoring case and spaces), not too many columns, not one column of joined names."""
    if not names:
        raise refuse(shown, "the creator table has no header row", _FIX_FORMAT, layout.where("(file)"))
    if len(names) > MAX_COLUMNS:
        raise refuse(shown, f"the header row has {len(names):,} columns, more than {MAX_COLUMNS:,}",
                     "Keep the creator columns only", layout.where("(file)"))
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        key = name.strip().lower()
        if key in seen and key:
            field = key if re.fullmatch(r"[\w.\-]+", key) else "(header)"
            raise refuse(shown, f"the column is written twice (columns {seen[key]} and {number}, ignoring case and "
                         "spaces)", f"Keep one '{key}' column", layout.where(field))
        seen.setdefault(key, number)
    if len(names) == 1 and layout.kind == "csv":
        others = [mark for mark in _DELIMITERS if mark != layout.delimiter and mark in names[0]]
        if others and layout.delimiter == ",":
            shown_mark = "\\t" if others[0] == "\t" else others[0]
            raise refuse(shown, "the header row is one column: the table is not comma separated",
                         f"Save it as CSV with commas between the columns, or set 'delimiter: \"{shown_mark}\"' "
                         "under roster:")
        if others:
            raise refuse(shown, f"the header row is one column: the table is not separated by "
                         f"{_DELIMITERS[layout.delimiter]} (roster.delimiter)",
                         "Set roster.delimiter to the mark between the columns, or remove it")


def _csv_header(handle: BinaryIO, shown: str, delimiter: str) -> list[str]:
    first = pd.read_csv(handle, header=None, nrows=1, dtype=str, keep_default_na=False, skipinitialspace=True,
                        sep=delimiter)
    handle.seek(0)
    return [str(c) if str(c).strip() else f"Unnamed: {i}" for i, c in enumerate(first.iloc[0].tolist())
            ] if len(first) else []


# ----------------------------------------------------------------------------- CSV


def _arrow_csv(source: Any, names: list[str], delimiter: str, decimal: str | None,
               numbers_as_text: bool) -> pd.DataFrame:
    import pyarrow.csv as pacsv

    columns = [f"c{i}" for i in range(len(names))]
    keys = [n.strip().lower() for n in names]
    types = {c: pa.float64() if k in _NUMBERS and not numbers_as_text else _DICTIONARY if k in _LABELS
             else pa.string() for c, k in zip(columns, keys)}
    table = pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1, block_size=_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=False,
                                             quoted_strings_can_be_null=True, decimal_point=decimal or ".",
                                             include_columns=columns))
    frame = table.to_pandas(self_destruct=True)
    del table
    release_memory()
    return frame


def _pandas_csv(handle: BinaryIO, shown: str, names: list[str], delimiter: str, decimal: str | None) -> pd.DataFrame:
    """pandas' reader for what Arrow's fast reader refuses: rows of uneven length, quoted line breaks."""
    text = {f"c{i}": str for i, c in enumerate(names) if c.strip().lower() in _TEXT}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = pd.read_csv(handle, dtype=text, keep_default_na=False, na_values=[""], skipinitialspace=True,
                            header=0, index_col=False, names=[f"c{i}" for i in range(len(names))], sep=delimiter,
                            decimal=decimal or ".")
    if any("Length of header or names does not match" in str(w.message) for w in caught):
        raise refuse(shown, f"some rows have more cells than the header row's {len(names)} columns",
                     "Put values that contain commas in quotes, or name every column in the header row"
                     if delimiter == "," else "Put values that contain the delimiter in quotes, or name every column "
                     "in the header row")
    return frame


def _read_csv(handle: BinaryIO, shown: str, size: int, delimiter: str | None, decimal: str | None
              ) -> tuple[pd.DataFrame, TableLayout]:
    head = handle.read(_HEADER_BYTES + 1)
    handle.seek(0)
    _check_text(head, shown)
    mark, detected = _delimiter(head, delimiter)
    layout = TableLayout("csv", mark, detected)
    names = _csv_header(handle, shown, mark)
    _check_names(names, shown, layout)
    lines = max(head.count(b"\n"), 1)
    check_memory(shown, size * lines / max(len(head), 1) if len(head) < size else lines)
    progress = _Progress(shown, size)
    frame = None
    for numbers_as_text in (False, True):
        handle.seek(0)
        try:
            frame = _arrow_csv(_Counted(handle, progress) if progress.on else handle, names, mark, decimal,
                               numbers_as_text)
            break
        except pa.ArrowInvalid as err:
            if "conversion error to double" not in str(err):
                break  # not a number problem: pandas' reader says what it is
        finally:
            progress.done_bytes = 0
    if frame is None:
        handle.seek(0)
        progress.say(f"reading {progress.name} (uneven rows: the slower reader)")
        frame = _pandas_csv(handle, shown, names, mark, decimal)
    progress.finish(len(frame))
    frame.columns = names
    return frame, layout


# ----------------------------------------------------------------------------- XLSX


def _read_workbook(handle: BinaryIO, shown: str, **options: object) -> pd.DataFrame:
    """One sheet of a workbook as text; whatever a malformed workbook makes the reader raise is refused."""
    try:
        return pd.read_excel(handle, dtype=str, keep_default_na=False, engine="openpyxl", **options)  # type: ignore[call-overload]
    except MemoryError:
        raise
    except Exception as err:  # noqa: BLE001 - a broken workbook can fail anywhere inside openpyxl
        raise refuse(shown, f"cannot read the workbook ({type(err).__name__}: {_first_line(err)})") from None
    finally:
        handle.seek(0)


def _check_workbook(handle: BinaryIO, shown: str, limit: int) -> None:
    """Refuse a workbook that is not a zip file or that unpacks to more than the size limit."""
    try:
        with zipfile.ZipFile(handle) as archive:
            unpacked = sum(max(info.file_size, 0) for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as err:
        raise refuse(shown, f"cannot read the creator table: {_first_line(err) if str(err) else 'not a workbook'}"
                     ) from None
    finally:
        handle.seek(0)
    if unpacked > limit:
        raise refuse(shown, f"the workbook unpacks to {unpacked:,} bytes, over the {limit:,}-byte limit for a creator "
                     "table", f"Check that this is the right file, or raise the limit with {TABLE_LIMIT_VARIABLE}")


def _sheet_headers(handle: BinaryIO, shown: str) -> list[tuple[str, list[str]]]:
    """Every sheet's name and first row, in the workbook's order."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(handle, read_only=True, data_only=True)
        try:
            out = []
            for name in book.sheetnames:
                first = next(book[name].iter_rows(max_row=1, values_only=True), ())
                out.append((name, [str(v).strip().lower() for v in first if v is not None]))
            return out
        finally:
            book.close()
    except MemoryError:
        raise
    except Exception as err:  # noqa: BLE001 - a broken workbook can fail anywhere inside openpyxl
        raise refuse(shown, f"cannot read the workbook ({type(err).__name__}: {_first_line(err)})") from None
    finally:
        handle.seek(0)


def _choose_sheet(sheets: list[tuple[str, list[str]]], declared: str | None, shown: str, origin: str) -> str:
    names = [name for name, _ in sheets]
    listed = ", ".join(f"'{name}'" for name in names[:10]) + (", ..." if len(names) > 10 else "")
    if declared is not None:
        if declared not in names:
            raise ScenarioError([Issue(origin, "roster.sheet", f"{Path(shown).name} has no sheet of this name",
                                       f"Use one of its sheets: {listed}", declared)])
        return declared
    fitting = [name for name, header in sheets if all(c in header for c in REQUIRED_COLUMNS)]
    if fitting:
        return fitting[0]
    if len(names) > 1:
        raise refuse(shown, f"no sheet has the columns id, platform and followers in its first row (sheets: {listed})",
                     "Add them to the creators' sheet, or name it with 'sheet: NAME' under roster:")
    if not names:
        raise refuse(shown, "the workbook has no sheets", _FIX_FORMAT)
    return names[0]


def _read_xlsx(handle: BinaryIO, shown: str, sheet: str | None, origin: str) -> tuple[pd.DataFrame, TableLayout]:
    _check_workbook(handle, shown, byte_limit(TABLE_LIMIT_VARIABLE, DEFAULT_MAX_TABLE_BYTES))
    chosen = _choose_sheet(_sheet_headers(handle, shown), sheet, shown, origin)
    layout = TableLayout("xlsx", sheet=chosen)
    first = _read_workbook(handle, shown, header=None, nrows=1, sheet_name=chosen)
    names = [str(c) if str(c).strip() else f"Unnamed: {i}" for i, c in enumerate(first.iloc[0].tolist())
             ] if len(first) else []
    _check_names(names, shown, layout)
    frame = _read_workbook(handle, shown, header=0, names=[f"c{i}" for i in range(len(names))], sheet_name=chosen)
    frame.columns = names
    return frame, layout


# ----------------------------------------------------------------------------- Parquet


def _parquet_files(folder: Path, shown: str) -> list[Path]:
    """The Parquet files of a dataset folder, sorted (hidden and '_' files skipped), each a regular file."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            if name.startswith((".", "_")) or not name.lower().endswith(PARQUET_SUFFIXES):
                continue
            path = Path(root) / name
            if undecodable(str(path)):
                raise refuse(str(path), "has a file name that is not UTF-8 text (shown as \\udcXX)",
                             "Rename the file with plain letters, digits and '-' or '_'")
            try:
                info = os.stat(path)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                raise refuse(str(path), "is not a regular file (it is a device, pipe or socket)",
                             "Keep only Parquet files saved on disk in the folder")
            found.append(path)
    return found


def _arrow_column(column: pa.ChunkedArray, key: str) -> pa.ChunkedArray:
    """A Parquet column in the types the checks read: numbers as float64, text as strings."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind) \
        or pa.types.is_boolean(kind)
    if key in _LABELS:
        text = column if pa.types.is_string(kind) else _arrow_column(column, "id")
        return text.dictionary_encode()
    if key in _TEXT or not numeric:
        if pa.types.is_string(kind):
            return column
        if pa.types.is_large_string(kind) or pa.types.is_null(kind) or numeric:
            return column.cast(pa.string())
        return column.cast(pa.string()) if _castable(column) else pa.chunked_array(
            [pa.array([str(v) for v in column.to_pylist()], type=pa.string())])
    # a whole number above 2^53 has no exact float: the nearest one, which the row checks then read
    return column.cast(pa.float64(), safe=False)


def _castable(column: pa.ChunkedArray) -> bool:
    try:
        column.cast(pa.string())
        return True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False


def _read_parquet(path: Path, shown: str) -> tuple[pd.DataFrame, TableLayout, str]:
    import pyarrow.dataset as ds

    folder = path.is_dir()
    files = _parquet_files(path, shown) if folder else [path]
    if folder and not files:
        raise refuse(shown, "is a folder, not a file", "Give the path of a creator table")
    if not folder:
        _open(path, shown).close()  # a regular file within the size limit, or one line saying why not
    limit = byte_limit(TABLE_LIMIT_VARIABLE, DEFAULT_MAX_TABLE_BYTES)
    total = sum(f.stat().st_size for f in files)
    if total > limit:
        raise refuse(shown, f"the Parquet files hold {total:,} bytes, over the {limit:,}-byte limit for a creator "
                     "table", f"Check that this is the right folder, or raise the limit with {TABLE_LIMIT_VARIABLE}"
                     f"={total}")
    try:
        dataset = ds.dataset([str(f) for f in files], format="parquet",
                             partitioning="hive" if folder else None,
                             partition_base_dir=str(path) if folder else None)
        fragments = list(dataset.get_fragments())
        counts = [fragment.count_rows() for fragment in fragments]
        check_memory(shown, sum(counts))
        names = list(dataset.schema.names)
        _check_names(names, shown, TableLayout("parquet"))
        table = dataset.to_table()
    except ScenarioError:
        raise
    except (pa.ArrowException, OSError, ValueError) as err:
        raise refuse(shown, f"cannot read the Parquet table: {_first_line(err)}",
                     "Write it again as Parquet, or save it as CSV (UTF-8) with one header row") from None
    keys = [n.strip().lower() for n in names]
    converted = {}
    for i, key in enumerate(keys):  # column by column, each stored column freed once converted
        converted[f"c{i}"] = _arrow_column(table.column(0), key)
        table = table.remove_column(0)
    table = pa.table(converted)
    del converted
    frame = table.to_pandas(self_destruct=True)
    del table
    release_memory()
    frame.columns = names
    parts = tuple((str(Path(f.path)), c) for f, c in zip(fragments, counts)) if folder else ()
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(path) if folder else file.name).encode() + b"\0")
        with _open(file, str(file)) as handle:
            _digest(handle, digest)
    return frame, TableLayout("parquet", parts=parts), digest.hexdigest()


# ----------------------------------------------------------------------------- any table


def _check_settings(kind: str, delimiter: str | None, sheet: str | None, origin: str) -> None:
    """Reading settings that do not apply to this kind of table are refused, not ignored."""
    issues = []
    if sheet is not None and kind != "xlsx":
        issues.append(Issue(origin, "roster.sheet", "applies to XLSX workbooks only",
                            "Remove it, or name a .xlsx creator table in roster.file", sheet))
    if delimiter is not None and kind != "csv":
        issues.append(Issue(origin, "roster.delimiter", "applies to CSV creator tables only", "Remove it", delimiter))
    if issues:
        raise ScenarioError(issues)


def read_table(path: Path, shown: str, *, delimiter: str | None = None, decimal: str | None = None,
               sheet: str | None = None, origin: str = "(scenario)") -> tuple[pd.DataFrame, TableLayout, str]:
    """The creator table as a frame (columns named as written), how it was written, and the SHA-256 of its bytes.

    ``origin`` is the scenario file, named by lines about the reading settings (``roster.sheet``...).

    Raises
    ------
    ScenarioError
        One line for a file that cannot be a creator table (missing, a device, too big for the limit
        or for memory, not UTF-8, not a workbook, a header with a name twice...).
    """
    if path.suffix.lower() in PARQUET_SUFFIXES or (path.is_dir() and _parquet_files(path, shown)):
        _check_settings("parquet", delimiter, sheet, origin)
        return _read_parquet(path, shown)
    workbook = path.suffix.lower() in WORKBOOK_SUFFIXES
    _check_settings("xlsx" if workbook else "csv", delimiter, sheet, origin)
    with _open(path, shown) as handle:
        try:
            size = os.fstat(handle.fileno()).st_size
            if workbook:
                frame, layout = _read_xlsx(handle, shown, sheet, origin)
            else:
                frame, layout = _read_csv(handle, shown, size, delimiter, decimal)
            digest = hashlib.sha256()
            _digest(handle, digest)
        except ScenarioError:
            raise
        except UnicodeDecodeError:
            raise refuse(shown, "is not UTF-8 text", _FIX_UTF8) from None
        except (ValueError, OSError, pd.errors.ParserError, zipfile.BadZipFile, KeyError, TypeError, IndexError,
                EOFError, pa.ArrowException) as err:
            raise refuse(shown, f"cannot read the creator table: {_first_line(err)}") from None
    return frame, layout, digest.hexdigest()
