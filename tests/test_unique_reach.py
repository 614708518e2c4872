"""Unique reach and frequency: creators of one niche share part of their audience and platforms
overlap, so unique reach is concave in creators and at most the summed reach; the plan model's
unique reach equals the independent exact formula, maximising it matches brute force, overlap
can be switched off, and bad audience values are refused in one line each."""

from __future__ import annotations

import copy
import itertools
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import mixopt
from mixopt import scenario_from_dict
from mixopt.cli.app import cli
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.outcomes import apply_curve, evaluate_mix
from mixopt.scenario.schema import AudienceSettings, Objective, Targets
from mixopt.tier.check import check_mix, exact_unique_reach
from mixopt.tier.model import build_model, unique_reach_points
from mixopt.tier.solve import solve
from tests.conftest import SCENARIOS


def _cell_numbers(followers: float, fee: float, pool: int) -> dict[str, float]:
    return {"typical_followers": followers, "reach_rate": 0.5, "engagement_rate": 0.05, "conversion_rate": 0.1,
            "fee_per_post": fee, "product_cost": 0, "handling_cost": 0, "acceptance_rate": 1.0, "pool": pool,
            "max_posts": 1}


def _small(curve: object = "none", cross: float = 0.3, budget: float = 2500, goal: str = "unique_reach") -> dict:
    """Two tiers on two platforms, small pools, audiences small enough that creators overlap a lot."""
    return {
        "name": "small overlap",
        "budget": budget,
        "objective": {"maximize": goal},
        "platforms": ["instagram", "tiktok"],
        "tiers": {"nano": [1000, 10000], "micro": [10000, 100000]},
        "diminishing_returns": curve,
        "audience": {"cross_platform_overlap": cross},
        "assumptions": {
            "nano.instagram": {**_cell_numbers(2000, 100, 6), "audience": 3000},
            "nano.tiktok": {**_cell_numbers(3000, 150, 5), "audience_overlap": 0.4},
            "micro.instagram": {**_cell_numbers(20000, 500, 4), "audience": 25000},
            "micro.tiktok": {**_cell_numbers(16000, 400, 3), "audience_overlap": 0.2},
        },
        "rules": {"max_creators": 9},
    }


def _creators(plan: mixopt.Plan) -> dict[str, int]:
    return {f"{r.tier}.{r.platform}": int(r.creators) for r in plan.allocation.itertuples()}


def _model_value(scenario: mixopt.Scenario) -> float:
    """The main objective as the solver found it in the model (not recomputed from the plan)."""
    solution = solve(build_model(scenario))
    assert solution.status.has_plan and solution.objective is not None
    return solution.objective


def _base(**update: object) -> mixopt.Scenario:
    return mixopt.load_scenario(SCENARIOS / "base.yaml").model_copy(update=update)


def test_unique_reach_never_exceeds_summed_reach_and_is_concave_in_creators() -> None:
    scenarios = [mixopt.load_scenario(SCENARIOS / "base.yaml"), scenario_from_dict(_small()),
                 scenario_from_dict(_small(curve=[[0.25, 1.0], [0.5, 0.8], [1.0, 0.6]]))]
    for cell in (c for s in scenarios for c in resolve_cells(s)):
        points = unique_reach_points(cell)
        top = cell.max_linear("reach")
        for n, value in enumerate(points):
            assert value <= apply_curve(cell.curve, top, cell.reach_per_creator * n) + 1e-9, (cell.key, n)
            assert value <= cell.audience + 1e-9
        steps = [b - a for a, b in zip(points, points[1:])]
        assert all(step >= -1e-9 for step in steps), cell.key  # more creators never reach fewer people
        assert all(b <= a + 1e-9 for a, b in zip(steps, steps[1:])), cell.key  # each adds fewer new people
        if len(points) > 2 and math.isfinite(cell.audience):
            assert steps[-1] < steps[0]  # overlap bites: strictly concave somewhere


def test_one_creator_reaches_its_own_reach_and_many_tend_to_the_audience() -> None:
    cell = next(c for c in resolve_cells(scenario_from_dict(_small())) if c.key == "nano.instagram")
    points = unique_reach_points(cell)
    assert points[1] == pytest.approx(cell.reach_per_creator)  # 1,000 people
    assert points[6] == pytest.approx(3000 * (1 - (1 - 1000 / 3000) ** 6))  # 2,736.6 of 3,000
    assert points[6] < 6 * cell.reach_per_creator


def test_the_plans_unique_reach_equals_the_independent_formula_at_the_optimum() -> None:
    scenario = _base(objective=Objective(maximize="unique_reach"))
    plan = mixopt.optimize(scenario, explain=False)
    assert plan.status is mixopt.SolveStatus.OPTIMAL and plan.feasible
    exact = float(exact_unique_reach(resolve_cells(plan.scenario), _creators(plan)))
    assert _model_value(scenario) == pytest.approx(exact, rel=1e-9)
    assert plan.objective_value == pytest.approx(exact, rel=1e-9)
    assert plan.totals["unique_reach"] == pytest.approx(exact, rel=1e-12)
    assert plan.totals["unique_reach"] < plan.totals["reach"]
    assert plan.totals["frequency"] == pytest.approx(plan.totals["impressions"] / plan.totals["unique_reach"])
    reach_plan = mixopt.optimize(_base(), explain=False)
    assert plan.totals["unique_reach"] >= reach_plan.totals["unique_reach"] - 1e-6  # it is the better buy of people


@pytest.mark.parametrize("curve, cross", [("none", 0.3), ("none", 0.0), ([[0.25, 1.0], [0.5, 0.7], [1.0, 0.4]], 0.5)],
                         ids=["no curve, 30% cross-platform", "no cross-platform overlap", "curve, 50% cross-platform"])
def test_maximising_unique_reach_matches_brute_force_on_a_small_scenario(curve: object, cross: float) -> None:
    scenario = scenario_from_dict(_small(curve=curve, cross=cross))
    cells = resolve_cells(scenario)
    best = -1.0
    for mix in itertools.product(*(range(c.accepting_pool + 1) for c in cells)):
        spend = sum(n * c.fee_per_post for n, c in zip(mix, cells))
        if spend <= scenario.budget and sum(mix) <= 9:
            best = max(best, float(exact_unique_reach(cells, dict(zip((c.key for c in cells), mix)))))
    plan = mixopt.optimize(scenario, explain=False)
    assert plan.status is mixopt.SolveStatus.OPTIMAL and plan.feasible
    assert _model_value(scenario) == pytest.approx(best, rel=1e-9)  # the model's own unique reach
    assert plan.totals["unique_reach"] == pytest.approx(best, rel=1e-9)
    assert max(_creators(plan).values()) >= 3  # deep enough into a cell for the overlap to bite


def test_overlap_off_reproduces_summed_reach() -> None:
    off = AudienceSettings(overlap=False)
    plan = mixopt.optimize(_base(audience=off), explain=False)
    assert plan.totals["unique_reach"] == plan.totals["reach"]
    assert list(plan.allocation["unique_reach"]) == list(plan.allocation["reach"])
    scenario = _base(audience=off, objective=Objective(maximize="unique_reach"))
    unique = mixopt.optimize(scenario, explain=False)
    assert unique.objective_value == pytest.approx(plan.objective_value, rel=1e-12)
    assert _model_value(scenario) == pytest.approx(plan.objective_value, rel=1e-9)
    assert _creators(unique) == _creators(plan)


def test_the_default_reach_goal_and_its_plan_do_not_change_with_overlap() -> None:
    on = mixopt.optimize(_base(), explain=False)
    off = mixopt.optimize(_base(audience=AudienceSettings(overlap=False)), explain=False)
    assert _creators(on) == _creators(off) and on.totals["reach"] == off.totals["reach"]
    assert on.totals["unique_reach"] < on.totals["reach"]  # reported beside it


def test_a_unique_reach_target_is_met_and_rechecked_independently() -> None:
    reach_plan = mixopt.optimize(_base(), explain=False)
    floor = math.ceil(reach_plan.totals["unique_reach"]) + 100  # more than the reach plan reaches
    plan = mixopt.optimize(_base(targets=Targets(unique_reach=floor)), explain=False)
    assert plan.status is mixopt.SolveStatus.OPTIMAL and plan.feasible
    check = next(c for c in plan.checks if c.rule == "target[unique_reach]")
    assert check.holds and check.value >= floor - 1e-6 and check.unit == "people"
    assert plan.totals["unique_reach"] >= floor - 1e-6
    assert plan.totals["reach"] <= reach_plan.totals["reach"]  # the floor costs summed reach


def test_a_mix_below_the_unique_reach_target_breaks_the_rule() -> None:
    scenario = scenario_from_dict({**_small(goal="reach"), "targets": {"unique_reach": 5000}})
    cells = resolve_cells(scenario)
    allocation = evaluate_mix(cells, {"nano.instagram": 6}, {"nano.instagram": 6},
                                                       scenario.economics)
    check = next(c for c in check_mix(scenario, cells, allocation) if c.rule == "target[unique_reach]")
    assert not check.holds  # 6 creators of a 3,000-person audience reach 2,737 people, not 5,000
    assert check.value == pytest.approx(3000 * (1 - (2 / 3) ** 6), rel=1e-12)


def test_the_most_specific_audience_override_wins() -> None:
    data = copy.deepcopy(_small())
    data["assumptions"]["nano"] = {"audience_overlap": 0.1}
    data["assumptions"]["nano.tiktok"]["audience"] = 7000  # beside its audience_overlap: people win
    cells = {c.key: c for c in resolve_cells(scenario_from_dict(data))}
    assert cells["nano.tiktok"].audience == 7000 and cells["nano.tiktok"].audience_origin == "scenario (nano.tiktok)"
    assert cells["nano.instagram"].audience == 3000
    assert cells["micro.tiktok"].audience == pytest.approx(8000 / 0.2)
    default = {c.key: c for c in resolve_cells(mixopt.load_scenario(SCENARIOS / "base.yaml"))}["nano.tiktok"]
    assert default.audience == pytest.approx(default.reach_per_creator / 0.02) and default.audience_origin == "default"


def test_frequency_is_impressions_per_unique_person_in_every_row() -> None:
    plan = mixopt.optimize(scenario_from_dict(_small()), explain=False)
    for row in plan.allocation.itertuples():
        if row.unique_reach > 0:
            assert row.frequency == pytest.approx(row.impressions / row.unique_reach)
        else:
            assert math.isnan(row.frequency)


BAD = [
    ("assumptions:\n  nano.tiktok: {audience: -5}\n", "assumptions.nano.tiktok.audience: must be above 0 (got -5)"),
    ("assumptions:\n  nano.tiktok: {audience: 0}\n", "assumptions.nano.tiktok.audience: must be above 0 (got 0)"),
    ("assumptions:\n  nano: {audience: lots}\n", "assumptions.nano.audience: must be a number (got 'lots')"),
    ("assumptions:\n  micro: {audience_overlap: 1.5}\n", "assumptions.micro.audience_overlap: must be at most 1"),
    ("assumptions:\n  micro: {audience_overlap: 0}\n", "assumptions.micro.audience_overlap: must be above 0 (got 0)"),
    ("audience: {overlap: maybe}\n", "audience.overlap: must be true or false (got 'maybe')"),
    ("audience: {cross_platform_overlap: 2}\n", "audience.cross_platform_overlap: must be at most 1 (got 2)"),
    ("targets: {unique_reach: -1}\n", "targets.unique_reach: must not be negative (got -1)"),
]


@pytest.mark.parametrize("text, line", BAD, ids=[b[1].split(":")[0] + " " + b[0].split()[-1] for b in BAD])
def test_bad_audience_values_give_one_line_errors(tmp_path: Path, text: str, line: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {(SCENARIOS / 'base.yaml').resolve()}\n{text}", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(f"{path}: {line}"), lines[0]


def test_a_roster_scenario_may_maximise_unique_reach_and_least_spend_may_floor_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(f"extends: {(SCENARIOS / 'roster_skincare.yaml').resolve()}\n"
                    "objective: {maximize: unique_reach}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    least = tmp_path / "least.yaml"
    least.write_text(f"extends: {(SCENARIOS / 'base.yaml').resolve()}\n"
                     "objective: {minimize: spend}\ntargets: {reach: null, unique_reach: 100000}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(least)])
    assert result.exit_code == 0, result.output


def test_a_value_weight_on_unique_reach_prices_people_reached() -> None:
    scenario = scenario_from_dict(_small())
    best = mixopt.optimize(scenario, explain=False)
    blend = scenario.model_copy(update={"objective": Objective(maximize="value", value_per_unit={"unique_reach": 0.05})})
    plan = mixopt.optimize(blend, explain=False)
    assert _model_value(blend) == pytest.approx(0.05 * best.totals["unique_reach"], rel=1e-9)
    assert plan.totals["unique_reach"] == pytest.approx(best.totals["unique_reach"], rel=1e-9)


def test_plan_files_carry_unique_reach_and_frequency() -> None:
    import csv
    import io
    import json

    from mixopt.outputs.plan_files import plan_csv, plan_json

    plan = mixopt.optimize(scenario_from_dict(_small()), explain=False)
    rows = list(csv.DictReader(io.StringIO(plan_csv(plan))))
    used = [r for r in rows if r["tier"] != "total" and int(r["creators"]) > 0]
    assert used and all(float(r["unique_reach"]) <= float(r["reach"]) + 0.05 for r in used)
    assert all(float(r["frequency"]) == pytest.approx(float(r["impressions"]) / float(r["unique_reach"]), abs=0.01)
               for r in used)
    totals = json.loads(plan_json(plan))["totals"]
    assert totals["unique_reach"] == pytest.approx(plan.totals["unique_reach"], rel=1e-6)
    assert totals["frequency"] == pytest.approx(plan.totals["frequency"], rel=1e-5)
