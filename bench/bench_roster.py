"""Where the time goes in roster mode, at 10k / 100k / 1M creators (prints figures, asserts nothing).

Run from the repository root (the 1M run needs ~1 minute and ~3 GB; PuLP + CBC at 1M ~2 minutes):

    .venv/bin/python bench/bench_roster.py                 # 10k and 100k
    .venv/bin/python bench/bench_roster.py 10000 100000 1000000
    .venv/bin/python bench/bench_roster.py 100000 --no-pulp

For each size, on one seeded synthetic roster (``mixopt.synth``) with the benchmark's rules
(budget, a reach floor, a team cap, tier spend bands, a pico count floor: one binary per
creator), in one process:

- read        CSV -> validated roster with per-creator numbers (``load_roster``)
- build       the array model (``build_roster_model``)
- solve       CLP LP relaxation + reduced costs + exact core, with a certified gap
- verify      every rule re-checked on the chosen creators (``make_roster_plan``)
- write       plan.csv, plan.json, plan.xlsx, reserves.csv
- CLP LP alone   the LP relaxation of the same arrays, solved again on its own
- PuLP + CBC     the plain model in PuLP (fast idioms) solved by the CBC binary, gap 0.1%
- command        the whole ``mixopt solve`` in a fresh process, CSV in to files out, with its
                 peak memory (children included)

and the ratios the issue asks for: (build + solve + verify) / CLP LP, and PuLP + CBC / mixopt.
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from mixopt.outputs.roster_files import write_roster_outputs
from mixopt.roster.model import build_roster_model
from mixopt.roster.plan import make_roster_plan
from mixopt.roster.solve import solve_roster
from mixopt.roster.table import load_roster
from mixopt.scenario.load import load_scenario
from mixopt.solvers.clp import lp_relaxation
from mixopt.solvers.engine import cbc_path
from mixopt.synth import synthetic_roster

ROOT = Path(__file__).resolve().parent.parent


def scenario_text(n: int, table: str) -> str:
    return f"""name: bench roster {n}
budget: {6.0 * n}
objective: {{maximize: conversions}}
targets: {{reach: {150.0 * n}}}
rules:
  max_creators: {n // 12}
  tiers:
    micro: {{min_spend_share: 0.2, max_spend_share: 0.6}}
    pico: {{max_spend_share: 0.25, min_creators: {max(10, n // 200)}}}
roster:
  file: {table}
  mip_gap: 0.001
"""


def pulp_cbc(model, gap: float) -> tuple[float, float | None]:  # type: ignore[no-untyped-def]
    """The plain PuLP model (fast idioms, 4.0-safe API) solved by the CBC binary: seconds, objective."""
    import pulp

    started = time.perf_counter()
    a = model.arrays
    n = a.num_col
    prob = pulp.LpProblem("roster", pulp.LpMinimize)
    x = [prob.add_variable(f"x{i:07d}", 0, 1, pulp.LpBinary) for i in range(n)]
    for i in np.nonzero((a.col_lower > 0) | (a.col_upper < 1))[0]:  # must-include / exclude (PuLP's binaries
        prob.addConstraint(  # reset their bounds to 0..1, so these are rows)
            pulp.LpAffineExpression([(x[i], 1.0)]) == float(a.col_lower[i]), name=f"fixed_{i:07d}")
    cost = a.costs[0]
    prob.setObjective(pulp.LpAffineExpression([(x[i], float(cost[i])) for i in np.nonzero(cost)[0]]))
    for r, name in enumerate(a.row_names):
        lo, hi = a.starts[r], a.starts[r + 1]
        expr = pulp.LpAffineExpression([(x[j], float(v)) for j, v in zip(a.index[lo:hi], a.value[lo:hi])])
        if np.isfinite(a.row_upper[r]):
            prob.addConstraint(expr <= float(a.row_upper[r]), name=f"{name}_upper")
        if np.isfinite(a.row_lower[r]):
            prob.addConstraint(expr >= float(a.row_lower[r]), name=f"{name}_lower")
    prob.solve(pulp.COIN_CMD(path=cbc_path(), msg=False, gapRel=gap, timeLimit=600))
    seconds = time.perf_counter() - started
    value = pulp.value(prob.objective)
    return seconds, None if value is None else model.sign * float(value)


def run(n: int, folder: Path, with_pulp: bool) -> None:
    table = folder / f"roster_{n}.csv"
    synthetic_roster(n, seed=20261122).to_csv(table, index=False)
    path = folder / f"roster_{n}.yaml"
    path.write_text(scenario_text(n, table.name), encoding="utf-8")
    scenario = load_scenario(path)
    t = {}
    start = time.perf_counter()
    roster = load_roster(scenario)
    t["read"] = time.perf_counter() - start
    start = time.perf_counter()
    model = build_roster_model(scenario, roster)
    t["build"] = time.perf_counter() - start
    start = time.perf_counter()
    solution = solve_roster(model)
    t["solve"] = time.perf_counter() - start
    start = time.perf_counter()
    plan = make_roster_plan(scenario, roster, solution)
    t["verify"] = time.perf_counter() - start
    start = time.perf_counter()
    write_roster_outputs(plan, folder / f"out_{n}")
    t["write"] = time.perf_counter() - start
    lp = lp_relaxation(model.arrays)
    core = t["build"] + t["solve"] + t["verify"]
    print(f"\n{n:,} creators: status {solution.status.value}, certified gap {100 * (solution.gap or 0):.4f}%, "
          f"{int(plan.totals.get('creators', 0)):,} chosen, core {solution.core_size:,} columns in "
          f"{solution.rounds} round(s), all rules hold: {plan.feasible}")
    for key in ("read", "build", "solve", "verify", "write"):
        print(f"  {key:<28} {t[key]:8.3f} s")
    print(f"  {'  of which CLP LP':<28} {solution.seconds['lp']:8.3f} s")
    print(f"  {'CLP LP alone (same arrays)':<28} {lp.seconds:8.3f} s")
    print(f"  {'build+solve+verify / CLP LP':<28} {core / lp.seconds:8.2f} x")
    if with_pulp:
        seconds, objective = pulp_cbc(model, 1e-3)
        mine = solution.objective or float("nan")
        shown = "-" if objective is None else f"{objective:,.2f}"
        print(f"  {'PuLP + CBC (gap 0.1%)':<28} {seconds:8.3f} s  objective {shown} vs mixopt {mine:,.2f}; "
              f"{seconds / core:.1f}x mixopt's build+solve+verify")
    # A wrapper process runs the command, so its children's peak memory is this command's alone
    # (this process's own children include the PuLP + CBC reference run).
    wrapper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "mixopt", "solve", str(path),
                           "--out", str(folder / f"cli_{n}")], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    peak_mb = float(done.stdout.strip().splitlines()[-1]) / 1024
    print(f"  {'mixopt solve command':<28} {wall:8.3f} s  exit {done.returncode}, peak memory {peak_mb:,.0f} MB "
          "(its processes, largest)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--no-pulp", action="store_true", help="skip the plain PuLP + CBC reference")
    args = parser.parse_args()
    print(f"mixopt roster bench: python {platform.python_version()}, cylp {metadata.version('cylp')}, "
          f"highspy {metadata.version('highspy')}, cbcbox {metadata.version('cbcbox')}, {platform.machine()}")
    with tempfile.TemporaryDirectory(prefix="mixopt-bench-") as tmp:
        for n in args.sizes:
            run(n, Path(tmp), not args.no_pulp)


if __name__ == "__main__":
    main()
