"""``mixopt frontier``: the most y for each level of x."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import mixopt
from mixopt.api import optimize, solver_options_for
from mixopt.cli.app import cli
from mixopt.cli.common import (
    OutFolder,
    advance,
    commit_out,
    echo_run,
    fail,
    format_option,
    no_plan,
    open_out,
    planner_errors,
    progress_bar,
    read_scenario,
    scenario_argument,
    set_option,
    solver_options,
    stage,
    usage_error,
)
from mixopt.cli.text import decimals_of, grid_lines, num, title_line, with_unit
from mixopt.errors import SolverError
from mixopt.scenario.schema import Scenario


def refuse_tier_options(scenario: Scenario, solver: str | None) -> None:
    """A roster scenario is solved by CLP and HiGHS: ``--solver cbc`` is a usage error, as in ``solve``."""
    if scenario.roster is not None and solver == "cbc":
        usage_error("--solver", "is tier mode only (a roster scenario is solved by CLP and HiGHS)",
                    f"Drop --solver for {scenario.source_file}")


def broken_plan_error(plan: Any) -> SolverError:
    """A plan that failed the independent rule check is never reported (exit 4)."""
    broken = "; ".join(c.label for c in plan.checks if not c.holds)
    return SolverError(f"{plan.scenario.source_file}: solver: the plan found breaks a rule on independent check "
                       f"({broken}); no plan is reported. Please report this with the scenario.")


def _gap_text(gap: float | None) -> str:
    return "-" if gap is None else f"{100 * gap:.3f}%"


def _frontier_text(result: Any) -> str:
    s = result.scenario
    x, y = result.x, result.y
    cur = s.currency
    points = [p for p in result.points if p.plan is not None]
    roster = result.roster
    if roster is None:
        exact = f"{len(points)} Pareto-optimal plans, exact ({result.solver_version})."
        lines = [title_line("frontier", s), f"Most {y} for each level of {x}: {exact}"]
    else:
        lines = [title_line("frontier", s), f"Creator table: {roster.source_file}  ({len(roster):,} creators)",
                 f"Most {y} for each level of {x}: {len(points)} Pareto-optimal choices of named creators, each within "
                 f"its certified gap of the most {y} possible (largest {_gap_text(result.largest_gap)}, allowed "
                 f"{_gap_text(result.mip_gap)}), not exact ({result.solver_version})."]
    lines += [f"The budget ({num(s.budget)} {cur}) and every rule hold at each point; the scenario's own goal is set "
              "aside.", ""]
    table = result.table()
    trade = f"{y}_given_up_per_million_{x}"
    has_roi = s.economics.average_order_value is not None
    dy = decimals_of(y)
    certified = [] if roster is None else [f"best possible {with_unit(y, cur)}", "gap"]
    header = [with_unit(x, cur), with_unit(y, cur), *certified, f"{y} given up per +1M {x}", f"spend {cur}",
              *s.tier_names, "creators"]
    header += ["ROI"] if has_roi else []
    rows = []
    for r in table.to_dict("records"):
        row = [num(r[x], decimals_of(x)), num(r[y], dy)]
        row += [] if roster is None else [num(r[f"{y}_best_possible"], dy), _gap_text(r["gap"])]
        row += [num(r[trade], 1), num(r["spend"]), *[num(r[f"creators_{t}"]) for t in s.tier_names], num(r["creators"])]
        row += [num(r["roi"], 2)] if has_roi else []
        rows.append(row)
    lines += grid_lines(header, rows, left=())
    if len(points) >= 2:
        first, last = points[0], points[-1]
        if last.x_value > first.x_value:
            gained, lost = last.x_value - first.x_value, first.y_value - last.y_value
            cost = lost / gained * 1_000_000
            within = "" if roster is None else " (figures within the certified gaps)"
            lines += ["", f"From the most-{y} plan ({x} {num(first.x_value)}, {y} {num(first.y_value, dy)}) to the "
                          f"most-{x} plan ({x} {num(last.x_value)}, {y} {num(last.y_value, dy)}): +{num(gained)} {x} costs "
                          f"{num(lost, dy)} {y}, {num(cost, 1)} {y} per extra million {x} on average{within}."]
    repeated = [p for p in points if p.repeats_floor is not None]
    if repeated:
        lines += ["", f"{len(repeated)} of {len(points)} points repeat the plan found for a higher level of {x}: it "
                      f"makes more {y} and meets their level too (each is certified by its own level's best possible)."]
    if roster is not None:
        lines += ["", f"best possible: the proven most {y} at that level of {x}; gap: how far below it the plan may "
                      "be at most."]
    return "\n".join(lines) + "\n"


@cli.command()
@scenario_argument
@set_option
@click.option("--points", type=click.IntRange(2, 1000), default=20, show_default=True,
              help="Frontier points (one solve each), from the most-y plan to the most-x plan.")
@click.option("--x", "x", type=click.Choice(["reach", "impressions", "engagements", "conversions"]), default="reach",
              show_default=True, help="The KPI on the horizontal axis (held as a floor).")
@click.option("--y", "y", type=click.Choice(["reach", "impressions", "engagements", "conversions", "revenue",
                                             "profit"]), default="conversions", show_default=True,
              help="The KPI maximised at each level of x.")
@solver_options
@click.option("--out", "out_dir", type=OutFolder(), default=None,
              help="Write frontier.csv, frontier.json, frontier.xlsx (with a chart) and frontier.png into this folder, "
                   "all together with run.json.")
@format_option
def frontier(scenario: Path, settings: tuple[str, ...], points: int, x: str, y: str, solver: str | None, time_limit_s: float | None,
             mip_gap: float | None, out_dir: Path | None, fmt: str) -> None:
    """Trace the awareness-versus-sales frontier of SCENARIO: the most y for each level of x.

    A roster scenario's points choose named creators, each certified within the roster's gap
    (--mip-gap, else roster.mip_gap): the table shows each point's best possible y and gap.

    \b
    Example:
      mixopt frontier scenarios/base.yaml
      mixopt frontier scenarios/base.yaml --points 10 --x reach --y profit --out results/
      mixopt frontier scenarios/roster_skincare.yaml --points 6
    """
    from mixopt.analysis.frontier import trace_frontier
    from mixopt.outputs.run_files import write_run_outputs
    from mixopt.outputs.workbook import Deliverable

    with planner_errors():
        loaded = read_scenario(scenario, settings)
        refuse_tier_options(loaded, solver)
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        out = open_out(out_dir, loaded)
        with progress_bar(points, f"frontier of {y} by {x}") as bar:
            result = trace_frontier(loaded, x, y, points, options, progress=advance(bar))
        if not any(p.plan is not None for p in result.points):
            plan = optimize(loaded, options, explain=False)
            if not plan.status.has_plan:
                no_plan(plan, options, out)  # tier and roster plans alike
            if not plan.feasible:
                fail(broken_plan_error(plan))
            fail(mixopt.SolverError(f"{loaded.source_file}: solver: no frontier point was solved in time. "
                                     "Allow more time with --time-limit or accept a gap with --mip-gap 0.01."))
        deliverable = Deliverable(frontier=result)
        written = [] if out is None else \
            commit_out(out, stage(out, lambda folder: write_run_outputs(deliverable, folder)))
        echo_run(deliverable, "frontier", fmt, lambda: _frontier_text(result), written)
