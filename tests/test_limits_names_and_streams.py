"""Huge size limits, file names too long to create, a standard output that takes nothing or is closed,
scheduler addresses inside this process, figures no creator has, and the advice for numbers typed in
other digits: each gets one line and its exit code (1 for a file, 2 for the command line), never an
internal error (exit 5)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, SCENARIOS
from tests.conftest import one_error_line as one_line
from tests.conftest import run_cli as run

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
AWARENESS = SCENARIOS / "awareness_launch.yaml"
LONG_NAME = "n" * 300  # longer than any file system's 255-byte name


# ----------------------------------------------------------------------------- size limits


@pytest.mark.parametrize("limit", [str(2**63), "9" * 400])
def test_a_limit_past_a_petabyte_is_refused_in_one_line(limit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXOPT_MAX_SCENARIO_BYTES", limit)
    line = one_line(run(["validate", str(AWARENESS)]), 1)
    assert line.startswith("(environment): MIXOPT_MAX_SCENARIO_BYTES: must be at most 1,000,000,000,000,000 bytes")


def test_a_generous_limit_reads_scenarios_workbooks_and_results_without_reserving_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workbook = tmp_path / "campaign.xlsx"
    assert run(["template", str(workbook)]).exit_code == 0
    monkeypatch.setenv("MIXOPT_MAX_SCENARIO_BYTES", str(10**14))  # 100 TB: more memory than any machine here
    monkeypatch.setenv("MIXOPT_MAX_TABLE_BYTES", str(10**14))
    for scenario in (AWARENESS, workbook):
        done = run(["validate", str(scenario)])
        assert done.exit_code == 0, done.output
    done = run(["calibrate", str(SCENARIOS / "results" / "spring_campaign.csv"), "--out", str(tmp_path / "cal")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "cal" / "calibrated.yaml").is_file()


# ----------------------------------------------------------------------------- names too long to create


@pytest.mark.parametrize(("command", "name", "argument"), [
    (["init"], f"{LONG_NAME}.yaml", "FILE"),
    (["init"], f"{LONG_NAME}.xlsx", "FILE"),
    (["template"], f"{LONG_NAME}.xlsx", "FILE"),
    (["convert", str(AWARENESS)], f"{LONG_NAME}.xlsx", "TARGET"),
])
def test_a_file_name_too_long_to_create_gets_one_line(command: list[str], name: str, argument: str,
                                                       tmp_path: Path) -> None:
    target = tmp_path / name
    line = one_line(run([*command, str(target)]), 2)
    assert line == f"{target}: {argument}: cannot write there (File name too long). Choose a folder you can write to."


def test_a_creator_table_name_too_long_to_exist_is_no_such_table(tmp_path: Path) -> None:
    line = one_line(run(["template", str(tmp_path / "t.xlsx"), "--roster", str(tmp_path / f"{LONG_NAME}.csv")]), 2)
    assert line.startswith("(command line): --roster: no such creator table (a path from the current folder)")
    assert not (tmp_path / "t.xlsx").exists()


# ----------------------------------------------------------------------------- standard output


def _mixopt(args: list[str], **streams: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mixopt", *args], cwd=ROOT, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "error"}, **streams)  # type: ignore[call-overload]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device that is always full)")
@pytest.mark.parametrize("args", [["validate", str(AWARENESS)], ["solve", str(AWARENESS), "--format", "csv"],
                                  ["--help"], ["--version"]])
def test_a_full_standard_output_is_one_line_on_standard_error(args: list[str]) -> None:
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = _mixopt(args, stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == ["(command line): standard output: cannot write there (No space left on "
                                        "device). Send the output to a file on a disk with room, e.g. > plan.txt."]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash to close a descriptor")
def test_a_closed_standard_output_still_writes_the_same_plan_files(tmp_path: Path) -> None:
    open_run = _mixopt(["solve", str(AWARENESS), "--out", str(tmp_path / "open")], capture_output=True)
    assert open_run.returncode == 0, open_run.stderr
    closed = subprocess.run(["bash", "-c", 'exec "$0" -m mixopt "$@" >&-', sys.executable, "solve", str(AWARENESS),
                             "--out", str(tmp_path / "closed")], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert closed.returncode == 0, closed.stderr
    assert "Traceback" not in closed.stderr and "internal error" not in closed.stderr
    for name in ("plan.csv", "plan.json", "tracking.csv"):  # nothing (a solver's banner) landed in a file
        assert (tmp_path / "closed" / name).read_bytes() == (tmp_path / "open" / name).read_bytes(), name


# ----------------------------------------------------------------------------- scheduler addresses


@pytest.mark.parametrize("address", ["inproc://x", "ws://10.0.0.5", "ucx://10.0.0.5:8786"])
def test_a_scheduler_address_that_reaches_no_cluster_is_refused(address: str, tmp_path: Path) -> None:
    line = one_line(run(["batch", str(SCENARIOS / "hand_solvable.yaml"), "--grid", "budget=1000", "--scheduler",
                         address, "--out", str(tmp_path / "out")]), 2)
    assert line.startswith("(command line): --scheduler: is not a Dask scheduler address (PROTOCOL://HOST:PORT)")
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- figures and digits


@pytest.fixture()
def small_roster(tmp_path: Path) -> Path:
    shutil.copy(HOSTILE / "roster_small.yaml", tmp_path / "roster.yaml")
    shutil.copytree(HOSTILE / "creators", tmp_path / "creators")
    return tmp_path


def _with_value(table: pa.Table, column: str, row: int, array_type: pa.DataType, value: object) -> pa.Table:
    values = [None] * table.num_rows
    values[row] = value
    return table.set_column(table.schema.get_field_index(column), column, pa.array(values, type=array_type))


@pytest.mark.parametrize(("column", "array_type", "value", "shown", "largest"), [
    ("average_views", pa.uint64(), 2**64 - 1, "1.8446744073709552e+19", "1,000,000,000,000"),
    ("fee_per_post", pa.float64(), float("inf"), "inf", "10,000,000,000,000"),
    ("product_cost", pa.float64(), 1e15, "1000000000000000.0", "10,000,000,000,000"),  # HiGHS refuses it
    ("fit_score", pa.float64(), 1e300, "1e+300", "1,000,000,000,000"),
])
def test_a_figure_past_any_real_creator_is_a_bad_row(column: str, array_type: pa.DataType, value: object, shown: str,
                                                    largest: str, small_roster: Path) -> None:
    table = pacsv.read_csv(small_roster / "creators" / "small.csv")
    pq.write_table(_with_value(table, column, 2, array_type, value), small_roster / "creators" / "odd.parquet")
    line = one_line(run(["solve", str(small_roster / "roster.yaml"), "--set", "roster.file=" +
                         str(small_roster / "creators" / "odd.parquet")]), 1)
    assert line.startswith(f"{small_roster / 'creators' / 'odd.parquet'}: row 3, {column}: is too large to be a real "
                           f"figure (at most {largest}) (got {shown}).")


def test_followers_past_every_tier_keep_the_tier_advice(small_roster: Path) -> None:
    text = (small_roster / "creators" / "small.csv").read_text(encoding="utf-8").splitlines()
    first = text[1].split(",")
    first[2] = "10000000000000"
    (small_roster / "creators" / "odd.csv").write_text("\n".join([text[0], ",".join(first), *text[2:]]) + "\n",
                                                      encoding="utf-8")
    line = one_line(run(["validate", str(small_roster / "roster.yaml"), "--set", "roster.file=" +
                         str(small_roster / "creators" / "odd.csv")]), 1)
    assert "row 2, followers: outside every tier band of the scenario" in line


def test_a_set_mistake_is_said_once_not_once_per_compared_scenario() -> None:
    line = one_line(run(["compare", str(AWARENESS), str(SCENARIOS / "sales_push.yaml"), "--set", "budget=1j"]), 1)
    assert line.startswith("--set budget=1j: budget: must be a number (got '1j').")


@pytest.mark.parametrize("digits", ["\uff11\uff12", "\u0661\u0662"])  # full-width and Arabic-Indic 12
def test_digits_of_another_script_are_asked_for_in_0_to_9(digits: str) -> None:
    line = one_line(run(["validate", str(AWARENESS), "--set", f"budget={digits}"]), 1)
    assert line.endswith("must be a number (got '" + digits + "'). Type the number with the digits 0-9, e.g. "
                         "'budget: 12'.")


@pytest.mark.parametrize(("typed", "advice"), [
    ("1e15", "Write the number out in full, e.g. 'budget: 1000000000000000'"),
    ("1e300", "Write a plain number, e.g. 'budget: 50000'"),
])
def test_a_number_in_e_notation_is_written_out_only_when_that_is_sensible(typed: str, advice: str) -> None:
    line = one_line(run(["validate", str(AWARENESS), "--set", f"budget={typed}"]), 1)
    assert line.endswith(f"{advice} (YAML reads {typed} as text).")
