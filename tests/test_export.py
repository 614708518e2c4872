"""Exports: stable, byte-identical, atomic files whose figures equal the Python API's."""

from __future__ import annotations

import json
import math
from pathlib import Path

import openpyxl
import pytest

import mixopt
from mixopt.outputs.columns import COLUMNS
from mixopt.outputs.files import write_atomic
from mixopt.outputs.labels import header_of
from mixopt.outputs.plan_files import plan_csv, plan_json, write_outputs
from mixopt.outputs.readback import sheet_records
from mixopt.outputs.tables import format_table
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def plan() -> mixopt.Plan:
    return mixopt.optimize(SCENARIOS / "sales_push.yaml")


def test_csv_and_json_are_byte_identical_across_runs(tmp_path: Path) -> None:
    first = write_outputs(mixopt.optimize(SCENARIOS / "sales_push.yaml"), tmp_path / "a")
    second = write_outputs(mixopt.optimize(SCENARIOS / "sales_push.yaml"), tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_csv_columns_are_the_documented_ones_and_end_with_a_total(plan: mixopt.Plan) -> None:
    lines = plan_csv(plan).splitlines()
    assert lines[0].split(",") == [c[0] for c in COLUMNS]
    assert lines[-1].startswith("total,all,70,")
    assert len(lines) == 1 + len(plan.cells) + 1


def test_json_records_provenance_and_equals_the_api_figures(plan: mixopt.Plan) -> None:
    data = json.loads(plan_json(plan))
    prov = data["provenance"]
    assert prov["scenario_sha256"] == plan.scenario.content_hash and len(prov["scenario_sha256"]) == 64
    assert prov["solver_version"].startswith("HiGHS") and prov["mixopt_version"]
    assert data["status"] == "optimal"
    assert math.isclose(data["totals"]["spend"], plan.totals["spend"])
    assert math.isclose(data["objective"]["value"], plan.objective_value)
    assert {a["parameter"] for a in data["assumptions"]} >= {"fee_per_post", "acceptance_rate", "pool"}
    assert all(b["explanation"] for b in data["binding_rules"])


def test_xlsx_reads_back_with_numbers_stored_as_numbers(plan: mixopt.Plan, tmp_path: Path) -> None:
    write_outputs(plan, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert book.sheetnames == ["Summary", "Plan", "Your mix", "Assumptions", "Data dictionary"]
    sheet = book["Plan"]
    header = [c.value for c in sheet[1]]
    assert header == [header_of(c[0]) for c in COLUMNS]  # planner words; the codes are in the dictionary
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(plan.cells) + 1 and rows[-1][:2] == ("Total", "all")
    spend_col = header.index("Spend")
    assert all(isinstance(r[spend_col], (int, float)) for r in rows)  # numbers, not text
    assert math.isclose(sum(r[spend_col] for r in rows[:-1]), plan.totals["spend"])
    assert math.isclose(rows[-1][spend_col], plan.totals["spend"])
    codes = {r[2]: r[1] for r in book["Data dictionary"].iter_rows(min_row=2, values_only=True)}
    assert set(codes) >= {c[0] for c in COLUMNS}
    assert codes["expected_signed"] == "Expected to sign"
    by_code = sheet_records(tmp_path / "plan.xlsx", "Plan")
    assert [r["creators"] for r in by_code] == list(plan.allocation["creators"])


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "plan.csv"
    target.write_text("old\n")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("killed midway")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]


def test_table_shows_status_totals_limits_and_your_mix(plan: mixopt.Plan) -> None:
    text = format_table(plan)
    assert "Status: optimal" in text and "maximise profit" in text
    assert "total" in text and "What limits the plan" in text
    assert "Your mix (breaks: reach target (250,000))" in text
