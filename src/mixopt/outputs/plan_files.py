"""Plan -> terminal table, CSV, JSON and XLSX. I/O only; every file is written atomically.

Column names, order and rounding are fixed (and documented in ``COLUMNS``) so files diff
cleanly and golden tests stay stable. Nothing time-dependent goes into a file.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from mixopt.outputs.cells import csv_line, csv_text
from mixopt.outputs.columns import COLUMNS, TOTAL_KEYS, plan_table
from mixopt.outputs.files import clean, write_text
from mixopt.scenario.outcomes import posts_splits
from mixopt.tier.plan import Plan, assumptions_table

__all__ = ["COLUMNS", "plan_csv", "plan_json", "plan_dict", "write_outputs", "write_xlsx"]


def _table_rows(plan: Plan) -> pd.DataFrame:
    return plan_table(plan.allocation)


def _allocation_records(allocation: pd.DataFrame) -> list[dict[str, Any]]:
    """The plan table's rows as plain data, each with its posts split as a list after the text:
    ``"posts_split": [{"creators": 36, "posts_each": 3}, {"creators": 1, "posts_each": 2}]``."""
    records = []
    for row, groups in zip(plan_table(allocation).to_dict("records"), posts_splits(allocation)):
        record: dict[str, Any] = {}
        for key, value in row.items():
            record[key] = clean(value)
            if key == "posts_per_creator":
                record["posts_split"] = [{"creators": g.creators, "posts_each": g.posts_each} for g in groups]
        records.append(record)
    return records


def plan_csv(plan: Plan) -> str:
    """plan.csv: one row per (tier, platform) cell and a final ``total`` row; text cells are
    neutralised against spreadsheet formulas (``outputs.cells.csv_text``)."""
    frame = _table_rows(plan)
    out = io.StringIO()
    names = [c[0] for c in COLUMNS]
    out.write(csv_line(names))
    totals = dict(plan.totals)
    total_row = {name: totals.get(name, "") for name in names}
    total_row.update({"tier": "total", "platform": "all"})
    records = frame.to_dict("records") + [total_row]
    for record in records:
        cells = []
        for name, _unit, _doc, decimals in COLUMNS:
            value = record.get(name, "")
            if decimals < 0 or isinstance(value, str):
                cells.append(csv_text(str(value)))
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append("")
            elif decimals == 0:
                cells.append(str(int(round(float(value)))))
            else:
                cells.append(f"{float(value):.{decimals}f}")
        out.write(csv_line(cells))
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
            "value": clean(plan.objective_value),
            "bound": clean(plan.bound),
            "gap": clean(plan.gap),
            "mip_gap_requested": s.solver.mip_gap,
        },
        "budget": s.budget,
        "currency": s.currency,
        "totals": {k: clean(plan.totals.get(k)) for k in TOTAL_KEYS},
        "allocation": _allocation_records(plan.allocation),
        "binding_rules": [
            {"rule": m.rule, "label": m.label, "step": m.step, "objective_change": clean(m.change),
             "explanation": m.explanation}
            for m in plan.marginals
        ],
        "rule_checks": [
            {"rule": c.rule, "label": c.label, "value": clean(c.value), "sense": c.sense, "limit": clean(c.limit),
             "slack": clean(c.slack), "holds": c.holds}
            for c in plan.checks
            if not c.rule.startswith(("whole_", "creators_nonnegative"))
        ],
        "notes": list(plan.notes),
        "assumptions": [{k: clean(v) for k, v in row.items()} for row in assumptions_table(plan.cells).to_dict("records")],
    }
    if plan.baseline is not None:
        data["your_mix"] = {
            "objective_value": clean(plan.baseline.objective_value),
            "follows_all_rules": plan.baseline.feasible,
            "broken_rules": [c.label for c in plan.baseline.broken_rules],
            "totals": {k: clean(plan.baseline.totals.get(k)) for k in TOTAL_KEYS},
            "allocation": _allocation_records(plan.baseline.allocation),
        }
    return data


def plan_json(plan: Plan) -> str:
    """plan.json text: stable key order, fixed rounding, no timestamps."""
    return json.dumps(plan_dict(plan), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_xlsx(plan: Plan, path: Path) -> None:
    """plan.xlsx: Summary (with the mix by tier, its chart and what limits the plan), Plan (with a
    total row), (Your mix), Assumptions, Data dictionary."""
    from mixopt.outputs.workbook import Deliverable, write_workbook

    write_workbook(Path(path), Deliverable(plan=plan))


def write_outputs(plan: Plan, out_dir: Path) -> list[Path]:
    """Write plan.csv, plan.json, plan.xlsx and tracking.csv (the measurement plan) into ``out_dir``;
    returns the paths."""
    from mixopt.outputs.tracking import tracking_csv

    out_dir = Path(out_dir)
    paths = [out_dir / "plan.csv", out_dir / "plan.json", out_dir / "plan.xlsx", out_dir / "tracking.csv"]
    write_text(paths[0], plan_csv(plan))
    write_text(paths[1], plan_json(plan))
    write_xlsx(plan, paths[2])
    write_text(paths[3], tracking_csv(plan))
    return paths


