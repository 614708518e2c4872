"""``mixopt simulate``: a plan under uncertain assumptions, and the risk-aware plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import mixopt
from mixopt.analysis.simulate import SimulationResult
from mixopt.api import optimize, solver_options_for
from mixopt.cli.app import cli
from mixopt.cli.common import (
    check_out,
    format_option,
    no_plan,
    planner_errors,
    scenario_argument,
    solver_options,
    tier_only,
    write_or_fail,
    wrote_text,
)
from mixopt.cli.solve import _write_simulation
from mixopt.outputs.files import write_text
from mixopt.tier.plan import Plan


@cli.command()
@scenario_argument
@click.option("--samples", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True,
              help="Joint draws of every assumption from its low / base / high range.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed (recorded; the same seed repeats the figures exactly).")
@click.option("--safe", "confidence", type=click.FloatRange(0.5, 1, max_open=True), default=None, metavar="CONFIDENCE",
              help="Also show the risk-aware plan, e.g. --safe 0.9: its targets and budget hold on average over "
                   "the worst (1 - CONFIDENCE) share of draws (CVaR), beside the expected-value plan.")
@solver_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write simulation.csv, simulation.json and the plan files (plan.csv, plan.json, plan.xlsx; "
                   "safe_plan.csv and safe_plan.json with --safe) into this folder.")
@format_option
def simulate(scenario: Path, samples: int, seed: int, confidence: float | None, solver: str | None,
             time_limit_s: float | None, mip_gap: float | None, out_dir: Path | None, fmt: str) -> None:
    """Optimise SCENARIO, then simulate the plan when the assumptions vary within their ranges.

    Prints P10 / P50 / P90 of reach, engagements, conversions, spend, profit and ROI, and the
    chance of meeting each target and of staying within the budget.

    \b
    Example:
      mixopt simulate scenarios/least_cost_targets.yaml
      mixopt simulate scenarios/base.yaml --samples 20000 --seed 7 --safe 0.9 --out results/
    """
    from mixopt.analysis.risk import safe_plan
    from mixopt.analysis.simulate import simulate_plan
    from mixopt.outputs.plan_files import plan_csv, plan_json, write_outputs
    from mixopt.outputs.simulation_files import (
        simulation_csv,
        simulation_json,
        simulation_text,
    )

    with planner_errors():
        loaded = mixopt.load_scenario(scenario)
        tier_only(loaded, "simulate")
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        check_out(out_dir)
        plan = optimize(loaded, options, explain=False)
        if not plan.status.has_plan:
            no_plan(plan, options, out_dir)
        entries: list[tuple[str, Plan, SimulationResult | None]] = [
            ("expected-value plan", plan, simulate_plan(plan, samples, seed))]
        extra: dict[str, Any] = {}
        safe = None
        if confidence is not None:
            model_samples, model_seed = 200, seed + 1  # the safe plan's own draws differ from the simulated ones
            safe = safe_plan(loaded, confidence, model_samples, model_seed, options)
            entries.append((f"safe plan at {confidence:.0%}", safe,
                            simulate_plan(safe, samples, seed) if safe.status.has_plan else None))
            extra = {"safe_plan": {"confidence": confidence, "method": "CVaR over joint draws",
                                   "model_samples": model_samples, "model_seed": model_seed}}
        written: list[Path] = []
        if out_dir is not None:
            written = write_or_fail(out_dir, lambda: write_outputs(plan, out_dir))
            written += write_or_fail(out_dir, lambda: _write_simulation(loaded, entries, seed, samples, out_dir, extra))
            if safe is not None and safe.status.has_plan:
                def write_safe() -> list[Path]:
                    write_text(out_dir / "safe_plan.csv", plan_csv(safe))
                    write_text(out_dir / "safe_plan.json", plan_json(safe))
                    return [out_dir / "safe_plan.csv", out_dir / "safe_plan.json"]

                written += write_or_fail(out_dir, write_safe)
        if fmt == "table":
            click.echo(simulation_text(loaded, entries, seed, samples) + (wrote_text(written) if written else ""), nl=False)
        elif fmt == "csv":
            click.echo(simulation_csv(loaded, entries, seed, samples), nl=False)
        else:
            click.echo(simulation_json(loaded, entries, seed, samples, extra), nl=False)
