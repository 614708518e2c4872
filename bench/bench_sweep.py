"""Measured sweep rates in tier mode (prints figures, asserts nothing).

Run from the repository root:

    .venv/bin/python bench/bench_sweep.py                         # sales_push, 100 budget points
    .venv/bin/python bench/bench_sweep.py scenarios/base.yaml -n 200

It reports, on one scenario and one grid of budgets:

- cold exact      a fresh ``optimize`` (build, solve with tie-breaks, plan, check) at every tenth point
- engine, optimum only    the reused HiGHS engine, only row bounds change, no tie-break stages
- engine, with tie-breaks the reused engine plus the "least spend" and cell-order stages
- run_sweep       ``run_sweep`` exact: the above plus a verified Plan and the +$1,000 marginal, with
                  plateaus reused (a plan using less budget than a point allows stays optimal below it)
- LP preview      ``run_sweep(preview=True)``: the LP relaxation curve, labelled as a preview

Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from mixopt import SolverOptions, build_model, load_scenario, optimize
from mixopt.analysis.sweep import run_sweep
from mixopt.scenario.fields import with_field
from mixopt.solvers.engine import ReusableHighs
from mixopt.tier.solve import to_arrays

ROOT = Path(__file__).resolve().parent.parent


def timed(label: str, points: int, run) -> float:  # type: ignore[no-untyped-def]
    run()  # warm-up
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {seconds * 1000:10.1f} ms {points / seconds:10.0f} points/s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "sales_push.yaml"))
    parser.add_argument("-n", "--points", type=int, default=100)
    parser.add_argument("--low", type=float, default=10_000)
    parser.add_argument("--high", type=float, default=100_000)
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    budgets = list(np.linspace(args.low, args.high, args.points).round(0))
    print(f"mixopt sweep bench: {Path(args.scenario).name}, {args.points} budget points "
          f"{args.low:,.0f}..{args.high:,.0f}")
    print(f"python {platform.python_version()}, highspy {metadata.version('highspy')}, "
          f"{platform.machine()}, {len(build_model(scenario).cells)} cells")

    def cold() -> None:  # every tenth budget, so the sample spans the whole range
        for b in budgets[:: max(1, len(budgets) // 10)]:
            optimize(with_field(scenario, "budget", b), explain=False)

    arrays = to_arrays(build_model(scenario))

    def engine_run(stages: bool, relax: bool = False) -> None:
        engine = ReusableHighs(arrays, SolverOptions(), relax=relax)
        lower = arrays.row_lower[engine.row_index("budget")]
        for b in budgets:
            engine.set_row_bounds("budget", lower, b)
            engine.solve(stages=stages)

    cold_points = len(budgets[:: max(1, len(budgets) // 10)])
    timed(f"cold exact ({cold_points} points)", cold_points, cold)
    timed("engine, optimum only", len(budgets), lambda: engine_run(False))
    timed("engine, with tie-breaks", len(budgets), lambda: engine_run(True))
    timed("run_sweep exact (plans, marginals)", len(budgets), lambda: run_sweep(scenario, "budget", budgets))
    timed("LP preview (run_sweep preview)", len(budgets), lambda: run_sweep(scenario, "budget", budgets, preview=True))
    timed("LP relaxation, engine only", len(budgets), lambda: engine_run(False, relax=True))


if __name__ == "__main__":
    main()
