"""Write a scenario workbook: the fill-in template (``mixopt template``, ``mixopt init x.xlsx``) and a
scenario converted from YAML (``mixopt convert``).

The sheets are the ones ``mixopt.scenario.workbook`` reads: Instructions, Scenario, Tiers,
Platforms, Rules, Assumptions (every cell's built-in numbers with their ranges, units and
sources, to edit in place), Baseline, Roster, and a hidden Lists sheet for the drop-down lists.
Metadata dates are fixed, so the same scenario always gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mixopt.outputs.files import write_atomic
from mixopt.scenario.defaults import default_value
from mixopt.scenario.schema import KPIS, MAX_KPIS, Scenario
from mixopt.scenario.workbook import (
    ASSUMPTION_COLUMNS,
    BUILT_IN,
    PARAMETER_NAMES,
    RULE_COLUMNS,
    curve_text,
    dict_args,
    models_in,
)

__all__ = ["write_scenario_workbook"]

_FIXED_TIME = _dt.datetime(2000, 1, 1)
_OWN_SHEETS = ("tiers", "platforms", "rules", "assumptions", "baseline", "roster")
_TABLE_ROWS = 300  # rows below the header that carry drop-down lists
_GOALS = tuple(f"maximize {kpi}" for kpi in MAX_KPIS) + ("minimize spend", "maximize column")

#: Planner words for the settings (the field code sits beside them).
_LABELS: dict[str, tuple[str, str]] = {
    "name": ("scenario name", "shown on every output"),
    "description": ("description", "free text"),
    "currency": ("currency", "all money below is in this currency, e.g. USD"),
    "budget": ("media budget", "fees + product + handling (commission is paid out of sales)"),
    "objective": ("goal", "pick from the list: maximize reach ... profit, maximize value, minimize spend"),
    "objective.column": ("roster column to maximise", "with 'maximize column' only: a creator-table column"),
    "economics.average_order_value": ("revenue per conversion", "needed for revenue, profit and ROI"),
    "economics.margin_rate": ("share of revenue kept", "0 to 1 (blank: 1)"),
    "economics.commission_per_conversion": ("affiliate commission per conversion", "paid out of sales"),
    "diminishing_returns": ("diminishing returns", "share:value pairs, e.g. 0.25:1, 0.5:0.8, 1:0.6 (the "
                            "built-in curve when blank), or none"),
    "solver.name": ("solver", "highs (default) or cbc"),
    "solver.mip_gap": ("accepted gap", "0 = proven best plan"),
    "solver.time_limit_s": ("time limit", "seconds"),
    "sweep.field": ("sweep: field", "what 'mixopt sweep FILE' varies, e.g. budget"),
    "sweep.values": ("sweep: values", "start:stop:step such as 10000:100000:5000, or a list 20000, 40000"),
    "file": ("creator table", "CSV, XLSX or Parquet (a file, or a folder of Parquet files), relative to this "
                              "workbook; blank: plan by tier"),
    "mip_gap": ("accepted gap", "the roster plan stops within this share of the proven best"),
}
_MONEY = ("budget", "average_order_value", "commission_per_conversion", "min_spend", "max_spend", "value_per_unit",
          "targets.revenue", "targets.profit", "limits.")
_SHARES = ("share", "margin_rate", "mip_gap", "_rate", "correlation")


def _unit(path: str, currency: str) -> str:
    if any(part in path for part in _MONEY):
        return currency
    if "mip_gap" in path:
        return "share (0.001 = 0.1%)"
    if any(part in path for part in _SHARES):
        return "share (0.6 = 60%)"
    if path.startswith("targets.") and path.split(".")[-1] in KPIS:
        return path.split(".")[-1]
    return ""


def _lookup(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = data
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _leaves(data: Any, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(data, dict) and data:
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*prefix, str(key)))]
    return [(prefix, data)] if not isinstance(data, dict) else []


def _goal_text(objective: Any) -> str | None:
    if isinstance(objective, str):
        return "minimize spend" if objective == "min_spend" else f"maximize {objective}"
    if isinstance(objective, dict):
        if objective.get("minimize") is not None:
            return f"minimize {objective['minimize']}"
        if objective.get("maximize") is not None:
            return f"maximize {objective['maximize']}"
    return None


def _cell_value(path: str, value: Any) -> Any:
    if path.endswith("diminishing_returns") and isinstance(value, (list, tuple)):
        return curve_text(value)
    if path == "sweep.values" and isinstance(value, (list, tuple)):
        return ", ".join(f"{v:g}" if isinstance(v, float) and v.is_integer() else str(v) for v in value)
    return value


class _Book:
    def __init__(self, target: Path, title: str) -> None:
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(target), {"nan_inf_to_errors": False})
        self.wb.set_properties({"title": title, "creator": "mixopt", "created": _FIXED_TIME})
        self.title = self.wb.add_format({"bold": True, "font_size": 13})
        self.help = self.wb.add_format({"italic": True, "font_color": "#555555"})
        self.label = self.wb.add_format({"bold": True, "bg_color": "#EEEEEE", "text_wrap": True, "valign": "top"})
        self.code = self.wb.add_format({"bold": True, "bg_color": "#DDDDDD", "font_name": "Courier New"})
        self.input = self.wb.add_format({"bg_color": "#FFF7D6", "border": 1, "border_color": "#CCCCCC"})
        self.info = self.wb.add_format({"font_color": "#666666"})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})

    def sheet(self, name: str, title: str, help_text: str, widths: list[int]) -> Any:
        ws = self.wb.add_worksheet(name)
        ws.write_string(0, 0, title, self.title)
        if help_text:
            ws.write_string(1, 0, help_text, self.help)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(2)
        ws.freeze_panes(3, 0)
        return ws

    def put(self, ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
        fmt = fmt if fmt is not None else self.input
        if value is None:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)

    def choices(self, ws: Any, first: int, col: int, source: str, strict: bool) -> None:
        ws.data_validation(first, col, first + _TABLE_ROWS, col, {
            "validate": "list", "source": source, "error_type": "stop" if strict else "warning",
            "error_title": "mixopt", "error_message": "Choose a value from the list."})


def setting_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every one-value field of a settings block, as keys: nested blocks opened, fixed-key mappings
    (``value_per_unit``) by key; mappings keyed by the planner's names come from the data."""
    paths: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        keys = (*prefix, name)
        found = dict_args(info.annotation)
        if found is not None:
            if typing.get_origin(found[0]) is typing.Literal:
                paths += [(*keys, str(k)) for k in typing.get_args(found[0])]
            continue
        nested = models_in(info.annotation)
        if nested:
            paths += setting_paths(nested[0], keys)
        else:
            paths.append(keys)
    return paths


def _list_columns(scenario: Scenario) -> dict[str, list[str]]:
    cells = [f"{t}.{p}" for t, p in scenario.cells]
    return {
        "goals": list(_GOALS), "levels": ["team", "tier", "platform", "cell"], "tiers": list(scenario.tier_names),
        "platforms": list(dict.fromkeys([*scenario.platforms, "instagram", "tiktok", "youtube"])), "cells": cells,
        "names": [*scenario.tier_names, *scenario.platforms, *cells],
        "parameters": [*PARAMETER_NAMES, "diminishing_returns"], "per": ["followers", "views"],
        "solvers": ["highs", "cbc"],
    }


def _list_ranges(columns: dict[str, list[str]]) -> dict[str, str]:
    """Each drop-down list's range on the hidden Lists sheet."""
    return {name: f"=Lists!${chr(65 + col)}$2:${chr(65 + col)}${max(len(values), 1) + 1}"
            for col, (name, values) in enumerate(columns.items())}


def _lists(book: _Book, columns: dict[str, list[str]]) -> None:
    ws = book.wb.add_worksheet("Lists")
    for col, (name, values) in enumerate(columns.items()):
        ws.write_string(0, col, name, book.code)
        for row, value in enumerate(values, start=1):
            ws.write_string(row, col, value)
    ws.hide()


def _instructions(book: _Book, note: str) -> None:
    ws = book.wb.add_worksheet("Instructions")
    ws.set_column(0, 0, 120)
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    lines = [
        ("How to fill in this scenario workbook", book.title),
        (note, book.wrap),
        ("", None),
        ("1. Yellow cells are yours: type numbers as numbers (0.6, not 60% typed as text). A blank cell means "
         "'not set', as leaving a line out of a YAML scenario.", book.wrap),
        ("2. Scenario: name, currency, budget, goal (drop-down), targets and economics. Tiers and Platforms: "
         "the follower bands and the platforms to plan on, one per row.", book.wrap),
        ("3. Rules: one row per level (team, tier, platform or cell) and name; fill only the rules you want. "
         "Rules!C4 is the team capacity (the most creators the team can manage).", book.wrap),
        ("4. Assumptions: every cell's built-in numbers with their range (low / base / high), unit and "
         "source. Edit a number in place to override it for that cell. A row still showing the built-in numbers "
         "(columns I-K) is the default. Add a row whose applies_to is a tier (nano) or a platform (tiktok) "
         "to change every cell of it; a cell's own edited row wins. 'set_by' shows where a value comes from "
         "(a row whose set_by is its own cell is always used). 'per' says whether an engagement rate is per "
         "follower or per view (blank on an edited row: per follower).", book.wrap),
        ("5. Baseline: your own mix (creators and posts per cell), shown beside the optimised plan. Roster: "
         "name a creator table to choose named creators instead of creators per tier.", book.wrap),
        ("6. Check and plan:  mixopt validate FILE.xlsx   then   mixopt solve FILE.xlsx. A problem names its "
         "sheet and cell, e.g. 'scenario.xlsx: Rules!C4: max_creators: must be a whole number (got 70.5).'",
         book.wrap),
        ("7. mixopt convert FILE.xlsx FILE.yaml writes the same scenario as YAML (and back). Keep the sheet "
         "names and the header rows (the field codes in row 3); add your own notes in further columns or "
         "sheets.", book.wrap),
    ]
    for row, (text, fmt) in enumerate(lines):
        ws.write_string(row, 0, text, fmt) if fmt is not None else ws.write_blank(row, 0, None)
    ws.activate()


def _settings_sheet(book: _Book, name: str, title: str, paths: list[tuple[str, ...]], data: dict[str, Any],
                    prefix: tuple[str, ...], currency: str, goal_list: str | None, solver_list: str | None) -> None:
    ws = book.sheet(name, title, "One setting per row: type the value in column C; a blank value is not set.",
                    [34, 40, 22, 18, 70])
    ws.write_row(2, 0, ["setting", "field", "value", "unit", "notes"], book.code)
    row = 3
    for keys in paths:
        code = ".".join(keys)
        full = ".".join((*prefix, *keys))
        if keys == ("objective",):
            value: Any = _goal_text(data.get("objective"))
        else:
            value = _cell_value(full, _lookup(data, (*prefix, *keys)))
        label, notes = _LABELS.get(code, _LABELS.get(keys[-1], (code.replace("_", " ").replace(".", ": "), "")))
        ws.write_string(row, 0, label, book.label)
        ws.write_string(row, 1, code, book.info)
        book.put(ws, row, 2, value)
        ws.write_string(row, 3, _unit(full, currency), book.info)
        ws.write_string(row, 4, notes, book.info)
        if keys == ("objective",) and goal_list:
            ws.data_validation(row, 2, row, 2, {"validate": "list", "source": goal_list, "error_type": "stop"})
        if code == "solver.name" and solver_list:
            ws.data_validation(row, 2, row, 2, {"validate": "list", "source": solver_list, "error_type": "stop"})
        row += 1


def _scenario_paths(data: dict[str, Any]) -> list[tuple[str, ...]]:
    """The Scenario sheet's fields: every field the schema has outside the other sheets, then any
    further value the scenario sets; the objective's maximize / minimize as one 'goal' row."""
    paths: list[tuple[str, ...]] = []
    for keys in setting_paths(Scenario):
        if keys[0] in _OWN_SHEETS:
            continue
        keys = ("objective",) if keys[:2] in (("objective", "maximize"), ("objective", "minimize")) else keys
        if keys not in paths:
            paths.append(keys)
    for keys, _value in _leaves({k: v for k, v in data.items() if k not in _OWN_SHEETS}, ()):
        if keys[0] == "objective" and (len(keys) == 1 or keys[1] in ("maximize", "minimize")):
            continue
        if keys[0] == "sweep" or keys[0] == "diminishing_returns":
            keys = keys[:2] if keys[0] == "sweep" else keys[:1]
        if keys not in paths:
            paths.append(keys)
    return paths


def _roster_paths(data: dict[str, Any]) -> list[tuple[str, ...]]:
    from mixopt.scenario.schema import RosterSettings

    paths = setting_paths(RosterSettings)
    roster = data.get("roster") if isinstance(data.get("roster"), dict) else {}
    for keys, _value in _leaves(roster, ()):
        if keys[0] in ("categories",) and len(keys) > 3:  # a category name with dots
            keys = (keys[0], ".".join(keys[1:-1]), keys[-1])
        if keys not in paths:
            paths.append(keys)
    return paths


def _table_sheet(book: _Book, name: str, title: str, help_text: str, labels: list[str], codes: list[str],
                 rows: list[list[Any]], widths: list[int], inputs: int) -> Any:
    ws = book.sheet(name, f"{title}. {help_text}", "", widths)
    ws.set_row(1, 30)
    ws.write_row(1, 0, labels, book.label)
    ws.write_row(2, 0, codes, book.code)
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values):
            book.put(ws, r, c, value, book.input if c < inputs else book.info)
    return ws


def _rules_rows(data: dict[str, Any], scenario: Scenario) -> list[list[Any]]:
    rules = data.get("rules") if isinstance(data.get("rules"), dict) else {}
    rows = [["team", None, *[rules.get(c) for c in RULE_COLUMNS]]]
    groups = (("tier", "tiers", list(scenario.tier_names)), ("platform", "platforms", list(scenario.platforms)),
              ("cell", "cells", [f"{t}.{p}" for t, p in scenario.cells]))
    for level, group, names in groups:
        block = rules.get(group) if isinstance(rules.get(group), dict) else {}
        for name in dict.fromkeys([*names, *block]):
            values = block.get(name) if isinstance(block.get(name), dict) else {}
            rows.append([level, name, *[values.get(c) for c in RULE_COLUMNS]])
    return rows


def _assumption_row(key: str, parameter: str, block: dict[str, Any] | None, set_by: str,
                    built: Any) -> list[Any]:
    numbers: list[Any] = [None] * len(ASSUMPTION_COLUMNS)
    per = None
    if block is not None:
        value = block.get(parameter)
        if isinstance(value, dict):
            numbers = [value.get(c) for c in ASSUMPTION_COLUMNS]
        elif value is not None:
            numbers[1] = value
        if parameter == "diminishing_returns" and value is not None:
            numbers = [None, curve_text(value), *[None] * (len(ASSUMPTION_COLUMNS) - 2)]
        per = block.get("engagement_rate_per") if parameter == "engagement_rate" else None
    elif built is not None and set_by == BUILT_IN:
        numbers = [built.low, built.base, built.high, *[None] * (len(ASSUMPTION_COLUMNS) - 3)]
        per = (built.denominator or "followers") if parameter == "engagement_rate" else None
    reference = ([built.low, built.base, built.high, built.unit, built.source, built.year, built.grade]
                 if built is not None else [None, None, None, None, None, None, None])
    return [key, parameter, *numbers, per, set_by, *reference]


def _sets(block: Any, parameter: str) -> bool:
    if not isinstance(block, dict):
        return False
    return block.get(parameter) is not None or (parameter == "engagement_rate"
                                                and block.get("engagement_rate_per") is not None)


def _assumption_rows(data: dict[str, Any], scenario: Scenario) -> list[list[Any]]:
    given = data.get("assumptions") if isinstance(data.get("assumptions"), dict) else {}
    rows: list[list[Any]] = []
    extra = ["diminishing_returns"]
    for key, block in given.items():
        if "." in key or not isinstance(block, dict):
            continue
        for parameter in (*PARAMETER_NAMES, *extra):
            if _sets(block, parameter):
                rows.append(_assumption_row(key, parameter, block, key, None))
    for tier, platform in scenario.cells:
        key = f"{tier}.{platform}"
        own = given.get(key) if isinstance(given.get(key), dict) else None
        for parameter in (*PARAMETER_NAMES, *extra):
            built = default_value(tier, platform, parameter)
            broad = next((k for k in (platform, tier) if _sets(given.get(k), parameter)), None)
            if _sets(own, parameter):
                rows.append(_assumption_row(key, parameter, own, key, built))
            elif broad is not None and parameter != "diminishing_returns":
                rows.append(_assumption_row(key, parameter, None, broad, built))
            elif built is not None:
                rows.append(_assumption_row(key, parameter, None, BUILT_IN, built))
    return rows


def _baseline_rows(data: dict[str, Any], scenario: Scenario) -> list[list[Any]]:
    given = data.get("baseline") if isinstance(data.get("baseline"), dict) else {}
    keys = dict.fromkeys([*(f"{t}.{p}" for t, p in scenario.cells), *given])
    rows = []
    for key in keys:
        values = given.get(key) if isinstance(given.get(key), dict) else {}
        rows.append([key, values.get("creators"), values.get("posts")])
    return rows


def _write(target: Path, data: dict[str, Any], scenario: Scenario, note: str) -> None:
    book = _Book(target, f"mixopt scenario: {scenario.name}")
    _instructions(book, note)
    columns = _list_columns(scenario)
    lists = _list_ranges(columns)
    currency = scenario.currency
    _settings_sheet(book, "Scenario", "Scenario: budget, goal, targets and economics", _scenario_paths(data), data,
                    (), currency, lists["goals"], lists["solvers"])
    tiers = [[name, low, high] for name, (low, high) in scenario.tiers.items()]
    _table_sheet(book, "Tiers", "Tiers: follower bands", "One tier per row: followers from (included) to (not "
                 "included).", ["tier name", "followers from", "followers to"], ["tier", "from_followers",
                                                                              "to_followers"], tiers, [16, 18, 18], 3)
    ws = _table_sheet(book, "Platforms", "Platforms to plan on", "One platform per row, in report order.",
                      ["platform name"], ["platform"], [[p] for p in scenario.platforms], [24], 1)
    book.choices(ws, 3, 0, lists["platforms"], strict=False)
    labels = {"max_creators": "most creators", "min_creators": "fewest creators", "min_spend_share":
              "least share of spend", "max_spend_share": "most share of spend", "min_budget_share":
              "least share of budget", "max_budget_share": "most share of budget", "min_spend": "least spend",
              "max_spend": "most spend", "lock": "exactly (lock)", "min_if_used": "none or at least"}
    rule_labels = ["rule for", "tier, platform or cell", *[labels.get(c, c) for c in RULE_COLUMNS]]
    ws = _table_sheet(book, "Rules", "Rules: what the plan must respect", "One row per level and name; blank: no "
                      "rule. Shares are 0-1, money in " + currency + ".", rule_labels, ["level", "name",
                                                                                        *RULE_COLUMNS],
                      _rules_rows(data, scenario), [10, 18, *[14] * len(RULE_COLUMNS)], 2 + len(RULE_COLUMNS))
    book.choices(ws, 3, 0, lists["levels"], strict=True)
    book.choices(ws, 3, 1, lists["names"], strict=False)
    n = len(ASSUMPTION_COLUMNS)
    codes = ["applies_to", "parameter", *ASSUMPTION_COLUMNS, "per", "set_by", "builtin_low", "builtin_base",
             "builtin_high", "unit", "source", "year", "grade"]
    alabels = ["applies to", "parameter", "low (P10)", "base (planning value)", "high (P90)",
               *ASSUMPTION_COLUMNS[3:], "engagement per", "set by", "built-in low", "built-in base",
               "built-in high", "unit", "source", "year", "grade"]
    ws = _table_sheet(book, "Assumptions", "Assumptions: each cell's numbers", "Edit numbers in place; a row "
                      "showing the built-in numbers is the default.", alabels, codes, _assumption_rows(data, scenario),
                      [16, 20, 12, 14, 12, *[12] * (n - 3), 12, 16, 12, 12, 12, 12, 60, 8, 12], n + 4)
    book.choices(ws, 3, 0, lists["names"], strict=False)
    book.choices(ws, 3, 1, lists["parameters"], strict=False)
    book.choices(ws, 3, n + 2, lists["per"], strict=True)
    ws = _table_sheet(book, "Baseline", "Baseline: your own mix", "Creators and posts per cell, shown beside the "
                      "optimised plan; blank rows are not part of it.", ["cell (tier.platform)", "creators", "posts"],
                      ["cell", "creators", "posts"], _baseline_rows(data, scenario), [20, 12, 12], 3)
    book.choices(ws, 3, 0, lists["cells"], strict=False)
    _settings_sheet(book, "Roster", "Roster: choose named creators from a creator table", _roster_paths(data),
                    data, ("roster",), currency, None, None)
    _lists(book, columns)
    book.wb.close()


def write_scenario_workbook(target: Path, data: dict[str, Any], scenario: Scenario, note: str) -> Path:
    """Write ``data`` (a scenario's plain data, as YAML holds it) as a scenario workbook at ``target``.

    ``scenario`` is the validated scenario of the same data (its tiers, platforms and cells lay
    out the sheets); ``note`` says where the scenario came from, on the Instructions sheet.
    """
    write_atomic(Path(target), lambda tmp: _write(tmp, data, scenario, note))
    return Path(target)
