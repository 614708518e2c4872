"""Workbooks ready to forward, read back with openpyxl: print setup on every sheet, planner
headers with the codes in the Data dictionary, number formats by kind (counts, years, money in
the scenario's currency, percentages), a total row, the --no-explain note, the comparison's
A / B legend and single Assumptions sheet, one chart style, whole counts in CSVs, PNG charts
with units and 'no plan' marks and no empty panel."""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

import mixopt
from mixopt.analysis.compare import compare_plans
from mixopt.analysis.frontier import trace_frontier
from mixopt.analysis.sweep import run_sweep
from mixopt.outputs.charts import plot_mix, plot_sweep
from mixopt.outputs.plan_files import write_xlsx
from mixopt.outputs.readback import sheet_records
from mixopt.outputs.roster_files import roster_plan_csv, write_roster_outputs
from mixopt.outputs.run_files import table_csv, write_run_outputs
from mixopt.outputs.workbook import Deliverable, write_workbook
from mixopt.scenario.fields import parse_values
from tests.conftest import SCENARIOS

ROSTER = Path(__file__).resolve().parent / "data" / "compare" / "roster_small.yaml"


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One workbook of every kind."""
    out = tmp_path_factory.mktemp("books")
    sales = mixopt.load_scenario(SCENARIOS / "sales_push.yaml")
    write_xlsx(mixopt.optimize(sales), out / "plan.xlsx")
    write_roster_outputs(mixopt.optimize(ROSTER, explain=False), out / "roster")
    write_workbook(out / "sweep.xlsx", Deliverable(sweep=run_sweep(sales, "budget", parse_values("15000:35000:5000"))))
    write_workbook(out / "frontier.xlsx", Deliverable(frontier=trace_frontier(mixopt.load_scenario(
        SCENARIOS / "base.yaml"), points=3)))
    plans = [mixopt.optimize(SCENARIOS / n, explain=False) for n in ("awareness_launch.yaml", "sales_push.yaml")]
    write_workbook(out / "compare.xlsx", Deliverable(comparison=compare_plans(plans)))
    return {"plan": out / "plan.xlsx", "roster": out / "roster" / "plan.xlsx", "sweep": out / "sweep.xlsx",
            "frontier": out / "frontier.xlsx", "compare": out / "compare.xlsx"}


def _formats(ws, row: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Header -> number format of that column's cell in ``row``."""
    return {ws.cell(1, c).value: ws.cell(row, c).number_format for c in range(1, ws.max_column + 1)}


@pytest.mark.parametrize("kind", ["plan", "roster", "sweep", "frontier", "compare"])
def test_every_sheet_prints_landscape_one_page_wide_with_its_header_row_repeated(books, kind: str) -> None:
    book = openpyxl.load_workbook(books[kind])
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        # fitToWidth / fitToHeight default to 1 in the file format (XlsxWriter omits a 1)
        assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth or 1) == 1, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert "&A" in ws.oddFooter.left.text and "&P" in ws.oddFooter.right.text
    assert (book["Summary"].page_setup.fitToHeight or 1) == 1  # the Summary on one page


@pytest.mark.parametrize("kind", ["plan", "roster", "sweep", "frontier", "compare"])
def test_headers_are_planner_words_and_the_codes_stay_in_the_data_dictionary(books, kind: str) -> None:
    book = openpyxl.load_workbook(books[kind])
    for ws in book.worksheets:
        if ws.title == "Data dictionary":
            continue
        headers = [c.value for c in ws[1] if c.value is not None]
        assert headers and not [h for h in headers if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", str(h))], ws.title
    codes = [r[2] for r in book["Data dictionary"].iter_rows(min_row=2, values_only=True)]
    assert codes and all(codes) and ("section" if kind == "compare" else "spend") in codes


def test_plan_sheet_formats_counts_money_and_percentages_and_ends_with_a_total_row(books) -> None:
    plan = mixopt.optimize(SCENARIOS / "sales_push.yaml", explain=False)
    ws = openpyxl.load_workbook(books["plan"])["Plan"]
    formats = _formats(ws, 2)  # an unused cell: its blanks carry the column's format too
    assert formats["Creators"] == formats["Posts"] == formats["Invites"] == "#,##0"  # no "70.00"
    assert formats["Spend"] == formats["Cost per conversion"] == '#,##0.00 "USD"'
    assert formats["Reach (people)"] == "#,##0"
    last = ws.max_row
    assert ws.cell(last, 1).value == "Total" and ws.cell(last, 1).font.b
    header = [c.value for c in ws[1]]
    assert ws.cell(last, header.index("Creators") + 1).value == plan.totals["creators"]
    assert math.isclose(ws.cell(last, header.index("Spend") + 1).value, plan.totals["spend"], abs_tol=1e-9)
    split = header.index("Creators x posts") + 1
    longest = max(len(str(ws.cell(r, split).value or "")) for r in range(2, last))
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(split)].width >= longest  # fitted to content


def test_years_have_no_separator_and_shares_print_as_percentages(books) -> None:
    ws = openpyxl.load_workbook(books["plan"])["Assumptions"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2))
    year = next(r[header.index("Year")] for r in rows if r[header.index("Year")].value is not None)
    assert year.value == 2026 and year.number_format == "0"  # "2026", not "2,026"
    share = next(r for r in rows if r[header.index("Assumption")].value == "acceptance_rate")
    assert share[header.index("Planning value")].number_format == "0.0%"
    money = next(r for r in rows if r[header.index("Assumption")].value == "fee_per_post")
    assert money[header.index("Planning value")].number_format == '#,##0.00 "USD"'
    summary = {r[0].value: r[1] for r in openpyxl.load_workbook(books["plan"])["Summary"].iter_rows(min_row=2)}
    assert summary["Gap to the proven best"].number_format == "0.000%"
    assert summary["Creators"].number_format == "#,##0" and summary["Budget"].number_format == '#,##0.00 "USD"'


def test_summary_says_what_limits_the_plan_or_that_marginal_values_were_skipped(books, tmp_path: Path) -> None:
    explained = {r[0]: r[1] for r in openpyxl.load_workbook(books["plan"])["Summary"].iter_rows(
        min_row=2, max_col=2, values_only=True)}
    assert any(str(k).startswith("Limit: ") for k in explained)
    write_xlsx(mixopt.optimize(SCENARIOS / "sales_push.yaml", explain=False), tmp_path / "plan.xlsx")
    skipped = {r[0]: r[1] for r in openpyxl.load_workbook(tmp_path / "plan.xlsx")["Summary"].iter_rows(
        min_row=2, max_col=2, values_only=True)}
    assert "--no-explain" in skipped["What limits the plan"]
    assert not any(str(k).startswith("Limit: ") for k in skipped)


def test_comparison_labels_plans_a_b_with_a_legend_one_assumptions_sheet_and_a_bar_chart(books) -> None:
    book = openpyxl.load_workbook(books["compare"])
    assert book.sheetnames == ["Summary", "Comparison", "Assumptions", "Data dictionary"]
    assert [c.value for c in book["Comparison"][1]][:5] == ["Section", "Item", "A", "B", "B minus A"]
    legend = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, max_col=2, values_only=True)}
    assert legend["Plan A"] == "Skincare launch - awareness" and legend["Plan B"] == "Skincare launch - sales"
    plans = [r["scenario"] for r in sheet_records(books["compare"], "Assumptions")]
    assert set(plans) == {"A", "B"} and plans.count("A") == plans.count("B")
    with zipfile.ZipFile(books["compare"]) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart"))
    assert "barChart" in xml and "Comparison!$C$1" in xml and "Comparison!$D$1" in xml


def test_tier_and_roster_workbooks_draw_spend_by_tier_in_one_style(books) -> None:
    def chart(path: Path) -> str:
        with zipfile.ZipFile(path) as z:
            return next(z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart"))

    def style(xml: str) -> tuple:
        return (re.findall(r'srgbClr val="([0-9A-F]{6})"', xml), re.findall(r'formatCode="([^"]*)"', xml),
                re.findall(r'sz="(\d+)"', xml))

    tier, roster = chart(books["plan"]), chart(books["roster"])
    assert "Spend by tier" in tier and "Spend by tier" in roster
    assert style(tier) == style(roster)


def test_roster_workbook_shows_whole_followers_and_acceptance_as_a_percentage(books) -> None:
    ws = openpyxl.load_workbook(books["roster"])["Selected creators"]
    formats = _formats(ws, 2)
    assert formats["Followers"] == formats["Posts"] == "#,##0"
    assert formats["Acceptance rate"] == "0.0%" and formats["Spend"] == '#,##0.00 "USD"'
    tiers = openpyxl.load_workbook(books["roster"])["By tier"]
    assert tiers.cell(tiers.max_row, 1).value == "Total" and tiers.cell(tiers.max_row, 1).font.b


def test_csvs_print_counts_as_whole_numbers_and_keep_other_figures() -> None:
    roster = mixopt.optimize(ROSTER, explain=False)
    rows = list(csv.DictReader(io.StringIO(roster_plan_csv(roster))))
    assert rows and all(re.fullmatch(r"\d+", r["followers"]) and re.fullmatch(r"\d+", r["posts"]) for r in rows)
    assert all(re.fullmatch(r"\d+\.\d{6}", r["spend"]) for r in rows)
    sales = mixopt.load_scenario(SCENARIOS / "sales_push.yaml")
    exact = run_sweep(sales, "budget", [20000.0, 30000.0])
    text = table_csv(exact.table(), {"scenario_sha256": "x", "mixopt_version": "v", "solver_version": "s"})
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["creators"] == "70" and row["value"] == "20000.000000"  # counts whole, values as before
    preview = run_sweep(sales, "budget", [20000.0, 30000.0], preview=True).table()
    preview.loc[0, "creators_nano"] = 12.5  # a fractional LP creator count keeps its decimals
    text = table_csv(preview, {"scenario_sha256": "x", "mixopt_version": "v", "solver_version": "s"})
    assert next(csv.DictReader(io.StringIO(text)))["creators_nano"] == "12.500000"


def test_png_sweep_marks_budgets_without_a_plan_and_a_preview_has_no_empty_panel() -> None:
    sales = mixopt.load_scenario(SCENARIOS / "sales_push.yaml")
    exact = plot_sweep(run_sweep(sales, "budget", parse_values("10000:30000:10000")))
    top = exact.axes[0]
    assert "no plan" in [t.get_text() for t in top.texts]
    assert top.get_ylabel() == "profit (USD)" and exact.axes[1].get_xlabel() == "budget (USD)"
    assert top.yaxis.get_major_formatter()(12000, 0) == "12,000"
    preview = plot_sweep(run_sweep(sales, "budget", parse_values("10000:30000:10000"), preview=True))
    assert len(preview.axes) == 1  # no mix to draw: no empty panel
    legend = preview.axes[0].get_legend()
    exact.canvas.draw()
    preview.canvas.draw()
    box, plot = legend.get_window_extent(), preview.axes[0].get_window_extent()
    assert box.y1 <= plot.y0  # the legend sits under the data, never over it
    mix = plot_mix(mixopt.optimize(SCENARIOS / "sales_push.yaml", explain=False))
    assert mix.axes[1].get_ylabel() == "spend (USD)" and mix.legends


def test_run_outputs_of_a_comparison_repeat_byte_for_byte(tmp_path: Path) -> None:
    plans = [mixopt.optimize(SCENARIOS / n, explain=False) for n in ("awareness_launch.yaml", "sales_push.yaml")]
    first = write_run_outputs(Deliverable(comparison=compare_plans(plans)), tmp_path / "a", charts=False)
    second = write_run_outputs(Deliverable(comparison=compare_plans(plans)), tmp_path / "b", charts=False)
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_every_plan_column_and_total_has_a_planner_header_and_a_number_kind() -> None:
    from mixopt.outputs.columns import COLUMNS, TOTAL_KEYS
    from mixopt.outputs.labels import HEADERS, KINDS

    missing = [c[0] for c in COLUMNS if c[0] not in HEADERS] + [k for k in TOTAL_KEYS if k not in HEADERS]
    assert missing == []
    assert {kind for _header, kind in HEADERS.values()} <= set(KINDS)
