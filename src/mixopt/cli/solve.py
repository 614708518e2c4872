"""``mixopt solve``: the best plan for a tier or roster scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

import mixopt
from mixopt.analysis.simulate import SimulationResult
from mixopt.api import optimize, solver_options_for
from mixopt.cli.app import cli
from mixopt.cli.common import (
    COMMAND_LINE,
    OutFolder,
    cannot_write,
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
    stage,
    usage_error,
    wrote_text,
)
from mixopt.outputs.files import write_text
from mixopt.outputs.output_set import OutputSet
from mixopt.roster.plan import RosterPlan
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions
from mixopt.tier.plan import Plan


def _simulation_entries(plan: Plan, samples: int, seed: int) -> list[tuple[str, Plan, SimulationResult | None]]:
    from mixopt.analysis.simulate import simulate_plan

    return [("optimised plan", plan, simulate_plan(plan, samples, seed))]


@cli.command()
@scenario_argument
@set_option
@solver_options
@click.option("--out", "out_dir", type=OutFolder(), default=None,
              help="Write plan.csv, plan.json and plan.xlsx into this folder (relaxed.yaml when no plan exists), "
                   "all together with run.json.")
@format_option
@click.option("--write-lp", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the model as an LP file (for inspection).")
@click.option("--no-explain", is_flag=True, help="Skip the marginal values of binding rules (faster).")
@click.option("--simulate", "samples", type=click.IntRange(1, 1_000_000), default=None, metavar="N",
              help="Also simulate the plan over N joint draws of the assumptions (P10/P50/P90).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed of --simulate (the same seed repeats the figures exactly).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Roster scenarios with a Parquet table: price its partitions on this Dask scheduler's workers "
                   "(each reads its partitions from the table's path).")
def solve(scenario: Path, settings: tuple[str, ...], solver: str | None, time_limit_s: float | None,
          mip_gap: float | None, out_dir: Path | None, fmt: str, write_lp: Path | None, no_explain: bool,
          samples: int | None, seed: int, scheduler: str | None = None) -> None:
    """Find the best plan for SCENARIO and print it.

    When no plan satisfies every rule, the command exits with code 3 and prints why, with the
    smallest change found; with --out it also writes that change as a ready-to-run relaxed.yaml.

    \b
    Example:
      mixopt solve scenarios/awareness_launch.yaml
      mixopt solve scenarios/sales_push.yaml --out results/ --format csv
      mixopt solve scenarios/sales_push.yaml --simulate 10000 --seed 1
      mixopt solve scenarios/sales_push.yaml --set budget=60000 --set targets.reach=300000
    """
    from mixopt.outputs.files import write_atomic
    from mixopt.outputs.plan_files import plan_csv, plan_dict, plan_json, write_outputs
    from mixopt.outputs.tables import format_table

    with planner_errors():
        loaded = read_scenario(scenario, settings)
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        out = open_out(out_dir, loaded)
        if loaded.roster is not None:
            from mixopt.cli.solve import run_roster_solve

            for given, option in ((write_lp, "--write-lp"), (solver == "cbc" or None, "--solver")):
                if given is not None:
                    usage_error(option, "is tier mode only (a roster scenario is solved by CLP and HiGHS)",
                           f"Drop {option} for {loaded.source_file}")
            click.echo(run_roster_solve(loaded, options, out, fmt, explain=not no_explain, scheduler=scheduler,
                                        samples=samples, seed=seed), nl=False)
            return
        if scheduler is not None:
            usage_error("--scheduler", "is for roster scenarios (their partitions are priced on a Dask cluster)",
                        f"Drop --scheduler for {loaded.source_file}")
        if write_lp is not None:
            model = mixopt.build_model(loaded)
            try:
                write_atomic(write_lp, lambda tmp: model.problem.writeLP(str(tmp)))
            except OSError as err:
                cannot_write(write_lp, "--write-lp", err)
        plan = optimize(loaded, options, explain=not no_explain)
        if not plan.status.has_plan:
            no_plan(plan, options, out)
        entries = _simulation_entries(plan, samples, seed) if samples is not None else None
        written: list[Path] = []
        combined_json = None
        if entries is not None:
            from mixopt.outputs.simulation_files import simulation_json

            data = plan_dict(plan)
            data["simulation"] = json.loads(simulation_json(loaded, entries, seed, samples or 0))
            combined_json = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        if out is not None:
            written = stage(out, lambda folder: write_outputs(plan, folder))
            if entries is not None:
                written += stage(out, lambda folder: _write_simulation(loaded, entries, seed, samples, folder))
                text_json = combined_json or ""
                # plan.json carries the simulation too, the same bytes as --format json prints
                stage(out, lambda folder: (write_text(folder / "plan.json", text_json), [])[1])
            written = commit_out(out, written)
        if fmt == "table":
            text = format_table(plan)
            if entries is not None:
                from mixopt.outputs.simulation_files import simulation_text

                text += "\n" + simulation_text(loaded, entries, seed, samples or 0)
            click.echo(text + (wrote_text(written) if written else ""), nl=False)
        elif fmt == "csv":
            click.echo(plan_csv(plan), nl=False)
            if entries is not None and out_dir is None:
                click.echo(f"{COMMAND_LINE}: --simulate: not printed with --format csv (the plan CSV stays plain). "
                           "Add --out DIR to get simulation.csv, or use --format json or table.", err=True)
        elif combined_json is None:
            click.echo(plan_json(plan), nl=False)
        else:
            click.echo(combined_json, nl=False)


def _write_simulation(scenario: Scenario, entries: list[Any], seed: int, samples: int | None, out_dir: Path,
                      extra: dict[str, Any] | None = None) -> list[Path]:
    from mixopt.outputs.simulation_files import simulation_csv, simulation_json

    paths = [out_dir / "simulation.csv", out_dir / "simulation.json"]
    write_text(paths[0], simulation_csv(scenario, entries, seed, samples or 0))
    write_text(paths[1], simulation_json(scenario, entries, seed, samples or 0, extra))
    return paths




def run_roster_solve(scenario: Scenario, options: SolverOptions, out: OutputSet | None, fmt: str,
                     explain: bool = True, scheduler: str | None = None, samples: int | None = None,
                     seed: int = 0) -> str:
    """What ``mixopt solve`` does for a roster scenario; returns the text for standard output
    (with ``samples``, the simulation of the chosen creators appended, as in tier mode).

    With no choice of creators satisfying every rule, prints the diagnosis and exits 3 (as tier
    mode does, with relaxed.yaml in the output set ``out``); raises SolverError (exit 4) when stopped.
    """
    from mixopt.outputs.roster_files import (
        format_roster_table,
        roster_plan_csv,
        roster_plan_json,
        write_roster_outputs,
    )

    assert scenario.roster is not None
    if scheduler is not None or scenario.roster.partitions is not None:  # column generation over partitions
        from mixopt.analysis.cluster import partitioned_plan

        plan: Plan | RosterPlan = partitioned_plan(scenario, options, scheduler=scheduler, mip_gap=options.mip_gap)
    else:
        plan = optimize(scenario, options, explain=explain)  # options carry the roster's gap (or --mip-gap)
    assert isinstance(plan, RosterPlan)
    plan = checked_roster_plan(plan, options, out)  # the diagnosis as tier mode gives it, relaxed.yaml in out
    entries = None
    if samples is not None:
        from mixopt.analysis.simulate_roster import simulate_roster_plan

        entries = [("optimised plan", plan, simulate_roster_plan(plan, samples, seed))]
    written: list[Path] = []
    if out is not None:
        def write(folder: Path) -> list[Path]:
            paths = write_roster_outputs(plan, folder)
            return paths + (_write_simulation(scenario, entries, seed, samples, folder) if entries else [])

        written = commit_out(out, stage(out, write))
    text = {"table": format_roster_table, "csv": roster_plan_csv, "json": roster_plan_json}[fmt](plan)
    if entries is not None:
        from mixopt.outputs.simulation_files import simulation_json, simulation_text

        if fmt == "table":
            text += "\n" + simulation_text(scenario, entries, seed, samples or 0)
        elif fmt == "json":
            data = json.loads(text)
            data["simulation"] = json.loads(simulation_json(scenario, entries, seed, samples or 0))
            text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if written and fmt == "table":
        text += wrote_text(written)
    return text
