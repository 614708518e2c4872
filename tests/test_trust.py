"""Answers a planner can trust: infeasibility explained, uncertainty quantified, deadlines kept."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import mixopt
from mixopt.analysis.diagnose import diagnose, precheck, relaxed_yaml
from mixopt.analysis.risk import compare_risk, safe_plan
from mixopt.analysis.simulate import quantile_of, simulate_plan
from mixopt.solvers.engine import solve_arrays
from mixopt.solvers.types import LinearArrays, SolverOptions, SolveStatus
from tests.conftest import SCENARIOS


def _scenario(write_scenario, text: str) -> mixopt.Scenario:
    base = (SCENARIOS / "base.yaml").resolve()
    return mixopt.load_scenario(write_scenario(f"extends: {base}\n" + text))


def test_a_target_the_budget_cannot_buy_is_explained_with_the_budget_it_needs(write_scenario) -> None:
    s = _scenario(write_scenario, "budget: 12000\nobjective: {maximize: conversions}\ntargets: {reach: 250000}\n")
    assert mixopt.optimize(s, explain=False).status is SolveStatus.INFEASIBLE
    d = diagnose(s)
    most = mixopt.optimize(s.model_copy(update={"targets": s.targets.model_copy(update={"reach": None}),
                                                "objective": mixopt.scenario.Objective(maximize="reach")}),
                           explain=False).objective_value
    assert d.findings[0] == (f"the 250,000 reach target cannot be met with 12,000 USD; the most reach the rules "
                             f"allow is {most:,.0f}")
    assert d.findings[1].startswith("the targets need a budget of ")
    assert set(d.overrides) == {"budget"}
    relaxed = mixopt.optimize(s.model_copy(update={"budget": d.overrides["budget"]}), explain=False)
    assert relaxed.status.has_plan and relaxed.feasible
    cheaper = mixopt.optimize(s.model_copy(update={"budget": d.overrides["budget"] - 100}), explain=False)
    assert not cheaper.status.has_plan  # the budget found is the least one, to the nearest 100


def test_conflicting_counts_are_caught_before_solving_and_relaxed_by_the_elastic_model(write_scenario) -> None:
    s = _scenario(write_scenario, "rules:\n  max_creators: 20\n  tiers:\n    nano: {min_creators: 15}\n"
                                  "    micro: {min_creators: 10}\n")
    assert precheck(s) == ["the tier minimum creator counts add up to 25, more than the team capacity of 20"]
    d = diagnose(s)
    assert d.overrides == {"rules.max_creators": 25}
    assert d.relaxed_objective is not None


def test_the_relaxed_scenario_file_runs_as_is(write_scenario, tmp_path: Path) -> None:
    s = _scenario(write_scenario, "budget: 12000\nobjective: {maximize: conversions}\ntargets: {reach: 250000}\n")
    d = diagnose(s)
    target = tmp_path / "out" / "relaxed.yaml"
    target.parent.mkdir()
    target.write_text(relaxed_yaml(s, d, target))
    plan = mixopt.optimize(target, explain=False)
    assert plan.status.has_plan and plan.scenario.budget == d.overrides["budget"]


def test_quantiles_of_the_split_distribution_hit_low_base_high() -> None:
    z90 = 1.2815515655446004
    assert math.isclose(float(quantile_of(2.0, 5.0, 20.0, -z90)), 2.0)
    assert math.isclose(float(quantile_of(2.0, 5.0, 20.0, 0.0)), 5.0)
    assert math.isclose(float(quantile_of(2.0, 5.0, 20.0, z90)), 20.0)
    assert math.isclose(float(quantile_of(0.0, 10.0, 30.0, -z90)), 0.0, abs_tol=1e-12)


def test_simulation_is_seeded_repeatable_and_brackets_the_plan() -> None:
    plan = mixopt.optimize(SCENARIOS / "least_cost_targets.yaml", explain=False)
    first = simulate_plan(plan, samples=10_000, seed=7)
    again = simulate_plan(plan, samples=10_000, seed=7)
    other = simulate_plan(plan, samples=10_000, seed=8)
    assert first.quantiles.equals(again.quantiles) and not first.quantiles.equals(other.quantiles)
    q = first.quantiles
    assert (q["p10"] <= q["p50"]).all() and (q["p50"] <= q["p90"]).all()
    assert q.loc["reach", "p10"] < plan.totals["reach"] < q.loc["reach", "p90"]
    assert set(first.target_probability) == {"reach", "conversions"}
    assert 0 < first.target_probability["reach"] < 1 and 0 <= first.budget_probability <= 1


def test_a_plan_with_no_uncertainty_simulates_to_its_own_figures(write_scenario) -> None:
    plan = mixopt.optimize(SCENARIOS / "hand_solvable.yaml", explain=False)  # every range is a point
    result = simulate_plan(plan, samples=200, seed=0)
    for kpi in ("reach", "engagements", "conversions", "spend"):
        assert np.allclose(result.quantiles.loc[kpi, ["p10", "p50", "p90"]], plan.totals[kpi])


def test_the_safe_plan_gives_up_expected_reach_for_a_better_worst_case() -> None:
    base = mixopt.load_scenario(SCENARIOS / "base.yaml")
    risk = compare_risk(base, confidence=0.9, samples=4000, seed=0, model_samples=60)
    assert risk.safe.status.has_plan and risk.safe.feasible
    assert risk.safe.objective_value <= risk.expected.objective_value + 1e-6  # safety costs expected reach
    assert risk.safe_simulation.budget_probability >= risk.expected_simulation.budget_probability


def test_safe_plan_rejects_a_confidence_outside_its_range() -> None:
    with pytest.raises(ValueError, match="confidence"):
        safe_plan(mixopt.load_scenario(SCENARIOS / "base.yaml"), confidence=1.0)


def _hard_knapsack(n: int = 400, seed: int = 3) -> LinearArrays:
    rng = np.random.default_rng(seed)
    weights = rng.integers(1000, 1100, n).astype(float)  # strongly correlated: hard for branch and bound
    profits = weights + 100.0
    m = 5
    a = rng.integers(900, 1200, (m, n)).astype(float)
    a[0] = weights
    starts = np.arange(0, m * n + 1, n, dtype=np.int64)
    return LinearArrays(
        names=[f"x{i:04d}" for i in range(n)], col_lower=np.zeros(n), col_upper=np.ones(n),
        integer=np.ones(n, dtype=bool), row_names=[f"cap{j}" for j in range(m)],
        row_lower=np.full(m, -np.inf), row_upper=a.sum(axis=1) / 2 + 0.5, starts=starts,
        index=np.tile(np.arange(n, dtype=np.int64), m), value=a.ravel(), costs=[-profits], stage_labels=["profit"],
    )


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_a_stopped_solve_keeps_its_best_plan_and_is_never_called_optimal(solver: str) -> None:
    result = solve_arrays(_hard_knapsack(), SolverOptions(solver=solver, time_limit_s=0.3))
    assert result.status in (SolveStatus.FEASIBLE, SolveStatus.NOT_SOLVED, SolveStatus.OPTIMAL)
    if result.status is SolveStatus.FEASIBLE:
        assert result.x is not None
        assert result.gap is None or result.gap > 0
    if result.status is SolveStatus.OPTIMAL:
        assert result.gap is not None and result.gap <= 1e-9  # only a proven optimum is called optimal
