"""Roster simulations count unique reach per draw as the plan does: every draw is the plan's figure
when nothing is uncertain, the mean matches the closed form of random duplication over
independent creators, and the terminal, CSV and JSON carry the rows."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from mixopt.analysis.roster_unique import unique_reach_draws
from mixopt.analysis.simulate_roster import simulate_choice, simulate_roster_plan
from mixopt.cli import cli
from mixopt.roster.model import roster_audiences, unique_reach_value
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.table import load_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.schema import Scenario
from mixopt.synth import synthetic_roster

_Z90 = 1.2815515655446004
GROUPS = ["g1"] * 5 + ["g2"] * 4 + ["g3"] * 3 + ["", ""]


def _roster_scenario(tmp_path: Path, views_range: tuple[float, float] | None, **extra: Any) -> Scenario:
    """14 creators on two platforms in three overlap groups with small audiences, every views
    figure in the table (``views_range``: its P10 and P90 as multiples; None: no range column)."""
    table = synthetic_roster(14, 7).reset_index(drop=True)
    table["platform"] = ["instagram"] * 9 + ["tiktok"] * 5
    table["overlap_group"] = GROUPS
    table["must_include"] = 0
    table["exclude"] = 0
    table["followers"] = 20_000
    table["average_views"] = [900.0, 1200.0, 700.0, 1500.0, 1000.0, 800.0, 1100.0, 600.0, 1300.0,
                              500.0, 900.0, 700.0, 1000.0, 1200.0]
    table["audience"] = [4_000.0] * 5 + [2_500.0] * 4 + [3_000.0] * 3 + [math.nan, math.nan]
    if views_range is not None:
        table["average_views_low"] = table["average_views"] * views_range[0]
        table["average_views_high"] = table["average_views"] * views_range[1]
    table.to_csv(tmp_path / "creators.csv", index=False)
    data: dict[str, Any] = {"budget": 1_500.0, "objective": {"maximize": "unique_reach"},
                            "rules": {"max_creators": 9}, "audience": {"cross_platform_overlap": 0.3},
                            "roster": {"file": "creators.csv"}, **extra}
    return scenario_from_dict(data, file=str(tmp_path / "scenario.yaml"))


def test_with_nothing_uncertain_every_roster_draw_is_the_plans_unique_reach(tmp_path: Path) -> None:
    """Views ranges collapsed to the planning value: each draw's unique reach and frequency are the
    plan's, overlap within groups and across platforms included."""
    plan = optimize_roster(_roster_scenario(tmp_path, (1.0, 1.0)))
    assert plan.totals["unique_reach"] < plan.totals["reach"] - 1  # the overlap matters here
    assert set(plan.selected["platform"]) == {"instagram", "tiktok"}
    sim = simulate_roster_plan(plan, samples=40, seed=2)
    for kpi in ("reach", "unique_reach", "frequency"):
        q = sim.quantiles.loc[kpi]
        assert q["p10"] == pytest.approx(plan.totals[kpi], rel=1e-12)
        assert q["p90"] == pytest.approx(plan.totals[kpi], rel=1e-12)
    assert sim.target_probability == {}


def test_a_draws_unique_reach_is_the_plans_formula_at_that_draws_reach(tmp_path: Path) -> None:
    """Draw by draw, the vectorised count equals the plan's own function fed that draw's reach."""
    scenario = _roster_scenario(tmp_path, (0.5, 2.0))
    table = load_roster(scenario).table
    aud = roster_audiences(scenario, table)
    rng = np.random.default_rng(4)
    rows = np.array([0, 1, 3, 5, 6, 9, 10, 12, 13])
    reach = table["reach"].to_numpy(dtype=float)[rows][None, :] * rng.lognormal(0.0, 0.6, (30, len(rows)))
    drawn = unique_reach_draws(aud, rows, reach)
    chosen = np.zeros(len(table), dtype=bool)
    chosen[rows] = True
    for d in range(30):
        full = table["reach"].to_numpy(dtype=float).copy()
        full[rows] = reach[d]
        one = roster_audiences(scenario, table)
        one = type(one)(**{**one.__dict__, "reach": full})
        assert drawn[d] == pytest.approx(unique_reach_value(one, chosen), rel=1e-12)


def _split_lognormal_mean(low: float, base: float, high: float) -> float:
    down, up = math.log(base / low) / _Z90, math.log(high / base) / _Z90
    return base * (math.exp(down ** 2 / 2) * stats.norm.cdf(-down) + math.exp(up ** 2 / 2) * stats.norm.cdf(up))


def test_the_simulated_mean_unique_reach_matches_random_duplication_over_independent_creators(
        tmp_path: Path) -> None:
    """Creators with their own views ranges draw independently, so the expected unique reach of a
    group is ``A (1 - prod (1 - E[R_i] / A))`` with ``E[R_i]`` the split lognormal's mean; the
    ungrouped creators add their mean (no overlap across platforms here: the mean of a draw's
    smaller platform is not the smaller mean)."""
    low, high = 0.5, 2.0
    scenario = _roster_scenario(tmp_path, (low, high), audience={"cross_platform_overlap": 0.0})
    roster = load_roster(scenario)
    table = roster.table
    rows = np.array([0, 1, 2, 9, 10, 12])  # three of g1 on instagram, two of g3 and one alone on tiktok
    chosen = np.zeros(len(table), dtype=bool)
    chosen[rows] = True
    sim = simulate_choice(scenario, roster, chosen, None, samples=40_000, seed=5)
    mean = table["reach"].to_numpy(dtype=float) * _split_lognormal_mean(low, 1.0, high)
    aud = roster_audiences(scenario, table)
    g1, g3 = aud.audience[aud.unit[0]], aud.audience[aud.unit[9]]
    instagram = g1 * (1 - np.prod(1 - mean[[0, 1, 2]] / g1))
    tiktok = g3 * (1 - np.prod(1 - mean[[9, 10]] / g3)) + mean[12]
    expected = instagram + tiktok
    assert sim.quantiles.loc["unique_reach", "mean"] == pytest.approx(expected, rel=0.01)
    assert sim.quantiles.loc["unique_reach", "mean"] < sim.quantiles.loc["reach", "mean"]


def test_a_unique_reach_target_gets_its_chance_in_the_terminal_csv_and_json(tmp_path: Path) -> None:
    scenario_path = tmp_path / "scenario.yaml"
    _roster_scenario(tmp_path, None)
    text = ("budget: 1500\nobjective: {maximize: conversions}\ntargets: {unique_reach: 6000}\n"
            "rules: {max_creators: 9}\naudience: {cross_platform_overlap: 0.3}\nroster: {file: creators.csv}\n")
    scenario_path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["simulate", str(scenario_path), "--samples", "2000", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "chance of meeting the unique_reach target (6,000):" in result.output
    assert any(line.split()[:1] == ["unique_reach"] for line in result.output.splitlines())
    assert any(line.split()[:1] == ["frequency"] for line in result.output.splitlines())
    frame = pd.read_csv(out / "simulation.csv")
    kpis = set(frame["kpi"])
    assert {"unique_reach", "frequency", "probability_unique_reach_target_met",
            "worst_10pct_average_unique_reach"} <= kpis
    chance = float(frame.loc[frame["kpi"] == "probability_unique_reach_target_met", "p50"].iloc[0])
    assert 0.0 < chance < 1.0
    rows = json.loads((out / "simulation.json").read_text(encoding="utf-8"))["rows"]
    assert any(r["kpi"] == "unique_reach" and r["p10"] < r["p90"] for r in rows)
