"""Measured sweep rates in tier mode (prints figures, asserts nothing).

Run from the repository root:

    .venv/bin/python bench/bench_sweep.py                         # sales_push, 100 budget points
    .venv/bin/python bench/bench_sweep.py scenarios/base.yaml -n 200 --rounds 9

The first block compares, on one scenario and one grid of budgets, in the same process and in
interleaved rounds (the machine may be shared, so each figure is the best round):

- optimum only    the reused HiGHS engine solving the main goal at every budget, nothing else
                  (no tie-breaks, no plan, no marginal value): the faster of the grid's order and
                  the sweep's walking order (downwards for a budget)
- full sweep      ``run_sweep`` exact: tie-broken optimum, a verified Plan at every budget and the
                  marginal value of 1,000 more, with plateaus and plans reused where provably equal;
                  the tie-break stages run on a second thread while the walk goes on (the plans
                  are made once the walk ends), so the figure needs a second core free (its CPU
                  seconds are printed beside it)

and their ratio. The second block gives the other rates once each:

- cold exact      a fresh ``optimize`` (build, solve with tie-breaks, plan, check) at every tenth point
- engine, with tie-breaks the reused engine plus the "least spend" and cell-order stages at every budget
- LP preview      ``run_sweep(preview=True)``: the LP relaxation curve, labelled as a preview

Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

from mixopt import SolverOptions, build_model, load_scenario, optimize
from mixopt.analysis.sweep import run_sweep
from mixopt.scenario.fields import with_field
from mixopt.solvers.engine import ReusableHighs
from mixopt.tier.solve import to_arrays

ROOT = Path(__file__).resolve().parent.parent


def seconds_of(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def line(label: str, points: int, seconds: float) -> None:
    print(f"{label:<40} {seconds * 1000:10.1f} ms {points / seconds:10.0f} points/s")


def timed(label: str, points: int, run: Callable[[], object]) -> float:
    run()  # warm-up
    seconds = seconds_of(run)
    line(label, points, seconds)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "sales_push.yaml"))
    parser.add_argument("-n", "--points", type=int, default=100)
    parser.add_argument("--low", type=float, default=10_000)
    parser.add_argument("--high", type=float, default=100_000)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds; each rate is the best round")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    budgets = [float(b) for b in np.linspace(args.low, args.high, args.points).round(0)]
    print(f"mixopt sweep bench: {Path(args.scenario).name}, {args.points} budget points "
          f"{args.low:,.0f}..{args.high:,.0f}")
    print(f"python {platform.python_version()}, highspy {metadata.version('highspy')}, "
          f"{platform.machine()}, {len(build_model(scenario).cells)} cells")

    arrays = to_arrays(build_model(scenario))

    def engine_run(order: list[float], stages: bool, relax: bool = False) -> None:
        engine = ReusableHighs(arrays, SolverOptions(), relax=relax)
        lower = arrays.row_lower[engine.row_index("budget")]
        for b in order:
            engine.set_row_bounds("budget", lower, b)
            engine.solve(stages=stages)

    def full() -> None:
        run_sweep(scenario, "budget", budgets)

    runs: dict[str, Callable[[], None]] = {
        "grid order": lambda: engine_run(budgets, False),
        "walk order": lambda: engine_run(sorted(budgets, reverse=True), False),
        "full": full,
    }
    for run in runs.values():
        run()  # warm-up
    best = {name: float("inf") for name in runs}
    cpu = float("inf")
    for _ in range(args.rounds):
        for name, run in runs.items():
            started = time.process_time()
            seconds = seconds_of(run)
            if name == "full" and seconds < best[name]:
                cpu = time.process_time() - started
            best[name] = min(best[name], seconds)
    optimum = min(best["grid order"], best["walk order"])
    print(f"\nbest of {args.rounds} interleaved rounds:")
    line("optimum only (engine, bare)", len(budgets), optimum)
    line("full sweep (plans, marginals, ties)", len(budgets), best["full"])
    print(f"{'full sweep rate / optimum-only rate':<40} {optimum / best['full']:10.2f}")
    print(f"{'full sweep CPU seconds (both threads)':<40} {cpu * 1000:10.1f} ms")

    print("\nother rates (one timed run each):")
    cold_points = budgets[:: max(1, len(budgets) // 10)]
    timed(f"cold exact ({len(cold_points)} points)", len(cold_points),
          lambda: [optimize(with_field(scenario, "budget", b), explain=False) for b in cold_points])
    timed("engine, with tie-breaks", len(budgets), lambda: engine_run(budgets, True))
    timed("LP preview (run_sweep preview)", len(budgets), lambda: run_sweep(scenario, "budget", budgets, preview=True))
    timed("LP relaxation, engine only", len(budgets), lambda: engine_run(budgets, False, relax=True))


if __name__ == "__main__":
    main()
