"""The run workbook: read back, its figures equal the API's, charts are native, files repeat."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import openpyxl
import pytest

import mixopt
from mixopt.analysis.compare import compare_plans
from mixopt.analysis.frontier import trace_frontier
from mixopt.analysis.sweep import run_sweep
from mixopt.outputs.readback import header_codes, sheet_records
from mixopt.outputs.run_files import write_run_outputs
from mixopt.outputs.workbook import Deliverable
from mixopt.scenario.fields import parse_values
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def sweep():
    return run_sweep(mixopt.load_scenario(SCENARIOS / "sales_push.yaml"), "budget", parse_values("15000:35000:5000"))


def _sheet_rows(path: Path, sheet: str) -> list[dict]:
    """A sheet's rows keyed by column code (the headers are planner words)."""
    return sheet_records(path, sheet)


def _summary(path: Path) -> dict:
    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    return {r[0]: r[1] for r in ws.iter_rows(min_row=2, max_col=2, values_only=True)}


def test_sweep_workbook_figures_equal_the_api(sweep, tmp_path: Path) -> None:
    written = write_run_outputs(Deliverable(sweep=sweep), tmp_path)
    assert {p.name for p in written} == {"sweep.csv", "sweep.json", "sweep.xlsx", "sweep.png"}
    rows = _sheet_rows(tmp_path / "sweep.xlsx", "Sweep")
    assert [r["value"] for r in rows] == [p.value for p in sweep.points]
    for row, point in zip(rows, sweep.points):
        if point.objective is None:
            assert row["objective_value"] is None
        else:
            assert math.isclose(row["objective_value"], point.objective, rel_tol=1e-12)
            assert math.isclose(row["spend"], point.plan.totals["spend"], rel_tol=1e-12)
    book = openpyxl.load_workbook(tmp_path / "sweep.xlsx")
    assert book.sheetnames == ["Summary", "Sweep", "Assumptions", "Data dictionary"]
    summary = _summary(tmp_path / "sweep.xlsx")
    assert summary["Scenario file SHA-256"] == sweep.scenario.content_hash
    assert summary["Solver version"].startswith("HiGHS")
    documented = set(header_codes(tmp_path / "sweep.xlsx").items())
    documented = {(sheet, code) for (sheet, _header), code in documented}
    assert {("Sweep", c) for c in sweep.table().columns} <= documented


def test_workbook_charts_are_native_and_point_at_the_table(sweep, tmp_path: Path) -> None:
    write_run_outputs(Deliverable(sweep=sweep), tmp_path, charts=False)
    with zipfile.ZipFile(tmp_path / "sweep.xlsx") as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2  # the budget curve and the mix by tier
        xml = z.read(charts[0]).decode()
    assert "Sweep!$" in xml and "scatterChart" in xml


def test_run_outputs_are_byte_identical_when_repeated(sweep, tmp_path: Path) -> None:
    first = write_run_outputs(Deliverable(sweep=sweep), tmp_path / "a")
    second = write_run_outputs(Deliverable(sweep=sweep), tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_sweep_json_records_provenance_and_where_the_mix_changes(sweep, tmp_path: Path) -> None:
    write_run_outputs(Deliverable(sweep=sweep), tmp_path, charts=False)
    data = json.loads((tmp_path / "sweep.json").read_text())
    assert data["provenance"]["scenario_sha256"] == sweep.scenario.content_hash
    assert data["kind"] == "exact" and data["mix_changes"] == list(sweep.mix_changes)
    assert len(data["rows"]) == len(sweep.points)


def test_frontier_and_comparison_workbooks_read_back(tmp_path: Path) -> None:
    frontier = trace_frontier(mixopt.load_scenario(SCENARIOS / "base.yaml"), points=4)
    write_run_outputs(Deliverable(frontier=frontier), tmp_path / "f", charts=False)
    rows = _sheet_rows(tmp_path / "f" / "frontier.xlsx", "Frontier")
    assert [r["reach"] for r in rows] == [p.x_value for p in frontier.points]
    plans = [mixopt.optimize(SCENARIOS / n, explain=False) for n in ("awareness_launch.yaml", "sales_push.yaml")]
    write_run_outputs(Deliverable(comparison=compare_plans(plans)), tmp_path / "c", charts=False)
    rows = _sheet_rows(tmp_path / "c" / "compare.xlsx", "Comparison")
    spend = next(r for r in rows if r["item"] == "spend")
    assert spend["A"] == plans[0].totals["spend"] and spend["B"] == plans[1].totals["spend"]
    assert math.isclose(spend["B minus A"], plans[1].totals["spend"] - plans[0].totals["spend"], abs_tol=1e-9)
