"""Sweep, frontier and comparison results as CSV, JSON, XLSX and PNG."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from mixopt.outputs.cells import frame_csv
from mixopt.outputs.files import clean, write_text

__all__ = ["run_tables", "table_csv", "table_json", "write_run_outputs"]


def _frame_csv(frame: pd.DataFrame, provenance: dict[str, str]) -> str:
    """A table as CSV with fixed rounding (counts as whole numbers), text cells neutralised
    against spreadsheet formulas, and the provenance repeated in trailing columns."""
    out = frame.copy()
    for key in ("scenario_sha256", "mixopt_version", "solver_version"):
        out[key] = provenance[key]
    count_rows = None
    if {"section", "item"} <= set(out.columns):  # a comparison: rows of creators, posts and invites
        count_rows = [s in ("creators", "posts") or s == "totals" and i in ("creators", "posts", "invites")
                      for s, i in zip(out["section"], out["item"])]
    return frame_csv(out, count_rows=count_rows)


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): clean(v) if not isinstance(v, float) or not math.isnan(v) else None for k, v in row.items()}
            for row in frame.to_dict("records")]


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def run_tables(deliverable: Any) -> dict[str, tuple[pd.DataFrame, dict[str, str], dict[str, Any]]]:
    """The tables of a sweep / frontier / comparison run, each with provenance and extra facts."""
    from mixopt.outputs.workbook import provenance_of

    version = mixopt_version_text()
    tables: dict[str, tuple[pd.DataFrame, dict[str, str], dict[str, Any]]] = {}
    if deliverable.sweep is not None:
        s = deliverable.sweep
        best = s.best_roi_point()
        facts = {"field": s.field, "kind": "exact" if s.exact else f"lp_preview_{s.preview_bound}_bound",
                 "mix_changes": list(s.mix_changes), "best_roi_at": None if best is None else best.value}
        tables["sweep"] = (s.table(), provenance_of(s.scenario, s.solver, s.solver_version, version), facts)
    if deliverable.frontier is not None:
        f = deliverable.frontier
        prov = provenance_of(f.scenario, f.solver, f.solver_version, version)
        facts: dict[str, Any] = {"x": f.x, "y": f.y}
        if f.roster is not None:  # named creators: each point within the certified gap, not exact
            prov |= {"creator_table": f.roster.source_file, "creator_table_sha256": f.roster.sha256}
            facts |= {"kind": "within_certified_gap", "mip_gap": f.mip_gap, "largest_gap": f.largest_gap,
                      "points_repeating_a_higher_floor": sum(p.repeats_floor is not None for p in f.points)}
        tables["frontier"] = (f.table(), prov, facts)
    if deliverable.comparison is not None:
        c = deliverable.comparison
        first = c.plans[0]
        prov = provenance_of(first.scenario, first.solver, first.solver_version, version)
        prov["scenario_sha256"] = " ".join(p.scenario.content_hash for p in c.plans)
        facts = {"plans": list(c.names), "files": [p.scenario.source_file for p in c.plans]}
        if c.has_roster:  # say which plans choose named creators, from which table
            facts |= {"modes": [p.mode for p in c.plans],
                      "creator_tables": [p.roster.source_file if p.mode == "roster" else None for p in c.plans],
                      "creator_table_sha256": [p.roster.sha256 if p.mode == "roster" else None for p in c.plans]}
        tables["compare"] = (c.table(), prov, facts)
    return tables


def mixopt_version_text() -> str:
    from mixopt.version import mixopt_version

    return mixopt_version()


def table_csv(frame: pd.DataFrame, provenance: dict[str, str]) -> str:
    """CSV of a run table (sweep, frontier, comparison)."""
    return _frame_csv(frame, provenance)


def table_json(frame: pd.DataFrame, provenance: dict[str, str], facts: dict[str, Any]) -> str:
    """JSON of a run table with its provenance and facts."""
    return _json_text({"provenance": provenance, **facts, "rows": _frame_records(frame)})


def write_run_outputs(deliverable: Any, out_dir: Path, charts: bool = True, stem: str | None = None) -> list[Path]:
    """Write CSV + JSON per table, one workbook with everything, and PNG charts.

    Files are named after their table (``sweep.csv``, ``frontier.csv``, ``compare.csv``);
    ``stem`` renames the files of a single-table run (the command line writes ``comparison.*``).
    """
    from mixopt.outputs.workbook import write_workbook

    out_dir = Path(out_dir)
    written: list[Path] = []
    tables = run_tables(deliverable)
    for name, (frame, provenance, facts) in tables.items():
        name = stem if stem is not None and len(tables) == 1 else name
        write_text(out_dir / f"{name}.csv", table_csv(frame, provenance))
        write_text(out_dir / f"{name}.json", table_json(frame, provenance, facts))
        written += [out_dir / f"{name}.csv", out_dir / f"{name}.json"]
    if stem is None:
        stem = "sweep" if deliverable.sweep else "frontier" if deliverable.frontier else "compare"
    write_workbook(out_dir / f"{stem}.xlsx", deliverable)
    written.append(out_dir / f"{stem}.xlsx")
    if charts:
        from mixopt.outputs.charts import plot_frontier, plot_mix, plot_sweep, save_png

        if deliverable.sweep is not None:
            save_png(plot_sweep(deliverable.sweep), out_dir / "sweep.png")
            written.append(out_dir / "sweep.png")
        if deliverable.frontier is not None:
            save_png(plot_frontier(deliverable.frontier), out_dir / "frontier.png")
            written.append(out_dir / "frontier.png")
        if deliverable.comparison is not None:
            for i, plan in enumerate(deliverable.comparison.plans, start=1):
                save_png(plot_mix(plan), out_dir / f"mix_{i}.png")
                written.append(out_dir / f"mix_{i}.png")
    return written
