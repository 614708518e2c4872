"""Roster sweeps: the best choice of named creators at every value of one field.

The creator table is read once. Each point is a roster solve certified within the roster's gap
(its plan re-checked on the chosen creators by the independent rule check). Exact plateau reuse,
as in tier sweeps: when the swept field is a limit (budget, team capacity, a cap or quota
maximum) the points are walked from the loosest value, and a plan that still keeps every rule at
a tighter value is that point's plan too. Its certificate stays valid because the tighter point's
plans are a subset of the looser point's, so the looser point's proven bound bounds them as well.
Floors (targets, quota minimums) are walked upwards the same way. The LP preview solves the
LP relaxation at each point (fractions of creators allowed) and reports its certified bound.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from mixopt.analysis.sweep import _mix_changes, _validate_endpoints
from mixopt.analysis.sweep_points import SweepPoint, SweepResult
from mixopt.api import solver_options_for
from mixopt.roster.check import check_roster_choice
from mixopt.roster.model import build_roster_model
from mixopt.roster.optimize import optimize_roster, resolve_each
from mixopt.roster.plan import RosterPlan, make_roster_plan
from mixopt.roster.table import Roster, load_roster
from mixopt.scenario.fields import is_money, with_field
from mixopt.scenario.schema import Scenario
from mixopt.solvers.clp import lp_relaxation
from mixopt.solvers.types import SolverOptions, SolveStatus

__all__ = ["run_roster_sweep", "limit_side"]

Progress = Callable[[int, int], None]

_UPPER_ENDS = ("max_creators", "max_spend", "max_spend_share", "max_per_overlap_group")
_LOWER_ENDS = ("min_creators", "min_spend", "min_spend_share")


def limit_side(path: str) -> str | None:
    """'upper' when raising the field only loosens the rules (budget, caps, maximums), 'lower' when
    raising it only tightens them (targets, minimums), None for any other field."""
    parts = path.split(".")
    if path == "budget" or parts[-1] in _UPPER_ENDS or parts[:2] == ["roster", "resource_caps"]:
        return "upper"
    if parts[0] == "targets" or parts[-1] in _LOWER_ENDS:
        return "lower"
    return None


def _keeps_every_rule(scenario: Scenario, roster: Roster, plan: RosterPlan) -> bool:
    solution = plan.solution
    assert solution.chosen is not None
    return all(c.holds for c in check_roster_choice(scenario, roster.table, solution.chosen, solution.posts))


def _preview_point(scenario: Scenario, roster: Roster) -> SweepPoint:
    model = build_roster_model(scenario, roster)
    lp = lp_relaxation(model.arrays)
    if lp.status != "optimal" or lp.bound is None:
        status = SolveStatus.INFEASIBLE if lp.status == "infeasible" else SolveStatus.NOT_SOLVED
        return SweepPoint(0.0, status, None, None)
    return SweepPoint(0.0, SolveStatus.OPTIMAL, model.sign * lp.bound, None)


def run_roster_sweep(
    scenario: Scenario,
    field: str,
    values: Sequence[float],
    options: SolverOptions | None = None,
    *,
    preview: bool = False,
    progress: Progress | None = None,
) -> SweepResult:
    """Solve a roster scenario at every value of ``field``; ``preview=True`` gives LP bounds only.

    The result has the same shape as a tier sweep; each plan is a ``RosterPlan`` within the gap.
    """
    assert scenario.roster is not None, "not a roster scenario: use mixopt.analysis.sweep.run_sweep"
    options = options or solver_options_for(scenario)
    values = [float(v) for v in values]
    _validate_endpoints(scenario, field, values)
    roster = load_roster(scenario)
    side = limit_side(field) if not preview else None
    order = list(range(len(values)))
    if side is not None:
        order.sort(key=lambda i: values[i], reverse=side == "upper")
    by_index: dict[int, SweepPoint] = {}
    solved: dict[float, RosterPlan] = {}
    last: RosterPlan | None = None  # the most recent solve, reusable while it keeps every rule

    def plan_at(value: float) -> RosterPlan:
        nonlocal last
        point = with_field(scenario, field, value)
        if last is not None and last.status.has_plan and _keeps_every_rule(point, roster, last):
            return make_roster_plan(point, roster, last.solution, reserves=False)
        found = optimize_roster(point, options, mip_gap=options.mip_gap, roster=roster, reserves=False)
        last = found if side is not None else None
        return found

    for count, index in enumerate(order):
        value = values[index]
        if preview:
            by_index[index] = dataclasses.replace(_preview_point(with_field(scenario, field, value), roster), value=value)
        else:
            plan = plan_at(value)
            solved[value] = plan
            has = plan.status.has_plan and plan.feasible
            by_index[index] = SweepPoint(value, plan.status if has or not plan.status.has_plan else SolveStatus.NOT_SOLVED,
                                         plan.objective_value if has else None, plan if has else None)
        if progress is not None:
            progress(count + 1, len(values))
    points = [by_index[i] for i in range(len(values))]
    if not preview and is_money(field):
        # 1,000 more: the grid's next point where there is one, else a re-solve (two at a time)
        missing = sorted({p.value + 1000.0 for p in points if p.objective is not None} - set(solved))
        more = dict(zip(missing, resolve_each(
            lambda v: optimize_roster(with_field(scenario, field, v), options, mip_gap=options.mip_gap, roster=roster,
                                      reserves=False), missing, roster)))
        points = [dataclasses.replace(p, marginal_per_1000=_marginal(p, {**solved, **more})) for p in points]
    return SweepResult(
        scenario=scenario,
        field=field,
        points=tuple(points),
        exact=not preview,
        solver="clp+highs",
        solver_version=_version(points, solved),
        mix_changes=_mix_changes(field, points, scenario) if not preview else (),
    )


def _marginal(point: SweepPoint, solved: dict[float, RosterPlan]) -> float | None:
    """The objective change with 1,000 more of a money field (``solved`` holds that plan)."""
    if point.objective is None:
        return None
    more = solved[point.value + 1000.0]
    if not more.status.has_plan or more.objective_value is None:
        return None
    return float(more.objective_value - point.objective)


def _version(points: list[SweepPoint], solved: dict[float, RosterPlan]) -> str:
    for plan in solved.values():
        return plan.solver_version
    return "CLP (cylp) LP relaxation" if points else ""
