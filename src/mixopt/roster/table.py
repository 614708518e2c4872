"""Creator tables (CSV or XLSX) in, a validated roster with per-creator numbers out.

Bad rows (negative followers, duplicate ids, unparseable numbers, unknown platforms,
followers outside every tier band) are reported by spreadsheet row number and column; the
run stops with that report, or, when the planner asks, skips them and says how many.
Missing per-creator metrics are filled from the tier defaults (and the scenario's overrides)
and flagged in ``filled_from_defaults``. Everything is vectorised: a million rows take seconds.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.reading import InputFileError, byte_limit, open_input_file
from mixopt.scenario.schema import Scenario

__all__ = ["Roster", "load_roster", "read_creator_table", "build_roster", "filled_names", "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "TRUE_WORDS"]

REQUIRED_COLUMNS = ("id", "platform", "followers")
NUMERIC_OPTIONAL = ("engagement_rate", "average_views", "fee_per_post", "product_cost", "handling_cost",
                    "conversion_rate", "reach_rate", "acceptance_rate", "fit_score")
TEXT_OPTIONAL = ("category", "country", "overlap_group")
FLAG_COLUMNS = ("must_include", "exclude")
OPTIONAL_COLUMNS = NUMERIC_OPTIONAL + TEXT_OPTIONAL + FLAG_COLUMNS
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "x"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "nan"})
_MAX_LISTED = 20


@dataclass(frozen=True)
class Roster:
    """Validated creators with the per-creator numbers the model needs (one row per creator)."""

    table: pd.DataFrame  # id, platform, followers, tier, the optional columns, derived metrics
    source_file: str
    skipped_rows: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    sha256: str = ""  # of the creator table file, for provenance

    def __len__(self) -> int:
        return len(self.table)


#: The largest creator table read, in bytes (about five million creators); the variable changes it.
DEFAULT_MAX_TABLE_BYTES = 500_000_000
TABLE_LIMIT_VARIABLE = "MIXOPT_MAX_TABLE_BYTES"
MAX_COLUMNS = 1_000
_HEADER_BYTES = 1_000_000  # the header row must end within this many bytes
_FIX_FORMAT = "Save it as CSV (UTF-8, comma separated) or XLSX with one header row"


def _refuse(shown: str, problem: str, fix: str = _FIX_FORMAT, path: str = "(file)") -> ScenarioError:
    return ScenarioError([Issue(shown, path, problem, fix)])


def _open(path: Path, shown: str) -> BinaryIO:
    """The creator table, opened as a regular file within the size limit (never a device or a pipe)."""
    limit = byte_limit(TABLE_LIMIT_VARIABLE, DEFAULT_MAX_TABLE_BYTES)
    try:
        return open_input_file(path, limit, TABLE_LIMIT_VARIABLE, "creator table")
    except InputFileError as err:
        if err.reason == "missing":
            raise _refuse(shown, "creator table not found",
                          "Check roster.file in the scenario (paths are relative to the scenario file)") from None
        raise _refuse(shown, err.problem, err.fix) from None


def _check_workbook(handle: BinaryIO, shown: str, limit: int) -> None:
    """Refuse a workbook that is not a zip file or that unpacks to more than the size limit."""
    try:
        with zipfile.ZipFile(handle) as archive:
            unpacked = sum(max(info.file_size, 0) for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as err:
        raise _refuse(shown, f"cannot read the creator table: {str(err).splitlines()[0] if str(err) else 'not a workbook'}"
                      ) from None
    finally:
        handle.seek(0)
    if unpacked > limit:
        raise _refuse(shown, f"the workbook unpacks to {unpacked:,} bytes, over the {limit:,}-byte limit for a creator "
                      "table", f"Check that this is the right file, or raise the limit with {TABLE_LIMIT_VARIABLE}")


def _check_text(handle: BinaryIO, shown: str) -> None:
    """Refuse CSV text that is UTF-16, not UTF-8, or whose header row never ends."""
    head = handle.read(_HEADER_BYTES + 1)
    handle.seek(0)
    if not head.strip():
        raise _refuse(shown, "the creator table is empty", "Write a header row (id, platform, followers) and one row "
                      "per creator")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(shown, "is UTF-16 text, not UTF-8", "Save it as CSV UTF-8 (comma separated)")
    if b"\x00" in head:
        raise _refuse(shown, "is not a text file (it holds NUL bytes)", _FIX_FORMAT)
    line = head.split(b"\n", 1)[0]
    if len(line) > _HEADER_BYTES:
        raise _refuse(shown, f"the header row is longer than {_HEADER_BYTES:,} bytes", _FIX_FORMAT)
    if line.count(b",") >= 10 * MAX_COLUMNS:
        raise _refuse(shown, f"the header row has more than {MAX_COLUMNS:,} columns", "Keep the creator columns only")
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(shown, "is not UTF-8 text", "Save it as CSV UTF-8 (comma separated)") from None


def _read_workbook(handle: BinaryIO, shown: str, **options: object) -> pd.DataFrame:
    """A workbook's first sheet as text; whatever a malformed workbook makes the reader raise is refused."""
    try:
        return pd.read_excel(handle, dtype=str, keep_default_na=False, engine="openpyxl", **options)  # type: ignore[call-overload]
    except MemoryError:
        raise
    except Exception as err:  # noqa: BLE001 - a broken workbook can fail anywhere inside openpyxl
        first = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise _refuse(shown, f"cannot read the workbook ({type(err).__name__}: {first})") from None


def _header(handle: BinaryIO, workbook: bool, shown: str) -> list[str]:
    """The header row, as written, with every name checked: no name twice, not too many columns."""
    if workbook:
        first = _read_workbook(handle, shown, header=None, nrows=1)
    else:
        first = pd.read_csv(handle, header=None, nrows=1, dtype=str, keep_default_na=False, skipinitialspace=True)
    handle.seek(0)
    names = [str(c) if str(c).strip() else f"Unnamed: {i}" for i, c in enumerate(first.iloc[0].tolist())
             ] if len(first) else []
    if not names:
        raise _refuse(shown, "the creator table has no header row", _FIX_FORMAT)
    if len(names) > MAX_COLUMNS:
        raise _refuse(shown, f"the header row has {len(names):,} columns, more than {MAX_COLUMNS:,}",
                      "Keep the creator columns only")
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        key = name.strip().lower()
        if key in seen and key:
            raise _refuse(shown, f"the column is written twice (columns {seen[key]} and {number}, ignoring case and "
                          "spaces)", f"Keep one '{key}' column", path=key if re.fullmatch(r"[\w.\-]+", key) else "(header)")
        seen.setdefault(key, number)
    if len(names) == 1 and any(mark in names[0] for mark in (";", "\t", "|")):
        raise _refuse(shown, "the header row is one column: the table is not comma separated",
                      "Save it as CSV with commas between the columns")
    return names


def _read(path: Path, shown: str) -> tuple[pd.DataFrame, str]:
    """The creator table as a frame (columns named as written) and the SHA-256 of its bytes."""
    import hashlib

    workbook = path.suffix.lower() in (".xlsx", ".xlsm")
    with _open(path, shown) as handle:
        try:
            if workbook:
                _check_workbook(handle, shown, byte_limit(TABLE_LIMIT_VARIABLE, DEFAULT_MAX_TABLE_BYTES))
            else:
                _check_text(handle, shown)
            names = _header(handle, workbook, shown)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if workbook:
                    frame = _read_workbook(handle, shown, header=0, names=[f"c{i}" for i in range(len(names))])
                else:
                    # Numeric columns parse in C (a million rows in about a second); a column with any text in
                    # it stays text and is checked cell by cell. Names and ids are always text ('007' stays '007').
                    text = {f"c{i}": str for i, c in enumerate(names)
                            if c.strip().lower() in ("id", "platform") + TEXT_OPTIONAL}
                    frame = pd.read_csv(handle, dtype=text, keep_default_na=False, na_values=[""],
                                        skipinitialspace=True, header=0, index_col=False,
                                        names=[f"c{i}" for i in range(len(names))])
            if any("Length of header or names does not match" in str(w.message) for w in caught):
                raise _refuse(shown, f"some rows have more cells than the header row's {len(names)} columns",
                              "Put values that contain commas in quotes, or name every column in the header row")
            handle.seek(0)
            digest = hashlib.sha256()
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        except ScenarioError:
            raise
        except UnicodeDecodeError:
            raise _refuse(shown, "is not UTF-8 text", "Save it as CSV UTF-8 (comma separated)") from None
        except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, zipfile.BadZipFile, KeyError,
                TypeError, IndexError, EOFError) as err:
            first = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
            raise _refuse(shown, f"cannot read the creator table: {first}") from None
    frame.columns = names
    return frame, digest.hexdigest()


def read_creator_table(path: str | Path, shown: str | None = None) -> pd.DataFrame:
    """Read a creator table as text columns (parsing and checks happen in :func:`build_roster`)."""
    path = Path(path)
    frame, _digest = _read(path, shown or str(path))
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def _text(column: pd.Series) -> pd.Series:
    """A column as text with empty cells as '' (pandas 3 keeps missing values missing in astype(str))."""
    return column.fillna("").astype(str)


class _Problems:
    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.bad = np.zeros(0, dtype=bool)
        self.issues: list[Issue] = []
        self.count = 0

    def flag(self, mask: np.ndarray, column: str, values: pd.Series, problem: str, fix: str) -> None:
        mask = mask & ~self.bad if len(self.bad) else mask
        rows = np.nonzero(mask)[0]
        if len(rows) == 0:
            return
        self.bad = self.bad | mask if len(self.bad) else mask.copy()
        self.count += len(rows)
        for r in rows[: max(_MAX_LISTED - len(self.issues), 0)]:
            # row numbers as a spreadsheet shows them: the header is row 1
            self.issues.append(Issue(self.shown, f"row {r + 2}, {column}", problem, fix, values.iloc[r]))


def _numbers(frame: pd.DataFrame, column: str, problems: _Problems, *, required: bool, minimum: float = 0.0,
             maximum: float | None = None) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    if pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
        values = frame[column].to_numpy(dtype=float, copy=True)  # parsed by read_csv: empty cells are NaN
        empty = np.isnan(values)
        if required:
            problems.flag(empty, column, frame[column], "is empty", f"Fill in {column} for every creator")
        return _in_range(values, frame, column, problems, minimum, maximum)
    raw = _text(frame[column])
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, copy=True)  # fast path: plain numbers
    empty = np.zeros(len(raw), dtype=bool)
    odd = np.nonzero(np.isnan(values))[0]  # empty cells, 'nan', '1,200', ' 12 ', or text: look closer
    if len(odd):
        text = raw.iloc[odd].str.strip().str.replace(",", "", regex=False)
        blank = ((text == "") | (text.str.lower() == "nan")).to_numpy()
        empty[odd[blank]] = True
        retry = pd.to_numeric(text[~blank], errors="coerce").to_numpy(dtype=float)
        values[odd[~blank]] = retry
    unparsable = ~empty & np.isnan(values)
    problems.flag(unparsable, column, frame[column], "not a number", "Write a plain number such as 0.035 or 1200")
    if required:
        problems.flag(empty, column, frame[column], "is empty", f"Fill in {column} for every creator")
    return _in_range(values, frame, column, problems, minimum, maximum)


def _in_range(values: np.ndarray, frame: pd.DataFrame, column: str, problems: _Problems, minimum: float,
              maximum: float | None) -> np.ndarray:
    below = ~np.isnan(values) & (values < minimum)
    problems.flag(below, column, frame[column], f"must be >= {minimum:g}", "Fix the value or remove the creator")
    if maximum is not None:
        above = ~np.isnan(values) & (values > maximum)
        problems.flag(above, column, frame[column], f"must be <= {maximum:g}",
                      "Write rates as fractions, e.g. 0.035 for 3.5%")
    return values


def _flags(frame: pd.DataFrame, column: str, problems: _Problems) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    if pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
        v = frame[column].to_numpy(dtype=float)
        unknown = ~(np.isnan(v) | (v == 0) | (v == 1))
        problems.flag(unknown, column, frame[column], "not a yes/no flag", "Write 1 or 0 (or yes / no)")
        return v == 1
    words = _text(frame[column]).str.strip().str.lower()
    unknown = ~words.isin(TRUE_WORDS | FALSE_WORDS)
    problems.flag(unknown.to_numpy(), column, frame[column], "not a yes/no flag", "Write 1 or 0 (or yes / no)")
    return words.isin(TRUE_WORDS).to_numpy()


def build_roster(frame: pd.DataFrame, scenario: Scenario, shown: str, *, skip_bad_rows: bool = False) -> Roster:
    """Validate a creator table against a scenario and compute per-creator numbers.

    Raises
    ------
    ScenarioError
        Missing columns, or bad rows when ``skip_bad_rows`` is false (first 20 listed, with the count).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ScenarioError([Issue(shown, c, "column missing", f"Add a '{c}' column (header row)") for c in missing])
    if len(frame) == 0:
        raise ScenarioError([Issue(shown, "(rows)", "the creator table has no creators",
                                   "Add one row per creator below the header row")])
    problems = _Problems(shown)
    n = len(frame)
    problems.bad = np.zeros(n, dtype=bool)
    ids = _text(frame["id"]).str.strip()
    problems.flag((ids == "").to_numpy(), "id", frame["id"], "is empty", "Give every creator an id")
    duplicated = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
    problems.flag(duplicated, "id", frame["id"], "duplicate id (an earlier row has it)", "Keep one row per creator")
    platform = _text(frame["platform"]).str.strip().str.lower()
    unknown = ~platform.isin(scenario.platforms)
    problems.flag(unknown.to_numpy(), "platform", frame["platform"], "not a platform of this scenario",
                  f"Use one of {', '.join(scenario.platforms)} or add it to the scenario's platforms")
    followers = _numbers(frame, "followers", problems, required=True)
    numeric = {c: _numbers(frame, c, problems, required=False,
                           maximum=1.0 if c in ("engagement_rate", "conversion_rate", "acceptance_rate") else None)
               for c in NUMERIC_OPTIONAL}
    flags = {c: _flags(frame, c, problems) for c in FLAG_COLUMNS}
    bands = sorted(scenario.tiers.items(), key=lambda kv: kv[1][0])
    tier = np.full(n, "", dtype=object)
    for name, (low, high) in bands:
        tier[(followers >= low) & (followers < high)] = name
    outside = (tier == "") & ~np.isnan(followers)
    problems.flag(outside, "followers", frame["followers"], "outside every tier band of the scenario",
                  "Add a tier for this follower count (e.g. macro) or remove the creator")
    both = flags["must_include"] & flags["exclude"]
    problems.flag(both, "must_include", frame["must_include"] if "must_include" in frame else frame["id"],
                  "flagged both must_include and exclude", "Keep one of the two flags")
    if problems.count and not skip_bad_rows:
        extra = problems.count - len(problems.issues)
        issues = list(problems.issues)
        if extra > 0:
            issues.append(Issue(shown, "(rows)", f"{extra} more bad rows not listed",
                                "Fix them, or set 'roster: {skip_bad_rows: true}' to skip every bad row"))
        raise ScenarioError(issues)
    keep = ~problems.bad
    table = pd.DataFrame({"id": ids.to_numpy()[keep], "platform": platform.to_numpy()[keep],
                          "followers": followers[keep], "tier": tier[keep]})
    for c in TEXT_OPTIONAL:
        table[c] = _text(frame[c]).to_numpy()[keep] if c in frame else ""  # read_csv already strips leading spaces
    for c in FLAG_COLUMNS:
        table[c] = flags[c][keep]
    extras = [c for c in frame.columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    for c in extras:  # any other numeric column can be capped or optimised
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]):
            values = frame[c].to_numpy(dtype=float)
        else:
            stripped = _text(frame[c]).str.strip()
            values = pd.to_numeric(stripped.where(stripped != "", None), errors="coerce").to_numpy(dtype=float)
        if not np.isnan(values[keep]).all():
            table[c] = values[keep]
    _derive(table, {c: v[keep] for c, v in numeric.items()}, scenario)
    notes = []
    if problems.count:
        notes.append(f"skipped {problems.count:,} bad rows of {n:,} (set 'skip_bad_rows: false' to list them)")
    filled = table["defaults_mask"].to_numpy() > 0
    if filled.any():
        notes.append(f"{int(filled.sum()):,} of {len(table):,} creators had metrics filled from tier defaults "
                     "(column filled_from_defaults)")
    return Roster(table=table, source_file=shown, skipped_rows=problems.count, notes=tuple(notes))


#: Metrics that may come from the tier defaults, in the order of the bits of ``defaults_mask``.
FILLABLE = ("reach_rate", "engagement_rate", "conversion_rate", "fee_per_post", "product_cost", "handling_cost",
            "acceptance_rate")


def filled_names(mask: int) -> str:
    """The metrics a creator's ``defaults_mask`` says came from tier defaults, e.g. 'fee_per_post product_cost'."""
    return " ".join(name for bit, name in enumerate(FILLABLE) if mask >> bit & 1)


def _derive(table: pd.DataFrame, numeric: dict[str, np.ndarray], scenario: Scenario) -> None:
    """Per-creator reach, engagement, conversion and cost, from the table or the cell defaults."""
    cells = {c.key: c for c in resolve_cells(scenario)}
    keys = (table["tier"] + "." + table["platform"]).to_numpy()
    n = len(table)
    default = {name: np.zeros(n) for name in FILLABLE}
    for key, cell in cells.items():
        mask = keys == key
        if not mask.any():
            continue
        for name in FILLABLE:
            default[name][mask] = getattr(cell, name)  # engagement_rate is already per follower
    used: dict[str, np.ndarray] = {}
    defaults_mask = np.zeros(n, dtype=np.int64)
    views = numeric["average_views"]
    for bit, name in enumerate(FILLABLE):
        given = numeric.get(name, np.full(n, np.nan))
        gap = np.isnan(given)
        used[name] = np.where(gap, default[name], given)
        flagged = gap & np.isnan(views) if name == "reach_rate" else gap  # views make the reach rate moot
        defaults_mask |= flagged.astype(np.int64) << bit
    followers = table["followers"].to_numpy(dtype=float)
    posts = float(scenario.roster.posts_per_creator) if scenario.roster is not None else 1.0
    reach_per_post = np.where(np.isnan(views), followers * used["reach_rate"], views)
    engagement_per_post = followers * used["engagement_rate"]
    table["posts"] = posts
    table["impressions_per_post"] = reach_per_post
    table["engagements_per_post"] = engagement_per_post
    table["conversions_per_post"] = engagement_per_post * used["conversion_rate"]
    table["reach"] = reach_per_post  # unique people: repeat posts add impressions, not people
    table["impressions"] = reach_per_post * posts
    table["engagements"] = engagement_per_post * posts
    table["conversions"] = engagement_per_post * used["conversion_rate"] * posts
    for name in ("fee_per_post", "product_cost", "handling_cost", "engagement_rate", "conversion_rate",
                 "acceptance_rate"):
        table[name] = used[name]
    table["spend"] = used["fee_per_post"] * posts + used["product_cost"] + used["handling_cost"]
    table["fit_score"] = np.nan_to_num(numeric["fit_score"], nan=0.0)
    table["defaults_mask"] = defaults_mask


def load_roster(scenario: Scenario) -> Roster:
    """Read and validate the creator table a roster scenario names (``roster.file``)."""
    import dataclasses

    assert scenario.roster is not None, "not a roster scenario"
    path = Path(scenario.roster_path or scenario.roster.file)
    shown = str(path)
    frame, digest = _read(path, shown)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    roster = build_roster(frame, scenario, shown, skip_bad_rows=scenario.roster.skip_bad_rows)
    return dataclasses.replace(roster, sha256=digest)
