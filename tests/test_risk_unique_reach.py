"""The tier safe plan protects a unique-reach target by CVaR rows over each draw's unique reach
(chords through whole creator counts, the plan's largest platform), checked on fresh draws."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mixopt
from mixopt.analysis.risk import safe_plan
from mixopt.analysis.simulate import simulate_plan
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.load import load_scenario
from mixopt.tier.model import risk_unique_grid, unique_reach_points

ROOT = Path(__file__).resolve().parent.parent


def test_the_grid_chords_stay_below_and_close_to_a_cells_unique_reach() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "least_cost_targets.yaml")
    for cell in resolve_cells(scenario):
        points = np.array(unique_reach_points(cell))
        grid = risk_unique_grid(cell)
        chord = np.interp(np.arange(len(points)), grid, points[grid])
        assert grid[0] == 0 and grid[-1] == len(points) - 1
        assert np.all(chord <= points + 1e-6) and np.all(chord >= 0.997 * points)


def test_the_tier_safe_plan_keeps_a_unique_reach_target_in_most_fresh_draws() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "least_cost_targets.yaml")
    targets = scenario.targets.model_copy(update={"unique_reach": 100_000.0, "reach": None, "conversions": None})
    scenario = scenario.model_copy(update={"targets": targets})
    expected = mixopt.optimize(scenario, explain=False)
    safe = safe_plan(scenario, 0.9, model_samples=40, seed=0)
    assert safe.status.has_plan and safe.feasible
    chance_expected = simulate_plan(expected, 4000, 1).target_probability["unique_reach"]
    chance_safe = simulate_plan(safe, 4000, 1).target_probability["unique_reach"]
    assert chance_expected < 0.8 and chance_safe >= 0.85 and chance_safe > chance_expected + 0.1
