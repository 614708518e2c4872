"""Sweeps keep money exact at any magnitude, as single solves do.

A budget in the billions is many currency units wide in the solver's relative tolerance: the
reused engine of a sweep can find a plan three cents over its budget. Every point here is
compared with a single solve at that point (which repairs money exactly), and every plan's spend
is recomputed in exact fractions of the fees written.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

import mixopt
from mixopt.analysis.sweep import run_sweep
from mixopt.scenario.fields import with_field
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.money import exact
from mixopt.solvers.types import SolveStatus


def _cell(followers: float, fee: float, pool: int) -> dict[str, Any]:
    return {"typical_followers": followers, "reach_rate": 0.5, "engagement_rate": 0.05, "conversion_rate": 0.1,
            "fee_per_post": fee, "product_cost": 0, "handling_cost": 0, "acceptance_rate": 1.0, "pool": pool,
            "max_posts": 1}


def _scenario(budget: int) -> mixopt.Scenario:
    """Three micro creators cost the budget plus 3 cents; nano fees one cent below micro ones."""
    fee_micro = round(budget / 3 + 0.01, 2)
    fee_nano = round(fee_micro - 0.01, 2)
    return scenario_from_dict({
        "name": "money sweep", "currency": "USD", "budget": float(budget), "objective": {"maximize": "reach"},
        "platforms": ["instagram"], "tiers": {"nano": [1000, 10000], "micro": [10000, 100000]},
        "diminishing_returns": "none",
        "assumptions": {"nano.instagram": _cell(2000, fee_nano, 6), "micro.instagram": _cell(20000, fee_micro, 4)},
    }, file="money-sweep.yaml")


def _exact_spend(plan: Any) -> Fraction:
    creators, posts = plan.creators_and_posts()
    cells = {c.key: c for c in plan.cells}
    return sum((exact(cells[k].fee_per_post) * posts[k] for k in posts), Fraction(0))


@pytest.mark.parametrize("budget", [100_000_000, 10_000_000_000, 1_000_000_000_000, 10_000_000_000_000])
def test_every_sweep_point_equals_a_single_solve_and_keeps_its_budget_to_the_cent(budget: int) -> None:
    s = _scenario(budget)
    values = [budget - 1000.0, budget - 999.98, budget - 0.01, float(budget), budget + 0.02, budget + 1.0,
              budget * 1.1]
    result = run_sweep(s, "budget", values)
    for point in result.points:
        single = mixopt.optimize(with_field(s, "budget", point.value), explain=False)
        assert point.status is single.status, point.value
        assert point.plan is not None and point.plan.feasible
        assert _exact_spend(point.plan) <= exact(point.value)
        assert point.objective == single.objective_value
        assert point.plan.creators_and_posts() == single.creators_and_posts()
    # the value of 1,000 more, exact too: 1,000 below the budget, 1,000 more buys no third creator;
    # 2 cents further up it does (10,000 more reach)
    by_value = {p.value: p for p in result.points}
    assert by_value[budget - 1000.0].marginal_per_1000 == 0.0
    assert by_value[budget - 999.98].marginal_per_1000 == 10000.0


def test_a_whole_column_a_hair_above_zero_is_rounded_with_its_reach_redone() -> None:
    # HiGHS holds 3e-8 nano creators (within its integrality tolerance) with 3e-5 reach riding on
    # them; rounded, that broke the row tying reach to creators and no plan was reported
    s = with_field(_scenario(100_000_000), "budget", 100_000_001.0)
    plan = mixopt.optimize(s, explain=False)
    assert plan.status is SolveStatus.OPTIMAL and plan.feasible
    assert plan.objective_value == 30000.0
    assert plan.creators_and_posts()[0] == {"nano.instagram": 0, "micro.instagram": 3}
