"""Simulating a roster plan: the per-creator sampler against closed forms, the exact acceptance
risk against brute force, the safe (CVaR) roster plan against its rules, and the command."""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from mixopt.analysis.risk import roster_model_draws, safe_roster_plan
from mixopt.analysis.simulate import quantile_of
from mixopt.analysis.simulate_roster import (
    allocate_reserves,
    creator_draws,
    creator_ranges,
    fill_chances,
    poisson_binomial,
    shared_scores,
    signed_quantile,
    simulate_choice,
    simulate_roster_plan,
    tail_weights,
)
from mixopt.cli import cli
from mixopt.roster.check import check_roster_choice
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.table import load_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.schema import Scenario
from mixopt.synth import synthetic_roster

ROOT = Path(__file__).resolve().parent.parent
SKINCARE = ROOT / "scenarios" / "roster_skincare.yaml"


def _scenario(tmp_path: Path, n: int = 400, seed: int = 3, **extra: Any) -> Scenario:
    table = tmp_path / f"roster_{n}_{seed}.csv"
    synthetic_roster(n, seed).to_csv(table, index=False)
    data: dict[str, Any] = {"budget": 40.0 * n, "objective": {"maximize": "conversions"},
                            "targets": {"reach": 30.0 * n}, "rules": {"max_creators": max(n // 8, 5)},
                            "roster": {"file": table.name}}
    data.update(extra)
    return scenario_from_dict(data, file=str(tmp_path / "scenario.yaml"))


# ----------------------------------------------------------------------------- closed forms


def test_poisson_binomial_with_equal_rates_is_the_binomial() -> None:
    n, p = 12, 0.3
    expected = np.array([math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)])
    assert np.allclose(poisson_binomial(np.full(n, p)), expected, atol=1e-15)


def test_poisson_binomial_matches_enumerating_every_outcome() -> None:
    rates = np.array([0.9, 0.15, 0.5, 0.33, 0.71])
    brute = np.zeros(len(rates) + 1)
    for outcome in itertools.product((0, 1), repeat=len(rates)):
        brute[sum(outcome)] += np.prod([p if o else 1 - p for p, o in zip(rates, outcome)])
    assert np.allclose(poisson_binomial(rates), brute, atol=1e-15)
    cumulative = np.cumsum(brute)
    for q in (0.1, 0.5, 0.9):
        assert signed_quantile(rates, q) == int(np.argmax(cumulative >= q - 1e-12))


def test_fill_chances_equal_the_chance_that_enough_of_the_invited_sign() -> None:
    chosen, reserves = np.array([0.4, 0.6, 0.5]), np.array([0.3, 0.8, 0.2, 0.5])
    s = fill_chances(chosen, reserves, needed=3)
    for k in range(len(s)):
        pmf = poisson_binomial(np.concatenate([chosen, reserves[:k]]))
        assert s[k] == pytest.approx(pmf[3:].sum(), abs=1e-12)


def test_reserves_are_the_fewest_invites_that_reach_the_fill_chance() -> None:
    cells = [(np.array([0.3, 0.4]), np.full(12, 0.35)), (np.array([0.5]), np.full(9, 0.25)),
             (np.array([0.6, 0.2, 0.5]), np.full(14, 0.45))]
    chances = [fill_chances(c, r, len(c)) for c, r in cells]
    counts, reachable = allocate_reserves(chances, 0.9)
    assert reachable and np.prod([s[k] for s, k in zip(chances, counts)]) >= 0.9 - 1e-12
    best = min(sum(ks) for ks in itertools.product(*(range(len(s)) for s in chances))
               if np.prod([s[k] for s, k in zip(chances, ks)]) >= 0.9 - 1e-12)
    assert sum(counts) == best


def test_a_cell_that_cannot_fill_even_with_every_reserve_says_so() -> None:
    chances = [fill_chances(np.array([0.1, 0.1]), np.array([0.1]), 2)]
    counts, reachable = allocate_reserves(chances, 0.9)
    assert not reachable and counts == [1]


def test_tail_weights_average_the_worst_share_of_draws() -> None:
    values = np.arange(100, dtype=float)[::-1]  # worst 10: 0..9, average 4.5
    assert tail_weights(values, 0.9) @ values == pytest.approx(4.5)
    assert tail_weights(values, 0.9).sum() == pytest.approx(1.0)


def test_one_creator_keeps_its_tier_default_p10_base_and_p90(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    roster = load_roster(scenario)
    ranges = creator_ranges(scenario, roster)
    row = int(np.nonzero(ranges.shared["reach"] > 0)[0][0])  # a creator whose reach comes from the defaults
    samples = 40_000
    draws = creator_draws(roster.table, ranges, np.array([row]), shared_scores(scenario, samples, 11), 11)
    base = float(roster.table["reach"].iloc[row])
    q10, q50, q90 = np.quantile(draws["reach"][:, 0], [0.1, 0.5, 0.9]) / base
    assert q50 == pytest.approx(1.0, abs=0.02)
    assert q10 == pytest.approx(ranges.low["reach"][row], rel=0.03)
    assert q90 == pytest.approx(ranges.high["reach"][row], rel=0.03)


def test_two_creators_of_one_cell_share_half_their_score_and_many_average_out(tmp_path: Path) -> None:
    """The score of one creator is sqrt(w) z_cell + sqrt(1-w) z_own, so two creators of a cell
    correlate w = 0.5 and the mean score of n creators has variance w + (1 - w) / n."""
    scenario = _scenario(tmp_path)
    roster = load_roster(scenario)
    ranges = creator_ranges(scenario, roster)
    keys = (roster.table["tier"] + "." + roster.table["platform"]).to_numpy()
    filled = ranges.shared["reach"] > 0
    cell = max(set(keys[filled]), key=lambda k: int((filled & (keys == k)).sum()))
    rows = np.nonzero(filled & (keys == cell))[0][:20]
    samples = 20_000
    shared = shared_scores(scenario, samples, 5)
    z = ranges.shared["reach"][rows] * shared["reach"][:, ranges.cell[rows]]
    own_rows = []  # rebuild the own scores from each creator's stream, as the sampler does
    for r in rows:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5, spawn_key=(1 + int(r),))))
        rng.standard_normal(samples), rng.random(samples)
        own_rows.append(rng.standard_normal((3, samples))[0])
    z = z + ranges.own["reach"][rows] * np.array(own_rows).T
    assert np.corrcoef(z[:, 0], z[:, 1])[0, 1] == pytest.approx(0.5, abs=0.03)
    assert z.mean(axis=1).var() == pytest.approx(0.5 + 0.5 / len(rows), rel=0.05)
    # and the sampler's reach multipliers are exactly the split lognormal at those scores
    draws = creator_draws(roster.table, ranges, rows, shared, 5)
    base = roster.table["reach"].to_numpy(dtype=float)[rows]
    expected = np.column_stack([quantile_of(ranges.low["reach"][r], 1.0, ranges.high["reach"][r], z[:, j])
                                for j, r in enumerate(rows)])
    capped = np.minimum(base * expected, np.maximum(10.0 * roster.table["followers"].to_numpy(float)[rows], base))
    assert np.allclose(draws["reach"], capped, rtol=1e-12)


def test_a_creators_draws_do_not_depend_on_who_else_is_chosen(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    roster = load_roster(scenario)
    ranges = creator_ranges(scenario, roster)
    shared = shared_scores(scenario, 500, 9)
    alone = creator_draws(roster.table, ranges, np.array([17]), shared, 9)
    among = creator_draws(roster.table, ranges, np.array([3, 17, 250]), shared, 9)
    for name in ("reach", "engagements_per_post", "conversions_per_post", "signed"):
        assert np.array_equal(alone[name][:, 0], among[name][:, 1])


def test_contracted_spend_is_the_same_in_every_draw_and_the_mean_reach_is_near_planned(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    plan = optimize_roster(scenario)
    sim = simulate_roster_plan(plan, samples=4000, seed=1)
    spend = sim.quantiles.loc["spend"]
    assert spend["p10"] == spend["p90"] == pytest.approx(plan.totals["spend"], abs=0.005)
    assert sim.budget_probability == 1.0
    # a split lognormal through (low, base, high) has its median at base: the P50 of summed reach is
    # between the plan's low and high sums, and the acceptance figures add up
    risk = sim.acceptance
    assert risk is not None and risk.creators == plan.totals["creators"]
    assert risk.expected_signed == pytest.approx(float(plan.roster.table["acceptance_rate"][plan.solution.chosen].sum()))
    assert risk.invites == risk.creators + risk.reserves
    assert risk.fill_probability >= 0.9 - 1e-9 or not risk.reachable


def test_the_same_seed_gives_the_same_figures_and_another_seed_differs(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    plan = optimize_roster(scenario)
    a, b = simulate_roster_plan(plan, 1000, 4), simulate_roster_plan(plan, 1000, 4)
    assert a.quantiles.equals(b.quantiles) and a.acceptance == b.acceptance
    assert not simulate_roster_plan(plan, 1000, 5).quantiles.equals(a.quantiles)


def test_simulating_no_creators_gives_zero_kpis(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    roster = load_roster(scenario)
    sim = simulate_choice(scenario, roster, np.zeros(len(roster), dtype=bool), None, samples=200, seed=0)
    assert sim.quantiles.loc["reach", "p90"] == 0 and sim.acceptance.invites == 0


# ----------------------------------------------------------------------------- the safe plan


def test_the_safe_roster_plan_keeps_every_rule_and_its_reach_target_in_the_worst_draws(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, n=300)
    roster = load_roster(scenario)
    safe = safe_roster_plan(scenario, 0.9, model_samples=200, seed=2, roster=roster)
    assert safe.status.has_plan
    checks = check_roster_choice(scenario, roster.table, safe.solution.chosen, safe.solution.posts)
    assert all(c.holds for c in checks), [c.label for c in checks if not c.holds]
    # the reach target holds on average over the worst 10% of the model's own draws (CVaR)
    draws = roster_model_draws(scenario, roster, 200, 2)
    chosen = safe.solution.chosen
    reach = draws["reach"][:, chosen].sum(axis=1)
    assert tail_weights(reach, 0.9) @ reach >= scenario.targets.reach * (1 - 1e-6)


# ----------------------------------------------------------------------------- the command


def test_mixopt_simulate_on_a_roster_prints_quantiles_and_the_invites_for_a_90pct_fill(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["simulate", str(SKINCARE), "--samples", "500", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "expected to sign" in result.output and "for a 90% chance to fill every tier and platform" in result.output
    assert "chance that all 120 sign: under 0.1%" in result.output  # never a figure like 6.2e-60
    assert not re.search(r"\de-\d", result.output)
    data = json.loads((tmp_path / "out" / "simulation.json").read_text())
    assert (tmp_path / "out" / "reserves.csv").exists()
    text = json.dumps(data)
    assert "invites_for_90pct_fill" in text and "probability_plan_filled" in text


def test_mixopt_simulate_on_a_roster_repeats_byte_for_byte(tmp_path: Path) -> None:
    args = ["simulate", str(SKINCARE), "--samples", "300", "--seed", "3", "--format", "csv"]
    first, second = CliRunner().invoke(cli, args), CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output


def test_solve_simulate_on_a_roster_appends_the_creators_simulation_and_writes_its_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["solve", str(SKINCARE), "--no-explain", "--simulate", "300", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.index("Chosen: 120 creators") < result.output.index("300 joint draws, seed 0")
    assert "expected to sign" in result.output
    assert {"simulation.csv", "simulation.json", "reserves.csv", "run.json"} <= {p.name for p in out.iterdir()}
    data = json.loads(CliRunner().invoke(cli, ["solve", str(SKINCARE), "--no-explain", "--simulate", "300",
                                               "--format", "json"]).stdout)
    assert data["simulation"]["samples"] == 300
