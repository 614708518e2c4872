"""Keep money rules exact where the solver's tolerance is wider than a minor unit.

A solver accepts a row as met within a tolerance relative to the row's size: about 1e-7 of a
10,000,000,000 budget is 1,000 units, far more than one cent or one rupiah. So after every solve
the caller re-checks each money rule exactly (the independent rule check, in fractions of the
decimals written) and, if one is broken, tightens that row by what the plan overshot (doubled
each round) and solves again. The first solve's bound is still a bound on every exact plan (its
rows were only ever looser), so the repaired plan is labelled optimal only when it reaches that
bound. When it does not (the bound counts plans a few cents over a limit the solver cannot tell
from it), the model is solved once more with the money rows rewritten digit by digit
(:mod:`mixopt.solvers.exact_rows`): whole-number rows a solver holds exactly at its default
tolerances, whose bound is over the exact plans only. The plan is optimal when it reaches that
bound, otherwise feasible with the gap to the better of the bounds; when tightening finds no plan,
the same rows prove there is none (infeasible) or find one: the status never claims more than was
proven.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from mixopt.scenario.money import minor_digits, minor_unit
from mixopt.solvers.engine import solve_arrays
from mixopt.solvers.exact_rows import with_exact_rows
from mixopt.solvers.types import ArraysResult, LinearArrays, SolverOptions, SolveStatus

__all__ = ["Overshoot", "tightened", "add_cuts", "repair_money", "REPAIR_ROUNDS", "STRICT_TOLERANCE", "within_bound"]

#: Rounds of tighten-and-solve before giving up (the overshoot doubles each round).
REPAIR_ROUNDS = 6


@dataclass(frozen=True)
class Overshoot:
    """A rule the plan broke by ``amount`` (in the row's own units), and on which side."""

    row: str
    sense: str  # "<=" (the row's upper limit was passed) or ">=" (its lower limit)
    amount: float


def tightened(arrays: LinearArrays, cuts: dict[tuple[str, str], float]) -> LinearArrays:
    """``arrays`` with each named row's limit moved inwards by its cut: the upper limit down for
    ``(row, "<=")``, the lower limit up for ``(row, ">=")``."""
    position = {name: i for i, name in enumerate(arrays.row_names)}
    lower, upper = arrays.row_lower.copy(), arrays.row_upper.copy()
    for (row, sense), amount in cuts.items():
        i = position[row]
        if sense == "<=" and math.isfinite(upper[i]):
            upper[i] -= amount
        elif sense == ">=" and math.isfinite(lower[i]):
            lower[i] += amount
        elif sense == "==":
            continue
    return replace(arrays, row_lower=np.asarray(lower, dtype=float), row_upper=np.asarray(upper, dtype=float))


def add_cuts(cuts: dict[tuple[str, str], float], found: list[Overshoot], round_index: int, unit: float,
             arrays: LinearArrays | None = None) -> None:
    """Widen the cuts by what each rule overshot plus one minor unit, and by the solver's own
    tolerance at the row's size (1e-9 of its limit), both doubled per round."""
    limits: dict[str, float] = {}
    if arrays is not None:
        for name, low, high in zip(arrays.row_names, arrays.row_lower, arrays.row_upper):
            limits[name] = max(abs(low) if math.isfinite(low) else 0.0, abs(high) if math.isfinite(high) else 0.0)
    for item in found:
        key = (item.row, item.sense)
        size = 1e-9 * limits.get(item.row, 0.0)
        cuts[key] = cuts.get(key, 0.0) + (item.amount + size) * 2.0 ** round_index + unit


def within_bound(objective: float, bound: float | None) -> bool:
    """True when a plan's objective (minimisation form) reaches a proven bound, to the same
    relative 1e-9 the tie-break stages keep an optimum within."""
    if bound is None:
        return False
    return objective <= bound + 1e-9 * max(1.0, abs(bound))


#: The solver tolerance of the second try: HiGHS' and CBC's tightest useful row tolerance.
STRICT_TOLERANCE = 1e-10


def repair_money(
    arrays: LinearArrays, options: SolverOptions, first: ArraysResult, found: list[Overshoot],
    overshoots: Callable[[np.ndarray], list[Overshoot]], currency: str,
) -> tuple[ArraysResult, list[str]]:
    """A plan that keeps every money rule exactly, after ``first`` broke the rules in ``found``.

    1. Solve again at the strictest tolerance: an answer that now keeps every rule exactly is
       proven as the solver says (its bound is over a looser set than the exact plans).
    2. Otherwise tighten each broken row by its overshoot (doubled per round) and solve again; the
       answer is optimal only if it reaches the best bound of the untightened solves, otherwise
       feasible with the gap to that bound.
    """
    worst = max(found, key=lambda item: item.amount)
    notes = [f"the solver's first plan overshot {worst.row} by {worst.amount:,.{minor_digits(currency)}f} {currency} "
             "(its tolerance at this magnitude is wider than a minor unit); solved again holding it exactly"]
    strict = replace(options, feasibility_tol=STRICT_TOLERANCE)
    second = solve_arrays(arrays, strict)
    bounds = [b.bound for b in (first, second) if b.bound is not None and b.x is not None]
    bound = max(bounds) if bounds else None  # minimisation form: the larger proven bound is the better one
    if second.x is not None and second.status.has_plan:
        found = overshoots(second.x)
        if not found:
            return second, notes
    cuts: dict[tuple[str, str], float] = {}
    unit = float(minor_unit(currency))
    money_rows = {item.row for item in found}
    for round_index in range(REPAIR_ROUNDS):
        add_cuts(cuts, found, round_index, unit, arrays)
        result = solve_arrays(tightened(arrays, cuts), strict)
        if result.x is None or not result.status.has_plan or result.objective is None:
            break
        found = overshoots(result.x)
        money_rows |= {item.row for item in found}
        if found:
            continue
        if not within_bound(result.objective, bound):
            result, bound = _proven_exactly(arrays, strict, result, bound, money_rows, overshoots)
        if within_bound(result.objective, bound):
            return replace(result, bound=bound, gap=result.gap if result.status == SolveStatus.FEASIBLE else 0.0), notes
        gap = None if bound is None else max(result.objective - bound, 0.0) / max(abs(result.objective), 1e-9)
        notes.append("the plan keeps every money rule exactly and is proven within "
                     f"{(gap or 0.0):.4%} of the best possible (a better exact plan could only lie in the sliver of "
                     "spend the solver's tolerance cannot tell from the limit)")
        return replace(result, status=SolveStatus.FEASIBLE, bound=bound, gap=gap), notes
    return _without_tightening(arrays, options, money_rows, overshoots, notes), notes


def _proven_exactly(arrays: LinearArrays, options: SolverOptions, result: ArraysResult, bound: float | None,
                    rows: set[str], overshoots: Callable[[np.ndarray], list[Overshoot]]) -> tuple[ArraysResult, float | None]:
    """The repaired ``result`` and the better bound, after one solve with the money ``rows`` held
    exactly (digit rows: a relaxation of the exact rules only, so its bound is valid).

    The digit rows are whole-number rows, so that solve runs at the solver's default tolerances: a
    tighter row tolerance than a row's rounding can lose whole plans and report a bound better than
    any of them. A bound better than the repaired plan itself (a plan that keeps every rule) is
    disproven and not used. A plan of that solve that keeps every money rule and is better replaces
    ``result``, after the tie-break stages (least spend for that optimum, then the fixed order).
    """
    exact_arrays = with_exact_rows(arrays, rows)
    if exact_arrays is None:
        return result, bound
    safe = replace(options, feasibility_tol=None)
    proof = solve_arrays(exact_arrays, replace(safe, tie_break=False))
    if proof.bound is None or proof.x is None or not proof.status.has_plan:
        return result, bound
    assert result.objective is not None
    if proof.bound > result.objective + 1e-9 * max(1.0, abs(result.objective)):
        return result, bound  # the repaired plan keeps every rule: no bound can be better than it
    bound = proof.bound if bound is None else max(bound, proof.bound)
    x = proof.x[: arrays.num_col]
    objective = float(arrays.costs[0] @ x)
    if objective < result.objective - 1e-9 * max(1.0, abs(result.objective)) and not overshoots(x):
        if safe.tie_break and len(arrays.costs) > 1 and proof.status == SolveStatus.OPTIMAL:
            tied = solve_arrays(exact_arrays, safe)
            if tied.x is not None and tied.status.has_plan and not overshoots(tied.x[: arrays.num_col]):
                tied_x = tied.x[: arrays.num_col]
                if float(arrays.costs[0] @ tied_x) <= objective + 1e-9 * max(1.0, abs(objective)):
                    x, objective = tied_x, float(arrays.costs[0] @ tied_x)
        result = replace(result, x=x, objective=objective)
    return result, bound


def _without_tightening(arrays: LinearArrays, options: SolverOptions, rows: set[str],
                        overshoots: Callable[[np.ndarray], list[Overshoot]], notes: list[str]) -> ArraysResult:
    """What the digit rows prove once tightening found no plan: that no plan keeps the money
    ``rows`` exactly (infeasible), or a plan that does (the tightening cut off plans at the limit),
    or nothing (not solved)."""
    exact_arrays = with_exact_rows(arrays, rows)
    if exact_arrays is not None:
        proof = solve_arrays(exact_arrays, replace(options, feasibility_tol=None))
        if proof.status == SolveStatus.INFEASIBLE:
            notes.append("no plan keeps every money rule exactly: with the money rules held digit by digit, "
                         "the solver proves there is none")
            return ArraysResult(SolveStatus.INFEASIBLE, None, None, None, None, tuple(notes))
        if proof.x is not None and proof.status.has_plan and proof.objective is not None:
            x = proof.x[: arrays.num_col]
            if not overshoots(x):
                return replace(proof, x=x, objective=float(arrays.costs[0] @ x), notes=tuple(notes))
    notes.append("no plan keeping every money rule exactly was found after tightening; none is reported")
    return ArraysResult(SolveStatus.NOT_SOLVED, None, None, None, None, tuple(notes))
