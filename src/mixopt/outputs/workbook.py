"""One XLSX workbook per run, ready to forward: a one-page Summary (with the mix by tier and
its chart, what limits the plan and the notes), then Plan (with a total row), Your mix, Sweep,
Frontier or Comparison, Assumptions and a Data dictionary, with native spreadsheet charts.

Every sheet uses the house style of ``outputs/sheets.py`` (print setup, planner headers,
fitted widths, number formats in the scenario's currency); the Data dictionary lists each
header with its code (the CSV / JSON column name), unit and meaning. Numbers are stored as
numbers, text from inputs as text; metadata dates are fixed, so the same inputs give the
same file. XlsxWriter is imported lazily (only when a workbook is written).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mixopt.analysis.compare import Comparison
from mixopt.analysis.frontier import FrontierResult
from mixopt.analysis.sweep_points import SweepResult
from mixopt.outputs.labels import HEADERS, header_of, kind_of, objective_kind
from mixopt.outputs.sheets import LINES_PER_PAGE, Book, Table
from mixopt.outputs.standard_sheets import (
    COLUMN_DOCS,
    PROVENANCE_LABELS,
    assumptions_sheet,
    dictionary_sheet,
    limit_facts,
    mix_block,
    plan_facts,
    provenance_of,
    summary_sheet,
    tier_docs,
)
from mixopt.tier.plan import Plan, assumptions_table

__all__ = ["Deliverable", "write_workbook", "COLUMN_DOCS", "provenance_of"]

@dataclass(frozen=True)
class Deliverable:
    """What one run produced; any part may be missing."""

    plan: Plan | None = None
    sweep: SweepResult | None = None
    frontier: FrontierResult | None = None
    comparison: Comparison | None = None


# ----------------------------------------------------------------------------- tier plans


def _plan_frame(plan: Plan) -> pd.DataFrame:
    from mixopt.outputs.columns import plan_table

    table = plan_table(plan.allocation)
    # An unused cell has no posts split: a blank cell, not an empty string.
    table["posts_per_creator"] = table["posts_per_creator"].astype(object).where(table["posts_per_creator"] != "", None)
    return table


def _total_row(totals: dict[str, Any]) -> dict[str, Any]:
    return {**totals, "tier": "Total", "platform": "all"}


def _by_tier(plan: Any) -> pd.DataFrame:
    a = plan.allocation
    tiers = list(plan.scenario.tier_names)
    grouped = a.groupby("tier", sort=False)[["creators", "spend"]].sum().reindex(tiers).fillna(0)
    return pd.DataFrame({"tier": tiers, "creators": grouped["creators"].to_numpy(), "spend": grouped["spend"].to_numpy()})


def _plan_sheets(book: Book, plan: Plan) -> None:
    book.table(book.sheet("Plan"), _plan_frame(plan), total=_total_row(plan.totals))
    if plan.baseline is not None:
        book.table(book.sheet("Your mix"), _plan_frame(plan.baseline), total=_total_row(plan.baseline.totals))


# ----------------------------------------------------------------------------- sweeps and frontiers


def _field_kind(field: str) -> str:
    last = field.rsplit(".", 1)[-1]
    if last in ("budget",) or last.endswith(("_cost", "_fee", "fee_per_post", "_value")):
        return "money"
    if last.endswith(("_rate", "_share")):
        return "percent"
    return kind_of(last) if last in HEADERS else "number"


def _chart_anchor(ws: Any, table: Table) -> tuple[int, int]:
    """Where a sheet's charts go: under a short table, both on one page; to the right of a long
    one, at its top, so that no page break cuts a chart (the sheet prints one page wide)."""
    if table.lines + 2 + 18 <= LINES_PER_PAGE:
        ws.fit_to_pages(1, 1)
        return table.last_row + 2, 0
    ws.fit_to_pages(1, 0)
    return 1, len(table.codes) + 1


def _sweep_sheet(book: Book, s: SweepResult) -> None:
    table = s.table()
    name = "Sweep" if s.exact else "Sweep (LP preview)"
    ws = book.sheet(name, pages_tall=None)
    goal_kind = objective_kind(s.objective_label)
    kinds = {"value": _field_kind(s.field), "objective_value": goal_kind, "marginal_per_1000": goal_kind}
    if not s.exact:
        kinds |= {c: "decimal1" for c in table.columns if c == "creators" or c.startswith("creators_")}
    headers = {"value": header_of(s.field) if s.field in HEADERS else s.field,
               "objective_value": f"Best {s.objective_label}",
               "marginal_per_1000": f"{s.objective_label.capitalize()} per 1,000 more"}
    t = book.table(ws, table, kinds=kinds, headers=headers, paginate=False)
    if not len(table):
        ws.fit_to_pages(1, 1)
        return
    below = _chart_anchor(ws, t)
    cols = list(table.columns)
    book.line_chart(ws, below, name, (t.first_row, t.last_row, cols.index("value")),
                    (t.first_row, t.last_row, cols.index("objective_value")), (0, cols.index("objective_value")),
                    title=f"Best {s.objective_label} by {s.field}", x_title=s.field, y_title=s.objective_label,
                    x_kind=kinds["value"], y_kind=goal_kind)
    tier_cols = [cols.index(f"creators_{x}") for x in s.scenario.tier_names if f"creators_{x}" in cols]
    if tier_cols and s.exact:
        book.column_chart(ws, below, name, (t.first_row, t.last_row, cols.index("value")),
                          [((0, c), (t.first_row, t.last_row, c)) for c in tier_cols],
                          title=f"Creators by tier across {s.field}", y_title="creators", x_title=s.field,
                          stacked=True, x_offset=584)  # to the right of the first chart


def _frontier_sheet(book: Book, f: FrontierResult) -> None:
    table = f.table()
    ws = book.sheet("Frontier", pages_tall=None)
    kinds = {"floor": kind_of(f.x), f"{f.y}_best_possible": kind_of(f.y)}
    t = book.table(ws, table, kinds=kinds, headers={"floor": f"Floor on {header_of(f.x).lower()}"}, paginate=False)
    if not len(table):
        ws.fit_to_pages(1, 1)
    else:
        cols = list(table.columns)
        below = _chart_anchor(ws, t)
        book.line_chart(ws, below, "Frontier", (t.first_row, t.last_row, cols.index(f.x)),
                        (t.first_row, t.last_row, cols.index(f.y)), (0, cols.index(f.y)),
                        title=f"Most {f.y} for each level of {f.x}", x_title=f.x, y_title=f.y,
                        x_kind=kind_of(f.x), y_kind=kind_of(f.y))


# ----------------------------------------------------------------------------- the workbook


def _first_cells(d: Deliverable) -> Any:
    for part in (d.plan, d.sweep, d.frontier):
        cells = getattr(part, "cells", None)
        if cells is not None:
            return cells
    for points in ((d.sweep.points if d.sweep else ()), (d.frontier.points if d.frontier else ())):
        cells = next((p.plan.cells for p in points if p.plan is not None), None)
        if cells is not None:
            return cells
    return None


def _write(target: Path, d: Deliverable, version: str) -> None:
    if d.comparison is not None:
        from mixopt.outputs.compare_sheets import write_comparison

        write_comparison(target, d.comparison, version)
        return
    first = next(x for x in (d.plan, d.sweep, d.frontier) if x is not None)
    scenario = first.scenario
    prov = provenance_of(scenario, first.solver, first.solver_version, version)
    book = Book(target, f"mixopt: {scenario.name}", currency=scenario.currency)
    facts = [(PROVENANCE_LABELS[k], prov[k], "text") for k in ("scenario_name", "scenario_file", "scenario_sha256",
                                                               "mixopt_version", "solver", "solver_version")]
    kinds = [k for k, v in (("plan", d.plan), ("sweep", d.sweep), ("frontier", d.frontier)) if v]
    facts.append(("Contents", ", ".join(kinds), "text"))
    if d.plan is not None:
        facts += plan_facts(d.plan, scenario) + limit_facts(d.plan)
    if d.sweep is not None:
        s = d.sweep
        facts += [("Field swept", s.field, "text"), ("Sweep points", len(s.points), "count"),
                  ("Sweep kind", "exact MILP" if s.exact else f"LP preview ({s.preview_bound} bound, fractional "
                                                              "creators)", "text")]
        facts += [("Mix change", change, "text") for change in s.mix_changes]
        best = s.best_roi_point()
        if best is not None:
            facts.append(("Best ROI at", best.value, _field_kind(s.field)))
    if d.frontier is not None:
        facts += [("Frontier", f"most {d.frontier.y} for each level of {d.frontier.x}", "text"),
                  ("Frontier points", len(d.frontier.points), "count")]
    notes = list(d.plan.notes) if d.plan is not None else []
    facts += [("Note", n, "text") for n in notes]
    ws = summary_sheet(book, facts)
    if d.plan is not None:
        mix_block(book, ws, "Summary", _by_tier(d.plan))
        _plan_sheets(book, d.plan)
    if d.sweep is not None:
        _sweep_sheet(book, d.sweep)
    if d.frontier is not None:
        _frontier_sheet(book, d.frontier)
    cells = _first_cells(d)
    if cells is not None:
        assumptions_sheet(book, assumptions_table(cells), scenario.currency)
    dictionary_sheet(book, tier_docs)
    book.close()


def write_workbook(path: Path, deliverable: Deliverable) -> None:
    """Write the workbook atomically (a temporary file, then a rename)."""
    from mixopt.outputs.files import write_atomic
    from mixopt.version import mixopt_version

    write_atomic(Path(path), lambda tmp: _write(tmp, deliverable, mixopt_version()))
