"""``mixopt calibrate``: past campaign results in, calibrated assumptions (calibrated.yaml) out."""

from __future__ import annotations

from pathlib import Path

import click

import mixopt
from mixopt.cli.app import cli
from mixopt.cli.common import OutFolder, check_out, planner_errors, write_or_fail, wrote_text
from mixopt.scenario.schema import Scenario


def results_options(f: click.decorators.FC) -> click.decorators.FC:
    """RESULTS..., --scenario, --columns and --skip-bad-rows, shared with ``mixopt review``."""
    f = click.option("--skip-bad-rows", is_flag=True, default=False,
                     help="Skip bad rows (counted and listed in the report) instead of stopping.")(f)
    f = click.option("--columns", "columns", multiple=True, metavar="NAME=COLUMN",
                     help="Map a column of the results to a mixopt name, e.g. --columns conversions='Code uses' "
                          "(repeat for more).")(f)
    return f


def load_results(paths: tuple[Path, ...], scenario: Scenario, columns: tuple[str, ...], skip: bool):  # noqa: ANN201
    """The results tables read and checked against the scenario (its platforms and tier bands)."""
    from mixopt.scenario.results import parse_column_mapping, read_results

    return read_results(list(paths), scenario, columns=parse_column_mapping(columns), skip_bad_rows=skip)


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "scenario_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scenario whose tier bands, platforms and assumptions are the prior (default: the built-in "
                   "tiers, platforms and defaults).")
@results_options
@click.option("--out", "out_dir", type=OutFolder(), required=True,
              help="Write calibrated.yaml, calibration.csv and calibration.xlsx into this folder.")
def calibrate(results: tuple[Path, ...], scenario_path: Path | None, columns: tuple[str, ...], skip_bad_rows: bool,
              out_dir: Path) -> None:
    """Learn the cell assumptions from past campaign RESULTS (CSV or XLSX, one row per creator or per post).

    Writes calibrated.yaml: per tier.platform cell, reach, engagement, conversion, click and
    acceptance rates and fees and costs, each with the value for a new creator (base), P10 / P90
    for one creator (low / high) and P10 / P90 of the cell average (mean_low / mean_high). Cells
    with few creators are pulled towards their tier and platform and the defaults. Plan with it by
    adding 'assumptions_from: calibrated.yaml' to a scenario.

    \b
    Example:
      mixopt calibrate scenarios/results/spring_campaign.csv --out calibrated/
      mixopt calibrate q1.xlsx q2.csv --scenario scenarios/base.yaml --columns conversions=Orders --out cal/
    """
    from mixopt.analysis.calibrate import calibrate as run_calibration
    from mixopt.outputs.calibration_files import calibration_text, write_calibration

    with planner_errors():
        scenario = mixopt.load_scenario(scenario_path) if scenario_path is not None else Scenario()
        table = load_results(results, scenario, columns, skip_bad_rows)  # read first: a bad file leaves no folder
        check_out(out_dir)
        calibration = run_calibration(table, scenario)
        written = write_or_fail(out_dir, lambda: write_calibration(calibration, out_dir))
        click.echo(calibration_text(calibration) + wrote_text(written), nl=False)
