"""A tier model -> Solution: read the PuLP model into arrays once and hand them to the solver layer."""

from __future__ import annotations

import math
import time

import numpy as np
import pulp

from mixopt.solvers.engine import solve_arrays, solver_version
from mixopt.solvers.types import LinearArrays, Solution, SolverOptions
from mixopt.tier.model import MixModel

__all__ = ["to_arrays", "solve"]


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


def solve(model: MixModel, options: SolverOptions | None = None) -> Solution:
    """Solve a built model: the main objective, then the tie-break stages.

    Never raises for an infeasible or unbounded model; the returned status says so.
    """
    options = options or SolverOptions()
    started = time.monotonic()
    arrays = to_arrays(model)
    result = solve_arrays(arrays, options)
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
        notes=result.notes,
    )
