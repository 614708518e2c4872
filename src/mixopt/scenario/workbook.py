"""Read a scenario workbook (``.xlsx``, written by ``mixopt template``, ``init`` or ``convert``) into
the plain data a YAML scenario gives, so it goes through the same validation.

Sheets: Scenario and Roster (a field code per row in column B, its value in C), Tiers, Platforms,
Rules (a row per level and name, a column per rule), Assumptions (a row per applies_to and
parameter: low / base / high), Baseline (a row per cell). A blank cell is "not set". Each value's
origin is its cell (``scenario.xlsx: Rules!C4``), so every problem names the sheet and cell.
Hostile workbooks get one line: size limits (packed and unpacked), rows per sheet, formulas
without a saved value, error cells, and anything openpyxl cannot read.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.defaults import default_value
from mixopt.scenario.reading import OTHER_FORMATS, RawScenario
from mixopt.scenario.schema import (
    Assumption,
    BandRules,
    CellAssumptions,
    CellRules,
    RosterSettings,
    Rules,
)
from mixopt.scenario.workbook_file import read_grids, read_workbook_bytes

__all__ = ["read_scenario_workbook", "curve_text", "models_in", "dict_args", "SHEETS",
           "RULE_COLUMNS", "ASSUMPTION_COLUMNS", "PARAMETER_NAMES", "MAX_ROWS", "BUILT_IN"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
OTHER_SPREADSHEETS = (".xls", ".ods", ".numbers")
#: Sheets mixopt reads, in workbook order (Instructions and Lists are for people and drop-downs).
SHEETS = ("Instructions", "Scenario", "Tiers", "Platforms", "Rules", "Assumptions", "Baseline", "Roster", "Lists")
_LEVELS = {"team": (), "tier": ("tiers",), "platform": ("platforms",), "cell": ("cells",)}
BUILT_IN = "built-in"
MAX_ROWS = 5_000  # rows per sheet (a scenario needs a few hundred)
MAX_COLUMNS = 40  # columns read per sheet; further columns are the planner's own notes
MAX_NAME_CHARS = 100  # a field code, tier, platform or cell name


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through Optional, Annotated and unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in models_in(arg)]


def dict_args(annotation: Any) -> tuple[Any, Any] | None:
    """The key and value types of a ``dict[...]`` annotation (through Optional), or None."""
    if typing.get_origin(annotation) is dict:
        key, value = typing.get_args(annotation)
        return key, value
    for arg in typing.get_args(annotation):
        found = dict_args(arg)
        if found is not None:
            return found
    return None


def _named_models(model: type[BaseModel]) -> dict[str, bool]:
    """A block's mappings keyed by the planner's names, and whether each name holds a block."""
    out: dict[str, bool] = {}
    for name, info in model.model_fields.items():
        found = dict_args(info.annotation)
        if found is not None and typing.get_origin(found[0]) is not typing.Literal:
            out[name] = bool(models_in(found[1]))
    return out


#: The numbers an Assumptions row names (each an Assumption: low / base / high).
PARAMETER_NAMES = tuple(name for name, info in CellAssumptions.model_fields.items()
                        if Assumption in models_in(info.annotation))
#: Columns of an Assumption, low / base / high first.
ASSUMPTION_COLUMNS = ("low", "base", "high", *(n for n in Assumption.model_fields if n not in ("low", "base", "high")))
#: One column per rule: the team's, then bands (tier, platform), then cells.
RULE_COLUMNS = tuple(dict.fromkeys(
    [name for name, info in Rules.model_fields.items() if dict_args(info.annotation) is None]
    + list(BandRules.model_fields) + list(CellRules.model_fields)))


def curve_text(points: Any) -> str:
    """A diminishing-returns curve as one cell's text: ``0.25:1, 0.5:0.8, 1:0.6``."""
    return ", ".join(f"{_number_text(a)}:{_number_text(b)}" for a, b in points)


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _curve(value: Any) -> Any:
    """A curve cell's value as YAML would hold it; text that is no curve is passed on for validation to word."""
    if not isinstance(value, str):
        return value
    if value.strip().lower() == "none":
        return "none"
    try:
        pairs = [part.split(":") for part in value.split(",") if part.strip()]
        return [[_number(a.strip()), _number(b.strip())] for a, b in pairs]
    except ValueError:
        return value


def _sweep_values(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str) and ":" not in value and "," in value:
        try:
            return [_number(part.strip()) for part in value.split(",") if part.strip()]
        except ValueError:
            return value
    return value


def _goal(value: Any) -> dict[str, Any]:
    """``maximize reach`` / ``minimize spend`` (or one word, as YAML's shorthand) as the objective mapping."""
    if isinstance(value, str):
        words = value.strip().lower().split()
        if len(words) == 2 and words[0] in ("maximize", "maximise"):
            return {"maximize": words[1]}
        if len(words) == 2 and words[0] in ("minimize", "minimise"):
            return {"minimize": words[1]}
        if words == ["min_spend"]:
            return {"minimize": "spend"}
        if len(words) == 1:
            return {"maximize": words[0]}
    return {"maximize": value}


#: Fields whose value is text even when a spreadsheet stored a number (a scenario named 2026).
_TEXT_FIELDS = {"name", "description", "currency", "sweep.field", "objective.column", "file"}


@dataclass
class _Reader:
    shown: str
    data: dict[str, Any] = field(default_factory=dict)
    cells: dict[tuple[str, ...], str] = field(default_factory=dict)  # field keys -> "Sheet!C4"
    issues: list[Issue] = field(default_factory=list)

    def problem(self, where: str, what: str, problem: str, fix: str, *value: Any) -> None:
        self.issues.append(Issue(self.shown, f"{where}: {what}" if what else where, problem, fix, *value))

    def put(self, keys: tuple[str, ...], value: Any, where: str) -> None:
        """Set ``data[k1][k2]...`` (a cell may fill a field another cell already made a mapping of)."""
        node = self.data
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        node[keys[-1]] = value
        self.cells[keys] = where


def _ref(sheet: str, row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{sheet}!{letters}{row + 1}"


_ERROR_TEXT = re.compile(r"^#(NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!)$")


def _is_formula(value: Any) -> bool:
    """True for a formula as openpyxl gives it when saved values are not asked for."""
    return (isinstance(value, str) and value.startswith("=")) or type(value).__name__ in ("ArrayFormula",
                                                                                          "DataTableFormula")


# ----------------------------------------------------------------------------- sheets


def _header(reader: _Reader, sheet: str, rows: list[list[Any]], key: str,
            ) -> tuple[int, dict[str, int]] | None:
    """The header row (the first row whose cells include ``key``) and its columns by code."""
    for r, row in enumerate(rows[:20]):
        codes = [str(v).strip().lower() if isinstance(v, str) else None for v in row]
        if key in codes:
            columns: dict[str, int] = {}
            for c, code in enumerate(codes):
                if code and code not in columns:
                    columns[code] = c
            return r, columns
    reader.problem(f"{sheet}!A1", "", f"no header row with '{key}' in the first 20 rows",
                   "Keep the header row the template wrote (or add the sheet again from 'mixopt template')")
    return None


class _Cells:
    """One sheet's values, with error cells and formulas without a saved value refused."""

    def __init__(self, reader: _Reader, sheet: str, rows: list[list[Any]], errors: set[tuple[str, int, int]],
                 unsaved: set[tuple[str, int, int]]) -> None:
        self.reader, self.sheet, self.rows, self.errors, self.unsaved = reader, sheet, rows, errors, unsaved

    def get(self, r: int, c: int | None, what: str) -> Any:
        if c is None or c >= len(self.rows[r]):
            return None
        if (self.sheet, r, c) in self.unsaved:
            self.reader.problem(_ref(self.sheet, r, c), what, "is a formula with no saved value",
                                "Open and save the workbook in Excel or LibreOffice, or type the value")
            return None
        value = self.rows[r][c]
        value = (value.strip() or None) if isinstance(value, str) else value
        if (self.sheet, r, c) in self.errors or (isinstance(value, str) and _ERROR_TEXT.match(value)):
            self.reader.problem(_ref(self.sheet, r, c), what, "the cell shows a spreadsheet error",
                                "Fix the formula or type the value", value)
            return None
        return value

    def name(self, r: int, c: int | None, what: str) -> str | None:
        """A tier, platform, cell or field name: text (a number is taken as its text), printable and short."""
        value = self.get(r, c, what)
        if value is None:
            return None
        text = _number_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        if len(text) > MAX_NAME_CHARS or not text.isprintable():
            self.reader.problem(_ref(self.sheet, r, c or 0), what, f"must be a printable name of at most "
                                f"{MAX_NAME_CHARS} characters", "Write a plain name such as nano or nano.tiktok")
            return None
        return text


def _settings(reader: _Reader, cells: _Cells, prefix: tuple[str, ...]) -> None:
    """A sheet of one setting per row: the field code in the 'field' column, its value in 'value'."""
    found = _header(reader, cells.sheet, cells.rows, "field")
    if found is None:
        return
    head, columns = found
    key_col, value_col = columns.get("field"), columns.get("value")
    if value_col is None:
        reader.problem(_ref(cells.sheet, head, len(cells.rows[head])), "", "the header row has no 'value' column",
                       "Keep the header row the template wrote")
        return
    seen: dict[str, int] = {}
    for r in range(head + 1, len(cells.rows)):
        code = cells.name(r, key_col, "field")
        value_ref = _ref(cells.sheet, r, value_col)
        if code is None:
            if cells.get(r, value_col, "value") is not None:
                reader.problem(value_ref, "", "a value with no field code beside it",
                               "Write the field code (such as budget) in the 'field' column")
            continue
        if code in seen:
            reader.problem(_ref(cells.sheet, r, key_col or 0), code, f"is written twice (rows {seen[code] + 1} and "
                           f"{r + 1})", "Keep only one of the two rows")
            continue
        seen[code] = r
        keys = _field_keys(prefix, code)
        value = cells.get(r, value_col, code)
        reader.cells[keys] = value_ref
        if value is None:
            continue
        local = ".".join(keys[len(prefix):])
        if local in _TEXT_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = _number_text(value)
        if keys == ("objective",):
            for extra, extra_value in _goal(value).items():
                reader.put(("objective", extra), extra_value, value_ref)
            reader.cells[("objective",)] = value_ref
            continue
        if keys == ("diminishing_returns",):
            value = _curve(value)
        elif keys == ("sweep", "values"):
            value = _sweep_values(value)
        reader.put(keys, value, value_ref)


def _field_keys(prefix: tuple[str, ...], code: str) -> tuple[str, ...]:
    """``roster.categories.beauty.min_creators`` -> its keys (a category or column name may hold dots)."""
    parts = code.split(".")
    head = parts[0].lower()
    named = _named_models(RosterSettings) if prefix == ("roster",) else {}
    if head in named and named[head] and len(parts) > 2:
        return (*prefix, head, ".".join(parts[1:-1]), parts[-1].lower())
    if head in named and not named[head] and len(parts) > 1:
        return (*prefix, head, ".".join(parts[1:]))
    return (*prefix, *(part.lower() for part in parts))


def _tiers(reader: _Reader, cells: _Cells) -> None:
    found = _header(reader, cells.sheet, cells.rows, "tier")
    if found is None:
        return
    head, columns = found
    tiers: dict[str, Any] = {}
    for r in range(head + 1, len(cells.rows)):
        name = cells.name(r, columns.get("tier"), "tier")
        low = cells.get(r, columns.get("from_followers"), "from_followers")
        high = cells.get(r, columns.get("to_followers"), "to_followers")
        if name is None:
            if low is not None or high is not None:
                reader.problem(_ref(cells.sheet, r, columns["tier"]), "tier", "follower bounds with no tier name",
                               "Name the tier, e.g. nano")
            continue
        if name in tiers:
            reader.problem(_ref(cells.sheet, r, columns["tier"]), name, "this tier is listed twice",
                           "List each tier once")
            continue
        tiers[name] = [low, high]
        reader.cells[("tiers", name)] = _ref(cells.sheet, r, columns.get("from_followers", 1))
    if tiers:
        reader.data["tiers"] = tiers


def _platforms(reader: _Reader, cells: _Cells) -> None:
    found = _header(reader, cells.sheet, cells.rows, "platform")
    if found is None:
        return
    head, columns = found
    platforms: list[Any] = []
    for r in range(head + 1, len(cells.rows)):
        name = cells.name(r, columns.get("platform"), "platform")
        if name is not None:
            reader.cells[("platforms", str(len(platforms)))] = _ref(cells.sheet, r, columns["platform"])
            platforms.append(name)
    if platforms:
        reader.data["platforms"] = platforms


def _rules(reader: _Reader, cells: _Cells) -> None:
    found = _header(reader, cells.sheet, cells.rows, "level")
    if found is None:
        return
    head, columns = found
    seen: dict[tuple[str, str], int] = {}
    for r in range(head + 1, len(cells.rows)):
        values = {rule: cells.get(r, columns.get(rule), rule) for rule in RULE_COLUMNS}
        level = cells.name(r, columns.get("level"), "level")
        name = cells.name(r, columns.get("name"), "name")
        if all(v is None for v in values.values()):
            continue
        level_ref = _ref(cells.sheet, r, columns["level"])
        if level is None or level.lower() not in _LEVELS:
            reader.problem(level_ref, "level", "must be team, tier, platform or cell",
                           "Choose the level from the drop-down list", *(() if level is None else (level,)))
            continue
        level = level.lower()
        if level != "team" and name is None:
            reader.problem(_ref(cells.sheet, r, columns.get("name", 1)), "name", f"names no {level}",
                           f"Write the {level}'s name, e.g. {'nano.tiktok' if level == 'cell' else 'nano'}")
            continue
        key = (level, name or "") if level != "team" else ("team", "")
        if key in seen:
            reader.problem(level_ref, f"{level} {name or ''}".strip(), f"has two rows ({seen[key] + 1} and {r + 1})",
                           "Keep one row per level and name")
            continue
        seen[key] = r
        base = ("rules", *_LEVELS[level], *((name,) if level != "team" else ()))
        for rule, value in values.items():
            if value is not None:
                reader.put((*base, rule), value, _ref(cells.sheet, r, columns[rule]))


def _built_in(key: str, parameter: str) -> tuple[float, float, float] | None:
    tier, _, platform = key.partition(".")
    found = default_value(tier, platform, parameter) if platform else None
    return None if found is None else (found.low, found.base, found.high)


def _same(numbers: list[Any], built: tuple[float, float, float]) -> bool:
    """True when low / base / high are the built-in numbers and nothing else is written."""
    if any(n is not None for n in numbers[3:]):
        return False
    try:
        return all(n is not None and not isinstance(n, bool) and f"{float(n):.12g}" == f"{b:.12g}"
                   for n, b in zip(numbers[:3], built, strict=True))
    except (TypeError, ValueError):
        return False


def _assumptions(reader: _Reader, cells: _Cells) -> None:
    found = _header(reader, cells.sheet, cells.rows, "applies_to")
    if found is None:
        return
    head, columns = found
    seen: dict[tuple[str, str], int] = {}
    for r in range(head + 1, len(cells.rows)):
        key = cells.name(r, columns.get("applies_to"), "applies_to")
        parameter = cells.name(r, columns.get("parameter"), "parameter")
        numbers = [cells.get(r, columns.get(name), name) for name in ASSUMPTION_COLUMNS]
        per = cells.get(r, columns.get("per"), "per")
        set_by = cells.get(r, columns.get("set_by"), "set_by")
        if all(v is None for v in numbers) and per is None:
            continue
        first = _ref(cells.sheet, r, columns["applies_to"])
        if key is None or parameter is None:
            reader.problem(first, "applies_to", "a value with no tier, platform or cell and parameter beside it",
                           "Write what it applies to (nano, tiktok or nano.tiktok) and the parameter")
            continue
        if (key, parameter) in seen:
            reader.problem(first, f"{key}.{parameter}", f"is written twice (rows {seen[key, parameter] + 1} and "
                           f"{r + 1})", "Keep only one of the two rows")
            continue
        seen[key, parameter] = r
        own = isinstance(set_by, str) and set_by.strip().lower() == key.lower()
        built = _built_in(key, parameter) if "." in key else None
        if built is not None and not own and _same(numbers, built):
            default = default_value(*key.split(".", 1), parameter)
            if per is None or (default is not None and str(per).lower() == (default.denominator or "followers")):
                continue  # the built-in numbers, shown for editing in place
        if parameter == "diminishing_returns":
            reader.put(("assumptions", key, parameter), _curve(numbers[1]), _ref(cells.sheet, r, columns["base"]))
            continue
        if per is not None:
            if parameter != "engagement_rate":
                reader.problem(_ref(cells.sheet, r, columns["per"]), f"{key}.{parameter}",
                               "only engagement_rate rows take 'per'", "Clear the 'per' cell", per)
                continue
            reader.put(("assumptions", key, "engagement_rate_per"), per, _ref(cells.sheet, r, columns["per"]))
        given = {name: v for name, v in zip(ASSUMPTION_COLUMNS, numbers, strict=True) if v is not None}
        if not given:
            continue
        target = ("assumptions", key, parameter)
        value: Any = given["base"] if set(given) == {"base"} else given
        reader.put(target, value, _ref(cells.sheet, r, columns["base"]))
        for name in given:
            reader.cells[(*target, name)] = _ref(cells.sheet, r, columns[name])


def _baseline(reader: _Reader, cells: _Cells) -> None:
    found = _header(reader, cells.sheet, cells.rows, "cell")
    if found is None:
        return
    head, columns = found
    for r in range(head + 1, len(cells.rows)):
        values = {name: cells.get(r, columns.get(name), name) for name in ("creators", "posts")}
        if all(v is None for v in values.values()):
            continue
        key = cells.name(r, columns.get("cell"), "cell")
        if key is None:
            reader.problem(_ref(cells.sheet, r, columns["cell"]), "cell", "creators or posts with no cell beside it",
                           "Write the cell, e.g. nano.instagram")
            continue
        if key in reader.data.get("baseline", {}):
            reader.problem(_ref(cells.sheet, r, columns["cell"]), key, "this cell is listed twice",
                           "Keep one row per cell")
            continue
        reader.data.setdefault("baseline", {})[key] = {}
        reader.cells[("baseline", key)] = _ref(cells.sheet, r, columns.get("creators", 1))
        for name, value in values.items():
            if value is not None:
                reader.put(("baseline", key, name), value, _ref(cells.sheet, r, columns[name]))


def read_scenario_workbook(path: str | Path, shown: str | None = None) -> RawScenario:
    """Read a scenario workbook into the plain data the YAML reader gives.

    Each value's origin is the workbook and its cell (``scenario.xlsx: Rules!C4``), so every
    problem the validation finds names the sheet and cell to change.

    Raises
    ------
    ScenarioError
        One line per problem when the file cannot be read as a scenario workbook (missing, too
        big, not a workbook, no Scenario sheet, formulas without a saved value, error cells).
    """
    path = Path(path)
    shown = shown or str(path)
    content = read_workbook_bytes(path, shown)
    grids, errors = read_grids(content, shown, data_only=True, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    formulas, _ = read_grids(content, shown, data_only=False, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    unsaved = {(sheet, r, c) for sheet, rows in formulas.items() for r, row in enumerate(rows)
               for c, value in enumerate(row) if _is_formula(value)
               and (r >= len(grids.get(sheet, [])) or c >= len(grids[sheet][r]) or grids[sheet][r][c] is None)}
    reader = _Reader(shown)
    by_name = {name.strip().lower(): name for name in grids}
    if "scenario" not in by_name:
        near = difflib.get_close_matches("scenario", list(by_name), n=1, cutoff=0.6)
        fix = f"Rename the sheet '{by_name[near[0]]}' to Scenario" if near else \
            "Start from 'mixopt template FILE.xlsx', which writes every sheet"
        raise ScenarioError([Issue(shown, "(file)", "the workbook has no Scenario sheet", fix)])
    known = {name.lower() for name in SHEETS}
    for lower, actual in by_name.items():
        if lower not in known:
            near = difflib.get_close_matches(lower, sorted(known - set(by_name)), n=1, cutoff=0.75)
            if near:
                reader.problem(f"{actual}!A1", "", "not a sheet mixopt reads",
                               f"Did you mean '{next(s for s in SHEETS if s.lower() == near[0])}'?")
    readers = (("Scenario", lambda c: _settings(reader, c, ())), ("Tiers", lambda c: _tiers(reader, c)),
               ("Platforms", lambda c: _platforms(reader, c)), ("Rules", lambda c: _rules(reader, c)),
               ("Assumptions", lambda c: _assumptions(reader, c)), ("Baseline", lambda c: _baseline(reader, c)),
               ("Roster", lambda c: _settings(reader, c, ("roster",))))
    for sheet, read in readers:
        actual = by_name.get(sheet.lower())
        if actual is not None:
            read(_Cells(reader, actual, grids[actual], errors, unsaved))
    if reader.issues:
        raise ScenarioError(reader.issues)
    origins: dict[tuple[str, ...], str] = {}
    for keys, ref in reader.cells.items():
        origins[keys] = f"{shown}: {ref}"
        for end in range(1, len(keys)):  # a whole block is found at its first cell
            origins.setdefault(keys[:end], f"{shown}: {ref}")
    return RawScenario(data=reader.data, origins=origins, file=shown, content_hash=hashlib.sha256(content).hexdigest())


def _refuse_other(path: Path, shown: str) -> RawScenario:
    raise ScenarioError([Issue(shown, "(file)", f"a scenario cannot be read from a {path.suffix} file",
                               "Save it as .xlsx (a scenario workbook) or write it as .yaml")])


OTHER_FORMATS.update({suffix: read_scenario_workbook for suffix in WORKBOOK_SUFFIXES})
OTHER_FORMATS.update({suffix: _refuse_other for suffix in OTHER_SPREADSHEETS})
