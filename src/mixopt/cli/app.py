"""The ``mixopt`` command group; each command lives in its own module.

The group is the last line of defence: a planner's mistake that reaches it still gets its one
line and exit code, and anything truly unexpected (a bug) gets one line, exit code 5, and a log
file holding the traceback (in ``MIXOPT_LOG_DIR`` when set, else the system's temporary folder),
never a traceback on the screen.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from mixopt.cli.common import ARGUMENTS_KEY, COMMAND_LINE, CONTEXT_SETTINGS, fail
from mixopt.errors import Issue, MixoptError, ScenarioError, undecodable
from mixopt.version import mixopt_version

__all__ = ["cli", "ARGUMENTS_KEY", "INTERNAL_ERROR_EXIT", "LOG_DIR_VARIABLE", "write_error_log"]

#: The exit code of an internal error (a bug in mixopt, not a planner's mistake).
INTERNAL_ERROR_EXIT = 5
#: The environment variable naming the folder for internal-error logs.
LOG_DIR_VARIABLE = "MIXOPT_LOG_DIR"
_PASS_THROUGH = (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort)


def write_error_log(err: BaseException, details: str) -> Path:
    """Write the traceback of an internal error to a new log file and return its path.

    Raises
    ------
    OSError
        When no log file can be created in the log folder.
    """
    folder = Path(os.environ.get(LOG_DIR_VARIABLE) or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    header = (f"mixopt {mixopt_version()} internal error\npython {platform.python_version()} on {platform.platform()}\n"
              f"command line: {' '.join(sys.argv)}\n{details}\n\n")
    body = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    for number in range(1, 10_000):
        path = folder / f"mixopt-internal-error-{os.getpid()}-{number}.log"
        try:
            with path.open("x", encoding="utf-8", errors="backslashreplace") as log:
                log.write(header + body)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free log file name in {folder}")


def _one_line(text: str, limit: int = 200) -> str:
    line = (text.splitlines() or [""])[0].encode("unicode_escape").decode("ascii")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _internal_error(err: BaseException, ctx: click.Context) -> None:
    what = f"{type(err).__name__}: {_one_line(str(err))}" if str(err) else type(err).__name__
    command = f"command: mixopt {ctx.invoked_subcommand or ''}"
    try:
        where = f"details are in {write_error_log(err, command)}"
    except Exception as log_err:  # noqa: BLE001 - the error line must still be printed
        where = f"no log could be written ({type(log_err).__name__}: {_one_line(str(log_err), 80)})"
    click.echo(f"mixopt {mixopt_version()}: internal error ({what}); {where}. Please report it with the scenario.",
               err=True)
    sys.exit(INTERNAL_ERROR_EXIT)


def _unwritable_output(err: OSError) -> str | None:
    """Why standard output refused text (a full disk, a broken device) when ``err`` came from writing
    to it, else None. Every line mixopt prints goes through click's ``echo``, so its frame tells."""
    trace = err.__traceback__
    while trace is not None:
        frame = trace.tb_frame
        if frame.f_code.co_name == "echo" and frame.f_globals.get("__name__") == "click.utils":
            try:
                to_stdout = frame.f_locals.get("file").fileno() == 1  # type: ignore[union-attr]
            except (AttributeError, OSError, ValueError):
                to_stdout = False
            return (err.strerror or type(err).__name__) if to_stdout else None
        trace = trace.tb_next
    return None


def _refuse_output(reason: str) -> NoReturn:
    """Standard output cannot be written: one line on standard error, exit 2, nothing left to flush."""
    with contextlib.suppress(OSError):  # what did not fit goes nowhere: the last flush cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    with contextlib.suppress(OSError):  # when standard error cannot be written either, the exit code tells
        click.echo(f"{COMMAND_LINE}: standard output: cannot write there ({reason}). Send the output to a file "
                   "on a disk with room, e.g. > plan.txt.", err=True)
    sys.exit(2)


def _usage_line(err: click.UsageError, command: str = "mixopt") -> NoReturn:
    """Click's own usage errors in the one-line form of every other error (exit 2)."""
    if err.ctx is not None and err.ctx.parent is not None:
        command = f"mixopt {err.ctx.info_name}"
    lines = [line.strip() for line in err.format_message().splitlines() if line.strip()]
    first, _, rest = (lines[0] if lines else "not understood").partition(". ")  # "No such command 'x'. Did you mean"
    where, problem, extra = "(usage)", first.rstrip("."), [*([rest] if rest else []), *lines[1:]]
    if isinstance(err, click.MissingParameter) and err.param is not None:
        where, problem = err.param.get_error_hint(err.ctx).strip("'") if err.ctx else str(err.param.name), "is missing"
    elif isinstance(err, click.BadParameter) and err.param is not None:
        hint = err.param.get_error_hint(err.ctx) if err.ctx else str(err.param.name)
        message, _, fix = _one_line(err.message).partition(". ")  # a parameter type's own fix follows ". "
        where, problem, extra = hint.split(" / ")[0].strip("'"), message.rstrip("."), [fix] if fix else []
    elif isinstance(err, click.NoSuchOption):
        where, problem = err.option_name, "no such option"
        extra = [f"Did you mean {' or '.join(sorted(err.possibilities))}?"] if err.possibilities else []
    elif isinstance(err, click.BadOptionUsage):
        where = err.option_name
        problem = "needs a value" if "requires an argument" in problem else problem
    fix = " ".join([*extra, f"See '{command} --help' for the options"])
    fail(ScenarioError([Issue(COMMAND_LINE, where or "(usage)", problem, fix)]))


class _GuardedGroup(click.Group):
    """A command group that never shows a traceback: planner errors keep their exit code, bugs exit 5."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[ARGUMENTS_KEY] = tuple(args)  # as typed, for the manifest of an output folder
        for arg in args:  # bytes the terminal's encoding cannot read arrive as lone surrogates
            if undecodable(arg):
                fail(ScenarioError([Issue(COMMAND_LINE, arg, "holds bytes that are not UTF-8 text (shown as \\udcXX)",
                                          "Rename the file, or type the value again as plain text")]))
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as err:
            _usage_line(err)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as err:  # an unknown command or option, a bad or missing value
            _usage_line(err, f"mixopt {ctx.invoked_subcommand}" if ctx.invoked_subcommand else "mixopt")
        except _PASS_THROUGH:
            raise
        except MixoptError as err:
            fail(err)
        except BrokenPipeError:
            raise  # click reports a closed standard output itself (exit 1)
        except OSError as err:
            reason = _unwritable_output(err)
            if reason is not None:
                _refuse_output(reason)
            _internal_error(err, ctx)
        except Exception as err:  # noqa: BLE001 - the point of the group
            _internal_error(err, ctx)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except BrokenPipeError:
            raise
        except OSError as err:  # --help or --version written to a standard output that takes nothing
            reason = _unwritable_output(err)
            if reason is None:
                raise
            _refuse_output(reason)


@click.group(cls=_GuardedGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(mixopt_version(), prog_name="mixopt")
def cli() -> None:
    """Plan influencer campaigns: the provably best blend of pico, nano and micro creators.

    \b
    Start with:  mixopt solve scenarios/awareness_launch.yaml
    """
