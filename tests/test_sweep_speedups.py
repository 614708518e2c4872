"""What a row-limit sweep shares between points (plans per distinct mix, plateaus, limits with no
plan, marginal values from ranges already solved, warm starts) gives at every point exactly what a
single solve of that point gives, and every plan is still checked against its own point's rules."""

from __future__ import annotations

import math
from itertools import product

import pytest

import mixopt
from mixopt.analysis.sweep import (
    recheck,
    run_sweep,
    swept_rule_checks,
    swept_rule_names,
)
from mixopt.api import padding_notes
from mixopt.scenario.fields import is_money, with_field
from mixopt.tier.check import check_mix
from tests.conftest import SCENARIOS

# (scenario file, field set first so the model has that rule's row (or None), field, values): every
# kind of row-limit field, upper limits walked downwards and floors upwards, grids that are not
# 1,000 apart (marginal values need re-solves) and ones that are (read from the grid), plateaus,
# points with no plan, and a target swept through 0 (where check_mix has no target check).
SWEEPS = [
    ("sales_push.yaml", None, "budget", [12_000, 15_500, 18_181, 20_909, 24_545, 28_000, 31_900, 33_000, 50_000]),
    ("sales_push.yaml", None, "budget", [14_000, 15_000, 16_000, 30_000, 31_000, 32_000, 33_000]),
    ("awareness_launch.yaml", None, "budget", [15_000, 20_000, 26_000, 26_700, 27_500, 45_000]),
    ("sales_push.yaml", None, "targets.reach", [0, 100_000, 250_000, 300_000, 340_000, 400_000]),
    ("base.yaml", None, "rules.max_creators", [5, 20, 40, 55, 70, 90]),
    ("sales_push.yaml", ("rules.tiers.micro.max_spend", 30_000), "rules.tiers.micro.max_spend",
     [0, 2_500, 7_000, 12_500, 20_000, 30_000]),
    ("sales_push.yaml", ("rules.tiers.nano.min_spend", 0), "rules.tiers.nano.min_spend",
     [0, 4_000, 9_500, 15_000, 26_000, 40_000]),
    ("sales_push.yaml", ("rules.platforms.tiktok.max_spend", 20_000), "rules.platforms.tiktok.max_spend",
     [0, 5_000, 14_000, 20_000]),
    ("sales_push.yaml", ("rules.tiers.nano.min_creators", 5), "rules.tiers.nano.min_creators", [0, 20, 45, 60, 69]),
    ("least_cost_targets.yaml", None, "targets.reach", [60_000, 90_000, 120_000, 200_000, 900_000]),
]


def _scenario(name: str, first: tuple[str, float] | None) -> mixopt.Scenario:
    loaded = mixopt.load_scenario(SCENARIOS / name)
    return with_field(loaded, *first) if first is not None else loaded


@pytest.fixture(scope="module", params=SWEEPS, ids=lambda case: f"{case[0]}:{case[2]}")
def swept(request: pytest.FixtureRequest):
    name, first, field, values = request.param
    scenario = _scenario(name, first)
    return scenario, field, values, run_sweep(scenario, field, values)


def test_every_sweep_point_is_the_plan_and_marginal_value_a_single_solve_gives(swept) -> None:
    scenario, field, values, result = swept
    for point in result.points:
        single = mixopt.optimize(with_field(scenario, field, point.value), explain=False)
        assert point.status == single.status
        if not single.status.has_plan:
            assert point.plan is None and point.objective is None and point.marginal_per_1000 is None
            continue
        plan = point.plan
        assert math.isclose(point.objective, single.objective_value, rel_tol=1e-9, abs_tol=1e-9)
        assert plan.creators_and_posts() == single.creators_and_posts()
        assert plan.totals == single.totals and plan.objective_value == single.objective_value
        # a single solve also explains padding (mixopt.api.padding_notes); a sweep point's plan does not
        explained = set(padding_notes(single, None))
        assert plan.checks == single.checks and plan.status == single.status
        assert plan.notes == tuple(n for n in single.notes if n not in explained)
        assert plan.scenario == with_field(scenario, field, point.value)
        if is_money(field):
            more = mixopt.optimize(with_field(scenario, field, point.value + 1000), explain=False)
            if more.objective_value is None:
                assert point.marginal_per_1000 is None
            else:
                assert math.isclose(point.marginal_per_1000, more.objective_value - single.objective_value,
                                    rel_tol=1e-9, abs_tol=1e-6)
        else:
            assert point.marginal_per_1000 is None


def test_every_reported_plan_passes_the_full_rule_check_of_its_own_point(swept) -> None:
    _, _, _, result = swept
    plans = [p.plan for p in result.points if p.plan is not None]
    assert plans
    for plan in plans:
        assert plan.checks == tuple(check_mix(plan.scenario, plan.cells, plan.allocation))
        assert plan.feasible


def test_rechecking_a_mix_at_another_point_equals_the_full_check_there(swept) -> None:
    """The cheap re-check (only the swept rule recomputed) is check_mix exactly, for every mix of
    the sweep at every point of it, including points where that mix breaks the swept rule."""
    scenario, field, values, result = swept
    plans = {id(p.plan.allocation): p.plan for p in result.points if p.plan is not None}
    compared = 0
    for plan, value in product(plans.values(), values):
        at = with_field(scenario, field, value)
        full = tuple(check_mix(at, plan.cells, plan.allocation))
        cheap = recheck(plan.checks, at, field, plan.allocation.to_dict("records"), plan.totals)
        if cheap is None:  # only when the rule itself appears or disappears (a target of 0)
            names = set(swept_rule_names(field) or ())
            assert {c.rule for c in plan.checks} & names != {c.rule for c in full} & names
            continue
        assert cheap == full
        compared += 1
    assert compared


def test_swept_rule_checks_are_the_check_mix_entries_of_that_rule(swept) -> None:
    scenario, field, values, result = swept
    plan = next(p.plan for p in result.points if p.plan is not None)
    records = plan.allocation.to_dict("records")
    for value in values:
        at = with_field(scenario, field, value)
        names = swept_rule_names(field)
        assert names is not None
        full = [c for c in check_mix(at, plan.cells, plan.allocation) if c.rule in names]
        assert swept_rule_checks(at, field, records, plan.totals) == full


def test_points_on_a_plateau_share_one_mix_but_keep_their_own_budget_check() -> None:
    scenario = mixopt.load_scenario(SCENARIOS / "sales_push.yaml")
    result = run_sweep(scenario, "budget", [40_000, 50_000, 60_000])
    plans = [p.plan for p in result.points]
    assert len({id(p.allocation) for p in plans}) == 1  # one plateau: figures computed once
    for point, plan in zip(result.points, plans):
        budget = next(c for c in plan.checks if c.rule == "budget")
        assert budget.limit == point.value and f"{point.value:,.0f}" in budget.label
        assert plan.scenario.budget == point.value
    assert result.points[0].marginal_per_1000 == 0.0


def test_a_rule_with_no_check_at_some_points_falls_back_to_the_full_check() -> None:
    scenario = mixopt.load_scenario(SCENARIOS / "sales_push.yaml")
    at_zero = with_field(scenario, "targets.reach", 0)
    at_floor = with_field(scenario, "targets.reach", 100_000)
    plan = mixopt.optimize(at_zero, explain=False)
    records = plan.allocation.to_dict("records")
    assert "target[reach]" not in {c.rule for c in plan.checks}
    assert recheck(plan.checks, at_floor, "targets.reach", records, plan.totals) is None
    assert swept_rule_names("economics.average_order_value") is None
    assert recheck(plan.checks, at_zero, "economics.average_order_value", records, plan.totals) is None


def test_every_limit_tighter_than_one_with_no_plan_has_no_plan() -> None:
    scenario = mixopt.load_scenario(SCENARIOS / "sales_push.yaml")
    values = [8_000, 10_000, 12_000, 14_000, 16_000]
    result = run_sweep(scenario, "budget", values)
    singles = [mixopt.optimize(with_field(scenario, "budget", v), explain=False).status for v in values]
    assert [p.status for p in result.points] == singles
    assert singles[0] == mixopt.SolveStatus.INFEASIBLE and singles[-1].has_plan


def test_a_team_capacity_plateau_breaks_ties_again_where_the_tie_broken_plan_needs_more_creators() -> None:
    # At a cap of 4 the main goal's answer uses 3 creators (2 nano, 1 micro) and the tie-broken
    # plan 4 nano for the same reach and less spend; at a cap of 3 the plateau's tie-broken plan
    # does not fit, so the stages are run again there from the main goal's answer (no full solve)
    from mixopt.analysis import sweep as sweep_module
    from mixopt.scenario.load import scenario_from_dict

    def cell(followers: float, fee: float, pool: int, reach_rate: float) -> dict[str, object]:
        return {"typical_followers": followers, "reach_rate": reach_rate, "engagement_rate": 0.05,
                "conversion_rate": 0.1, "fee_per_post": fee, "product_cost": 0, "handling_cost": 0,
                "acceptance_rate": 1.0, "pool": pool, "max_posts": 1}

    s = scenario_from_dict({
        "name": "ties", "currency": "USD", "budget": 200.0, "objective": {"maximize": "reach"},
        "platforms": ["instagram"], "tiers": {"nano": [1000, 10000], "micro": [10000, 100000]},
        "diminishing_returns": "none", "rules": {"max_creators": 10},
        "assumptions": {"nano.instagram": cell(2000, 40, 6, 0.5), "micro.instagram": cell(40000, 100, 4, 0.05)},
    }, file="ties.yaml")
    solved_alone: list[float] = []
    original = sweep_module._PlanBook.plan_at

    def counting(self, scenario, result, objective, alone=True):  # type: ignore[no-untyped-def]
        plan = original(self, scenario, result, objective, alone)
        if plan is not None and id(plan) in self.alone:
            solved_alone.append(scenario.rules.max_creators)
        return plan

    sweep_module._PlanBook.plan_at = counting  # type: ignore[method-assign]
    try:
        result = run_sweep(s, "rules.max_creators", [10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
    finally:
        sweep_module._PlanBook.plan_at = original  # type: ignore[method-assign]
    for point in result.points:
        single = mixopt.optimize(with_field(s, "rules.max_creators", point.value), explain=False)
        assert point.plan is not None and point.plan.creators_and_posts() == single.creators_and_posts()
        assert point.objective == single.objective_value
    assert result.points[7].plan.creators_and_posts()[0] == {"nano.instagram": 2, "micro.instagram": 1}
    assert solved_alone == []
