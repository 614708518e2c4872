"""Budget (or any numeric field) sweeps: the optimum and the plan at every point.

When the swept field is one row's limit (budget, a target, team capacity, a spend or creator
band), the model is built once and one HiGHS instance is re-solved with only that bound
changed; otherwise the scenario is rebuilt per point. An LP preview of the same curve (the
relaxation: an upper bound with fractional creators) costs a fraction of a millisecond a point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from mixopt.analysis.sweep_points import SweepPoint, SweepResult
from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.fields import field_value, is_money, row_for, with_field
from mixopt.scenario.schema import Scenario
from mixopt.solvers.engine import ReusableHighs, solver_version
from mixopt.solvers.types import Solution, SolverOptions, SolveStatus
from mixopt.tier.model import MixModel, build_model
from mixopt.tier.plan import Plan, make_plan
from mixopt.tier.solve import solve, to_arrays

__all__ = ["SweepPoint", "SweepResult", "run_sweep"]  # the result types live in sweep_points

Progress = Callable[[int, int], None]


def _validate_endpoints(scenario: Scenario, path: str, values: Sequence[float]) -> None:
    """The swept scenario must be valid at both ends (and counts must stay whole).

    Targets no plan could reach are not errors here: those points show as "no plan".
    """
    from pydantic import ValidationError

    from mixopt.scenario.checks import check_scenario

    with_field(scenario, path, values[0])  # an unknown or non-numeric field: one line, now
    if isinstance(field_value(with_field(scenario, path, 1.0), path), int):
        broken = [v for v in values if not float(v).is_integer()]
        if broken:
            raise ScenarioError([Issue(scenario.source_file, path, "is a count, so every swept value must be whole",
                                       "Use whole numbers, e.g. 10:60:5", broken[0])])
    for value in (min(values), max(values)):
        candidate = with_field(scenario, path, value)
        try:
            checked = Scenario.model_validate(
                {**candidate.model_dump(), "source_file": scenario.source_file, "content_hash": scenario.content_hash})
        except ValidationError as err:
            raise ScenarioError([_swept_value_issue(scenario, path, value, err)]) from None
        problems = check_scenario(checked, reachable=False)
        if problems:
            raise ScenarioError(problems)


def _swept_value_issue(scenario: Scenario, path: str, value: float, err: Exception) -> Issue:
    """A planner's message for a swept value the scenario schema rejects (e.g. a negative budget)."""
    from pydantic import ValidationError

    from mixopt.scenario.messages import _validation_issues
    from mixopt.scenario.reading import RawScenario

    assert isinstance(err, ValidationError)
    data = with_field(scenario, path, value).model_dump(mode="json")
    issues, _ = _validation_issues(RawScenario(data=data, origins={}, file=scenario.source_file,
                                               content_hash=scenario.content_hash), err)
    if issues:
        return issues[0]
    return Issue(scenario.source_file, path, "cannot take this value", "Sweep a range the field allows", value)


def _plan_from_x(scenario: Scenario, base: MixModel, x: np.ndarray | None, status: SolveStatus, names: list[str],
                 objective: float | None, options: SolverOptions) -> Plan:
    """A plan from a reused engine's answer; the swept scenario's own rules are re-checked."""
    values = {} if x is None else dict(zip(names, map(float, x)))
    solution = Solution(status=status, values=values, objective=objective, bound=objective,
                        gap=0.0 if values else None, solver=options.solver,
                        solver_version=solver_version(options.solver), seconds=0.0)
    return make_plan(dataclasses.replace(base, scenario=scenario), solution)


def _mix_changes(field: str, points: Sequence[SweepPoint], scenario: Scenario) -> tuple[str, ...]:
    events: list[str] = []
    previous: tuple[set[str], set[str]] | None = None
    for p in points:
        if p.plan is None:
            continue
        used = p.plan.allocation[p.plan.allocation["creators"] > 0]
        now = (set(used["tier"]), set(used["platform"]))
        if previous is not None:
            for kind, before, after in (("tier", previous[0], now[0]), ("platform", previous[1], now[1])):
                order = scenario.tier_names if kind == "tier" else scenario.platforms
                for name in [n for n in order if n in after - before]:
                    events.append(f"{name} enters at {field} {p.value:,.0f}")
                for name in [n for n in order if n in before - after]:
                    events.append(f"{name} leaves at {field} {p.value:,.0f}")
        previous = now
    return tuple(events)


def run_sweep(
    scenario: Scenario,
    field: str,
    values: Sequence[float],
    options: SolverOptions | None = None,
    *,
    preview: bool = False,
    progress: Progress | None = None,
) -> SweepResult:
    """Solve the scenario at every value of ``field`` (exact), or preview the LP curve.

    ``preview=True`` solves the LP relaxation only: the curve is an upper bound (for a
    maximisation) and no plan is built; it is labelled ``lp_preview`` everywhere.
    """
    options = options or SolverOptions()
    values = [float(v) for v in values]
    _validate_endpoints(scenario, field, values)
    row = row_for(field)
    base_model = build_model(scenario)
    arrays = to_arrays(base_model)
    fast = row is not None and row[0] in arrays.row_names and options.solver == "highs"
    sign = -1.0 if scenario.objective.maximize else 1.0
    points: list[SweepPoint] = []
    engine = ReusableHighs(arrays, options, relax=preview) if fast or preview else None
    if preview and not fast:
        raise ScenarioError([Issue(scenario.source_file, field, "an LP preview needs a field that is one rule's limit",
                                   "Preview budget, targets.<kpi> or rules.max_creators, or drop --preview")])

    def set_value(v: float) -> None:
        assert engine is not None and row is not None
        name, side = row
        i = engine.row_index(name)
        lower, upper = arrays.row_lower[i], arrays.row_upper[i]
        if side == "upper":
            engine.set_row_bounds(name, lower, v)
        else:
            engine.set_row_bounds(name, v, upper)

    on_grid = set(values)  # a point 1,000 higher on the grid gives the marginal value for free
    # Exact reuse: a plan that uses less of a limit than the point asks for stays the (tie-broken)
    # optimum for every limit between what it uses and that point, since the feasible plans only
    # shrink and the optimum cannot rise. Upper limits (budget, caps) are walked downwards and
    # floors (targets) upwards, so a plateau of the curve costs one solve.
    upper_side = row is not None and row[1] == "upper"
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=upper_side)
    covered: tuple[float, float, object, float | None] | None = None  # (low, high, result, objective)
    row_at = engine.row_index(row[0]) if engine is not None and row is not None else -1
    by_index: dict[int, SweepPoint] = {}
    for count, index in enumerate(order if engine is not None and not preview else range(len(values))):
        value = values[index]
        if engine is not None:
            if covered is not None and covered[0] <= value <= covered[1]:
                result, objective = covered[2], covered[3]  # type: ignore[assignment]
            else:
                set_value(value)
                result = engine.solve(stages=not preview)
                objective = None if result.objective is None else sign * result.objective
                covered = None
                if not preview and result.status == SolveStatus.OPTIMAL and result.x is not None:
                    used = float(arrays.row_activity(result.x)[row_at])
                    covered = (used, value, result, objective) if upper_side else (value, used, result, objective)
            plan = None
            if not preview and result.status.has_plan:
                plan = _plan_from_x(with_field(scenario, field, value), base_model, result.x, result.status,
                                    arrays.names, objective, options)
            marginal = None
            if is_money(field) and result.status.has_plan and not preview and (value + 1000.0) not in on_grid:
                if covered is not None and covered[0] <= value + 1000.0 <= covered[1]:
                    marginal = 0.0  # the same plan stays optimal 1,000 higher
                else:
                    set_value(value + 1000.0)
                    more = engine.solve(stages=False)
                    if more.objective is not None:
                        marginal = sign * more.objective - objective  # type: ignore[operator]
            by_index[index] = SweepPoint(value, result.status, objective, plan, marginal)
        else:
            point_scenario = with_field(scenario, field, value)
            model = build_model(point_scenario)
            plan = make_plan(model, solve(model, options))
            marginal = None
            if is_money(field) and plan.status.has_plan:
                more_model = build_model(with_field(scenario, field, value + 1000.0))
                more = make_plan(more_model, solve(more_model, dataclasses.replace(options, tie_break=False)))
                if more.objective_value is not None:
                    marginal = more.objective_value - plan.objective_value  # type: ignore[operator]
            by_index[index] = SweepPoint(value, plan.status, plan.objective_value,
                                         plan if plan.status.has_plan else None, marginal)
        if progress is not None:
            progress(count + 1, len(values))
    points = [by_index[i] for i in range(len(values))]
    if engine is not None and not preview:
        by_value = {p.value: p for p in points}
        points = [
            dataclasses.replace(p, marginal_per_1000=by_value[p.value + 1000.0].objective - p.objective)
            if p.marginal_per_1000 is None and p.objective is not None and is_money(field)
            and (p.value + 1000.0) in by_value and by_value[p.value + 1000.0].objective is not None
            else p
            for p in points
        ]
    return SweepResult(
        scenario=scenario,
        field=field,
        points=tuple(points),
        exact=not preview,
        solver=options.solver,
        solver_version=solver_version(options.solver),
        mix_changes=_mix_changes(field, points, scenario) if not preview else (),
    )
