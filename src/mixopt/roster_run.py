"""Roster mode end to end, for the ``mixopt solve`` command and notebooks:
creator table in, chosen creators and files out."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from mixopt.errors import InfeasibleError, SolverError
from mixopt.roster import load_roster
from mixopt.roster_model import ROSTER_KPIS, RosterModel, build_roster_model
from mixopt.roster_plan import RosterPlan, make_roster_plan
from mixopt.roster_solve import lp_relaxation, solve_roster
from mixopt.scenario import Scenario
from mixopt.solve import SolverOptions, SolveStatus

__all__ = ["optimize_roster", "run_roster_solve", "diagnose_roster"]


def optimize_roster(scenario: Scenario, options: SolverOptions | None = None) -> RosterPlan:
    """Read the scenario's creator table, choose the creators and check the choice.

    The gap is ``roster.mip_gap`` (default 0.001) unless ``options.mip_gap`` differs from the
    scenario's ``solver.mip_gap`` (a command-line ``--mip-gap``).
    """
    assert scenario.roster is not None, "not a roster scenario: use mixopt.optimize"
    options = options or SolverOptions()
    gap = options.mip_gap if options.mip_gap != scenario.solver.mip_gap else scenario.roster.mip_gap
    timings: dict[str, float] = {}
    started = time.perf_counter()
    roster = load_roster(scenario)
    timings["read"] = time.perf_counter() - started
    step = time.perf_counter()
    model = build_roster_model(scenario, roster)
    timings["build"] = time.perf_counter() - step
    solution = solve_roster(model, options, mip_gap=gap)
    step = time.perf_counter()
    plan = make_roster_plan(scenario, roster, solution)
    timings["verify"] = time.perf_counter() - step
    seconds = {**timings, **solution.seconds}
    return dataclasses.replace(plan, solution=dataclasses.replace(solution, seconds=seconds))


def diagnose_roster(model: RosterModel) -> list[str]:
    """Why no choice of creators satisfies the rules, in planner words (LP bounds, so cheap)."""
    s = model.scenario
    arrays = model.arrays
    lines: list[str] = []
    table = model.roster.table
    must = table["must_include"].to_numpy(dtype=bool)
    if s.budget is not None and must.any():
        must_spend = float(table.loc[must, "spend"].sum())
        if must_spend > s.budget:
            lines.append(f"the {int(must.sum())} must-include creators alone cost {must_spend:,.0f} {s.currency}, "
                         f"more than the budget of {s.budget:,.0f}")
    for kpi in ROSTER_KPIS:
        floor = getattr(s.targets, kpi)
        if not floor:
            continue
        row = arrays.row_names.index(f"target_{kpi}")
        keep = np.ones(len(arrays.row_names), dtype=bool)
        keep[row] = False
        relaxed = dataclasses.replace(
            arrays, row_lower=np.where(keep, arrays.row_lower, -np.inf), costs=[-table[kpi].to_numpy(dtype=float)])
        lp = lp_relaxation(relaxed)
        if lp.status == "optimal" and lp.objective is not None and -lp.objective < floor:
            lines.append(f"the {floor:,.0f} {kpi} target cannot be met: at most {-lp.objective:,.0f} {kpi} fit "
                         "the other rules (even with fractions of creators); lower the target or loosen "
                         "budget and caps")
    for name, rule in (s.roster.categories.items() if s.roster else []):
        available = int(((table["category"] == name) & ~table["exclude"].to_numpy(dtype=bool)).sum())
        if rule.min_creators is not None and rule.min_creators > available:
            lines.append(f"roster.categories.{name}.min_creators asks for {rule.min_creators} but the table has "
                         f"{available} {name} creators")
    if not lines:
        lines.append("the rules conflict with each other on this creator table; relax targets, bands or quotas "
                     "one at a time to find the conflict")
    return lines


def run_roster_solve(scenario: Scenario, options: SolverOptions, out_dir: Path | None, fmt: str) -> str:
    """What ``mixopt solve`` does for a roster scenario; returns the text for standard output.

    Raises InfeasibleError (exit 3) with a diagnosis, or SolverError (exit 4).
    """
    from mixopt.roster_export import format_roster_table, roster_plan_csv, roster_plan_json, write_roster_outputs

    plan = optimize_roster(scenario, options)
    if plan.status in (SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED):
        model = build_roster_model(scenario, plan.roster)
        reasons = diagnose_roster(model)
        raise InfeasibleError("\n".join(f"{scenario.source_file}: no choice of creators satisfies every rule: {r}."
                                        for r in reasons))
    if not plan.status.has_plan:
        raise SolverError(f"{scenario.source_file}: solver: no plan found ({plan.status.value}; "
                          f"{'; '.join(plan.solution.notes) or 'no detail'}). Raise solver.time_limit_s or "
                          "roster.mip_gap.")
    if not plan.feasible:
        broken = "; ".join(c.label for c in plan.checks if not c.holds)
        raise SolverError(f"{scenario.source_file}: solver: the plan found breaks a rule on independent check "
                          f"({broken}); no plan is reported. Please report this with the scenario.")
    if out_dir is not None:
        write_roster_outputs(plan, out_dir)
    text = {"table": format_roster_table, "csv": roster_plan_csv, "json": roster_plan_json}[fmt](plan)
    if out_dir is not None and fmt == "table":
        text += f"\nWrote {out_dir / 'plan.csv'}, {out_dir / 'plan.json'}, {out_dir / 'plan.xlsx'}, " \
                f"{out_dir / 'reserves.csv'}\n"
    return text
