"""``mixopt batch``: many plans, one table: a grid of field values over one scenario, or a list of
scenario files, solved on every core, on one process, or on a Dask cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mixopt.analysis.batch_run import BatchRun, Where
from mixopt.cli.app import cli
from mixopt.cli.common import (
    OutFolder,
    advance,
    commit_out,
    open_out,
    planner_errors,
    progress_bar,
    read_scenario,
    set_option,
    solver_options,
    stage,
    usage_error,
)
from mixopt.cli.text import num, value_text
from mixopt.errors import Issue, ScenarioError, undecodable

_GRID_HELP = ("A field and its values, PATH=START:STOP:STEP or PATH=A,B,C (as in 'mixopt sweep'), e.g. "
              "--grid budget=10000:60000:5000. Repeat for a grid: the points are every combination, the first "
              "--grid outermost.")


def _grids(specs: tuple[str, ...]) -> list[tuple[str, list[float]]]:
    from mixopt.scenario.fields import parse_values

    grids: list[tuple[str, list[float]]] = []
    for spec in specs:
        path, sep, values = spec.partition("=")
        path = path.strip()
        if not sep or not path or not values.strip():
            usage_error("--grid", "needs PATH=SPEC", "Write e.g. --grid budget=10000:60000:5000 or "
                                                     "--grid rules.max_creators=20,40,60", spec)
        if any(path == seen for seen, _ in grids):
            usage_error("--grid", f"names {path} twice", "Give each field one --grid", spec)
        grids.append((path, parse_values(values.strip(), f"--grid {path}")))
    return grids


def _scenario_files(given: tuple[Path, ...]) -> list[Path]:
    """The scenario files named: each file as given, each folder's *.yaml files sorted by name."""
    files: list[Path] = []
    for path in given:
        if path.is_dir():
            found = sorted(p for p in path.glob("*.yaml") if p.is_file())
            if not found:
                usage_error("SCENARIO", "this folder holds no .yaml scenario", "Name scenario files or a folder of "
                                                                                "them", str(path))
            for name in (p for p in found if undecodable(str(p))):
                usage_error("SCENARIO", "this folder holds a .yaml file whose name is not UTF-8 text (shown as "
                            "\\udcXX)", "Rename the file, or name the scenario files to solve", str(name))
            files += found
        elif path.exists():
            files.append(path)
        else:
            usage_error("SCENARIO", "no such file or folder", "Check the path", str(path))
    return files


def _where(workers: int | None, scheduler: str | None) -> tuple[Where, str]:
    from mixopt.analysis.batch_run import check_scheduler_address, default_workers

    if scheduler is not None:
        if workers is not None:
            usage_error("--workers", "cannot be combined with --scheduler (the cluster has its own workers)",
                        "Drop --workers, or drop --scheduler to run here")
        if not scheduler.strip() or any(c.isspace() for c in scheduler):
            usage_error("--scheduler", "is not an address", "Give the scheduler's address, e.g. tcp://10.0.0.5:8786",
                        scheduler)
        check_scheduler_address(scheduler)  # before --out is touched
        return Where(scheduler=scheduler), f"the Dask scheduler at {scheduler}"
    count = workers or default_workers()
    text = "this process" if count == 1 else f"{count} local processes"
    return Where(workers=count), text


def _summary(run: BatchRun, title: str, where_text: str, fields: tuple[str, ...], written: list[Path]) -> str:
    rows = run.rows
    planned = [r for r in rows if r.get("objective_value") is not None]
    failed = sum(1 for r in rows if r.get("status") == "error")
    lines = [f"{title}: {len(rows)} point{'s' if len(rows) != 1 else ''}, {len(planned)} with a plan, {len(rows) - len(planned) - failed} with "
             f"no plan, {failed} failed; {run.solved} solved on {where_text}"
             + (f", {run.reused} taken from the earlier output." if run.reused else ".")]
    goals = {r["objective"] for r in planned}
    if len(goals) == 1:
        goal = goals.pop()
        sign = 1 if goal == "spend" else -1  # least spend, else the most
        best = min(planned, key=lambda r: (sign * r["objective_value"], r["point"]))
        where = ", ".join(f"{k}={value_text(best[k])}" for k in fields) or best["scenario"]
        lines.append(f"Best {goal}: {num(best['objective_value'], 1 if goal == 'conversions' else 0)} at {where} "
                     f"(point {best['point']}).")
    if failed:
        first = next(r for r in rows if r.get("status") == "error")
        lines.append(f"First failed point ({first['point']}): {first['error']}")
    lines.append("Wrote " + ", ".join(str(p) for p in written))
    return "\n".join(lines) + "\n"


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--grid", "grid_specs", multiple=True, metavar="PATH=SPEC", help=_GRID_HELP)
@click.option("--out", "out_dir", required=True, type=OutFolder(),
              help="Write batch.csv, batch.parquet and batch.xlsx into this folder.")
@click.option("--resume", is_flag=True,
              help="Keep the rows already in --out (matched by each point's scenario hash) and solve only the "
                   "rest; failed points are tried again.")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes on this machine (default: every core; 1 solves in this process).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="Run on an existing Dask cluster: the address of its scheduler ('dask scheduler' prints it).")
@set_option
@solver_options
def batch(scenarios: tuple[Path, ...], grid_specs: tuple[str, ...], out_dir: Path, resume: bool,
          workers: int | None, scheduler: str | None, settings: tuple[str, ...], solver: str | None,
          time_limit_s: float | None, mip_gap: float | None) -> None:
    """Solve many plans and collect one table: SCENARIO over a grid of field values (--grid), or every
    scenario file given (a folder: its .yaml files).

    One row per point in grid order: the point's values, its scenario hash, status, objective, gap,
    spend, KPIs, creators by tier and, for a point with no plan or that failed, the reason in one
    line (a failed point never stops the batch).

    \b
    Example:
      mixopt batch scenarios/sales_push.yaml --grid budget=10000:60000:5000 \\
          --grid rules.max_creators=20,40,60 --out results/batch
      mixopt batch scenarios/ --out results/all --workers 2
      mixopt batch scenarios/sales_push.yaml --grid budget=10000:60000:1000 --out results/batch \\
          --scheduler tcp://10.0.0.5:8786
    """
    from mixopt.analysis.batch import file_points, grid_points, tier_columns
    from mixopt.analysis.batch_run import pending, run_batch
    from mixopt.outputs.batch_files import (
        PARTIAL,
        BatchLayout,
        read_batch,
        write_batch,
        write_checkpoint,
    )
    from mixopt.scenario.fields import field_value, with_field

    with planner_errors():
        grids = _grids(grid_specs)
        where, where_text = _where(workers, scheduler)
        if grids:
            if len(scenarios) != 1 or scenarios[0].is_dir():
                usage_error("--grid", "needs exactly one scenario file",
                            "Run one scenario over a grid, or drop --grid to solve every scenario given",
                            " ".join(str(s) for s in scenarios))
            base = read_scenario(scenarios[0], settings)
            points = grid_points(base, grids, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap,
                                 settings=settings)
            counts = tuple(p for p, _ in grids if isinstance(field_value(with_field(base, p, 1.0), p), int))
            title = (f"Batch of {base.source_file} over " +
                     " x ".join(f"{p} ({len(v)} values)" for p, v in grids))
        else:
            points = file_points(_scenario_files(scenarios), settings, solver=solver, time_limit_s=time_limit_s,
                                 mip_gap=mip_gap)
            base, counts = None, ()
            title = f"Batch of {len(points)} scenario{'s' if len(points) != 1 else ''}"
        layout = BatchLayout(tuple(p for p, _ in grids), counts, tuple(tier_columns(points)))
        out = open_out(out_dir, *([base] if base is not None else []))
        assert out is not None
        earlier = read_batch(out_dir) if resume else []
        label = f"mixopt batch: {title}"

        def checkpoint(rows: list[dict[str, object]]) -> None:
            write_checkpoint(out_dir, rows, layout)

        try:
            with progress_bar(pending(points, earlier), "batch") as bar:
                run = run_batch(points, where, earlier=earlier, progress=advance(bar), checkpoint=checkpoint)
        except KeyboardInterrupt:
            click.echo(f"{out_dir}: stopped; the points done so far are kept in {out_dir / PARTIAL} (the earlier "
                       "batch files are as they were). Run the same command with --resume to finish.", err=True)
            sys.exit(130)
        written = commit_out(out, stage(out, lambda folder: write_batch(folder, run.rows, layout, label)))
        (out_dir / PARTIAL).unlink(missing_ok=True)
        click.echo(_summary(run, title, where_text, layout.grid_fields, written), nl=False)
        if not any(r.get("objective_value") is not None for r in run.rows):
            if all(r.get("status") == "error" for r in run.rows):
                raise ScenarioError([Issue(str(out_dir / "batch.csv"), "error", "every point failed",
                                           "Read the error column, fix the scenario and run again")])
            click.echo(f"{out_dir / 'batch.csv'}: status: no point of the batch has a plan. Widen the grid; each "
                       "row's error names the 'mixopt solve' command that shows why.", err=True)
            sys.exit(3)
