"""The ``mixopt`` command: a thin translator over the Python API.

Exit codes: 0 plan produced; 1 invalid input; 2 usage error; 3 no feasible plan (with the
diagnosis); 4 solver failure or deadline with no plan; 5 internal error (a bug in mixopt: one
line ``mixopt VERSION: internal error (Type: message); details are in LOG.``, the traceback
in a log file under ``MIXOPT_LOG_DIR`` or the system's temporary folder). Errors are one line
each on standard error, never a traceback; standard output carries only the requested table,
CSV or JSON.
"""


from __future__ import annotations

from mixopt.cli import authoring, batch, calibrate, compare, frontier, info, pilot, replan, review, simulate, solve, sweep  # noqa: F401  (registers the commands)
from mixopt.cli.app import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Console entry point."""
    cli(prog_name="mixopt")
