"""Every workbook kind mixopt writes, opened by a real spreadsheet program: LibreOffice headless
converts each to PDF and this prints the pages per sheet and any conversion warning.

    .venv/bin/python bench/bench_workbooks.py [--out DIR] [--quick]

Workbooks come from the shipped scenarios (scenarios/*.yaml): the tier plan of every tier
scenario, the roster plan, a budget sweep (exact and LP preview), a frontier, a tier and a
roster comparison (and, without --quick, a roster sweep and frontier). Pages per sheet are
counted by converting one copy of the workbook per sheet with every other sheet hidden (one
LibreOffice start for all copies). Needs ``soffice`` on PATH (Debian: apt-get install
libreoffice-calc-nogui).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

__all__ = ["Converted", "soffice", "write_workbooks", "convert", "pdf_pages", "sheet_names", "only_sheet", "pages_per_sheet"]


#: What LibreOffice prints that is not about a workbook: no Java on the machine, a PDF replaced.
STARTUP_NOISE = ("failed to launch javaldx", "Overwriting: ")


@dataclass
class Converted:
    """One workbook after LibreOffice: its PDF pages (None when it did not convert), its pages
    per sheet, and what LibreOffice said beyond the usual 'convert ... using filter' line."""

    workbook: Path
    pages: int | None = None
    sheets: dict[str, int | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def soffice() -> str | None:
    """The LibreOffice command on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def write_workbooks(out: Path, quick: bool = False) -> list[Path]:
    """Write every workbook kind from the shipped scenarios into ``out``; returns their paths."""
    import mixopt
    from mixopt.analysis.compare import compare_plans
    from mixopt.analysis.frontier import trace_frontier
    from mixopt.analysis.sweep import run_sweep
    from mixopt.outputs.plan_files import write_xlsx
    from mixopt.outputs.roster_files import write_roster_outputs
    from mixopt.outputs.workbook import Deliverable, write_workbook
    from mixopt.scenario.fields import parse_values

    out.mkdir(parents=True, exist_ok=True)
    written = []
    tier = sorted(p for p in SCENARIOS.glob("*.yaml") if mixopt.load_scenario(p).roster is None)
    for path in tier:
        target = out / f"plan_{path.stem}.xlsx"
        write_xlsx(mixopt.optimize(path), target)
        written.append(target)
    roster = SCENARIOS / "roster_skincare.yaml"
    folder = out / "roster"
    write_roster_outputs(mixopt.optimize(roster), folder)
    written.append((folder / "plan.xlsx").rename(out / "plan_roster_skincare.xlsx"))
    sales = mixopt.load_scenario(SCENARIOS / "sales_push.yaml")
    budgets = parse_values("15000:40000:5000")
    runs = {
        "sweep_sales_push": Deliverable(sweep=run_sweep(sales, "budget", budgets)),
        "sweep_preview_sales_push": Deliverable(sweep=run_sweep(sales, "budget", budgets, preview=True)),
        "frontier_base": Deliverable(frontier=trace_frontier(mixopt.load_scenario(SCENARIOS / "base.yaml"), points=6)),
        "comparison_tier": Deliverable(comparison=compare_plans(
            [mixopt.optimize(SCENARIOS / n, explain=False) for n in ("awareness_launch.yaml", "sales_push.yaml")])),
        "comparison_tier_roster": Deliverable(comparison=compare_plans(
            [mixopt.optimize(SCENARIOS / n, explain=False) for n in ("conversions_by_tier.yaml", "roster_skincare.yaml")])),
    }
    if not quick:
        skincare = mixopt.load_scenario(roster)
        runs["sweep_roster_skincare"] = Deliverable(sweep=run_sweep(skincare, "budget", parse_values("30000:50000:10000")))
        runs["frontier_roster_skincare"] = Deliverable(frontier=trace_frontier(skincare, points=3))
    for name, deliverable in runs.items():
        write_workbook(out / f"{name}.xlsx", deliverable)
        written.append(out / f"{name}.xlsx")
    return written


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF as LibreOffice writes it (one /Type/Page object per page)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def sheet_names(workbook: Path) -> list[str]:
    with zipfile.ZipFile(workbook) as z:
        xml = z.read("xl/workbook.xml").decode("utf-8")
    return [_unescape(n) for n in re.findall(r'<sheet name="([^"]*)"', xml)]


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def only_sheet(workbook: Path, keep: int, target: Path) -> None:
    """A copy of ``workbook`` with every sheet but the ``keep``-th hidden (and it active)."""
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                xml = data.decode("utf-8")
                count = iter(range(10_000))

                def hide(match: re.Match[str]) -> str:
                    return match.group(0) if next(count) == keep else match.group(0).replace("<sheet ", '<sheet state="hidden" ', 1)

                xml = re.sub(r"<sheet [^>]*/>", hide, xml)
                xml = re.sub(r'activeTab="\d+"', "", xml).replace("<workbookView ", f'<workbookView activeTab="{keep}" ', 1)
                data = xml.encode("utf-8")
            elif item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb' tabSelected="1"', b"", data)
            dst.writestr(item, data)


def convert(workbooks: list[Path], outdir: Path, timeout: float = 600) -> tuple[dict[Path, int | None], list[str]]:
    """Convert ``workbooks`` to PDF with one LibreOffice start; returns pages per workbook (None:
    no PDF) and LibreOffice's messages other than the 'convert ... using filter' lines."""
    command = soffice()
    if command is None:
        raise RuntimeError("soffice is not on PATH")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mixopt-lo-") as profile:
        run = subprocess.run([command, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                              "--convert-to", "pdf", "--outdir", str(outdir), *map(str, workbooks)],
                             capture_output=True, text=True, timeout=timeout, check=False)
    messages = [line for line in (run.stdout + run.stderr).splitlines()
                if line.strip() and not re.match(r"convert .* using filter : calc_pdf_Export$", line)
                and not any(noise in line for noise in STARTUP_NOISE)]
    if run.returncode != 0:
        messages.append(f"soffice exited with {run.returncode}")
    pages = {}
    for workbook in workbooks:
        pdf = outdir / (workbook.stem + ".pdf")
        pages[workbook] = pdf_pages(pdf.read_bytes()) if pdf.exists() else None
    return pages, messages


def pages_per_sheet(workbooks: list[Path], work: Path) -> list[Converted]:
    """Pages of each workbook and of each of its sheets, with LibreOffice's messages."""
    totals, messages = convert(workbooks, work / "whole")
    variants: dict[Path, tuple[Path, str]] = {}
    (work / "sheets").mkdir(parents=True, exist_ok=True)
    for i, workbook in enumerate(workbooks):
        for k, name in enumerate(sheet_names(workbook)):
            copy = work / "sheets" / f"w{i:02d}_s{k:02d}.xlsx"
            only_sheet(workbook, k, copy)
            variants[copy] = (workbook, name)
    per_sheet, sheet_messages = convert(list(variants), work / "sheet_pdfs")
    results = {w: Converted(w, totals[w], warnings=[m for m in messages if w.name in m]) for w in workbooks}
    general = [m for m in messages + sheet_messages if not any(w.name in m for w in workbooks)]
    for copy, (workbook, name) in variants.items():
        results[workbook].sheets[name] = per_sheet[copy]
    out = list(results.values())
    if general and out:
        out[0].warnings += general
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="keep the workbooks and PDFs in this folder")
    parser.add_argument("--quick", action="store_true", help="skip the roster sweep and frontier")
    args = parser.parse_args(argv)
    if soffice() is None:
        print("soffice is not on PATH: install LibreOffice (apt-get install libreoffice-calc-nogui)")
        return 2
    with tempfile.TemporaryDirectory(prefix="mixopt-bench-wb-") as tmp:
        work = args.out or Path(tmp)
        start = time.perf_counter()
        workbooks = write_workbooks(work / "xlsx", quick=args.quick)
        written = time.perf_counter() - start
        start = time.perf_counter()
        results = pages_per_sheet(workbooks, work / "pdf")
        converted = time.perf_counter() - start
        print(f"{len(workbooks)} workbooks written in {written:.1f} s; LibreOffice "
              f"({subprocess.run([soffice() or 'soffice', '--version'], capture_output=True, text=True).stdout.strip()})"
              f" converted them and their {sum(len(r.sheets) for r in results)} sheets in {converted:.1f} s")
        print()
        print(f"{'workbook':34} {'pages':>5}  pages per sheet")
        failed = 0
        for r in results:
            sheets = ", ".join(f"{name} {'-' if n is None else n}" for name, n in r.sheets.items())
            print(f"{r.workbook.name:34} {'FAIL' if r.pages is None else r.pages:>5}  {sheets}")
            failed += r.pages is None
            for warning in r.warnings:
                print(f"{'':34}        warning: {warning}")
        if not any(r.warnings for r in results):
            print("\nNo conversion warnings.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
