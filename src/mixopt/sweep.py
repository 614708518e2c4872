"""Budget (or any numeric field) sweeps: the optimum and the plan at every point.

When the swept field is one row's limit (budget, a target, team capacity, a spend or creator
band), the model is built once and one HiGHS instance is re-solved with only that bound
changed; otherwise the scenario is rebuilt per point. An LP preview of the same curve (the
relaxation: an upper bound with fractional creators) costs a fraction of a millisecond a point.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

import numpy as np
import pandas as pd
from pydantic import BaseModel

from mixopt.errors import Issue, ScenarioError
from mixopt.model import MixModel, build_model
from mixopt.plan import Plan, make_plan
from mixopt.scenario import Scenario
from mixopt.solve import ReusableHighs, Solution, SolveStatus, SolverOptions, solve, solver_version, to_arrays

__all__ = ["SweepPoint", "SweepResult", "parse_values", "with_field", "run_sweep", "field_value"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: the swept value, what the solve established and the plan."""

    value: float
    status: SolveStatus
    objective: float | None
    plan: Plan | None
    marginal_per_1000: float | None = None  # objective change with 1,000 more (money fields, exact)


@dataclass(frozen=True)
class SweepResult:
    """A response curve: every point, where the mix changes, and how it was computed."""

    scenario: Scenario
    field: str
    points: tuple[SweepPoint, ...]
    exact: bool
    solver: str
    solver_version: str
    mix_changes: tuple[str, ...] = ()

    @property
    def preview_bound(self) -> str:
        """Which side an LP preview bounds the exact curve from: 'upper' when maximising, 'lower' for least spend."""
        return "lower" if self.scenario.objective.minimize else "upper"

    @property
    def objective_label(self) -> str:
        obj = self.scenario.objective
        return "spend" if obj.minimize else str(obj.maximize)

    def table(self) -> pd.DataFrame:
        """One row per point, in the documented sweep columns."""
        rows = []
        for i, p in enumerate(self.points):
            t = p.plan.totals if p.plan is not None else {}
            nxt = self.points[i + 1] if i + 1 < len(self.points) else None
            slope = None
            if nxt is not None and p.objective is not None and nxt.objective is not None and nxt.value != p.value:
                slope = (nxt.objective - p.objective) / (nxt.value - p.value)
            rows.append({
                "field": self.field,
                "value": p.value,
                "status": p.status.value if self.exact else f"lp_preview_{p.status.value}",
                "objective": self.objective_label,
                "objective_value": p.objective,
                "marginal_per_1000": p.marginal_per_1000,
                "slope_to_next_point": slope,
                "creators": t.get("creators"),
                "posts": t.get("posts"),
                "spend": t.get("spend"),
                "reach": t.get("reach"),
                "impressions": t.get("impressions"),
                "engagements": t.get("engagements"),
                "conversions": t.get("conversions"),
                "revenue": t.get("revenue"),
                "profit": t.get("profit"),
                "roi": t.get("roi"),
                "cpe": t.get("cpe"),
                "cpa": t.get("cpa"),
                **{f"creators_{tier}": (self._tier_creators(p.plan, tier)) for tier in self.scenario.tier_names},
            })
        return pd.DataFrame(rows)

    @staticmethod
    def _tier_creators(plan: Plan | None, tier: str) -> float | None:
        if plan is None:
            return None
        return float(plan.allocation.loc[plan.allocation["tier"] == tier, "creators"].sum())

    def best_roi_point(self) -> SweepPoint | None:
        """The point with the highest ROI (needs an average order value), or None."""
        best = None
        for p in self.points:
            if p.plan is None or math.isnan(p.plan.totals.get("roi", math.nan)):
                continue
            if best is None or p.plan.totals["roi"] > best.plan.totals["roi"]:  # type: ignore[union-attr]
                best = p
        return best


_RANGE = re.compile(r"^\s*([-+0-9.eE_]+)\s*:\s*([-+0-9.eE_]+)\s*:\s*([-+0-9.eE_]+)\s*$")


def parse_values(text: str, option: str = "--values") -> list[float]:
    """``START:STOP:STEP`` (STOP included when on the grid) or ``A,B,C`` -> values.

    Raises ScenarioError with a one-line message on malformed input.
    """
    def bad(problem: str) -> ScenarioError:
        return ScenarioError([Issue("(command line)", option, problem,
                                    "Write START:STOP:STEP such as 10000:100000:5000, or a list such as 20000,50000", text)])

    match = _RANGE.match(text)
    try:
        if match:
            start, stop, step = (float(g.replace("_", "")) for g in match.groups())
            if not all(math.isfinite(v) for v in (start, stop, step)):
                raise bad("every number must be finite")
            if step <= 0 or stop < start:
                raise bad("the step must be positive and STOP at least START")
            count = int(math.floor((stop - start) / step + 1e-9)) + 1
            if count > 100_000:
                raise bad(f"that is {count} points; at most 100,000")
            return [round(start + i * step, 10) for i in range(count)]
        values = [float(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise bad("not a range or a list of numbers") from None
    if not values:
        raise bad("no values given")
    if not all(math.isfinite(v) for v in values):
        raise bad("every number must be finite")
    if len(values) > 100_000:
        raise bad(f"that is {len(values)} points; at most 100,000")
    return values


def _dict_key(node: dict[str, Any], head: str, rest: list[str], value_type: type | None) -> tuple[str, list[str]]:
    """Keys may contain a dot (cells such as ``nano.tiktok``): pick how many parts the key takes."""
    if head in node or not rest:
        return head, rest
    joined = f"{head}.{rest[0]}"
    if joined in node:
        return joined, rest[1:]
    if value_type is not None and rest[0] not in value_type.model_fields and len(rest) > 1 \
            and rest[1] in value_type.model_fields:
        return joined, rest[1:]
    return head, rest


def field_value(scenario: Scenario, path: str) -> object:
    """The current value at a dotted path such as ``rules.tiers.nano.max_spend_share``."""
    node: object = scenario
    parts = path.split(".")
    while parts:
        part, parts = parts[0], parts[1:]
        if isinstance(node, BaseModel) and part in type(node).model_fields:
            node = getattr(node, part)
        elif isinstance(node, dict):
            key, parts = _dict_key(node, part, parts, None)
            if key not in node:
                return None
            node = node[key]
        else:
            return None
    return node


def _kinds(annotation: Any) -> set[Any]:
    """The plain types an annotation allows (Optional, unions and Annotated unwrapped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_kinds(a) for a in get_args(annotation)))
    return {origin or annotation}


def _model_kind(annotation: Any) -> type[BaseModel] | None:
    kinds = [k for k in _kinds(annotation) if isinstance(k, type) and issubclass(k, BaseModel)]
    return kinds[0] if kinds else None


def _dict_value_type(annotation: Any) -> Any:
    for option in [annotation, *get_args(annotation)]:
        if get_origin(option) is dict:
            return get_args(option)[1]
    return None


class _NotNumeric(Exception):
    pass


def _leaf(current: object, annotation: Any, value: float) -> float | int:
    kinds = _kinds(annotation) if annotation is not None else {type(current)}
    if isinstance(current, bool) or not kinds & {int, float}:
        raise _NotNumeric
    if int in kinds and float not in kinds and float(value).is_integer():
        return int(value)
    return value


def _set(node: object, parts: list[str], value: float, annotation: Any = None) -> object:
    head, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        if head not in fields:
            raise KeyError(head)
        child = getattr(node, head, None)  # a model made here may lack its required fields yet
        child_annotation = fields[head].annotation
        if not rest:
            return node.model_copy(update={head: _leaf(child, child_annotation, value)})
        if child is None:
            kind = _model_kind(child_annotation)
            if kind is not None:
                child = kind.model_construct()
            elif _dict_value_type(child_annotation) is not None:
                child = {}
            else:
                raise KeyError(head)
        return node.model_copy(update={head: _set(child, rest, value, child_annotation)})
    if isinstance(node, dict):
        value_type = _dict_value_type(annotation)
        model = _model_kind(value_type) if value_type is not None else None
        key, rest = _dict_key(node, head, rest, model)
        updated = dict(node)
        if key not in node:
            if not rest and value_type is not None:
                updated[key] = _leaf(None, value_type, value)
            elif model is None or not rest:
                raise KeyError(key)
            else:
                updated[key] = _set(model.model_construct(), rest, value, value_type)
        else:
            updated[key] = _set(node[key], rest, value, value_type) if rest else _leaf(node[key], value_type, value)
        return updated
    raise KeyError(head)


def _numeric_paths(scenario: Scenario) -> list[str]:
    """Fields a sweep can vary in this scenario (for "did you mean" suggestions)."""
    paths = ["budget", "rules.max_creators", "economics.average_order_value", "economics.margin_rate",
             "economics.commission_per_conversion"]
    paths += [f"targets.{k}" for k in type(scenario.targets).model_fields]
    for group, names in (("tiers", scenario.tier_names), ("platforms", scenario.platforms)):
        for name in names:
            paths += [f"rules.{group}.{name}.{attr}" for attr in
                      ("min_spend_share", "max_spend_share", "min_spend", "max_spend", "min_creators", "max_creators")]
    return paths


def with_field(scenario: Scenario, path: str, value: float) -> Scenario:
    """A copy of the scenario with one numeric field set.

    Missing parents are created (``rules.tiers.nano.max_creators`` on a scenario without a
    nano band); cell keys may contain their dot (``rules.cells.nano.tiktok.lock``).
    """
    try:
        result = _set(scenario, path.split("."), value)
    except (KeyError, _NotNumeric) as err:
        near = difflib.get_close_matches(path, _numeric_paths(scenario), n=1, cutoff=0.6)
        if isinstance(err, _NotNumeric):
            problem = "is not a number a sweep can vary"
        else:
            problem = "not a numeric field of this scenario"
        fix = f"Did you mean '{near[0]}'?" if near and near[0] != path else \
            "Use a dotted path such as budget, targets.reach or rules.max_creators"
        raise ScenarioError([Issue(scenario.source_file, path, problem, fix)]) from None
    assert isinstance(result, Scenario)
    return result


def row_for(path: str) -> tuple[str, str] | None:
    """The model row a field sets, and which side of it: ('budget', 'upper')."""
    simple = {"budget": ("budget", "upper"), "rules.max_creators": ("team_capacity", "upper")}
    if path in simple:
        return simple[path]
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == "targets":
        return f"target_{parts[1]}", "lower"
    if len(parts) == 4 and parts[0] == "rules" and parts[1] in ("tiers", "platforms"):
        group = "tier" if parts[1] == "tiers" else "platform"
        name, attr = parts[2], parts[3]
        table = {"min_spend": ("spend_min", "lower"), "max_spend": ("spend_max", "upper"),
                 "min_creators": ("creators_min", "lower"), "max_creators": ("creators_max", "upper")}
        if attr in table:
            return f"{group}_{table[attr][0]}_{name.replace('.', '_')}", table[attr][1]
    return None


def _is_money(path: str) -> bool:
    return path == "budget" or path.endswith(("min_spend", "max_spend"))


def _validate_endpoints(scenario: Scenario, path: str, values: Sequence[float]) -> None:
    """The swept scenario must be valid at both ends (and counts must stay whole).

    Targets no plan could reach are not errors here: those points show as "no plan".
    """
    from pydantic import ValidationError

    from mixopt.checks import check_scenario

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

    from mixopt.scenario import _validation_issues
    from mixopt.yamlio import RawScenario

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
            if _is_money(field) and result.status.has_plan and not preview and (value + 1000.0) not in on_grid:
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
            if _is_money(field) and plan.status.has_plan:
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
            if p.marginal_per_1000 is None and p.objective is not None and _is_money(field)
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
