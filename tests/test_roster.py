"""Roster mode: choosing named creators from a creator table.

The exact reference is a separate PuLP model written here from the formulation (one binary per
creator, each rule a row), solved by CBC with gap 0; mixopt's own path (arrays, CLP LP,
reduced costs, exact core) must land within its certified gap of it, and its bound must never
be below the true optimum.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pulp
import pytest
from click.testing import CliRunner

from mixopt.cli.app import cli
from mixopt.errors import ScenarioError
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.table import build_roster, load_roster, read_creator_table
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.schema import Scenario
from mixopt.solvers.engine import cbc_path
from mixopt.solvers.types import SolveStatus
from mixopt.synth import synthetic_roster
from tests.conftest import ROOT

RULES: dict[str, Any] = {
    "max_creators": 25,
    "tiers": {"micro": {"max_spend_share": 0.6}, "pico": {"min_creators": 2}},
    "platforms": {"youtube": {"max_spend_share": 0.3}},
}


def _scenario(tmp_path: Path, n: int, seed: int, **extra: Any) -> Scenario:
    table = tmp_path / f"roster_{n}_{seed}.csv"
    synthetic_roster(n, seed).to_csv(table, index=False)
    data: dict[str, Any] = {
        "budget": 12.0 * n, "objective": {"maximize": "conversions"}, "rules": {**RULES, "max_creators": max(n // 8, 12)},
        "targets": {"reach": 120.0 * n},
        "roster": {"file": table.name, "categories": {"beauty": {"min_creators": 2}}, "max_per_overlap_group": 2},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return scenario_from_dict(data, file=str(tmp_path / "scenario.yaml"))


def _exact_optimum(scenario: Scenario) -> float | None:
    """The true optimum from a plain PuLP + CBC model (gap 0), written from the formulation."""
    table = load_roster(scenario).table
    n = len(table)
    prob = pulp.LpProblem("roster", pulp.LpMaximize)
    x = [prob.add_variable(f"x{i:06d}", 0, 1, pulp.LpBinary) for i in range(n)]

    def total(values: Any, mask: Any = None) -> pulp.LpAffineExpression:
        values = np.asarray(values, dtype=float)
        idx = range(n) if mask is None else np.nonzero(np.asarray(mask))[0]
        return pulp.LpAffineExpression([(x[i], float(values[i])) for i in idx if values[i] != 0])

    spend = table["spend"].to_numpy()
    prob.setObjective(total(table["conversions"]))
    prob.addConstraint(total(spend) <= scenario.budget, name="budget")
    prob.addConstraint(total(table["reach"]) >= scenario.targets.reach, name="reach")
    prob.addConstraint(total(np.ones(n)) <= scenario.rules.max_creators, name="team")
    micro = (table["tier"] == "micro").to_numpy()
    prob.addConstraint(total(spend * (micro - 0.6)) <= 0, name="micro_share")
    youtube = (table["platform"] == "youtube").to_numpy()
    prob.addConstraint(total(spend * (youtube - 0.3)) <= 0, name="youtube_share")
    prob.addConstraint(total(np.ones(n), table["tier"] == "pico") >= 2, name="pico_count")
    prob.addConstraint(total(np.ones(n), table["category"] == "beauty") >= 2, name="beauty")
    for group, members in table.groupby("overlap_group").groups.items():
        if len(members) > 2:
            mask = (table["overlap_group"] == group).to_numpy()
            prob.addConstraint(total(np.ones(n), mask) <= 2, name=f"overlap_{group}")
    for i in np.nonzero(table["must_include"].to_numpy(dtype=bool))[0]:
        prob.addConstraint(pulp.LpAffineExpression([(x[i], 1.0)]) >= 1, name=f"must_{i}")
    for i in np.nonzero(table["exclude"].to_numpy(dtype=bool))[0]:
        prob.addConstraint(pulp.LpAffineExpression([(x[i], 1.0)]) <= 0, name=f"exclude_{i}")
    prob.solve(pulp.COIN_CMD(path=cbc_path(), msg=False, gapRel=0.0))
    if prob.sol_status != pulp.LpSolutionIntegerFeasible and pulp.LpStatus[prob.status] != "Optimal":
        return None
    if pulp.LpStatus[prob.status] == "Infeasible":
        return None
    return float(pulp.value(prob.objective))


@pytest.mark.parametrize(("n", "seed"), [(60, 1), (80, 12), (150, 2), (400, 3), (2_500, 4)])
def test_the_choice_matches_an_exact_pulp_cbc_solve_within_its_certified_gap(tmp_path: Path, n: int, seed: int) -> None:
    scenario = _scenario(tmp_path, n, seed)
    plan = optimize_roster(scenario)
    exact = _exact_optimum(scenario)
    if exact is None:  # both must agree that no choice satisfies the rules
        assert plan.status is SolveStatus.INFEASIBLE
        return
    assert plan.status is SolveStatus.OPTIMAL and plan.feasible
    sol = plan.solution
    assert sol.objective is not None and sol.bound is not None and sol.gap is not None
    assert sol.gap <= 1e-3 + 1e-12
    assert sol.bound >= exact - 1e-6 * max(1.0, abs(exact))  # the certified bound is a true bound
    assert sol.objective <= exact + 1e-6 * max(1.0, abs(exact))  # nothing beats the optimum
    assert sol.objective >= exact * (1 - 1e-3) - 1e-9  # within the gap of the true optimum
    assert math.isclose(plan.totals["conversions"], sol.objective, rel_tol=1e-9)


def test_a_zero_gap_roster_solve_finds_the_exact_optimum(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 120, 5, roster={"mip_gap": 0.0})
    plan = optimize_roster(scenario)
    exact = _exact_optimum(scenario)
    assert plan.status is SolveStatus.OPTIMAL and exact is not None
    assert math.isclose(plan.solution.objective, exact, rel_tol=1e-7)  # type: ignore[arg-type]


def test_the_lp_and_core_path_certifies_its_gap_and_every_rule_holds(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 30_000, 6)
    plan = optimize_roster(scenario)
    sol = plan.solution
    assert sol.method == "LP relaxation + exact core" and sol.core_size < 30_000
    assert plan.status is SolveStatus.OPTIMAL and plan.feasible
    assert sol.gap is not None and sol.gap <= 1e-3
    assert sol.lp_objective is not None and sol.bound is not None
    assert sol.objective <= sol.bound <= sol.lp_objective * (1 + 1e-9)  # type: ignore[operator]
    assert {c.rule for c in plan.checks} >= {"budget", "target[reach]", "team_capacity", "overlap_groups",
                                               "category_min[beauty]", "must_include", "exclude"}


def test_an_impossible_target_is_reported_as_no_feasible_plan_with_the_most_reach_possible(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 500, 7, targets={"reach": 1e9})
    plan = optimize_roster(scenario)
    assert plan.status is SolveStatus.INFEASIBLE
    path = tmp_path / "impossible.yaml"
    path.write_text(
        f"budget: 30000\nobjective: {{maximize: conversions}}\ntargets: {{reach: 1000000000}}\n"
        f"roster: {{file: {scenario.roster_path}}}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["solve", str(path)])
    assert result.exit_code == 3
    assert "reach target cannot be met: at most" in result.output
    assert "Traceback" not in result.output


def test_bad_rows_are_reported_by_row_and_column_or_skipped_with_a_count(tmp_path: Path) -> None:
    table = tmp_path / "bad.csv"
    table.write_text("id,platform,followers,engagement_rate\n"
                     "a,instagram,5000,0.03\n"
                     "b,instagram,-4,0.03\n"
                     "a,tiktok,2000,0.05\n"
                     "c,tiktok,lots,0.05\n"
                     "d,myspace,3000,0.02\n"
                     "e,youtube,20000,0.02\n", encoding="utf-8")
    scenario = scenario_from_dict({"budget": 5000, "roster": {"file": str(table)}}, file=str(tmp_path / "s.yaml"))
    with pytest.raises(ScenarioError) as caught:
        load_roster(scenario)
    lines = str(caught.value).splitlines()
    assert lines == [
        f"{table}: row 4, id: duplicate id (an earlier row has it) (got 'a'). Keep one row per creator.",
        f"{table}: row 6, platform: not a platform of this scenario (got 'myspace'). Use one of instagram, tiktok, "
        "youtube or add it to the scenario's platforms.",
        f"{table}: row 5, followers: not a number (got 'lots'). Write a plain number such as 0.035 or 1200.",
        f"{table}: row 3, followers: must be >= 0 (got '-4'). Fix the value or remove the creator.",
    ]
    skipping = scenario_from_dict({"budget": 5000, "roster": {"file": str(table), "skip_bad_rows": True}},
                                  file=str(tmp_path / "s.yaml"))
    roster = load_roster(skipping)
    assert list(roster.table["id"]) == ["a", "e"]
    assert roster.skipped_rows == 4
    assert any("skipped 4 bad rows of 6" in note for note in roster.notes)


def test_a_missing_required_column_names_the_column_and_the_fix(tmp_path: Path) -> None:
    table = tmp_path / "nofollowers.csv"
    table.write_text("id,platform\na,instagram\n", encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(f"budget: 1000\nroster: {{file: {table.name}}}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["solve", str(path)])
    assert result.exit_code == 1
    assert result.output.strip() == f"{table}: followers: column missing. Add a 'followers' column (header row)."


def test_missing_metrics_come_from_tier_defaults_and_are_flagged(tmp_path: Path) -> None:
    table = tmp_path / "partial.csv"
    table.write_text("id,platform,followers,fee_per_post,average_views\n"
                     "a,instagram,5000,120,\n"
                     "b,tiktok,50000,,20000\n", encoding="utf-8")
    scenario = scenario_from_dict({"budget": 5000, "roster": {"file": str(table)}}, file=str(tmp_path / "s.yaml"))
    roster = load_roster(scenario)
    t = roster.table.set_index("id")
    assert t.loc["a", "tier"] == "nano" and t.loc["b", "tier"] == "micro"
    assert t.loc["a", "fee_per_post"] == 120.0
    assert t.loc["b", "reach"] == 20000.0  # average views are the reach per post
    plan = optimize_roster(scenario)
    flagged = dict(zip(plan.selected["id"], plan.selected["filled_from_defaults"]))
    assert "fee_per_post" not in flagged.get("a", "fee_per_post x").split() or "a" not in flagged
    assert all("engagement_rate" in text for text in flagged.values())


def test_a_numeric_column_can_be_the_goal_and_any_numeric_column_can_be_capped(tmp_path: Path) -> None:
    frame = synthetic_roster(300, 9)
    frame["agency_hours"] = np.where(frame["platform"] == "youtube", 6.0, 2.0)
    table = tmp_path / "hours.csv"
    frame.to_csv(table, index=False)
    scenario = scenario_from_dict({
        "budget": 20000, "objective": {"maximize": "column", "column": "fit_score"},
        "roster": {"file": str(table), "resource_caps": {"agency_hours": 40}, "mip_gap": 0.0},
    }, file=str(tmp_path / "s.yaml"))
    plan = optimize_roster(scenario)
    assert plan.status is SolveStatus.OPTIMAL and plan.feasible
    chosen = frame[frame["id"].isin(plan.selected["id"])]
    assert chosen["agency_hours"].sum() <= 40
    assert math.isclose(chosen["fit_score"].sum(), plan.solution.objective, rel_tol=1e-9)  # type: ignore[arg-type]
    # with 2 hours per non-YouTube creator, 20 creators fit; the best 20 by fit score among them
    assert len(chosen) == 20


def test_an_unknown_capped_column_names_the_field_and_lists_the_numeric_columns(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 50, 1, roster={"resource_caps": {"shipping_slots": 10}})
    with pytest.raises(ScenarioError) as caught:
        optimize_roster(scenario)
    text = str(caught.value)
    assert "roster.resource_caps.shipping_slots: is not a numeric column of the creator table" in text
    assert "fit_score" in text


def test_reserves_are_ranked_per_chosen_creator_and_never_chosen_or_excluded(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 800, 10, roster={"reserves_per_tier": 4})  # now: replacements per creator
    plan = optimize_roster(scenario)
    reserves = plan.reserves
    listed = reserves[reserves["rank"].notna()]
    assert set(reserves["for_id"]) == set(plan.selected["id"])
    assert set(listed["tier"]) <= {"pico", "nano", "micro"}
    assert not set(listed["id"]) & set(plan.selected["id"])
    excluded = set(plan.roster.table.loc[plan.roster.table["exclude"], "id"])
    assert not set(listed["id"]) & excluded
    for _, part in listed.groupby("for_id"):
        assert list(part["rank"]) == list(range(1, len(part) + 1))
        assert len(part) <= 4
        assert part["objective_change"].is_monotonic_decreasing


def test_an_xlsx_creator_table_reads_like_the_csv(tmp_path: Path) -> None:
    frame = synthetic_roster(40, 11)
    frame.to_excel(tmp_path / "table.xlsx", index=False)
    frame.to_csv(tmp_path / "table.csv", index=False)
    scenario = scenario_from_dict({"budget": 3000, "roster": {"file": "x"}}, file=str(tmp_path / "s.yaml"))
    from_xlsx = build_roster(read_creator_table(tmp_path / "table.xlsx"), scenario, "table.xlsx").table
    from_csv = build_roster(read_creator_table(tmp_path / "table.csv"), scenario, "table.csv").table
    assert from_xlsx[["id", "tier", "spend", "reach"]].equals(from_csv[["id", "tier", "spend", "reach"]])


def test_the_shipped_roster_scenario_writes_identical_files_on_every_run(tmp_path: Path) -> None:
    runner = CliRunner()
    scenario = str(ROOT / "scenarios" / "roster_skincare.yaml")
    first = runner.invoke(cli, ["solve", scenario, "--out", str(tmp_path / "a")])
    second = runner.invoke(cli, ["solve", scenario, "--out", str(tmp_path / "b")])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0
    assert "Every rule re-checked on the chosen creators: all hold." in first.output
    for name in ("plan.csv", "plan.json", "plan.xlsx", "reserves.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    data = json.loads((tmp_path / "a" / "plan.json").read_text(encoding="utf-8"))
    assert data["mode"] == "roster" and data["status"] == "optimal" and data["gap"] <= 0.001
    assert len(data["provenance"]["creator_table_sha256"]) == 64
    assert all(rule["holds"] for rule in data["rules"])
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "a" / "plan.xlsx", read_only=True)
    assert book.sheetnames == ["Summary", "Selected creators", "By tier", "By platform", "Reserves", "Rule checks",
                               "Data dictionary"]
    rows = list(book["Selected creators"].iter_rows(values_only=True))
    assert len(rows) - 1 == data["totals"]["creators"]


def _exact_with_posts(scenario: Scenario) -> float:
    """Independent PuLP + CBC model with posts per creator: x_i yes/no, q_i extra posts <= k x_i."""
    table = load_roster(scenario).table
    roster = scenario.roster
    assert roster is not None and roster.max_posts_per_creator is not None
    base, k = roster.posts_per_creator, roster.max_posts_per_creator - roster.posts_per_creator
    n = len(table)
    prob = pulp.LpProblem("roster_posts", pulp.LpMaximize)
    x = [prob.add_variable(f"x{i:05d}", 0, 1, pulp.LpBinary) for i in range(n)]
    q = [prob.add_variable(f"q{i:05d}", 0, k, pulp.LpInteger) for i in range(n)]
    conv = table["conversions_per_post"].to_numpy()
    fee = table["fee_per_post"].to_numpy()
    fixed = (table["product_cost"] + table["handling_cost"]).to_numpy()
    prob.setObjective(pulp.LpAffineExpression([(x[i], base * conv[i]) for i in range(n)]
                                              + [(q[i], conv[i]) for i in range(n)]))
    spend = [(x[i], base * fee[i] + fixed[i]) for i in range(n)] + [(q[i], fee[i]) for i in range(n)]
    prob.addConstraint(pulp.LpAffineExpression(spend) <= scenario.budget, name="budget")
    prob.addConstraint(pulp.LpAffineExpression([(x[i], 1.0) for i in range(n)]) <= scenario.rules.max_creators,
                       name="team")
    for i in range(n):
        prob.addConstraint(pulp.LpAffineExpression([(q[i], 1.0), (x[i], -float(k))]) <= 0, name=f"link{i:05d}")
        if table["must_include"].iloc[i]:
            prob.addConstraint(pulp.LpAffineExpression([(x[i], 1.0)]) >= 1, name=f"must{i:05d}")
        if table["exclude"].iloc[i]:
            prob.addConstraint(pulp.LpAffineExpression([(x[i], 1.0)]) <= 0, name=f"excl{i:05d}")
    prob.solve(pulp.COIN_CMD(path=cbc_path(), msg=False, gapRel=0.0))
    assert pulp.LpStatus[prob.status] == "Optimal"
    return float(pulp.value(prob.objective))


@pytest.mark.parametrize(("n", "gap"), [(150, 0.0), (3_000, 0.001)])
def test_posts_per_creator_vary_when_allowed_and_match_an_exact_solve(tmp_path: Path, n: int, gap: float) -> None:
    table = tmp_path / "posts.csv"
    synthetic_roster(n, 21).to_csv(table, index=False)
    scenario = scenario_from_dict({
        "budget": 15.0 * n, "objective": {"maximize": "conversions"}, "rules": {"max_creators": max(n // 20, 5)},
        "roster": {"file": table.name, "posts_per_creator": 1, "max_posts_per_creator": 3, "mip_gap": gap},
    }, file=str(tmp_path / "s.yaml"))
    plan = optimize_roster(scenario)
    assert plan.status is SolveStatus.OPTIMAL and plan.feasible
    posts = plan.selected["posts"]
    assert posts.between(1, 3).all() and posts.max() > 1  # the optimiser uses the freedom
    exact = _exact_with_posts(scenario)
    objective = plan.solution.objective
    assert objective is not None and objective <= exact * (1 + 1e-9) and objective >= exact * (1 - gap) - 1e-9
    assert math.isclose(plan.totals["conversions"], objective, rel_tol=1e-9)
    assert math.isclose(plan.totals["spend"], float(plan.selected["spend"].sum()), rel_tol=1e-12)
    assert plan.totals["spend"] <= 15.0 * n + 1e-6


@pytest.mark.parametrize("seconds", [0.001, 0.2])
def test_a_time_limited_roster_solve_keeps_its_best_plan_and_never_overstates_it(tmp_path: Path, seconds: float) -> None:
    scenario = _scenario(tmp_path, 20_000, 13, roster={"mip_gap": 0.0, "categories": {"beauty": {"min_creators": 2}},
                                                      "max_per_overlap_group": 2},
                         solver={"time_limit_s": seconds})
    from mixopt.api import solver_options_for

    plan = optimize_roster(scenario, solver_options_for(scenario))
    sol = plan.solution
    if sol.status is SolveStatus.OPTIMAL:
        assert sol.gap is not None and sol.gap <= 1e-9  # only a proven optimum is called optimal
    elif sol.status is SolveStatus.FEASIBLE:
        assert sol.gap is not None and sol.gap > 0 and plan.feasible
        assert sol.bound is not None and sol.objective is not None and sol.objective <= sol.bound
    else:
        assert sol.status is SolveStatus.NOT_SOLVED and sol.chosen is None


def test_roster_scenario_problems_with_the_table_are_all_listed_by_validate_and_solve(tmp_path: Path) -> None:
    path = tmp_path / "typos.yaml"
    path.write_text(
        "budget: 5000\nobjective: {maximize: column, column: fit_scor}\n"
        f"roster:\n  file: {ROOT / 'scenarios' / 'creators' / 'skincare_roster.csv'}\n"
        "  categories: {beuaty: {min_creators: 3}}\n  resource_caps: {agency_hours: 10}\n", encoding="utf-8")
    expected = [
        f"{path}: objective.column: is not a numeric column of the creator table (got 'fit_scor'). "
        "Did you mean 'fit_score'?",
        f"{path}: roster.categories.beuaty: no creator in the table has this category. Did you mean 'beauty'?",
    ]
    for command in ("validate", "solve"):
        result = CliRunner().invoke(cli, [command, str(path)])
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 3 and expected[0] in lines and expected[1] in lines
        assert any(line.startswith(f"{path}: roster.resource_caps.agency_hours: is not a numeric column") for line in lines)


def test_roster_mode_fails_cleanly_on_a_fake_workbook_an_unwritable_folder_and_tier_only_options(tmp_path: Path) -> None:
    (tmp_path / "fake.xlsx").write_text("not a workbook", encoding="utf-8")
    fake = tmp_path / "fake.yaml"
    fake.write_text("budget: 100\nroster: {file: fake.xlsx}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["solve", str(fake)])
    assert result.exit_code == 1
    assert result.output.strip() == (f"{tmp_path / 'fake.xlsx'}: (file): cannot read the creator table: File is not a "
                                     "zip file. Save it as CSV (UTF-8, comma separated) or XLSX with one header row.")
    shipped = str(ROOT / "scenarios" / "roster_skincare.yaml")
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli, ["solve", shipped, "--out", str(blocker / "sub")])
    assert result.exit_code == 2 and "--out: cannot write there" in result.output and "Traceback" not in result.output
    for option in (["--write-lp", str(tmp_path / "m.lp")], ["--solver", "cbc"]):
        result = CliRunner().invoke(cli, ["solve", shipped, *option])
        assert result.exit_code == 2
        assert result.output.strip().startswith(f"(command line): {option[0]}: is tier mode only")


def test_a_roster_budget_too_small_for_the_rules_is_diagnosed_with_the_budget_they_need(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "roster_skincare.yaml").read_text(encoding="utf-8")
    text = text.replace("budget: 40000", "budget: 2000").replace(
        "file: creators/skincare_roster.csv", f"file: {ROOT / 'scenarios' / 'creators' / 'skincare_roster.csv'}")
    path = tmp_path / "tight.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["solve", str(path)])
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[0] == (f"{path}: rules: no plan satisfies every rule of this scenario (status infeasible). "
                        "Why, and the smallest change found that lets a plan exist:")
    bound = next(line for line in lines if line.startswith("  - the other rules need a budget of at least "))
    needed = float(bound.split("at least ")[1].split(" USD")[0].replace(",", ""))
    assert 2000 < needed < 40000  # the shipped 40,000 budget has a plan
    assert any(line.startswith("  Smallest change: budget ") for line in lines)
