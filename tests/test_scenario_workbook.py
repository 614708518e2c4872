"""Scenarios in a workbook: ``mixopt template`` writes one, every command reads one with the YAML
scenario's validation (problems name the sheet and cell), ``mixopt convert`` translates YAML and
workbooks without loss (every shipped scenario plans the same after a round trip), hostile
workbooks get one line, and a workbook saved again by LibreOffice still reads."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mixopt
from mixopt.cli import cli
from mixopt.scenario.defaults import default_value
from mixopt.scenario.load import read_scenario
from tests.conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
SOFFICE = shutil.which("soffice")


def _invoke(*args: Any) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def _template(path: Path, *extra: str) -> Path:
    result = _invoke("template", path, *extra)
    assert result.exit_code == 0, result.output
    return path


def _open(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def _row(ws: Any, column: int, text: str) -> int:
    """The first row whose cell in ``column`` (1-based) holds ``text``."""
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, column).value == text)


def _edit(source: Path, target: Path, edits: list[tuple[str, str, Any]]) -> Path:
    """A copy of a workbook with cells changed: (sheet, 'C4' or 'field=budget' / 'row=nano.tiktok/fee_per_post', value)."""
    book = _open(source)
    for sheet, where, value in edits:
        ws = book[sheet]
        if where.startswith("field="):
            ws.cell(_row(ws, 2, where[6:]), 3).value = value
        elif where.startswith("row="):
            key, parameter, column = where[4:].split("/")
            row = next(r for r in range(4, ws.max_row + 1)
                       if ws.cell(r, 1).value == key and ws.cell(r, 2).value == parameter)
            ws.cell(row, {"low": 3, "base": 4, "high": 5, "per": 8, "set_by": 9}[column]).value = value
        else:
            ws[where] = value
    book.save(target)
    return target


def _without_table(scenario: Any) -> dict[str, Any]:
    dump = scenario.model_dump(mode="json")
    if dump.get("roster"):
        dump["roster"].pop("file")
    return dump


def _plan_figures(path: Path) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """A plan's status, totals and allocation (plan.json's), with 'no value' (NaN) as None."""
    def plain(value: Any) -> Any:
        return None if isinstance(value, float) and math.isnan(value) else value

    plan = mixopt.optimize(path, explain=False)
    return (plan.status.value, {k: plain(v) for k, v in plan.totals.items()},
            [{k: plain(v) for k, v in row.items()} for row in plan.allocation.to_dict("records")])


# ----------------------------------------------------------------------------- the template


def test_the_template_has_every_sheet_drop_down_lists_and_the_built_in_numbers_in_place(tmp_path: Path) -> None:
    book = _open(_template(tmp_path / "t.xlsx"))
    assert book.sheetnames == ["Instructions", "Scenario", "Tiers", "Platforms", "Rules", "Assumptions", "Baseline",
                               "Roster", "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    scenario = book["Scenario"]
    goal_row = _row(scenario, 2, "objective")
    assert scenario.cell(goal_row, 3).value == "maximize reach"
    validations = {name: [(str(v.sqref), v.formula1) for v in book[name].data_validations.dataValidation]
                   for name in ("Scenario", "Platforms", "Rules", "Assumptions", "Baseline")}
    assert (f"C{goal_row}", "Lists!$A$2:$A$10") in validations["Scenario"]  # goals
    assert any(ref.startswith("A4:") for ref, _ in validations["Rules"])  # levels
    assert any(ref.startswith("A4:") for ref, _ in validations["Platforms"])
    assert any(ref.startswith("A4:") for ref, _ in validations["Baseline"])
    assert len(validations["Assumptions"]) == 3  # applies_to, parameter, per
    rules = book["Rules"]
    assert (rules["A4"].value, rules["C4"].value) == ("team", 40)
    ws = book["Assumptions"]
    header = [c.value for c in ws[3]]
    row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[:2] == ("nano.tiktok", "fee_per_post"))
    built = default_value("nano", "tiktok", "fee_per_post")
    assert built is not None
    got = dict(zip(header, row, strict=False))
    assert (got["low"], got["base"], got["high"], got["set_by"]) == (built.low, built.base, built.high, "built-in")
    assert (got["unit"], got["source"], got["year"], got["grade"]) == (built.unit, built.source, built.year, built.grade)
    per = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[:2] == ("nano.tiktok", "engagement_rate"))
    assert dict(zip(header, per, strict=False))["per"] == "views"


def test_the_template_solves_as_it_is_and_repeats_byte_for_byte(tmp_path: Path) -> None:
    first = _template(tmp_path / "t.xlsx").read_bytes()
    (tmp_path / "t.xlsx").unlink()
    assert _template(tmp_path / "t.xlsx").read_bytes() == first
    plan = mixopt.optimize(tmp_path / "t.xlsx", explain=False)
    assert plan.status.value == "optimal" and plan.totals["creators"] > 0


def test_a_roster_template_names_the_creator_table_from_its_own_folder_and_has_no_baseline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(SCENARIOS / "creators" / "skincare_roster.csv", tmp_path / "creators.csv")
    monkeypatch.chdir(tmp_path)  # the table as typed, from the current folder; the workbook in another
    _template(Path("book") / "r.xlsx", "--roster", "creators.csv")
    raw, scenario = read_scenario(tmp_path / "book" / "r.xlsx")
    assert raw.data["roster"]["file"] == "../creators.csv"
    assert scenario.roster is not None and Path(scenario.roster_path).resolve() == (tmp_path / "creators.csv").resolve()
    assert "baseline" not in raw.data
    missing = _invoke("template", Path("other.xlsx"), "--roster", "creatorz.csv")
    assert missing.exit_code == 2 and missing.output.count("\n") == 1 and "--roster" in missing.output
    assert "creatorz.csv" in missing.output and not (tmp_path / "other.xlsx").exists()


# ----------------------------------------------------------------------------- convert, both ways


@pytest.mark.parametrize("source", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_round_trips_yaml_xlsx_yaml_to_the_same_plan(source: Path, tmp_path: Path) -> None:
    book, back = tmp_path / "book" / f"{source.stem}.xlsx", tmp_path / f"{source.stem}.yaml"
    assert _invoke("convert", source, book).exit_code == 0
    result = _invoke("convert", book, back)
    assert result.exit_code == 0, result.output
    first = read_scenario(source)[1]
    for written in (book, back):
        again = read_scenario(written)[1]
        # the creator table's path is rewritten to be found from the new folder
        assert Path(again.roster_path).resolve() == Path(first.roster_path).resolve()
        assert _without_table(again) == _without_table(first)
    assert _plan_figures(back) == _plan_figures(source)


def test_a_converted_workbook_says_it_holds_the_scenario_with_its_extends_chain_merged(tmp_path: Path) -> None:
    assert _invoke("convert", SCENARIOS / "sales_push.yaml", tmp_path / "s.xlsx").exit_code == 0
    note = _open(tmp_path / "s.xlsx")["Instructions"]["A2"].value
    assert "extends" in note and "base.yaml" in note and "merged in" in note
    assert _plan_figures(tmp_path / "s.xlsx") == _plan_figures(SCENARIOS / "sales_push.yaml")


def test_a_cell_value_equal_to_the_built_in_under_a_tier_override_survives_the_round_trip(tmp_path: Path) -> None:
    built = default_value("nano", "tiktok", "fee_per_post")
    assert built is not None
    source = tmp_path / "s.yaml"
    source.write_text(f"budget: 20000\nassumptions:\n  nano: {{fee_per_post: 99}}\n"
                      f"  nano.tiktok: {{fee_per_post: {built.base}}}\n", encoding="utf-8")
    assert _invoke("convert", source, tmp_path / "s.xlsx").exit_code == 0
    assert _invoke("convert", tmp_path / "s.xlsx", tmp_path / "back.yaml").exit_code == 0
    data = read_scenario(tmp_path / "back.yaml")[0].data
    assert data["assumptions"] == {"nano": {"fee_per_post": 99}, "nano.tiktok": {"fee_per_post": built.base}}


def test_convert_refuses_the_same_kind_twice_and_an_existing_target(tmp_path: Path) -> None:
    same = _invoke("convert", SCENARIOS / "base.yaml", tmp_path / "x.yaml")
    assert same.exit_code == 2 and not (tmp_path / "x.yaml").exists()
    target = tmp_path / "x.xlsx"
    target.write_bytes(b"keep me")
    result = _invoke("convert", SCENARIOS / "base.yaml", target)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"{target}: (file): already exists")
    assert target.read_bytes() == b"keep me"
    assert _invoke("convert", SCENARIOS / "base.yaml", target, "--force").exit_code == 0


def test_converting_a_broken_scenario_lists_its_problems_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text("budget: -5\nrules: {max_creators: 2.5}\n", encoding="utf-8")
    result = _invoke("convert", source, tmp_path / "bad.xlsx")
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 2
    assert not (tmp_path / "bad.xlsx").exists() and list(tmp_path.iterdir()) == [source]


# ----------------------------------------------------------------------------- reading: same validation, cells named


def test_a_planner_mistake_names_the_sheet_and_cell(tmp_path: Path) -> None:
    book = _edit(_template(tmp_path / "t.xlsx"), tmp_path / "bad.xlsx", [
        ("Rules", "C4", 70.5), ("Scenario", "field=economics.margin_rate", "60%"),
        ("Assumptions", "row=nano.tiktok/fee_per_post/base", -3), ("Baseline", "C4", 2)])
    ws = _open(book)["Scenario"]
    ws_row = _row(ws, 2, "economics.margin_rate")
    result = _invoke("validate", book)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"{book}: Rules!C4: rules.max_creators: must be a whole number (got 70.5). Write a whole number, e.g. " \
           "'max_creators: 40'." in lines
    assert any(line.startswith(f"{book}: Scenario!C{ws_row}: economics.margin_rate: must be a number (got '60%')")
               for line in lines)
    assert any(": assumptions.nano.tiktok.fee_per_post.base: must not be negative (got -3)" in line
               and "Assumptions!D" in line for line in lines)
    assert f"{book}: Baseline!B4: baseline.pico.instagram.creators: is required. Add 'creators: 10'." in lines
    assert len(lines) == 4 and "Traceback" not in result.output


def test_an_edit_in_place_sets_one_cell_and_a_tier_row_reaches_every_cell_still_at_the_built_in(tmp_path: Path
                                                                                             ) -> None:
    source = _template(tmp_path / "t.xlsx")
    book = _open(source)
    ws = book["Assumptions"]
    row = next(r for r in range(4, ws.max_row + 1)
               if (ws.cell(r, 1).value, ws.cell(r, 2).value) == ("nano.tiktok", "engagement_rate"))
    ws.cell(row, 4).value = 0.15  # edited in place on a per-view row
    ws.append(["micro", "product_cost", None, 55])
    book.save(tmp_path / "edited.xlsx")
    raw, scenario = read_scenario(tmp_path / "edited.xlsx")
    assumptions = raw.data["assumptions"]
    assert set(assumptions) == {"nano", "nano.tiktok", "micro"}
    assert assumptions["nano.tiktok"]["engagement_rate_per"] == "views"  # the row's 'per' keeps its meaning
    assert assumptions["micro"] == {"product_cost": 55}
    from mixopt.scenario.cells import resolve_cells

    cells = {cell.key: cell for cell in resolve_cells(scenario)}
    assert all(cells[f"micro.{p}"].product_cost == 55 for p in scenario.platforms)
    assert cells["nano.tiktok"].engagement_rate_per == "views"


# ----------------------------------------------------------------------------- hostile workbooks


def _no_scenario_sheet(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Budget"
    book.save(path)


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 3_000_000)


def _many_rows(template: Path, path: Path) -> None:
    _edit(template, path, [("Rules", "C6001", 1)])


HOSTILE = {
    "not_a_zip": (lambda t, p: p.write_text("budget: 1\n"), "is not an .xlsx workbook (it is not a zip archive)"),
    "empty": (lambda t, p: p.write_bytes(b""), "is not an .xlsx workbook"),
    "zip_bomb": (lambda t, p: _zip_bomb(p), "the workbook unpacks to 3,000,000 bytes"),
    "no_scenario_sheet": (lambda t, p: _no_scenario_sheet(p), "(file): the workbook has no Scenario sheet"),
    "misnamed_sheet": (lambda t, p: _edit(t, p, []) and _rename(p, "Rules", "Rule"), "Rule!A1: not a sheet mixopt "
                       "reads. Did you mean 'Rules'?"),
    "formula_without_value": (lambda t, p: _edit(t, p, [("Scenario", "field=budget", "=1+1")]),
                              "budget: is a formula with no saved value"),
    "text_budget": (lambda t, p: _edit(t, p, [("Scenario", "field=budget", "lots")]),
                    "budget: must be a number (got 'lots')"),
    "too_many_rows": (lambda t, p: _many_rows(t, p), "Rules!A6001: the sheet has more than 5,000 rows"),
    "bad_level": (lambda t, p: _edit(t, p, [("Rules", "A4", "everyone")]), "Rules!A4: level: must be team, tier, "
                  "platform or cell (got 'everyone')"),
}


def _rename(path: Path, old: str, new: str) -> None:
    book = _open(path)
    book[old].title = new
    book.save(path)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_workbook_gets_one_line_and_exit_1(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:
    make, expected = HOSTILE[case]
    if case == "zip_bomb":
        monkeypatch.setenv("MIXOPT_MAX_SCENARIO_BYTES", "200000")
    template = _template(tmp_path / "t.xlsx")
    path = tmp_path / "hostile.xlsx"
    make(template, path)
    for command in ("validate", "solve"):
        result = _invoke(command, path)
        assert result.exit_code == 1, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{path}: ") and expected in lines[0], lines
        assert "Traceback" not in result.output


def test_a_workbook_over_the_size_limit_a_folder_and_an_xls_file_are_refused(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = _template(tmp_path / "t.xlsx")
    monkeypatch.setenv("MIXOPT_MAX_SCENARIO_BYTES", "1000")
    result = _invoke("validate", path)
    assert result.exit_code == 1 and "over the 1,000-byte limit for a scenario workbook" in result.stderr
    monkeypatch.delenv("MIXOPT_MAX_SCENARIO_BYTES")
    (tmp_path / "folder.xlsx").mkdir()
    with pytest.raises(mixopt.ScenarioError, match="folder.xlsx: [(]file[)]: is a folder, not a file"):
        mixopt.load_scenario(tmp_path / "folder.xlsx")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    result = _invoke("validate", tmp_path / "old.xls")
    assert result.stderr == f"{tmp_path / 'old.xls'}: (file): a scenario cannot be read from a .xls file. Save it " \
                            "as .xlsx (a scenario workbook) or write it as .yaml.\n"


_CELL_VALUES = st.one_of(st.none(), st.integers(-10**6, 10**9), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30), st.booleans(),
                         st.sampled_from(["=1/0", "nano.tiktok", "team", "none", "maximize profit", "0.25:1, 1:0.5"]))


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(["Scenario", "Tiers", "Platforms", "Rules", "Assumptions", "Baseline",
                                                  "Roster"]), st.integers(1, 40), st.integers(1, 12), _CELL_VALUES),
                      min_size=1, max_size=6))
def test_any_edit_of_a_template_is_a_plan_or_one_line_per_problem(edits: list[tuple[str, int, int, Any]],
                                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = _template(folder / "t.xlsx")
    book = _open(path)
    for sheet, row, column, value in edits:
        book[sheet].cell(row, column).value = value
    book.save(path)
    result = _invoke("validate", path)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    if result.exit_code == 1:
        assert all(line.startswith(f"{path}: ") for line in result.stderr.splitlines())


# ----------------------------------------------------------------------------- a real spreadsheet program


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_workbook_saved_again_by_libreoffice_still_reads_as_the_same_scenario(tmp_path: Path) -> None:
    book = tmp_path / "sales_push.xlsx"
    assert _invoke("convert", SCENARIOS / "sales_push.yaml", book).exit_code == 0
    out = tmp_path / "saved"
    profile = (tmp_path / "profile").as_uri()  # its own profile: another LibreOffice may be running
    subprocess.run([str(SOFFICE), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(out), str(book)], check=True, capture_output=True, timeout=180,
                   env={**os.environ, "HOME": str(tmp_path)})
    saved = out / "sales_push.xlsx"
    assert saved.is_file() and saved.read_bytes() != book.read_bytes()
    assert read_scenario(saved)[1].model_dump() == read_scenario(SCENARIOS / "sales_push.yaml")[1].model_dump()
    result = _invoke("validate", saved)
    assert result.exit_code == 0, result.output
