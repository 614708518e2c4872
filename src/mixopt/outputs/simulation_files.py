"""Simulation results as a table, JSON and a terminal report (plans side by side)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from mixopt.analysis.simulate import DISTRIBUTION, SimulationResult
from mixopt.scenario.schema import Scenario
from mixopt.tier.plan import Plan
from mixopt.version import mixopt_version

__all__ = ["simulation_frame", "simulation_csv", "simulation_json", "simulation_text"]

Entry = tuple[str, Plan, SimulationResult | None]


def simulation_frame(entries: list[Entry]) -> pd.DataFrame:
    """One row per (plan, KPI): the plan's planning value and P10 / P50 / P90 / mean."""
    rows = []
    for label, plan, sim in entries:
        if sim is None:
            continue
        for kpi, q in sim.quantiles.iterrows():
            rows.append({"plan": label, "kpi": kpi, "planned": plan.totals.get(str(kpi)), "p10": q["p10"],
                         "p50": q["p50"], "p90": q["p90"], "mean": q["mean"]})
        for kpi, prob in sim.target_probability.items():
            rows.append({"plan": label, "kpi": f"probability_{kpi}_target_met", "planned": None, "p10": None,
                         "p50": prob, "p90": None, "mean": prob})
        if sim.budget_probability is not None:
            rows.append({"plan": label, "kpi": "probability_within_budget", "planned": None, "p10": None,
                         "p50": sim.budget_probability, "p90": None, "mean": sim.budget_probability})
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


def simulation_json(scenario: Scenario, entries: list[Entry], seed: int, samples: int,
                    extra: dict[str, Any] | None = None) -> str:
    """The simulation with its provenance: seed, samples and the distribution used.

    ``extra`` adds facts after ``distribution`` (the command line records the safe plan's
    confidence and model draws there)."""
    frame = simulation_frame(entries)
    data = {
        "provenance": {"mixopt_version": mixopt_version(), "scenario_file": scenario.source_file,
                       "scenario_sha256": scenario.content_hash},
        "seed": seed,
        "samples": samples,
        "distribution": DISTRIBUTION,
        **(extra or {}),
        "plans": [{"plan": label, "status": plan.status.value,
                   "creators": {k: v for k, v in plan.creators_and_posts()[0].items() if v}}
                  for label, plan, _ in entries],
        "rows": [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _n(value: Any, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return f"{value:,.{decimals}f}"


def simulation_text(scenario: Scenario, entries: list[Entry], seed: int, samples: int) -> str:
    """A terminal report: P10 / P50 / P90 per KPI and the chance of meeting each target."""
    lines = [f"mixopt {mixopt_version()}  simulation  scenario: {scenario.name}  ({scenario.source_file})",
             f"{samples:,} joint draws, seed {seed}; {DISTRIBUTION}."]
    for label, plan, sim in entries:
        lines.append("")
        if sim is None:
            lines.append(f"{label}: no plan ({plan.status.value}); no plan meets every rule at this confidence. "
                         "Lower --safe, lower a target or raise the budget.")
            continue
        creators = ", ".join(f"{k} {v}" for k, v in plan.creators_and_posts()[0].items() if v)
        lines.append(f"{label}: {creators}")
        header = ["", "planned", "P10", "P50", "P90"]
        rows = []
        for kpi in ("reach", "engagements", "conversions", "spend", "profit", "roi", "cpa"):
            if kpi not in sim.quantiles.index:
                continue
            q = sim.quantiles.loc[kpi]
            d = 2 if kpi in ("roi", "cpa") else 0
            rows.append([kpi, _n(plan.totals.get(kpi), d), _n(q["p10"], d), _n(q["p50"], d), _n(q["p90"], d)])
        widths = [max(len(str(v)) for v in col) for col in zip(header, *rows)]
        lines.append("  " + "  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(header, widths))))
        lines += ["  " + "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths)))
                  for r in rows]
        for kpi, prob in sim.target_probability.items():
            floor = getattr(plan.scenario.targets, kpi)
            lines.append(f"  chance of meeting the {kpi} target ({floor:,.0f}): {prob:.0%}")
        if sim.budget_probability is not None:
            lines.append(f"  chance that spend stays within the budget: {sim.budget_probability:.0%}")
    if len(entries) == 2 and all(e[2] is not None for e in entries):
        (l1, p1, _), (l2, p2, _) = entries
        lines += ["", f"What safety costs: {p1.objective_label} {_n(p1.objective_value)} ({l1}) vs "
                      f"{_n(p2.objective_value)} ({l2}) at the planning values."]
    return "\n".join(lines) + "\n"
