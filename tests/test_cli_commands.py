"""The run commands: sweep, frontier, compare, simulate, and what solve says when no plan exists.

Every planner error is one line on standard error with the contract's exit code; standard
output carries only the requested table, CSV or JSON; written files read back and repeat.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import mixopt
from mixopt.cli.app import cli
from tests.conftest import ROOT, SCENARIOS, minimal_scenario

SALES = SCENARIOS / "sales_push.yaml"
BASE = SCENARIOS / "base.yaml"
SALES_FILE = mixopt.load_scenario(SALES).source_file  # how messages name the file (relative to the cwd)


def _run(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _sheet_rows(path: Path, sheet: str) -> list[dict]:
    """A sheet's rows keyed by column code (the planner headers' codes, from the Data dictionary)."""
    book = openpyxl.load_workbook(path, data_only=True)
    codes = {r[1]: r[2] for r in list(book["Data dictionary"].iter_rows(values_only=True))[1:] if r[0] == sheet}
    rows = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip([codes.get(h, h) for h in rows[0]], r)) for r in rows[1:]]


def _extends(path: Path, text: str) -> str:
    return f"extends: {path.resolve()}\n" + text


@pytest.fixture
def too_small(write_scenario) -> Path:
    """A reach target that 12,000 USD cannot buy (the base rules allow about 207,000 reach for it)."""
    return write_scenario(_extends(BASE, "name: too small\nbudget: 12000\nobjective: {maximize: conversions}\n"
                                         "targets: {reach: 250000}\n"), name="too_small.yaml")


# ----------------------------------------------------------------------------- sweep


def test_sweep_budget_option_prints_every_point_its_status_and_where_the_mix_changes(runner: CliRunner) -> None:
    result = _run(runner, "sweep", SALES, "--budget", "10000:30000:5000")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    out = result.stdout
    assert "Best profit at each budget: 5 points, 3 with a plan, exact" in out
    header = next(line for line in out.splitlines() if "status" in line).split()
    assert header[:7] == ["budget", "USD", "status", "profit", "USD", "per", "+1,000"]
    assert {"pico", "nano", "micro", "ROI"} <= set(header)
    rows = [line.split() for line in out.splitlines() if line.strip().startswith(("10,000", "15,000", "20,000"))]
    assert [r[1] for r in rows] == ["no", "no", "optimal"]  # 'no plan' below the budget the reach floor needs
    assert "Where the mix changes:" in out and "pico leaves at budget 25,000" in out
    assert "Best ROI: 0.51 at budget 25,000" in out


def test_sweep_runs_the_scenarios_own_sweep_block_and_shows_unreachable_targets_as_no_plan(
        runner: CliRunner, write_scenario) -> None:
    path = write_scenario(_extends(SALES, "sweep:\n  field: targets.reach\n  values: [100000, 250000, 2000000]\n"))
    result = _run(runner, "sweep", path, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["field"] == "targets.reach" and data["kind"] == "exact"
    assert [(r["value"], r["status"]) for r in data["rows"]] == [
        (100000.0, "optimal"), (250000.0, "optimal"), (2000000.0, "infeasible")]  # more than the pools can deliver


def test_sweep_values_alone_sweep_the_budget(runner: CliRunner) -> None:
    result = _run(runner, "sweep", SALES, "--values", "20000,25000", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["field"], r["value"]) for r in rows] == [("budget", "20000.000000"), ("budget", "25000.000000")]


def test_sweep_without_values_or_a_sweep_block_is_one_line_naming_the_file(runner: CliRunner) -> None:
    awareness = SCENARIOS / "awareness_launch.yaml"  # no sweep: block (sales_push.yaml has one)
    result = _run(runner, "sweep", awareness)
    assert result.exit_code == 1
    line = _one_line_error(result)
    assert line.startswith(f"{mixopt.load_scenario(awareness).source_file}: sweep: nothing to sweep")
    assert "--budget 10000:100000:5000" in line


def test_sweep_preview_is_labelled_as_a_bound_not_a_plan(runner: CliRunner) -> None:
    result = _run(runner, "sweep", SALES, "--budget", "20000:30000:5000", "--preview")
    assert result.exit_code == 0, result.output
    assert "LP PREVIEW, NOT A PLAN: an upper bound on the best profit" in result.stdout
    assert "profit USD (upper bound)" in result.stdout
    assert "optimal" not in result.stdout
    data = json.loads(_run(runner, "sweep", SALES, "--budget", "20000:30000:5000", "--preview",
                           "--format", "json").stdout)
    assert data["kind"] == "lp_preview_upper_bound"
    assert {r["status"] for r in data["rows"]} == {"lp_preview_optimal"}
    exact = json.loads(_run(runner, "sweep", SALES, "--budget", "20000:30000:5000", "--format", "json").stdout)
    for bound, point in zip(data["rows"], exact["rows"]):
        assert bound["objective_value"] >= point["objective_value"] - 1e-6


@pytest.mark.parametrize("spec", ["abc", "10:5:1", "1:10:0", "1,nan", ""])
def test_a_bad_budget_spec_is_a_one_line_usage_error(runner: CliRunner, spec: str) -> None:
    result = _run(runner, "sweep", SALES, "--budget", spec)
    assert result.exit_code == 2
    assert _one_line_error(result).startswith("(command line): --budget: ")


@pytest.mark.parametrize("args", [["--budget", "1:2:1", "--field", "budget"], ["--field", "targets.reach"]])
def test_conflicting_or_incomplete_sweep_options_are_one_line_usage_errors(runner: CliRunner, args: list[str]) -> None:
    result = _run(runner, "sweep", SALES, *args)
    assert result.exit_code == 2
    assert _one_line_error(result).startswith("(command line): --")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--field", "budjet", "--values", "1,2"], "budjet: not a numeric field of this scenario. Did you mean 'budget'?"),
        (["--field", "name", "--values", "1,2"], "name: is not a number a sweep can vary"),
        (["--budget", "-5000:5000:5000"], "budget: must not be negative (got -5000)"),
        (["--field", "rules.max_creators", "--values", "10:20:2.5"], "rules.max_creators: is a count"),
    ],
    ids=["unknown field", "text field", "negative budget", "fractional count"],
)
def test_a_sweep_value_the_scenario_cannot_take_is_one_line_exit_1(runner: CliRunner, args: list[str],
                                                                   expected: str) -> None:
    result = _run(runner, "sweep", SALES, *args)
    assert result.exit_code == 1
    assert _one_line_error(result).startswith(f"{SALES_FILE}: {expected}")


def test_a_sweep_with_no_plan_anywhere_exits_3(runner: CliRunner) -> None:
    result = _run(runner, "sweep", SALES, "--budget", "5000:10000:5000")
    assert result.exit_code == 3
    assert "no plan" in result.stdout
    assert result.stderr.startswith(f"{SALES_FILE}: budget: no point of the sweep has a plan")


def test_sweep_out_writes_files_that_read_back_and_repeat_byte_for_byte(runner: CliRunner, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    result = _run(runner, "sweep", SALES, "--budget", "15000:30000:5000", "--out", first)
    assert result.exit_code == 0, result.output
    assert f"Wrote {first / 'sweep.csv'}" in result.stdout
    csv_out = _run(runner, "sweep", SALES, "--budget", "15000:30000:5000", "--out", second, "--format", "csv")
    assert {p.name for p in first.iterdir()} == {"sweep.csv", "sweep.json", "sweep.xlsx", "sweep.png", "run.json"}
    for name in ("sweep.csv", "sweep.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert csv_out.stdout.encode() == (first / "sweep.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    sheet = _sheet_rows(first / "sweep.xlsx", "Sweep")
    assert [r["value"] for r in sheet] == [float(r["value"]) for r in rows] == [15000, 20000, 25000, 30000]
    for got, want in zip(sheet, rows):
        if want["objective_value"]:
            assert got["objective_value"] == pytest.approx(float(want["objective_value"]), abs=1e-6)
        else:
            assert got["objective_value"] is None and got["status"] == "infeasible"
    with zipfile.ZipFile(first / "sweep.xlsx") as book:
        assert any(n.startswith("xl/charts/chart") for n in book.namelist())  # a native chart
    assert (first / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unwritable_out_folder_fails_before_solving(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    result = _run(runner, "sweep", SALES, "--budget", "20000:30000:5000", "--out", blocker / "out")
    assert result.exit_code == 2
    assert _one_line_error(result).startswith(f"{blocker / 'out'}: --out: cannot write there (")


# ----------------------------------------------------------------------------- frontier


def test_frontier_prints_the_tradeoff_and_writes_its_files(runner: CliRunner, tmp_path: Path) -> None:
    result = _run(runner, "frontier", BASE, "--points", "4", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "Most conversions for each level of reach: 4 Pareto-optimal plans" in result.stdout
    assert "conversions given up per +1M reach" in result.stdout
    assert "conversions per extra million reach on average" in result.stdout
    assert {p.name for p in tmp_path.iterdir()} == {"frontier.csv", "frontier.json", "frontier.xlsx", "frontier.png",
                                                     "run.json"}
    data = json.loads((tmp_path / "frontier.json").read_text(encoding="utf-8"))
    assert (data["x"], data["y"]) == ("reach", "conversions")
    reach = [r["reach"] for r in data["rows"]]
    conversions = [r["conversions"] for r in data["rows"]]
    assert reach == sorted(reach) and conversions == sorted(conversions, reverse=True)
    sheet = _sheet_rows(tmp_path / "frontier.xlsx", "Frontier")
    assert [r["reach"] for r in sheet] == pytest.approx(reach)


def test_frontier_of_a_kpi_against_itself_is_a_usage_error(runner: CliRunner) -> None:
    result = _run(runner, "frontier", BASE, "--x", "reach", "--y", "reach")
    assert result.exit_code == 2
    assert _one_line_error(result).startswith("(command line): --y: must be a different KPI")


# ----------------------------------------------------------------------------- compare


def test_compare_puts_plans_side_by_side_with_the_difference(runner: CliRunner, tmp_path: Path) -> None:
    awareness = SCENARIOS / "awareness_launch.yaml"
    result = _run(runner, "compare", awareness, SALES, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "A = Skincare launch - awareness" in out and "B = Skincare launch - sales" in out
    assert "B - A" in out and "Creators by cell" in out
    a = mixopt.optimize(awareness, explain=False)
    b = mixopt.optimize(SALES, explain=False)
    reach_row = next(line.split() for line in out.splitlines() if line.split()[:1] == ["reach"])
    assert reach_row[1:] == [f"{a.totals['reach']:,.0f}", f"{b.totals['reach']:,.0f}",
                             f"{b.totals['reach'] - a.totals['reach']:,.0f}"]
    assert {p.name for p in tmp_path.iterdir()} == {"comparison.csv", "comparison.json", "comparison.xlsx", "run.json"}
    sheet = _sheet_rows(tmp_path / "comparison.xlsx", "Comparison")
    spend = next(r for r in sheet if r["item"] == "spend")
    assert spend["A"] == pytest.approx(a.totals["spend"]) and spend["B"] == pytest.approx(b.totals["spend"])
    data = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    assert [Path(f).name for f in data["files"]] == [awareness.name, SALES.name]


def test_compare_needs_two_files_and_lists_every_bad_one(runner: CliRunner, tmp_path: Path, write_scenario) -> None:
    one = _run(runner, "compare", SALES)
    assert one.exit_code == 2
    assert _one_line_error(one).startswith("(command line): SCENARIOS: compare needs at least two")
    d = minimal_scenario()
    d["budget"] = -5
    bad = write_scenario(d, name="bad.yaml")
    missing = tmp_path / "missing.yaml"
    result = _run(runner, "compare", SALES, bad, missing)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{bad}: budget: must not be negative (got -5). Use 0 or more, e.g. 'budget: 50000'.",
        f"{missing}: (file): file not found. Check the path and the file name.",
    ]


# ----------------------------------------------------------------------------- simulate


def test_simulate_with_a_seed_repeats_byte_for_byte_and_records_the_seed(runner: CliRunner) -> None:
    scenario = SCENARIOS / "least_cost_targets.yaml"
    args = ["simulate", scenario, "--samples", "2000", "--seed", "7", "--format", "json"]
    first, again = _run(runner, *args), _run(runner, *args)
    other = _run(runner, *args[:-4], "--seed", "8", "--format", "json")
    assert first.exit_code == again.exit_code == other.exit_code == 0
    assert first.stdout == again.stdout and first.stdout != other.stdout
    data = json.loads(first.stdout)
    assert (data["seed"], data["samples"]) == (7, 2000)
    kpis = {r["kpi"] for r in data["rows"]}
    assert {"reach", "engagements", "conversions", "spend", "roi"} <= kpis
    assert {"probability_reach_target_met", "probability_conversions_target_met", "probability_within_budget"} <= kpis


def test_simulate_table_shows_p10_p50_p90_and_the_chance_of_each_target(runner: CliRunner, tmp_path: Path) -> None:
    result = _run(runner, "simulate", SCENARIOS / "least_cost_targets.yaml", "--samples", "1000", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "1,000 joint draws, seed 0" in result.stdout
    assert "P10" in result.stdout and "P90" in result.stdout
    assert "chance of meeting the reach target (300,000):" in result.stdout
    assert "cost risk: none, spend is contracted" in result.stdout and "within the budget in 100%" in result.stdout
    assert {"simulation.csv", "simulation.json", "plan.csv", "plan.json", "plan.xlsx"} <= {
        p.name for p in tmp_path.iterdir()}
    rows = list(csv.DictReader(io.StringIO((tmp_path / "simulation.csv").read_text(encoding="utf-8"))))
    assert {r["seed"] for r in rows} == {"0"} and {r["samples"] for r in rows} == {"1000"}


def test_simulate_safe_shows_the_risk_aware_plan_beside_the_expected_one(runner: CliRunner) -> None:
    result = _run(runner, "simulate", BASE, "--samples", "1000", "--safe", "0.9")
    assert result.exit_code == 0, result.output
    assert "expected-value plan:" in result.stdout and "safe plan at 90%:" in result.stdout
    assert "What safety costs: reach" in result.stdout


def test_solve_simulate_appends_the_uncertainty_report(runner: CliRunner) -> None:
    table = _run(runner, "solve", SALES, "--no-explain", "--simulate", "500", "--seed", "3")
    assert table.exit_code == 0, table.output
    assert table.stdout.index("Plan") < table.stdout.index("500 joint draws, seed 3")
    data = json.loads(_run(runner, "solve", SALES, "--no-explain", "--simulate", "500", "--format", "json").stdout)
    assert data["status"] == "optimal" and data["simulation"]["samples"] == 500


# ----------------------------------------------------------------------------- no plan


def test_an_infeasible_solve_exits_3_with_the_diagnosis_and_a_relaxed_scenario_that_solves(
        runner: CliRunner, too_small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(runner, "solve", too_small, "--out", out)
    assert result.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{too_small}: rules: no plan satisfies every rule of this scenario")
    assert any(line.startswith("  - the 250,000 reach target cannot be met with 12,000 USD; the most reach")
               for line in lines)
    assert any(line.startswith("  - the targets need a budget of ") for line in lines)
    assert any(line.startswith("  Smallest change: budget ") for line in lines)
    assert lines[-1].startswith(f"  Wrote {out / 'relaxed.yaml'}")
    relaxed = _run(runner, "solve", out / "relaxed.yaml", "--no-explain", "--format", "json")
    assert relaxed.exit_code == 0, relaxed.output
    assert json.loads(relaxed.stdout)["status"] == "optimal"


def test_an_infeasible_solve_without_out_says_how_to_get_the_relaxed_file(runner: CliRunner, too_small: Path) -> None:
    result = _run(runner, "solve", too_small)
    assert result.exit_code == 3
    assert result.stderr.splitlines()[-1] == "  Add --out DIR to write it as a ready-to-run relaxed.yaml."


def test_conflicting_minimums_are_named_and_relaxed(runner: CliRunner, write_scenario) -> None:
    path = write_scenario(_extends(BASE, "rules:\n  max_creators: 20\n  tiers:\n    nano: {min_creators: 15}\n"
                                         "    micro: {min_creators: 10}\n"))
    result = _run(runner, "solve", path)
    assert result.exit_code == 3
    assert "  - the tier minimum creator counts add up to 25, more than the team capacity of 20" in result.stderr
    assert "  Smallest change: rules.max_creators 25" in result.stderr


def test_the_run_commands_fail_with_one_line_on_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    for command in (["sweep", missing, "--budget", "1:2:1"], ["frontier", missing], ["simulate", missing]):
        result = _run(runner, *command)
        assert result.exit_code == 1
        assert _one_line_error(result) == f"{missing}: (file): file not found. Check the path and the file name."


def test_csv_on_stdout_starts_with_the_header_and_no_solver_banner() -> None:
    done = subprocess.run([sys.executable, "-m", "mixopt", "solve", "scenarios/awareness_launch.yaml",
                           "--format", "csv"], capture_output=True, text=True, check=False, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tier,platform,creators,posts,posts_per_creator,invites,")


def test_solve_simulate_writes_the_same_json_to_plan_json_as_to_standard_output(runner: CliRunner, tmp_path: Path) -> None:
    printed = _run(runner, "solve", SCENARIOS / "least_cost_targets.yaml", "--simulate", "500", "--seed", "1",
                   "--format", "json", "--out", tmp_path)
    assert "simulation" in json.loads(printed.output)
    assert (tmp_path / "plan.json").read_text(encoding="utf-8") == printed.output


def test_a_shipped_scenario_sweep_block_runs_with_no_option(runner: CliRunner) -> None:
    result = _run(runner, "sweep", SALES)
    assert result.exit_code == 0, result.output
    assert "13 points, 13 with a plan, exact" in result.output
