"""Simulation results as a table, JSON and a terminal report (plans side by side).

Tier and roster plans alike; a roster simulation adds the acceptance risk (who signs, and how
many reserves to invite for a good chance of filling the plan)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from mixopt.analysis.simulate import DISTRIBUTION, FILL_CONFIDENCE, SimulationResult
from mixopt.analysis.simulate_roster import (
    TAIL_SHARE,
    AcceptanceRisk,
    RosterSimulationResult,
)
from mixopt.roster.plan import RosterPlan
from mixopt.scenario.schema import Scenario
from mixopt.tier.plan import Plan
from mixopt.version import mixopt_version

__all__ = ["simulation_frame", "simulation_csv", "simulation_json", "simulation_text", "acceptance_kpis",
           "write_simulation_workbook"]

Entry = tuple[str, Plan | RosterPlan, SimulationResult | None]

#: The plan total shown as 'planned' for a KPI row that has a different name in the totals.
_PLANNED = {"signed": "expected_signed"}
_TIER_TEXT_KPIS = ("reach", "unique_reach", "frequency", "engagements", "conversions", "spend", "profit", "roi", "cpa")
_ROSTER_TEXT_KPIS = ("reach", "unique_reach", "frequency", "impressions", "engagements", "conversions", "spend",
                     "revenue", "profit", "roi", "cpa", "signed")


def _acceptance(sim: SimulationResult | None) -> AcceptanceRisk | None:
    return sim.acceptance if isinstance(sim, RosterSimulationResult) else None


def _pct(confidence: float) -> str:
    return f"{round(confidence * 100)}pct"


def acceptance_kpis(risk: AcceptanceRisk) -> list[tuple[str, float | None, float | None]]:
    """The acceptance rows of a roster simulation: (kpi, planned, probability or None)."""
    fill = _pct(risk.confidence)
    return [("probability_all_sign", None, risk.probability_all_sign),
            (f"reserves_for_{fill}_fill", float(risk.reserves), None),
            (f"invites_for_{fill}_fill", float(risk.invites), None),
            ("probability_plan_filled", risk.fill_probability, risk.fill_probability_drawn)]


def simulation_frame(entries: list[Entry]) -> pd.DataFrame:
    """One row per (plan, KPI): the plan's planning value and P10 / P50 / P90 / mean."""
    rows = []
    for label, plan, sim in entries:
        if sim is None:
            continue
        for kpi, q in sim.quantiles.iterrows():
            rows.append({"plan": label, "kpi": kpi, "planned": plan.totals.get(_PLANNED.get(str(kpi), str(kpi))),
                         "p10": q["p10"], "p50": q["p50"], "p90": q["p90"], "mean": q["mean"]})
        for kpi, prob in sim.target_probability.items():
            rows.append({"plan": label, "kpi": f"probability_{kpi}_target_met", "planned": None, "p10": None,
                         "p50": prob, "p90": None, "mean": prob})
        if sim.budget_probability is not None:
            rows.append({"plan": label, "kpi": "probability_within_budget", "planned": None, "p10": None,
                         "p50": sim.budget_probability, "p90": None, "mean": sim.budget_probability})
        if isinstance(sim, RosterSimulationResult):
            for kpi, value in sim.tail_averages.items():
                rows.append({"plan": label, "kpi": f"worst_{_pct(TAIL_SHARE)}_average_{kpi}", "planned": None,
                             "p10": None, "p50": value, "p90": None, "mean": value})
        if sim.invites:
            fill = _pct(FILL_CONFIDENCE)
            invites = float(sum(c.invites for c in sim.invites))
            planned_invites = float(sum(c.planned_invites for c in sim.invites))
            for kpi, planned, prob in ((f"invites_for_{fill}_fill", invites, None),
                                       ("probability_plan_filled", planned_invites, sim.fill_probability_planned),
                                       (f"probability_filled_with_invites_for_{fill}", invites,
                                        sim.fill_probability_drawn)):
                rows.append({"plan": label, "kpi": kpi, "planned": planned, "p10": None, "p50": prob, "p90": None,
                             "mean": prob})
        risk = _acceptance(sim)
        if risk is not None:
            for kpi, planned, prob in acceptance_kpis(risk):
                rows.append({"plan": label, "kpi": kpi, "planned": planned, "p10": None, "p50": prob, "p90": None,
                             "mean": prob})
    return pd.DataFrame(rows, columns=["plan", "kpi", "planned", "p10", "p50", "p90", "mean"])


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    return value


def simulation_csv(scenario: Scenario, entries: list[Entry], seed: int, samples: int) -> str:
    """simulation.csv: the frame with fixed rounding, then seed, samples and provenance columns."""
    import io

    frame = simulation_frame(entries)
    frame["seed"] = seed
    frame["samples"] = samples
    frame["scenario_sha256"] = scenario.content_hash
    frame["mixopt_version"] = mixopt_version()
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.6f", lineterminator="\n")
    return buffer.getvalue()


def _distribution(entries: list[Entry]) -> str:
    return next((sim.distribution for _label, _plan, sim in entries if sim is not None), DISTRIBUTION)


def _acceptance_dict(risk: AcceptanceRisk) -> dict[str, Any]:
    return {
        "chosen_creators": risk.creators,
        "expected_signed": _clean(risk.expected_signed),
        "signed_p10": risk.signed_p10,
        "signed_p90": risk.signed_p90,
        "probability_all_sign": float(f"{risk.probability_all_sign:.6g}"),
        "fill_confidence": risk.confidence,
        "fill_reachable": risk.reachable,
        "reserves": risk.reserves,
        "invites": risk.invites,
        "probability_plan_filled": _clean(risk.fill_probability),
        "probability_plan_filled_drawn_rates": _clean(risk.fill_probability_drawn),
        "reserve_order": "a decline is replaced by a reserve of the same tier and platform: the cell's other "
                         "creators, best goal per unit of spend first",
        "cells": [{"cell": c.cell, "chosen": c.chosen, "expected_signed": _clean(c.expected_signed),
                   "reserves_needed": c.reserves_needed, "reserves_available": c.reserves_available,
                   "probability_filled": _clean(c.fill_probability)} for c in risk.cells],
    }


def _plan_entry(label: str, plan: Plan | RosterPlan, sim: SimulationResult | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"plan": label, "status": plan.status.value,
                             "creators": {k: v for k, v in plan.creators_and_posts()[0].items() if v}}
    risk = _acceptance(sim)
    if risk is not None:
        entry["acceptance"] = _acceptance_dict(risk)
    elif sim is not None and sim.invites:
        entry["acceptance"] = {
            "fill_confidence": FILL_CONFIDENCE, "fill_reachable": sim.fill_reachable,
            "probability_plan_filled": _clean(sim.fill_probability_planned),
            "probability_filled_with_invites": _clean(sim.fill_probability_drawn),
            "cells": [{"cell": c.cell, "needed": c.needed, "planned_invites": c.planned_invites, "invites": c.invites,
                       "pool": c.pool, "probability_filled": _clean(c.fill_probability)} for c in sim.invites]}
    if sim is not None:
        entry["costs_known"] = sim.costs_known
    return entry


def simulation_json(scenario: Scenario, entries: list[Entry], seed: int, samples: int,
                    extra: dict[str, Any] | None = None) -> str:
    """The simulation with its provenance: seed, samples and the distribution used.

    ``extra`` adds facts after ``distribution`` (the command line records the safe plan's
    confidence and model draws there)."""
    frame = simulation_frame(entries)
    settings = scenario.simulation
    data = {
        "provenance": {"mixopt_version": mixopt_version(), "scenario_file": scenario.source_file,
                       "scenario_sha256": scenario.content_hash},
        "seed": seed,
        "samples": samples,
        "distribution": _distribution(entries),
        "uncertainty": {"uncertain_costs": settings.uncertain_costs, "shared_share": settings.shared_share,
                        "platform_correlation": settings.platform_correlation},
        **(extra or {}),
        "plans": [_plan_entry(label, plan, sim) for label, plan, sim in entries],
        "rows": [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _n(value: Any, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return f"{value:,.{decimals}f}"


def _chance(p: float) -> str:
    """A chance in planner words: 97.6%, or 'under 0.1%' / 'over 99.9%' at the ends (never 6.2e-60)."""
    if p <= 0:
        return "0%"
    if p < 0.001:
        return "under 0.1%"
    if p >= 1:
        return "100%"
    if p > 0.999:
        return "over 99.9%"
    return f"{p:.1%}"


def _table(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(str(v)) for v in col) for col in zip(header, *rows)]
    return [indent + "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths)))
            for r in [header, *rows]]


def _acceptance_lines(risk: AcceptanceRisk) -> list[str]:
    fill = f"{risk.confidence:.0%}"
    lines = ["  acceptance (each chosen creator is invited by name; a decline is replaced by a reserve of the same "
             "tier and platform, best goal per spend first):",
             f"    expected to sign: {risk.expected_signed:,.1f} of {risk.creators:,} (P10 {risk.signed_p10:,}, "
             f"P90 {risk.signed_p90:,} at the planning acceptance rates); chance that all {risk.creators:,} sign: "
             f"{_chance(risk.probability_all_sign)}"]
    if risk.reachable:
        lines.append(f"    for a {fill} chance to fill every tier and platform, invite {risk.invites:,}: the "
                     f"{risk.creators:,} chosen and {risk.reserves:,} reserves")
    else:
        lines.append(f"    no number of reserves gives a {fill} chance to fill every tier and platform: inviting all "
                     f"{risk.invites:,} ({risk.reserves:,} reserves) fills the plan with a "
                     f"{_chance(risk.fill_probability)} chance")
    rows = [[c.cell, f"{c.chosen:,}", f"{c.reserves_needed:,}", f"{c.reserves_available:,}",
             _chance(c.fill_probability)] for c in risk.cells]
    lines += _table(["cell", "chosen", "reserves", "of available", "fill chance"], rows, indent="      ")
    drawn = "" if risk.fill_probability_drawn is None else (
        f", {risk.fill_probability_drawn:.0%} when the acceptance rates vary as drawn")
    lines.append(f"    chance the plan fills with those invites: {_chance(risk.fill_probability)} at the planning "
                 f"acceptance rates{drawn}")
    return lines


def _invite_lines(sim: SimulationResult) -> list[str]:
    fill = f"{FILL_CONFIDENCE:.0%}"
    total = sum(c.invites for c in sim.invites)
    planned = sum(c.planned_invites for c in sim.invites)
    lines = ["  acceptance (creators needed per tier and platform; each invited creator signs or not, the tier "
             "average acceptance drawn):"]
    if sim.fill_reachable:
        lines.append(f"    for a {fill} chance to fill every tier and platform, invite {total:,} "
                     f"(the plan's {planned:,} invites fill it in {_chance(sim.fill_probability_planned or 0.0)} of "
                     "draws)")
    else:
        lines.append(f"    no number of invites within the pools gives a {fill} chance to fill every tier and "
                     f"platform; the plan's {planned:,} invites fill it in {_chance(sim.fill_probability_planned or 0.0)}"
                     " of draws")
    rows = [[c.cell, f"{c.needed:,}", f"{c.planned_invites:,}", f"{c.invites:,}", f"{c.pool:,}",
             _chance(c.fill_probability)] for c in sim.invites]
    lines += _table(["cell", "needed", "plan invites", f"invites for {fill}", "pool", "fill chance"], rows,
                    indent="      ")
    lines.append(f"    chance every cell fills with those invites: {_chance(sim.fill_probability_drawn or 0.0)} of "
                 "draws (the fill chance column is at the planning acceptance rate)")
    return lines


def simulation_text(scenario: Scenario, entries: list[Entry], seed: int, samples: int,
                    notes: list[str] | None = None) -> str:
    """A terminal report: P10 / P50 / P90 per KPI and the chance of meeting each target (and, for a
    roster, the acceptance risk); ``notes`` are printed after the plans."""
    lines = [f"mixopt {mixopt_version()}  simulation  scenario: {scenario.name}  ({scenario.source_file})",
             f"{samples:,} joint draws, seed {seed}; {_distribution(entries)}."]
    for label, plan, sim in entries:
        lines.append("")
        if sim is None:
            lines.append(f"{label}: no plan ({plan.status.value}); no plan meets every rule at this confidence. "
                         "Lower --safe, lower a target or raise the budget.")
            continue
        roster = isinstance(plan, RosterPlan)
        creators = ", ".join(f"{k} {v}" for k, v in plan.creators_and_posts()[0].items() if v)
        if roster:
            creators = f"{int(plan.totals['creators']):,} creators ({creators})"
        lines.append(f"{label}: {creators}")
        header = ["", "planned", "P10", "P50", "P90"]
        rows = []
        for kpi in _ROSTER_TEXT_KPIS if roster else _TIER_TEXT_KPIS:
            if kpi not in sim.quantiles.index:
                continue
            q = sim.quantiles.loc[kpi]
            d = 2 if kpi in ("roi", "cpa", "frequency") else 1 if kpi == "signed" else 0
            rows.append([kpi, _n(plan.totals.get(_PLANNED.get(kpi, kpi)), d), _n(q["p10"], 0 if d == 1 else d),
                         _n(q["p50"], 0 if d == 1 else d), _n(q["p90"], 0 if d == 1 else d)])
        lines += _table(header, rows)
        for kpi, prob in sim.target_probability.items():
            floor = getattr(plan.scenario.targets, kpi)
            lines.append(f"  chance of meeting the {kpi} target ({floor:,.0f}): {prob:.0%}")
        if roster and sim.budget_probability is not None:
            lines.append(f"  spend is contracted: {_n(plan.totals.get('spend'))} {scenario.currency} in every draw, "
                         f"within the budget in {sim.budget_probability:.0%}")
        elif sim.budget_probability is not None and sim.costs_known:
            lines.append(f"  cost risk: none, spend is contracted ({_n(plan.totals.get('spend'))} {scenario.currency} "
                         f"in every draw, within the budget in {sim.budget_probability:.0%}); the ranges above are "
                         "performance risk")
        elif sim.budget_probability is not None:
            spend = sim.quantiles.loc["spend"]
            lines.append(f"  cost risk (costs drawn from their ranges): spend P10 {_n(spend['p10'])} to P90 "
                         f"{_n(spend['p90'])} {scenario.currency}; chance that spend stays within the budget: "
                         f"{sim.budget_probability:.0%}")
        elif sim.costs_known:
            lines.append(f"  cost risk: none, spend is contracted ({_n(plan.totals.get('spend'))} {scenario.currency} "
                         "in every draw); the ranges above are performance risk")
        if sim.invites:
            lines += _invite_lines(sim)
        if isinstance(sim, RosterSimulationResult) and sim.tail_averages:
            shown = ", ".join(f"{k} {_n(v)}" for k, v in sim.tail_averages.items()
                              if k in ("reach", "conversions", "profit"))
            lines.append(f"  average of the worst {TAIL_SHARE:.0%} of draws: {shown}")
        risk = _acceptance(sim)
        if risk is not None:
            lines += _acceptance_lines(risk)
    if notes:
        lines += [""] + list(notes)
    if len(entries) == 2 and all(e[2] is not None for e in entries):
        (l1, p1, _), (l2, p2, _) = entries
        lines += ["", f"What safety costs: {p1.objective_label} {_n(p1.objective_value)} ({l1}) vs "
                      f"{_n(p2.objective_value)} ({l2}) at the planning values."]
    return "\n".join(lines) + "\n"


_SIM_HEADERS = {"plan": "Plan", "kpi": "Measure", "planned": "Planned", "p10": "P10 (1 in 10 draws below)",
                "p50": "P50 (median; chance for probability rows)", "p90": "P90 (1 in 10 draws above)",
                "mean": "Mean"}
_SIM_DOCS = {
    "plan": ("", "which plan: the expected-value plan, or the safe plan at the --safe confidence"),
    "kpi": ("", "the measure (reach, spend, ...) or a probability row (probability_..., invites_for_...)"),
    "planned": ("the measure's unit", "the plan's figure at the planning values (invites: the invites)"),
    "p10": ("the measure's unit", "10th percentile over the draws"),
    "p50": ("the measure's unit; chance 0-1 on probability rows", "median over the draws; the chance itself on "
                                                                   "probability rows"),
    "p90": ("the measure's unit", "90th percentile over the draws"),
    "mean": ("the measure's unit", "mean over the draws"),
}


def _row_kind(kpi: str) -> str:
    """The number format of one Simulation row: the measure's own (money, people, ratio), a
    percentage for the chance rows, whole numbers for invites and reserves."""
    from mixopt.outputs.labels import kind_of

    if kpi.startswith("probability_"):
        return "percent"
    if kpi.startswith(("invites_for_", "reserves_for_")):
        return "count"
    return kind_of(kpi.removeprefix("worst_10pct_average_"))


def write_simulation_workbook(scenario: Scenario, entries: list[Entry], seed: int, samples: int, path: Any) -> None:
    """simulation.xlsx: a Summary (draws, seed, what varies), the Simulation sheet (P10 / P50 / P90
    of every measure for each plan), one sheet per simulated plan's mix, and the Data dictionary;
    written atomically, the same bytes for the same inputs."""
    from pathlib import Path

    from mixopt.outputs.files import write_atomic
    from mixopt.outputs.sheets import Book
    from mixopt.outputs.standard_sheets import (
        dictionary_sheet,
        summary_sheet,
        tier_docs,
    )

    def write(tmp: Path) -> None:
        book = Book(tmp, f"{scenario.name}: simulation", scenario.currency)
        facts: list[tuple[str, Any, str]] = [
            ("Scenario", scenario.name, "text"), ("Scenario file", scenario.source_file, "text"),
            ("Scenario SHA-256", scenario.content_hash, "text"), ("Draws", samples, "count"),
            ("Seed", seed, "count"), ("What varies", _distribution(entries), "text")]
        for label, plan, sim in entries:
            creators = ", ".join(f"{k} {v}" for k, v in plan.creators_and_posts()[0].items() if v)
            facts.append((label.capitalize(), creators if sim is not None else f"no plan ({plan.status.value})",
                          "text"))
        summary_sheet(book, facts)
        frame = simulation_frame(entries)
        ws = book.sheet("Simulation")
        per_row = [_row_kind(str(k)) for k in frame["kpi"]]
        planned = ["count" if str(k).startswith("probability_") else kind  # a chance row's planned: the invites
                   for k, kind in zip(frame["kpi"], per_row)]
        book.table(ws, frame, headers=_SIM_HEADERS, kinds={"plan": "text", "kpi": "text"},
                   row_kinds={"planned": planned, **{c: per_row for c in ("p10", "p50", "p90", "mean")}})
        ws.freeze_panes(1, 2)
        for index, (label, plan, sim) in enumerate(entries):
            if sim is None:
                continue
            mix = plan.allocation if isinstance(plan, Plan) else plan.selected
            name = "Expected plan" if index == 0 else "Safe plan"
            book.table(book.sheet(name), mix.reset_index(drop=True))
        dictionary_sheet(book, lambda code: _SIM_DOCS.get(code) or tier_docs(code))
        book.close()

    write_atomic(Path(path), write)
