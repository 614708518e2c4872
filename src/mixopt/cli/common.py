"""What every command shares: one-line errors and exit codes, scenarios with --set, whole output sets
for --out, progress bars, shared options, the no-plan diagnosis."""

from __future__ import annotations

import dataclasses
import errno
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, NoReturn

import click

from mixopt.api import no_plan_error
from mixopt.errors import Issue, MixoptError, ScenarioError, SolverError, printable
from mixopt.outputs.files import write_text
from mixopt.outputs.output_set import OutputSet, OutputSetError
from mixopt.roster.plan import RosterPlan
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions, SolveStatus
from mixopt.tier.plan import Plan

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
COMMAND_LINE = "(command line)"
PROGRESS_FROM = 20  # show a progress bar (on a terminal's stderr) from this many solves
MONEY_GOALS = ("spend", "revenue", "profit", "value")
ARGUMENTS_KEY = "mixopt.arguments"  # the command's arguments as typed (set by the command group)
SETTINGS_KEY = "mixopt.settings"  # the --set items of this run


# ----------------------------------------------------------------------------- errors and files


def _exit_code(err: MixoptError) -> int:
    """A bad option value is a usage error (2); anything about a scenario keeps its own code."""
    if isinstance(err, ScenarioError) and err.issues and all(i.file == COMMAND_LINE for i in err.issues):
        return 2
    return err.exit_code


def fail(err: MixoptError) -> NoReturn:
    click.echo("\n".join(printable(line) for line in str(err).split("\n")), err=True)  # one line each, no raw control
    sys.exit(_exit_code(err))


def usage_error(option: str, problem: str, fix: str, value: object = None) -> NoReturn:
    extra = {} if value is None else {"value": value}
    fail(ScenarioError([Issue(COMMAND_LINE, option, problem, fix, **extra)]))


def cannot_write(path: Path, option: str, err: OSError) -> NoReturn:
    """An output path from the command line that cannot be written: a usage error (exit 2)."""
    reason = err.strerror or type(err).__name__
    click.echo(f"{path}: {option}: cannot write there ({reason}). Choose a folder you can write to.", err=True)
    sys.exit(2)


class OutFolder(click.Path):
    """The ``--out`` folder: a file of that name gets the one line every other ``--out`` problem gets."""

    def __init__(self) -> None:
        super().__init__(path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        try:
            is_file = Path(path).exists() and not Path(path).is_dir()
        except OSError as err:  # a name too long for the file system, a loop of links, ...
            cannot_write(Path(path), "--out", err)
        if is_file:
            click.echo(f"{path}: --out: is a file, not a folder; mixopt writes a run's files into a folder. Choose "
                       "another name, e.g. --out results/", err=True)
            sys.exit(2)
        return path


class Share(click.ParamType):
    """A share on the command line: a fraction of 1 (``0.05``) or a percentage (``5%``), within its range."""

    name = "share"

    def __init__(self, low: float, high: float, *, high_open: bool = False, example: str) -> None:
        self.low, self.high, self.high_open, self.example = low, high, high_open, example

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            share = math.nan
        above = share >= self.high if self.high_open else share > self.high
        if not math.isfinite(share) or share < self.low or above:
            top = f"below {self.high:g}" if self.high_open else f"at most {self.high:g}"
            self.fail(f"must be a share of at least {self.low:g} and {top}, as a fraction of 1 or a percentage (got "
                      f"{text!r}). Write e.g. {self.example}.", param, ctx)
        return share


class Seconds(click.ParamType):
    """A time limit in seconds: a number above 0."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float):
            return value
        try:
            seconds = float(str(value).strip())
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds > 0):
            self.fail(f"must be a number of seconds above 0 (got {str(value)!r}). Write e.g. --time-limit 60, or "
                      "leave it out to wait for the best plan.", param, ctx)
        return seconds


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


# ----------------------------------------------------------------------------- scenarios and --set


def set_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--set PATH=VALUE`` (repeatable): a scenario field for this run, validated as if in the file."""
    return click.option("--set", "settings", multiple=True, metavar="PATH=VALUE",
                        help="Set a scenario field for this run, as if written in the file (repeatable): e.g. "
                             "--set budget=60000 --set targets.reach=300000; PATH=null removes the value.")(f)


def check_settings(settings: Sequence[str]) -> None:
    """Fail (one line each; exit 2 for a malformed PATH=VALUE) before reading several scenarios."""
    from mixopt.scenario.load import parse_settings

    try:
        parse_settings(settings)
    except MixoptError as err:
        fail(err)


def read_scenario(path: Path, settings: Sequence[str] = ()) -> Scenario:
    """Load a scenario with the run's ``--set`` values applied; its warnings go to standard error.

    Raises
    ------
    ScenarioError
        Every problem, one line each (a ``--set`` value's problem names the option).
    """
    import mixopt
    from mixopt.scenario.checks import scenario_warnings
    from mixopt.scenario.load import parse_settings

    settings = tuple(settings)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[SETTINGS_KEY] = settings
    scenario = mixopt.load_scenario(path, settings) if settings else mixopt.load_scenario(path)
    labels = [(p.path, p.label) for p in parse_settings(settings)] if settings else []
    for warning in scenario_warnings(scenario):
        origin = next((label for set_path, label in reversed(labels)
                       if warning.path == set_path or warning.path.startswith(set_path + ".")), warning.file)
        click.echo(str(dataclasses.replace(warning, file=origin)), err=True)
    return scenario


# ----------------------------------------------------------------------------- whole output sets


def _command_line() -> tuple[str, ...]:
    ctx = click.get_current_context(silent=True)
    arguments = ctx.meta.get(ARGUMENTS_KEY) if ctx is not None else None
    return ("mixopt", *(arguments if arguments is not None else sys.argv[1:]))


def _inputs(scenarios: Sequence[Scenario]) -> list[Path]:
    """The files this run reads: never removed from an output folder, even when an earlier run wrote them."""
    found = [Path(s.source_file) for s in scenarios] + [Path(s.roster_path) for s in scenarios if s.roster_path]
    ctx = click.get_current_context(silent=True)
    for value in (ctx.params.values() if ctx is not None else ()):
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Path):
                found.append(item)
    return found


#: Output sets open in this process, by staging folder (a command that writes with ``out.folder``
#: as its folder still gets the set's messages and its relaxed.yaml committed).
_OPEN_SETS: dict[Path, OutputSet] = {}


def open_out(out_dir: Path | None, *scenarios: Scenario) -> OutputSet | None:
    """Start the run's output set in ``--out``: lock the folder, finish or clean what killed runs left.

    Fails before any solving, with one line: exit 1 when another run has the folder, exit 2 when
    it cannot be written. The set is dropped (the earlier files stay) if the command ends without
    :func:`commit_out`.
    """
    if out_dir is None:
        return None
    out = OutputSet(out_dir, _command_line(), _inputs(scenarios))
    try:
        out.begin()
    except OutputSetError as err:
        if err.kind == "busy":
            click.echo(f"{out_dir}: --out: {err.problem}. Wait for it to finish, or choose another folder.", err=True)
            sys.exit(1)
        if err.err is not None:
            cannot_write(out_dir, "--out", err.err)
        click.echo(f"{err.folder}: --out: {err.problem}. Move it away, or choose another folder.", err=True)
        sys.exit(2)
    _OPEN_SETS[out.folder] = out
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(out.abort)
        ctx.call_on_close(lambda folder=out.folder: _OPEN_SETS.pop(folder, None))
    for note in out.notes:
        click.echo(note, err=True)
    out.notes.clear()
    return out


def out_failed(out: OutputSet, err: OSError | OutputSetError) -> NoReturn:
    """One line when the run's files cannot be written or moved into place (exit 2)."""
    out.abort()
    if isinstance(err, OutputSetError):
        reason = f" ({err.err.strerror or type(err.err).__name__})" if err.err is not None else ""
        if err.kind == "incomplete":
            click.echo(f"{out.target}: --out: {err.problem}{reason}; run the command again to finish the move.",
                       err=True)
        else:
            click.echo(f"{err.folder}: --out: {err.problem}; nothing in {out.target} was changed. Move it away, or "
                       "choose another folder.", err=True)
        sys.exit(2)
    reason = (err.strerror or os.strerror(err.errno)) if err.errno else (err.strerror or type(err).__name__)
    fix = ("Free some disk space, or choose another folder" if err.errno in (errno.ENOSPC, errno.EDQUOT)
           else "Choose a folder you can write to")
    click.echo(f"{out.target}: --out: cannot write there ({reason}); nothing in it was changed. {fix}.", err=True)
    sys.exit(2)


def _os_error(err: BaseException) -> OSError | None:
    """The OSError behind a writer's error (XlsxWriter wraps a full disk in its FileCreateError)."""
    for found in (err, err.__cause__, err.__context__, *(err.args[:1] if err.args else ())):
        if isinstance(found, OSError):
            return found
    return None


def stage(out: OutputSet, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Write some of the run's files into the staging folder; returns where they will be."""
    try:
        return out.final(write(out.folder))
    except Exception as err:  # noqa: BLE001 - a full disk reaches here in several shapes
        cause = _os_error(err)
        if cause is None:
            raise
        out_failed(out, cause)


def commit_out(out: OutputSet | None, staged: Sequence[Path] | None = None) -> list[Path]:
    """Move the run's files into ``--out`` together, ``run.json`` last; notes go to standard error.

    Returns the files in place: ``staged`` (as :func:`stage` returned them, in that order) and
    ``run.json``, or every file of the set in name order.
    """
    if out is None:
        return []
    staged = None if staged is None else out.final(staged)  # paths in the staging folder, as they will be
    try:
        written = out.commit()
    except (OSError, OutputSetError) as err:
        out_failed(out, err)
    for note in out.notes:
        click.echo(note, err=True)
    if staged is None:
        return written
    return list(dict.fromkeys([*staged, written[-1]]))


def write_or_fail(out_dir: Path, write: Callable[[], list[Path]]) -> list[Path]:
    """Run ``write``; one line when it cannot write (into an output set's staging folder: nothing changed)."""
    try:
        return write()
    except Exception as err:  # noqa: BLE001 - a full disk reaches here in several shapes
        cause = _os_error(err)
        if cause is None:
            raise
        if out_dir in _OPEN_SETS:
            out_failed(_OPEN_SETS[out_dir], cause)
        cannot_write(out_dir, "--out", cause)


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


def _nested(pairs: Sequence[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for keys, value in pairs:
        node = tree
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return tree


def _merged(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def relaxed_text(scenario: Scenario, found: Any, target: Path, settings: Sequence[str] = ()) -> str:
    """The ready-to-run relaxed scenario for ``target``: it extends the scenario with the change.

    The run's ``--set`` values are written into it too (so it plans what this run planned). A
    scenario file without a .yaml or .yml extension cannot be extended, so then the file holds the
    whole scenario (its paths re-based on ``target``'s folder).
    """
    import yaml

    from mixopt.analysis.diagnose import relaxed_yaml
    from mixopt.scenario.load import apply_settings, parse_settings, scenario_keys
    from mixopt.scenario.reading import YAML_SUFFIXES, read_scenario_yaml

    text = relaxed_yaml(scenario, found, target)
    source = Path(scenario.source_file)
    extendable = source.suffix.lower() in YAML_SUFFIXES
    if extendable and not settings:
        return text
    header = [line for line in text.splitlines() if line.startswith("#")]
    body = yaml.safe_load(text)
    change = {k: v for k, v in body.items() if k not in ("extends", "name")}
    parsed = parse_settings(settings) if settings else []
    if extendable:
        head = {"extends": body["extends"], "name": body["name"]}
        merged = {**head, **_merged(_nested([(p.keys, p.value) for p in parsed]), change)}
    else:
        raw = read_scenario_yaml(source, strict=False, fields=scenario_keys())
        raw = apply_settings(raw, parsed) if parsed else raw
        data = {k: v for k, v in raw.data.items() if k != "extends"}
        folder = Path(target).resolve().parent
        for keys in (("roster", "file"), ("assumptions_from",)):  # paths written relative to their file
            node = data
            for key in keys[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            written = node.get(keys[-1]) if isinstance(node, dict) else None
            if isinstance(written, str) and not Path(written).is_absolute():
                origin = raw.folder_of(keys)
                node[keys[-1]] = os.path.relpath((origin / written).resolve(), folder)  # type: ignore[index]
        merged = {**_merged(data, change), "name": body["name"]}
        header.append(f"# It holds the whole scenario: {source} has no .yaml extension, so it cannot be extended.")
    if parsed:
        header.append("# With this run's " + " ".join(p.label for p in parsed) + ".")
    return "\n".join(header) + "\n" + yaml.safe_dump(merged, sort_keys=False, default_flow_style=False,
                                                     allow_unicode=True)


def diagnosis_lines(scenario: Scenario, status: SolveStatus, options: SolverOptions,
                    out_dir: Path | OutputSet | None, relaxed_name: str = "relaxed.yaml") -> list[str]:
    """Why no plan exists, in planner words, and (with --out) a ready-to-run relaxed scenario.

    The same lines for tier and roster scenarios (a roster scenario's change is confirmed by a
    roster solve within ``options.mip_gap``). Given the run's output set, the relaxed scenario is
    its one file, committed here.
    """
    from mixopt.analysis.diagnose import diagnose
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
        ctx = click.get_current_context(silent=True)
        settings = ctx.meta.get(SETTINGS_KEY, ()) if ctx is not None else ()
        out_dir = _OPEN_SETS.get(out_dir, out_dir) if isinstance(out_dir, Path) else out_dir
        if out_dir is None:
            lines.append(f"  Add --out DIR to write it as a ready-to-run {relaxed_name}.")
        elif isinstance(out_dir, OutputSet):
            out = out_dir
            target = out.target / relaxed_name
            text = relaxed_text(scenario, found, target, settings)
            stage(out, lambda folder: (write_text(folder / relaxed_name, text), [folder / relaxed_name])[1])
            commit_out(out)
            lines.append(f"  Wrote {target} ({_relaxed_how(file)} with that change); run: mixopt solve {target}")
        else:
            target = out_dir / relaxed_name
            try:
                write_text(target, relaxed_text(scenario, found, target, settings))
            except OSError as err:
                cannot_write(out_dir, "--out", err)
            lines.append(f"  Wrote {target} ({_relaxed_how(file)} with that change); run: mixopt solve {target}")
    return lines


def _relaxed_how(file: str) -> str:
    from mixopt.scenario.reading import YAML_SUFFIXES

    return f"it extends {file}" if Path(file).suffix.lower() in YAML_SUFFIXES else f"it holds all of {file}"


def checked_roster_plan(plan: RosterPlan, options: SolverOptions, out: Path | OutputSet | None) -> RosterPlan:
    """The roster plan, or the diagnosis (exit 3, relaxed.yaml in ``out``) or a one-line solver
    failure (exit 4): no choice of creators, or one that breaks a rule on independent check."""
    file = plan.scenario.source_file
    if plan.status in (SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED):
        no_plan(plan, options, out)
    if not plan.status.has_plan:
        raise SolverError(f"{file}: solver: no plan found ({plan.status.value}; "
                          f"{'; '.join(plan.solution.notes) or 'no detail'}). Raise solver.time_limit_s or "
                          "roster.mip_gap.")
    if not plan.feasible:
        broken = "; ".join(c.label for c in plan.checks if not c.holds)
        raise SolverError(f"{file}: solver: the plan found breaks a rule on independent check ({broken}); no plan "
                          "is reported. Please report this with the scenario.")
    return plan


def no_plan(plan: Plan | RosterPlan, options: SolverOptions, out_dir: Path | OutputSet | None) -> NoReturn:
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
    f = click.option("--mip-gap", type=Share(0, 1, example="--mip-gap 0.01 or --mip-gap 1%"), default=None,
                     help="Accept a plan within this relative gap of the optimum, e.g. 0.01 or 1% (default: 0, "
                          "exact, for tier scenarios; roster.mip_gap for roster scenarios).")(f)
    f = click.option("--time-limit", "time_limit_s", type=Seconds(), default=None,
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
