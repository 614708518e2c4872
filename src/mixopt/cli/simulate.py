"""``mixopt simulate``: a plan under uncertain assumptions, and the risk-aware plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mixopt.analysis.simulate import SimulationResult
from mixopt.api import optimize, solver_options_for
from mixopt.cli.app import cli
from mixopt.cli.common import (
    OutFolder,
    Share,
    checked_roster_plan,
    commit_out,
    format_option,
    no_plan,
    open_out,
    planner_errors,
    read_scenario,
    scenario_argument,
    set_option,
    solver_options,
    usage_error,
    write_or_fail,
    wrote_text,
)
from mixopt.cli.solve import _write_simulation as _write_simulation_tables
from mixopt.errors import SolverError
from mixopt.outputs.files import write_text
from mixopt.roster.plan import RosterPlan
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions
from mixopt.tier.plan import Plan


@cli.command()
@scenario_argument
@set_option
@click.option("--samples", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True,
              help="Joint draws of every assumption from its low / base / high range.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed (recorded; the same seed repeats the figures exactly).")
@click.option("--safe", "confidence", type=Share(0.5, 1, high_open=True, example="--safe 0.9 or --safe 90%"), default=None,
              metavar="CONFIDENCE",
              help="Also show the risk-aware plan, e.g. --safe 0.9: its targets and budget hold on average over "
                   "the worst (1 - CONFIDENCE) share of draws (CVaR), beside the expected-value plan.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="Draw the samples on this Dask cluster, split in chunks with their own seeds: the same figures "
                   "as this machine gives.")
@solver_options
@click.option("--out", "out_dir", type=OutFolder(), default=None,
              help="Write simulation.csv, simulation.json and the plan files (plan.csv, plan.json, plan.xlsx, and "
                   "reserves.csv for a roster; safe_plan.csv and safe_plan.json with --safe) into this folder.")
@format_option
def simulate(scenario: Path, settings: tuple[str, ...], samples: int, seed: int, confidence: float | None,
             scheduler: str | None, solver: str | None, time_limit_s: float | None, mip_gap: float | None, out_dir: Path | None, fmt: str) -> None:
    """Optimise SCENARIO, then simulate the plan when the assumptions vary within their ranges.

    Prints P10 / P50 / P90 of reach, engagements, conversions, spend, profit and ROI, and the
    chance of meeting each target and of staying within the budget. A roster scenario draws each
    chosen creator's reach, engagement, conversion and acceptance (its own spread plus a share of
    its tier and platform's, contracted costs known) and adds how many reserves to invite for a 90%
    chance to fill the plan.

    \b
    Example:
      mixopt simulate scenarios/least_cost_targets.yaml
      mixopt simulate scenarios/base.yaml --samples 20000 --seed 7 --safe 0.9 --out results/
      mixopt simulate scenarios/roster_skincare.yaml --safe 0.9
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
        loaded = read_scenario(scenario, settings)
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        out = open_out(out_dir, loaded)
        out_dir = out.folder if out is not None else None
        notes: list[str] = []
        if loaded.roster is not None:
            entries, extra, written, notes = _roster_run(loaded, options, samples, seed, confidence, out_dir,
                                                         solver, mip_gap, scheduler=scheduler)
        else:
            plan = optimize(loaded, options, explain=False)
            if not plan.status.has_plan:
                no_plan(plan, options, out_dir)
            entries = [("expected-value plan", plan, simulate_plan(plan, samples, seed, scheduler=scheduler))]
            extra = {}
            safe = None
            if confidence is not None:
                model_samples, model_seed = 200, seed + 1  # the safe plan's own draws differ from the simulated ones
                safe = safe_plan(loaded, confidence, model_samples, model_seed, options)
                entries.append((f"safe plan at {confidence:.0%}", safe,
                                simulate_plan(safe, samples, seed, scheduler=scheduler) if safe.status.has_plan else None))
                extra = {"safe_plan": {"confidence": confidence, "method": "CVaR over joint draws",
                                       "model_samples": model_samples, "model_seed": model_seed}}
            written = []
            if out_dir is not None:
                tier_plan, tier_safe, tier_entries, tier_extra = plan, safe, entries, extra
                written = write_or_fail(out_dir, lambda: write_outputs(tier_plan, out_dir))
                written += write_or_fail(out_dir, lambda: _write_simulation(loaded, tier_entries, seed, samples,
                                                                            out_dir, tier_extra))
                if tier_safe is not None and tier_safe.status.has_plan:
                    def write_safe() -> list[Path]:
                        assert tier_safe is not None
                        write_text(out_dir / "safe_plan.csv", plan_csv(tier_safe))
                        write_text(out_dir / "safe_plan.json", plan_json(tier_safe))
                        return [out_dir / "safe_plan.csv", out_dir / "safe_plan.json"]

                    written += write_or_fail(out_dir, write_safe)
        written = commit_out(out, written)
        if fmt == "table":
            click.echo(simulation_text(loaded, entries, seed, samples, notes) + (wrote_text(written) if written else ""),
                       nl=False)
        elif fmt == "csv":
            click.echo(simulation_csv(loaded, entries, seed, samples), nl=False)
        else:
            click.echo(simulation_json(loaded, entries, seed, samples, extra), nl=False)


Entries = list[tuple[str, Plan | RosterPlan, SimulationResult | None]]


def _write_simulation(scenario: Scenario, entries: Entries, seed: int, samples: int, out_dir: Path,
                      extra: dict[str, Any] | None = None) -> list[Path]:
    """simulation.csv, simulation.json and simulation.xlsx (the Simulation sheet and each plan's mix)."""
    from mixopt.outputs.simulation_files import write_simulation_workbook

    paths = _write_simulation_tables(scenario, entries, seed, samples, out_dir, extra)
    write_simulation_workbook(scenario, entries, seed, samples, out_dir / "simulation.xlsx")
    return [*paths, out_dir / "simulation.xlsx"]


def _roster_run(loaded: Scenario, options: SolverOptions, samples: int, seed: int, confidence: float | None,
                out_dir: Path | None, solver: str | None, mip_gap: float | None,
                scheduler: str | None = None) -> tuple[Entries, dict[str, Any], list[Path], list[str]]:
    """Roster mode: the chosen creators simulated per creator, the acceptance risk, and with
    ``--safe`` the risk-aware choice beside them; the files written and the notes to print."""
    from mixopt.analysis.risk import (
        MAX_SAFE_CREATORS,
        ROSTER_MODEL_SAMPLES,
        safe_roster_plan,
    )
    from mixopt.analysis.simulate_roster import simulate_roster_plan
    from mixopt.outputs.roster_files import (
        roster_plan_csv,
        roster_plan_json,
        write_roster_outputs,
    )
    from mixopt.roster.optimize import optimize_roster
    from mixopt.roster.table import load_roster

    if solver == "cbc":
        usage_error("--solver", "is tier mode only (a roster scenario is solved by CLP and HiGHS)",
                    f"Drop --solver for {loaded.source_file}")
    roster = load_roster(loaded)
    if confidence is not None and len(roster) > MAX_SAFE_CREATORS:
        usage_error("--safe", f"on rosters above {MAX_SAFE_CREATORS:,} creators is not supported yet",
                    f"Drop --safe, or shortlist at most {MAX_SAFE_CREATORS:,} creators in the creator table",
                    f"{len(roster):,} creators")
    plan = checked_roster_plan(optimize_roster(loaded, options, mip_gap=options.mip_gap, roster=roster), options,
                                out_dir)
    entries: Entries = [("expected-value plan", plan, simulate_roster_plan(plan, samples, seed, scheduler=scheduler))]
    extra: dict[str, Any] = {}
    notes: list[str] = []
    safe = None
    if confidence is not None:
        model_samples, model_seed = ROSTER_MODEL_SAMPLES, seed + 1  # its own draws, apart from the simulated ones
        safe = safe_roster_plan(loaded, confidence, model_samples, model_seed, options, roster=roster,
                                mip_gap=mip_gap, start=plan.solution.chosen)
        if safe.status.has_plan and not safe.feasible:
            broken = "; ".join(c.label for c in safe.checks if not c.holds)
            raise SolverError(f"{loaded.source_file}: solver: the safe plan breaks a rule on independent check "
                              f"({broken}); no safe plan is reported. Please report this with the scenario.")
        entries.append((f"safe plan at {confidence:.0%}", safe,
                        simulate_roster_plan(safe, samples, seed, scheduler=scheduler) if safe.status.has_plan else None))
        notes = list(safe.solution.notes)
        extra = {"safe_plan": {"confidence": confidence, "method": safe.solution.method,
                               "model_samples": model_samples, "model_seed": model_seed, "notes": notes}}
    written: list[Path] = []
    if out_dir is not None:
        written = write_or_fail(out_dir, lambda: write_roster_outputs(plan, out_dir))
        written += write_or_fail(out_dir, lambda: _write_simulation(loaded, entries, seed, samples, out_dir, extra))
        if safe is not None and safe.status.has_plan:
            chosen_safe = safe

            def write_safe() -> list[Path]:
                write_text(out_dir / "safe_plan.csv", roster_plan_csv(chosen_safe))
                write_text(out_dir / "safe_plan.json", roster_plan_json(chosen_safe))
                return [out_dir / "safe_plan.csv", out_dir / "safe_plan.json"]

            written += write_or_fail(out_dir, write_safe)
    return entries, extra, written, notes
