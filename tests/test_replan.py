"""Re-planning after creators answer (``mixopt replan`` and ``mixopt.roster.replan.replan``).

The re-plan must keep every signed creator, none of the declined ones, pass the independent
rule check, and equal a plain solve of the same scenario with those creators flagged
must-include / exclude in the creator table itself; its change table must add up to the
difference of the two plans' totals. Every planner mistake is one line with its exit code.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import mixopt
from mixopt.cli.app import cli
from mixopt.errors import format_value
from mixopt.roster.check import check_roster_choice
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.replan import TOTAL_MEASURES, read_id_list, replan
from mixopt.roster.table import load_roster
from tests.conftest import ROOT, SCENARIOS

DATA = Path(__file__).resolve().parent / "data" / "replan"
SCENARIO = DATA / "scenario.yaml"
SIGNED = ["c0000004", "c0000020"]  # c0000020 was not in the original plan
DECLINED = ["c0000050", "c0000075"]


@pytest.fixture(scope="module")
def scenario() -> mixopt.Scenario:
    return mixopt.load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def result(scenario):  # type: ignore[no-untyped-def]
    return replan(scenario, SIGNED, DECLINED)


def _ids(path: Path, ids: list[str]) -> Path:
    path.write_text("id,answered_on\n" + "".join(f"{i},2026-03-02\n" for i in ids), encoding="utf-8")
    return path


def _run(*args: object):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _error_lines(outcome, code: int) -> list[str]:  # type: ignore[no-untyped-def]
    assert outcome.exit_code == code, outcome.output
    assert outcome.stdout == "" and "Traceback" not in outcome.output
    return outcome.stderr.splitlines()


# ----------------------------------------------------------------------------- the re-plan


def test_the_replan_keeps_every_signed_creator_and_none_of_the_declined_and_passes_the_independent_check(
        result, scenario) -> None:  # type: ignore[no-untyped-def]
    plan = result.plan
    chosen = set(plan.selected["id"])
    assert set(SIGNED) <= chosen and not set(DECLINED) & chosen
    assert "c0000020" not in set(result.original.selected["id"])  # a signed creator the original did not pick
    assert plan.feasible and plan.status.value == "optimal"
    # the independent check on the creator table as read from the file: every rule of the scenario holds
    table = load_roster(scenario).table
    mask = table["id"].isin(chosen).to_numpy()
    assert all(c.holds for c in check_roster_choice(scenario, table, mask))


def test_the_replan_equals_a_solve_with_the_answers_flagged_in_the_creator_table(tmp_path: Path, result) -> None:  # type: ignore[no-untyped-def]
    table = pd.read_csv(DATA / "creators.csv", dtype={"id": str})
    table.loc[table["id"].isin(SIGNED), "must_include"] = 1
    table.loc[table["id"].isin(DECLINED), "exclude"] = 1
    table.to_csv(tmp_path / "creators.csv", index=False)
    shutil.copy(SCENARIO, tmp_path / "scenario.yaml")
    flagged = optimize_roster(mixopt.load_scenario(tmp_path / "scenario.yaml"))
    assert list(flagged.selected["id"]) == list(result.plan.selected["id"])
    assert math.isclose(flagged.objective_value, result.plan.objective_value, rel_tol=1e-12)  # type: ignore[arg-type]


def test_the_original_plan_is_what_mixopt_optimize_gives_for_the_same_scenario(result, scenario) -> None:  # type: ignore[no-untyped-def]
    solved = mixopt.optimize(scenario, explain=False)
    assert list(solved.selected["id"]) == list(result.original.selected["id"])
    assert solved.objective_value == result.original.objective_value


def test_the_change_table_adds_up_to_the_difference_of_the_two_plans_totals(result) -> None:  # type: ignore[no-untyped-def]
    changes = result.changes
    before, after = result.original.totals, result.plan.totals
    for measure in ("posts", "spend", "reach", "impressions", "engagements", "conversions"):
        assert math.isclose(changes[measure].sum(), after[measure] - before[measure], abs_tol=1e-6), measure
    goal = result.plan.objective_value - result.original.objective_value
    assert math.isclose(changes["objective_change"].sum(), goal, abs_tol=1e-6)
    added, dropped = (changes["change"] == "added").sum(), (changes["change"] == "dropped").sum()
    assert added - dropped == after["creators"] - before["creators"]
    why = dict(zip(changes["id"], changes["why"]))
    assert why["c0000020"] == "signed" and why["c0000050"] == why["c0000075"] == "declined"
    assert set(changes["why"]) <= {"signed", "declined", "swapped", "re-optimised"}
    assert set(changes["id"]) == set(result.plan.selected["id"]) ^ set(result.original.selected["id"])
    totals = result.totals_change.set_index("measure")
    assert list(totals.index) == [*TOTAL_MEASURES, "objective (conversions)"]
    assert math.isclose(totals.loc["spend", "change"], after["spend"] - before["spend"], abs_tol=1e-9)


def test_a_declined_must_include_creator_is_left_out_and_the_note_says_so(scenario) -> None:  # type: ignore[no-untyped-def]
    outcome = replan(scenario, [], ["c0000005"])  # c0000005 is flagged must-include in the creator table
    assert "c0000005" not in set(outcome.plan.selected["id"]) and outcome.plan.feasible
    assert any("declined creators were flagged must-include" in note for note in outcome.plan.notes)


def test_signed_creators_need_no_reserve(result) -> None:  # type: ignore[no-untyped-def]
    reserves = result.plan.reserves.set_index("for_id")
    for creator in SIGNED:
        assert reserves.loc[creator, "note"] == "signed: stays in the plan, no replacement needed"


def test_with_posts_per_creator_varying_each_listed_swap_keeps_every_rule_at_the_creators_own_posts(
        scenario) -> None:  # type: ignore[no-untyped-def]
    varying = scenario.model_copy(update={"roster": scenario.roster.model_copy(update={"max_posts_per_creator": 3})})
    outcome = replan(varying, SIGNED, DECLINED)
    plan = outcome.plan
    posts = plan.solution.posts
    assert plan.feasible and posts is not None and set(posts[plan.solution.chosen].tolist()) - {1} != set()
    table = load_roster(varying).table
    table.loc[table["id"].isin(SIGNED), "must_include"] = True
    table.loc[table["id"].isin(DECLINED), "exclude"] = True
    row = {creator: k for k, creator in enumerate(table["id"])}
    swaps = plan.reserves.dropna(subset=["rank"])
    assert len(swaps) > 0
    for swap in swaps.itertuples():
        chosen, after = plan.solution.chosen.copy(), posts.copy()
        chosen[row[swap.for_id]], after[row[swap.for_id]] = False, 0
        chosen[row[swap.id]], after[row[swap.id]] = True, int(swap.posts)
        assert all(c.holds for c in check_roster_choice(varying, table, chosen, after)), swap


def test_an_xlsx_id_list_reads_like_the_csv(tmp_path: Path) -> None:
    pd.DataFrame({"Name": ["a", "b"], "ID": ["c0000004", "c0000020"]}).to_excel(tmp_path / "signed.xlsx", index=False)
    assert read_id_list(tmp_path / "signed.xlsx").ids == ("c0000004", "c0000020")


# ----------------------------------------------------------------------------- the command


def test_replan_prints_what_changed_and_writes_identical_files_on_every_run(tmp_path: Path) -> None:
    signed, declined = _ids(tmp_path / "signed.csv", SIGNED), _ids(tmp_path / "declined.csv", DECLINED)
    table_before = (DATA / "creators.csv").read_bytes()
    first = _run("replan", SCENARIO, "--signed", signed, "--declined", declined, "--out", tmp_path / "a")
    second = _run("replan", SCENARIO, "--signed", signed, "--declined", declined, "--out", tmp_path / "b",
                  "--no-explain")
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    out = first.stdout
    for line in ("What changed:", "Creators added (", "Creators dropped (", "The re-plan:",
                 "What limits the plan (one more unit of each rule, re-solved):",
                 "Every rule re-checked on the chosen creators: all hold."):
        assert line in out, line
    assert "c0000020 signed" in out.replace("  ", " ") and "c0000050 declined" in out.replace("  ", " ")
    names = ("plan.csv", "plan.xlsx", "reserves.csv", "changes.csv")
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    data = json.loads((tmp_path / "a" / "plan.json").read_text(encoding="utf-8"))
    assert data["replan"]["signed"]["ids"] == SIGNED and data["replan"]["declined"]["ids"] == DECLINED
    assert {m["rule"] for m in data["marginal_values"]} >= {"budget"}
    assert set(data["marginal_values"][0]) == {"rule", "label", "step", "change", "change_low", "change_high",
                                               "explanation"}
    changes = pd.read_csv(tmp_path / "a" / "changes.csv", dtype={"id": str})
    assert list(changes["id"]) == [r["id"] for r in data["replan"]["changes"]]
    assert (DATA / "creators.csv").read_bytes() == table_before  # inputs are never modified
    csv_out = _run("replan", SCENARIO, "--signed", signed, "--declined", declined, "--format", "csv",
                   "--no-explain")
    assert csv_out.stdout == (tmp_path / "a" / "changes.csv").read_text(encoding="utf-8")
    json_out = _run("replan", SCENARIO, "--signed", signed, "--declined", declined, "--format", "json",
                    "--no-explain")
    assert json_out.stdout == (tmp_path / "b" / "plan.json").read_text(encoding="utf-8")


def test_an_unknown_id_is_named_with_its_file_and_row(tmp_path: Path) -> None:
    signed = _ids(tmp_path / "signed.csv", ["c0000004", "nobody"])
    declined = _ids(tmp_path / "declined.csv", ["c9999999"])
    lines = _error_lines(_run("replan", SCENARIO, "--signed", signed, "--declined", declined), 1)
    fix = "Use an id from the creator table (ids match exactly, e.g. 'c0000000')."
    assert lines == [f"{signed}: row 3, id: not a creator of the creator table (got 'nobody'). {fix}",
                     f"{declined}: row 2, id: not a creator of the creator table (got 'c9999999'). {fix}"]


def test_an_id_both_signed_and_declined_is_refused(tmp_path: Path) -> None:
    signed = _ids(tmp_path / "signed.csv", ["c0000004"])
    declined = _ids(tmp_path / "declined.csv", ["c0000050", "c0000004"])
    lines = _error_lines(_run("replan", SCENARIO, "--signed", signed, "--declined", declined), 1)
    assert lines == [f"{declined}: row 3, id: is also signed ({signed}, row 2) (got 'c0000004'). "
                     "Keep the creator in one list: signed or declined."]


def test_a_signed_creator_the_creator_table_excludes_is_refused(tmp_path: Path) -> None:
    signed = _ids(tmp_path / "signed.csv", ["c0000007"])  # flagged exclude in the creator table
    lines = _error_lines(_run("replan", SCENARIO, "--signed", signed), 1)
    assert lines == [f"{signed}: row 2, id: is flagged exclude in the creator table (got 'c0000007'). Remove it "
                     "from the signed list, or clear its exclude flag in the creator table."]


def test_signed_creators_over_the_budget_say_which_rule_and_by_how_much(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    table = load_roster(scenario).table
    pricey = table[~table["exclude"] & ~table["must_include"]].sort_values("spend", ascending=False)
    picked = list(pricey["id"].iloc[:3])  # three of the dearest creators and the must-include one
    spend = float(pricey["spend"].iloc[:3].sum() + table.loc[table["must_include"], "spend"].sum())
    assert spend > 4000
    signed = _ids(tmp_path / "signed.csv", picked)
    lines = _error_lines(_run("replan", SCENARIO, "--signed", signed), 3)
    file = scenario.source_file
    assert (f"{signed}: budget: the 3 signed creators (with the creator table's 1 must-include ones) already break "
            f"'budget (4,000 USD)': {spend:,.0f} USD against 4,000, {spend - 4000:,.0f} over "
            f"(got {format_value(round(spend, 2))}). Drop signed creators or raise 'budget' in {file}.") in lines


def test_answers_that_leave_no_plan_exit_3_with_the_reason(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    declined = _ids(tmp_path / "declined.csv", ["c0000002", "c0000045", "c0000058"])  # 3 of the 4 beauty creators
    lines = _error_lines(_run("replan", SCENARIO, "--declined", declined), 3)
    assert lines == [f"{scenario.source_file}: no choice of creators leaves out the 3 declined ones and satisfies "
                     "every rule: roster.categories.beauty.min_creators asks for 2 but the table has 1 beauty "
                     "creators."]


def test_replan_refuses_a_tier_scenario_and_needs_an_answer_file(tmp_path: Path) -> None:
    signed = _ids(tmp_path / "signed.csv", ["c0000004"])
    tier = mixopt.load_scenario(SCENARIOS / "base.yaml").source_file
    lines = _error_lines(_run("replan", SCENARIOS / "base.yaml", "--signed", signed), 1)
    assert lines == [f"{tier}: roster: 'mixopt replan' is for roster scenarios (named creators from a creator "
                     f"table). Add a 'roster:' block naming the creator table, or change the tier scenario and run "
                     f"'mixopt solve {tier}' again."]
    lines = _error_lines(_run("replan", SCENARIO), 2)
    assert lines == ["(command line): --signed: no creator answers given. Add --signed FILE, --declined FILE or "
                     "both (CSV or XLSX with an 'id' column)."]


def test_an_answer_file_without_an_id_column_or_missing_is_named(tmp_path: Path) -> None:
    (tmp_path / "signed.csv").write_text("name\nAda\n", encoding="utf-8")
    missing = tmp_path / "nowhere.csv"
    lines = _error_lines(_run("replan", SCENARIO, "--signed", tmp_path / "signed.csv", "--declined", missing), 1)
    assert lines == [f"{tmp_path / 'signed.csv'}: id: column missing (columns: name). Add an 'id' column holding the "
                     "creator ids of the creator table.",
                     f"{missing}: (file): file not found. Check the path given to --declined."]


def test_the_shipped_answer_files_name_creators_of_the_shipped_roster() -> None:
    ids = set(pd.read_csv(ROOT / "scenarios" / "creators" / "skincare_roster.csv", usecols=["id"], dtype=str)["id"])
    for name in ("signed.csv", "declined.csv"):
        listed = read_id_list(ROOT / "scenarios" / "creators" / name).ids
        assert listed and set(listed) <= ids
    assert not set(read_id_list(ROOT / "scenarios" / "creators" / "signed.csv").ids) & set(
        read_id_list(ROOT / "scenarios" / "creators" / "declined.csv").ids)
    assert np.all([len(i) == 8 for i in listed])
