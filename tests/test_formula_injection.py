"""Text from inputs stays text: in every workbook a creator id, name, category or scenario name
that looks like a formula or a link is a plain string cell (never a formula, never a
hyperlink); in every CSV a text cell beginning with = + - @ tab or carriage return gets a
leading single quote (OWASP CSV injection) while numbers, negative ones included, stay numbers;
on the terminal, control characters are shown escaped."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

import mixopt
from mixopt.analysis.compare import compare_plans
from mixopt.outputs.cells import csv_text, frame_csv, printable
from mixopt.outputs.plan_files import plan_csv, write_xlsx
from mixopt.outputs.roster_files import (
    format_roster_table,
    roster_plan_csv,
    write_roster_outputs,
)
from mixopt.outputs.run_files import run_tables, table_csv, write_run_outputs
from mixopt.outputs.tables import format_table
from mixopt.outputs.workbook import Deliverable
from tests.conftest import SCENARIOS

HOSTILE = ["=1+1", "{=SUM(A1:A2)}", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tTAB", "\rCR",
           "http://evil.example/x", '=HYPERLINK("http://evil.example","click")', "ok\x1b[31mred\x07"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A roster scenario named like a formula whose creators (all must-include) carry hostile ids,
    categories and countries."""
    folder = tmp_path_factory.mktemp("hostile")
    rows = [{"id": cid, "platform": ("instagram", "tiktok")[i % 2], "followers": 3000 + 500 * i,
             "engagement_rate": 0.03, "fee_per_post": 50 + i, "product_cost": 10,
             "category": ("=cat()", "@x", "-y", "+z")[i % 4], "country": "=GB", "overlap_group": f"g{i}",
             "must_include": 1} for i, cid in enumerate(HOSTILE)]
    pd.DataFrame(rows).to_csv(folder / "creators.csv", index=False)
    (folder / "roster.yaml").write_text(yaml.safe_dump({
        "name": '=HYPERLINK("http://evil.example","x")', "currency": "USD", "budget": 20000,
        "objective": {"maximize": "conversions"}, "platforms": ["instagram", "tiktok"],
        "economics": {"average_order_value": 95, "margin_rate": 0.7}, "roster": {"file": "creators.csv"}}))
    return folder / "roster.yaml"


@pytest.fixture(scope="module")
def plan(hostile_roster: Path):  # type: ignore[no-untyped-def]
    return mixopt.optimize(hostile_roster, explain=False)


def _no_formulas_or_links(path: Path) -> list[str]:
    """Every string cell of the workbook; asserts none is a formula and no sheet has a link."""
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        for name in sheets:
            xml = z.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name  # no formula anywhere
            assert "<hyperlink" not in xml, name
        assert not [n for n in z.namelist() if "externalLink" in n]
    book = openpyxl.load_workbook(path)
    texts: list[str] = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                assert cell.hyperlink is None
                if isinstance(cell.value, str):  # the file format writes control characters as _xHHHH_
                    texts.append(re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), cell.value))
    return texts


def test_roster_workbook_writes_hostile_ids_categories_and_names_as_plain_text(plan, tmp_path: Path) -> None:
    write_roster_outputs(plan, tmp_path)
    texts = _no_formulas_or_links(tmp_path / "plan.xlsx")
    ids = [i for i in plan.selected["id"]]
    assert set(ids) >= {h for h in HOSTILE if not h[0].isspace()}  # the reader strips surrounding blanks
    assert set(ids) <= set(texts)  # each id written as it is, as a string
    assert {"=cat()", "@x", "-y", "+z", "=GB", plan.scenario.name} <= set(texts)
    ws = openpyxl.load_workbook(tmp_path / "plan.xlsx")["Selected creators"]
    kinds = {c.data_type for c in ws["A"][1:]}
    assert kinds == {"s"}  # every id cell (and the total row's label) is a string


def test_tier_plan_sweep_and_comparison_workbooks_write_a_formula_like_scenario_name_as_text(tmp_path: Path) -> None:
    scenario = mixopt.load_scenario(SCENARIOS / "hand_solvable.yaml")
    for name in ("=1+1", "@SUM(1)", "{=A1}", "http://evil.example", "\tname", "-minus"):
        odd = scenario.model_copy(update={"name": name})
        plan = mixopt.optimize(odd, explain=False)
        write_xlsx(plan, tmp_path / "plan.xlsx")
        assert name in _no_formulas_or_links(tmp_path / "plan.xlsx")
        write_run_outputs(Deliverable(comparison=compare_plans([plan, plan])), tmp_path / "c", charts=False)
        assert name in _no_formulas_or_links(tmp_path / "c" / "compare.xlsx")
        header = next(csv.reader(io.StringIO((tmp_path / "c" / "compare.csv").read_text(encoding="utf-8"))))
        assert header[2] == csv_text(name) and (header[2].startswith("'") == name.startswith(TRIGGERS))


def test_csv_cells_that_begin_like_a_formula_get_a_leading_quote_and_numbers_stay_numbers(plan) -> None:
    rows = list(csv.DictReader(io.StringIO(roster_plan_csv(plan))))
    for row in rows:
        for column in ("id", "category", "country"):
            value = row[column]
            assert not value.startswith(TRIGGERS), (column, value)
        assert float(row["spend"]) > 0  # a number, unquoted
    ids = {r["id"] for r in rows}
    assert {"'=1+1", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(1+1)", "http://evil.example/x", "{=SUM(A1:A2)}"} <= ids
    frame = pd.DataFrame({"name": ["\tx", "\ry", "-z", "ok"], "change": [-12.5, 3.0, -1.0, 0.0],
                          "creators": [-1.0, 2.0, 3.0, 4.0]})
    text = frame_csv(frame)
    # a carriage return inside a cell is quoted, so no reader takes it for a line break
    assert text == 'name,change,creators\n\'\tx,-12.500000,-1\n"\'\ry",3.000000,2\n\'-z,-1.000000,3\nok,0.000000,4\n'
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[1:] == [["'\tx", "-12.500000", "-1"], ["'\ry", "3.000000", "2"], ["'-z", "-1.000000", "3"],
                          ["ok", "0.000000", "4"]]


def test_run_and_tier_plan_csvs_neutralise_text_cells(tmp_path: Path) -> None:
    scenario = mixopt.load_scenario(SCENARIOS / "hand_solvable.yaml").model_copy(update={"name": "=evil()"})
    plan = mixopt.optimize(scenario, explain=False)
    assert all(not line.startswith(TRIGGERS) for line in plan_csv(plan).splitlines())
    frame, provenance, _facts = run_tables(Deliverable(comparison=compare_plans([plan, plan])))["compare"]
    header = next(csv.reader(io.StringIO(table_csv(frame, provenance))))
    assert header[2:5] == ["'=evil()", "'=evil() (2)", "'=evil() (2) - =evil()"]


def test_terminal_tables_show_control_characters_escaped(plan) -> None:
    text = format_roster_table(plan)
    assert "\x1b" not in text and "\x07" not in text
    assert "ok\\x1b[31mred\\x07" in text
    tier = mixopt.optimize(mixopt.load_scenario(SCENARIOS / "hand_solvable.yaml").model_copy(
        update={"name": "bad\x1b]0;title\x07\u202e"}), explain=False)
    shown = format_table(tier)
    assert "\x1b" not in shown and "\u202e" not in shown and "bad\\x1b]0;title\\x07\\u202e" in shown
    assert printable("tab\there\r\n") == "tab\\there\\r\\n" and printable("Café ok") == "Café ok"
