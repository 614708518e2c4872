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


def optimize_roster(scenario: Scenario, options: SolverOptions | None = None, *,
                    mip_gap: float | None = None) -> RosterPlan:
    """Read the scenario's creator table, choose the creators and check the choice.

    The gap is ``mip_gap`` when given (the command line's ``--mip-gap``), else the scenario's
    ``roster.mip_gap`` (default 0.001). ``options`` brings the time limit.
    """
    assert scenario.roster is not None, "not a roster scenario: use mixopt.optimize"
    options = options or SolverOptions()
    gap = mip_gap if mip_gap is not None else scenario.roster.mip_gap
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


def _freed(arrays, row: int, cost: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    """The arrays with one row's limits removed (and optionally another goal)."""
    lower = arrays.row_lower.copy()
    upper = arrays.row_upper.copy()
    lower[row], upper[row] = -np.inf, np.inf
    return dataclasses.replace(arrays, row_lower=lower, row_upper=upper,
                               costs=[cost] if cost is not None else arrays.costs)


def diagnose_roster(model: RosterModel) -> list[str]:
    """Why no choice of creators satisfies the rules, in planner words.

    Uses LP relaxations (fractions of creators allowed), so each figure is a bound: the budget
    a plan needs at least, the most of a KPI the other rules allow, and which single rule, if
    dropped, leaves room for a plan.
    """
    s = model.scenario
    arrays = model.arrays
    table = model.roster.table
    n = model.creators
    lines: list[str] = []
    must = table["must_include"].to_numpy(dtype=bool)
    if s.budget is not None and must.any():
        must_spend = float(table.loc[must, "spend"].sum())
        if must_spend > s.budget:
            lines.append(f"the {int(must.sum())} must-include creators alone cost {must_spend:,.0f} {s.currency}, "
                         f"more than the budget of {s.budget:,.0f}")
    names = arrays.row_names
    spend_cost = np.zeros(arrays.num_col)
    spend_cost[:n] = table["spend"].to_numpy(dtype=float)
    if arrays.num_col > n:
        spend_cost[n:] = table["fee_per_post"].to_numpy(dtype=float)
    if "budget" in names:
        lp = lp_relaxation(_freed(arrays, names.index("budget"), spend_cost))
        if lp.status == "optimal" and lp.objective is not None and lp.objective > (s.budget or 0.0):
            lines.append(f"the other rules need a budget of at least {lp.objective:,.0f} {s.currency} (budget: "
                         f"{s.budget:,.0f}); raise 'budget' or loosen the quotas, targets and bands")
    for kpi in ROSTER_KPIS:
        floor = getattr(s.targets, kpi)
        if not floor or f"target_{kpi}" not in names:
            continue
        goal = np.zeros(arrays.num_col)
        goal[:n] = -table[kpi].to_numpy(dtype=float)
        if arrays.num_col > n and kpi != "reach":
            goal[n:] = -table[f"{kpi}_per_post"].to_numpy(dtype=float)
        lp = lp_relaxation(_freed(arrays, names.index(f"target_{kpi}"), goal))
        if lp.status == "optimal" and lp.objective is not None and -lp.objective < floor:
            lines.append(f"the {floor:,.0f} {kpi} target cannot be met: at most {-lp.objective:,.0f} {kpi} fit "
                         "the other rules (even with fractions of creators); lower 'targets." + kpi + "' or loosen "
                         "the budget and caps")
    for name, rule in (s.roster.categories.items() if s.roster else []):
        available = int(((table["category"] == name) & ~table["exclude"].to_numpy(dtype=bool)).sum())
        if rule.min_creators is not None and rule.min_creators > available:
            lines.append(f"roster.categories.{name}.min_creators asks for {rule.min_creators} but the table has "
                         f"{available} {name} creators")
    if not lines:  # one rule at a time: which single rule, dropped, leaves room for a plan?
        culprits = []
        for row, label in enumerate(model.row_labels[:60]):
            if lp_relaxation(_freed(arrays, row)).status == "optimal":
                culprits.append(label)
        if culprits:
            lines.append("dropping any one of these rules would leave room for a plan: " + "; ".join(culprits))
    if not lines:
        lines.append("the rules conflict with each other on this creator table; relax targets, bands or quotas "
                     "one at a time to find the conflict")
    return lines


def run_roster_solve(scenario: Scenario, options: SolverOptions, out_dir: Path | None, fmt: str,
                     mip_gap: float | None = None) -> str:
    """What ``mixopt solve`` does for a roster scenario; returns the text for standard output.

    Raises InfeasibleError (exit 3) with a diagnosis, or SolverError (exit 4).
    """
    from mixopt.roster_export import format_roster_table, roster_plan_csv, roster_plan_json, write_roster_outputs

    plan = optimize_roster(scenario, options, mip_gap=mip_gap)
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
