"""Budget (or any numeric field) sweeps: the optimum and the plan at every point.

When the swept field is one row's limit (budget, a target, team capacity, a spend or creator
band), the model is built once and one HiGHS instance is re-solved with only that bound
changed; otherwise the scenario is rebuilt per point. An LP preview of the same curve (the
relaxation: an upper bound with fractional creators) costs a fraction of a millisecond a point.

On a row-limit sweep every reported figure is what a fresh solve at that point gives, and the
work is shared where that is provably the same answer:

- a plan that uses less of the limit than a point allows is the (tie-broken) optimum for every
  limit between what it uses and that point, so a plateau of the curve costs one solve;
- once a limit admits no plan, every tighter limit admits none;
- the optimum 1,000 higher (the marginal value) is read from a range already solved when one
  covers it, else re-solved on the same engine;
- figures are computed once per distinct mix of creators and posts; every point's plan is still
  checked against that point's own scenario: the rules the swept field sets are re-checked at
  each point (the other rules do not read that field).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixopt.analysis.sweep_points import SweepPoint, SweepResult
from mixopt.contract import RuleCheck, rule_check
from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.fields import field_value, is_money, row_for, with_field
from mixopt.scenario.outcomes import records_of
from mixopt.scenario.schema import Scenario
from mixopt.solvers.engine import ReusableHighs, solver_version
from mixopt.solvers.types import (
    ArraysResult,
    LinearArrays,
    Solution,
    SolverOptions,
    SolveStatus,
)
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


_TARGET_KPIS = ("reach", "impressions", "engagements", "conversions", "revenue")  # the targets check_mix checks
_BAND_RULES = {"min_spend": "spend_min", "max_spend": "spend_max", "min_creators": "creators_min",
               "max_creators": "creators_max"}


def swept_rule_names(field: str) -> tuple[str, ...] | None:
    """The rule checks (``RuleCheck.rule``) that read ``field``, or None when the field sets no one rule.

    Every other check of :func:`mixopt.tier.check.check_mix` reads other fields only, so between
    two points of a sweep only these can change.
    """
    if field == "budget":
        return ("budget",)
    if field == "rules.max_creators":
        return ("team_capacity",)
    parts = field.split(".")
    if len(parts) == 2 and parts[0] == "targets" and parts[1] in _TARGET_KPIS:
        return (f"target[{parts[1]}]",)
    if len(parts) == 4 and parts[0] == "rules" and parts[1] in ("tiers", "platforms") and parts[3] in _BAND_RULES:
        group = "tier" if parts[1] == "tiers" else "platform"
        return (f"{group}_{_BAND_RULES[parts[3]]}[{parts[2]}]",)
    return None


def swept_rule_checks(scenario: Scenario, field: str, records: list[dict[str, Any]],
                      totals: dict[str, float]) -> list[RuleCheck] | None:
    """The checks of the rule ``field`` sets, on a mix's per-cell ``records`` and ``totals`` (the
    plan's ``allocation`` rows and ``totals``), exactly as :func:`mixopt.tier.check.check_mix`
    computes them for ``scenario``; None when the field is not one rule's limit.
    tests/test_sweep_speedups.py proves them equal to check_mix's at every point of several sweeps.
    """
    s, cur = scenario, scenario.currency
    if field == "budget":
        if s.budget is None:
            return []
        return [rule_check("budget", f"budget ({cur} {s.budget:,.0f})", cur, totals["spend"], "<=", s.budget)]
    if field == "rules.max_creators":
        if s.rules.max_creators is None:
            return []
        return [rule_check("team_capacity", f"team capacity ({s.rules.max_creators} creators)", "creators",
                           totals["creators"], "<=", s.rules.max_creators)]
    names = swept_rule_names(field)
    if names is None:
        return None
    parts = field.split(".")
    if parts[0] == "targets":
        kpi = parts[1]
        floor = getattr(s.targets, kpi)
        return [rule_check(names[0], f"{kpi} target ({floor:,.0f})", kpi, totals[kpi], ">=", floor)] if floor else []
    group, name, attr = ("tier" if parts[1] == "tiers" else "platform"), parts[2], parts[3]
    band = (s.rules.tiers if group == "tier" else s.rules.platforms).get(name)
    if band is None or getattr(band, attr) is None:
        return []
    limit = getattr(band, attr)
    part = [r for r in records if r[group] == name]
    if attr.endswith("spend"):
        spend = float(sum(r["spend"] for r in part))
        words = "at least" if attr == "min_spend" else "at most"
        return [rule_check(names[0], f"{name} spend {words} {limit:,.0f}", cur, spend,
                           ">=" if attr == "min_spend" else "<=", limit)]
    count = float(sum(r["creators"] for r in part))
    words = "at least" if attr == "min_creators" else "at most"
    return [rule_check(names[0], f"{name} {words} {limit} creators", "creators", count,
                       ">=" if attr == "min_creators" else "<=", limit)]


def recheck(checks: tuple[RuleCheck, ...], scenario: Scenario, field: str, records: list[dict[str, Any]],
            totals: dict[str, float]) -> tuple[RuleCheck, ...] | None:
    """A mix's checks (from ``check_mix`` at another point of the sweep) for ``scenario``: the swept
    rule's checks recomputed for this point, in place; None when that is not possible (then the
    caller runs the whole check)."""
    names = swept_rule_names(field)
    fresh = swept_rule_checks(scenario, field, records, totals)
    if names is None or fresh is None:
        return None
    if sorted(c.rule for c in checks if c.rule in names) != sorted(c.rule for c in fresh):
        return None  # the rule appears at one point and not the other (a target of 0): check afresh
    by_rule = {c.rule: c for c in fresh}
    return tuple(by_rule.get(c.rule, c) for c in checks)


@dataclass(frozen=True)
class _Mix:
    plan: Plan
    objective: float | None
    records: list[dict[str, Any]]


class _PlanBook:
    """Plans of one row-limit sweep: figures computed once per distinct mix, rules checked at every point.

    A point whose mix, status and objective match an earlier point's plan gets that plan with
    its own scenario and its own checks (the swept rule re-checked); any other point, or one
    whose re-check fails, gets a plan made afresh by ``make_plan``.
    """

    def __init__(self, base: MixModel, arrays: LinearArrays, field: str, options: SolverOptions) -> None:
        position = {name: i for i, name in enumerate(arrays.names)}
        self._columns = [position[v.name] for v in (*base.creators.values(), *base.posts.values())]
        self.base, self._names, self._field, self.options = base, arrays.names, field, options
        self._bands = field.startswith("rules.") and field != "rules.max_creators"
        self._mixes: dict[tuple[Any, ...], _Mix] = {}
        self.alone: set[int] = set()  # plans solved on their own (ids): their status and objective rule

    def plan_at(self, scenario: Scenario, result: ArraysResult, objective: float | None,
                alone: bool = True) -> Plan | None:
        """The plan of ``result`` at ``scenario``'s point; when it breaks a rule there, the point
        solved on its own (``alone``) or None."""
        assert result.x is not None
        key = (result.status, *(int(round(float(result.x[i]))) for i in self._columns))
        known = self._mixes.get(key)
        if known is not None and known.objective == objective:
            checks = recheck(known.plan.checks, scenario, self._field, known.records, known.plan.totals)
            if checks is not None and all(c.holds for c in checks):
                return dataclasses.replace(known.plan, scenario=scenario, checks=checks)
        plan = _plan_from_x(scenario, self.base, result.x, result.status, self._names, objective, self.options)
        if plan.status == result.status and plan.feasible:
            records = records_of(plan.allocation) if self._bands else []
            self._mixes[key] = _Mix(plan, objective, records)
            return plan
        if not alone:
            return None
        # The engine's plan breaks a rule the exact check holds to half a minor unit (a budget in the
        # billions, within the solver's relative tolerance): this point is solved on its own, with
        # the money repair a single solve has (tier.solve), so it shows what a single solve shows.
        model = build_model(scenario)
        alone = make_plan(model, solve(model, self.options))
        self.alone.add(id(alone))
        return alone


@dataclass(frozen=True)
class _Range:
    """The optimum is ``objective`` for every limit from ``low`` to ``high``: the plan ``x`` reaches it on all of them."""

    low: float
    high: float
    objective: float | None
    x: np.ndarray = dataclasses.field(compare=False, repr=False)

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


#: A limit from which float sums of a plan's money may be off by more than half a cent.
_HUGE_LIMIT = 1e11


class _Solved:
    """One main-goal solve of the walk; its tie-broken answer comes from the tie-break thread."""

    def __init__(self, value: float, main: ArraysResult, final: Future[ArraysResult] | None) -> None:
        self.value, self.main, self._final = value, main, final

    @property
    def status(self) -> SolveStatus:
        return self.main.status

    def result(self) -> ArraysResult:
        return self.main if self._final is None else self._final.result()


class _RowWalk:
    """An exact sweep of one row's limit on one reused HiGHS engine (see the module notes).

    The walk solves the main goal (and the marginal values) on this thread; the tie-break stages
    run in order on one second thread with its own engine while the walk goes on, and the plans
    are made back on this thread once the walk ends, in walking order, each as soon as its
    tie-break is done. Which plan each point gets never depends on timing: the walk only reads
    its own solves (a plateau starts where the main goal's answer stops using the limit, where
    the tie-broken plan, which spends no more, is optimal too), the second thread takes its work
    in the order it is given, and the plans are made in one fixed order.
    """

    def __init__(self, scenario: Scenario, field: str, arrays: LinearArrays, base: MixModel,
                 engine: ReusableHighs, options: SolverOptions) -> None:
        row = row_for(field)
        assert row is not None
        self.scenario, self.field, self.arrays, self.engine = scenario, field, arrays, engine
        self.ties = ReusableHighs(arrays, options)  # used on the tie-break thread only
        self.name, self.upper = row[0], row[1] == "upper"
        self.row = engine.row_index(self.name)
        self.sign = -1.0 if scenario.objective.maximize else 1.0
        self.book = _PlanBook(base, arrays, field, options)
        self.plateau: tuple[_Range, _Solved] | None = None  # the last optimum and where it is optimal
        self.ranges: list[_Range] = []  # every range of the limit with a known optimum
        self.no_plan: tuple[float, _Solved] | None = None  # no plan at this limit, nor any tighter one
        self.worker: ThreadPoolExecutor | None = None
        rows = np.repeat(np.arange(len(arrays.row_names)), np.diff(arrays.starts))
        fractional = np.bincount(rows, weights=(~arrays.integer[arrays.index]).astype(float),
                                 minlength=len(arrays.row_names))
        self._whole_rows = fractional == 0  # rows of whole columns only (money, counts)
        limits = np.concatenate([arrays.row_lower, arrays.row_upper])
        self._huge = bool(np.abs(limits[np.isfinite(limits)]).max(initial=0.0) >= _HUGE_LIMIT)

    def _bounds(self, value: float) -> tuple[float, float]:
        lower, upper = self.arrays.row_lower[self.row], self.arrays.row_upper[self.row]
        return (lower, value) if self.upper else (value, upper)

    def _set(self, value: float) -> None:
        self.engine.set_row_bounds(self.name, *self._bounds(value))

    def _range(self, value: float, x: np.ndarray, objective: float | None) -> _Range:
        used = float(self.arrays.row_activity(x)[self.row])
        return _Range(used, value, objective, x) if self.upper else _Range(value, used, objective, x)

    def _start_for(self, value: float) -> np.ndarray | None:
        """The best plan already found that meets every rule at ``value`` (a looser limit than where
        it was found), as a first incumbent for the solve there; None on a floor (no plan is known
        to meet a higher floor)."""
        if not self.upper:
            return None
        usable = [r for r in self.ranges if r.low <= value and r.objective is not None]
        if not usable:
            return None
        return min(usable, key=lambda r: self.sign * r.objective).x  # type: ignore[operator]

    def _tighter(self, value: float, than: float) -> bool:
        return value <= than if self.upper else value >= than

    def _tie_break(self, value: float, main: ArraysResult) -> ArraysResult:
        """On the tie-break thread: the stages at ``value``, from the walk's main-goal answer there."""
        self.ties.set_row_bounds(self.name, *self._bounds(value))
        return self.ties.tie_break(main)

    def _plan(self, scenario: Scenario, value: float, solved: _Solved, objective: float | None) -> Plan:
        """The plan at ``value`` from the tie-broken answer of ``solved`` (waits for its stages).

        On a plateau the main goal's answer fits (the plateau starts where it stops using the
        limit), but the tie-broken plan may use more of a limit other than the budget (more
        creators for the same spend): then the stages are run again at this point, on the
        tie-break thread, from the main goal's answer, which is optimal here too."""
        if value == solved.value or solved.main.x is None:
            plan = self.book.plan_at(scenario, solved.result(), objective)
        else:
            plan = self.book.plan_at(scenario, solved.result(), objective, alone=False)
            if plan is None:
                assert self.worker is not None
                again = self.worker.submit(self._tie_break, value, solved.main).result()
                plan = self.book.plan_at(scenario, again, objective)
        assert plan is not None
        return plan

    def solve_point(self, value: float) -> tuple[_Solved, float | None]:
        """The optimum at ``value`` (reused from a plateau or a limit with no plan when exact); its
        tie-broken answer follows on the tie-break thread."""
        assert self.worker is not None
        if self.plateau is not None and self.plateau[0].covers(value):
            return self.plateau[1], self.plateau[0].objective
        if self.no_plan is not None and self._tighter(value, self.no_plan[0]):
            return self.no_plan[1], None
        self._set(value)
        main = self.engine.solve(stages=False)
        objective = None if main.objective is None else self.sign * main.objective
        final = self.worker.submit(self._tie_break, value, main) if main.status == SolveStatus.OPTIMAL else None
        solved = _Solved(value, main, final)
        self.plateau = None
        if main.status == SolveStatus.OPTIMAL and main.x is not None:
            self.plateau = (self._range(value, main.x, objective), solved)
            self.ranges.append(self.plateau[0])
        elif main.status == SolveStatus.INFEASIBLE:
            self.no_plan = (value, solved)
        return solved, objective

    def optimum_at(self, value: float) -> float | None:
        """The optimum (no tie-breaks) at ``value``: from a range already solved, else one solve
        started from the best plan known to meet the rules there."""
        if self.plateau is not None and self.plateau[0].covers(value):
            return self.plateau[0].objective
        known = next((r for r in reversed(self.ranges) if r.covers(value)), None)
        if known is not None:
            return known.objective
        self._set(value)
        more = self.engine.solve(stages=False, start=self._start_for(value))
        objective = None if more.objective is None else self.sign * more.objective
        if more.status == SolveStatus.OPTIMAL and more.x is not None:
            if not self._holds_exactly(more.x, value, objective):
                return self._optimum_alone(value)
            self.ranges.append(self._range(value, more.x, objective))
        return objective

    def _holds_exactly(self, x: np.ndarray, value: float, objective: float | None) -> bool:
        """Whether the engine's plan at ``value`` keeps every rule of the exact check (money to half
        a minor unit): checked in full when a row of whole columns is over its limit in floats
        (a solver's relative tolerance on a limit in the billions is many units) or a limit is so
        large that float sums could hide a cent; otherwise it holds."""
        a = self.arrays
        rounded = np.where(a.integer, np.round(x), x)
        activity = a.row_activity(rounded)
        over = ((activity > self.engine.row_upper) | (activity < self.engine.row_lower)) & self._whole_rows
        if not over.any() and not self._huge:
            return True
        plan = _plan_from_x(with_field(self.scenario, self.field, value), self.book.base, x, SolveStatus.OPTIMAL,
                            list(a.names), objective, self.book.options)
        return plan.feasible

    def _optimum_alone(self, value: float) -> float | None:
        """The optimum at ``value`` from a single solve with the money repair (no tie-breaks)."""
        model = build_model(with_field(self.scenario, self.field, value))
        plan = make_plan(model, solve(model, dataclasses.replace(self.book.options, tie_break=False)))
        return plan.objective_value if plan.status.has_plan else None

    def points(self, values: list[float], progress: Progress | None) -> list[SweepPoint]:
        worker = self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mixopt-tie-break")
        try:
            walked, order = self._walk(values, progress)
            plans: dict[int, Plan] = {}
            for index in order:  # walking order: a mix's figures are made where the walk first met it
                value, solved, objective, _marginal = walked[index]
                if solved.status.has_plan:
                    plans[index] = self._plan(with_field(self.scenario, self.field, value), value, solved, objective)
            found = [(value, solved.result(), objective, plans.get(index), marginal)
                     for index, (value, solved, objective, marginal) in enumerate(walked)]
        finally:
            worker.shutdown(wait=True, cancel_futures=True)  # on an error or Ctrl-C: drop the queued work
            self.worker = None
        points = [SweepPoint(value, result.status, objective, plan, marginal)
                  if plan is None or id(plan) not in self.book.alone else self._solved_alone(value, plan)
                  for value, result, objective, plan, marginal in found]
        if not is_money(self.field):
            return points
        by_value = {p.value: p for p in points}
        return [
            dataclasses.replace(p, marginal_per_1000=by_value[p.value + 1000.0].objective - p.objective)
            if p.marginal_per_1000 is None and p.objective is not None
            and (p.value + 1000.0) in by_value and by_value[p.value + 1000.0].objective is not None
            else p
            for p in points
        ]

    def _solved_alone(self, value: float, plan: Plan) -> SweepPoint:
        """A point whose plan was solved on its own (see ``_PlanBook.plan_at``): its status and
        objective are that solve's, and so is the value of 1,000 more (solved on its own too)."""
        marginal = None
        if is_money(self.field) and plan.status.has_plan and plan.objective_value is not None:
            more_model = build_model(with_field(self.scenario, self.field, value + 1000.0))
            more = make_plan(more_model, solve(more_model, dataclasses.replace(self.book.options, tie_break=False)))
            if more.status.has_plan and more.objective_value is not None:
                marginal = more.objective_value - plan.objective_value
        return SweepPoint(value, plan.status, plan.objective_value if plan.status.has_plan else None,
                          plan if plan.status.has_plan else None, marginal)

    def _walk(self, values: list[float], progress: Progress | None
              ) -> tuple[list[tuple[float, _Solved, float | None, float | None]], list[int]]:
        """Every point (value, main solve, optimum, value of 1,000 more) in the grid's order, and
        the walking order (loosest limit first)."""
        on_grid = set(values)  # a point 1,000 higher on the grid gives the marginal value for free
        money = is_money(self.field)
        order = sorted(range(len(values)), key=lambda i: values[i], reverse=self.upper)
        by_index: dict[int, tuple[float, _Solved, float | None, float | None]] = {}
        for count, index in enumerate(order):
            value = values[index]
            solved, objective = self.solve_point(value)
            marginal = None
            if solved.status.has_plan and money and (value + 1000.0) not in on_grid:
                more = self.optimum_at(value + 1000.0)
                marginal = None if more is None else more - objective  # type: ignore[operator]
            by_index[index] = (value, solved, objective, marginal)
            if progress is not None:
                progress(count + 1, len(values))
        return [by_index[i] for i in range(len(values))], order


def _mix_changes(field: str, points: Sequence[SweepPoint], scenario: Scenario) -> tuple[str, ...]:
    events: list[str] = []
    previous: tuple[set[str], set[str]] | None = None
    seen: dict[int, tuple[set[str], set[str]]] = {}  # plans on a plateau share one allocation table
    for p in points:
        if p.plan is None:
            continue
        now = seen.get(id(p.plan.allocation))
        if now is None:
            allocation = p.plan.allocation
            used = allocation["creators"].to_numpy() > 0
            now = (set(allocation["tier"].to_numpy()[used]), set(allocation["platform"].to_numpy()[used]))
            seen[id(allocation)] = now
        if previous is not None:
            for kind, before, after in (("tier", previous[0], now[0]), ("platform", previous[1], now[1])):
                order = scenario.tier_names if kind == "tier" else scenario.platforms
                for name in [n for n in order if n in after - before]:
                    events.append(f"{name} enters at {field} {p.value:,.0f}")
                for name in [n for n in order if n in before - after]:
                    events.append(f"{name} leaves at {field} {p.value:,.0f}")
        previous = now
    return tuple(events)


def _preview_points(arrays: LinearArrays, field: str, values: list[float], engine: ReusableHighs, sign: float,
                    progress: Progress | None) -> list[SweepPoint]:
    """The LP relaxation at every point, in the given order: bounds, not plans."""
    row = row_for(field)
    assert row is not None
    name, side = row
    i = engine.row_index(name)
    lower, upper = arrays.row_lower[i], arrays.row_upper[i]
    points = []
    for count, value in enumerate(values):
        engine.set_row_bounds(name, *((lower, value) if side == "upper" else (value, upper)))
        result = engine.solve(stages=False)
        objective = None if result.objective is None else sign * result.objective
        points.append(SweepPoint(value, result.status, objective, None, None))
        if progress is not None:
            progress(count + 1, len(values))
    return points


def _rebuilt_points(scenario: Scenario, field: str, values: list[float], options: SolverOptions,
                    progress: Progress | None) -> list[SweepPoint]:
    """A field that is no one row's limit: the scenario is rebuilt and solved at every point."""
    points = []
    for count, value in enumerate(values):
        model = build_model(with_field(scenario, field, value))
        plan = make_plan(model, solve(model, options))
        marginal = None
        if is_money(field) and plan.status.has_plan:
            more_model = build_model(with_field(scenario, field, value + 1000.0))
            more = make_plan(more_model, solve(more_model, dataclasses.replace(options, tie_break=False)))
            if more.objective_value is not None:
                marginal = more.objective_value - plan.objective_value  # type: ignore[operator]
        points.append(SweepPoint(value, plan.status, plan.objective_value, plan if plan.status.has_plan else None,
                                 marginal))
        if progress is not None:
            progress(count + 1, len(values))
    return points


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
    if preview and not fast:
        raise ScenarioError([Issue(scenario.source_file, field, "an LP preview needs a field that is one rule's limit",
                                   "Preview budget, targets.<kpi> or rules.max_creators, or drop --preview")])
    if preview:
        points = _preview_points(arrays, field, values, ReusableHighs(arrays, options, relax=True), sign, progress)
    elif fast:
        walk = _RowWalk(scenario, field, arrays, base_model, ReusableHighs(arrays, options), options)
        points = walk.points(values, progress)
    else:
        points = _rebuilt_points(scenario, field, values, options, progress)
    return SweepResult(
        scenario=scenario,
        field=field,
        points=tuple(points),
        exact=not preview,
        solver=options.solver,
        solver_version=solver_version(options.solver),
        mix_changes=_mix_changes(field, points, scenario) if not preview else (),
    )
