"""Frontier points at huge budgets keep every money rule exactly: a point whose reusable solve
spends a few cents over (the solver's tolerance at 1e13) is solved on its own with the money
repair, so it shows a plan within the budget with its proven status, never an overspend."""

from __future__ import annotations

import itertools

import pytest

from mixopt.analysis.frontier import _held_exactly, trace_frontier
from mixopt.scenario.money import exact
from mixopt.scenario.outcomes import evaluate_mix, totals_of
from mixopt.solvers.types import SolverOptions, SolveStatus
from tests.test_money import _exact_spend, _tier_scenario


@pytest.mark.parametrize("budget", [10_000_000_000, 10_000_000_000_000])
def test_frontier_points_at_a_huge_budget_never_spend_over_it_and_match_brute_force(budget: int) -> None:
    fee_micro = round(budget / 3 + 0.01, 2)  # three micro creators: the budget plus 3 cents
    fee_nano = round(fee_micro - 0.01, 2)
    scenario = _tier_scenario(float(budget), fee_nano, fee_micro)
    result = trace_frontier(scenario, x="engagements", y="reach", points=3, options=SolverOptions())
    assert result.points
    # brute force over every whole mix within the budget, exactly, each evaluated by the formulas
    cells = result.points[0].plan.cells
    mixes = []
    for n, m in itertools.product(range(7), range(5)):
        if exact(fee_nano) * n + exact(fee_micro) * m <= exact(budget):
            mix = {"nano.instagram": n, "micro.instagram": m}
            totals = totals_of(evaluate_mix(cells, mix, mix, scenario.economics), scenario.economics)
            mixes.append((totals["engagements"], totals["reach"]))
    for point in result.points:
        assert point.plan is not None and point.status is SolveStatus.OPTIMAL
        assert _exact_spend(point.plan) <= exact(budget)
        best = max(reach for engagements, reach in mixes if engagements >= point.floor * (1 - 1e-9))
        assert point.y_value == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("budget", [10_000_000_000, 10_000_000_000_000])
def test_a_frontier_point_no_exact_plan_reaches_is_reported_infeasible_not_unsolved(budget: int) -> None:
    # 2,050 engagements take a nano and two micro creators (the budget plus a cent) or more:
    # the reusable solve would accept them; the point's own exact solve proves there is no plan
    fee_micro = round(budget / 3 + 0.01, 2)
    scenario = _tier_scenario(float(budget), round(fee_micro - 0.01, 2), fee_micro)
    plan, status = _held_exactly(scenario, "reach", "engagements", 2050.0, SolverOptions())
    assert plan is None and status is SolveStatus.INFEASIBLE
    plan, status = _held_exactly(scenario, "reach", "engagements", 2000.0, SolverOptions())
    assert plan is not None and status is SolveStatus.OPTIMAL and _exact_spend(plan) <= exact(budget)
