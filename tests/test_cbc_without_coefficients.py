"""The bundled CBC aborts on a model whose rows hold no nonzero coefficient; such a model is solved
without it, and the answer (status, plan, objective) is HiGHS' answer on the same model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mixopt.solvers.engine import solve_arrays
from mixopt.solvers.types import LinearArrays, SolverOptions, SolveStatus


def _empty_rows(costs: list[float], lower: list[float], upper: list[float], row_lower: float,
                row_upper: float) -> LinearArrays:
    n = len(costs)
    return LinearArrays(
        names=[f"x{j}" for j in range(n)], col_lower=np.array(lower, dtype=float),
        col_upper=np.array(upper, dtype=float), integer=np.ones(n, dtype=bool), row_names=["budget"],
        row_lower=np.array([row_lower]), row_upper=np.array([row_upper]), starts=np.array([0, n], dtype=np.int64),
        index=np.arange(n, dtype=np.int64), value=np.zeros(n), costs=[np.array(costs, dtype=float)],
        stage_labels=["goal"])


@pytest.mark.parametrize(("costs", "lower", "upper", "row_lower", "row_upper", "status"), [
    ([-3.0, 2.0, 0.0], [0, 0, 1], [4, 5, 2], -math.inf, 100.0, SolveStatus.OPTIMAL),
    ([-1.0, -1.0], [0, 2], [1, 3], 0.0, 0.0, SolveStatus.OPTIMAL),
    ([-1.0], [0], [1], 5.0, math.inf, SolveStatus.INFEASIBLE),  # 0 >= 5 cannot hold
    ([-1.0], [0], [math.inf], -math.inf, 10.0, SolveStatus.UNBOUNDED),
], ids=["mixed-costs", "equality-at-zero", "infeasible-row", "unbounded"])
def test_cbc_gives_highs_answer_on_a_model_without_coefficients(costs: list[float], lower: list[float],
                                                                upper: list[float], row_lower: float,
                                                                row_upper: float, status: SolveStatus) -> None:
    arrays = _empty_rows(costs, lower, upper, row_lower, row_upper)
    cbc = solve_arrays(arrays, SolverOptions(solver="cbc"))
    highs = solve_arrays(arrays, SolverOptions(solver="highs"))
    assert cbc.status is status and highs.status is status
    if status is SolveStatus.OPTIMAL:
        assert highs.x is not None and cbc.x is not None
        assert cbc.objective == highs.objective
        assert np.array_equal(cbc.x, highs.x)
