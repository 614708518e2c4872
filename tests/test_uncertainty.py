"""The tier sampler against closed forms: known costs, one creator keeps its range, many creators
average out to the distribution's mean, platform shocks correlate, and the invites for a 90%
fill are the fewest that reach it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import mixopt
from mixopt.analysis.simulate import simulate_plan
from mixopt.analysis.uncertainty import invites_for_fill, plan_draws, platform_scores
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.load import scenario_from_dict

_Z90 = 1.2815515655446004


def _scenario(tmp_path: Path, **simulation: Any) -> mixopt.Scenario:
    """One cell, fixed followers, a reach-rate range 0.05 / 0.1 / 0.3, a large pool, no curve."""
    assumptions = {"typical_followers": 2000, "reach_rate": {"low": 0.05, "base": 0.1, "high": 0.3},
                   "engagement_rate": 0.05, "conversion_rate": 0.1, "fee_per_post": {"low": 80, "base": 100, "high": 150},
                   "product_cost": 0, "handling_cost": 0, "acceptance_rate": 0.5, "pool": 100_000, "max_posts": 1}
    data = {"name": "one cell", "budget": 200_000, "objective": {"maximize": "reach"}, "platforms": ["instagram"],
            "tiers": {"nano": [1000, 10000]}, "diminishing_returns": "none",
            "assumptions": {"nano.instagram": assumptions}, "simulation": simulation}
    return scenario_from_dict(data, file=str(tmp_path / "scenario.yaml"))


def _split_lognormal_mean(low: float, base: float, high: float) -> float:
    down, up = math.log(base / low) / _Z90, math.log(high / base) / _Z90
    return base * (math.exp(down ** 2 / 2) * stats.norm.cdf(-down) + math.exp(up ** 2 / 2) * stats.norm.cdf(up))


def _reach_average(scenario: mixopt.Scenario, creators: int, samples: int = 20_000, seed: int = 1) -> np.ndarray:
    cells = resolve_cells(scenario)
    draws = plan_draws(cells, np.array([float(creators)]), samples, np.random.default_rng(seed), scenario)
    return draws["reach_per_creator"][:, 0]


def test_one_creator_keeps_its_p10_base_and_p90(tmp_path: Path) -> None:
    reach = _reach_average(_scenario(tmp_path, shared_share=0.5), 1, samples=40_000)
    assert np.quantile(reach, [0.1, 0.5, 0.9]) == pytest.approx([2000 * 0.05, 2000 * 0.1, 2000 * 0.3], rel=0.03)


@pytest.mark.parametrize("creators", [200, 5000])  # drawn one by one, and by the central limit theorem
def test_without_a_shared_part_many_creators_average_to_the_distributions_mean(tmp_path: Path, creators: int) -> None:
    reach = _reach_average(_scenario(tmp_path, shared_share=0.0), creators)
    mean = 2000 * _split_lognormal_mean(0.05, 0.1, 0.3)
    assert reach.mean() == pytest.approx(mean, rel=0.01)
    single_sd = np.std(_reach_average(_scenario(tmp_path, shared_share=0.0), 1))
    assert reach.std() == pytest.approx(single_sd / math.sqrt(creators), rel=0.1)


def test_the_shared_part_stays_however_many_creators(tmp_path: Path) -> None:
    """With w shared, the average of n creators keeps about sqrt(w) of the score's spread."""
    scenario = _scenario(tmp_path, shared_share=0.5, platform_correlation=0.0)
    log_spread = np.std(np.log(_reach_average(scenario, 256)))
    one = np.std(np.log(_reach_average(scenario, 1)))
    assert 0.55 * one < log_spread < 0.8 * one  # sqrt(0.5) = 0.71, minus what curvature averages away


def test_cells_of_one_platform_share_its_shock_and_other_platforms_do_not() -> None:
    z = platform_scores(["tiktok", "tiktok", "youtube"], ("reach_rate",), 50_000, np.random.default_rng(3), 0.3)
    z = z["reach_rate"]
    assert np.corrcoef(z[:, 0], z[:, 1])[0, 1] == pytest.approx(0.3, abs=0.02)
    assert abs(np.corrcoef(z[:, 0], z[:, 2])[0, 1]) < 0.02
    assert z.std(axis=0) == pytest.approx([1, 1, 1], rel=0.02)


def test_contracted_costs_are_known_unless_the_scenario_marks_them_uncertain(tmp_path: Path) -> None:
    known = simulate_plan(mixopt.optimize(_scenario(tmp_path), explain=False), 2000, 0)
    spend = known.quantiles.loc["spend"]
    assert spend["p10"] == spend["p90"] and known.budget_probability == 1.0 and known.costs_known
    drawn = simulate_plan(mixopt.optimize(_scenario(tmp_path, uncertain_costs=True), explain=False), 2000, 0)
    assert drawn.quantiles.loc["spend", "p10"] < drawn.quantiles.loc["spend", "p90"] and not drawn.costs_known


def test_invites_for_a_90pct_fill_are_the_fewest_that_reach_it(tmp_path: Path) -> None:
    cells = resolve_cells(_scenario(tmp_path))
    (row,), reachable = invites_for_fill(cells, np.array([40.0]), np.array([80.0]), 0.9)
    brute = next(k for k in range(40, 1000) if stats.binom.sf(39, k, 0.5) >= 0.9)
    assert reachable and row.invites == brute and row.fill_probability >= 0.9


def test_the_same_seed_repeats_a_tier_simulation_exactly(tmp_path: Path) -> None:
    plan = mixopt.optimize(_scenario(tmp_path), explain=False)
    a, b = simulate_plan(plan, 1000, 5), simulate_plan(plan, 1000, 5)
    assert a.quantiles.equals(b.quantiles) and a.invites == b.invites


def test_with_nothing_uncertain_the_simulated_unique_reach_is_the_plans(tmp_path: Path) -> None:
    """Ranges collapsed to their base: every draw is the plan, unique reach and frequency included,
    within a cell (random duplication) and across platforms (a share of the smaller platform)."""
    fixed = {"typical_followers": 2000, "reach_rate": 0.1, "engagement_rate": 0.05, "conversion_rate": 0.1,
             "fee_per_post": 100, "product_cost": 0, "handling_cost": 0, "acceptance_rate": 0.5, "pool": 400,
             "max_posts": 1, "audience": 20_000}
    data = {"name": "two platforms", "budget": 9_000, "objective": {"maximize": "reach"},
            "platforms": ["instagram", "tiktok"], "tiers": {"nano": [1000, 10000]}, "diminishing_returns": "none",
            "rules": {"platforms": {"tiktok": {"max_creators": 30}}},
            "audience": {"cross_platform_overlap": 0.2},
            "assumptions": {"nano.instagram": fixed, "nano.tiktok": fixed}}
    plan = mixopt.optimize(scenario_from_dict(data, file=str(tmp_path / "s.yaml")), explain=False)
    assert plan.totals["unique_reach"] < plan.totals["reach"]
    sim = simulate_plan(plan, 50, 0)
    for kpi in ("reach", "unique_reach", "frequency"):
        q = sim.quantiles.loc[kpi]
        assert q["p10"] == pytest.approx(plan.totals[kpi], rel=1e-9) and q["p90"] == pytest.approx(plan.totals[kpi],
                                                                                                    rel=1e-9)
