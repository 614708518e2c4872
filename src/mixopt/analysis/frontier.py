"""The awareness-versus-sales Pareto frontier, traced by the epsilon-constraint method.

For a grid of floors on one KPI (reach by default), maximise the other (conversions by
default): each point is the most sales a plan can make while still reaching that many
people. Consecutive points say what each extra million of reach costs in sales.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.schema import Objective, Scenario
from mixopt.solvers.engine import ReusableHighs, solver_version
from mixopt.solvers.types import Solution, SolverOptions, SolveStatus
from mixopt.tier.model import build_model
from mixopt.tier.plan import Plan, make_plan
from mixopt.tier.solve import to_arrays

__all__ = ["FrontierPoint", "FrontierResult", "trace_frontier", "FLOOR_KPIS", "GOAL_KPIS"]

FLOOR_KPIS = ("reach", "impressions", "engagements", "conversions")
GOAL_KPIS = ("reach", "impressions", "engagements", "conversions", "revenue", "profit")


@dataclass(frozen=True)
class FrontierPoint:
    """The best ``y`` for a floor on ``x``, and the plan that achieves it."""

    floor: float
    status: SolveStatus
    x_value: float | None
    y_value: float | None
    plan: Plan | None


@dataclass(frozen=True)
class FrontierResult:
    """Pareto-optimal plans between the best-``y`` plan and the best-``x`` plan."""

    scenario: Scenario
    x: str
    y: str
    points: tuple[FrontierPoint, ...]
    solver: str
    solver_version: str

    def table(self) -> pd.DataFrame:
        """One row per frontier point with the trade-off to the next point."""
        rows = []
        feasible = [p for p in self.points if p.plan is not None]
        for i, p in enumerate(feasible):
            t = p.plan.totals  # type: ignore[union-attr]
            nxt = feasible[i + 1] if i + 1 < len(feasible) else None
            trade = None
            if nxt is not None and nxt.x_value is not None and p.x_value is not None and nxt.x_value > p.x_value:
                trade = (p.y_value - nxt.y_value) / (nxt.x_value - p.x_value) * 1_000_000  # type: ignore[operator]
            rows.append({
                "floor": p.floor,
                f"{self.x}": p.x_value,
                f"{self.y}": p.y_value,
                f"{self.y}_given_up_per_million_{self.x}": trade,
                "spend": t["spend"],
                "creators": t["creators"],
                "posts": t["posts"],
                "reach": t["reach"],
                "engagements": t["engagements"],
                "conversions": t["conversions"],
                "profit": t["profit"],
                "roi": t["roi"],
                **{f"creators_{tier}": float(p.plan.allocation.loc[p.plan.allocation["tier"] == tier, "creators"].sum())  # type: ignore[union-attr]
                   for tier in self.scenario.tier_names},
            })
        return pd.DataFrame(rows)


def _retarget(scenario: Scenario, y: str, x: str, floor: float) -> Scenario:
    targets = scenario.targets.model_copy(update={x: max(getattr(scenario.targets, x) or 0.0, floor)})
    return scenario.model_copy(update={"objective": Objective(maximize=y), "targets": targets})  # type: ignore[arg-type]


def trace_frontier(
    scenario: Scenario,
    x: str = "reach",
    y: str = "conversions",
    points: int = 20,
    options: SolverOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FrontierResult:
    """Trace the ``x``-versus-``y`` frontier with ``points`` exact solves (plus two end solves).

    The scenario's budget and rules hold at every point; its own objective is ignored.
    """
    options = options or SolverOptions()
    bad = []
    if x not in FLOOR_KPIS:
        bad.append(Issue("(command line)", "--x", "cannot be used as a floor", f"Choose one of {', '.join(FLOOR_KPIS)}", x))
    if y not in GOAL_KPIS or y == x:
        bad.append(Issue("(command line)", "--y", "must be a different KPI to maximise", f"Choose one of {', '.join(GOAL_KPIS)}", y))
    if y in ("revenue", "profit") and scenario.economics.average_order_value is None:
        bad.append(Issue(scenario.source_file, "economics.average_order_value", f"a {y} frontier needs the revenue per conversion",
                         "Add 'economics: {average_order_value: 45}'"))
    if scenario.budget is None:
        bad.append(Issue(scenario.source_file, "budget", "a frontier needs a budget", "Add 'budget: 50000'"))
    if points < 2:
        bad.append(Issue("(command line)", "--points", "needs at least 2 points", "Use --points 20", points))
    if bad:
        raise ScenarioError(bad)

    def best(goal: str) -> Plan:
        s = scenario.model_copy(update={"objective": Objective(maximize=goal)})  # type: ignore[arg-type]
        model = build_model(s)
        from mixopt.tier.solve import solve

        return make_plan(model, solve(model, options))

    top_x, top_y = best(x), best(y)
    if not (top_x.status.has_plan and top_y.status.has_plan):
        return FrontierResult(scenario, x, y, (), options.solver, solver_version(options.solver))
    low = float(top_y.totals[x])
    high = float(top_x.totals[x])
    floors = np.linspace(low, high, points)
    # one model, maximise y with a floor on x; only that floor changes between points
    model = build_model(_retarget(scenario, y, x, max(low, 1e-6)))
    arrays = to_arrays(model)
    engine = ReusableHighs(arrays, options)
    row = f"target_{x}"
    upper = arrays.row_upper[arrays.row_names.index(row)]
    out: list[FrontierPoint] = []
    for i, floor in enumerate(floors):
        # the last floor is the best x itself; shave a hair so rounding cannot make it infeasible
        floor = float(floor) * (1 - 1e-9) if i == len(floors) - 1 else float(floor)
        engine.set_row_bounds(row, max(floor, getattr(scenario.targets, x) or 0.0), upper)
        result = engine.solve(stages=True)
        plan = None
        if result.status.has_plan and result.x is not None:
            values = dict(zip(arrays.names, map(float, result.x)))
            solution = Solution(result.status, values, -result.objective if result.objective is not None else None,
                                None, result.gap, options.solver, solver_version(options.solver), 0.0)
            plan = make_plan(dataclasses.replace(model, scenario=_retarget(scenario, y, x, floor)), solution)
        out.append(FrontierPoint(
            floor=floor,
            status=result.status,
            x_value=None if plan is None else float(plan.totals[x]),
            y_value=None if plan is None else float(plan.totals[y]),
            plan=plan,
        ))
        if progress is not None:
            progress(i + 1, len(floors))
    return FrontierResult(scenario, x, y, tuple(out), options.solver, solver_version(options.solver))
