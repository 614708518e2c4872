"""CLP in process (cylp) for the LP relaxation of wide roster models, with a Lagrangian bound valid for any duals."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mixopt.solvers.types import LinearArrays

__all__ = ["SIFTING_COLUMNS", "LpRelaxation", "csr_matrix_of", "lp_relaxation"]

_INF = 1e30
#: Wide models with few rows (a roster's money and count rules) are solved by sifting from this many
#: columns: CLP solves the LP on a working set of creators, every creator is priced against its duals
#: and those that would improve it join, until none would (0.2 s instead of 1.0 s at 1,000,000 creators).
SIFTING_COLUMNS = 50_000
_SIFTING_ROWS = 50
_FIRST_SET = 10_000  # creators in the first working set: the best by objective, and by each floor's row
_SIFTING_ROUNDS = 30  # more than this and the whole LP is solved instead
_LARGEST_SHARE = 8  # a working set grown for feasibility past 1/8 of the columns: the whole LP instead
_PRICE_TOL = 1e-9  # a creator outside the set joins when its reduced cost is below -this


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


def lp_relaxation(arrays: LinearArrays, matrix: sp.csr_matrix | None = None, *, primal: bool = False,
                  sifting: bool | None = None) -> LpRelaxation:
    """Solve the LP relaxation of ``arrays`` with CLP and certify its bound.

    Dual simplex by default (0.03 s at 100,000 creators and a few rows); ``primal=True`` for
    models with a row per creator (variable posts), where CLP's primal simplex is 5x faster.
    ``sifting`` (default: from ``SIFTING_COLUMNS`` columns when the model has few rows) solves
    the same LP on a growing working set of columns; the answer and its bound are the whole LP's.
    """
    started = time.perf_counter()
    a = (matrix if matrix is not None else csr_matrix_of(arrays)).tocsr()
    if sifting is None:
        sifting = not primal and a.shape[1] >= SIFTING_COLUMNS and 0 < a.shape[0] <= _SIFTING_ROWS
    answer = _sifted(arrays, a) if sifting else None
    if answer is None:  # not asked for, or the working sets did not settle: the whole LP
        answer = _simplex(arrays, a, None, primal)
    code, x, y = answer
    seconds = time.perf_counter() - started
    if code == 1:
        return LpRelaxation("infeasible", None, None, None, None, None, seconds)
    if code == 2:
        return LpRelaxation("unbounded", None, None, None, None, None, seconds)
    if x.shape[0] != arrays.num_col or y.shape[0] != a.shape[0]:  # never trust a short answer
        return LpRelaxation("stopped", None, None, None, None, None, seconds)
    if code != 0:
        return LpRelaxation("stopped", x, None, None, None, None, seconds)
    cost = np.asarray(arrays.costs[0], dtype=float)
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


def _sifted(arrays: LinearArrays, a: sp.csr_matrix) -> tuple[int, np.ndarray, np.ndarray] | None:
    """The LP solved on working sets of columns; None when it did not settle (the caller solves it whole).

    Columns outside the set stay at zero, so every column whose lower bound is not zero is in it from
    the start. The first set also holds the columns with the best objective and, for each row with a
    floor, those that add most to it, so that it usually satisfies every rule; when it does not, the
    set grows fourfold by the same measures, up to an eighth of the columns (past that the whole LP
    is likely infeasible, and proving it on ever larger sets would cost twice the whole LP). Once
    the set is optimal, a column outside it with a negative reduced cost would improve the whole LP:
    the most negative join, and CLP solves again. An infeasible whole LP is found infeasible by the
    fallback, never on a working set.
    """
    n = a.shape[1]
    cost = np.asarray(arrays.costs[0], dtype=float)
    work = arrays.col_lower != 0
    can_rise = arrays.col_upper > arrays.col_lower  # a column held at zero (an excluded creator) never joins
    size = _FIRST_SET
    _add_best(work, cost, a, arrays.row_lower, size)
    for _ in range(_SIFTING_ROUNDS):
        cols = np.nonzero(work)[0]
        if len(cols) == n:
            return None
        code, x_set, y = _simplex(arrays, a, cols, False)
        if code == 1:  # the set cannot meet every rule yet: a larger one, while it stays small
            size *= 4
            _add_best(work, cost, a, arrays.row_lower, size)
            if np.count_nonzero(work) > n // _LARGEST_SHARE:
                return None
            continue
        if code != 0 or y.shape[0] != a.shape[0]:
            return None
        reduced = cost - a.T @ y
        joining = np.nonzero((reduced < -_PRICE_TOL) & can_rise & ~work)[0]
        if not len(joining):
            x = np.zeros(n)
            x[cols] = x_set
            return 0, x, y
        work[joining[_smallest(reduced[joining], size)]] = True
    return None


def _add_best(work: np.ndarray, cost: np.ndarray, a: sp.csr_matrix, row_lower: np.ndarray, size: int) -> None:
    """Mark the ``size`` columns of lowest cost, and for each row with a floor the ``size // 4`` adding most."""
    work[_smallest(cost, size)] = True
    for row in np.nonzero(np.isfinite(row_lower))[0]:
        values = a.data[a.indptr[row]: a.indptr[row + 1]]
        best = _smallest(-values, size // 4)
        work[a.indices[a.indptr[row]: a.indptr[row + 1]][best[values[best] > 0]]] = True


def _smallest(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` smallest values (all when there are fewer), in no particular order."""
    if k >= len(values):
        return np.arange(len(values))
    return np.argpartition(values, k)[:k]


def _simplex(arrays: LinearArrays, a: sp.csr_matrix, cols: np.ndarray | None,
             primal: bool) -> tuple[int, np.ndarray, np.ndarray]:
    """CLP's status code, primal values and row duals for the LP on ``cols`` (all columns when None)."""
    from cylp.cy import CyClpSimplex
    from cylp.cy.CyCoinPackedMatrix import CyCoinPackedMatrix

    if cols is not None:
        a = a[:, cols].tocsr()
    pick = slice(None) if cols is None else cols
    rows = np.repeat(np.arange(a.shape[0], dtype=np.int32), np.diff(a.indptr))
    index, vals = a.indices.astype(np.int32, copy=False), a.data.astype(float, copy=False)
    if a.shape[0] and a.shape[1]:  # CLP sizes the model from its entries: an explicit zero at the last
        last = (rows == a.shape[0] - 1) & (index == a.shape[1] - 1)  # row and column keeps empty ones
        if not last.any():
            rows = np.append(rows, np.int32(a.shape[0] - 1))
            index = np.append(index, np.int32(a.shape[1] - 1))
            vals = np.append(vals, 0.0)
    # row-ordered triplets: CoinPackedMatrix sorts them by row (a few rows, 8x faster than by column
    # at 1,000,000 creators); CLP turns them into its column copy in one pass
    packed = CyCoinPackedMatrix(False, rows, index, vals)
    clp = CyClpSimplex()
    clp.logLevel = 0
    cost = np.ascontiguousarray(np.asarray(arrays.costs[0], dtype=float)[pick])
    row_lower = np.where(np.isinf(arrays.row_lower), -_INF, arrays.row_lower).astype(float)
    row_upper = np.where(np.isinf(arrays.row_upper), _INF, arrays.row_upper).astype(float)
    if len(row_lower) == 0:  # CLP needs a row: add an empty free one
        packed = CyCoinPackedMatrix(False, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        row_lower, row_upper = np.array([-_INF]), np.array([_INF])
    clp.loadProblem(packed, arrays.col_lower[pick].astype(float), arrays.col_upper[pick].astype(float), cost,
                    row_lower, row_upper)
    if primal:
        clp.primal()
    else:
        clp.dual()
    x = np.array(clp.primalVariableSolution, dtype=float)
    y = np.array(clp.dualConstraintSolution, dtype=float)[: a.shape[0]]
    return clp.getStatusCode(), x, y
