"""One XLSX workbook per run, ready to forward: Summary, Plan, Sweep, Frontier, Comparison,
Binding rules, Assumptions and a Data dictionary, with native spreadsheet charts.

Numbers are stored as numbers with formats; metadata dates are fixed, so the same inputs
give the same file. XlsxWriter is imported lazily (only when a workbook is written).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mixopt.analysis.compare import Comparison
from mixopt.analysis.frontier import FrontierResult
from mixopt.analysis.sweep_points import SweepResult
from mixopt.scenario.schema import Scenario
from mixopt.tier.plan import Plan, assumptions_table

__all__ = ["Deliverable", "write_workbook", "COLUMN_DOCS", "provenance_of"]

_FIXED_TIME = _dt.datetime(2000, 1, 1)

#: Unit and meaning of every column that appears in a workbook (shown in its Data dictionary).
COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "field": ("", "the scenario field varied by the sweep, e.g. budget"),
    "value": ("field's unit", "the value of the swept field at this point"),
    "status": ("", "optimal, feasible (with gap), infeasible, ...; lp_preview_* marks LP-relaxation previews"),
    "objective": ("", "what the plan maximises (or 'spend' when it minimises spend)"),
    "objective_value": ("objective's unit", "the best value of the objective at this point"),
    "gap": ("share", "certified relative gap: the plan is at most this share below the best possible (roster "
                     "points; 0 = proven best)"),
    "marginal_per_1000": ("objective's unit", "change of the optimum with 1,000 more of the swept money field (exact re-solve)"),
    "slope_to_next_point": ("objective's unit per field unit", "(next optimum - this optimum) / (next value - this value)"),
    "floor": ("x KPI's unit", "the minimum of the frontier's x KPI imposed at this point"),
    "section": ("", "totals, goal, or the per-cell measure (creators, posts, spend)"),
    "item": ("", "the total or the tier.platform cell of this row"),
    "spend": ("currency", "media budget used: fees + product + handling"),
    "creators": ("creators", "creators signed"),
    "posts": ("posts", "sponsored posts"),
    "invites": ("creators", "creators to invite: ceil(creators / acceptance_rate)"),
    "reach": ("people", "unique people reached, after diminishing returns"),
    "impressions": ("views", "post views, after diminishing returns"),
    "engagements": ("engagements", "likes, comments, shares, saves, after diminishing returns"),
    "conversions": ("conversions", "purchases: engagements x conversion_rate"),
    "revenue": ("currency", "conversions x average_order_value"),
    "profit": ("currency", "margin_rate x revenue - commission - spend"),
    "roi": ("ratio", "profit / spend"),
    "cpe": ("currency per engagement", "spend / engagements"),
    "cpa": ("currency per conversion", "spend / conversions"),
    "parameter": ("", "assumption name (see 'mixopt defaults')"),
    "low": ("parameter's unit", "10th percentile of belief"),
    "base": ("parameter's unit", "planning value used by the optimiser"),
    "high": ("parameter's unit", "90th percentile of belief"),
    "unit": ("", "unit of the assumption"),
    "denominator": ("", "what a rate is per (followers, views, engagements, ...)"),
    "set_by": ("", "'default' or the scenario key that set it"),
    "source": ("", "where the default comes from"),
    "year": ("", "vintage of the source data"),
    "grade": ("", "A primary, B reputable secondary, C aggregator, or assumption"),
    "rule": ("", "stable identifier of a rule"),
    "label": ("", "the rule in planner words"),
    "one more unit": ("", "how the rule was relaxed to measure its value"),
    "change of objective": ("objective's unit", "optimum after the relaxation minus the optimum"),
    "explanation": ("", "the marginal value in one sentence"),
}


def provenance_of(scenario: Scenario, solver: str, solver_ver: str, version: str) -> dict[str, str]:
    """What traces a number back to its inputs."""
    return {
        "mixopt_version": version,
        "scenario_name": scenario.name,
        "scenario_file": scenario.source_file,
        "scenario_sha256": scenario.content_hash,
        "solver": solver,
        "solver_version": solver_ver,
    }


@dataclass(frozen=True)
class Deliverable:
    """What one run produced; any part may be missing."""

    plan: Plan | None = None
    sweep: SweepResult | None = None
    frontier: FrontierResult | None = None
    comparison: Comparison | None = None


class _Book:
    def __init__(self, target: Path, title: str) -> None:
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(target), {"nan_inf_to_errors": False})
        self.wb.set_properties({"title": title, "creator": "mixopt", "created": _FIXED_TIME})
        self.bold = self.wb.add_format({"bold": True, "bg_color": "#EEEEEE"})
        self.formats = {d: self.wb.add_format({"num_format": f}) for d, f in
                        ((0, "#,##0"), (1, "#,##0.0"), (2, "#,##0.00"), (4, "#,##0.0000"), (6, "0.000000"))}
        self.columns_seen: list[tuple[str, str]] = []

    def put(self, ws: Any, row: int, col: int, value: Any, decimals: int = 2) -> None:
        if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
            ws.write_blank(row, col, None)
        elif isinstance(value, bool):
            ws.write_string(row, col, "yes" if value else "no")
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, float(value), self.formats.get(decimals, self.formats[2]))
        else:
            ws.write_string(row, col, str(value))

    def frame(self, name: str, frame: pd.DataFrame, decimals: dict[str, int] | None = None, width: int = 14) -> Any:
        ws = self.wb.add_worksheet(name)
        ws.write_row(0, 0, [str(c) for c in frame.columns], self.bold)
        for r, record in enumerate(frame.to_dict("records"), start=1):
            for c, column in enumerate(frame.columns):
                self.put(ws, r, c, record[column], (decimals or {}).get(str(column), 2))
        ws.freeze_panes(1, 0)
        ws.set_column(0, max(len(frame.columns) - 1, 0), width)
        self.columns_seen += [(name, str(c)) for c in frame.columns]
        return ws

    def close(self) -> None:
        self.wb.close()


def _plan_frame(plan: Plan) -> pd.DataFrame:
    from mixopt.outputs.columns import plan_table

    table = plan_table(plan.allocation)
    # An unused cell has no posts split: a blank cell, not an empty string.
    table["posts_per_creator"] = table["posts_per_creator"].astype(object).where(table["posts_per_creator"] != "", None)
    return table


def _summary(book: _Book, d: Deliverable, scenario: Scenario, prov: dict[str, str]) -> None:
    ws = book.wb.add_worksheet("Summary")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 70)
    rows: list[tuple[str, Any]] = list(prov.items())
    kinds = [k for k, v in (("plan", d.plan), ("sweep", d.sweep), ("frontier", d.frontier), ("comparison", d.comparison)) if v]
    rows.append(("contents", ", ".join(kinds)))
    if d.plan is not None:
        p = d.plan
        rows += [("status", p.status.value), ("objective", p.objective_label), ("objective_value", p.objective_value),
                 ("gap", p.gap), ("budget", scenario.budget), ("currency", scenario.currency)]
        rows += [(f"total_{k}", p.totals.get(k)) for k in ("spend", "creators", "posts", "invites", "reach",
                                                            "impressions", "engagements", "conversions", "revenue",
                                                            "profit", "roi", "cpe", "cpa")]
    if d.sweep is not None:
        s = d.sweep
        rows += [("sweep_field", s.field), ("sweep_points", len(s.points)),
                 ("sweep_kind", "exact MILP" if s.exact else f"LP preview ({s.preview_bound} bound, fractional creators)")]
        rows += [("mix_change", change) for change in s.mix_changes]
        best = s.best_roi_point()
        if best is not None:
            rows.append(("best_roi_at", best.value))
    if d.frontier is not None:
        rows += [("frontier", f"most {d.frontier.y} for each level of {d.frontier.x}"),
                 ("frontier_points", len(d.frontier.points))]
    ws.write_row(0, 0, ["field", "value"], book.bold)
    for i, (key, value) in enumerate(rows, start=1):
        ws.write_string(i, 0, key)
        book.put(ws, i, 1, value, 6 if key == "gap" else 2)


def _chart_line(book: _Book, ws: Any, sheet: str, n: int, x_col: int, y_col: int, title: str, x_title: str,
                y_title: str, anchor: str, kind: str = "scatter") -> None:
    chart = book.wb.add_chart({"type": kind, "subtype": "straight_with_markers"} if kind == "scatter" else {"type": kind})
    chart.add_series({
        "name": y_title,
        "categories": [sheet, 1, x_col, n, x_col],
        "values": [sheet, 1, y_col, n, y_col],
        "marker": {"type": "circle", "size": 5},
    })
    chart.set_title({"name": title})
    chart.set_x_axis({"name": x_title, "num_format": "#,##0"})
    chart.set_y_axis({"name": y_title, "num_format": "#,##0"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 640, "height": 360})
    ws.insert_chart(anchor, chart)


def _chart_mix(book: _Book, ws: Any, sheet: str, n: int, x_col: int, tier_cols: list[tuple[int, str]], title: str,
               anchor: str) -> None:
    chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
    for col, name in tier_cols:
        chart.add_series({"name": name, "categories": [sheet, 1, x_col, n, x_col], "values": [sheet, 1, col, n, col]})
    chart.set_title({"name": title})
    chart.set_y_axis({"name": "creators", "num_format": "#,##0"})
    chart.set_size({"width": 640, "height": 360})
    ws.insert_chart(anchor, chart)


def _write(target: Path, d: Deliverable, version: str) -> None:
    parts = [x for x in (d.plan, d.sweep, d.frontier) if x is not None]
    if d.comparison is not None:
        scenario = d.comparison.plans[0].scenario
        solver, solver_ver = d.comparison.plans[0].solver, d.comparison.plans[0].solver_version
    else:
        first = parts[0]
        scenario = first.scenario
        solver, solver_ver = first.solver, first.solver_version
    prov = provenance_of(scenario, solver, solver_ver, version)
    if d.comparison is not None:
        prov["scenario_sha256"] = ", ".join(p.scenario.content_hash for p in d.comparison.plans)
        prov["scenario_file"] = ", ".join(p.scenario.source_file for p in d.comparison.plans)
        prov["scenario_name"] = ", ".join(d.comparison.names)
    book = _Book(target, f"mixopt: {scenario.name}")
    _summary(book, d, scenario, prov)
    counts = {"creators": 0, "posts": 0, "invites": 0}
    if d.plan is not None:
        from mixopt.outputs.columns import COLUMNS

        decimals = {c[0]: max(c[3], 0) for c in COLUMNS} | counts
        frame = _plan_frame(d.plan)
        ws = book.frame("Plan", frame, decimals)
        tiers = list(d.plan.scenario.tier_names)
        by_tier = frame.groupby("tier", sort=False)["creators"].sum().reindex(tiers).fillna(0)
        mix = book.wb.add_worksheet("Mix by tier")
        mix.write_row(0, 0, ["tier", "creators", "spend"], book.bold)
        spend = frame.groupby("tier", sort=False)["spend"].sum().reindex(tiers).fillna(0)
        for i, tier in enumerate(tiers, start=1):
            mix.write_string(i, 0, tier)
            book.put(mix, i, 1, float(by_tier[tier]), 0)
            book.put(mix, i, 2, float(spend[tier]), 2)
        book.columns_seen += [("Mix by tier", "tier"), ("Mix by tier", "creators"), ("Mix by tier", "spend")]
        _chart_line(book, mix, "Mix by tier", len(tiers), 0, 2, "Spend by tier", "tier", "spend", "E2", kind="column")
        marg = pd.DataFrame([{"rule": m.rule, "label": m.label, "one more unit": m.step,
                              "change of objective": m.change, "explanation": m.explanation} for m in d.plan.marginals],
                            columns=["rule", "label", "one more unit", "change of objective", "explanation"])
        book.frame("Binding rules", marg, width=28)
        if d.plan.baseline is not None:
            book.frame("Your mix", _plan_frame(d.plan.baseline), decimals)
        del ws
    if d.sweep is not None:
        table = d.sweep.table()
        name = "Sweep" if d.sweep.exact else "Sweep (LP preview)"
        ws = book.frame(name, table, {"value": 2} | counts)
        n = len(table)
        cols = list(table.columns)
        _chart_line(book, ws, name, n, cols.index("value"), cols.index("objective_value"),
                    f"Best {d.sweep.objective_label} by {d.sweep.field}", d.sweep.field, d.sweep.objective_label,
                    "B" + str(n + 4))
        tier_cols = [(cols.index(f"creators_{t}"), t) for t in d.sweep.scenario.tier_names if f"creators_{t}" in cols]
        if tier_cols and d.sweep.exact:
            _chart_mix(book, ws, name, n, cols.index("value"), tier_cols, f"Creators by tier across {d.sweep.field}",
                       "L" + str(n + 4))
    if d.frontier is not None:
        table = d.frontier.table()
        ws = book.frame("Frontier", table, counts)
        cols = list(table.columns)
        if len(table):
            _chart_line(book, ws, "Frontier", len(table), cols.index(d.frontier.x), cols.index(d.frontier.y),
                        f"Most {d.frontier.y} for each level of {d.frontier.x}", d.frontier.x, d.frontier.y,
                        "B" + str(len(table) + 4))
    if d.comparison is not None:
        book.frame("Comparison", d.comparison.table(), width=18)
    assumption_cells = (d.plan or d.sweep or d.frontier or (d.comparison.plans[0] if d.comparison else None))
    cells = getattr(assumption_cells, "cells", None)
    if cells is None and d.sweep is not None:
        cells = next((p.plan.cells for p in d.sweep.points if p.plan is not None), None)
    if cells is None and d.frontier is not None:
        cells = next((p.plan.cells for p in d.frontier.points if p.plan is not None), None)
    if cells is not None:
        book.frame("Assumptions", assumptions_table(cells), {"low": 6, "base": 6, "high": 6, "year": 0})
    dictionary = book.wb.add_worksheet("Data dictionary")
    dictionary.write_row(0, 0, ["sheet", "column", "unit", "meaning"], book.bold)
    dictionary.set_column(0, 2, 18)
    dictionary.set_column(3, 3, 90)
    from mixopt.outputs.columns import COLUMNS

    plan_docs = {c[0]: (c[1], c[2]) for c in COLUMNS}
    r = 1
    for sheet, column in book.columns_seen:
        unit, doc = plan_docs.get(column) or COLUMN_DOCS.get(column) or _derived_doc(column)
        dictionary.write_row(r, 0, [sheet, column, unit, doc])
        r += 1
    book.close()


def _derived_doc(column: str) -> tuple[str, str]:
    if column.startswith("creators_"):
        return "creators", f"creators of the {column[9:]} tier in this plan"
    if "_given_up_per_million_" in column:
        y, x = column.split("_given_up_per_million_")
        return f"{y} per 1,000,000 {x}", f"{y} lost for each extra million {x} between this point and the next"
    if column.endswith("_best_possible"):
        y = column[: -len("_best_possible")]
        return f"{y}'s unit", f"the proven most {y} at this point's floor (the certified bound)"
    if " - " in column:
        return "as the row", f"difference: {column}"
    return "as named", f"values of plan '{column}'"


def write_workbook(path: Path, deliverable: Deliverable) -> None:
    """Write the workbook atomically (a temporary file, then a rename)."""
    from mixopt.outputs.files import write_atomic
    from mixopt.version import mixopt_version

    write_atomic(Path(path), lambda tmp: _write(tmp, deliverable, mixopt_version()))
