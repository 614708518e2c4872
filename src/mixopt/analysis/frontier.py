"""The awareness-versus-sales Pareto frontier, traced by the epsilon-constraint method.

For a grid of floors on one KPI (reach by default), maximise the other (conversions by
default): each point is the most sales a plan can make while still reaching that many
people. Consecutive points say what each extra million of reach costs in sales.

Tier scenarios: each point is an exact solve of one reusable model (only the floor changes).
Roster scenarios: each point is a roster solve (named creators) certified within the roster's
gap, so each point's ``y`` is within its gap of the most ``y`` possible at that floor, and its
proven bound (``y_bound``) is reported beside it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixopt.errors import Issue, ScenarioError
from mixopt.roster.optimize import optimize_roster, resolve_each
from mixopt.roster.plan import RosterPlan, make_roster_plan
from mixopt.roster.table import Roster, load_roster
from mixopt.scenario.schema import Objective, Scenario
from mixopt.solvers.engine import ReusableHighs, solver_version
from mixopt.solvers.types import Solution, SolverOptions, SolveStatus
from mixopt.tier.model import build_model
from mixopt.tier.plan import Plan, make_plan
from mixopt.tier.solve import money_overshoots, to_arrays

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
    plan: Plan | RosterPlan | None
    y_bound: float | None = None  # roster: the proven most y at this floor (y is within ``gap`` of it)
    gap: float | None = None  # roster: the certified relative gap of y
    repeats_floor: float | None = None  # roster: this point repeats the plan found for that higher floor


@dataclass(frozen=True)
class FrontierResult:
    """Pareto-optimal plans between the best-``y`` plan and the best-``x`` plan."""

    scenario: Scenario
    x: str
    y: str
    points: tuple[FrontierPoint, ...]
    solver: str
    solver_version: str
    mip_gap: float | None = None  # roster: the gap every point is certified within; None: exact points
    roster: Roster | None = None  # roster: the creator table the points choose from

    @property
    def mode(self) -> str:
        """``tier`` (exact points) or ``roster`` (named creators, points within the certified gap)."""
        return "tier" if self.roster is None else "roster"

    @property
    def largest_gap(self) -> float | None:
        """The largest certified gap over the points with a plan (roster), else None."""
        gaps = [p.gap for p in self.points if p.plan is not None and p.gap is not None]
        return max(gaps) if gaps else None

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
            certified = {} if self.roster is None else {f"{self.y}_best_possible": p.y_bound, "gap": p.gap}
            rows.append({
                "floor": p.floor,
                f"{self.x}": p.x_value,
                f"{self.y}": p.y_value,
                **certified,
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
    """Trace the ``x``-versus-``y`` frontier with ``points`` solves (plus two end solves), exact in tier mode.

    The scenario's budget and rules hold at every point; its own objective is ignored. A roster
    scenario's points are roster solves within its gap (``options.mip_gap`` when options are
    given, else the scenario's ``roster.mip_gap``).
    """
    if options is None:
        options = SolverOptions(mip_gap=scenario.roster.mip_gap) if scenario.roster is not None else SolverOptions()
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
    if scenario.roster is not None:
        return _trace_roster(scenario, x, y, points, options, progress)

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
        status = result.status
        if result.status.has_plan and result.x is not None:
            values = dict(zip(arrays.names, map(float, result.x)))
            solution = Solution(result.status, values, -result.objective if result.objective is not None else None,
                                None, result.gap, options.solver, solver_version(options.solver), 0.0)
            point = dataclasses.replace(model, scenario=_retarget(scenario, y, x, floor))
            plan = make_plan(point, solution)
            if money_overshoots(point, result.x, arrays.names):
                plan, status = _held_exactly(scenario, y, x, floor, options)  # its own solve, with the money repair
        out.append(FrontierPoint(
            floor=floor,
            status=status,
            x_value=None if plan is None else float(plan.totals[x]),
            y_value=None if plan is None else float(plan.totals[y]),
            plan=plan,
        ))
        if progress is not None:
            progress(i + 1, len(floors))
    return FrontierResult(scenario, x, y, tuple(out), options.solver, solver_version(options.solver))


def _held_exactly(scenario: Scenario, y: str, x: str, floor: float,
                  options: SolverOptions) -> tuple[Plan | None, SolveStatus]:
    """A frontier point whose reusable solve broke a money rule beyond half a minor unit (the
    solver's tolerance at a huge budget), solved on its own with the money repair: its plan keeps
    every money rule exactly and its status says what was proven; without a plan, the status of
    that solve (infeasible when it proves no plan keeps the rules, not solved when none was found)."""
    from mixopt.tier.solve import solve

    model = build_model(_retarget(scenario, y, x, floor))
    plan = make_plan(model, solve(model, options))
    if plan.status.has_plan and plan.feasible:
        return plan, plan.status
    return None, SolveStatus.NOT_SOLVED if plan.status.has_plan else plan.status


def _certified(plan: RosterPlan, bound: float | None, target_gap: float) -> RosterPlan:
    """``plan`` (found for a higher floor, re-read for this one) certified by this floor's proven ``bound``."""
    sol = plan.solution
    if bound is None or sol.objective is None:
        return plan
    bound = max(bound, sol.objective)
    gap = (bound - sol.objective) / max(abs(sol.objective), 1e-9)
    status = SolveStatus.OPTIMAL if gap <= target_gap + 1e-12 else SolveStatus.FEASIBLE
    return dataclasses.replace(plan, solution=dataclasses.replace(sol, bound=bound, gap=gap, status=status))


def _trace_roster(scenario: Scenario, x: str, y: str, points: int, options: SolverOptions,
                  progress: Callable[[int, int], None] | None) -> FrontierResult:
    """The frontier over named creators: a roster solve per floor, each within the certified gap.

    A plan found for a higher floor that makes more ``y`` also meets every lower floor, so each
    point keeps the best plan found for any floor at or above its own (with its own floor's proven
    bound): the points are then non-dominated, and each stays within its gap of the most ``y``.
    """
    roster = load_roster(scenario)
    gap = float(options.mip_gap)

    def solve_for(s: Scenario) -> RosterPlan:
        return optimize_roster(s, options, mip_gap=gap, roster=roster, reserves=False)

    def best(goal: str) -> RosterPlan:
        return solve_for(scenario.model_copy(update={"objective": Objective(maximize=goal)}))  # type: ignore[arg-type]

    def result(found: tuple[FrontierPoint, ...]) -> FrontierResult:
        version = top_y.solver_version if top_y.status.has_plan else top_x.solver_version
        return FrontierResult(scenario, x, y, found, "clp+highs", version, mip_gap=gap, roster=roster)

    top_x, top_y = resolve_each(best, [x, y], roster)
    if not all(p.status.has_plan and p.feasible for p in (top_x, top_y)):
        return result(())
    low = float(top_y.totals[x])
    high = max(float(top_x.totals[x]), low)
    own = getattr(scenario.targets, x) or 0.0
    # the last floor is the best x found; shave a hair so rounding cannot make it infeasible
    floors = [float(f) * (1 - 1e-9) if i == points - 1 else float(f) for i, f in enumerate(np.linspace(low, high, points))]
    retargeted = [_retarget(scenario, y, x, floor) for floor in floors]
    solved: list[tuple[float, Scenario, RosterPlan]] = []
    for i, plan in enumerate(resolve_each(solve_for, retargeted, roster)):
        solved.append((floors[i], retargeted[i], plan))
        if progress is not None:
            progress(i + 1, points)
    out: list[FrontierPoint] = []
    for i, (floor, s, plan) in enumerate(solved):
        repeats = None
        if plan.status.has_plan and plan.feasible and plan.bound is not None:
            level = max(floor, own)
            serving = [(float(p.totals[y]), float(p.totals[x]), -j) for j, (_, _, p) in enumerate(solved)
                       if j == i or (p.status.has_plan and p.feasible and float(p.totals[x]) >= level)]
            best_y, _, minus_k = max(serving)  # the most y, then the most x, then the lowest floor
            k = -minus_k
            if k != i and best_y > float(plan.totals[y]):
                repeats = solved[k][0]
                plan = _certified(make_roster_plan(s, roster, solved[k][2].solution, reserves=False), plan.bound, gap)
        has = plan.status.has_plan and plan.feasible  # a plan failing the independent check is never shown
        out.append(FrontierPoint(
            floor=floor, status=plan.status,
            x_value=float(plan.totals[x]) if has else None,
            y_value=float(plan.totals[y]) if has else None,
            plan=plan if has else None,
            y_bound=plan.bound if has else None, gap=plan.gap if has else None, repeats_floor=repeats))
    return result(tuple(out))
