"""Why no choice of creators satisfies a roster scenario's rules, from LP relaxations (each figure a bound)."""

from __future__ import annotations

import dataclasses

import numpy as np

from mixopt.roster.model import ROSTER_KPIS, RosterModel
from mixopt.solvers.clp import lp_relaxation

__all__ = ["diagnose_roster"]


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
