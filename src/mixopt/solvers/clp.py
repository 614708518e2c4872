"""CLP in process (cylp) for the LP relaxation of wide roster models, with a Lagrangian bound valid for any duals."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mixopt.solvers.types import LinearArrays

__all__ = ["LpRelaxation", "lp_relaxation", "csr_matrix_of"]

_INF = 1e30


@dataclass(frozen=True)
class LpRelaxation:
    """The LP relaxation's answer in minimisation form, with a certified Lagrangian bound."""

    status: str  # "optimal", "infeasible", "unbounded", "stopped"
    x: np.ndarray | None
    objective: float | None
    duals: np.ndarray | None
    reduced_costs: np.ndarray | None
    bound: float | None  # L(y): a valid lower bound on every feasible plan
    seconds: float




def csr_matrix_of(arrays: LinearArrays) -> sp.csr_matrix:
    return sp.csr_matrix((arrays.value, arrays.index, arrays.starts), shape=(len(arrays.row_names), arrays.num_col))


def lp_relaxation(arrays: LinearArrays, matrix: sp.csr_matrix | None = None, *, primal: bool = False) -> LpRelaxation:
    """Solve the LP relaxation of ``arrays`` with CLP and certify its bound.

    Dual simplex by default (0.03 s at 100,000 creators and a few rows); ``primal=True`` for
    models with a row per creator (variable posts), where CLP's primal simplex is 5x faster.
    """
    from cylp.cy import CyClpSimplex
    from cylp.cy.CyCoinPackedMatrix import CyCoinPackedMatrix

    started = time.perf_counter()
    a = matrix if matrix is not None else csr_matrix_of(arrays)
    a = a.tocsr()
    rows = np.repeat(np.arange(a.shape[0], dtype=np.int32), np.diff(a.indptr))
    cols, vals = a.indices.astype(np.int32, copy=False), a.data.astype(float, copy=False)
    if a.shape[0] and a.shape[1]:  # CLP sizes the model from its entries: an explicit zero at the last
        last = (rows == a.shape[0] - 1) & (cols == a.shape[1] - 1)  # row and column keeps empty ones
        if not last.any():
            rows = np.append(rows, np.int32(a.shape[0] - 1))
            cols = np.append(cols, np.int32(a.shape[1] - 1))
            vals = np.append(vals, 0.0)
    # row-ordered triplets: CoinPackedMatrix sorts them by row (a few rows, 8x faster than by column
    # at 1,000,000 creators); CLP turns them into its column copy in one pass
    packed = CyCoinPackedMatrix(False, rows, cols, vals)
    clp = CyClpSimplex()
    clp.logLevel = 0
    cost = np.ascontiguousarray(arrays.costs[0], dtype=float)
    row_lower = np.where(np.isinf(arrays.row_lower), -_INF, arrays.row_lower).astype(float)
    row_upper = np.where(np.isinf(arrays.row_upper), _INF, arrays.row_upper).astype(float)
    if len(row_lower) == 0:  # CLP needs a row: add an empty free one
        packed = CyCoinPackedMatrix(False, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        row_lower, row_upper = np.array([-_INF]), np.array([_INF])
    clp.loadProblem(packed, arrays.col_lower.astype(float), arrays.col_upper.astype(float), cost, row_lower,
                    row_upper)
    if primal:
        clp.primal()
    else:
        clp.dual()
    code = clp.getStatusCode()
    seconds = time.perf_counter() - started
    if code == 1:
        return LpRelaxation("infeasible", None, None, None, None, None, seconds)
    if code == 2:
        return LpRelaxation("unbounded", None, None, None, None, None, seconds)
    x = np.array(clp.primalVariableSolution, dtype=float)
    y = np.array(clp.dualConstraintSolution, dtype=float)[: a.shape[0]]
    if x.shape[0] != arrays.num_col or y.shape[0] != a.shape[0]:  # never trust a short answer
        return LpRelaxation("stopped", None, None, None, None, None, seconds)
    if code != 0:
        return LpRelaxation("stopped", x, None, None, None, None, seconds)
    # Sign-correct y so each term is a valid bound, then L(y) = sum_i min_row(y_i a_i x) + sum_j min_col(d_j x_j).
    y = np.where(np.isinf(arrays.row_lower) & (y > 0), 0.0, y)
    y = np.where(np.isinf(arrays.row_upper) & (y < 0), 0.0, y)
    d = cost - a.T @ y
    rows_part = np.where(y > 0, y * np.where(np.isinf(arrays.row_lower), 0.0, arrays.row_lower),
                         y * np.where(np.isinf(arrays.row_upper), 0.0, arrays.row_upper))
    cols_part = np.where(d > 0, d * arrays.col_lower, d * arrays.col_upper)
    bound = float(rows_part.sum() + cols_part.sum())
    seconds = time.perf_counter() - started
    return LpRelaxation("optimal", x, float(cost @ x), y, d, bound, seconds)
