"""What every command shares: one-line errors and exit codes, --out checks, progress bars, shared options, the no-plan diagnosis."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, NoReturn

import click

from mixopt.api import no_plan_error
from mixopt.errors import Issue, MixoptError, ScenarioError
from mixopt.outputs.files import write_text
from mixopt.roster.plan import RosterPlan
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions, SolveStatus
from mixopt.tier.plan import Plan

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


def fail(err: MixoptError) -> NoReturn:
    click.echo(str(err), err=True)
    sys.exit(_exit_code(err))


def usage_error(option: str, problem: str, fix: str, value: object = None) -> NoReturn:
    extra = {} if value is None else {"value": value}
    fail(ScenarioError([Issue(COMMAND_LINE, option, problem, fix, **extra)]))


def cannot_write(path: Path, option: str, err: OSError) -> NoReturn:
    """An output path from the command line that cannot be written: a usage error (exit 2)."""
    reason = err.strerror or type(err).__name__
    click.echo(f"{path}: {option}: cannot write there ({reason}). Choose a folder you can write to.", err=True)
    sys.exit(2)


@contextmanager
def planner_errors() -> Iterator[None]:
    """Every error a planner can cause becomes its one-line message and exit code."""
    try:
        yield
    except MixoptError as err:
        fail(err)


def check_out(out_dir: Path | None) -> None:
    """Fail before any solving when ``--out`` cannot be written (a long sweep must not be lost)."""
    if out_dir is None:
        return
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as err:
        cannot_write(out_dir, "--out", err)


def write_or_fail(out_dir: Path, write: Callable[[], list[Path]]) -> list[Path]:
    try:
        return write()
    except OSError as err:
        cannot_write(out_dir, "--out", err)


def wrote_text(paths: Sequence[Path]) -> str:
    return "\nWrote " + ", ".join(str(p) for p in paths) + "\n"


def tier_only(scenario: Scenario, command: str) -> None:
    if scenario.roster is not None:
        raise ScenarioError([Issue(scenario.source_file, "roster", f"'mixopt {command}' works on tier scenarios only",
                                   f"Plan a roster scenario with 'mixopt solve {scenario.source_file}'")])


def progress_bar(total: int, label: str) -> Any:
    """A progress bar on standard error, only on a terminal and only for many solves."""
    stream = sys.stderr
    if total < PROGRESS_FROM or not stream.isatty():
        return nullcontext(None)
    return click.progressbar(length=total, label=label, file=stream)


def advance(bar: Any) -> Callable[[int, int], None] | None:
    if bar is None:
        return None
    return lambda done, _total: bar.update(done - bar.pos)


# ----------------------------------------------------------------------------- no plan: the diagnosis


def override_text(path: str, value: Any, currency: str) -> str:
    if path.endswith("_share"):
        return f"{path} {value:.1%}"
    if path == "budget" or path.endswith(("min_spend", "max_spend")):
        return f"{path} {value:,.0f} {currency}"
    if isinstance(value, float) and not value.is_integer():  # a resource cap such as 12.5 hours
        return f"{path} {value:,.2f}"
    return f"{path} {value:,.0f}" if isinstance(value, (int, float)) else f"{path} {value}"


def diagnosis_lines(scenario: Scenario, status: SolveStatus, options: SolverOptions, out_dir: Path | None,
               relaxed_name: str = "relaxed.yaml") -> list[str]:
    """Why no plan exists, in planner words, and (with --out) a ready-to-run relaxed scenario.

    The same lines for tier and roster scenarios (a roster scenario's change is confirmed by a
    roster solve within ``options.mip_gap``).
    """
    from mixopt.analysis.diagnose import diagnose, relaxed_yaml
    from mixopt.tier.plan import objective_label

    file = scenario.source_file
    lines = [f"{file}: rules: no plan satisfies every rule of this scenario (status {status.value}). "
             "Why, and the smallest change found that lets a plan exist:"]
    try:
        found = diagnose(scenario, options)
    except MixoptError:
        return lines + ["  - mixopt could not pin the conflict down; remove rules one at a time to find it"]
    lines += [f"  - {line}" for line in found.lines]
    if found.overrides:
        change = ", ".join(override_text(k, v, scenario.currency) for k, v in found.overrides.items())
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
                write_text(target, relaxed_yaml(scenario, found, target))
            except OSError as err:
                cannot_write(out_dir, "--out", err)
            lines.append(f"  Wrote {target} (it extends {file} with that change); run: mixopt solve {target}")
    return lines


def no_plan(plan: Plan | RosterPlan, options: SolverOptions, out_dir: Path | None) -> NoReturn:
    """Exit 3 with the diagnosis (infeasible), or the plain message (unbounded 3, stopped 4).

    Tier and roster plans alike: only ``plan.scenario`` and ``plan.status`` are read.
    """
    from mixopt.solvers.types import SolveStatus

    if plan.status not in (SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED):
        fail(no_plan_error(plan))
    click.echo("\n".join(diagnosis_lines(plan.scenario, plan.status, options, out_dir)), err=True)
    sys.exit(3)



# ----------------------------------------------------------------------------- shared options


def solver_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--mip-gap", type=click.FloatRange(0, 1), default=None,
                     help="Accept a plan within this relative gap of the optimum (default: 0, exact, for tier "
                          "scenarios; roster.mip_gap for roster scenarios).")(f)
    f = click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Stop each solve after this many seconds and keep the best plan found.")(f)
    f = click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None,
                     help="Solver (default: the scenario's, else highs).")(f)
    return f


def format_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                        show_default=True, help="What to print on standard output.")(f)


def scenario_argument(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))(f)



def echo_run(deliverable: Any, table: str, fmt: str, text: Callable[[], str], written: list[Path]) -> None:
    """Print a run's result: the table text (and what was written), or its CSV / JSON file text."""
    from mixopt.outputs.run_files import run_tables, table_csv, table_json

    frame, provenance, facts = run_tables(deliverable)[table]
    if fmt == "table":
        click.echo(text() + (wrote_text(written) if written else ""), nl=False)
    elif fmt == "csv":
        click.echo(table_csv(frame, provenance), nl=False)
    else:
        click.echo(table_json(frame, provenance, facts), nl=False)
