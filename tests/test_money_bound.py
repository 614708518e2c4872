"""A plan's bound at huge budgets counts exact plans only: money rows rewritten digit by digit hold
the same whole plans as the exact rule, so a truly optimal plan at 1e12 or 1e13 is labelled optimal
with gap 0 (checked against a brute-force enumeration), and a plan a cent over is never counted."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

import mixopt
from mixopt.scenario.money import exact
from mixopt.solvers.engine import solve_arrays
from mixopt.solvers.exact_rows import with_exact_rows
from mixopt.solvers.types import LinearArrays, SolverOptions, SolveStatus
from tests.test_money import _best_by_enumeration, _exact_spend, _tier_scenario


def _budget_row(fees: list[float], budget: float, most: list[int]) -> LinearArrays:
    n = len(fees)
    return LinearArrays(
        names=[f"posts_{j}" for j in range(n)], col_lower=np.zeros(n), col_upper=np.array(most, dtype=float),
        integer=np.ones(n, dtype=bool), row_names=["budget"], row_lower=np.array([-math.inf]),
        row_upper=np.array([budget]), starts=np.array([0, n], dtype=np.int64), index=np.arange(n, dtype=np.int64),
        value=np.array(fees), costs=[np.zeros(n)], stage_labels=["goal"])


@pytest.mark.parametrize("budget", [1e12, 1e13])
def test_the_digit_rows_hold_exactly_the_whole_plans_the_exact_budget_holds(budget: float) -> None:
    fee_micro = round(budget / 3 + 0.01, 2)
    fees = [round(fee_micro - 0.01, 2), fee_micro, round(budget / 7 - 0.03, 2)]
    most = [3, 3, 7]
    rewritten = with_exact_rows(_budget_row(fees, budget, most), {"budget"})
    assert rewritten is not None
    for x in itertools.product(*(range(m + 1) for m in most)):
        fixed = rewritten.col_lower.copy(), rewritten.col_upper.copy()
        fixed[0][:3] = fixed[1][:3] = x
        trial = LinearArrays(**{**rewritten.__dict__, "col_lower": fixed[0], "col_upper": fixed[1]})
        result = solve_arrays(trial, SolverOptions(feasibility_tol=1e-10))
        keeps = sum((exact(f) * k for f, k in zip(fees, x)), Fraction(0)) <= exact(budget)
        assert (result.status is SolveStatus.OPTIMAL) == keeps, (x, result.status)


@pytest.mark.parametrize("budget", [1_000_000_000_000, 10_000_000_000_000])
def test_a_truly_optimal_plan_at_a_huge_budget_is_labelled_optimal_with_gap_0(budget: int) -> None:
    # three micro creators cost the budget plus 3 cents, two micro and a nano the budget plus 2:
    # the solver's first plan takes them; the best exact plan is two micro creators
    fee_micro = round(budget / 3 + 0.01, 2)
    fee_nano = round(fee_micro - 0.01, 2)
    plan = mixopt.optimize(_tier_scenario(float(budget), fee_nano, fee_micro), explain=False)
    best = _best_by_enumeration(float(budget), fee_nano, fee_micro)
    assert _exact_spend(plan) <= exact(budget)
    assert plan.status is SolveStatus.OPTIMAL and plan.gap == 0.0
    assert plan.objective_value == pytest.approx(best, rel=1e-12) and plan.bound == pytest.approx(best, rel=1e-12)
    assert not any("proven within" in note for note in plan.notes)


@pytest.mark.parametrize("budget", [1_000_000_000_000, 10_000_000_000_000])
def test_a_plan_that_spends_the_budget_to_the_cent_is_found_and_proven(budget: int) -> None:
    # three micro creators cost exactly the budget; a nano creator one cent more than a micro one
    fee_micro = budget / 3 if budget % 3 == 0 else round(budget / 3 - 0.01, 2)
    plan = mixopt.optimize(_tier_scenario(float(budget), round(fee_micro + 0.01, 2), fee_micro), explain=False)
    best = _best_by_enumeration(float(budget), round(fee_micro + 0.01, 2), fee_micro)
    assert _exact_spend(plan) <= exact(budget)
    assert plan.status is SolveStatus.OPTIMAL and plan.gap == 0.0
    assert plan.objective_value == pytest.approx(best, rel=1e-12)
