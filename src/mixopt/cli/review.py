"""``mixopt review``: a plan (plan.json) against what its creators delivered (results tables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import mixopt
from mixopt.cli.app import cli
from mixopt.cli.calibrate import load_results, results_options
from mixopt.cli.common import OutFolder, check_out, planner_errors, write_or_fail, wrote_text
from mixopt.scenario.schema import Scenario


def _scenario_for(plan: dict[str, Any], given: Path | None) -> Scenario:
    """The tier bands and platforms to read the results with: --scenario, else the plan's own scenario."""
    if given is not None:
        return mixopt.load_scenario(given)
    written = Path(str(plan.get("provenance", {}).get("scenario_file", "")))
    if written.suffix in (".yaml", ".yml") and written.is_file():
        return mixopt.load_scenario(written)
    return Scenario()


@cli.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "scenario_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scenario whose tier bands and platforms read the results (default: the plan's scenario file "
                   "when it is still there, else the built-in tiers and platforms).")
@results_options
@click.option("--out", "out_dir", type=OutFolder(), required=True,
              help="Write review.csv, review_flags.csv and review.xlsx into this folder.")
def review(plan_file: Path, results: tuple[Path, ...], scenario_path: Path | None, columns: tuple[str, ...],
           skip_bad_rows: bool, out_dir: Path) -> None:
    """Compare PLAN.json (from 'mixopt solve --out') with the campaign's RESULTS (CSV or XLSX).

    Per cell (tier plans) or creator (roster plans), and in total: creators signed, posts, spend,
    reach, engagements, conversions, revenue, profit, CPA and ROI, planned against actual; each
    gap split into volume (creators signed, posts delivered), rate (reach, engagement, conversion)
    and cost (fees, product, handling), the three parts adding up to the gap. Creators far outside
    their predicted range are listed.

    \b
    Example:
      mixopt review plan/plan.json scenarios/results/spring_campaign.csv --out review/
    """
    from mixopt.analysis.review import read_plan, review_plan
    from mixopt.outputs.review_files import review_text, write_review

    with planner_errors():
        plan = read_plan(plan_file)
        scenario = _scenario_for(plan, scenario_path)
        table = load_results(results, scenario, columns, skip_bad_rows)  # read first: a bad file leaves no folder
        check_out(out_dir)
        found = review_plan(plan, table, str(plan_file))
        written = write_or_fail(out_dir, lambda: write_review(found, out_dir))
        click.echo(review_text(found) + wrote_text(written), nl=False)
