"""``mixopt compare``: plans side by side."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mixopt.api import no_plan_error, optimize, solver_options_for
from mixopt.cli.app import cli
from mixopt.cli.common import (
    OutFolder,
    check_settings,
    commit_out,
    diagnosis_lines,
    echo_run,
    fail,
    format_option,
    open_out,
    planner_errors,
    read_scenario,
    set_option,
    solver_options,
    stage,
    usage_error,
)
from mixopt.cli.frontier import broken_plan_error, refuse_tier_options
from mixopt.cli.text import decimals_of, grid_lines, num, with_unit
from mixopt.errors import MixoptError
from mixopt.version import mixopt_version


def _kind_text(plan: Any) -> str:
    """What a plan decides: named creators from a table (roster) or creators per cell (tier)."""
    if plan.mode == "roster":
        return (f"roster plan: {int(plan.totals['creators']):,} named creators from {plan.roster.source_file}, "
                f"certified gap {100 * (plan.gap or 0.0):.3f}%")
    return "tier plan: creators per tier and platform, exact" if not plan.gap else \
        f"tier plan: creators per tier and platform, gap {100 * plan.gap:.3f}%"


def _compare_text(comparison: Any) -> str:
    plans = comparison.plans
    letters = [chr(ord("A") + i) if i < 26 else f"P{i + 1}" for i in range(len(plans))]
    currencies = {p.scenario.currency for p in plans}
    cur = next(iter(currencies)) if len(currencies) == 1 else "(mixed currencies)"
    lines = [f"mixopt {mixopt_version()}  compare  {len(plans)} plans"]
    if comparison.has_roster:  # say which plans name creators and which count them per cell
        lines += [f"  {letter} = {p.scenario.name}  ({p.scenario.source_file})  {_kind_text(p)}"
                  for letter, p in zip(letters, plans)]
    else:
        lines += [f"  {letter} = {p.scenario.name}  ({p.scenario.source_file})" for letter, p in zip(letters, plans)]
    for letter, p in zip(letters, plans):
        if p.mode == "roster" and p.status.has_plan and int(p.totals["creators"]) > 0:
            lines.append(f"  Note: {letter}'s invites are its {int(p.totals['creators']):,} named creators, one each; at the "
                         f"planning acceptance rates about {float(p.totals['expected_signed']):,.0f} of them sign, so "
                         f"{letter} needs reserves ('mixopt simulate' gives how many for a 90% chance to fill it). "
                         "A tier plan's invites already allow for declines.")
    if len(currencies) > 1:
        lines.append("  Note: the scenarios use different currencies; money columns are not comparable.")
    table = comparison.table()
    names = list(comparison.names)
    diffs = [f"{n} - {names[0]}" for n in names[1:]]
    header = ["", *letters, *[f"{letter} - A" for letter in letters[1:]]]
    sections = [("goal", "Goal"), ("totals", "Totals"), ("creators", "Creators by cell"), ("posts", "Posts by cell"),
                ("spend", f"Spend by cell ({cur})")]
    for section, title in sections:
        part = table[table["section"] == section]
        rows = []
        for r in part.to_dict("records"):
            item = str(r["item"])
            values = [r[n] for n in names] + [r[d] for d in diffs]
            if section in ("creators", "posts", "spend") and all(not v for v in values[: len(names)]):
                continue  # a cell no plan uses
            if section == "goal":
                shown = [f"{100 * v:.3f}%" if item == "gap" else str(v) for v in values[: len(names)]]
                rows.append([item, *shown, *["" for _ in diffs]])
                continue
            d = decimals_of(item) if section == "totals" else 0
            label = with_unit(item, cur) if section == "totals" else item
            rows.append([label, *[num(v, d) for v in values]])
        if rows:
            lines += ["", title] + grid_lines(header, rows)
    return "\n".join(lines) + "\n"


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@set_option
@solver_options
@click.option("--out", "out_dir", type=OutFolder(), default=None,
              help="Write comparison.csv, comparison.json and comparison.xlsx into this folder, all together with "
                   "run.json.")
@format_option
def compare(scenarios: tuple[Path, ...], settings: tuple[str, ...], solver: str | None, time_limit_s: float | None, mip_gap: float | None,
            out_dir: Path | None, fmt: str) -> None:
    """Solve two or more scenarios and put their plans side by side, with the differences to the first.

    Tier and roster scenarios mix freely: a roster plan's named creators are summed per (tier,
    platform) cell, and the comparison says which plans name creators (and their certified gap).

    \b
    Example:
      mixopt compare scenarios/awareness_launch.yaml scenarios/sales_push.yaml
      mixopt compare scenarios/base.yaml scenarios/blended.yaml --out results/ --format csv
      mixopt compare scenarios/sales_push.yaml scenarios/roster_skincare.yaml
      mixopt compare scenarios/base.yaml scenarios/blended.yaml --set budget=40000

    --set applies to every scenario.
    """
    from mixopt.analysis.compare import compare_plans
    from mixopt.outputs.run_files import write_run_outputs
    from mixopt.outputs.workbook import Deliverable

    if len(scenarios) < 2:
        usage_error("SCENARIOS", "compare needs at least two scenario files", "Name two or more files, e.g. "
               "mixopt compare scenarios/awareness_launch.yaml scenarios/sales_push.yaml", len(scenarios))
    check_settings(settings)
    loaded, problems = [], []
    for path in scenarios:
        try:
            loaded.append(read_scenario(path, settings))
        except MixoptError as err:
            problems.append(str(err))
    if problems:
        lines = [line for problem in problems for line in problem.splitlines()]
        click.echo("\n".join(dict.fromkeys(lines)), err=True)  # a --set mistake is the same line for every file
        sys.exit(1)
    with planner_errors():
        for s in loaded:
            refuse_tier_options(s, solver)
        out = open_out(out_dir, *loaded)
        plans = []
        for s in loaded:
            options = solver_options_for(s, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
            plan = optimize(s, options, explain=False)
            if not plan.status.has_plan:
                relaxed = f"relaxed_{Path(s.source_file).stem}.yaml"
                if plan.status.value in ("infeasible", "infeasible_or_unbounded"):
                    click.echo("\n".join(diagnosis_lines(s, plan.status, options, out, relaxed)), err=True)
                    sys.exit(3)
                fail(no_plan_error(plan))
            if s.roster is not None and not plan.feasible:
                fail(broken_plan_error(plan))
            plans.append(plan)
        comparison = compare_plans(plans)
        deliverable = Deliverable(comparison=comparison)
        written = [] if out is None else commit_out(out, stage(out, lambda folder: write_run_outputs(
            deliverable, folder, charts=False, stem="comparison")))
        echo_run(deliverable, "compare", fmt, lambda: _compare_text(comparison), written)
