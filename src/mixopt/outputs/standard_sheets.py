"""The sheets every mixopt workbook shares: the one-page Summary (facts, what limits the plan,
the mix by tier with its chart), Assumptions and the Data dictionary, with the documentation
of every column. Tier, roster, run and simulation workbooks build on these."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixopt.outputs.labels import HEADERS, header_of, kind_of, objective_kind
from mixopt.outputs.sheets import Book
from mixopt.scenario.schema import Scenario

__all__ = ["COLUMN_DOCS", "PROVENANCE_LABELS", "TOTAL_ROWS", "provenance_of", "summary_sheet", "plan_facts",
           "limit_facts", "mix_block", "assumptions_sheet", "dictionary_sheet", "tier_docs"]

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
    "scenario": ("", "the plan (A, B, C, ... as in the Summary's legend) these assumptions belong to"),
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

#: Summary labels of the provenance facts (their codes are plan.json's provenance keys).
PROVENANCE_LABELS = {
    "scenario_name": "Scenario", "scenario_file": "Scenario file", "scenario_sha256": "Scenario file SHA-256",
    "creator_table": "Creator table", "creator_table_sha256": "Creator table SHA-256",
    "mixopt_version": "mixopt version", "solver": "Solver", "solver_version": "Solver version", "method": "Method",
}

#: The totals a Summary lists, in order.
TOTAL_ROWS = ("spend", "creators", "posts", "invites", "reach", "impressions", "engagements", "conversions", "revenue",
              "profit", "roi", "cpe", "cpa")


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


def summary_sheet(book: Book, facts: list[tuple[str, Any, str]]) -> Any:
    """The Summary: an Item / Value list on one printed page; returns the sheet (blocks such as
    ``mix_block`` go to its right, from column D)."""
    ws = book.sheet("Summary", pages_tall=1)
    ws.write_string(0, 0, "Item", book.header)
    ws.write_string(0, 1, "Value", book.header)
    book.facts(ws, 1, facts)
    ws.set_column(0, 0, max([len(label) for label, _v, _k in facts] + [10]) + 2)
    ws.set_column(1, 1, 62)
    ws.set_column(2, 2, 2)
    ws.freeze_panes(1, 0)
    return ws


def plan_facts(plan: Any, scenario: Scenario) -> list[tuple[str, Any, str]]:
    """Status, goal, budget and totals of a plan (tier or roster) as Summary facts."""
    goal = plan.objective_label
    facts: list[tuple[str, Any, str]] = [
        ("Status", plan.status.value, "text"),
        ("Goal", ("minimise " if goal == "spend" else "maximise ") + goal, "text"),
        (f"Best {goal}" if goal != "spend" else "Least spend", plan.objective_value, objective_kind(goal)),
        ("Gap to the proven best", plan.gap, "gap"),
        ("Budget", scenario.budget, "money"),
        ("Currency", scenario.currency, "text"),
    ]
    facts += [(header_of(k), plan.totals.get(k), kind_of(k)) for k in TOTAL_ROWS]
    return facts


def limit_facts(plan: Any) -> list[tuple[str, Any, str]]:
    """What limits the plan (the marginal value of each binding rule), or a note saying the
    marginal values were skipped (``--no-explain``) when a rule binds but none was computed."""
    if plan.marginals:
        return [(f"Limit: {m.label}", m.explanation, "text") for m in plan.marginals]
    if plan.status.has_plan and (plan.binding_rules or any(c.rule == "budget" for c in plan.checks)):
        return [("What limits the plan", "marginal values not computed (--no-explain); run without --no-explain "
                 "for what one more unit of each binding rule is worth", "text")]
    return []


def mix_block(book: Book, ws: Any, sheet: str, by_tier: pd.DataFrame, row: int = 0, col: int = 3) -> None:
    """The mix by tier (tier, creators, spend) at (``row``, ``col``) with its 'Spend by tier'
    column chart below: the one chart style of tier and roster workbooks."""
    frame = by_tier[["tier", "creators", "spend"]]
    table = book.table(ws, frame, name=sheet, row=row, col=col)
    if len(frame):
        book.column_chart(ws, (table.last_row + 2, col), sheet, (table.first_row, table.last_row, col),
                          [((row, col + 2), (table.first_row, table.last_row, col + 2))],
                          title="Spend by tier", y_title=book.axis_title("spend", "money"), y_kind="money",
                          x_title="tier", size=(480, 300))


def _assumption_kind(unit: str, currency: str) -> str:
    if unit == "share":
        return "percent"
    if unit and unit == currency:
        return "money"
    return "count" if unit in ("followers", "creators", "posts") else "number"


def assumptions_sheet(book: Book, table: pd.DataFrame, currency: str) -> None:
    """Every assumption in force: low / planning value / high in the parameter's unit (shares as
    percentages, money in the currency), the source and its year."""
    ws = book.sheet("Assumptions")
    per_row = [_assumption_kind(str(u), currency) for u in table["unit"]]
    whole = table[["low", "base", "high"]].map(lambda v: float(v).is_integer() if v == v else True).all(axis=1)
    per_row = [k if k != "count" or w else "number" for k, w in zip(per_row, whole)]
    book.table(ws, table, row_kinds={"low": per_row, "base": per_row, "high": per_row},
               widths={"source": 70})


def dictionary_sheet(book: Book, docs: Any) -> None:
    """One row per column shown (sheets listed together when a column repeats): header, code,
    unit, meaning. ``docs(code)`` gives (unit, meaning)."""
    ws = book.sheet("Data dictionary")
    seen: dict[tuple[str, str], list[str]] = {}
    for sheet, header, code in book.columns_seen:
        sheets = seen.setdefault((header, code), [])
        if sheet not in sheets:
            sheets.append(sheet)
    rows = []
    for (header, code), sheets in seen.items():
        unit, meaning = docs(code)
        rows.append({"sheet": ", ".join(sheets), "column": header, "code": code, "unit": unit, "meaning": meaning})
    frame = pd.DataFrame(rows, columns=["sheet", "column", "code", "unit", "meaning"])
    book.table(ws, frame, widths={"meaning": 70}, document=False)


def tier_docs(code: str) -> tuple[str, str]:
    from mixopt.outputs.columns import COLUMNS

    plan_docs = {c[0]: (c[1], c[2]) for c in COLUMNS}
    return plan_docs.get(code) or COLUMN_DOCS.get(code) or _derived_doc(code)


def _derived_doc(column: str) -> tuple[str, str]:
    if column.startswith("creators_"):
        return "creators", f"creators of the {column[9:]} tier in this plan"
    if "_given_up_per_million_" in column:
        y, x = column.split("_given_up_per_million_")
        return f"{y} per 1,000,000 {x}", f"{y} lost for each extra million {x} between this point and the next"
    if column.endswith("_best_possible"):
        y = column[: -len("_best_possible")]
        return f"{y}'s unit", f"the proven most {y} at this point's floor (the certified bound)"
    if column.endswith(" minus A") or " minus " in column:
        return "as the row", f"difference: plan {column}"
    if column in HEADERS:
        return "", HEADERS[column][0]
    return "as the row", f"values of plan {column} (see the Summary's legend)"


