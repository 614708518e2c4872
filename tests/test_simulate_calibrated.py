"""A calibrated range of the tier average (mean_low / mean_high from mixopt calibrate) sets the
shared part of a simulation: many creators of a cell average to that band, centred on the
calibrated base, and a calibrated scenario's band is narrower than the defaults' split gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mixopt
from mixopt.analysis.simulate import simulate_plan
from mixopt.analysis.uncertainty import average_ranges, plan_draws
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.load import load_scenario, scenario_from_dict
from mixopt.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
BAND = {"base": 0.1, "low": 0.05, "high": 0.3, "mean_low": 0.09, "mean_high": 0.115}


def _one_cell(tmp_path: Path, reach_rate: dict[str, float]) -> Scenario:
    assumptions = {"typical_followers": 2000, "reach_rate": reach_rate, "engagement_rate": 0.05,
                   "conversion_rate": 0.1, "fee_per_post": 100, "product_cost": 0, "handling_cost": 0,
                   "acceptance_rate": 0.5, "pool": 100_000, "max_posts": 1}
    data = {"name": "one cell", "budget": 200_000, "objective": {"maximize": "reach"}, "platforms": ["instagram"],
            "tiers": {"nano": [1000, 10000]}, "diminishing_returns": "none",
            "assumptions": {"nano.instagram": assumptions}}
    return scenario_from_dict(data, file=str(tmp_path / "scenario.yaml"))


def _reach_rate(scenario: Scenario, creators: int, samples: int = 20_000) -> np.ndarray:
    cells = resolve_cells(scenario)
    draws = plan_draws(cells, np.array([float(creators)]), samples, np.random.default_rng(1), scenario)
    return draws["reach_per_creator"][:, 0] / 2000


def test_many_creators_average_to_the_calibrated_band_of_the_tier_average(tmp_path: Path) -> None:
    rate = _reach_rate(_one_cell(tmp_path, BAND), 5000)
    assert np.quantile(rate, [0.1, 0.5, 0.9]) == pytest.approx([0.09, 0.1, 0.115], rel=0.02)


def test_one_creator_of_a_calibrated_cell_has_the_calibrated_base_as_its_mean(tmp_path: Path) -> None:
    """Calibrate's base is the mean for a new creator (not a median), and one creator still
    varies about as widely as its low / high."""
    rate = _reach_rate(_one_cell(tmp_path, BAND), 1, samples=80_000)
    assert rate.mean() == pytest.approx(0.1, rel=0.02)
    p10, p90 = np.quantile(rate, [0.1, 0.9])
    assert p10 < 0.06 and p90 > 0.18


def test_without_mean_low_and_mean_high_the_default_split_is_kept(tmp_path: Path) -> None:
    plain = {k: BAND[k] for k in ("base", "low", "high")}
    scenario = _one_cell(tmp_path, plain)
    assert average_ranges(scenario, resolve_cells(scenario)) == [{}]
    wide = _reach_rate(scenario, 5000)
    narrow = _reach_rate(_one_cell(tmp_path, BAND), 5000)
    width = np.quantile(wide, 0.9) / np.quantile(wide, 0.1)
    assert width > 2 * (np.quantile(narrow, 0.9) / np.quantile(narrow, 0.1))


def _without_average_ranges(scenario: Scenario) -> Scenario:
    assumptions: dict[str, Any] = {}
    for key, block in scenario.assumptions.items():
        update = {name: value.model_copy(update={"mean_low": None, "mean_high": None})
                  for name, value in block if getattr(value, "mean_low", None) is not None}
        assumptions[key] = block.model_copy(update=update)
    return scenario.model_copy(update={"assumptions": assumptions})


def test_a_scenario_planned_on_a_calibration_simulates_a_narrower_band_around_its_plan() -> None:
    """scenarios/results/summer_wave.yaml (base.yaml planned on spring_calibrated.yaml through
    assumptions_from): its band is narrower than the same scenario's with the default split of the
    same one-creator ranges (typical followers are not calibrated, so reach narrows least), far
    narrower than base.yaml's on the built-in defaults, and still holds the planned figure."""
    calibrated = load_scenario(ROOT / "scenarios" / "results" / "summer_wave.yaml")
    plan = mixopt.optimize(calibrated, explain=False)
    assert sum(bool(c) for c in average_ranges(calibrated, plan.cells)) >= 4
    narrow = simulate_plan(plan, 4000, 0)
    split = simulate_plan(mixopt.optimize(_without_average_ranges(calibrated), explain=False), 4000, 0)
    defaults = simulate_plan(mixopt.optimize(load_scenario(ROOT / "scenarios" / "base.yaml"), explain=False), 4000, 0)
    assert "calibrated range (mean_low / mean_high)" in narrow.distribution
    assert "calibrated" not in split.distribution
    for kpi, than_split in (("reach", 0.95), ("engagements", 0.9), ("conversions", 0.8)):
        n, w, d = (s.quantiles.loc[kpi] for s in (narrow, split, defaults))
        assert n["p90"] / n["p10"] < than_split * (w["p90"] / w["p10"])
        assert n["p90"] / n["p10"] < 0.7 * (d["p90"] / d["p10"])
        assert n["p10"] < plan.totals[kpi] < n["p90"]
