"""Plan -> terminal table, CSV, JSON and XLSX. I/O only; every file is written atomically.

Column names, order and rounding are fixed (and documented in ``COLUMNS``) so files diff
cleanly and golden tests stay stable. Nothing time-dependent goes into a file.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from mixopt.plan import Plan, assumptions_table

__all__ = ["COLUMNS", "plan_csv", "plan_json", "plan_dict", "write_outputs", "write_xlsx", "format_table", "write_atomic"]

#: Every column of plan.csv: (name, unit, meaning, decimals).
COLUMNS: tuple[tuple[str, str, str, int], ...] = (
    ("tier", "", "creator tier (follower band)", -1),
    ("platform", "", "social platform", -1),
    ("creators", "creators", "creators to sign in this cell", 0),
    ("posts", "posts", "sponsored posts in total across those creators", 0),
    ("invites", "creators", "creators to invite so that, at the acceptance rate, enough sign: ceil(creators / acceptance_rate)", 0),
    ("expected_signed", "creators", "creators expected to sign from those invites: invites x acceptance_rate", 2),
    ("spend", "currency", "media budget used: fees + product_cost + handling_cost", 2),
    ("fees", "currency", "fees: fee_per_post x posts", 2),
    ("product_cost", "currency", "product / gifting: product_cost per creator x creators", 2),
    ("handling_cost", "currency", "internal handling: handling_cost per creator x creators", 2),
    ("reach", "people", "unique people reached: followers x reach_rate x creators, after diminishing returns", 1),
    ("impressions", "views", "post views: followers x reach_rate x posts, after diminishing returns", 1),
    ("engagements", "engagements", "likes, comments, shares, saves: followers x engagement_rate x posts, after diminishing returns", 1),
    ("conversions", "conversions", "purchases: engagements x conversion_rate", 2),
    ("revenue", "currency", "conversions x average_order_value (0 when no order value is given)", 2),
    ("commission", "currency", "affiliate commission paid out of sales: conversions x commission_per_conversion (not in spend)", 2),
    ("cpe", "currency per engagement", "cost per engagement: spend / engagements (empty when 0 engagements)", 4),
    ("cpa", "currency per conversion", "cost per acquisition: spend / conversions (empty when 0 conversions)", 4),
)

_TOTAL_KEYS = (
    "creators", "posts", "invites", "expected_signed", "spend", "fees", "product_cost", "handling_cost", "reach",
    "impressions", "engagements", "conversions", "revenue", "commission", "profit", "roi", "cpe", "cpa", "cpm_reach",
)

#: Meaning of each total in plan.json / the Summary sheet.
TOTAL_DOCS = {
    "profit": ("currency", "margin_rate x revenue - commission - spend"),
    "roi": ("ratio", "return on investment: profit / spend"),
    "cpm_reach": ("currency per 1,000 people", "spend per 1,000 people reached"),
}

_FIXED_TIME = _dt.datetime(2000, 1, 1)


def _clean(value: Any, decimals: int = 6) -> Any:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        rounded = round(value, decimals)
        return 0.0 if rounded == 0 else rounded
    return value


def _table_rows(plan: Plan) -> pd.DataFrame:
    return plan.allocation.copy()


def plan_csv(plan: Plan) -> str:
    """plan.csv: one row per (tier, platform) cell and a final ``total`` row."""
    frame = _table_rows(plan)
    out = io.StringIO()
    names = [c[0] for c in COLUMNS]
    out.write(",".join(names) + "\n")
    totals = dict(plan.totals)
    total_row = {name: totals.get(name, "") for name in names}
    total_row.update({"tier": "total", "platform": "all"})
    records = frame.to_dict("records") + [total_row]
    for record in records:
        cells = []
        for name, _unit, _doc, decimals in COLUMNS:
            value = record.get(name, "")
            if decimals < 0 or isinstance(value, str):
                cells.append(str(value))
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append("")
            elif decimals == 0:
                cells.append(str(int(round(float(value)))))
            else:
                cells.append(f"{float(value):.{decimals}f}")
        out.write(",".join(cells) + "\n")
    return out.getvalue()


def _provenance(plan: Plan) -> dict[str, Any]:
    s = plan.scenario
    return {
        "mixopt_version": plan.mixopt_version,
        "scenario_name": s.name,
        "scenario_file": s.source_file,
        "scenario_sha256": s.content_hash,
        "solver": plan.solver,
        "solver_version": plan.solver_version,
    }


def plan_dict(plan: Plan) -> dict[str, Any]:
    """Everything about a plan as plain data (what plan.json holds)."""
    s = plan.scenario
    data: dict[str, Any] = {
        "provenance": _provenance(plan),
        "status": plan.status.value,
        "objective": {
            "goal": ("minimize " if plan.objective_label == "spend" else "maximize ") + plan.objective_label,
            "value": _clean(plan.objective_value),
            "bound": _clean(plan.bound),
            "gap": _clean(plan.gap),
            "mip_gap_requested": s.solver.mip_gap,
        },
        "budget": s.budget,
        "currency": s.currency,
        "totals": {k: _clean(plan.totals.get(k)) for k in _TOTAL_KEYS},
        "allocation": [
            {k: _clean(v) for k, v in row.items()} for row in _table_rows(plan).to_dict("records")
        ],
        "binding_rules": [
            {"rule": m.rule, "label": m.label, "step": m.step, "objective_change": _clean(m.change),
             "explanation": m.explanation}
            for m in plan.marginals
        ],
        "rule_checks": [
            {"rule": c.rule, "label": c.label, "value": _clean(c.value), "sense": c.sense, "limit": _clean(c.limit),
             "slack": _clean(c.slack), "holds": c.holds}
            for c in plan.checks
            if not c.rule.startswith(("whole_", "creators_nonnegative"))
        ],
        "notes": list(plan.notes),
        "assumptions": [{k: _clean(v) for k, v in row.items()} for row in assumptions_table(plan.cells).to_dict("records")],
    }
    if plan.baseline is not None:
        data["your_mix"] = {
            "objective_value": _clean(plan.baseline.objective_value),
            "follows_all_rules": plan.baseline.feasible,
            "broken_rules": [c.label for c in plan.baseline.broken_rules],
            "totals": {k: _clean(plan.baseline.totals.get(k)) for k in _TOTAL_KEYS},
            "allocation": [{k: _clean(v) for k, v in r.items()} for r in plan.baseline.allocation.to_dict("records")],
        }
    return data


def plan_json(plan: Plan) -> str:
    """plan.json text: stable key order, fixed rounding, no timestamps."""
    return json.dumps(plan_dict(plan), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename: never a torn file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_text(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))


def _xlsx(plan: Plan, target: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(target), {"nan_inf_to_errors": False})
    wb.set_properties({"title": f"mixopt plan: {plan.scenario.name}", "creator": "mixopt", "created": _FIXED_TIME})
    bold = wb.add_format({"bold": True})
    fmt = {0: wb.add_format({"num_format": "#,##0"}), 1: wb.add_format({"num_format": "#,##0.0"}),
           2: wb.add_format({"num_format": "#,##0.00"}), 4: wb.add_format({"num_format": "#,##0.0000"}),
           6: wb.add_format({"num_format": "0.000000"})}

    def put(ws: Any, row: int, col: int, value: Any, decimals: int = 2) -> None:
        if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
            ws.write_blank(row, col, None)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(row, col, float(value), fmt.get(decimals, fmt[2]))
        else:
            ws.write_string(row, col, str(value))

    summary = wb.add_worksheet("Summary")
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 60)
    rows: list[tuple[str, Any, int]] = [(k, v, 2) for k, v in _provenance(plan).items()]
    rows += [("status", plan.status.value, 2), ("objective", plan.objective_label, 2),
             ("objective_value", plan.objective_value, 2), ("gap", plan.gap, 6),
             ("budget", plan.scenario.budget, 2), ("currency", plan.scenario.currency, 2)]
    rows += [(f"total_{k}", plan.totals.get(k), 2) for k in _TOTAL_KEYS]
    summary.write_row(0, 0, ["field", "value"], bold)
    for i, (key, value, decimals) in enumerate(rows, start=1):
        summary.write_string(i, 0, key)
        put(summary, i, 1, value, decimals)

    sheet = wb.add_worksheet("Plan")
    sheet.write_row(0, 0, [c[0] for c in COLUMNS], bold)
    for r, record in enumerate(_table_rows(plan).to_dict("records"), start=1):
        for c, (name, _unit, _doc, decimals) in enumerate(COLUMNS):
            put(sheet, r, c, record[name], decimals)
    sheet.freeze_panes(1, 2)
    sheet.set_column(0, len(COLUMNS) - 1, 13)

    binding = wb.add_worksheet("Binding rules")
    binding.write_row(0, 0, ["rule", "label", "one more unit", "change of objective", "explanation"], bold)
    for r, m in enumerate(plan.marginals, start=1):
        binding.write_row(r, 0, [m.rule, m.label, m.step])
        put(binding, r, 3, m.change, 2)
        binding.write_string(r, 4, m.explanation)
    binding.set_column(0, 4, 24)

    if plan.baseline is not None:
        mine = wb.add_worksheet("Your mix")
        mine.write_row(0, 0, [c[0] for c in COLUMNS], bold)
        for r, record in enumerate(plan.baseline.allocation.to_dict("records"), start=1):
            for c, (name, _unit, _doc, decimals) in enumerate(COLUMNS):
                put(mine, r, c, record[name], decimals)

    assumptions = assumptions_table(plan.cells)
    sheet = wb.add_worksheet("Assumptions")
    sheet.write_row(0, 0, list(assumptions.columns), bold)
    for r, record in enumerate(assumptions.to_dict("records"), start=1):
        for c, name in enumerate(assumptions.columns):
            put(sheet, r, c, record[name], 6 if name in ("low", "base", "high") else 0)
    sheet.set_column(0, len(assumptions.columns) - 1, 14)

    dictionary = wb.add_worksheet("Data dictionary")
    dictionary.write_row(0, 0, ["sheet", "column", "unit", "meaning"], bold)
    r = 1
    for name, unit, doc, _dec in COLUMNS:
        dictionary.write_row(r, 0, ["Plan", name, unit, doc])
        r += 1
    for name, (unit, doc) in TOTAL_DOCS.items():
        dictionary.write_row(r, 0, ["Summary", f"total_{name}", unit, doc])
        r += 1
    dictionary.set_column(0, 2, 16)
    dictionary.set_column(3, 3, 90)
    wb.close()


def write_xlsx(plan: Plan, path: Path) -> None:
    """plan.xlsx: Summary, Plan, Binding rules, (Your mix), Assumptions, Data dictionary."""
    write_atomic(Path(path), lambda tmp: _xlsx(plan, tmp))


def write_outputs(plan: Plan, out_dir: Path) -> list[Path]:
    """Write plan.csv, plan.json and plan.xlsx into ``out_dir``; returns the paths."""
    out_dir = Path(out_dir)
    paths = [out_dir / "plan.csv", out_dir / "plan.json", out_dir / "plan.xlsx"]
    _write_text(paths[0], plan_csv(plan))
    _write_text(paths[1], plan_json(plan))
    write_xlsx(plan, paths[2])
    return paths


def _n(value: float | None, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{decimals}f}"


def format_table(plan: Plan) -> str:
    """The plan as a terminal report a planner can read top to bottom."""
    s = plan.scenario
    cur = s.currency
    lines = [f"mixopt {plan.mixopt_version}  scenario: {s.name}  ({s.source_file})"]
    gap = "" if plan.gap is None or not plan.status.has_plan else f", gap {plan.gap:.2%}"
    goal = "minimise spend" if plan.objective_label == "spend" else f"maximise {plan.objective_label}"
    lines.append(f"Status: {plan.status.value}{gap}   goal: {goal}   solver: {plan.solver_version}")
    if not plan.status.has_plan:
        lines += [f"  note: {n}" for n in plan.notes]
        return "\n".join(lines) + "\n"
    used = plan.allocation[plan.allocation["creators"] > 0]
    header = ["tier", "platform", "creators", "posts", "invites", f"spend {cur}", "reach", "engagements",
              "conversions", "CPE", "CPA"]
    body = [
        [r.tier, r.platform, _n(r.creators), _n(r.posts), _n(r.invites), _n(r.spend), _n(r.reach),
         _n(r.engagements), _n(r.conversions, 1), _n(r.cpe, 2), _n(r.cpa, 2)]
        for r in used.itertuples(index=False)
    ]
    t = plan.totals
    body.append(["total", "", _n(t["creators"]), _n(t["posts"]), _n(t["invites"]), _n(t["spend"]), _n(t["reach"]),
                 _n(t["engagements"]), _n(t["conversions"], 1), _n(t["cpe"], 2), _n(t["cpa"], 2)])
    widths = [max(len(str(row[i])) for row in [header] + body) for i in range(len(header))]

    def fmt_row(row: list[str]) -> str:
        return "  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths)))

    lines += ["", "Plan", fmt_row(header), fmt_row(["-" * w for w in widths])]
    lines += [fmt_row(row) for row in body[:-1]] + [fmt_row(["-" * w for w in widths]), fmt_row(body[-1])]
    budget = f" of {_n(s.budget)} ({t['spend'] / s.budget:.0%})" if s.budget else ""
    kpis = [f"spend {_n(t['spend'])} {cur}{budget}", f"reach {_n(t['reach'])}", f"impressions {_n(t['impressions'])}",
            f"engagements {_n(t['engagements'])}", f"conversions {_n(t['conversions'], 1)}"]
    if s.economics.average_order_value is not None:
        kpis += [f"revenue {_n(t['revenue'])} {cur}", f"profit {_n(t['profit'])} {cur}", f"ROI {_n(t['roi'], 2)}"]
    kpis += [f"CPE {_n(t['cpe'], 2)}", f"CPA {_n(t['cpa'], 2)}"]
    lines += ["", "Totals: " + ", ".join(kpis)]
    if plan.marginals:
        lines += ["", "What limits the plan (one more unit of each rule, re-solved):"]
        lines += [f"  - {m.explanation}" for m in plan.marginals]
    if plan.baseline is not None:
        b = plan.baseline
        verdict = "follows every rule" if b.feasible else "breaks: " + "; ".join(c.label for c in b.broken_rules[:3])
        lines += ["", f"Your mix ({verdict}):",
                  f"  {plan.objective_label}: yours {_n(b.objective_value)} vs optimised {_n(plan.objective_value)}"
                  f"; spend yours {_n(b.totals['spend'])} vs optimised {_n(t['spend'])} {cur}"]
    if plan.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in plan.notes]
    return "\n".join(lines) + "\n"
