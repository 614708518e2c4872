"""Roster scenarios with no plan: why, the smallest change (confirmed by a solve) and a ready-to-run relaxed.yaml.

The scenarios in tests/data/roster_infeasible/ extend base.yaml (which has a plan) with one rule
no choice of its 60 creators can meet. "Smallest" is checked by brute force: no smaller budget
on a grid has a plan (the least feasible budget found by bisection lies within the roster gap of
the cheapest choice reported), and no single other rule could be moved by a smaller share of
its size.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import mixopt
import mixopt.roster.diagnose as roster_diagnose
from mixopt.analysis.diagnose import apply_overrides, diagnose
from mixopt.cli.app import cli
from mixopt.cli.common import diagnosis_lines, no_plan
from mixopt.roster.model import build_roster_model
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.table import load_roster
from mixopt.scenario.fields import with_field
from mixopt.scenario.schema import Objective, Scenario
from mixopt.solvers.types import SolverOptions, SolveStatus
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "roster_infeasible"
HEAD = ": rules: no plan satisfies every rule of this scenario (status infeasible). Why, and the smallest change " \
       "found that lets a plan exist:"
GIVE = "(the rule the least-bending choice of creators had to give on)"
EXPECTED = {
    "reach_too_high": [
        "  - the other rules need a budget of at least 3,679 USD, even with fractions of creators (budget: 3,000 USD)",
        "  - the 60,000 reach target cannot be met: at most 51,611 reach fit the other rules (even with fractions of "
        "creators)",
        "  - the cheapest choice of creators that meets every other rule spends 3,698 USD (budget now 3,000 USD)",
        "  Smallest change: budget 3,700 USD (then the best conversions is 64.6).",
    ],
    "category_min": [
        "  - the other rules need a budget of at least 3,454 USD, even with fractions of creators (budget: 1,500 USD)",
        "  - the cheapest choice of creators that meets every other rule spends 3,454 USD (budget now 1,500 USD)",
        "  Smallest change: budget 3,500 USD (then the best conversions is 52.7).",
    ],
    "category_above_table": [
        "  - roster.categories.beauty.min_creators asks for 10 but the table has 8 beauty creators",
        f"  - the beauty quota of at least 10 creators: change it to 8 {GIVE}",
        "  Smallest change: roster.categories.beauty.min_creators 8 (then the best conversions is 88.6).",
    ],
    "team_capacity": [
        f"  - the team capacity of 10 creators: change it to 12 {GIVE}",
        "  Smallest change: rules.max_creators 12 (then the best conversions is 24.4).",
    ],
    "must_include": [
        "  - the 2 must-include creators alone cost 4,664 USD, more than the budget of 3,000 USD",
        "  - the other rules need a budget of at least 7,773 USD, even with fractions of creators (budget: 3,000 USD)",
        "  - the cheapest choice of creators that meets every other rule spends 7,775 USD (budget now 3,000 USD; no "
        "choice spends less than 7,773 USD)",
        "  Smallest change: budget 7,800 USD (then the best conversions is 64.5).",
    ],
}
OVERRIDES = {"reach_too_high": {"budget": 3700.0}, "category_min": {"budget": 3500.0},
             "category_above_table": {"roster.categories.beauty.min_creators": 8},
             "team_capacity": {"rules.max_creators": 12}, "must_include": {"budget": 7800.0}}


def _load(name: str) -> Scenario:
    return mixopt.load_scenario(DATA / f"{name}.yaml")


def _has_plan(scenario: Scenario, gap: float | None = None) -> bool:
    plan = optimize_roster(scenario, mip_gap=gap)
    assert plan.status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE), plan.status
    return plan.status.has_plan and plan.feasible


def test_the_base_scenario_has_a_plan_and_each_variant_has_none() -> None:
    assert _has_plan(mixopt.load_scenario(DATA / "base.yaml"))
    for name in EXPECTED:
        assert not _has_plan(_load(name)), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_solve_exits_3_with_the_why_and_the_smallest_change_in_the_tier_mode_shape(name: str) -> None:
    path = DATA / f"{name}.yaml"
    result = CliRunner().invoke(cli, ["solve", str(path)], catch_exceptions=False)
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    shown = _load(name).source_file  # how messages name the file (relative to the working directory)
    assert result.stderr.splitlines() == [f"{shown}{HEAD}", *EXPECTED[name],
                                          "  Add --out DIR to write it as a ready-to-run relaxed.yaml."]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_relaxed_yaml_written_with_out_solves_from_another_working_directory(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "results" / "out"
    path = DATA / f"{name}.yaml"
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["solve", str(path.relative_to(ROOT)), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 3, result.output
    relaxed = out / "relaxed.yaml"
    assert result.stderr.splitlines()[-1] == (f"  Wrote {relaxed} (it extends {path.relative_to(ROOT)} with that "
                                              f"change); run: mixopt solve {relaxed}")
    body = yaml.safe_load(relaxed.read_text(encoding="utf-8"))
    assert (relaxed.parent / body["extends"]).resolve() == path  # relative to the relaxed file, not the cwd
    assert "roster" not in body or "file" not in body["roster"]  # the table stays where the original set it
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    solved = CliRunner().invoke(cli, ["solve", "../results/out/relaxed.yaml", "--format", "json"],
                                catch_exceptions=False)
    assert solved.exit_code == 0, solved.output
    plan = json.loads(solved.stdout)
    assert plan["status"] == "optimal"
    relaxed_scenario = mixopt.load_scenario(relaxed)
    table = "creators_must.csv" if name == "must_include" else "creators.csv"
    assert Path(relaxed_scenario.roster_path).resolve() == DATA / table
    for field, value in OVERRIDES[name].items():
        assert mixopt.scenario.fields.field_value(relaxed_scenario, field) == value


@pytest.mark.parametrize("name", ["reach_too_high", "must_include", "category_min"])
def test_no_smaller_budget_on_a_grid_has_a_plan_and_the_least_one_is_within_the_gap(name: str) -> None:
    s = _load(name)
    d = diagnose(s)
    suggested = d.overrides["budget"]
    assert set(d.overrides) == {"budget"} and suggested % 100 == 0
    assert _has_plan(with_field(s, "budget", suggested))
    cheapest = optimize_roster(s.model_copy(update={"budget": None, "objective": Objective(minimize="spend")}))
    spend = cheapest.totals["spend"]
    assert f"the cheapest choice of creators that meets every other rule spends {spend:,.0f} USD" in d.findings[-1]
    assert suggested == math.ceil(spend / 100) * 100  # the cheapest choice's spend, rounded up to the next 100
    # on the planner's grid of 100 from the scenario's budget, no smaller budget has a plan
    assert not any(_has_plan(with_field(s, "budget", b)) for b in range(int(s.budget), int(suggested), 100))
    # and every 10 below the cheapest spend (less the roster gap) has none either
    floor = spend * (1 - s.roster.mip_gap)
    assert not any(_has_plan(with_field(s, "budget", b)) for b in range(int(suggested) - 100, math.ceil(floor) - 1, 10))
    # bisection with exact solves: the least whole budget with a plan is the cheapest spend, within the gap
    low, high = int(suggested) - 100, int(suggested)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if _has_plan(with_field(s, "budget", middle), gap=0.0) else (middle, high)
    assert floor - 1 <= high <= math.ceil(spend)


def test_the_team_capacity_change_is_smaller_than_any_other_single_rule_change() -> None:
    s = _load("team_capacity")
    d = diagnose(s)
    assert d.overrides == {"rules.max_creators": 12}
    assert not _has_plan(with_field(s, "rules.max_creators", 11))

    def least_move(path: str, values: range) -> int:
        return next(v for v in values if _has_plan(with_field(s, path, v)))

    capacity = least_move("rules.max_creators", range(10, 30))
    pico = least_move("rules.tiers.pico.min_creators", range(6, -1, -1))
    nano = least_move("rules.tiers.nano.min_creators", range(6, -1, -1))
    assert capacity == 12
    # each move as a share of the rule's size: the capacity's +2 of 10 beats -2 of 6 on either minimum
    assert (capacity - 10) / 10 < min((6 - pico) / 6, (6 - nano) / 6)


def test_a_category_quota_above_the_table_is_lowered_to_the_largest_quota_with_a_plan() -> None:
    s = _load("category_above_table")
    d = diagnose(s)
    assert d.overrides == {"roster.categories.beauty.min_creators": 8}
    assert d.conflicts == ("roster.categories.beauty.min_creators asks for 10 but the table has 8 beauty creators",)
    assert not _has_plan(with_field(s, "roster.categories.beauty.min_creators", 9))
    relaxed = optimize_roster(with_field(s, "roster.categories.beauty.min_creators", 8))
    assert relaxed.status.has_plan and d.relaxed_objective == relaxed.objective_value


def test_one_rule_moved_further_beats_several_rules_moved_a_little(monkeypatch: pytest.MonkeyPatch) -> None:
    s = _load("least_spend_capacity")
    assert not _has_plan(s)
    d = diagnose(s)
    assert set(d.overrides) == {"targets.reach"}
    # the largest reach target the other rules allow (an exact solve with the target set aside)
    free = s.model_copy(update={"targets": s.targets.model_copy(update={"reach": None}),
                                "objective": Objective(maximize="reach")})
    most = optimize_roster(free, mip_gap=0.0)
    assert most.gap == 0.0 and d.overrides["targets.reach"] == math.floor(most.objective_value or 0.0)
    assert d.findings[-1] == (f"the 50,000 reach target: change it to {math.floor(most.objective_value or 0):,} {GIVE}")
    monkeypatch.setattr(roster_diagnose, "RULE_MOVE_COST", 0.0)  # without the charge per moved rule
    several = diagnose(s)
    assert len(several.overrides) > 1 and several.relaxed_objective is not None


@pytest.mark.parametrize("name", ["team_capacity", "category_above_table"])
def test_large_rosters_find_the_rules_to_move_from_the_lp_relaxation_and_confirm_them(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    exact = diagnose(_load(name))
    monkeypatch.setattr(roster_diagnose, "EXACT_ELASTIC_CREATORS", 0)  # the LP path, as above 2,000 creators
    lp = diagnose(_load(name))
    assert lp.overrides == exact.overrides
    assert lp.relaxed_objective == exact.relaxed_objective
    assert lp.findings[-1].endswith("had to give on; found with fractions of creators)")


def test_a_relaxation_one_step_short_is_widened_until_a_plan_exists() -> None:
    s = _load("team_capacity")
    model = build_roster_model(s, load_roster(s))
    side = next(x for x in roster_diagnose._sides(model) if x.path == "rules.max_creators")
    changes, plan = roster_diagnose._confirmed(model, {side.path: (side, 10)}, SolverOptions(mip_gap=1e-3))
    assert plan is not None and plan.feasible
    assert changes[side.path][1] == 12  # 10 and 11 have no plan; one step at a time


def test_no_plan_and_diagnosis_lines_take_a_roster_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = _load("team_capacity")
    options = mixopt.api.solver_options_for(s)
    plan = mixopt.optimize(s, options, explain=False)
    assert plan.mode == "roster" and plan.status is SolveStatus.INFEASIBLE
    lines = diagnosis_lines(plan.scenario, plan.status, options, None)
    assert lines == [f"{s.source_file}{HEAD}", *EXPECTED["team_capacity"],
                     "  Add --out DIR to write it as a ready-to-run relaxed.yaml."]
    with pytest.raises(SystemExit) as stopped:
        no_plan(plan, options, tmp_path)
    assert stopped.value.code == 3
    printed = capsys.readouterr().err.splitlines()
    assert printed[:-1] == lines[:-1]
    assert printed[-1].startswith(f"  Wrote {tmp_path / 'relaxed.yaml'} (it extends ")
    assert mixopt.load_scenario(tmp_path / "relaxed.yaml").rules.max_creators == 12


def _variant(write_scenario, text: str) -> Scenario:
    return mixopt.load_scenario(write_scenario(f"extends: {(DATA / 'base.yaml').resolve()}\n{text}"))


@pytest.mark.parametrize(("text", "path", "step"), [
    ("targets: {roi: 20}\n", "targets.roi", 0.01),
    ("limits: {cpa: 5}\n", "limits.cpa", -0.01),
])
def test_an_impossible_efficiency_rule_is_moved_only_as_far_as_a_plan_needs(write_scenario, text: str, path: str,
                                                                          step: float) -> None:
    """The ROI floor (CPA ceiling) is the rule named, lowered (raised) to the tightest value with a plan, to 0.01."""
    s = _variant(write_scenario, text)
    assert not _has_plan(s)
    d = diagnose(s)
    assert list(d.overrides) == [path]
    value = d.overrides[path]
    word = "ROI target" if path == "targets.roi" else "CPA limit"
    assert any(line.startswith(f"the {word} of ") and "change it to" in line for line in d.findings)
    assert _has_plan(with_field(s, path, value))
    assert not _has_plan(with_field(s, path, round(value + step, 2)))


@pytest.mark.parametrize(("text", "path"), [
    ("roster:\n  resource_floors: {fit_score: 100}\n", "roster.resource_floors.fit_score"),
    ("rules:\n  tiers:\n    pico: {min_budget_share: 0.9}\n", "rules.tiers.pico.min_budget_share"),
    ("targets: {profit: 100000}\n", "targets.profit"),
])
def test_resource_floors_budget_shares_and_profit_targets_are_bent_and_confirmed(write_scenario, text: str,
                                                                                 path: str) -> None:
    s = _variant(write_scenario, text)
    assert not _has_plan(s)
    d = diagnose(s)
    assert list(d.overrides) == [path]
    assert _has_plan(apply_overrides(s, d.overrides))
    assert d.relaxed_objective is not None
