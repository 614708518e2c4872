"""The digit-row proof behind a repaired plan's status never claims more than it proved: its bound
is never better than the best exact plan (checked against brute force over hundreds of small rows),
a better plan it finds replaces the repaired one only after the tie-break stages, and a row it
cannot rewrite exactly (a spend share, whose coefficients lose precision to cancellation) is left
as it was while the others are still rewritten. A target no plan reaches without a cent over the
budget is proven infeasible, not left unsolved."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

import mixopt
from mixopt.scenario.money import exact
from mixopt.solvers.engine import solve_arrays
from mixopt.solvers.exact_rows import with_exact_rows
from mixopt.solvers.repair import (
    STRICT_TOLERANCE,
    Overshoot,
    _proven_exactly,
    within_bound,
)
from mixopt.solvers.types import ArraysResult, LinearArrays, SolverOptions, SolveStatus
from tests.test_money import _tier_scenario

STRICT = SolverOptions(feasibility_tol=STRICT_TOLERANCE)  # what the money repair solves with


def _one_row(coefs: list[float], most: list[int], lower: float, upper: float, costs: list[list[float]],
             name: str = "budget") -> LinearArrays:
    n = len(coefs)
    return LinearArrays(
        names=[f"posts_{j}" for j in range(n)], col_lower=np.zeros(n), col_upper=np.array(most, dtype=float),
        integer=np.ones(n, dtype=bool), row_names=[name], row_lower=np.array([lower]), row_upper=np.array([upper]),
        starts=np.array([0, n], dtype=np.int64), index=np.arange(n, dtype=np.int64),
        value=np.array(coefs, dtype=float), costs=[np.array(c, dtype=float) for c in costs],
        stage_labels=[f"stage {k}" for k in range(len(costs))])


def _activity(coefs: list[float], x: tuple[int, ...] | np.ndarray) -> Fraction:
    return sum((exact(c) * int(round(float(v))) for c, v in zip(coefs, x)), Fraction(0))


def _checker(coefs: list[float], lower: float, upper: float, name: str = "budget",
             ) -> Callable[[np.ndarray], list[Overshoot]]:
    """The exact rule check: the row's activity in fractions of the decimals written, half a cent allowed."""
    def overshoots(x: np.ndarray) -> list[Overshoot]:
        total = _activity(coefs, x)
        if math.isfinite(upper) and total > exact(upper) + Fraction(1, 200):
            return [Overshoot(name, "<=", float(total - exact(upper)))]
        if math.isfinite(lower) and total < exact(lower) - Fraction(1, 200):
            return [Overshoot(name, ">=", float(exact(lower) - total))]
        return []
    return overshoots


def _repaired(x: tuple[int, ...], costs: list[float]) -> ArraysResult:
    objective = float(np.dot(costs, x))
    return ArraysResult(SolveStatus.OPTIMAL, np.array(x, dtype=float), objective, objective, 0.0, ())


def test_a_plan_short_of_the_one_that_spends_the_budget_to_the_cent_is_not_labelled_optimal() -> None:
    # the best plan (1, 3) spends exactly 198,041.78; the repaired plan (2, 2) reaches one less
    coefs, most, budget, costs = [38463.65, 53192.71], [3, 3], 198041.78, [-4.0, -5.0]
    arrays = _one_row(coefs, most, -math.inf, budget, [costs])
    result, bound = _proven_exactly(arrays, STRICT, _repaired((2, 2), costs), -19.0, {"budget"},
                                    _checker(coefs, -math.inf, budget))
    assert bound is not None and bound <= -19.0 + 1e-9
    assert result.objective == -19.0 or not within_bound(float(result.objective), bound)


def test_the_proof_bound_is_never_better_than_the_best_exact_plan_on_hundreds_of_random_rows() -> None:
    rng = random.Random(20261202)
    checked = 0
    for _ in range(300):
        n = rng.randint(1, 3)
        scale = 10 ** rng.randint(0, 13)
        coefs = [round(rng.uniform(0.3, 1) * scale, 2) for _ in range(n)]
        most = [rng.randint(1, 6) for _ in range(n)]
        plans = list(itertools.product(*(range(m + 1) for m in most)))
        limit = float(rng.choice(sorted({_activity(coefs, p) for p in plans})))  # some plan is exactly at it
        lower, upper = (-math.inf, limit) if rng.random() < 0.7 else (limit, math.inf)
        costs = [float(rng.choice([-1, 1]) * rng.randint(1, 9)) for _ in range(n)]
        overshoots = _checker(coefs, lower, upper)
        keeping = [p for p in plans if not overshoots(np.array(p, dtype=float))]
        best = min(float(np.dot(costs, p)) for p in keeping)
        worst = max(keeping, key=lambda p: float(np.dot(costs, p)))  # a repaired plan, possibly far from best
        arrays = _one_row(coefs, most, lower, upper, [costs])
        result, bound = _proven_exactly(arrays, STRICT, _repaired(worst, costs), None, {"budget"}, overshoots)
        case = (coefs, most, lower, upper, costs, best, bound)
        assert result.x is not None and not overshoots(result.x), case
        assert float(result.objective) >= best - 1e-9, case
        if bound is not None:
            checked += 1
            assert bound <= best + 1e-9 * max(1.0, abs(best)), case
        if within_bound(float(result.objective), bound):
            assert float(result.objective) == best, case
    assert checked >= 250


def test_a_better_plan_found_by_the_proof_is_tie_broken_before_it_replaces_the_repaired_one() -> None:
    # reach 1 per post of either creator, and three posts of either fit the budget; the second
    # stage is least spend: three of the cheaper posts, not of the dearer
    coefs, most, budget = [3_000_000_000_000.05, 3_000_000_000_000.01], [3, 3], 9_000_000_000_000.15
    reach, spend = [-1.0, -1.0], coefs
    arrays = _one_row(coefs, most, -math.inf, budget, [reach, spend])
    overshoots = _checker(coefs, -math.inf, budget)
    for repaired in [(2, 0), (0, 2), (1, 1)]:
        result, bound = _proven_exactly(arrays, STRICT, _repaired(repaired, reach), None, {"budget"}, overshoots)
        assert result.x is not None and tuple(int(round(v)) for v in result.x) == (0, 3)
        assert result.objective == -3.0 and within_bound(-3.0, bound)


def _fixed(arrays: LinearArrays, x: list[float]) -> LinearArrays:
    lower, upper = arrays.col_lower.copy(), arrays.col_upper.copy()
    lower[: len(x)] = upper[: len(x)] = x
    return LinearArrays(**{**arrays.__dict__, "col_lower": lower, "col_upper": upper})


def test_a_spend_share_row_is_left_as_built_while_the_budget_row_is_rewritten() -> None:
    # an in-tier fee 999 times the other: one of each is a 99.9% share exactly and spends the budget
    # exactly; the model's coefficient fee - 0.999 x fee loses the fee's precision to cancellation,
    # so digit rows made from it could cut that plan off
    rng = random.Random(7)
    for _ in range(200):
        other = float(rng.randint(10**3, 10**10))
        tier, share = 999 * other, 0.999
        arrays = LinearArrays(
            names=["posts_tier", "posts_other"], col_lower=np.zeros(2), col_upper=np.array([3.0, 3.0]),
            integer=np.ones(2, dtype=bool), row_names=["budget", "tier_spend_share_max_micro"],
            row_lower=np.array([-math.inf, -math.inf]), row_upper=np.array([tier + other, 0.0]),
            starts=np.array([0, 2, 4], dtype=np.int64), index=np.array([0, 1, 0, 1], dtype=np.int64),
            value=np.array([tier, other, tier - share * tier, -share * other]), costs=[np.array([-1.0, -1.0])],
            stage_labels=["goal"])
        rewritten = with_exact_rows(arrays, {"budget", "tier_spend_share_max_micro"})
        assert rewritten is not None and any(name.startswith("exact_digit") for name in rewritten.row_names)
        assert rewritten.row_upper[1] == 0.0 and rewritten.row_upper[0] == math.inf  # share kept, budget rewritten
        as_built = solve_arrays(_fixed(arrays, [1.0, 1.0]), SolverOptions()).status
        assert solve_arrays(_fixed(rewritten, [1.0, 1.0]), SolverOptions()).status is as_built, other


@pytest.mark.parametrize("budget", [10_000_000_000, 10_000_000_000_000])
def test_a_target_reachable_only_a_cent_over_a_huge_budget_is_reported_infeasible(budget: int) -> None:
    # 2,050 engagements take a nano and two micro creators (the budget plus a cent) or three micro
    # (plus two cents): the solver's tolerance accepts them, but no plan reaches the target exactly
    fee_micro = round(budget / 3 + 0.01, 2)
    scenario = _tier_scenario(float(budget), round(fee_micro - 0.01, 2), fee_micro)
    scenario = scenario.model_copy(update={"targets": scenario.targets.model_copy(update={"engagements": 2050.0})})
    plan = mixopt.optimize(scenario, explain=False)
    assert plan.status is SolveStatus.INFEASIBLE
    assert any("proves there is none" in note for note in plan.notes)
