"""Creator tables (CSV, XLSX or Parquet) in, a validated roster with per-creator numbers out.

Bad rows (negative followers, duplicate ids, unparseable numbers, unknown platforms,
followers outside every tier band) are reported by row number and column (a spreadsheet's
header is row 1; a workbook's messages name the sheet); the run stops with that report, or,
when the planner asks, skips them and says how many. Numbers written as text follow the rule of
:mod:`mixopt.roster.table_numbers` (decimal commas when declared or detected, thousands
separators only in groups of three, never a guess that changes a value's size). Missing
per-creator metrics are filled from the tier defaults (and the scenario's overrides) and
flagged in ``filled_from_defaults``. Everything is vectorised over columns (Arrow strings,
numpy numbers): five million creators are read and checked in seconds.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mixopt.errors import Issue, ScenarioError
from mixopt.roster.table_numbers import (
    comma_decimal_column,
    has_decimal_point,
    is_text,
    parse_numbers,
)
from mixopt.roster.table_read import (
    DEFAULT_MAX_TABLE_BYTES,
    FLAG_COLUMNS,
    MAX_COLUMNS,
    NUMERIC_OPTIONAL,
    REQUIRED_COLUMNS,
    TABLE_LIMIT_VARIABLE,
    TEXT_OPTIONAL,
    TableLayout,
    read_table,
    release_memory,
)
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.schema import Scenario

__all__ = ["Roster", "load_roster", "read_creator_table", "build_roster", "filled_names", "REQUIRED_COLUMNS",
           "OPTIONAL_COLUMNS", "TRUE_WORDS", "FILLABLE", "DEFAULT_MAX_TABLE_BYTES", "TABLE_LIMIT_VARIABLE",
           "MAX_COLUMNS"]

OPTIONAL_COLUMNS = NUMERIC_OPTIONAL + TEXT_OPTIONAL + FLAG_COLUMNS
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "x"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "nan"})
_MAX_LISTED = 20
_LAYOUT = "mixopt_table_layout"  # frame.attrs key: how read_creator_table found the table written


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


def _settings(scenario: Scenario | None) -> dict[str, str | None]:
    roster = scenario.roster if scenario is not None else None
    delimiter = getattr(roster, "delimiter", None)
    return {"delimiter": "\t" if delimiter == "tab" else delimiter, "decimal": getattr(roster, "decimal", None),
            "sheet": getattr(roster, "sheet", None)}


def _origin(scenario: Scenario | None) -> str:
    return scenario.source_file if scenario is not None else "(scenario)"


def read_creator_table(path: str | Path, shown: str | None = None, scenario: Scenario | None = None) -> pd.DataFrame:
    """Read a creator table as columns (numbers parsed where clean; checks happen in :func:`build_roster`).

    ``scenario`` gives the roster's reading settings (delimiter, decimal, sheet), if any.
    """
    path = Path(path)
    frame, layout, _digest = read_table(path, shown or str(path), origin=_origin(scenario), **_settings(scenario))
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame.attrs[_LAYOUT] = layout
    return frame


def _text(column: pd.Series) -> pd.Series:
    """A column as text with empty cells as '' (pandas 3 keeps missing values missing in astype(str))."""
    return column.fillna("").astype(str)


class _Problems:
    def __init__(self, shown: str, layout: TableLayout, n: int) -> None:
        self.shown = shown
        self.layout = layout
        self.bad = np.zeros(n, dtype=bool)
        self.issues: list[Issue] = []
        self.count = 0

    def flag(self, mask: np.ndarray, column: str, values: pd.Series, problem: str, fix: str) -> None:
        mask = mask & ~self.bad
        rows = np.nonzero(mask)[0]
        if len(rows) == 0:
            return
        self.bad |= mask
        self.count += len(rows)
        for r in rows[: max(_MAX_LISTED - len(self.issues), 0)]:
            file, row = self.layout.locate(int(r), self.shown)
            self.issues.append(Issue(file, self.layout.where(f"{row}, {column}"), problem, fix, values.iloc[r]))


@dataclass(frozen=True)
class _Locale:
    """The decimal mark per number column, and whether commas may be thousands separators."""

    declared: str | None
    comma_columns: frozenset[str]
    thousands: bool
    example: str = ""  # a detected decimal comma, as written

    def decimal(self, column: str) -> str:
        return self.declared or ("," if column in self.comma_columns else ".")


def _locale(frame: pd.DataFrame, scenario: Scenario, layout: TableLayout, numbers: list[str]) -> _Locale:
    """Decide the decimal mark: declared, detected (a ';' or tab table whose number columns use commas), or '.'."""
    declared = _settings(scenario)["decimal"]
    split = layout.kind == "csv" and layout.delimiter in (";", "\t")
    if declared is not None or not split:
        return _Locale(declared, frozenset(), thousands=declared != ",")
    shapes = {c: comma_decimal_column(frame[c]) for c in numbers}
    commas = frozenset(c for c, (shaped, _) in shapes.items() if shaped)
    examples = [example for _, example in shapes.values() if example is not None]
    if examples and not any(has_decimal_point(frame[c]) for c in numbers if c not in commas):
        return _Locale(None, commas, thousands=False, example=examples[0])
    return _Locale(None, frozenset(), thousands=False)


def _number_problems(problems: _Problems, parsed_mask: tuple[np.ndarray, np.ndarray, np.ndarray], column: str,
                     raw: pd.Series, locale: _Locale) -> None:
    bad, comma, dot = parsed_mask
    decimal = locale.decimal(column)
    example = "0,035 or 1200" if decimal == "," else "0.035 or 1200"
    problems.flag(bad, column, raw, "not a number", f"Write a plain number such as {example}")
    if locale.declared == ".":
        problems.flag(comma, column, raw, "has a comma, but the table's decimal mark is '.' (roster.decimal)",
                      "Write the number with a decimal point (264.04); a comma is read only as a thousands "
                      "separator in groups of three (26,404)")
    else:
        problems.flag(comma, column, raw, "the comma may be a decimal mark or a thousands separator",
                      "Add 'decimal: \",\"' under roster: if commas are decimal marks in this table (264,04 = 264.04), "
                      "or write the number with no comma (264.04, 26404)")
    problems.flag(dot, column, raw, "has a '.', but the table's decimal mark is ',' (roster.decimal)",
                  "Write the number with a decimal comma and no thousands separators (1234,5), or set roster.decimal "
                  "to '.'")


#: The largest money amount a creator's row may hold (10^13, the scale of the largest budgets planned,
#: in IDR; 100 posts of it stay under the 10^15 HiGHS refuses as a coefficient), and the largest views
#: or score (10^12, a hundred times everyone alive).
LARGEST_MONEY, LARGEST_FIGURE = 1e13, 1e12
MONEY_COLUMNS = ("fee_per_post", "product_cost", "handling_cost")


def _numbers(frame: pd.DataFrame, column: str, problems: _Problems, locale: _Locale, *, required: bool,
             minimum: float = 0.0, maximum: float | None = None, largest: float | None = LARGEST_FIGURE
             ) -> np.ndarray | None:
    """The column's numbers (NaN where empty), None when the table has no such column; ``maximum`` bounds
    a rate (with its fix), ``largest`` any other figure."""
    if column not in frame:
        return None
    raw = frame[column]
    if not is_text(raw):
        values = raw.to_numpy(dtype=float, copy=True)  # parsed by the reader: empty cells are NaN
        if required:
            problems.flag(np.isnan(values), column, raw, "is empty", f"Fill in {column} for every creator")
        return _in_range(values, raw, column, problems, minimum, maximum, largest)
    parsed = parse_numbers(raw, locale.decimal(column), thousands=locale.thousands)
    _number_problems(problems, (parsed.bad, parsed.comma, parsed.dot), column, raw, locale)
    if required:
        problems.flag(parsed.empty, column, raw, "is empty", f"Fill in {column} for every creator")
    return _in_range(parsed.values, raw, column, problems, minimum, maximum, largest)


def _in_range(values: np.ndarray, raw: pd.Series, column: str, problems: _Problems, minimum: float,
              maximum: float | None, largest: float | None) -> np.ndarray:
    known = ~np.isnan(values)
    problems.flag(known & (values < minimum), column, raw, f"must be >= {minimum:g}",
                  "Fix the value or remove the creator")
    if maximum is not None:
        problems.flag(known & (values > maximum), column, raw, f"must be <= {maximum:g}",
                      "Write rates as fractions, e.g. 0.035 for 3.5%")
    elif largest is not None:  # views, money and scores: a figure past any real one swamps the solver's arithmetic
        problems.flag(known & ~(values <= largest), column, raw, f"is too large to be a real figure (at most "
                      f"{largest:,.0f})", "Check the value; it may have been pasted with extra digits")
    return values


def _flags(frame: pd.DataFrame, column: str, problems: _Problems) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    raw = frame[column]
    if not is_text(raw):
        v = raw.to_numpy(dtype=float)
        unknown = ~(np.isnan(v) | (v == 0) | (v == 1))
        problems.flag(unknown, column, raw, "not a yes/no flag", "Write 1 or 0 (or yes / no)")
        return v == 1
    words = _text(raw).str.strip().str.lower()
    true = words.isin(TRUE_WORDS).to_numpy(dtype=bool, copy=True)
    unknown = ~(true | words.isin(FALSE_WORDS).to_numpy(dtype=bool))
    if unknown.any():  # '1.0' and '0.0' are flags too
        odd = np.nonzero(unknown)[0]
        number = pd.to_numeric(words.iloc[odd], errors="coerce").to_numpy(dtype=float)
        true[odd[number == 1]] = True
        unknown[odd[(number == 0) | (number == 1)]] = False
    problems.flag(unknown, column, raw, "not a yes/no flag", "Write 1 or 0 (or yes / no)")
    return true


def _extra_numbers(frame: pd.DataFrame, column: str, problems: _Problems, locale: _Locale) -> np.ndarray:
    """Any other column, as numbers where it holds numbers (NaN elsewhere); a column of numbers whose
    commas or dots could be read two ways is refused like the known number columns."""
    raw = frame[column]
    if not is_text(raw):
        return raw.to_numpy(dtype=float)
    parsed = parse_numbers(raw, locale.decimal(column), thousands=locale.thousands)
    doubtful = parsed.comma | parsed.dot
    if doubtful.any() and not parsed.bad.any():
        _number_problems(problems, (parsed.bad, parsed.comma, parsed.dot), column, raw, locale)
    return parsed.values


def _labels(codes: np.ndarray, names: list[str]) -> pd.Series:
    """Text of few distinct values (tiers, platforms, categories) from codes: one Python string per distinct
    value, shared by every row (8 bytes a row), so the columns are quick to compare, group and iterate."""
    return pd.Series(np.array(names + [""], dtype=object)[codes], dtype=object, copy=False)


def _codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A text column as codes into its distinct values (empty cells are ''): the reader's categories when it
    gave them, else Arrow's dictionary encoding; any cleaning then touches each distinct value once."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        names = [str(v) for v in column.cat.categories]
        codes = column.cat.codes.to_numpy(dtype=np.int64)
        if (codes < 0).any():
            codes = np.where(codes < 0, len(names), codes)
            names.append("")
        return codes, names
    codes, dictionary = _encoded(column)
    return codes, dictionary.to_pylist()


def _encoded(column: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Arrow's dictionary encoding of a text column: codes in order of first appearance, and the distinct values."""
    values = pa.array(_text(column).array, type=pa.string())
    encoded = pc.dictionary_encode(values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values)
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary


def _first_seen(codes: np.ndarray) -> np.ndarray:
    """True where a code appears for the first time (dictionary codes are numbered in order of appearance)."""
    before = np.maximum.accumulate(codes)
    return codes > np.concatenate(([-1], before[:-1]))


def _keep(series: pd.Series, keep: np.ndarray | None) -> pd.api.extensions.ExtensionArray:
    kept = series if keep is None else series[keep]
    return kept.reset_index(drop=True).array


def build_roster(frame: pd.DataFrame, scenario: Scenario, shown: str, *, skip_bad_rows: bool = False,
                 layout: TableLayout | None = None) -> Roster:
    """Validate a creator table against a scenario and compute per-creator numbers.

    Raises
    ------
    ScenarioError
        Missing columns, or bad rows when ``skip_bad_rows`` is false (first 20 listed, with the count).
    """
    layout = layout or frame.attrs.get(_LAYOUT) or TableLayout()
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ScenarioError([Issue(shown, layout.where(c), "column missing", f"Add a '{c}' column (header row)")
                             for c in missing])
    if len(frame) == 0:
        raise ScenarioError([Issue(shown, layout.where("(rows)"), "the creator table has no creators",
                                   "Add one row per creator below the header row")])
    n = len(frame)
    problems = _Problems(shown, layout, n)
    ids = _text(frame["id"]).str.strip()
    empty_id = (ids == "").to_numpy(dtype=bool)
    problems.flag(empty_id, "id", frame["id"], "is empty", "Give every creator an id")
    id_codes, distinct = _encoded(ids)
    if len(distinct) < n:
        problems.flag(~_first_seen(id_codes) & ~empty_id, "id", frame["id"], "duplicate id (an earlier row has it)",
                      "Keep one row per creator")
    del id_codes, distinct
    raw_platform, platform_names = _codes(frame["platform"])
    platform_names = [name.strip().lower() for name in platform_names]
    known = {name: code for code, name in enumerate(scenario.platforms)}
    platform_code = np.array([known.get(name, -1) for name in platform_names] + [-1], dtype=np.int64)[raw_platform]
    problems.flag(platform_code < 0, "platform", frame["platform"], "not a platform of this scenario",
                  f"Use one of {', '.join(scenario.platforms)} or add it to the scenario's platforms")
    extras = [c for c in frame.columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    locale = _locale(frame, scenario, layout, [c for c in ("followers",) + NUMERIC_OPTIONAL + tuple(extras)
                                               if c in frame])
    followers = _numbers(frame, "followers", problems, locale, required=True, largest=None)  # bounded by the tiers
    assert followers is not None  # a required column
    numeric = {c: _numbers(frame, c, problems, locale, required=False,
                           maximum=1.0 if c in ("engagement_rate", "conversion_rate", "acceptance_rate") else None,
                           largest=LARGEST_MONEY if c in MONEY_COLUMNS else LARGEST_FIGURE)
               for c in NUMERIC_OPTIONAL}
    flags = {c: _flags(frame, c, problems) for c in FLAG_COLUMNS}
    extra_values = {c: _extra_numbers(frame, c, problems, locale) for c in extras}
    bands = sorted(scenario.tiers.items(), key=lambda kv: kv[1][0])
    tier_code = np.full(n, -1, dtype=np.int32)
    for code, (_name, (low, high)) in enumerate(bands):
        tier_code[(followers >= low) & (followers < high)] = code
    outside = (tier_code < 0) & ~np.isnan(followers)
    problems.flag(outside, "followers", frame["followers"], "outside every tier band of the scenario",
                  "Add a tier for this follower count (e.g. macro) or remove the creator")
    both = flags["must_include"] & flags["exclude"]
    problems.flag(both, "must_include", frame["must_include"] if "must_include" in frame else frame["id"],
                  "flagged both must_include and exclude", "Keep one of the two flags")
    if problems.count and not skip_bad_rows:
        extra = problems.count - len(problems.issues)
        issues = list(problems.issues)
        if extra > 0:
            issues.append(Issue(shown, layout.where("(rows)"), f"{extra} more bad rows not listed",
                                "Fix them, or set 'roster: {skip_bad_rows: true}' to skip every bad row"))
        raise ScenarioError(issues)
    keep = None if not problems.bad.any() else ~problems.bad
    pick = (lambda a: a) if keep is None else (lambda a: a[keep])
    codes = pick(tier_code)
    columns: dict[str, object] = {"id": _keep(ids, keep), "platform": _labels(pick(raw_platform), platform_names),
                                  "followers": pick(followers), "tier": _labels(codes, [b[0] for b in bands])}
    for c in TEXT_OPTIONAL:
        if c in frame:
            text_codes, names = _codes(frame[c])
            columns[c] = _labels(pick(text_codes), [name.lstrip() for name in names])
        else:
            columns[c] = _labels(np.full(len(codes), -1), [])
    for c in FLAG_COLUMNS:
        columns[c] = pick(flags[c])
    for c in extras:  # any other numeric column can be capped or optimised
        values = pick(extra_values[c])
        if not np.isnan(values).all():
            columns[c] = values
    given = {c: pick(v) for c, v in numeric.items() if v is not None}
    columns.update(_derive(columns["followers"], given, scenario, codes, pick(platform_code), [b[0] for b in bands]))
    table = pd.DataFrame(columns, copy=False)
    notes = list(_locale_notes(layout, locale))
    if problems.count:
        notes.append(f"skipped {problems.count:,} bad rows of {n:,} (set 'skip_bad_rows: false' to list them)")
    filled = table["defaults_mask"].to_numpy() > 0
    if filled.any():
        notes.append(f"{int(filled.sum()):,} of {len(table):,} creators had metrics filled from tier defaults "
                     "(column filled_from_defaults)")
    return Roster(table=table, source_file=shown, skipped_rows=problems.count, notes=tuple(notes))


def _locale_notes(layout: TableLayout, locale: _Locale) -> list[str]:
    notes = []
    if layout.delimiter_detected:
        word = "semicolons" if layout.delimiter == ";" else "tabs"
        notes.append(f"the creator table was read as separated by {word} (its header row has no comma)")
    if locale.comma_columns:
        notes.append("decimal commas read in " + ", ".join(sorted(locale.comma_columns)) + f" (numbers such as "
                     f"'{locale.example}'; set 'decimal: \",\"' under roster: to say so)")
    return notes


#: Metrics that may come from the tier defaults, in the order of the bits of ``defaults_mask``.
FILLABLE = ("reach_rate", "engagement_rate", "conversion_rate", "fee_per_post", "product_cost", "handling_cost",
            "acceptance_rate")


def filled_names(mask: int) -> str:
    """The metrics a creator's ``defaults_mask`` says came from tier defaults, e.g. 'fee_per_post product_cost'."""
    return " ".join(name for bit, name in enumerate(FILLABLE) if mask >> bit & 1)


def _derive(followers: np.ndarray, numeric: dict[str, np.ndarray], scenario: Scenario, tier_code: np.ndarray,
            platform_code: np.ndarray, tiers: list[str]) -> dict[str, np.ndarray]:
    """Per-creator reach, engagement, conversion and cost, from the table or the cell defaults (by column)."""
    n = len(followers)
    platforms = list(scenario.platforms)
    lookup = {name: np.zeros(len(tiers) * len(platforms)) for name in FILLABLE}
    for cell in resolve_cells(scenario):
        if cell.tier in tiers and cell.platform in platforms:
            for name in FILLABLE:  # engagement_rate is already per follower
                lookup[name][tiers.index(cell.tier) * len(platforms) + platforms.index(cell.platform)] = \
                    getattr(cell, name)
    cell_index = tier_code.astype(np.int64) * len(platforms) + platform_code
    used: dict[str, np.ndarray] = {}
    defaults_mask = np.zeros(n, dtype=np.int64)
    views = numeric.get("average_views")
    no_views = np.ones(n, dtype=bool) if views is None else np.isnan(views)
    for bit, name in enumerate(FILLABLE):
        given = numeric.get(name)  # this function's own copy: filled in place
        if given is None:  # no such column: every creator takes the cell's number
            used[name] = lookup[name].take(cell_index)
            gap = np.ones(n, dtype=bool)
        else:
            gap = np.isnan(given)
            np.copyto(given, lookup[name].take(cell_index), where=gap)
            used[name] = given
        flagged = gap & no_views if name == "reach_rate" else gap  # views make the reach rate moot
        defaults_mask |= flagged.astype(np.int64) << bit
    posts = float(scenario.roster.posts_per_creator) if scenario.roster is not None else 1.0
    reach_per_post = followers * used["reach_rate"]
    if views is not None:
        np.copyto(reach_per_post, views, where=~no_views)
    engagement_per_post = followers * used["engagement_rate"]
    derived = {
        "posts": np.full(n, posts),
        "impressions_per_post": reach_per_post,
        "engagements_per_post": engagement_per_post,
        "conversions_per_post": engagement_per_post * used["conversion_rate"],
        "reach": reach_per_post,  # unique people: repeat posts add impressions, not people
        "impressions": reach_per_post * posts,
        "engagements": engagement_per_post * posts,
        "conversions": engagement_per_post * used["conversion_rate"] * posts,
    }
    for name in ("fee_per_post", "product_cost", "handling_cost", "engagement_rate", "conversion_rate",
                 "acceptance_rate"):
        derived[name] = used[name]
    derived["spend"] = used["fee_per_post"] * posts + used["product_cost"] + used["handling_cost"]
    fit = numeric.get("fit_score")
    derived["fit_score"] = np.zeros(n) if fit is None else np.nan_to_num(fit, nan=0.0, copy=False)
    derived["defaults_mask"] = defaults_mask
    return derived


def _missing_table(scenario: Scenario, path: Path) -> Issue:
    """roster.file names no file: where it was looked for, and a table of a close name in that folder."""
    assert scenario.roster is not None
    folder = path.parent
    try:
        tables = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".csv", ".txt", ".xlsx", ".parquet")
                        or (p.is_dir() and any(q.suffix.lower() == ".parquet" for q in p.iterdir())))
    except OSError:
        tables = []
    close = difflib.get_close_matches(path.name, tables, n=1)
    hint = (f"Did you mean '{Path(scenario.roster.file).parent / close[0]}'?" if close else
            "Check the path: it is read from the folder of the scenario file that names it (from the current "
            "folder when given with --set)")
    return Issue(scenario.source_file, "roster.file", f"no creator table at {path.absolute()}", hint,
                 scenario.roster.file)


def load_roster(scenario: Scenario) -> Roster:
    """Read and validate the creator table a roster scenario names (``roster.file``)."""
    assert scenario.roster is not None, "not a roster scenario"
    path = Path(scenario.roster_path or scenario.roster.file)
    shown = str(path)
    if not os.path.lexists(path) and scenario.source_file:
        raise ScenarioError([_missing_table(scenario, path)])
    frame, layout, digest = read_table(path, shown, origin=_origin(scenario), **_settings(scenario))
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    try:
        roster = build_roster(frame, scenario, shown, skip_bad_rows=scenario.roster.skip_bad_rows, layout=layout)
    finally:
        del frame
        release_memory()
    return dataclasses.replace(roster, sha256=digest)
