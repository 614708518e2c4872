"""What ``mixopt pilot`` prints and writes: the pilot plan, both strategies' outcomes, the next steps.

Files (``--out``): ``pilot.json`` (the whole report), ``pilot_plan.csv`` (the pilot's creators,
posts and spend per cell), ``pilot_plan.json`` (the pilot as a plan.json, as ``mixopt solve``
writes it: ``mixopt review`` compares its results with it) and ``pilot_worlds.csv`` (the goal
per world for both strategies).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixopt.analysis.pilot import PilotStudy
from mixopt.outputs.cells import frame_csv
from mixopt.outputs.files import clean, write_text
from mixopt.outputs.plan_files import plan_json
from mixopt.version import mixopt_version

__all__ = ["pilot_text", "pilot_json", "pilot_plan_frame", "pilot_worlds_frame", "write_pilot"]

PLAN_COLUMNS = ("tier", "platform", "creators", "posts", "invites", "spend")


def pilot_plan_frame(study: PilotStudy) -> pd.DataFrame:
    """The pilot plan's cells with creators (one row per booked cell)."""
    assert study.pilot.plan is not None
    frame = study.pilot.plan.allocation
    frame = frame[frame["creators"] > 0][list(PLAN_COLUMNS)].reset_index(drop=True)
    return frame.astype({"creators": int, "posts": int, "invites": int})


def pilot_worlds_frame(study: PilotStudy) -> pd.DataFrame:
    """The whole campaign's goal per world: commit now, pilot then scale, and the difference."""
    return pd.DataFrame({"world": np.arange(1, study.worlds + 1), "commit_now": study.commit_goal,
                         "pilot_then_scale": study.pilot.goal,
                         "pilot_value": study.pilot.goal - study.commit_goal})


def _summary(study: PilotStudy) -> dict[str, Any]:
    return {"commit_now": {k: clean(v, 2) for k, v in study.quantiles(study.commit_goal).items()},
            "pilot_then_scale": {k: clean(v, 2) for k, v in study.quantiles(study.pilot.goal).items()}}


def _next_steps(study: PilotStudy) -> list[str]:
    file = study.scenario.source_file
    sets = " ".join(f"--set {item}" for item in study.scale_settings)
    lines = ["Run the pilot, export its results (one row per creator), then plan the scale wave:",
             f"  mixopt calibrate PILOT_RESULTS.csv --scenario {file} --out calibrated/",
             "  add 'assumptions_from:' with the path of calibrated/calibrated.yaml (relative to the scenario's folder)",
             "  to the scenario or to a child scenario with 'extends:', then plan the rest of the budget:",
             f"  mixopt solve {file} {sets} --out scale/"]
    if any(getattr(study.scenario.targets, k) is not None for k in ("reach", "impressions", "engagements",
                                                                     "conversions", "revenue")):
        lines.append("  and lower each target by what the pilot delivered (--set targets.KPI=REST)")
    return lines


def pilot_json(study: PilotStudy) -> str:
    """pilot.json: the pilot plan, both strategies' P10 / P50 / P90 and mean, the designs compared."""
    plan = study.pilot.plan
    assert plan is not None
    data = {
        "mixopt_version": mixopt_version(), "scenario": study.scenario.name, "scenario_file": study.scenario.source_file,
        "goal": study.goal_label, "currency": study.scenario.currency, "budget": clean(float(study.scenario.budget or 0)),
        "share": study.share, "pilot_budget": clean(study.pilot_budget), "worlds": study.worlds, "seed": study.seed,
        "pilot": {"design": study.pilot.name, "spend": clean(float(plan.totals["spend"]), 2),
                  "creators": int(round(plan.totals["creators"])), "posts": int(round(plan.totals["posts"])),
                  "cells": [{k: clean(v) for k, v in row.items()} for row in pilot_plan_frame(study).to_dict("records")]},
        "remaining_budget": clean(study.remaining_budget, 2), "remaining_creators": study.remaining_creators,
        "scale_settings": list(study.scale_settings),
        "outcome": _summary(study),
        "value_of_pilot": {"mean": clean(study.value_mean, 2), "p10": clean(study.value_p10, 2)},
        "candidate_cells": list(study.candidate_cells),
        "designs": [{"design": d.name, "min_creators_per_candidate_cell": d.min_creators,
                     "spend": None if d.plan is None else clean(float(d.plan.totals["spend"]), 2),
                     "mean": clean(float(np.mean(d.goal)), 2) if d.goal.size else None,
                     "p10": clean(float(np.quantile(d.goal, 0.1)), 2) if d.goal.size else None,
                     "scale_without_plan": d.scale_without_plan} for d in study.designs],
        "next_steps": _next_steps(study), "notes": list(study.notes),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    for row in body:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return out


def pilot_text(study: PilotStudy) -> str:
    """The terminal report."""
    s, plan = study.scenario, study.pilot.plan
    assert plan is not None
    cur = s.currency
    money = "{:,.0f}".format
    lines = [f"mixopt {mixopt_version()}  pilot  {s.source_file}",
             f"goal: {study.goal_label}; pilot share {study.share:g} of the budget {money(float(s.budget or 0))} {cur}; "
             f"{study.worlds} worlds, seed {study.seed}", "",
             f"Pilot plan ({study.pilot.name}): spend {plan.totals['spend']:,.2f} of {study.pilot_budget:,.2f} {cur}"]
    frame = pilot_plan_frame(study)
    lines += ["  " + x for x in _table(["cell", "creators", "posts", "invites", f"spend {cur}"],
                                       [[f"{r.tier}.{r.platform}", f"{r.creators:,}", f"{r.posts:,}", f"{r.invites:,}",
                                         f"{r.spend:,.2f}"] for r in frame.itertuples(index=False)])]
    lines += ["", f"Whole campaign's {study.goal_label} over {study.worlds} worlds drawn from the assumptions' ranges:"]
    summary = _summary(study)
    body = [[label, *(money(summary[key][q]) for q in ("p10", "p50", "p90", "mean"))]
            for label, key in (("commit the whole budget now", "commit_now"), ("pilot then scale", "pilot_then_scale"))]
    lines += ["  " + x for x in _table(["strategy", "P10", "P50", "P90", "mean"], body)]
    lines += ["", f"Value of the pilot: {study.value_mean:+,.0f} {study.goal_label} on average, "
              f"{study.value_p10:+,.0f} at P10 ({'worth it' if study.value_mean > 0 else 'not worth it'} on average)",
              "", f"Pilot designs compared (candidate cells: {', '.join(study.candidate_cells)}):"]
    rows = [[d.name, "no plan" if d.plan is None else f"{d.plan.totals['spend']:,.2f}",
             money(float(np.mean(d.goal))) if d.goal.size else "-",
             money(float(np.quantile(d.goal, 0.1))) if d.goal.size else "-"] for d in study.designs]
    lines += ["  " + x for x in _table(["design", f"spend {cur}", "mean", "P10"], rows)]
    lines += [""] + _next_steps(study)
    lines += [f"note: {n}" for n in study.notes]
    return "\n".join(lines) + "\n"


def write_pilot(study: PilotStudy, out_dir: Path) -> list[Path]:
    """Write pilot_plan.csv, pilot_plan.json, pilot_worlds.csv and pilot.json (each atomically)."""
    out_dir = Path(out_dir)
    paths = [out_dir / "pilot_plan.csv", out_dir / "pilot_plan.json", out_dir / "pilot_worlds.csv",
             out_dir / "pilot.json"]
    write_text(paths[0], frame_csv(pilot_plan_frame(study), decimals=2, counts=("creators", "posts", "invites")))
    assert study.pilot.plan is not None
    write_text(paths[1], plan_json(study.pilot.plan))
    write_text(paths[2], frame_csv(pilot_worlds_frame(study), decimals=2, counts=("world",)))
    write_text(paths[3], pilot_json(study))
    return paths
