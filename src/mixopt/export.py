"""Plan -> terminal table, CSV, JSON and XLSX. I/O only; every file is written atomically.

Column names, order and rounding are fixed (and documented in ``COLUMNS``) so files diff
cleanly and golden tests stay stable. Nothing time-dependent goes into a file.
"""

from __future__ import annotations

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


def write_xlsx(plan: Plan, path: Path) -> None:
    """plan.xlsx: Summary, Plan, Mix by tier (with a chart), Binding rules, (Your mix),
    Assumptions, Data dictionary."""
    from mixopt.workbook import Deliverable, write_workbook

    write_workbook(Path(path), Deliverable(plan=plan))


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


# ------------------------------------------------------------------ sweeps, frontiers, comparisons


def _frame_csv(frame: pd.DataFrame, provenance: dict[str, str]) -> str:
    """A table as CSV with fixed rounding and the provenance repeated in trailing columns."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:  # text and numbers mixed (a comparison's plan columns): same rounding
            out[column] = out[column].map(
                lambda v: (f"{v:.6f}" if math.isfinite(v) else None) if isinstance(v, float) else v)
    for key in ("scenario_sha256", "mixopt_version", "solver_version"):
        out[key] = provenance[key]
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, float_format="%.6f", lineterminator="\n")
    return buffer.getvalue()


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) if not isinstance(v, float) or not math.isnan(v) else None for k, v in row.items()}
            for row in frame.to_dict("records")]


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def run_tables(deliverable: Any) -> dict[str, tuple[pd.DataFrame, dict[str, str], dict[str, Any]]]:
    """The tables of a sweep / frontier / comparison run, each with provenance and extra facts."""
    from mixopt.workbook import provenance_of

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
        tables["frontier"] = (f.table(), provenance_of(f.scenario, f.solver, f.solver_version, version),
                              {"x": f.x, "y": f.y})
    if deliverable.comparison is not None:
        c = deliverable.comparison
        first = c.plans[0]
        prov = provenance_of(first.scenario, first.solver, first.solver_version, version)
        prov["scenario_sha256"] = " ".join(p.scenario.content_hash for p in c.plans)
        tables["compare"] = (c.table(), prov, {"plans": list(c.names),
                                               "files": [p.scenario.source_file for p in c.plans]})
    return tables


def mixopt_version_text() -> str:
    from mixopt.plan import mixopt_version

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
    from mixopt.workbook import write_workbook

    out_dir = Path(out_dir)
    written: list[Path] = []
    tables = run_tables(deliverable)
    for name, (frame, provenance, facts) in tables.items():
        name = stem if stem is not None and len(tables) == 1 else name
        _write_text(out_dir / f"{name}.csv", table_csv(frame, provenance))
        _write_text(out_dir / f"{name}.json", table_json(frame, provenance, facts))
        written += [out_dir / f"{name}.csv", out_dir / f"{name}.json"]
    if stem is None:
        stem = "sweep" if deliverable.sweep else "frontier" if deliverable.frontier else "compare"
    write_workbook(out_dir / f"{stem}.xlsx", deliverable)
    written.append(out_dir / f"{stem}.xlsx")
    if charts:
        from mixopt.charts import plot_frontier, plot_mix, plot_sweep, save_png

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
