"""A tier model -> Solution: read the PuLP model into arrays once and hand them to the solver layer."""

from __future__ import annotations

import math
import time

import numpy as np
import pulp

from mixopt.scenario.outcomes import evaluate_mix
from mixopt.solvers.engine import solve_arrays, solver_version
from mixopt.solvers.repair import Overshoot, repair_money
from mixopt.solvers.types import ArraysResult, LinearArrays, Solution, SolverOptions
from mixopt.tier.check import check_mix
from mixopt.tier.model import MixModel

__all__ = ["to_arrays", "solve", "money_overshoots"]


def to_arrays(model: MixModel) -> LinearArrays:
    """Read a built model into arrays, in the model's own variable and constraint order."""
    position = {var.name: i for i, var in enumerate(model.variables)}
    names = [var.name for var in model.variables]
    lower = np.array([-math.inf if v.lowBound is None else v.lowBound for v in model.variables], dtype=float)
    upper = np.array([math.inf if v.upBound is None else v.upBound for v in model.variables], dtype=float)
    integer = np.array([v.cat == pulp.LpInteger for v in model.variables], dtype=bool)
    starts, index, value, row_lower, row_upper, row_names = [0], [], [], [], [], []
    for name, con in model.constraints:
        for var, coef in sorted(con.items(), key=lambda item: position[item[0].name]):
            index.append(position[var.name])
            value.append(float(coef))
        starts.append(len(index))
        rhs = -float(con.constant)
        row_names.append(name)
        if con.sense == pulp.LpConstraintLE:
            row_lower.append(-math.inf)
            row_upper.append(rhs)
        elif con.sense == pulp.LpConstraintGE:
            row_lower.append(rhs)
            row_upper.append(math.inf)
        else:
            row_lower.append(rhs)
            row_upper.append(rhs)
    costs, labels = [], []
    for stage in model.stages:
        cost = np.zeros(len(names))
        for var, coef in stage.expression.items():
            cost[position[var.name]] += float(coef)
        if stage.sense == pulp.LpMaximize:
            cost = -cost
        costs.append(cost)
        labels.append(stage.label)
    return LinearArrays(
        names=names,
        col_lower=lower,
        col_upper=upper,
        integer=integer,
        row_names=row_names,
        row_lower=np.array(row_lower, dtype=float),
        row_upper=np.array(row_upper, dtype=float),
        starts=np.array(starts, dtype=np.int64),
        index=np.array(index, dtype=np.int64),
        value=np.array(value, dtype=float),
        costs=costs,
        stage_labels=labels,
    )


def money_overshoots(model: MixModel, x: np.ndarray, names: list[str]) -> list[Overshoot]:
    """The model's rows whose rule the independent check finds broken on the mix ``x`` (money
    rules held to half a minor unit, exactly), with how far each was overshot."""
    values = dict(zip(names, map(float, x)))
    creators = {k: int(round(values.get(v.name, 0.0))) for k, v in model.creators.items()}
    posts = {k: int(round(values.get(v.name, 0.0))) for k, v in model.posts.items()}
    allocation = evaluate_mix(model.cells, creators, posts, model.scenario.economics)
    found = []
    for check in check_mix(model.scenario, model.cells, allocation):
        row = model.rule_rows.get(check.rule)
        if not check.holds and row is not None:
            found.append(Overshoot(row, check.sense, max(-check.slack, 0.0)))
    return found


def _exact_result(model: MixModel, arrays: LinearArrays, options: SolverOptions) -> tuple[ArraysResult, list[str]]:
    """Solve; a plan that breaks a money rule beyond half a minor unit is solved again at the
    solver's tightest tolerance, then (if need be) with that rule's row tightened."""
    first = solve_arrays(arrays, options)
    if first.x is None or not first.status.has_plan or not model.rule_rows:
        return first, []
    found = money_overshoots(model, first.x, arrays.names)
    if not found:
        return first, []
    return repair_money(arrays, options, first, found, lambda x: money_overshoots(model, x, arrays.names),
                        model.scenario.currency)


def solve(model: MixModel, options: SolverOptions | None = None) -> Solution:
    """Solve a built model: the main objective, then the tie-break stages.

    Money rules hold exactly (to half a minor unit, at any magnitude): a plan the solver accepted
    within its tolerance but that breaks one is re-solved with that rule tightened, and its status
    says what was proven (see :mod:`mixopt.solvers.repair`). Never raises for an infeasible or
    unbounded model; the returned status says so.
    """
    options = options or SolverOptions()
    started = time.monotonic()
    arrays = to_arrays(model)
    result, extra_notes = _exact_result(model, arrays, options)
    sign = -1.0 if model.stages[0].sense == pulp.LpMaximize else 1.0
    values = {} if result.x is None else dict(zip(arrays.names, map(float, result.x)))
    return Solution(
        status=result.status,
        values=values,
        objective=None if result.objective is None else sign * result.objective,
        bound=None if result.bound is None else sign * result.bound,
        gap=result.gap,
        solver=options.solver,
        solver_version=solver_version(options.solver),
        seconds=time.monotonic() - started,
        notes=tuple(dict.fromkeys((*result.notes, *extra_notes))),
    )
