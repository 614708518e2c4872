"""mixopt batch: one row per point in grid order, each the plan a single solve gives, the same bytes in
this process and on a real Dask scheduler with two worker processes, failed points as rows, --resume."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from mixopt.cli import cli

ROOT = Path(__file__).resolve().parent.parent
HAND = ROOT / "scenarios" / "hand_solvable.yaml"
# 2 x 2 x 2 x 2 points: plans, targets no mix reaches, and share bands that contradict each other
STATUS_GRID = ["--grid", "budget=1000,2000", "--grid", "targets.reach=10000,30000",
               "--grid", "rules.tiers.micro.min_spend_share=0.2,0.6",
               "--grid", "rules.tiers.micro.max_spend_share=0.5,0.9"]


def run(*args: object) -> object:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result


def batch(out: Path, *args: object) -> object:
    result = run("batch", *args, "--out", out)
    assert result.exit_code == 0, result.output
    return result


def csv_rows(out: Path) -> list[dict[str, str]]:
    import csv

    with open(out / "batch.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def small_roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-creator roster scenario (seeded synthetic table): a second or so per solve."""
    folder = tmp_path_factory.mktemp("roster")
    subprocess.run([sys.executable, "-m", "mixopt.synth", "300", str(folder / "creators.csv"), "--seed", "3"],
                   check=True, capture_output=True)
    scenario = {"name": "small roster", "budget": 6000, "objective": {"maximize": "conversions"},
                "economics": {"average_order_value": 95, "margin_rate": 0.7}, "rules": {"max_creators": 25},
                "roster": {"file": "creators.csv", "mip_gap": 0.001}}
    path = folder / "roster.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path


def _solve_json(path: Path) -> dict[str, object]:
    result = run("solve", path, "--no-explain", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _assert_row_is_the_solve(row: dict[str, object], solved: dict[str, object]) -> None:
    value = solved["objective"]["value"] if isinstance(solved.get("objective"), dict) else solved["objective_value"]
    assert row["status"] == solved["status"]
    assert row["objective_value"] == pytest.approx(value, abs=1e-6)
    totals = solved["totals"]
    for kpi in ("spend", "reach", "engagements", "conversions", "revenue", "profit", "roi", "cpe", "cpa"):
        if totals[kpi] is None:
            assert row[kpi] is None, kpi
        else:
            assert row[kpi] == pytest.approx(totals[kpi], abs=1e-6), kpi
    assert row["creators"] == totals["creators"]
    assert row["posts"] == totals["posts"]


# ----------------------------------------------------------------------------- a real cluster


def test_the_same_batch_in_process_and_on_a_real_scheduler_gives_identical_files(
        tmp_path: Path, scheduler: str) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    batch(here, HAND, *STATUS_GRID, "--workers", "1")
    result = batch(there, HAND, *STATUS_GRID, "--scheduler", scheduler)
    assert f"16 solved on the Dask scheduler at {scheduler}" in result.stdout
    assert (there / "batch.csv").read_bytes() == (here / "batch.csv").read_bytes()
    assert pq.read_table(there / "batch.parquet").equals(pq.read_table(here / "batch.parquet"))
    pool = tmp_path / "pool"
    batch(pool, HAND, *STATUS_GRID, "--workers", "2")
    assert (pool / "batch.csv").read_bytes() == (here / "batch.csv").read_bytes()


def test_workers_running_other_mixopt_code_are_refused() -> None:
    from mixopt.analysis.batch import installed_version
    from mixopt.analysis.batch_run import _check_versions
    from mixopt.errors import ScenarioError

    class Cluster:
        def __init__(self, versions: dict[str, str]) -> None:
            self.versions = versions

        def run(self, _function: object) -> dict[str, str]:
            return self.versions

    _check_versions(Cluster({"tcp://a": installed_version(), "tcp://b": installed_version()}), "tcp://s")
    with pytest.raises(ScenarioError, match="worker tcp://b runs mixopt 0.0.1 .code 0123.*Install the same mixopt"):
        _check_versions(Cluster({"tcp://a": installed_version(), "tcp://b": "0.0.1 (code 0123)"}), "tcp://s")


# ----------------------------------------------------------------------------- one machine


def test_every_batch_point_is_the_single_solve_of_that_scenario(tmp_path: Path, small_roster: Path) -> None:
    out = tmp_path / "grid"
    batch(out, HAND, "--grid", "budget=900,1700", "--grid", "rules.max_creators=3,6", "--workers", "1")
    rows = pq.read_table(out / "batch.parquet").to_pylist()
    assert [(r["budget"], r["rules.max_creators"]) for r in rows] == [(900, 3), (900, 6), (1700, 3), (1700, 6)]
    for row in rows:
        point = tmp_path / f"point_{row['point']}.yaml"  # the point as a scenario file of its own
        point.write_text(f"extends: {HAND}\nbudget: {row['budget']}\nrules: {{max_creators: "
                         f"{row['rules.max_creators']}}}\n", encoding="utf-8")
        _assert_row_is_the_solve(row, _solve_json(point))
    assert rows[-1]["objective_value"] == 21000  # by hand: 4 micro (1,600 USD) and 1 nano (100 USD) at 1,700 USD
    files = tmp_path / "files"
    batch(files, HAND, small_roster, "--workers", "1")
    tier_row, roster_row = pq.read_table(files / "batch.parquet").to_pylist()
    _assert_row_is_the_solve(tier_row, _solve_json(HAND))
    _assert_row_is_the_solve(roster_row, _solve_json(small_roster))
    assert roster_row["gap"] <= 0.001 and roster_row["creators_micro"] is not None


def test_failed_and_no_plan_points_are_rows_with_their_line_and_never_stop_the_batch(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = batch(out, HAND, *STATUS_GRID, "--workers", "1")
    rows = csv_rows(out)
    assert len(rows) == 16 and [r["point"] for r in rows] == [str(i) for i in range(1, 17)]
    by_status = {s: [r for r in rows if r["status"] == s] for s in ("optimal", "infeasible", "error")}
    assert all(by_status.values()), [r["status"] for r in rows]
    assert len(by_status["error"]) == 4  # min share 0.6 above max share 0.5, at every budget and target
    for row in by_status["error"]:
        assert (row["rules.tiers.micro.min_spend_share"], row["rules.tiers.micro.max_spend_share"]) == \
            ("0.600000", "0.500000")
        assert "rules.tiers.micro.max_spend_share: is below min_spend_share" in row["error"]
        assert "\n" not in row["error"] and row["objective_value"] == ""
    for row in by_status["infeasible"]:
        assert row["targets.reach"] == "30000.000000"
        assert "no plan satisfies every rule at budget=" in row["error"]
    command = by_status["infeasible"][0]["error"].split("Run '")[1].split("' to see why")[0]
    solved = run(*shlex.split(command)[1:])  # the command the line names solves that point: no plan, and why
    assert solved.exit_code == 3 and "Smallest change" in solved.stderr
    assert all(r["error"] == "" for r in by_status["optimal"])
    assert "4 failed" in result.stdout
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(HAND, folder / "a.yaml")
    (folder / "b.yaml").write_text("budget: -5\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a scenario\n", encoding="utf-8")
    batch(tmp_path / "folder", folder, "--workers", "1")
    first, second = csv_rows(tmp_path / "folder")
    assert (Path(first["scenario"]).name, first["status"]) == ("a.yaml", "optimal")
    assert (Path(second["scenario"]).name, second["status"]) == ("b.yaml", "error")
    assert second["error"].startswith(f"{folder / 'b.yaml'}: budget:")


def test_resume_keeps_the_rows_already_done_and_solves_only_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    batch(out, HAND, "--grid", "budget=1000,2000", "--grid", "rules.tiers.micro.max_spend_share=0.5,0.9",
          "--workers", "1")
    table = pq.read_table(out / "batch.parquet").to_pylist()
    marked = [dict(r, objective_value=-1.0) if r["point"] == 1 else r for r in table]  # only a reused row keeps it
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(marked, schema=pq.read_schema(out / "batch.parquet")), out / "batch.parquet")
    result = batch(out, HAND, "--grid", "budget=1000,2000,3000", "--grid",
                   "rules.tiers.micro.max_spend_share=0.5,0.9", "--workers", "1", "--resume")
    assert "2 solved on this process, 4 taken from the earlier output" in result.stdout
    rows = pq.read_table(out / "batch.parquet").to_pylist()
    assert [r["point"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0]["objective_value"] == -1.0  # not solved again
    assert rows[1]["point_key"] == table[1]["point_key"] and rows[1]["objective_value"] == table[1]["objective_value"]
    fresh = tmp_path / "fresh"
    batch(fresh, HAND, "--grid", "budget=1000,2000,3000", "--grid", "rules.tiers.micro.max_spend_share=0.5,0.9",
          "--workers", "1")
    assert pq.read_table(fresh / "batch.parquet").to_pylist()[1:] == rows[1:]


def test_resume_tries_failed_points_again_and_follows_the_solver_settings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    batch(out, HAND, *STATUS_GRID, "--workers", "1")
    again = batch(out, HAND, *STATUS_GRID, "--workers", "1", "--resume")
    assert "4 solved on this process, 12 taken from the earlier output" in again.stdout  # the 4 failed points
    other = batch(out, HAND, *STATUS_GRID, "--workers", "1", "--resume", "--solver", "cbc")
    assert "16 solved" in other.stdout  # another solver: other point keys


def test_an_interrupted_batch_keeps_its_points_and_resume_finishes_it(tmp_path: Path) -> None:
    from mixopt.analysis.batch import grid_points
    from mixopt.analysis.batch_run import Where, run_batch
    from mixopt.outputs.batch_files import PARTIAL, BatchLayout, write_checkpoint
    from mixopt.scenario.load import load_scenario

    out = tmp_path / "out"
    out.mkdir()
    points = grid_points(load_scenario(HAND), [("budget", [1000.0, 1500.0, 2000.0, 2500.0, 3000.0])])
    layout = BatchLayout(("budget",), (), ("creators_nano", "creators_micro"))

    def stop_after_three(done: int, _total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(points, Where(workers=1), progress=stop_after_three,
                  checkpoint=lambda rows: write_checkpoint(out, rows, layout))
    assert [r["point"] for r in pq.read_table(out / PARTIAL).to_pylist()] == [1, 2, 3]
    result = batch(out, HAND, "--grid", "budget=1000:3000:500", "--workers", "1", "--resume")
    assert "2 solved on this process, 3 taken from the earlier output" in result.stdout
    assert not (out / PARTIAL).exists()
    fresh = tmp_path / "fresh"
    batch(fresh, HAND, "--grid", "budget=1000:3000:500", "--workers", "1")
    assert (fresh / "batch.csv").read_bytes() == (out / "batch.csv").read_bytes()


def test_batch_parquet_reads_back_with_pyarrow_as_the_csv_with_types(tmp_path: Path) -> None:
    import pyarrow as pa

    out = tmp_path / "out"
    batch(out, HAND, *STATUS_GRID, "--workers", "1")
    table = pq.read_table(out / "batch.parquet")
    schema = {f.name: f.type for f in table.schema}
    assert schema["point"] == pa.int64() and schema["creators_micro"] == pa.int64()
    assert schema["budget"] == pa.float64() and schema["objective_value"] == pa.float64()
    assert schema["status"] == pa.string() and schema["error"] == pa.string()
    header = (out / "batch.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert table.column_names == header
    assert header[:7] == ["point", "scenario", "budget", "targets.reach", "rules.tiers.micro.min_spend_share",
                          "rules.tiers.micro.max_spend_share", "point_key"]
    for row, text in zip(table.to_pylist(), csv_rows(out)):
        assert str(row["point"]) == text["point"] and (row["error"] or "") == text["error"]
        assert ("" if row["objective_value"] is None else f"{row['objective_value']:.6f}") == text["objective_value"]
    from mixopt.outputs.output_set import read_manifest, verify_output_set

    assert verify_output_set(out) == []  # the three files moved into place together, run.json last
    assert [entry["name"] for entry in read_manifest(out)["files"]] == ["batch.csv", "batch.parquet", "batch.xlsx"]
    with zipfile.ZipFile(out / "batch.xlsx") as book:
        chart = book.read("xl/charts/chart1.xml").decode("utf-8")
    assert "<c:scatterChart>" in chart and "Chart!$A$2:$A$3" in chart  # the objective over the first field
    assert chart.count("<c:ser>") == 8  # one line per combination of the other three fields


def test_set_values_apply_to_every_point_as_if_written_in_the_file(tmp_path: Path) -> None:
    batch(tmp_path / "set", HAND, "--grid", "budget=1000,2000", "--set", "rules.max_creators=4", "--workers", "1")
    batch(tmp_path / "grid", HAND, "--grid", "budget=1000,2000", "--grid", "rules.max_creators=4", "--workers", "1")
    with_set = pq.read_table(tmp_path / "set" / "batch.parquet").to_pylist()
    gridded = pq.read_table(tmp_path / "grid" / "batch.parquet").to_pylist()
    assert [r["point_key"] for r in with_set] == [r["point_key"] for r in gridded]
    assert [r["creators"] for r in with_set] == [4, 4]


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    result = batch(tmp_path / "out", HAND, "--grid", "budget=500:3000:100", "--workers", "1")
    assert result.stderr == ""
    assert len(csv_rows(tmp_path / "out")) == 26


@pytest.mark.parametrize(("args", "expected"), [
    (["--grid", "budget"], "--grid: needs PATH=SPEC"),
    (["--grid", "budget=1:0:1"], "the step must be positive"),
    (["--grid", "budgett=1000,2000"], "budgett: not a numeric field of this scenario"),
    (["--grid", "rules.max_creators=2.5,3"], "is a count, so every swept value must be whole"),
    (["--grid", "budget=1000", "--grid", "budget=2000"], "names budget twice"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "--workers: cannot be combined with --scheduler"),
])
def test_a_bad_batch_request_is_one_line_and_a_non_zero_exit(tmp_path: Path, args: list[str], expected: str) -> None:
    result = run("batch", HAND, *args, "--out", tmp_path / "out")
    assert result.exit_code in (1, 2)
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "batch.csv").exists()


def test_an_unreachable_scheduler_is_one_line() -> None:
    from mixopt.analysis.batch import grid_points
    from mixopt.analysis.batch_run import Where, run_batch
    from mixopt.errors import ScenarioError
    from mixopt.scenario.load import load_scenario

    points = grid_points(load_scenario(HAND), [("budget", [1000.0, 2000.0])])
    with pytest.raises(ScenarioError, match="--scheduler: cannot reach a Dask scheduler there"):
        run_batch(points, Where(scheduler="tcp://127.0.0.1:9", connect_timeout_s=0.5))
