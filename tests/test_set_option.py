"""Small meanings: ``--set PATH=VALUE`` on every command that reads a scenario (validated as if
written in the file), ``null`` in a child scenario removes an inherited value, and warnings for a
budget of 0 and a ``min_if_used`` above the accepting pool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import mixopt
from mixopt.cli import cli
from tests.conftest import SCENARIOS, minimal_scenario

SALES = str(SCENARIOS / "sales_push.yaml")
ROSTER = str(SCENARIOS / "roster_skincare.yaml")
DECLINED = str(SCENARIOS / "creators" / "declined.csv")
BAD_BUDGET = ("--set budget=abc: budget: must be a number (got 'abc'). Write a plain number, e.g. 'budget: 50000'.")


def _run(*args: object) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("command", [
    ["validate", SALES], ["solve", SALES], ["sweep", SALES, "--budget", "20000:30000:5000"], ["frontier", SALES],
    ["compare", SALES, SALES], ["replan", ROSTER, "--declined", DECLINED], ["validate", ROSTER],
], ids=lambda c: c[0] + (" roster" if ROSTER in c else ""))
def test_every_command_that_reads_a_scenario_takes_set_with_the_files_own_one_line_error(command: list[str]) -> None:
    result = _run(*command, "--set", "budget=abc")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert set(lines) == {BAD_BUDGET}  # compare reads the file twice: one line per scenario
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("setting", "line"), [
    ("budget=-5", "--set budget=-5: budget: must not be negative (got -5). Use 0 or more, e.g. 'budget: 50000'."),
    ("budgt=5", "--set budgt=5: budgt: unknown key. Did you mean 'budget'?"),
    ("rules.tiers.micro.max_spend_share=2", "--set rules.tiers.micro.max_spend_share=2: "
     "rules.tiers.micro.max_spend_share: must be at most 1 (got 2). Write it as a fraction of 1 (1 is 100%, the most it can be): for 2%, write 0.02."),
    ("rules.tiers.nanno.max_creators=2", "--set rules.tiers.nanno.max_creators=2: rules.tiers.nanno: not a tier "
     "of this scenario (got 'nanno'). Did you mean 'nano'?"),
    ("budget=", "--set budget=: budget: no value after '='. Write a value, e.g. --set budget=50000, or --set "
     "budget=null to remove it."),
    ("budget=[1", "--set budget=[1: budget: a '[' or '{' opened here is never closed. Close the bracket."),
    ("budget.limit=1", "--set budget.limit=1: budget: is a single value, so nothing can be set inside it (got "
     "40000). Set it whole, e.g. --set budget=VALUE."),
])
def test_a_bad_set_value_gets_the_line_a_bad_value_in_the_file_gets_naming_the_option(setting: str,
                                                                                      line: str) -> None:
    result = _run("validate", SALES, "--set", setting)
    assert result.exit_code == 1
    assert result.stderr == line + "\n"


@pytest.mark.parametrize("command", [["solve", SALES], ["validate", SALES, SALES], ["compare", SALES, SALES]],
                         ids=lambda c: c[0])
def test_a_set_without_an_equals_sign_is_a_usage_error(command: list[str]) -> None:
    result = _run(*command, "--set", "budget")
    assert result.exit_code == 2
    assert result.stderr == ("(command line): --set: expected PATH=VALUE (got 'budget'). Write e.g. --set "
                             "budget=50000 or --set targets.reach=250000.\n")


def test_set_plans_exactly_what_the_same_value_in_the_file_plans(tmp_path: Path) -> None:
    child = tmp_path / "bigger.yaml"
    child.write_text(f"extends: {SALES}\nbudget: 60000\ntargets: {{reach: 300000}}\n", encoding="utf-8")
    by_file = _run("solve", child, "--format", "json", "--no-explain")
    by_set = _run("solve", SALES, "--set", "budget=60000", "--set", "targets.reach=300000", "--format", "json",
                  "--no-explain")
    assert by_file.exit_code == by_set.exit_code == 0, by_set.output
    file_plan, set_plan = json.loads(by_file.stdout), json.loads(by_set.stdout)
    plain = json.loads(_run("solve", SALES, "--format", "json", "--no-explain").stdout)
    assert set_plan["totals"] == file_plan["totals"] != plain["totals"]
    assert set_plan["totals"]["spend"] <= 60000


def test_set_changes_the_scenario_hash_so_the_plan_says_it_is_not_the_files_plan() -> None:
    plain = mixopt.load_scenario(SALES)
    changed = mixopt.load_scenario(SALES, ["budget=60000"])
    same = mixopt.load_scenario(SALES, ["budget=40000"])
    assert changed.budget == 60000 and changed.content_hash != plain.content_hash
    assert same.model_dump() == plain.model_dump()


def test_set_reaches_cells_with_their_dot_and_null_removes_a_value() -> None:
    s = mixopt.load_scenario(SALES, ["rules.cells.nano.tiktok.max_creators=3", "targets.reach=null",
                                     "assumptions.nano.fee_per_post=55", "rules.tiers.micro=null"])
    assert s.rules.cells["nano.tiktok"].max_creators == 3 and s.rules.cells["nano.tiktok"].min_if_used == 5
    assert s.targets.reach is None
    assert s.assumptions["nano"].fee_per_post is not None and s.assumptions["nano"].fee_per_post.base == 55
    assert "micro" not in s.rules.tiers


def test_a_relative_path_given_with_set_is_read_from_the_current_folder(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A path in a file is read from that file's folder; one typed on the command line from where it is typed."""
    tables = tmp_path / "tables" / "q3"
    tables.mkdir(parents=True)
    (tables / "roster.csv").write_bytes((SCENARIOS / "creators" / "skincare_roster.csv").read_bytes())
    monkeypatch.chdir(tmp_path)
    s = mixopt.load_scenario(ROSTER, ["roster.file=tables/q3/roster.csv"])
    assert Path(s.roster_path).resolve() == (tables / "roster.csv").resolve()
    result = _run("validate", ROSTER, "--set", "roster.file=./tables/q3/roster.csv")
    assert result.exit_code == 0, result.output
    missing = _run("validate", ROSTER, "--set", "roster.file=tables/q4/roster.csv")
    assert missing.exit_code == 1
    assert f"no creator table at {tmp_path.resolve() / 'tables' / 'q4' / 'roster.csv'} " in missing.stderr
    assert missing.stderr.endswith("(from the current folder when given with --set).\n")


def test_set_applies_in_order_the_last_one_wins() -> None:
    assert mixopt.load_scenario(SALES, ["budget=1000", "budget=70000"]).budget == 70000


# ----------------------------------------------------------------------------- null in a child scenario


def test_null_in_a_child_scenario_removes_the_inherited_rule_target_and_band(tmp_path: Path) -> None:
    base = mixopt.load_scenario(SCENARIOS / "base.yaml")
    assert base.rules.tiers["micro"].max_spend_share == 0.6 and "nano.tiktok" in base.rules.cells
    child = tmp_path / "looser.yaml"
    child.write_text(f"extends: {SCENARIOS / 'base.yaml'}\nrules:\n  tiers: {{micro: null}}\n"
                     "  cells: {nano.tiktok: null}\n  max_creators: null\n", encoding="utf-8")
    s = mixopt.load_scenario(child)
    assert "micro" not in s.rules.tiers and "youtube" in s.rules.platforms
    assert "nano.tiktok" not in s.rules.cells and s.rules.max_creators is None
    sales_child = tmp_path / "no_floor.yaml"
    sales_child.write_text(f"extends: {SALES}\ntargets: {{reach: null}}\n", encoding="utf-8")
    assert mixopt.load_scenario(sales_child).targets.reach is None


def test_null_for_a_value_the_base_does_not_set_is_checked_as_before(tmp_path: Path) -> None:
    child = tmp_path / "odd.yaml"
    child.write_text(f"extends: {SALES}\neconomics: {{margin_rate: null}}\n", encoding="utf-8")
    result = _run("validate", child)
    assert result.exit_code == 0, result.output  # margin_rate is set in base.yaml: null removes it (default 1)
    lone = tmp_path / "lone.yaml"
    lone.write_text("budget: 1000\neconomics: {margin_rate: null}\n", encoding="utf-8")
    result = _run("validate", lone)
    assert result.exit_code == 1 and "economics.margin_rate" in result.stderr


# ----------------------------------------------------------------------------- warnings


def test_a_budget_of_0_gets_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    result = _run("validate", SALES, "--set", "budget=0")
    assert result.exit_code == 0
    assert result.stderr == ("--set budget=0: budget: warning: is 0, so only creators who cost nothing can be in the "
                             "plan (got 0). Check the budget, e.g. 'budget: 50000'.\n")
    path = tmp_path / "zero.yaml"
    path.write_text(yaml.safe_dump({**minimal_scenario(), "budget": 0}), encoding="utf-8")
    result = _run("validate", path)
    assert result.exit_code == 0 and result.stderr.startswith(f"{mixopt.load_scenario(path).source_file}: budget: "
                                                               "warning: is 0")


def test_min_if_used_above_the_accepting_pool_gets_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    d = minimal_scenario()
    d["rules"]["cells"] = {"micro.instagram": {"min_if_used": 5}}  # pool 8 x acceptance 0.5 = 4 would accept
    path = tmp_path / "wave.yaml"
    path.write_text(yaml.safe_dump(d), encoding="utf-8")
    result = _run("solve", path, "--no-explain")
    assert result.exit_code == 0, result.output
    shown = mixopt.load_scenario(path).source_file
    assert result.stderr == (f"{shown}: rules.cells.micro.instagram.min_if_used: warning: is more than the 4 creators "
                             "who would accept in micro.instagram (pool 8 x acceptance_rate 0.5), so no plan can use "
                             "micro.instagram (got 5). Lower min_if_used or raise pool / acceptance_rate for "
                             "micro.instagram.\n")
    plan = json.loads(_run("solve", path, "--no-explain", "--format", "json").stdout)
    assert all(r["creators"] == 0 for r in plan["allocation"] if r["tier"] == "micro")


def test_a_sound_scenario_has_no_warning() -> None:
    result = _run("validate", SALES)
    assert result.exit_code == 0 and result.stderr == ""


# ----------------------------------------------------------------------------- relaxed.yaml


def test_relaxed_yaml_carries_the_runs_set_values_and_solves(tmp_path: Path) -> None:
    path = tmp_path / "brief.yaml"
    path.write_text(yaml.safe_dump(minimal_scenario()), encoding="utf-8")
    out = tmp_path / "results"
    result = _run("solve", path, "--set", "budget=500", "--set", "targets.reach=8000", "--out", out)
    assert result.exit_code == 3, result.output
    relaxed = yaml.safe_load((out / "relaxed.yaml").read_text(encoding="utf-8"))
    assert relaxed["budget"] == 700 and relaxed["targets"] == {"reach": 8000}
    solved = _run("solve", out / "relaxed.yaml", "--format", "json", "--no-explain")
    assert solved.exit_code == 0, solved.output
    assert json.loads(solved.stdout)["totals"]["reach"] >= 8000
