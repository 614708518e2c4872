"""``mixopt validate`` and ``mixopt defaults``: check files, show the built-in assumptions."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import click

from mixopt.cli.app import cli
from mixopt.cli.common import check_settings, read_scenario, set_option
from mixopt.errors import MixoptError, ScenarioError, printable
from mixopt.scenario.defaults import known_platforms, known_tiers


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@set_option
def validate(scenarios: tuple[Path, ...], settings: tuple[str, ...]) -> None:
    """Check scenario files without solving; list every problem (warnings too, on standard error).

    \b
    Example:
      mixopt validate scenarios/*.yaml
      mixopt validate scenarios/sales_push.yaml --set budget=60000
    """
    check_settings(settings)
    failed = False
    for path in scenarios:
        try:
            s = read_scenario(path, settings)
        except MixoptError as err:
            click.echo(str(err), err=True)
            failed = True
            continue
        goal = "minimise spend" if s.objective.minimize else f"maximise {s.objective.maximize}"
        budget = f", budget {s.budget:,.0f} {s.currency}" if s.budget is not None else ""
        size = f"{len(s.cells)} cells"
        if s.roster is not None:  # a roster scenario is valid only with a sound creator table
            from mixopt.roster.model import table_issues
            from mixopt.roster.table import load_roster

            try:
                roster = load_roster(s)
                problems = table_issues(s, roster.table)
                if problems:
                    raise ScenarioError(problems)
            except MixoptError as err:
                click.echo(str(err), err=True)
                failed = True
                continue
            size = f"{len(roster):,} creators" + (f", {roster.skipped_rows:,} bad rows skipped"
                                                  if roster.skipped_rows else "")
        click.echo(f"{printable(s.source_file)}: ok ({size}, goal: {goal}{budget})")
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
    from mixopt.scenario.defaults import defaults_table

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
    shown["source"] = shown["source"].map(  # whole words; the full text is in --format csv
        lambda text: textwrap.shorten(str(text), width=80, placeholder=" ..."))
    for column in ("low", "base", "high"):  # each number as its unit reads: 1,500 creators, 10.00 USD, 0.035
        shown[column] = [_default_value_text(float(v), str(u)) for v, u in zip(shown[column], shown["unit"])]
    click.echo(shown.to_string(index=False))


def _default_value_text(value: float, unit: str) -> str:
    if unit in ("followers", "creators", "posts"):
        return f"{value:,.0f}"
    if unit == "share":
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return f"{value:,.2f}"  # money
