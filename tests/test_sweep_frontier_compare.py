"""Sweeps, frontiers and comparisons agree with single solves of the same scenarios."""

from __future__ import annotations

import math

import pytest

import mixopt
from mixopt.analysis.compare import compare_plans
from mixopt.analysis.frontier import trace_frontier
from mixopt.analysis.sweep import run_sweep
from mixopt.scenario.fields import parse_values, with_field
from tests.conftest import SCENARIOS

SALES = SCENARIOS / "sales_push.yaml"
BASE = SCENARIOS / "base.yaml"


@pytest.fixture(scope="module")
def sales() -> mixopt.Scenario:
    return mixopt.load_scenario(SALES)


@pytest.fixture(scope="module")
def sweep(sales: mixopt.Scenario):
    return run_sweep(sales, "budget", parse_values("15000:33000:2000"))


def test_parse_values_reads_ranges_and_lists() -> None:
    assert parse_values("10000:20000:5000") == [10000, 15000, 20000]
    assert parse_values("10_000:12_000:1_000") == [10000, 11000, 12000]
    assert parse_values("5,7.5,10") == [5, 7.5, 10]


@pytest.mark.parametrize("text", ["10:5:1", "1:10:0", "ten", ""])
def test_parse_values_rejects_malformed_ranges_with_one_line(text: str) -> None:
    with pytest.raises(mixopt.ScenarioError, match=r"^\(command line\): --values: .*Write START:STOP:STEP"):
        parse_values(text)


def test_every_sweep_point_equals_a_single_solve_at_that_budget(sweep, sales) -> None:
    for point in sweep.points:
        single = mixopt.optimize(with_field(sales, "budget", point.value), explain=False)
        assert point.status == single.status
        if single.status.has_plan:
            assert math.isclose(point.objective, single.objective_value, rel_tol=1e-7)
            assert point.plan.creators_and_posts() == single.creators_and_posts()
            assert point.plan.feasible


def test_sweep_marginal_value_is_the_optimum_with_1000_more(sweep, sales) -> None:
    point = next(p for p in sweep.points if p.status.has_plan)
    more = mixopt.optimize(with_field(sales, "budget", point.value + 1000), explain=False)
    assert math.isclose(point.marginal_per_1000, more.objective_value - point.objective, rel_tol=1e-7, abs_tol=1e-6)


def test_sweep_optimum_never_falls_as_the_budget_rises(sweep) -> None:
    values = [p.objective for p in sweep.points if p.objective is not None]
    assert values == sorted(values)


def test_lp_preview_is_an_upper_bound_on_every_exact_point(sweep, sales) -> None:
    preview = run_sweep(sales, "budget", [p.value for p in sweep.points], preview=True)
    assert not preview.exact and all(r.startswith("lp_preview_") for r in preview.table()["status"])
    for exact, lp in zip(sweep.points, preview.points):
        if exact.objective is not None:
            assert lp.objective >= exact.objective - 1e-6


def test_sweep_reports_where_a_tier_enters_or_leaves(sweep) -> None:
    tiers_by_point = []
    for p in sweep.points:
        if p.plan is not None:
            used = p.plan.allocation[p.plan.allocation["creators"] > 0]
            tiers_by_point.append((p.value, set(used["tier"])))
    expected = []
    for (_, before), (value, after) in zip(tiers_by_point, tiers_by_point[1:]):
        expected += [f"{t} enters at budget {value:,.0f}" for t in ("pico", "nano", "micro") if t in after - before]
        expected += [f"{t} leaves at budget {value:,.0f}" for t in ("pico", "nano", "micro") if t in before - after]
    assert [c for c in sweep.mix_changes if "budget" in c and c.split()[0] in ("pico", "nano", "micro")] == expected
    assert expected, "the shipped sales scenario changes its tier mix inside this budget range"


def test_sweeping_a_field_without_a_row_rebuilds_and_still_matches(sales) -> None:
    result = run_sweep(sales, "economics.average_order_value", [80.0, 120.0])
    for point in result.points:
        single = mixopt.optimize(with_field(sales, "economics.average_order_value", point.value), explain=False)
        assert math.isclose(point.objective, single.objective_value, rel_tol=1e-7)


def test_sweeping_an_unknown_field_is_a_one_line_error(sales) -> None:
    with pytest.raises(mixopt.ScenarioError, match=r"budjet: "):
        run_sweep(sales, "budjet", [1.0, 2.0])


def test_frontier_points_are_pareto_optimal_and_match_direct_solves() -> None:
    base = mixopt.load_scenario(BASE)
    frontier = trace_frontier(base, "reach", "conversions", points=6)
    feasible = [p for p in frontier.points if p.plan is not None]
    assert len(feasible) == 6
    xs = [p.x_value for p in feasible]
    ys = [p.y_value for p in feasible]
    assert xs == sorted(xs) and ys == sorted(ys, reverse=True)
    best_reach = mixopt.optimize(base.model_copy(update={"objective": mixopt.scenario.Objective(maximize="reach")}),
                                 explain=False)
    best_sales = mixopt.optimize(
        base.model_copy(update={"objective": mixopt.scenario.Objective(maximize="conversions")}), explain=False)
    assert math.isclose(ys[0], best_sales.totals["conversions"], rel_tol=1e-7)
    assert math.isclose(xs[-1], best_reach.totals["reach"], rel_tol=1e-7)
    for p in feasible:
        assert p.plan.feasible
    trade = frontier.table()["conversions_given_up_per_million_reach"].dropna()
    assert (trade >= -1e-6).all()


def test_compare_puts_plans_side_by_side_with_differences() -> None:
    a = mixopt.optimize(SCENARIOS / "awareness_launch.yaml", explain=False)
    b = mixopt.optimize(SALES, explain=False)
    table = compare_plans([a, b]).table().set_index(["section", "item"])
    diff = table[f"{b.scenario.name} - {a.scenario.name}"]
    assert math.isclose(diff[("totals", "reach")], b.totals["reach"] - a.totals["reach"])
    assert table.loc[("creators", "nano.tiktok"), a.scenario.name] == a.creators_and_posts()[0]["nano.tiktok"]


@pytest.mark.parametrize(
    ("scenario", "field", "values"),
    [
        ("awareness_launch.yaml", "budget", [15_000, 20_000, 26_000, 30_000, 45_000, 80_000]),  # plateau above 26,650
        ("blended.yaml", "rules.max_creators", [10, 30, 60, 90, 140]),
        ("least_cost_targets.yaml", "targets.reach", [60_000, 90_000, 120_000, 200_000]),  # floors walked upwards
    ],
)
def test_plans_reused_across_a_plateau_equal_single_solves(scenario: str, field: str, values: list[float]) -> None:
    """A plan that uses less of a limit than a point allows is reused below it; it must be the
    very plan (and marginal value) a fresh solve at that point gives."""
    loaded = mixopt.load_scenario(SCENARIOS / scenario)
    result = run_sweep(loaded, field, values)
    for point in result.points:
        single = mixopt.optimize(with_field(loaded, field, point.value), explain=False)
        assert point.status == single.status
        if single.status.has_plan:
            assert math.isclose(point.objective, single.objective_value, rel_tol=1e-9, abs_tol=1e-9)
            assert point.plan.creators_and_posts() == single.creators_and_posts()
            assert point.plan.feasible
            if field == "budget":
                more = mixopt.optimize(with_field(loaded, field, point.value + 1000), explain=False)
                assert math.isclose(point.marginal_per_1000, more.objective_value - single.objective_value,
                                    rel_tol=1e-7, abs_tol=1e-6)
