"""``mixopt pilot``: plan a test wave and see whether it is worth it against committing now."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from mixopt.api import solver_options_for
from mixopt.cli.app import cli
from mixopt.cli.common import (
    OutFolder,
    check_out,
    planner_errors,
    read_scenario,
    scenario_argument,
    set_option,
    usage_error,
    write_or_fail,
    wrote_text,
)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value < 1):
        usage_error("--share", "must be a share of the budget above 0 and below 1",
                    "Give e.g. --share 0.2 for a pilot of 20% of the budget", text)
    return value


def _worlds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 10_000:
        usage_error("--worlds", "must be a whole number from 1 to 10,000", "Give e.g. --worlds 40", text)
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        usage_error("--seed", "must be a whole number, 0 or more", "Give e.g. --seed 7", text)
    return value


@cli.command()
@scenario_argument
@click.option("--share", "share_text", default="0.2", show_default=True, metavar="SHARE",
              help="Share of the budget the pilot may spend, above 0 and below 1.")
@click.option("--worlds", "worlds_text", default="40", show_default=True, metavar="N",
              help="Possible truths drawn from the assumptions' ranges to judge the pilot by.")
@click.option("--seed", "seed_text", default="0", show_default=True, metavar="SEED",
              help="Random seed (the same seed repeats the report exactly).")
@set_option
@click.option("--out", "out_dir", type=OutFolder(), default=None,
              help="Write pilot.json, pilot_plan.csv, pilot_plan.json (for review) and pilot_worlds.csv into this folder.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="What to print on standard output.")
def pilot(scenario: Path, share_text: str, worlds_text: str, seed_text: str, settings: tuple[str, ...],
          out_dir: Path | None, fmt: str) -> None:
    """Plan a pilot of about SHARE of the budget and judge it against committing the whole budget now.

    In each simulated world the true rates are drawn from the assumptions' ranges; the pilot's
    results are simulated, calibrated as 'mixopt calibrate' does, and the rest of the budget is
    planned with what they taught. Prints P10 / P50 / P90 of the goal for both strategies, the
    value of the pilot, the pilot plan, and the commands that plan the scale wave after it.

    \b
    Example:
      mixopt pilot scenarios/base.yaml --share 0.2
      mixopt pilot scenarios/sales_push.yaml --share 0.15 --worlds 80 --seed 3 --out pilot/
    """
    from mixopt.analysis.pilot import plan_pilot
    from mixopt.outputs.pilot_files import pilot_json, pilot_text, write_pilot

    share, worlds, seed = _share(share_text), _worlds(worlds_text), _seed(seed_text)
    with planner_errors():
        loaded = read_scenario(scenario, settings)
        file = loaded.source_file
        if loaded.roster is not None:  # not supported yet: a usage error, not a scenario mistake
            click.echo(f"{file}: roster: 'mixopt pilot' plans tier scenarios only (a roster pilot is not supported "
                       f"yet). Plan a roster scenario with 'mixopt solve {file}'.", err=True)
            sys.exit(2)
        if loaded.objective.minimize is not None:
            click.echo(f"{file}: objective: 'mixopt pilot' needs a goal to maximise (a pilot of a least-cost plan is "
                       "not supported yet) (got 'minimize: spend'). Use e.g. --set objective=conversions "
                       "with a budget.", err=True)
            sys.exit(2)
        check_out(out_dir)
        study = plan_pilot(loaded, share, solver_options_for(loaded), worlds=worlds, seed=seed)
        written = write_or_fail(out_dir, lambda: write_pilot(study, out_dir)) if out_dir is not None else []
    if fmt == "json":
        click.echo(pilot_json(study), nl=False)
    else:
        click.echo(pilot_text(study) + (wrote_text(written) if written else ""), nl=False)
