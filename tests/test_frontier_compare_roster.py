"""Frontiers and comparisons of roster scenarios (named creators) through the plan contract.

A roster frontier point is a roster solve certified within the roster's gap: it must agree with a
single roster solve at the same floor within both solves' proven bounds, the points must be
non-dominated, and tier frontiers and comparisons must keep exactly their old shape. The data are
in tests/data/compare/: a 200-creator table, a roster brief, a variant of it, the same brief by
tier, and a budget too small for any plan.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import mixopt
import mixopt.analysis.frontier as frontier_module
from mixopt.analysis.compare import compare_plans
from mixopt.analysis.frontier import FrontierResult, trace_frontier
from mixopt.cli.app import cli
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.plan import RosterPlan, make_roster_plan
from mixopt.roster.table import load_roster
from mixopt.scenario.schema import Objective, Scenario
from tests.conftest import ROOT, SCENARIOS

DATA = Path("tests") / "data" / "compare"  # relative to the repository, as a planner types it
ROSTER = DATA / "roster_small.yaml"
ROSTER_REACH = DATA / "roster_small_reach.yaml"
TIER = DATA / "tier_small.yaml"
IMPOSSIBLE = DATA / "roster_small_impossible.yaml"
GAP = 0.001  # roster.mip_gap of roster_small.yaml


@pytest.fixture(autouse=True)
def _in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def roster_scenario() -> Scenario:
    return mixopt.load_scenario(ROOT / ROSTER)


@pytest.fixture(scope="module")
def frontier(roster_scenario: Scenario) -> FrontierResult:
    return trace_frontier(roster_scenario, "reach", "conversions", points=4)


def _single(scenario: Scenario, x: str, y: str, floor: float) -> RosterPlan:
    """One roster solve maximising y with at least ``floor`` of x (the scenario's own floor kept)."""
    targets = scenario.targets.model_copy(update={x: max(getattr(scenario.targets, x) or 0.0, floor)})
    retargeted = scenario.model_copy(update={"objective": Objective(maximize=y), "targets": targets})
    return optimize_roster(retargeted, mip_gap=GAP)


def _tol(value: float) -> float:
    return 1e-7 * max(1.0, abs(value))


def _assert_non_dominated_within_the_gap(result: FrontierResult) -> None:
    points = [p for p in result.points if p.plan is not None]
    for p in points:
        for q in points:
            if q.x_value >= p.x_value:
                # q meets p's floor, so q's y can beat p's by no more than p's proven bound allows
                assert q.y_value <= p.y_bound + _tol(p.y_bound)
                # and it does not beat it at all: a better plan at a higher floor is kept for the lower one
                assert q.y_value <= p.y_value + _tol(p.y_value)


def test_roster_frontier_points_equal_single_roster_solves_with_the_same_floor_within_the_gap(
        frontier: FrontierResult, roster_scenario: Scenario) -> None:
    points = [p for p in frontier.points if p.plan is not None]
    assert frontier.mode == "roster" and frontier.mip_gap == GAP and len(points) == 4
    for p in points:
        single = _single(roster_scenario, "reach", "conversions", p.floor)
        assert single.status.has_plan and single.feasible
        assert p.plan.feasible and p.plan.mode == "roster"
        assert p.x_value >= max(p.floor, roster_scenario.targets.reach) - _tol(p.floor)
        assert p.gap is not None and 0 <= p.gap <= GAP + 1e-12
        assert p.y_bound >= p.y_value - _tol(p.y_value)
        assert math.isclose(p.gap, (p.y_bound - p.y_value) / abs(p.y_value), rel_tol=1e-9, abs_tol=1e-12)
        # both are within their gaps of the same optimum: each value lies under the other's proven bound
        assert p.y_value <= single.bound + _tol(single.bound)
        assert single.objective_value <= p.y_bound + _tol(p.y_bound)
        assert p.y_value >= (1 - GAP) * single.objective_value - _tol(single.objective_value)


def test_roster_frontier_runs_from_the_most_y_plan_to_the_most_x_plan(
        frontier: FrontierResult, roster_scenario: Scenario) -> None:
    points = [p for p in frontier.points if p.plan is not None]
    most_y = optimize_roster(roster_scenario.model_copy(update={"objective": Objective(maximize="conversions")}))
    most_x = optimize_roster(roster_scenario.model_copy(update={"objective": Objective(maximize="reach")}))
    assert math.isclose(points[0].floor, most_y.totals["reach"], rel_tol=1e-12)
    assert math.isclose(points[-1].floor, most_x.totals["reach"], rel_tol=1e-8)
    assert points[0].y_value >= (1 - GAP) * most_y.bound - _tol(most_y.bound)
    assert points[-1].x_value >= (1 - GAP) * most_x.bound - _tol(most_x.bound)


def test_roster_frontier_points_are_non_dominated_within_the_gap(frontier: FrontierResult) -> None:
    _assert_non_dominated_within_the_gap(frontier)
    ys = [p.y_value for p in frontier.points if p.plan is not None]
    assert ys == sorted(ys, reverse=True)


def test_roster_frontier_of_profit_by_engagements_is_non_dominated_and_certified(roster_scenario: Scenario) -> None:
    result = trace_frontier(roster_scenario, "engagements", "profit", points=3)
    points = [p for p in result.points if p.plan is not None]
    assert len(points) == 3
    _assert_non_dominated_within_the_gap(result)
    for p in points:
        assert math.isclose(p.y_value, p.plan.totals["profit"]) and p.gap <= GAP + 1e-12
    assert "profit_best_possible" in result.table().columns


def test_a_weaker_plan_at_a_low_floor_is_replaced_by_a_better_one_found_higher(
        roster_scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """A solve that stops at a poor plan (here: the lowest floor answered with the most-reach plan,
    under its own proven bound) is replaced by a plan found for a higher floor that makes more y."""
    roster = load_roster(roster_scenario)
    most_reach = optimize_roster(roster_scenario.model_copy(update={"objective": Objective(maximize="reach")}),
                                 roster=roster)
    real = frontier_module.optimize_roster
    lowest: list[float] = []  # the grid's lowest floor: the most-conversions end plan's reach

    def poor_first_point(scenario: Scenario, options: object, *, mip_gap: float, roster: object,
                         reserves: bool = True) -> object:
        plan = real(scenario, options, mip_gap=mip_gap, roster=roster, reserves=reserves)
        if scenario.objective.maximize != "conversions":
            return plan
        if scenario.targets == roster_scenario.targets:  # the end solve (both ends come before any point)
            lowest.append(float(plan.totals["reach"]))
        elif scenario.targets.reach == max(lowest[0], roster_scenario.targets.reach or 0.0):
            # the lowest floor's point, found by its floor: points may be solved two at a time
            sol = dataclasses.replace(most_reach.solution, bound=plan.bound)
            return make_roster_plan(scenario, plan.roster, sol)
        return plan

    monkeypatch.setattr(frontier_module, "optimize_roster", poor_first_point)
    result = trace_frontier(roster_scenario, "reach", "conversions", points=4)
    first = result.points[0]
    assert first.repeats_floor == result.points[1].floor  # the next floor's plan serves the first
    assert first.y_value == result.points[1].y_value > most_reach.totals["conversions"]
    assert first.plan.feasible and first.plan.scenario.targets.reach == first.floor
    assert math.isclose(first.gap, (first.y_bound - first.y_value) / first.y_value, rel_tol=1e-9, abs_tol=1e-12)
    _assert_non_dominated_within_the_gap(result)


def test_tier_frontier_keeps_its_columns_and_json_facts() -> None:
    from mixopt.outputs.run_files import run_tables
    from mixopt.outputs.workbook import Deliverable

    result = trace_frontier(mixopt.load_scenario(SCENARIOS / "hand_solvable.yaml"), points=3)
    assert result.mode == "tier" and result.mip_gap is None
    frame, provenance, facts = run_tables(Deliverable(frontier=result))["frontier"]
    assert list(frame.columns) == [
        "floor", "reach", "conversions", "conversions_given_up_per_million_reach", "spend", "creators", "posts",
        "engagements", "profit", "roi", *[f"creators_{t}" for t in result.scenario.tier_names]]
    assert facts == {"x": "reach", "y": "conversions"}
    assert set(provenance) == {"mixopt_version", "scenario_name", "scenario_file", "scenario_sha256", "solver",
                               "solver_version"}


def test_tier_comparison_keeps_its_rows_and_json_facts() -> None:
    from mixopt.outputs.run_files import run_tables
    from mixopt.outputs.workbook import Deliverable

    plans = [mixopt.optimize(SCENARIOS / name, explain=False) for name in ("awareness_launch.yaml", "sales_push.yaml")]
    comparison = compare_plans(plans)
    frame, _, facts = run_tables(Deliverable(comparison=comparison))["compare"]
    assert not comparison.has_roster
    assert list(frame.loc[frame["section"] == "goal", "item"]) == ["objective", "status"]
    assert set(facts) == {"plans", "files"}
    cells = [f"{t}.{p}" for t in ("pico", "nano", "micro") for p in ("instagram", "tiktok", "youtube")]
    assert list(frame.loc[frame["section"] == "creators", "item"]) == cells


def test_comparison_cells_are_the_union_over_the_plans_by_tier_then_platform(write_scenario) -> None:
    roster = mixopt.optimize(ROOT / ROSTER, explain=False)
    macro = write_scenario({"name": "with macro", "budget": 5000, "objective": {"maximize": "reach"},
                            "platforms": ["youtube", "instagram"],
                            "tiers": {"nano": [1000, 10000], "micro": [10000, 100000],
                                      "macro": [100000, 1000000]}})
    tier = mixopt.optimize(macro, explain=False)
    frame = compare_plans([roster, tier]).table()
    items = list(frame.loc[frame["section"] == "spend", "item"])
    expected = [f"{t}.{p}" for t in ("pico", "nano", "micro", "macro") for p in ("instagram", "tiktok", "youtube")
                if (t, p) in set(roster.scenario.cells) | set(tier.scenario.cells)]
    assert items == expected
    spend = frame[frame["section"] == "spend"].set_index("item")
    for row in roster.allocation.itertuples(index=False):
        assert spend.loc[f"{row.tier}.{row.platform}", roster.scenario.name] == row.spend
    assert spend.loc["macro.youtube", roster.scenario.name] == 0.0
    assert math.isclose(spend[roster.scenario.name].sum(), roster.totals["spend"], rel_tol=1e-12)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_compare_roster_against_tier_says_which_plans_name_creators() -> None:
    roster = mixopt.optimize(ROOT / ROSTER, explain=False)
    tier = mixopt.optimize(ROOT / TIER, explain=False)
    code, out, _ = _run("compare", str(ROSTER), str(TIER))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "mixopt 0.1.0  compare  2 plans"
    assert lines[1] == (f"  A = Small launch - named creators  ({ROSTER})  roster plan: "
                        f"{int(roster.totals['creators'])} named creators from {DATA / 'creators.csv'}, "
                        f"certified gap {100 * roster.gap:.3f}%")
    assert lines[2] == f"  B = Small launch - by tier  ({TIER})  tier plan: creators per tier and platform, exact"
    signing = float(roster.selected["acceptance_rate"].sum())  # each named creator signs at its own rate
    assert lines[3] == (f"  Note: A's invites are its {int(roster.totals['creators'])} named creators, one each; at the "
                        f"planning acceptance rates about {signing:,.0f} of them sign, so A needs reserves ('mixopt "
                        "simulate' gives how many for a 90% chance to fill it). A tier plan's invites already allow "
                        "for declines.")
    assert "  plan        named creators  creators per cell" in lines
    assert f"  gap                 {100 * roster.gap:.3f}%             0.000%" in lines
    spend = f"{roster.totals['spend']:,.0f}", f"{tier.totals['spend']:,.0f}"
    assert any(line.startswith("  spend USD") and line.split()[2:4] == list(spend) for line in lines)


def test_compare_roster_against_roster_lines_up_both_choices_of_creators(tmp_path: Path) -> None:
    a = mixopt.optimize(ROOT / ROSTER, explain=False)
    b = mixopt.optimize(ROOT / ROSTER_REACH, explain=False)
    code, out, _ = _run("compare", str(ROSTER), str(ROSTER_REACH), "--out", str(tmp_path))
    assert code == 0
    assert f"  B = Small launch - named creators, most reach  ({ROSTER_REACH})  roster plan: " \
           f"{int(b.totals['creators'])} named creators from {DATA / 'creators.csv'}, " \
           f"certified gap {100 * b.gap:.3f}%" in out.splitlines()
    assert "  objective  max conversions       max reach" in out.splitlines()
    assert out.endswith(f"\nWrote {tmp_path / 'comparison.csv'}, {tmp_path / 'comparison.json'}, "
                        f"{tmp_path / 'comparison.xlsx'}, {tmp_path / 'run.json'}\n")
    data = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    assert data["modes"] == ["roster", "roster"]
    assert data["creator_tables"] == [str(DATA / "creators.csv")] * 2
    assert len(data["creator_table_sha256"][0]) == 64
    rows = {(r["section"], r["item"]): r for r in data["rows"]}
    diff = f"{b.scenario.name} - {a.scenario.name}"
    assert rows[("goal", "plan")][a.scenario.name] == "named creators"
    assert rows[("goal", "gap")][diff] is None
    assert math.isclose(rows[("totals", "reach")][diff], b.totals["reach"] - a.totals["reach"], rel_tol=1e-9)
    code, csv_out, _ = _run("compare", str(ROSTER), str(ROSTER_REACH), "--format", "csv")
    assert code == 0 and csv_out == (tmp_path / "comparison.csv").read_text(encoding="utf-8")
    sheet = openpyxl.load_workbook(tmp_path / "comparison.xlsx")["Comparison"]
    assert [c.value for c in sheet[1]][:4] == ["Section", "Item", "A", "B"]  # plans lettered; the legend on the Summary


def test_compare_json_is_the_same_bytes_run_after_run() -> None:
    first = _run("compare", str(TIER), str(ROSTER), "--format", "json")
    second = _run("compare", str(TIER), str(ROSTER), "--format", "json")
    assert first[0] == 0 and first == second
    data = json.loads(first[1])
    assert data["modes"] == ["tier", "roster"] and data["creator_tables"][0] is None


def test_frontier_of_a_roster_scenario_says_its_points_are_within_the_gap(tmp_path: Path) -> None:
    code, out, _ = _run("frontier", str(ROSTER), "--points", "3", "--out", str(tmp_path))
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == f"Creator table: {DATA / 'creators.csv'}  (200 creators)"
    assert lines[2].startswith("Most conversions for each level of reach: 3 Pareto-optimal choices of named creators, "
                               "each within its certified gap of the most conversions possible (largest ")
    assert lines[2].endswith(", allowed 0.100%), not exact (CLP (cylp) + HiGHS " + lines[2].rsplit("HiGHS ", 1)[1])
    assert lines[5].split() == ["reach", "conversions", "best", "possible", "conversions", "gap", "conversions",
                                "given", "up", "per", "+1M", "reach", "spend", "USD", "pico", "nano", "micro",
                                "creators", "ROI"]
    assert "(figures within the certified gaps)." in out
    written = [tmp_path / f"frontier.{ext}" for ext in ("csv", "json", "xlsx", "png")]
    assert all(p.stat().st_size > 0 for p in written)
    data = json.loads((tmp_path / "frontier.json").read_text(encoding="utf-8"))
    assert data["kind"] == "within_certified_gap" and data["mip_gap"] == GAP
    assert data["provenance"]["creator_table"] == str(DATA / "creators.csv")
    assert all(0 <= row["gap"] <= GAP and row["conversions"] <= row["conversions_best_possible"] + 1e-6
               for row in data["rows"])
    frame = pd.read_csv(tmp_path / "frontier.csv")
    assert list(frame.columns[:6]) == ["floor", "reach", "conversions", "conversions_best_possible", "gap",
                                       "conversions_given_up_per_million_reach"]
    sheet = openpyxl.load_workbook(tmp_path / "frontier.xlsx")["Frontier"]
    assert [c.value for c in sheet[1]][3:5] == ["Best possible conversions", "Gap to the proven best"]
    code, csv_out, _ = _run("frontier", str(ROSTER), "--points", "3", "--format", "csv")
    assert code == 0 and csv_out == (tmp_path / "frontier.csv").read_text(encoding="utf-8")


def test_roster_frontier_and_compare_refuse_the_cbc_solver_in_one_line() -> None:
    for args in (["frontier", str(ROSTER)], ["compare", str(TIER), str(ROSTER)]):
        code, out, err = _run(*args, "--solver", "cbc")
        assert code == 2 and out == ""
        assert err == ("(command line): --solver: is tier mode only (a roster scenario is solved by CLP and HiGHS). "
                       f"Drop --solver for {ROSTER}.\n")


def test_compare_with_a_roster_scenario_without_a_plan_exits_3_naming_it() -> None:
    code, out, err = _run("compare", str(TIER), str(IMPOSSIBLE))
    assert code == 3 and out == ""
    assert err.startswith(f"{IMPOSSIBLE}: rules: no plan satisfies every rule of this scenario")
