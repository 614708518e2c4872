"""Whole-market rosters from Parquet partitions: time, peak memory per process, rounds, certified gap.

Prints figures, asserts nothing. Run from the repository root:

    .venv/bin/python bench/bench_partitions.py                       # 1M in process and on 2 Dask workers
    .venv/bin/python bench/bench_partitions.py 1000000 5000000 --where process dask
    .venv/bin/python bench/bench_partitions.py 10000000 --where dask

Each roster is seeded synthetic data (``mixopt.synth``) written once as a folder of Parquet files
of 500,000 creators (one partition each) under ``--data`` (default /tmp/mixopt-bench-partitions).
The scenario is a whole-market brief: a fixed budget, a reach floor, a team cap, tier and
platform spend bands, a pico count floor and two category quotas. Each solve runs in a fresh
process (the coordinator); ``dask`` starts a LocalCluster of 2 worker processes with one thread
each; ``table`` is today's one-table solve of the same folder (``optimize_roster``), for comparison.
Memory is each process's peak resident set (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PER_FILE = 500_000


def _data(folder: Path, n: int) -> Path:
    """A folder of Parquet files holding ``n`` creators (ids unique across files), written once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mixopt.synth import synthetic_roster

    out = folder / f"roster_{n}"
    done = out / "_complete"
    if done.exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    for k, start in enumerate(range(0, n, PER_FILE)):
        size = min(PER_FILE, n - start)
        frame = synthetic_roster(size, seed=k, flag_share=1e-5)  # a few must-include and excluded creators
        frame["id"] = [f"c{start + i:08d}" for i in range(size)]
        frame["overlap_group"] = ""
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out / f"part-{k:05d}.parquet",
                       row_group_size=100_000)
    done.write_text("", encoding="utf-8")
    return out


def _scenario(table: Path) -> Any:
    from mixopt.scenario.load import scenario_from_dict

    return scenario_from_dict({
        "budget": 500_000, "objective": {"maximize": "conversions"}, "targets": {"reach": 2_000_000},
        "rules": {"max_creators": 5_000, "tiers": {"micro": {"max_spend_share": 0.6}, "pico": {"min_creators": 50}},
                  "platforms": {"youtube": {"max_spend_share": 0.3}}},
        "roster": {"file": str(table), "categories": {"beauty": {"min_creators": 100}, "gaming": {"max_creators": 50}}},
    }, file=str(table.parent / "scenario.yaml"))


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def one(table: Path, where: str) -> dict[str, Any]:
    """Solve once here (the coordinator), in process or on a LocalCluster of two workers."""
    from mixopt.roster.partitions import optimize_partitioned

    scenario = _scenario(table)
    workers: list[int] = []
    started = time.perf_counter()
    if where == "dask":
        from distributed import Client, LocalCluster

        from mixopt.analysis.cluster import DaskRunner

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=50, memory_limit=0) as cluster, Client(cluster, set_as_default=False) as client:
            up = time.perf_counter() - started
            started = time.perf_counter()
            plan = optimize_partitioned(scenario, runner=DaskRunner(client, cluster.scheduler_address), reserves=False)
            seconds = time.perf_counter() - started
            workers = sorted(client.run(_peak).values())
    elif where == "table":  # today's one-table solve of the same folder, for comparison
        from mixopt.roster.optimize import optimize_roster

        up = 0.0
        plan = optimize_roster(scenario, reserves=False)
        seconds = time.perf_counter() - started
    else:
        up = 0.0
        plan = optimize_partitioned(scenario, reserves=False)
        seconds = time.perf_counter() - started
    sol = plan.solution
    return {"creators": len(plan.roster), "partitions": getattr(plan.roster, "partitions", 0), "where": where,
            "start_s": round(up, 1), "seconds": round(seconds, 1),
            "read_s": round(sol.seconds.get("read", 0.0), 1), "lp_s": round(sol.seconds.get("lp", 0.0), 1),
            "rounds": sol.rounds, "core": sol.core_size, "chosen": len(plan.selected), "status": sol.status.value,
            "gap": sol.gap, "objective": sol.objective, "coordinator_gb": round(_peak() / 1e9, 2), "workers_gb": [round(w / 1e9, 2) for w in workers],
            "feasible": plan.feasible}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000])
    parser.add_argument("--where", nargs="+", choices=["process", "dask", "table"], default=["process", "dask"])
    parser.add_argument("--data", type=Path, default=Path("/tmp/mixopt-bench-partitions"))
    parser.add_argument("--one", nargs=2, metavar=("TABLE", "WHERE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(Path(args.one[0]), args.one[1])))
        return
    print(f"{'creators':>10} {'parts':>5} {'where':>7} {'start s':>7} {'solve s':>7} {'read s':>6} {'LP s':>5} "
          f"{'rounds':>6} {'core':>5} {'chosen':>6} {'conversions':>11} {'gap':>9} {'coord GB':>8} {'workers GB':>11}  status")
    for n in args.sizes:
        started = time.perf_counter()
        table = _data(args.data, n)
        print(f"# {n:,} creators: data ready in {time.perf_counter() - started:.0f} s ({table})", flush=True)
        for where in args.where:
            done = subprocess.run([sys.executable, __file__, "--one", str(table), where], capture_output=True,
                                  text=True, check=False)
            if done.returncode:
                print(f"{n:>10,} {where:>7} failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            gap = "-" if r["gap"] is None else f"{r['gap']:.2e}"
            print(f"{r['creators']:>10,} {r['partitions']:>5} {where:>7} {r['start_s']:>7} {r['seconds']:>7} "
                  f"{r['read_s']:>6} {r['lp_s']:>5} {r['rounds']:>6} {r['core']:>5} {r['chosen']:>6} {r['objective'] or 0:>11,.1f} {gap:>9} "
                  f"{r['coordinator_gb']:>8} {','.join(map(str, r['workers_gb'])) or '-':>11}  {r['status']}"
                  f"{'' if r['feasible'] else ' (CHECK FAILED)'}", flush=True)


if __name__ == "__main__":
    main()
