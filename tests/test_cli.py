"""The command line: exit codes, output formats, written files, help texts, version.

Exit codes (FORMULATION.md section 5): 0 plan produced; 1 invalid input; 2 usage error;
3 no feasible plan; 4 solver failure. Errors are one line each on standard error.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mixopt import SolverError
from mixopt.cli.app import cli
from tests.conftest import ROOT, minimal_scenario

PLAN_FILES = ("plan.csv", "plan.json", "plan.xlsx")


@pytest.fixture
def good(write_scenario) -> Path:
    return write_scenario(minimal_scenario(), name="good.yaml")


@pytest.fixture
def infeasible(write_scenario) -> Path:
    """A reach target the pools could deliver but a 500 budget cannot buy (at most 6,000 reach)."""
    d = minimal_scenario()
    d["budget"] = 500
    d["targets"] = {"reach": 8000}
    return write_scenario(d, name="infeasible.yaml")


def _solve(runner: CliRunner, *args: str) -> object:
    return runner.invoke(cli, ["solve", *args], catch_exceptions=False)


# ----------------------------------------------------------------------------- exit codes


def test_exit_0_prints_the_plan(runner: CliRunner, good: Path) -> None:
    result = _solve(runner, str(good))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "Status: optimal" in result.stdout
    assert "nano" in result.stdout and "micro" in result.stdout


def test_exit_1_for_an_invalid_scenario(runner: CliRunner, write_scenario) -> None:
    d = minimal_scenario()
    d["budget"] = -5
    path = write_scenario(d, name="bad.yaml")
    result = _solve(runner, str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"{path}: budget: must not be negative (got -5). Use 0 or more, e.g. 'budget: 50000'.\n"


def test_exit_1_for_a_missing_scenario_file(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = _solve(runner, str(missing))
    assert result.exit_code == 1
    assert result.stderr == f"{missing}: (file): file not found. Check the path and the file name.\n"


@pytest.mark.parametrize(
    "args",
    [
        ["solve", "SCENARIO", "--frobnicate"],
        ["--frobnicate"],
        ["frobnicate"],
        ["solve"],
        ["validate"],
        ["solve", "SCENARIO", "--format", "xlsx"],
        ["solve", "SCENARIO", "--solver", "gurobi"],
        ["solve", "SCENARIO", "--time-limit", "0"],
        ["solve", "SCENARIO", "--mip-gap", "2"],
        ["defaults", "--tier", "nanno"],
        ["defaults", "--platform", "snapchat"],
    ],
    ids=lambda a: " ".join(a),
)
def test_exit_2_for_a_usage_error(runner: CliRunner, good: Path, args: list[str]) -> None:
    args = [str(good) if a == "SCENARIO" else a for a in args]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("(command line): ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("args", "line"), [
    (["solve", "SCENARIO", "--mip-gap", "150%"], "(command line): --mip-gap: must be a share of at least 0 and at most "
     "1, as a fraction of 1 or a percentage (got '150%'). Write e.g. --mip-gap 0.01 or --mip-gap 1%. See 'mixopt solve "
     "--help' for the options."),
    (["solve", "SCENARIO", "--time-limit", "0"], "(command line): --time-limit: must be a number of seconds above 0 "
     "(got '0'). Write e.g. --time-limit 60, or leave it out to wait for the best plan. See 'mixopt solve --help' for "
     "the options."),
    (["simulate", "SCENARIO", "--safe", "100%"], "(command line): --safe: must be a share of at least 0.5 and below 1, "
     "as a fraction of 1 or a percentage (got '100%'). Write e.g. --safe 0.9 or --safe 90%. See 'mixopt simulate "
     "--help' for the options."),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_a_share_or_time_limit_out_of_range_says_its_range_and_an_example(runner: CliRunner, good: Path,
                                                                          args: list[str], line: str) -> None:
    result = runner.invoke(cli, [str(good) if a == "SCENARIO" else a for a in args], catch_exceptions=False)
    assert result.exit_code == 2 and result.stderr == line + "\n"


def test_a_gap_written_as_a_percentage_is_the_same_gap(runner: CliRunner, good: Path) -> None:
    as_percent = runner.invoke(cli, ["solve", str(good), "--mip-gap", "5%", "--format", "json", "--no-explain"],
                               catch_exceptions=False)
    as_fraction = runner.invoke(cli, ["solve", str(good), "--mip-gap", "0.05", "--format", "json", "--no-explain"],
                                catch_exceptions=False)
    assert as_percent.exit_code == 0 and as_percent.stdout == as_fraction.stdout


def test_exit_2_when_a_scenario_argument_is_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = _solve(runner, str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


@pytest.mark.parametrize("option", ["--out", "--write-lp"])
def test_exit_2_when_an_output_path_cannot_be_written(runner: CliRunner, good: Path, tmp_path: Path,
                                                      option: str) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    target = blocker / ("out" if option == "--out" else "model.lp")
    result = _solve(runner, str(good), option, str(target), "--no-explain")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{target}: {option}: cannot write there (")
    assert result.stderr.endswith("). Choose a folder you can write to.\n")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_exit_3_with_one_error_line_then_the_diagnosis_when_no_plan_is_feasible(runner: CliRunner,
                                                                                infeasible: Path) -> None:
    assert runner.invoke(cli, ["validate", str(infeasible)], catch_exceptions=False).exit_code == 0
    result = _solve(runner, str(infeasible))
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{infeasible}: ")
    assert "no plan satisfies every rule" in lines[0]
    assert lines[1:] == [
        "  - the 8,000 reach target cannot be met with 500 USD; the most reach the rules allow is 6,000",
        "  - the targets need a budget of 700 USD (now 500 USD)",
        "  Smallest change: budget 700 USD (then the best reach is 8,000).",
        "  Add --out DIR to write it as a ready-to-run relaxed.yaml.",
    ]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["brief.txt", "brief"])
def test_relaxed_yaml_runs_when_the_scenario_has_no_yaml_extension(runner: CliRunner, tmp_path: Path,
                                                                  name: str) -> None:
    brief = tmp_path / "briefs" / name
    brief.parent.mkdir()
    d = minimal_scenario()
    d["budget"], d["targets"] = 500, {"reach": 8000}
    brief.write_text(yaml.safe_dump(d), encoding="utf-8")
    out = tmp_path / "results"
    result = _solve(runner, str(brief), "--out", str(out))
    assert result.exit_code == 3, result.output
    assert result.stderr.splitlines()[-1] == (f"  Wrote {out / 'relaxed.yaml'} (it holds all of {brief} with that "
                                              f"change); run: mixopt solve {out / 'relaxed.yaml'}")
    text = (out / "relaxed.yaml").read_text(encoding="utf-8")
    assert "extends" not in yaml.safe_load(text) and "cannot be extended" in text
    solved = _solve(runner, str(out / "relaxed.yaml"), "--format", "json", "--no-explain")
    assert solved.exit_code == 0, solved.output
    assert json.loads(solved.stdout)["budget"] == 700


def test_relaxed_yaml_of_a_roster_scenario_without_yaml_extension_finds_its_creator_table(
        runner: CliRunner, tmp_path: Path) -> None:
    table = tmp_path / "briefs" / "creators.csv"
    table.parent.mkdir()
    table.write_bytes((ROOT / "scenarios" / "creators" / "skincare_roster.csv").read_bytes())
    brief = table.parent / "brief.scenario"
    brief.write_text("budget: 100\nobjective: {maximize: reach}\nroster: {file: creators.csv}\n"
                     "targets: {reach: 1}\n", encoding="utf-8")
    out = tmp_path / "deep" / "results"
    result = _solve(runner, str(brief), "--out", str(out))
    if result.exit_code == 0:
        pytest.skip("the shipped creator table has a creator this budget buys")
    assert result.exit_code == 3, result.output
    relaxed = yaml.safe_load((out / "relaxed.yaml").read_text(encoding="utf-8"))
    assert relaxed["roster"]["file"] == "../../briefs/creators.csv"
    assert _solve(runner, str(out / "relaxed.yaml"), "--no-explain").exit_code == 0


def test_exit_4_when_the_solver_fails(runner: CliRunner, good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise SolverError(f"{good}: solver: stopped before finding any plan (status not_solved). Allow more time.")

    monkeypatch.setattr("mixopt.cli.solve.optimize", fail)
    result = _solve(runner, str(good))
    assert result.exit_code == 4
    assert result.stderr == f"{good}: solver: stopped before finding any plan (status not_solved). Allow more time.\n"


# ----------------------------------------------------------------------------- formats and files


def test_format_csv(runner: CliRunner, good: Path) -> None:
    result = _solve(runner, str(good), "--format", "csv", "--no-explain")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:4] == ["tier", "platform", "creators", "posts"]
    assert [(r["tier"], r["platform"]) for r in rows[:2]] == [("nano", "instagram"), ("micro", "instagram")]


def test_format_json(runner: CliRunner, good: Path) -> None:
    result = _solve(runner, str(good), "--format", "json", "--no-explain")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["status"] == "optimal"
    assert data["provenance"]["scenario_name"] == "minimal"


def test_format_table_is_the_default(runner: CliRunner, good: Path) -> None:
    table = _solve(runner, str(good), "--format", "table", "--no-explain")
    default = _solve(runner, str(good), "--no-explain")
    assert table.exit_code == default.exit_code == 0
    assert table.stdout == default.stdout
    assert "Plan" in table.stdout and "total" in table.stdout


def test_out_writes_the_plan_files_byte_identically_on_every_run(runner: CliRunner, good: Path,
                                                                 tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    results = [_solve(runner, str(good), "--out", str(first)), _solve(runner, str(good), "--out", str(second))]
    assert [r.exit_code for r in results] == [0, 0]
    assert f"Wrote {first / 'plan.csv'}" in results[0].stdout
    for name in PLAN_FILES:
        assert (first / name).stat().st_size > 0, name
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    again = _solve(runner, str(good), "--out", str(first), "--format", "csv")
    assert again.exit_code == 0
    for name in PLAN_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert again.stdout.encode() == (first / "plan.csv").read_bytes()


def test_write_lp_writes_a_model_file(runner: CliRunner, good: Path, tmp_path: Path) -> None:
    lp = tmp_path / "model.lp"
    result = _solve(runner, str(good), "--write-lp", str(lp), "--no-explain")
    assert result.exit_code == 0
    assert "budget" in lp.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- validate


def test_validate_several_files_lists_the_bad_one_and_exits_1(runner: CliRunner, good: Path,
                                                              write_scenario) -> None:
    d = minimal_scenario()
    d["rules"] = {"max_creators": 6, "tiers": {"nanno": {"max_creators": 2}}}
    bad = write_scenario(d, name="bad.yaml")
    result = runner.invoke(cli, ["validate", str(good), str(bad), str(ROOT / "scenarios" / "base.yaml")],
                           catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == (f"{bad}: rules.tiers.nanno: not a tier of this scenario (got 'nanno'). "
                             "Did you mean 'nano'?\n")
    ok = result.stdout.splitlines()
    assert len(ok) == 2 and all(": ok (" in line for line in ok)
    assert ok[0] == f"{good}: ok (2 cells, goal: maximise reach, budget 2,000 USD)"


def test_validate_good_files_exits_0(runner: CliRunner, good: Path) -> None:
    result = runner.invoke(cli, ["validate", str(good)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stderr == ""


# ----------------------------------------------------------------------------- defaults


def test_defaults_prints_values_with_their_sources(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["defaults"], catch_exceptions=False)
    assert result.exit_code == 0
    header = result.stdout.splitlines()[0].split()
    assert header[:6] == ["tier", "platform", "parameter", "low", "base", "high"]
    assert "source" in header and "grade" in header


def test_defaults_prints_each_number_as_its_unit_reads(runner: CliRunner) -> None:
    """Counts whole with thousands separators, money with cents, shares as typed in a scenario."""
    result = runner.invoke(cli, ["defaults", "--tier", "pico", "--platform", "instagram"], catch_exceptions=False)
    rows = {line.split()[2]: line.split()[3:7] for line in result.stdout.splitlines()[1:]}
    assert rows["pool"] == ["500", "1,500", "4,000", "creators"]
    assert rows["fee_per_post"] == ["0.00", "10.00", "75.00", "USD"]
    assert rows["engagement_rate"] == ["0.015", "0.035", "0.08", "share"]


def test_defaults_filters_by_tier_and_platform(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["defaults", "--tier", "nano", "--platform", "tiktok", "--format", "csv"],
                           catch_exceptions=False)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows
    assert {(r["tier"], r["platform"]) for r in rows} == {("nano", "tiktok")}
    assert all(r["source"].strip() for r in rows)
    assert {"fee_per_post", "acceptance_rate", "pool"} <= {r["parameter"] for r in rows}


def test_defaults_filter_by_tier_only(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["defaults", "--tier", "micro", "--format", "csv"], catch_exceptions=False)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["tier"] for r in rows} == {"micro"}
    assert len({r["platform"] for r in rows}) > 1


# ----------------------------------------------------------------------------- help and version


def test_group_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"], catch_exceptions=False)
    assert result.exit_code == 0
    for command in cli.commands:
        assert command in result.stdout


@pytest.mark.parametrize("command", cli.commands)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str, flag: str) -> None:
    result = runner.invoke(cli, [command, flag], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"mixopt {command}" in result.stdout


def test_python_dash_m_mixopt_version() -> None:
    done = subprocess.run([sys.executable, "-m", "mixopt", "--version"], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"mixopt, version {version('mixopt')}\n"
