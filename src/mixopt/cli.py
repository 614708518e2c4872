"""The ``mixopt`` command: a thin translator over the Python API.

Exit codes: 0 plan produced; 1 invalid input; 2 usage error; 3 no feasible plan;
4 solver failure or deadline with no plan. Errors are one line each on standard error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

import mixopt
from mixopt.api import no_plan_error, optimize, solver_options_for
from mixopt.defaults import known_platforms, known_tiers
from mixopt.errors import MixoptError
from mixopt.plan import mixopt_version

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(err: MixoptError) -> None:
    click.echo(str(err), err=True)
    sys.exit(err.exit_code)


def _cannot_write(path: Path, option: str, err: OSError) -> None:
    """An output path from the command line that cannot be written: a usage error (exit 2)."""
    reason = err.strerror or type(err).__name__
    click.echo(f"{path}: {option}: cannot write there ({reason}). Choose a folder you can write to.", err=True)
    sys.exit(2)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(mixopt_version(), prog_name="mixopt")
def cli() -> None:
    """Plan influencer campaigns: the provably best blend of pico, nano and micro creators.

    \b
    Start with:  mixopt solve scenarios/awareness_launch.yaml
    """


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None,
              help="Solver (default: the scenario's, else highs).")
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop after this many seconds and report the best plan found, with its gap.")
@click.option("--mip-gap", type=click.FloatRange(0, 1), default=None,
              help="Accept a plan within this relative gap of the optimum (default 0: exact).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write plan.csv, plan.json and plan.xlsx into this folder.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="What to print on standard output.")
@click.option("--write-lp", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the model as an LP file (for inspection).")
@click.option("--no-explain", is_flag=True, help="Skip the marginal values of binding rules (faster).")
def solve(scenario: Path, solver: str | None, time_limit_s: float | None, mip_gap: float | None,
          out_dir: Path | None, fmt: str, write_lp: Path | None, no_explain: bool) -> None:
    """Find the best plan for SCENARIO and print it.

    \b
    Example:
      mixopt solve scenarios/awareness_launch.yaml
      mixopt solve scenarios/sales_push.yaml --out results/ --format csv
    """
    from mixopt.export import format_table, plan_csv, plan_json, write_atomic, write_outputs

    try:
        loaded = mixopt.load_scenario(scenario)
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        if write_lp is not None:
            model = mixopt.build_model(loaded)
            try:
                write_atomic(write_lp, lambda tmp: model.problem.writeLP(str(tmp)))
            except OSError as err:
                _cannot_write(write_lp, "--write-lp", err)
        plan = optimize(loaded, options, explain=not no_explain)
        if not plan.status.has_plan:
            _fail(no_plan_error(plan))
        if out_dir is not None:
            try:
                write_outputs(plan, out_dir)
            except OSError as err:
                _cannot_write(out_dir, "--out", err)
        text = {"table": format_table, "csv": plan_csv, "json": plan_json}[fmt](plan)
        click.echo(text, nl=False)
        if out_dir is not None and fmt == "table":
            click.echo(f"\nWrote {out_dir / 'plan.csv'}, {out_dir / 'plan.json'}, {out_dir / 'plan.xlsx'}")
    except MixoptError as err:
        _fail(err)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def validate(scenarios: tuple[Path, ...]) -> None:
    """Check scenario files without solving; list every problem.

    \b
    Example:
      mixopt validate scenarios/*.yaml
    """
    failed = False
    for path in scenarios:
        try:
            s = mixopt.load_scenario(path)
        except MixoptError as err:
            click.echo(str(err), err=True)
            failed = True
            continue
        goal = "minimise spend" if s.objective.minimize else f"maximise {s.objective.maximize}"
        budget = f", budget {s.budget:,.0f} {s.currency}" if s.budget is not None else ""
        click.echo(f"{s.source_file}: ok ({len(s.cells)} cells, goal: {goal}{budget})")
    sys.exit(1 if failed else 0)


@cli.command()
@click.option("--tier", type=click.Choice(known_tiers()), default=None, help="Only this tier.")
@click.option("--platform", type=click.Choice(known_platforms()), default=None, help="Only this platform.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def defaults(tier: str | None, platform: str | None, fmt: str) -> None:
    """Print the built-in default assumptions with their ranges and sources.

    \b
    Example:
      mixopt defaults --tier nano --platform tiktok
    """
    from mixopt.defaults import defaults_table

    table = defaults_table()
    if tier:
        table = table[table["tier"] == tier]
    if platform:
        table = table[table["platform"] == platform]
    if table.empty:
        click.echo(f"defaults: --tier/--platform: no rows match (got {tier!r}, {platform!r}). "
                   "Use a tier such as nano and a platform such as instagram.", err=True)
        sys.exit(1)
    if fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
        return
    shown = table[["tier", "platform", "parameter", "low", "base", "high", "unit", "year", "grade", "source"]].copy()
    shown["source"] = shown["source"].str.slice(0, 70)
    click.echo(shown.to_string(index=False))


def main() -> None:
    """Console entry point."""
    cli(prog_name="mixopt")
