"""A real spreadsheet program in the loop: LibreOffice opens every workbook kind mixopt writes and
prints it to PDF without a warning; the plan workbook of the shipped sales scenario (the largest
tier plan: 9 cells and the planner's own mix) prints in at most 6 pages, its Summary on one
(bench/bench_workbooks.py prints the pages of every shipped scenario's). Skips when ``soffice``
is not on PATH."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import mixopt
from mixopt.analysis.compare import compare_plans
from mixopt.analysis.frontier import trace_frontier
from mixopt.analysis.sweep import run_sweep
from mixopt.outputs.plan_files import write_xlsx
from mixopt.outputs.roster_files import write_roster_outputs
from mixopt.outputs.workbook import Deliverable, write_workbook
from mixopt.scenario.fields import parse_values
from tests.conftest import ROOT, SCENARIOS

MOST_PAGES = 6  # a tier plan workbook prints in at most this many pages


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_workbooks", ROOT / "bench" / "bench_workbooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _bench()
pytestmark = pytest.mark.skipif(bench.soffice() is None, reason="LibreOffice (soffice) is not on PATH")


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, int | None], list[str]]:
    """Every workbook kind written from shipped scenarios, converted to PDF with one LibreOffice
    start (plus the sales plan's Summary alone): pages per workbook and LibreOffice's messages."""
    out = tmp_path_factory.mktemp("workbooks")
    books: dict[str, Path] = {}
    books["plan"] = out / "plan.xlsx"  # the largest shipped tier plan: 9 cells and the planner's own mix
    write_xlsx(mixopt.optimize(SCENARIOS / "sales_push.yaml"), books["plan"])
    roster_plan = mixopt.optimize(SCENARIOS / "roster_skincare.yaml", explain=False)  # solved once, written twice
    write_roster_outputs(roster_plan, out / "roster")
    books["roster"] = (out / "roster" / "plan.xlsx").rename(out / "roster.xlsx")
    sales = mixopt.load_scenario(SCENARIOS / "sales_push.yaml")
    runs = {
        "sweep": Deliverable(sweep=run_sweep(sales, "budget", parse_values("15000:35000:5000"))),
        "frontier": Deliverable(frontier=trace_frontier(mixopt.load_scenario(SCENARIOS / "base.yaml"), points=3)),
        "comparison": Deliverable(comparison=compare_plans(
            [mixopt.optimize(SCENARIOS / "conversions_by_tier.yaml", explain=False), roster_plan])),
    }
    for name, deliverable in runs.items():
        books[name] = out / f"{name}.xlsx"
        write_workbook(books[name], deliverable)
    books["summary_only"] = out / "summary_only.xlsx"
    bench.only_sheet(books["plan"], bench.sheet_names(books["plan"]).index("Summary"), books["summary_only"])
    pages, messages = bench.convert(list(books.values()), out / "pdf")
    return {name: pages[path] for name, path in books.items()}, messages


def test_every_workbook_kind_converts_to_pdf_without_a_warning(printed) -> None:
    pages, messages = printed
    assert not [name for name, n in pages.items() if not n], pages
    assert messages == []
    assert set(pages) == {"plan", "roster", "sweep", "frontier", "comparison", "summary_only"}


def test_the_plan_workbook_of_a_shipped_scenario_prints_in_at_most_six_pages(printed) -> None:
    pages, _messages = printed
    assert 1 <= pages["plan"] <= MOST_PAGES


def test_the_plan_summary_prints_on_one_page(printed) -> None:
    pages, _messages = printed
    assert pages["summary_only"] == 1
