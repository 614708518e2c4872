"""``mixopt frontier``: the most y for each level of x."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import mixopt
from mixopt.api import optimize, solver_options_for
from mixopt.cli.app import cli
from mixopt.cli.common import (
    advance,
    check_out,
    echo_run,
    fail,
    format_option,
    no_plan,
    planner_errors,
    progress_bar,
    scenario_argument,
    solver_options,
    tier_only,
    write_or_fail,
)
from mixopt.cli.text import decimals_of, grid_lines, num, title_line, with_unit

pass


def _frontier_text(result: Any) -> str:
    s = result.scenario
    x, y = result.x, result.y
    cur = s.currency
    points = [p for p in result.points if p.plan is not None]
    lines = [title_line("frontier", s),
             f"Most {y} for each level of {x}: {len(points)} Pareto-optimal plans, exact ({result.solver_version}).",
             f"The budget ({num(s.budget)} {cur}) and every rule hold at each point; the scenario's own goal is set "
             "aside.", ""]
    table = result.table()
    trade = f"{y}_given_up_per_million_{x}"
    has_roi = s.economics.average_order_value is not None
    header = [with_unit(x, cur), with_unit(y, cur), f"{y} given up per +1M {x}", f"spend {cur}", *s.tier_names, "creators"]
    header += ["ROI"] if has_roi else []
    rows = []
    for r in table.to_dict("records"):
        row = [num(r[x], decimals_of(x)), num(r[y], decimals_of(y)), num(r[trade], 1), num(r["spend"]),
               *[num(r[f"creators_{t}"]) for t in s.tier_names], num(r["creators"])]
        row += [num(r["roi"], 2)] if has_roi else []
        rows.append(row)
    lines += grid_lines(header, rows, left=())
    if len(points) >= 2:
        first, last = points[0], points[-1]
        if last.x_value > first.x_value:
            gained, lost = last.x_value - first.x_value, first.y_value - last.y_value
            cost = lost / gained * 1_000_000
            dy = decimals_of(y)
            lines += ["", f"From the most-{y} plan ({x} {num(first.x_value)}, {y} {num(first.y_value, dy)}) to the "
                          f"most-{x} plan ({x} {num(last.x_value)}, {y} {num(last.y_value, dy)}): +{num(gained)} {x} costs "
                          f"{num(lost, dy)} {y}, {num(cost, 1)} {y} per extra million {x} on average."]
    return "\n".join(lines) + "\n"


@cli.command()
@scenario_argument
@click.option("--points", type=click.IntRange(2, 1000), default=20, show_default=True,
              help="Frontier points (exact solves), from the most-y plan to the most-x plan.")
@click.option("--x", "x", type=click.Choice(["reach", "impressions", "engagements", "conversions"]), default="reach",
              show_default=True, help="The KPI on the horizontal axis (held as a floor).")
@click.option("--y", "y", type=click.Choice(["reach", "impressions", "engagements", "conversions", "revenue",
                                             "profit"]), default="conversions", show_default=True,
              help="The KPI maximised at each level of x.")
@solver_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write frontier.csv, frontier.json, frontier.xlsx (with a chart) and frontier.png into this folder.")
@format_option
def frontier(scenario: Path, points: int, x: str, y: str, solver: str | None, time_limit_s: float | None,
             mip_gap: float | None, out_dir: Path | None, fmt: str) -> None:
    """Trace the awareness-versus-sales frontier of SCENARIO: the most y for each level of x.

    \b
    Example:
      mixopt frontier scenarios/base.yaml
      mixopt frontier scenarios/base.yaml --points 10 --x reach --y profit --out results/
    """
    from mixopt.analysis.frontier import trace_frontier
    from mixopt.outputs.run_files import write_run_outputs
    from mixopt.outputs.workbook import Deliverable

    with planner_errors():
        loaded = mixopt.load_scenario(scenario)
        tier_only(loaded, "frontier")
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        check_out(out_dir)
        with progress_bar(points, f"frontier of {y} by {x}") as bar:
            result = trace_frontier(loaded, x, y, points, options, progress=advance(bar))
        if not any(p.plan is not None for p in result.points):
            plan = optimize(loaded, options, explain=False)
            if not plan.status.has_plan:
                no_plan(plan, options, out_dir)
            fail(mixopt.SolverError(f"{loaded.source_file}: solver: no frontier point was solved in time. "
                                     "Allow more time with --time-limit or accept a gap with --mip-gap 0.01."))
        deliverable = Deliverable(frontier=result)
        written = write_or_fail(out_dir, lambda: write_run_outputs(deliverable, out_dir)) if out_dir is not None else []
        echo_run(deliverable, "frontier", fmt, lambda: _frontier_text(result), written)
