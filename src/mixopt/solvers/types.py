"""What the solver layer takes and gives: statuses, options, a model as arrays, and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

__all__ = ["SolveStatus", "SolverOptions", "LinearArrays", "Solution", "ArraysResult", "FEAS_TOL", "INT_TOL"]

FEAS_TOL = 1e-6
INT_TOL = 1e-6


class SolveStatus(StrEnum):
    """What the solve established, in words a planner can read."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a plan that satisfies every rule, stopped at a limit with a gap
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    NOT_SOLVED = "not_solved"

    @property
    def has_plan(self) -> bool:
        """True when a plan that satisfies every rule was found."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


@dataclass(frozen=True)
class SolverOptions:
    """How to solve. ``mip_gap`` is relative; ``time_limit_s`` is a deadline mixopt enforces."""

    solver: str = "highs"
    time_limit_s: float | None = None
    mip_gap: float = 0.0
    tie_break: bool = True
    mip_abs_gap: float | None = None  # also stop when objective - bound is this small (roster cores)
    stop_at_objective: float | None = None  # stop once a plan this good (minimisation form) is found
    feasibility_tol: float | None = None  # the solver's row tolerance; tighter when a money rule must hold exactly


@dataclass(frozen=True)
class LinearArrays:
    """A model as arrays, always in minimisation form (costs negated for a maximisation)."""

    names: list[str]
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    row_names: list[str]
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray  # CSR row starts
    index: np.ndarray
    value: np.ndarray
    costs: list[np.ndarray]  # one per stage, minimisation form
    stage_labels: list[str]

    @property
    def num_col(self) -> int:
        return len(self.names)

    def row_activity(self, x: np.ndarray) -> np.ndarray:
        """A @ x for the CSR matrix."""
        products = self.value * x[self.index]
        rows = np.repeat(np.arange(len(self.row_names)), np.diff(self.starts))
        return np.bincount(rows, weights=products, minlength=len(self.row_names))


@dataclass(frozen=True)
class Solution:
    """The result of a solve: status, values by variable name, and what the solver proved."""

    status: SolveStatus
    values: dict[str, float]
    objective: float | None
    bound: float | None
    gap: float | None
    solver: str
    solver_version: str
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)



@dataclass(frozen=True)
class ArraysResult:
    """What a solve of arrays established; objective and bound in minimisation form."""

    status: SolveStatus
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    notes: tuple[str, ...]
