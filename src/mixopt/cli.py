"""The ``mixopt`` command: a thin translator over the Python API.

Exit codes: 0 plan produced; 1 invalid input; 2 usage error; 3 no feasible plan (with the
diagnosis); 4 solver failure or deadline with no plan. Errors are one line each on standard
error; standard output carries only the requested table, CSV or JSON.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

import mixopt
from mixopt.api import no_plan_error, optimize, solver_options_for
from mixopt.defaults import known_platforms, known_tiers
from mixopt.errors import Issue, MixoptError, ScenarioError
from mixopt.plan import mixopt_version

if TYPE_CHECKING:
    from mixopt.plan import Plan
    from mixopt.scenario import Scenario
    from mixopt.simulate import SimulationResult
    from mixopt.solve import SolverOptions, SolveStatus

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
COMMAND_LINE = "(command line)"
PROGRESS_FROM = 20  # show a progress bar (on a terminal's stderr) from this many solves
MONEY_GOALS = ("spend", "revenue", "profit", "value")


# ----------------------------------------------------------------------------- errors and files


def _exit_code(err: MixoptError) -> int:
    """A bad option value is a usage error (2); anything about a scenario keeps its own code."""
    if isinstance(err, ScenarioError) and err.issues and all(i.file == COMMAND_LINE for i in err.issues):
        return 2
    return err.exit_code


def _fail(err: MixoptError) -> NoReturn:
    click.echo(str(err), err=True)
    sys.exit(_exit_code(err))


def _usage(option: str, problem: str, fix: str, value: object = None) -> NoReturn:
    extra = {} if value is None else {"value": value}
    _fail(ScenarioError([Issue(COMMAND_LINE, option, problem, fix, **extra)]))


def _cannot_write(path: Path, option: str, err: OSError) -> NoReturn:
    """An output path from the command line that cannot be written: a usage error (exit 2)."""
    reason = err.strerror or type(err).__name__
    click.echo(f"{path}: {option}: cannot write there ({reason}). Choose a folder you can write to.", err=True)
    sys.exit(2)


@contextmanager
def _planner_errors() -> Iterator[None]:
    """Every error a planner can cause becomes its one-line message and exit code."""
    try:
        yield
    except MixoptError as err:
        _fail(err)


def _check_out(out_dir: Path | None) -> None:
    """Fail before any solving when ``--out`` cannot be written (a long sweep must not be lost)."""
    if out_dir is None:
        return
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as err:
        _cannot_write(out_dir, "--out", err)


def _write(out_dir: Path, write: Callable[[], list[Path]]) -> list[Path]:
    try:
        return write()
    except OSError as err:
        _cannot_write(out_dir, "--out", err)


def _write_text(path: Path, text: str) -> None:
    from mixopt.export import write_atomic

    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))


def _wrote(paths: Sequence[Path]) -> str:
    return "\nWrote " + ", ".join(str(p) for p in paths) + "\n"


def _tier_only(scenario: Scenario, command: str) -> None:
    if scenario.roster is not None:
        raise ScenarioError([Issue(scenario.source_file, "roster", f"'mixopt {command}' works on tier scenarios only",
                                   f"Plan a roster scenario with 'mixopt solve {scenario.source_file}'")])


def _progress(total: int, label: str) -> Any:
    """A progress bar on standard error, only on a terminal and only for many solves."""
    stream = sys.stderr
    if total < PROGRESS_FROM or not stream.isatty():
        return nullcontext(None)
    return click.progressbar(length=total, label=label, file=stream)


def _advance(bar: Any) -> Callable[[int, int], None] | None:
    if bar is None:
        return None
    return lambda done, _total: bar.update(done - bar.pos)


# ----------------------------------------------------------------------------- no plan: the diagnosis


def _override_text(path: str, value: Any, currency: str) -> str:
    if path.endswith("_share"):
        return f"{path} {value:.1%}"
    if path == "budget" or path.endswith(("min_spend", "max_spend")):
        return f"{path} {value:,.0f} {currency}"
    return f"{path} {value:,.0f}" if isinstance(value, (int, float)) else f"{path} {value}"


def _diagnosis(scenario: Scenario, status: SolveStatus, options: SolverOptions, out_dir: Path | None,
               relaxed_name: str = "relaxed.yaml") -> list[str]:
    """Why no plan exists, in planner words, and (with --out) a ready-to-run relaxed scenario."""
    from mixopt.diagnose import diagnose, relaxed_yaml
    from mixopt.plan import objective_label

    file = scenario.source_file
    lines = [f"{file}: rules: no plan satisfies every rule of this scenario (status {status.value}). "
             "Why, and the smallest change found that lets a plan exist:"]
    try:
        found = diagnose(scenario, options)
    except MixoptError:
        return lines + ["  - mixopt could not pin the conflict down; remove rules one at a time to find it"]
    lines += [f"  - {line}" for line in found.lines]
    if found.overrides:
        change = ", ".join(_override_text(k, v, scenario.currency) for k, v in found.overrides.items())
        then = ""
        if found.relaxed_objective is not None:
            goal = objective_label(scenario)
            then = f" (then the best {goal} is {found.relaxed_objective:,.{1 if goal == 'conversions' else 0}f})"
        lines.append(f"  Smallest change: {change}{then}.")
        if out_dir is None:
            lines.append(f"  Add --out DIR to write it as a ready-to-run {relaxed_name}.")
        else:
            target = out_dir / relaxed_name
            try:
                _write_text(target, relaxed_yaml(scenario, found, target))
            except OSError as err:
                _cannot_write(out_dir, "--out", err)
            lines.append(f"  Wrote {target} (it extends {file} with that change); run: mixopt solve {target}")
    return lines


def _no_plan(plan: Plan, options: SolverOptions, out_dir: Path | None) -> NoReturn:
    """Exit 3 with the diagnosis (infeasible), or the plain message (unbounded 3, stopped 4)."""
    from mixopt.solve import SolveStatus

    if plan.status not in (SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED):
        _fail(no_plan_error(plan))
    click.echo("\n".join(_diagnosis(plan.scenario, plan.status, options, out_dir)), err=True)
    sys.exit(3)


# ----------------------------------------------------------------------------- text tables


def _n(value: Any, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.{decimals}f}"


def _value(value: float) -> str:
    """A swept value as a planner wrote it: 25,000, 0.35, 1.5."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"


def _decimals(kpi: str) -> int:
    return 2 if kpi in ("roi", "cpe", "cpa") else 1 if kpi == "conversions" else 0


def _unit(name: str, currency: str) -> str:
    money = name in MONEY_GOALS or name in ("budget", "cpe", "cpa") or name.endswith("_spend")
    return f"{name} {currency}" if money else name


def _grid(header: list[str], rows: list[list[str]], left: Sequence[int] = (0,)) -> list[str]:
    """Columns padded to width: the ``left`` columns left-aligned (text), the rest right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(str(v).ljust(w) if i in left else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths)))

    return ["  " + line(header).rstrip(), "  " + line(["-" * w for w in widths])] + ["  " + line(r).rstrip() for r in rows]


def _status_text(status: SolveStatus, gap: float | None = None) -> str:
    from mixopt.solve import SolveStatus

    if status is SolveStatus.FEASIBLE:
        return "feasible" if gap is None else f"gap {gap:.1%}"
    if status is SolveStatus.OPTIMAL:
        return "optimal"
    return {SolveStatus.NOT_SOLVED: "stopped", SolveStatus.UNBOUNDED: "unbounded"}.get(status, "no plan")


def _title(command: str, scenario: Scenario) -> str:
    return f"mixopt {mixopt_version()}  {command}  scenario: {scenario.name}  ({scenario.source_file})"


# ----------------------------------------------------------------------------- shared options


def _solver_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--mip-gap", type=click.FloatRange(0, 1), default=None,
                     help="Accept a plan within this relative gap of the optimum (default 0: exact).")(f)
    f = click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Stop each solve after this many seconds and keep the best plan found.")(f)
    f = click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None,
                     help="Solver (default: the scenario's, else highs).")(f)
    return f


def _format_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                        show_default=True, help="What to print on standard output.")(f)


def _scenario_argument(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))(f)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(mixopt_version(), prog_name="mixopt")
def cli() -> None:
    """Plan influencer campaigns: the provably best blend of pico, nano and micro creators.

    \b
    Start with:  mixopt solve scenarios/awareness_launch.yaml
    """


def _echo_run(deliverable: Any, table: str, fmt: str, text: Callable[[], str], written: list[Path]) -> None:
    """Print a run's result: the table text (and what was written), or its CSV / JSON file text."""
    from mixopt.export import run_tables, table_csv, table_json

    frame, provenance, facts = run_tables(deliverable)[table]
    if fmt == "table":
        click.echo(text() + (_wrote(written) if written else ""), nl=False)
    elif fmt == "csv":
        click.echo(table_csv(frame, provenance), nl=False)
    else:
        click.echo(table_json(frame, provenance, facts), nl=False)


# ----------------------------------------------------------------------------- solve


def _simulation_entries(plan: Plan, samples: int, seed: int) -> list[tuple[str, Plan, SimulationResult | None]]:
    from mixopt.simulate import simulate_plan

    return [("optimised plan", plan, simulate_plan(plan, samples, seed))]


@cli.command()
@_scenario_argument
@_solver_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write plan.csv, plan.json and plan.xlsx into this folder (relaxed.yaml when no plan exists).")
@_format_option
@click.option("--write-lp", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the model as an LP file (for inspection).")
@click.option("--no-explain", is_flag=True, help="Skip the marginal values of binding rules (faster).")
@click.option("--simulate", "samples", type=click.IntRange(1, 1_000_000), default=None, metavar="N",
              help="Also simulate the plan over N joint draws of the assumptions (P10/P50/P90).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed of --simulate (the same seed repeats the figures exactly).")
def solve(scenario: Path, solver: str | None, time_limit_s: float | None, mip_gap: float | None,
          out_dir: Path | None, fmt: str, write_lp: Path | None, no_explain: bool, samples: int | None,
          seed: int) -> None:
    """Find the best plan for SCENARIO and print it.

    When no plan satisfies every rule, the command exits with code 3 and prints why, with the
    smallest change found; with --out it also writes that change as a ready-to-run relaxed.yaml.

    \b
    Example:
      mixopt solve scenarios/awareness_launch.yaml
      mixopt solve scenarios/sales_push.yaml --out results/ --format csv
      mixopt solve scenarios/sales_push.yaml --simulate 10000 --seed 1
    """
    from mixopt.export import format_table, plan_csv, plan_dict, plan_json, write_atomic, write_outputs

    with _planner_errors():
        loaded = mixopt.load_scenario(scenario)
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        _check_out(out_dir)
        if loaded.roster is not None:
            from mixopt.roster_run import run_roster_solve

            for given, option in ((write_lp, "--write-lp"), (samples, "--simulate"),
                                  (solver == "cbc" or None, "--solver")):
                if given is not None:
                    _usage(option, "is tier mode only (a roster scenario is solved by CLP and HiGHS)",
                           f"Drop {option} for {loaded.source_file}")
            click.echo(run_roster_solve(loaded, options, out_dir, fmt, mip_gap=mip_gap), nl=False)
            return
        if write_lp is not None:
            model = mixopt.build_model(loaded)
            try:
                write_atomic(write_lp, lambda tmp: model.problem.writeLP(str(tmp)))
            except OSError as err:
                _cannot_write(write_lp, "--write-lp", err)
        plan = optimize(loaded, options, explain=not no_explain)
        if not plan.status.has_plan:
            _no_plan(plan, options, out_dir)
        entries = _simulation_entries(plan, samples, seed) if samples is not None else None
        written: list[Path] = []
        combined_json = None
        if entries is not None:
            from mixopt.uncertainty_report import simulation_json

            data = plan_dict(plan)
            data["simulation"] = json.loads(simulation_json(loaded, entries, seed, samples or 0))
            combined_json = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        if out_dir is not None:
            written = _write(out_dir, lambda: write_outputs(plan, out_dir))
            if entries is not None:
                written += _write(out_dir, lambda: _write_simulation(loaded, entries, seed, samples, out_dir))
                text_json = combined_json or ""
                # plan.json carries the simulation too, the same bytes as --format json prints
                _write(out_dir, lambda: (_write_text(out_dir / "plan.json", text_json), [])[1])
        if fmt == "table":
            text = format_table(plan)
            if entries is not None:
                from mixopt.uncertainty_report import simulation_text

                text += "\n" + simulation_text(loaded, entries, seed, samples or 0)
            click.echo(text + (_wrote(written) if written else ""), nl=False)
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
    from mixopt.uncertainty_report import simulation_csv, simulation_json

    paths = [out_dir / "simulation.csv", out_dir / "simulation.json"]
    _write_text(paths[0], simulation_csv(scenario, entries, seed, samples or 0))
    _write_text(paths[1], simulation_json(scenario, entries, seed, samples or 0, extra))
    return paths


# ----------------------------------------------------------------------------- validate, defaults


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
        size = f"{len(s.cells)} cells"
        if s.roster is not None:  # a roster scenario is valid only with a sound creator table
            from mixopt.roster import load_roster
            from mixopt.roster_model import table_issues

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
        click.echo(f"{s.source_file}: ok ({size}, goal: {goal}{budget})")
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
    shown["source"] = shown["source"].map(  # whole words; the full text is in --format csv
        lambda text: textwrap.shorten(str(text), width=80, placeholder=" ..."))
    click.echo(shown.to_string(index=False))


# ----------------------------------------------------------------------------- sweep


def _sweep_request(loaded: Scenario, budget: str | None, field: str | None,
                   values: str | None) -> tuple[str, list[float]]:
    """The field and values to sweep, from the options or the scenario's ``sweep:`` block."""
    from mixopt.sweep import parse_values

    if budget is not None:
        if field is not None or values is not None:
            _usage("--budget", "cannot be combined with --field or --values",
                   "Use --budget START:STOP:STEP, or --field PATH --values SPEC")
        return "budget", parse_values(budget, "--budget")
    if field is not None and values is None:
        _usage("--field", "needs --values", "Add --values START:STOP:STEP, e.g. --values 100000:400000:50000", field)
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
    from mixopt.sweep import _is_money

    s = result.scenario
    goal = result.objective_label
    cur = s.currency
    field_head = _unit(result.field, cur) if _is_money(result.field) else result.field
    lines = [_title("sweep", s)]
    if not result.exact:
        bound = result.preview_bound
        article = "an" if bound == "upper" else "a"
        side = "at or below" if s.objective.maximize else "at or above"
        lines += [f"LP PREVIEW, NOT A PLAN: {article} {bound} bound on the best {goal} at each {result.field}, from the "
                  "LP relaxation (fractional creators allowed).",
                  f"The exact optimum is {side} each figure. Run without --preview for exact plans.", ""]
        header = [field_head, "status", f"{_unit(goal, cur)} ({bound} bound)"]
        rows = [[_value(p.value), "LP bound" if p.objective is not None else "no plan",
                 _n(p.objective, _decimals(goal))] for p in result.points]
        return "\n".join(lines + _grid(header, rows, left=(1,))) + "\n"
    planned = sum(1 for p in result.points if p.plan is not None)
    lines += [f"Best {goal} at each {result.field}: {len(result.points)} points, {planned} with a plan, exact "
              f"({result.solver_version}). 'no plan': no mix meets every rule at that value.", ""]
    money = _is_money(result.field)
    has_roi = s.economics.average_order_value is not None
    header = [field_head, "status", _unit(goal, cur)]
    header += ["per +1,000"] if money else []
    header += list(s.tier_names) + ["creators", f"spend {cur}", "reach", "engagements", "conversions"]
    header += ["ROI"] if has_roi else []
    rows = []
    for p in result.points:
        t = p.plan.totals if p.plan is not None else {}
        row = [_value(p.value), _status_text(p.status, p.plan.gap if p.plan else None), _n(p.objective, _decimals(goal))]
        row += [_n(p.marginal_per_1000, _decimals(goal))] if money else []
        row += [_n(result._tier_creators(p.plan, tier)) for tier in s.tier_names]
        row += [_n(t.get("creators")), _n(t.get("spend")), _n(t.get("reach")), _n(t.get("engagements")),
                _n(t.get("conversions"), 1)]
        row += [_n(t.get("roi"), 2)] if has_roi else []
        rows.append(row)
    lines += _grid(header, rows, left=(1,))
    if money:
        lines += ["", f"per +1,000: how much the best {goal} grows with 1,000 {cur} more {result.field} "
                      "(an exact re-solve, not an LP dual)."]
    if result.mix_changes:
        lines += ["", "Where the mix changes:"] + [f"  - {c}" for c in result.mix_changes]
    best = result.best_roi_point()
    if best is not None and has_roi:
        t = best.plan.totals
        lines += ["", f"Best ROI: {t['roi']:.2f} at {result.field} {_value(best.value)} "
                      f"(profit {_n(t['profit'])} {cur} on spend {_n(t['spend'])} {cur})."]
    return "\n".join(lines) + "\n"


@cli.command()
@_scenario_argument
@click.option("--budget", "budget_spec", metavar="START:STOP:STEP", default=None,
              help="Sweep the budget (shorthand for --field budget --values SPEC).")
@click.option("--field", metavar="PATH", default=None,
              help="The numeric field to vary, e.g. targets.reach, rules.max_creators or "
                   "rules.tiers.micro.max_spend_share (default: the scenario's sweep field, else budget).")
@click.option("--values", "values_spec", metavar="SPEC", default=None,
              help="START:STOP:STEP (STOP included when on the grid) or a list A,B,C.")
@click.option("--preview", is_flag=True,
              help="Only the LP relaxation: a fast bound on the curve, labelled as a preview, not a plan.")
@_solver_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write sweep.csv, sweep.json, sweep.xlsx (with charts) and sweep.png into this folder.")
@_format_option
def sweep(scenario: Path, budget_spec: str | None, field: str | None, values_spec: str | None, preview: bool,
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
    from mixopt.export import write_run_outputs
    from mixopt.sweep import run_sweep
    from mixopt.workbook import Deliverable

    with _planner_errors():
        loaded = mixopt.load_scenario(scenario)
        _tier_only(loaded, "sweep")
        chosen_field, chosen_values = _sweep_request(loaded, budget_spec, field, values_spec)
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        _check_out(out_dir)
        kind = "LP preview" if preview else "sweep"
        with _progress(len(chosen_values), f"{kind} of {chosen_field}") as bar:
            result = run_sweep(loaded, chosen_field, chosen_values, options, preview=preview, progress=_advance(bar))
        deliverable = Deliverable(sweep=result)
        written = _write(out_dir, lambda: write_run_outputs(deliverable, out_dir)) if out_dir is not None else []
        _echo_run(deliverable, "sweep", fmt, lambda: _sweep_text(result), written)
        if all(p.objective is None for p in result.points):
            click.echo(f"{loaded.source_file}: {chosen_field}: no point of the sweep has a plan "
                       f"({_value(min(chosen_values))} to {_value(max(chosen_values))}). Widen the range, or run "
                       f"'mixopt solve' at one value to see why.", err=True)
            sys.exit(3)


# ----------------------------------------------------------------------------- frontier


def _frontier_text(result: Any) -> str:
    s = result.scenario
    x, y = result.x, result.y
    cur = s.currency
    points = [p for p in result.points if p.plan is not None]
    lines = [_title("frontier", s),
             f"Most {y} for each level of {x}: {len(points)} Pareto-optimal plans, exact ({result.solver_version}).",
             f"The budget ({_n(s.budget)} {cur}) and every rule hold at each point; the scenario's own goal is set "
             "aside.", ""]
    table = result.table()
    trade = f"{y}_given_up_per_million_{x}"
    has_roi = s.economics.average_order_value is not None
    header = [_unit(x, cur), _unit(y, cur), f"{y} given up per +1M {x}", f"spend {cur}", *s.tier_names, "creators"]
    header += ["ROI"] if has_roi else []
    rows = []
    for r in table.to_dict("records"):
        row = [_n(r[x], _decimals(x)), _n(r[y], _decimals(y)), _n(r[trade], 1), _n(r["spend"]),
               *[_n(r[f"creators_{t}"]) for t in s.tier_names], _n(r["creators"])]
        row += [_n(r["roi"], 2)] if has_roi else []
        rows.append(row)
    lines += _grid(header, rows, left=())
    if len(points) >= 2:
        first, last = points[0], points[-1]
        if last.x_value > first.x_value:
            gained, lost = last.x_value - first.x_value, first.y_value - last.y_value
            cost = lost / gained * 1_000_000
            dy = _decimals(y)
            lines += ["", f"From the most-{y} plan ({x} {_n(first.x_value)}, {y} {_n(first.y_value, dy)}) to the "
                          f"most-{x} plan ({x} {_n(last.x_value)}, {y} {_n(last.y_value, dy)}): +{_n(gained)} {x} costs "
                          f"{_n(lost, dy)} {y}, {_n(cost, 1)} {y} per extra million {x} on average."]
    return "\n".join(lines) + "\n"


@cli.command()
@_scenario_argument
@click.option("--points", type=click.IntRange(2, 1000), default=20, show_default=True,
              help="Frontier points (exact solves), from the most-y plan to the most-x plan.")
@click.option("--x", "x", type=click.Choice(["reach", "impressions", "engagements", "conversions"]), default="reach",
              show_default=True, help="The KPI on the horizontal axis (held as a floor).")
@click.option("--y", "y", type=click.Choice(["reach", "impressions", "engagements", "conversions", "revenue",
                                             "profit"]), default="conversions", show_default=True,
              help="The KPI maximised at each level of x.")
@_solver_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write frontier.csv, frontier.json, frontier.xlsx (with a chart) and frontier.png into this folder.")
@_format_option
def frontier(scenario: Path, points: int, x: str, y: str, solver: str | None, time_limit_s: float | None,
             mip_gap: float | None, out_dir: Path | None, fmt: str) -> None:
    """Trace the awareness-versus-sales frontier of SCENARIO: the most y for each level of x.

    \b
    Example:
      mixopt frontier scenarios/base.yaml
      mixopt frontier scenarios/base.yaml --points 10 --x reach --y profit --out results/
    """
    from mixopt.export import write_run_outputs
    from mixopt.frontier import trace_frontier
    from mixopt.workbook import Deliverable

    with _planner_errors():
        loaded = mixopt.load_scenario(scenario)
        _tier_only(loaded, "frontier")
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        _check_out(out_dir)
        with _progress(points, f"frontier of {y} by {x}") as bar:
            result = trace_frontier(loaded, x, y, points, options, progress=_advance(bar))
        if not any(p.plan is not None for p in result.points):
            plan = optimize(loaded, options, explain=False)
            if not plan.status.has_plan:
                _no_plan(plan, options, out_dir)
            _fail(mixopt.SolverError(f"{loaded.source_file}: solver: no frontier point was solved in time. "
                                     "Allow more time with --time-limit or accept a gap with --mip-gap 0.01."))
        deliverable = Deliverable(frontier=result)
        written = _write(out_dir, lambda: write_run_outputs(deliverable, out_dir)) if out_dir is not None else []
        _echo_run(deliverable, "frontier", fmt, lambda: _frontier_text(result), written)


# ----------------------------------------------------------------------------- compare


def _compare_text(comparison: Any) -> str:
    plans = comparison.plans
    letters = [chr(ord("A") + i) if i < 26 else f"P{i + 1}" for i in range(len(plans))]
    currencies = {p.scenario.currency for p in plans}
    cur = next(iter(currencies)) if len(currencies) == 1 else "(mixed currencies)"
    lines = [f"mixopt {mixopt_version()}  compare  {len(plans)} plans"]
    lines += [f"  {letter} = {p.scenario.name}  ({p.scenario.source_file})" for letter, p in zip(letters, plans)]
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
                rows.append([item, *[str(v) for v in values[: len(names)]], *["" for _ in diffs]])
                continue
            d = _decimals(item) if section == "totals" else 0
            label = _unit(item, cur) if section == "totals" else item
            rows.append([label, *[_n(v, d) for v in values]])
        if rows:
            lines += ["", title] + _grid(header, rows)
    return "\n".join(lines) + "\n"


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_solver_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write comparison.csv, comparison.json and comparison.xlsx into this folder.")
@_format_option
def compare(scenarios: tuple[Path, ...], solver: str | None, time_limit_s: float | None, mip_gap: float | None,
            out_dir: Path | None, fmt: str) -> None:
    """Solve two or more scenarios and put their plans side by side, with the differences to the first.

    \b
    Example:
      mixopt compare scenarios/awareness_launch.yaml scenarios/sales_push.yaml
      mixopt compare scenarios/base.yaml scenarios/blended.yaml --out results/ --format csv
    """
    from mixopt.compare import compare_plans
    from mixopt.export import write_run_outputs
    from mixopt.workbook import Deliverable

    if len(scenarios) < 2:
        _usage("SCENARIOS", "compare needs at least two scenario files", "Name two or more files, e.g. "
               "mixopt compare scenarios/awareness_launch.yaml scenarios/sales_push.yaml", len(scenarios))
    loaded, problems = [], []
    for path in scenarios:
        try:
            s = mixopt.load_scenario(path)
            _tier_only(s, "compare")
            loaded.append(s)
        except MixoptError as err:
            problems.append(str(err))
    if problems:
        click.echo("\n".join(problems), err=True)
        sys.exit(1)
    with _planner_errors():
        _check_out(out_dir)
        plans = []
        for s in loaded:
            options = solver_options_for(s, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
            plan = optimize(s, options, explain=False)
            if not plan.status.has_plan:
                relaxed = f"relaxed_{Path(s.source_file).stem}.yaml"
                if plan.status.value in ("infeasible", "infeasible_or_unbounded"):
                    click.echo("\n".join(_diagnosis(s, plan.status, options, out_dir, relaxed)), err=True)
                    sys.exit(3)
                _fail(no_plan_error(plan))
            plans.append(plan)
        comparison = compare_plans(plans)
        deliverable = Deliverable(comparison=comparison)
        written = []
        if out_dir is not None:
            written = _write(out_dir, lambda: write_run_outputs(deliverable, out_dir, charts=False, stem="comparison"))
        _echo_run(deliverable, "compare", fmt, lambda: _compare_text(comparison), written)


# ----------------------------------------------------------------------------- simulate


@cli.command()
@_scenario_argument
@click.option("--samples", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True,
              help="Joint draws of every assumption from its low / base / high range.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed (recorded; the same seed repeats the figures exactly).")
@click.option("--safe", "confidence", type=click.FloatRange(0.5, 1, max_open=True), default=None, metavar="CONFIDENCE",
              help="Also show the risk-aware plan, e.g. --safe 0.9: its targets and budget hold on average over "
                   "the worst (1 - CONFIDENCE) share of draws (CVaR), beside the expected-value plan.")
@_solver_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write simulation.csv, simulation.json and the plan files (plan.csv, plan.json, plan.xlsx; "
                   "safe_plan.csv and safe_plan.json with --safe) into this folder.")
@_format_option
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
    from mixopt.export import plan_csv, plan_json, write_outputs
    from mixopt.risk import safe_plan
    from mixopt.simulate import simulate_plan
    from mixopt.uncertainty_report import simulation_csv, simulation_json, simulation_text

    with _planner_errors():
        loaded = mixopt.load_scenario(scenario)
        _tier_only(loaded, "simulate")
        options = solver_options_for(loaded, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
        _check_out(out_dir)
        plan = optimize(loaded, options, explain=False)
        if not plan.status.has_plan:
            _no_plan(plan, options, out_dir)
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
            written = _write(out_dir, lambda: write_outputs(plan, out_dir))
            written += _write(out_dir, lambda: _write_simulation(loaded, entries, seed, samples, out_dir, extra))
            if safe is not None and safe.status.has_plan:
                def write_safe() -> list[Path]:
                    _write_text(out_dir / "safe_plan.csv", plan_csv(safe))
                    _write_text(out_dir / "safe_plan.json", plan_json(safe))
                    return [out_dir / "safe_plan.csv", out_dir / "safe_plan.json"]

                written += _write(out_dir, write_safe)
        if fmt == "table":
            click.echo(simulation_text(loaded, entries, seed, samples) + (_wrote(written) if written else ""), nl=False)
        elif fmt == "csv":
            click.echo(simulation_csv(loaded, entries, seed, samples), nl=False)
        else:
            click.echo(simulation_json(loaded, entries, seed, samples, extra), nl=False)


def main() -> None:
    """Console entry point."""
    cli(prog_name="mixopt")
