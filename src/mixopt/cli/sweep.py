"""``mixopt sweep``: the best plan at every value of one field."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mixopt.api import solver_options_for
from mixopt.cli.app import cli
from mixopt.cli.common import (
    OutFolder,
    advance,
    commit_out,
    echo_run,
    format_option,
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
from mixopt.cli.text import (
    decimals_of,
    grid_lines,
    num,
    status_text,
    title_line,
    value_text,
    with_unit,
)
from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.schema import Scenario


def _sweep_request(loaded: Scenario, budget: str | None, field: str | None,
                   values: str | None) -> tuple[str, list[float]]:
    """The field and values to sweep, from the options or the scenario's ``sweep:`` block."""
    from mixopt.scenario.fields import parse_values

    if budget is not None:
        if field is not None or values is not None:
            usage_error("--budget", "cannot be combined with --field or --values",
                   "Use --budget START:STOP:STEP, or --field PATH --values SPEC")
        return "budget", parse_values(budget, "--budget")
    if field is not None and values is None:
        usage_error("--field", "needs --values", "Add --values START:STOP:STEP, e.g. --values 100000:400000:50000", field)
    if values is not None:
        chosen = field or (loaded.sweep.field if loaded.sweep is not None else "budget")
        return chosen, parse_values(values, "--values")
    if loaded.sweep is None:
        raise ScenarioError([Issue(loaded.source_file, "sweep", "nothing to sweep: no --budget, no --field/--values "
                                   "and no sweep block in the scenario",
                                   "Run with --budget 10000:100000:5000, or add "
                                   "'sweep: {field: budget, values: \"10000:100000:5000\"}' to the scenario")])
    block = loaded.sweep.values
    chosen_values = parse_values(block, "sweep.values") if isinstance(block, str) else [float(v) for v in block]
    return loaded.sweep.field, chosen_values


def _sweep_text(result: Any) -> str:
    from mixopt.scenario.fields import is_money

    s = result.scenario
    goal = result.objective_label
    cur = s.currency
    field_head = with_unit(result.field, cur) if is_money(result.field) else result.field
    lines = [title_line("sweep", s)]
    if not result.exact:
        bound = result.preview_bound
        article = "an" if bound == "upper" else "a"
        side = "at or below" if s.objective.maximize else "at or above"
        lines += [f"LP PREVIEW, NOT A PLAN: {article} {bound} bound on the best {goal} at each {result.field}, from the "
                  "LP relaxation (fractional creators allowed).",
                  f"The exact optimum is {side} each figure. Run without --preview for exact plans.", ""]
        header = [field_head, "status", f"{with_unit(goal, cur)} ({bound} bound)"]
        rows = [[value_text(p.value), "LP bound" if p.objective is not None else "no plan",
                 num(p.objective, decimals_of(goal))] for p in result.points]
        return "\n".join(lines + grid_lines(header, rows, left=(1,))) + "\n"
    planned = sum(1 for p in result.points if p.plan is not None)
    roster = s.roster is not None
    how = f"each within the roster's certified gap ({result.solver_version})" if roster else \
        f"exact ({result.solver_version})"
    what = "choice of creators" if roster else "mix"
    lines += [f"Best {goal} at each {result.field}: {len(result.points)} points, {planned} with a plan, {how}. "
              f"'no plan': no {what} meets every rule at that value.", ""]
    money = is_money(result.field)
    has_roi = s.economics.average_order_value is not None
    header = [field_head, "status", with_unit(goal, cur)]
    header += ["per +1,000"] if money else []
    header += list(s.tier_names) + ["creators", f"spend {cur}", "reach", "engagements", "conversions"]
    header += ["ROI"] if has_roi else []
    rows = []
    for p in result.points:
        t = p.plan.totals if p.plan is not None else {}
        status = status_text(p.status, p.plan.gap if p.plan else None)
        if roster and p.plan is not None and p.plan.gap is not None:
            status = f"within {100 * p.plan.gap:.3f}%"  # as solve prints the certified gap
        row = [value_text(p.value), status, num(p.objective, decimals_of(goal))]
        row += [num(p.marginal_per_1000, decimals_of(goal))] if money else []
        row += [num(result._tier_creators(p.plan, tier)) for tier in s.tier_names]
        row += [num(t.get("creators")), num(t.get("spend")), num(t.get("reach")), num(t.get("engagements")),
                num(t.get("conversions"), 1)]
        row += [num(t.get("roi"), 2)] if has_roi else []
        rows.append(row)
    lines += grid_lines(header, rows, left=(1,))
    if money:
        how = ("a re-solve, not an LP dual; each plan is within the roster's gap, so small changes are within "
               "that noise") if roster else "an exact re-solve, not an LP dual"
        lines += ["", f"per +1,000: how much the best {goal} grows with 1,000 {cur} more {result.field} ({how})."]
    if result.mix_changes:
        lines += ["", "Where the mix changes:"] + [f"  - {c}" for c in result.mix_changes]
    best = result.best_roi_point()
    if best is not None and has_roi:
        t = best.plan.totals
        lines += ["", f"Best ROI: {t['roi']:.2f} at {result.field} {value_text(best.value)} "
                      f"(profit {num(t['profit'])} {cur} on spend {num(t['spend'])} {cur})."]
    return "\n".join(lines) + "\n"


@cli.command()
@scenario_argument
@set_option
@click.option("--budget", "budget_spec", metavar="START:STOP:STEP", default=None,
              help="Sweep the budget (shorthand for --field budget --values SPEC).")
@click.option("--field", metavar="PATH", default=None,
              help="The numeric field to vary, e.g. targets.reach, rules.max_creators or "
                   "rules.tiers.micro.max_spend_share (default: the scenario's sweep field, else budget).")
@click.option("--values", "values_spec", metavar="SPEC", default=None,
              help="START:STOP:STEP (STOP included when on the grid) or a list A,B,C.")
@click.option("--preview", is_flag=True,
              help="Only the LP relaxation: a fast bound on the curve, labelled as a preview, not a plan.")
@solver_options
@click.option("--out", "out_dir", type=OutFolder(), default=None,
              help="Write sweep.csv, sweep.json, sweep.xlsx (with charts) and sweep.png into this folder, all "
                   "together with run.json.")
@format_option
def sweep(scenario: Path, settings: tuple[str, ...], budget_spec: str | None, field: str | None, values_spec: str | None, preview: bool,
          solver: str | None, time_limit_s: float | None, mip_gap: float | None, out_dir: Path | None,
          fmt: str) -> None:
    """Solve SCENARIO at every value of one field (the budget by default) and print the curve.

    With neither --budget nor --field/--values, the scenario's own 'sweep:' block is used.

    \b
    Example:
      mixopt sweep scenarios/sales_push.yaml --budget 10000:60000:5000
      mixopt sweep scenarios/sales_push.yaml --field targets.reach --values 100000,250000,400000
      mixopt sweep scenarios/sales_push.yaml --budget 5000:100000:500 --preview
    """
    from mixopt.analysis.sweep import run_sweep
    from mixopt.analysis.sweep_roster import run_roster_sweep
    from mixopt.outputs.run_files import write_run_outputs
    from mixopt.outputs.workbook import Deliverable

    with planner_errors():
        loaded = read_scenario(scenario, settings)
        chosen_field, chosen_values = _sweep_request(loaded, budget_spec, field, values_spec)
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        out = open_out(out_dir, loaded)
        kind = "LP preview" if preview else "sweep"
        with progress_bar(len(chosen_values), f"{kind} of {chosen_field}") as bar:
            engine = run_roster_sweep if loaded.roster is not None else run_sweep
            result = engine(loaded, chosen_field, chosen_values, options, preview=preview, progress=advance(bar))
        deliverable = Deliverable(sweep=result)
        written = [] if out is None else \
            commit_out(out, stage(out, lambda folder: write_run_outputs(deliverable, folder)))
        echo_run(deliverable, "sweep", fmt, lambda: _sweep_text(result), written)
        if all(p.objective is None for p in result.points):
            click.echo(f"{loaded.source_file}: {chosen_field}: no point of the sweep has a plan "
                       f"({value_text(min(chosen_values))} to {value_text(max(chosen_values))}). Widen the range, or run "
                       f"'mixopt solve' at one value to see why.", err=True)
            sys.exit(3)
