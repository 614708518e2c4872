"""Measured timings of tier mode for every shipped scenario (prints figures, asserts nothing).

Run from the repository root:

    .venv/bin/python bench/bench_tier.py            # median of 7 runs per figure
    .venv/bin/python bench/bench_tier.py -n 21      # more repeats
    .venv/bin/python bench/bench_tier.py scenarios/base.yaml

Per scenario it reports, each the median of N runs after one warm-up run:

- load      ``load_scenario`` (read YAML, merge ``extends:``, validate)
- build     ``build_model`` (the PuLP model)
- arrays    ``solve.to_arrays`` (the model read into arrays, part of every solve)
- HiGHS / CBC main   ``solve`` with ``tie_break=False``: the optimum only
- HiGHS / CBC solve  ``solve`` as ``optimize`` runs it: arrays, optimum, then the tie-break stages
- optimize+explain   ``optimize(scenario, explain=True)``: build, solve, plan, independent
  check and the marginal-value re-solves of the binding rules

Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from mixopt import SolverOptions, build_model, load_scenario, optimize, solve
from mixopt.solvers.engine import cbc_path
from mixopt.tier.solve import to_arrays

ROOT = Path(__file__).resolve().parent.parent


def median_ms(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``run`` in milliseconds over ``repeats`` runs after one warm-up, and its last result."""
    result = run()  # warm-up: imports, caches, the first subprocess
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times), result


@dataclass
class Row:
    scenario: str
    goal: str = ""
    size: str = ""
    figures: dict[str, float] = field(default_factory=dict)
    objective: dict[str, float | None] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    marginals: int = 0
    error: str = ""


def bench_scenario(path: Path, repeats: int) -> Row:
    row = Row(path.name)
    try:
        row.figures["load"], scenario = median_ms(lambda: load_scenario(path), repeats)
        row.goal = "min spend" if scenario.objective.minimize else f"max {scenario.objective.maximize}"
        row.figures["build"], model = median_ms(lambda: build_model(scenario), repeats)
        row.figures["arrays"], arrays = median_ms(lambda: to_arrays(model), repeats)
        row.size = f"{arrays.num_col}x{len(arrays.row_names)} ({int(arrays.integer.sum())} int)"
        for solver in ("highs", "cbc"):
            main = SolverOptions(solver=solver, tie_break=False)
            full = SolverOptions(solver=solver)
            row.figures[f"{solver} main"], _ = median_ms(lambda: solve(model, main), repeats)
            row.figures[f"{solver} solve"], solution = median_ms(lambda: solve(model, full), repeats)
            row.objective[solver] = solution.objective
            row.status[solver] = solution.status.value
        row.figures["optimize+explain"], plan = median_ms(lambda: optimize(scenario, explain=True), repeats)
        row.marginals = len(plan.marginals)
    except Exception as err:  # noqa: BLE001 - a benchmark reports failures, it does not stop on them
        row.error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    return row


def _cbc_version() -> str:
    try:
        out = subprocess.run([cbc_path(), "-quit"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "CBC (not found)"
    first = next((line.strip() for line in out.splitlines() if line.strip()), "CBC")
    return first


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def environment() -> list[str]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return [
        f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        f"mixopt {_version('mixopt')}, pulp {_version('pulp')}, highspy {_version('highspy')}, "
        f"cbcbox {_version('cbcbox')} ({_cbc_version()})",
    ]


FIGURES = ("load", "build", "arrays", "highs main", "highs solve", "cbc main", "cbc solve", "optimize+explain")


def _fmt(value: float | None, width: int, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-".rjust(width)
    return f"{value:,.{digits}f}".rjust(width)


def print_table(rows: list[Row], repeats: int) -> None:
    name_w = max(len("scenario"), *(len(r.scenario) for r in rows))
    goal_w = max(len("goal"), *(len(r.goal) for r in rows))
    size_w = max(len("cols x rows"), *(len(r.size) for r in rows))
    print(f"Tier mode, milliseconds, median of {repeats} runs after one warm-up run")
    print()
    header = (f"{'scenario':<{name_w}}  {'goal':<{goal_w}}  {'cols x rows':<{size_w}}  "
              + "  ".join(f.rjust(max(len(f), 7)) for f in FIGURES))
    print(header)
    print("-" * len(header))
    for r in rows:
        if r.error:
            print(f"{r.scenario:<{name_w}}  {r.goal:<{goal_w}}  {r.size:<{size_w}}  ERROR {r.error}")
            continue
        print(f"{r.scenario:<{name_w}}  {r.goal:<{goal_w}}  {r.size:<{size_w}}  "
              + "  ".join(_fmt(r.figures.get(f), max(len(f), 7)) for f in FIGURES))
    print()
    print("Objective found (informational; the tests check agreement, this script does not):")
    print()
    obj_header = f"{'scenario':<{name_w}}  {'HiGHS':>16} {'status':<9}  {'CBC':>16} {'status':<9}  {'marginals':>9}"
    print(obj_header)
    print("-" * len(obj_header))
    for r in rows:
        if r.error:
            continue
        print(f"{r.scenario:<{name_w}}  {_fmt(r.objective.get('highs'), 16, 3)} {r.status.get('highs', ''):<9}  "
              f"{_fmt(r.objective.get('cbc'), 16, 3)} {r.status.get('cbc', ''):<9}  {r.marginals:>9}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path, help="scenario files (default: scenarios/*.yaml)")
    parser.add_argument("-n", "--repeats", type=int, default=7, help="timed runs per figure (default 7)")
    args = parser.parse_args(argv)
    paths = args.scenarios or sorted((ROOT / "scenarios").glob("*.yaml"))
    repeats = max(1, args.repeats)
    for line in environment():
        print(line)
    print()
    started = time.perf_counter()
    rows = [bench_scenario(path, repeats) for path in paths]
    print_table(rows, repeats)
    print()
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
