"""Measured batch rates (prints figures, asserts nothing).

Run from the repository root:

    .venv/bin/python bench/bench_batch.py                     # hand_solvable, 50 budgets x 20 team sizes
    .venv/bin/python bench/bench_batch.py scenarios/sales_push.yaml --budgets 25 --teams 4

A 1,000-point batch (a small tier scenario over a two-field grid: budget x rules.max_creators),
every point a fresh ``optimize`` on a worker, computed side by side in one run:

- in process      no pool: the points solved one after another here (``--workers 1``)
- pool, 1 / 2     the local pool (``ProcessPoolExecutor``, forkserver) with 1 and 2 worker processes,
                  start-up included; scaling efficiency = rate(2) / (2 x rate(1))
- dask, 1 / 2     a ``dask.distributed.LocalCluster`` (1 thread per worker process) with 1 and 2
                  workers, start-up included, and its overhead against the pool with as many workers

Every configuration must give the same rows (checked). Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mixopt import load_scenario
from mixopt.analysis.batch import grid_points
from mixopt.analysis.batch_run import (
    _dask,
    _in_process,
    _local_cluster,
    _process_pool,
    chunks_of,
)

ROOT = Path(__file__).resolve().parent.parent
Rows = list[dict[str, Any]]


def timed(run: Callable[[], Iterator[Rows]]) -> tuple[float, dict[str, dict[str, Any]]]:
    start = time.perf_counter()
    rows = {row["point_key"]: row for chunk in run() for row in chunk}
    return time.perf_counter() - start, rows


def dask_run(payloads: list[dict[str, Any]], workers: int) -> tuple[float, float, dict[str, dict[str, Any]]]:
    """Seconds in all (start-up included), start-up seconds, rows."""
    start = time.perf_counter()
    cluster, client = _local_cluster(workers)
    client.wait_for_workers(workers)
    started = time.perf_counter() - start
    try:
        rows = {row["point_key"]: row for chunk in _dask(payloads, client, workers) for row in chunk}
    finally:
        client.close()
        cluster.close()
    return time.perf_counter() - start, started, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "hand_solvable.yaml"))
    parser.add_argument("--budgets", type=int, default=50, help="budget values (default 50)")
    parser.add_argument("--teams", type=int, default=20, help="rules.max_creators values (default 20)")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    base = float(scenario.budget or 10_000)
    budgets = [round(base * (0.25 + 1.5 * i / max(1, args.budgets - 1)), 2) for i in range(args.budgets)]
    teams = [float(t) for t in range(1, args.teams + 1)]
    points = grid_points(scenario, [("budget", budgets), ("rules.max_creators", teams)])
    payloads = [p.payload for p in points if p.payload is not None]
    n = len(payloads)
    print(f"mixopt batch bench: {Path(args.scenario).name}, {args.budgets} budgets x {args.teams} team sizes = "
          f"{n} points; python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the start (other work on the machine slows every figure)")
    print(f"tasks: {len(chunks_of(payloads, 1))} with 1 worker, {len(chunks_of(payloads, 2))} with 2 "
          "(points per task as the command line sends them)")
    inline_s, reference = timed(lambda: _in_process(payloads))
    figures: dict[str, float] = {}
    for workers in (1, 2):
        seconds, rows = timed(lambda w=workers: _process_pool(payloads, w))
        assert rows == reference, "the local pool gave other rows"
        figures[f"pool{workers}"] = seconds
    for workers in (1, 2):
        seconds, started, rows = dask_run(payloads, workers)
        assert rows == reference, "the Dask path gave other rows"
        figures[f"dask{workers}"] = seconds
        figures[f"dask{workers}_start"] = started

    def line(name: str, seconds: float, extra: str = "") -> None:
        print(f"  {name:<26} {seconds:7.2f} s  {n / seconds:8.1f} points/s{extra}")

    print("rows identical in every configuration: yes")
    line("in process", inline_s)
    line("local pool, 1 worker", figures["pool1"])
    line("local pool, 2 workers", figures["pool2"])
    line("dask LocalCluster, 1 worker", figures["dask1"], f"   (start-up {figures['dask1_start']:.2f} s)")
    line("dask LocalCluster, 2 workers", figures["dask2"], f"   (start-up {figures['dask2_start']:.2f} s)")
    efficiency = figures["pool1"] / (2 * figures["pool2"])
    dask_efficiency = figures["dask1"] / (2 * figures["dask2"])
    print(f"scaling efficiency, 1 -> 2 workers: local pool {efficiency:.0%}, dask {dask_efficiency:.0%} (aim >= 85%)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    for workers in (1, 2):
        extra = figures[f"dask{workers}"] - figures[f"pool{workers}"]
        print(f"dask overhead against the local pool, {workers} worker{'s' if workers > 1 else ''}: {extra:+.2f} s "
              f"in all ({extra / n * 1000:+.2f} ms per point; start-up {figures[f'dask{workers}_start']:.2f} s)")


if __name__ == "__main__":
    main()
