"""A simulation split in chunks with their own seeds gives the same figures wherever the chunks
run: in this process or on a real Dask scheduler with two worker processes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import mixopt
from mixopt.analysis.simulate import CHUNK_DRAWS, chunk_sizes, simulate_plan
from mixopt.cli import cli

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.yaml"
SKINCARE = ROOT / "scenarios" / "roster_skincare.yaml"


def test_draws_come_in_fixed_chunks_whatever_the_total() -> None:
    assert chunk_sizes(1) == [1]
    assert chunk_sizes(2 * CHUNK_DRAWS + 5) == [CHUNK_DRAWS, CHUNK_DRAWS, 5]
    assert sum(chunk_sizes(10_000)) == 10_000


def test_a_longer_simulation_starts_with_the_draws_of_a_shorter_one() -> None:
    plan = mixopt.optimize(BASE, explain=False)
    short, long = simulate_plan(plan, CHUNK_DRAWS, 3), simulate_plan(plan, 2 * CHUNK_DRAWS, 3)
    assert short.quantiles.loc["reach", "p50"] != long.quantiles.loc["reach", "p50"]  # more draws
    again = simulate_plan(plan, CHUNK_DRAWS, 3)
    assert again.quantiles.equals(short.quantiles)


def test_simulate_on_a_real_scheduler_prints_the_figures_of_this_process(scheduler: str) -> None:
    for scenario in (BASE, SKINCARE):
        args = ["simulate", str(scenario), "--samples", "4500", "--seed", "5", "--format", "json"]
        here = CliRunner().invoke(cli, args)
        there = CliRunner().invoke(cli, [*args, "--scheduler", scheduler])
        assert here.exit_code == 0, here.output
        assert there.exit_code == 0, there.output
        assert there.stdout == here.stdout


def test_simulate_out_writes_a_simulation_workbook_that_matches_simulation_csv(tmp_path: Path) -> None:
    import csv
    import io

    import openpyxl

    args = ["simulate", str(BASE), "--samples", "600", "--safe", "0.9"]
    first = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a")])
    second = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "b")])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    a, b = tmp_path / "a" / "simulation.xlsx", tmp_path / "b" / "simulation.xlsx"
    assert a.read_bytes() == b.read_bytes()
    book = openpyxl.load_workbook(a)
    assert book.sheetnames == ["Summary", "Simulation", "Expected plan", "Safe plan", "Data dictionary"]
    rows = list(book["Simulation"].iter_rows(values_only=True))
    table = list(csv.DictReader(io.StringIO((tmp_path / "a" / "simulation.csv").read_text(encoding="utf-8"))))
    assert len(rows) - 1 == len(table)
    for sheet_row, csv_row in zip(rows[1:], table):
        assert (sheet_row[0], sheet_row[1]) == (csv_row["plan"], csv_row["kpi"])
        if csv_row["p50"]:
            assert abs(float(sheet_row[4]) - float(csv_row["p50"])) < 1e-6 * max(1.0, abs(float(csv_row["p50"])))
    sheet = book["Simulation"]
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
