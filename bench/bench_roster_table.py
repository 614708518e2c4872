"""Creator tables at scale: time and peak memory to read, validate and solve 1M and 5M creators (CSV and
Parquet), where a 1M solve spends its time, and the solve / CLP LP ratio (prints figures, asserts nothing).

Run from the repository root (the 5M sizes take a few minutes and about 4 GB; run them at most twice
on a shared machine):

    .venv/bin/python bench/bench_roster_table.py                      # 1M and 5M, CSV and Parquet
    .venv/bin/python bench/bench_roster_table.py 1000000              # 1M only
    .venv/bin/python bench/bench_roster_table.py --keep /tmp/rosters  # keep (and reuse) the tables

For each size, one seeded synthetic roster (``python -m mixopt.synth``, seed 20261122) written as CSV
and as a folder of 8 Parquet files, and a "whole market" scenario (pick one creator in 500 for a budget
of 0.5 per creator in the table: 2,000 creators and 500,000 USD at 1M; a reach floor, tier spend bands
and a pico count floor; the table's 0.1% must-include creators are part of the plan). Each line is a fresh process
(wall time and its peak resident memory from getrusage):

- read        the table into a validated roster (``load_roster``)
- validate    ``mixopt validate``
- solve       ``mixopt solve --no-explain --out DIR`` (the whole command: table in, files out; for the
              first size's CSV the fastest of ``--repeat`` runs, 3 by default)

and, for the first size's CSV, one process timing each stage (run ``--repeat`` times, each figure the fastest): read, model build, solve (of which the
LP relaxation, sifted), plan (rule check and reserves), outputs (each file's atomic write listed;
formatting the text is in the outputs total), the same LP solved again on its own by CLP's dual
simplex on every column (the reference the issue names) and sifted, and the ratios the issue
asks for: the solve command / the CLP LP alone (wall time, and CPU seconds, which other work on a
shared machine distorts less), the solve command / the LP relaxation built and solved (the model
build from the read table plus the CLP solve), and the same without writing files. The load average is printed: other work on the machine slows every figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

SEED = 20261122
#: Runs one command and prints its peak resident memory (KB): its own process tree, not this one's.
_PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
         "sys.stderr.write(r.stderr[-2000:] if r.returncode else ''); print(r.stdout.strip()[-2000:]); "
         "u = resource.getrusage(resource.RUSAGE_CHILDREN); print(u.ru_utime + u.ru_stime); print(u.ru_maxrss); "
         "sys.exit(r.returncode)")

_READ = """
import sys, time
from mixopt.scenario.load import load_scenario
from mixopt.roster.table import load_roster
started = time.perf_counter()
roster = load_roster(load_scenario(sys.argv[1]))
print(f"{time.perf_counter() - started:.3f} {len(roster)}")
"""

_STAGES = """
import sys, time
from pathlib import Path
import mixopt.outputs.roster_files as files
from mixopt.roster.model import build_roster_model
from mixopt.roster.plan import make_roster_plan
from mixopt.roster.solve import solve_roster
from mixopt.roster.table import load_roster
from mixopt.scenario.load import load_scenario
from mixopt.solvers.clp import lp_relaxation

writes = {}
def timed(write):
    def wrapper(path, *args, **kwargs):
        started = time.perf_counter()
        write(path, *args, **kwargs)
        writes[Path(path).name] = time.perf_counter() - started
    return wrapper
files.write_text = timed(files.write_text)
files.write_atomic = timed(files.write_atomic)
scenario = load_scenario(sys.argv[1])
t = {}
def clock(name, work):
    started = time.perf_counter()
    result = work()
    t[name] = time.perf_counter() - started
    return result
roster = clock("read", lambda: load_roster(scenario))
model = clock("build", lambda: build_roster_model(scenario, roster))
solution = clock("solve", lambda: solve_roster(model))
t["  of which LP (sifted)"] = solution.seconds.get("lp", float("nan"))
plan = clock("plan", lambda: make_roster_plan(scenario, roster, solution))
clock("outputs", lambda: files.write_roster_outputs(plan, Path(sys.argv[2])))
for name, seconds in writes.items():
    t[f"  {name} (writing)"] = seconds
t["CLP LP alone"] = min(lp_relaxation(model.arrays, sifting=False).seconds for _ in range(2))
cpu = time.process_time()
lp_relaxation(model.arrays, sifting=False)
t["CLP LP alone (CPU)"] = time.process_time() - cpu
t["sifted LP alone"] = min(lp_relaxation(model.arrays).seconds for _ in range(2))
for key, seconds in t.items():
    print(f"{key}={seconds:.3f}")
"""


def _load() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _scenario(folder: Path, n: int, table: str, label: str) -> Path:
    path = folder / f"market_{n}_{label}.yaml"
    path.write_text(f"""name: whole market {n} ({label})
budget: {n // 2}
objective: {{maximize: conversions}}
targets: {{reach: {5 * n}}}
rules:
  max_creators: {n // 500}
  tiers:
    micro: {{min_spend_share: 0.2, max_spend_share: 0.6}}
    pico: {{max_spend_share: 0.25, min_creators: 50}}
roster:
  file: {table}
  mip_gap: 0.001
""", encoding="utf-8")
    return path


def _tables(folder: Path, n: int) -> tuple[str, str]:
    csv, parquet = f"roster_{n}.csv", f"roster_{n}_parquet"
    for name, target in ((csv, str(folder / csv)), (parquet, str(folder / parquet) + os.sep)):
        if not (folder / name).exists():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mixopt.synth", str(n), target, "--seed", str(SEED)], check=True)
            print(f"  wrote {name} in {time.perf_counter() - started:.1f} s")
    return csv, parquet


_CPU: dict[str, float] = {}  # CPU seconds (user + system) of the last command run by _peak


def _peak(args: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak memory in MB, exit code and standard output of a command in a fresh process
    (its CPU seconds in _CPU["last"])."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK, *args], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    peak = float(lines[-1]) / 1024 if lines else float("nan")
    _CPU["last"] = float(lines[-2]) if len(lines) >= 2 else float("nan")
    lines = lines[:-1]
    if done.returncode:
        print(f"    (exit {done.returncode}: {done.stderr.strip()[-300:]})")
    return wall, peak, done.returncode, "\n".join(lines[:-1])


def _row(label: str, wall: float, peak: float, extra: str = "") -> None:
    print(f"  {label:<28} {wall:8.2f} s  peak {peak:7,.0f} MB{extra}")


def run(n: int, folder: Path, stages: bool, repeats: int) -> None:
    print(f"\n{n:,} creators (load average {_load()})")
    csv, parquet = _tables(folder, n)
    sizes = {csv: (folder / csv).stat().st_size,
             parquet: sum(p.stat().st_size for p in (folder / parquet).iterdir())}
    for table, label in ((csv, "CSV"), (parquet, "Parquet folder")):
        scenario = _scenario(folder, n, table, "csv" if table == csv else "parquet")
        print(f" {label} ({sizes[table] / 1e6:,.0f} MB on disk)")
        wall, peak, _, out = _peak([sys.executable, "-c", _READ, str(scenario)])
        read = out.split()[0] if out else "?"
        _row("read (load_roster)", float(read) if read != "?" else wall, peak,
             f"  (the process with imports: {wall:.2f} s)")
        wall, peak, _, _ = _peak([sys.executable, "-m", "mixopt", "validate", str(scenario)])
        _row("mixopt validate", wall, peak)
        runs = []
        for _ in range(repeats if stages and table == csv else 1):
            runs.append(_peak([sys.executable, "-m", "mixopt", "solve", "--no-explain", str(scenario), "--out",
                               str(folder / f"out_{n}_{label.split()[0].lower()}")])[:3] + (_CPU["last"],))
        wall, cpu = min(r[0] for r in runs), min(r[3] for r in runs)
        peak, code = max(r[1] for r in runs), max(r[2] for r in runs)
        times = f" (fastest of {len(runs)})" if len(runs) > 1 else ""
        _row("mixopt solve --no-explain", wall, peak, f"  exit {code}, {cpu:.2f} s of CPU{times}")
        if stages and table == csv:
            _stages(scenario, folder / f"stages_{n}", wall, cpu, repeats)


def _stages(scenario: Path, out: Path, command: float, command_cpu: float, repeats: int) -> None:
    t: dict[str, float] = {}
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", _STAGES, str(scenario), str(out)], capture_output=True,
                              text=True, check=False)
        if done.returncode:
            print(f"    stages failed: {done.stderr.strip()[-500:]}")
            return
        for key, value in (line.split("=") for line in done.stdout.strip().splitlines()):
            t[key] = min(t.get(key, float("inf")), float(value))
    print(f"  where a solve spends its time (one process; each figure the fastest of {repeats}):")
    for key, seconds in t.items():
        print(f"    {key:<26} {seconds:8.3f} s")
    lp = t["CLP LP alone"]
    inner = t["read"] + t["build"] + t["solve"] + t["plan"]
    print(f"    {'solve command / CLP LP':<26} {command / lp:8.2f} x")
    print(f"    {'the same in CPU seconds':<26} {command_cpu / t['CLP LP alone (CPU)']:8.2f} x   (less sensitive to "
          "other work on the machine)")
    print(f"    {'solve command / (build+LP)':<26} {command / (t['build'] + lp):8.2f} x   (the LP relaxation built from the "
          "read table and solved by CLP)")
    print(f"    {'read+build+solve+plan / LP':<26} {inner / lp:8.2f} x   (no files written)")
    print(f"    {'read+build / LP':<26} {(t['read'] + t['build']) / lp:8.2f} x   (the table's share)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000, 5_000_000])
    parser.add_argument("--keep", type=Path, help="folder to write the tables to and reuse them from")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the first size's CSV solve and stages; "
                        "the fastest is shown (other work on a shared machine only ever slows a run)")
    args = parser.parse_args()
    print(f"mixopt creator-table bench: python {platform.python_version()}, pyarrow {metadata.version('pyarrow')}, "
          f"pandas {metadata.version('pandas')}, cylp {metadata.version('cylp')}, {os.cpu_count()} cores, "
          f"{platform.machine()}")
    with tempfile.TemporaryDirectory(prefix="mixopt-tables-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for index, n in enumerate(args.sizes):
            run(n, folder, stages=index == 0, repeats=max(args.repeat, 1))
    print(f"\nload average at the end: {_load()}")


if __name__ == "__main__":
    main()
