"""Whole-market rosters: the roster LP by column generation over partitions of the creator table.

The creator table (a Parquet file or a dataset folder) is split into partitions of whole row
groups. Each partition is read, checked and modelled by a worker that keeps it between rounds
(:mod:`mixopt.roster.partitions_read`); the coordinator never holds every creator. The method:

1. **Column generation.** The coordinator keeps a restricted master LP: the roster model's rows
   (budget, targets, counts, bands, categories...) over the creators found so far, plus one
   artificial column per row side at a large cost so it is always feasible. CLP solves it and
   its duals ``y`` go to every partition, which prices its creators (``d = c - A'y``) and sends
   back its most negative columns, and its share of the Lagrangian bound ``L(y)`` (valid for any
   ``y``). When no partition has a column with ``d < 0`` the master's LP is the roster's LP
   optimum (an artificial left in use is checked by a feasibility phase: if even that cannot
   clear it, no choice of creators, not even fractions, satisfies the rules).
2. **Reduced-cost fixing per partition.** With the final ``y``, each partition sends its
   creators with the smallest ``|d|``; the coordinator keeps the ``k`` smallest overall, ties
   by roster order, plus the LP's fractional creators: the core. Every other creator stays at
   the LP's choice, and changing one costs any plan at least ``min |d|`` of them over ``L(y)``
   (each partition reports its minimum).
3. **The exact core.** Only the core's rows and the LP's chosen creators come back to the
   coordinator; they are solved exactly by :func:`~mixopt.roster.solve.solve_roster` with the
   chosen-outside-the-core creators held in. The bound is the smaller of the core's proven
   bound and ``L(y) + min |d|``: the same certificate as the one-table solve. If the gap is
   above the scenario's, the core grows eightfold, as there.

The same code runs in this process (partitions one after another, each kept as compact arrays)
or on a Dask cluster (:mod:`mixopt.analysis.cluster`), through a :class:`Runner`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import scipy.sparse as sp

from mixopt.errors import Issue, ScenarioError
from mixopt.roster.model import build_roster_model
from mixopt.roster.partitions_read import (
    PartitionSpec,
    Summary,
    load_partition,
    partition_rows,
    price_partition,
    set_rows,
    smallest_flip,
    smallest_reduced_costs,
    spec_files,
    summary_of,
    without_categories,
)
from mixopt.roster.plan import RosterPlan, make_roster_plan
from mixopt.roster.solve import (
    DIRECT_MIP_CREATORS,
    FIRST_CORE,
    FIRST_CORE_LARGE,
    LARGE_ROSTER,
    RosterSolution,
    solve_roster,
)
from mixopt.roster.table import Roster
from mixopt.roster.table_read import PARQUET_SUFFIXES
from mixopt.scenario.schema import Scenario
from mixopt.solvers.clp import lp_relaxation
from mixopt.solvers.types import LinearArrays, SolverOptions, SolveStatus

__all__ = ["Runner", "InProcess", "PartitionedRoster", "plan_partitions", "optimize_partitioned",
           "unsupported_rule", "check_partitionable", "CREATORS_PER_PARTITION"]

#: A single Parquet file is split into partitions of about this many creators (whole row groups).
CREATORS_PER_PARTITION = 1_000_000
_FIRST_KEEP = 1_000  # columns a partition sends in the first round (doubling each round)
_MOST_KEEP = 200_000
_PENALTY = 1e3  # an artificial's cost: this many times the largest goal value per unit of the row
_MAX_ROUNDS = 500
_NO_MARGINALS = "marginal values of the rules are not computed over partitions yet (solve the table as one for them)"


class Runner(Protocol):
    """Where partitions live: this process, or a Dask cluster's workers."""

    where: str

    def load(self, specs: Sequence[PartitionSpec], scenario: Scenario, shown: str) -> list[Any]: ...

    def each(self, function: Callable[..., Any], handles: Sequence[Any], args: Sequence[tuple[Any, ...]]) -> list[Any]:
        """``function(handle, *args)`` for every partition, their results brought back here."""
        ...

    def update(self, function: Callable[..., Any], handles: Sequence[Any],
               args: Sequence[tuple[Any, ...]]) -> list[Any]:
        """``function(handle, *args)`` for every partition, kept where the partition is (new handles)."""
        ...

    def rows(self, specs: Sequence[PartitionSpec], scenario: Scenario, shown: str,
             local: Sequence[np.ndarray]) -> list[pd.DataFrame]: ...


class InProcess:
    """Every partition in this process, one after another (kept as compact arrays, not tables)."""

    where = "in this process"

    def load(self, specs: Sequence[PartitionSpec], scenario: Scenario, shown: str) -> list[Any]:
        return [load_partition(spec, scenario, shown) for spec in specs]

    def each(self, function: Callable[..., Any], handles: Sequence[Any], args: Sequence[tuple[Any, ...]]) -> list[Any]:
        return [function(handle, *a) for handle, a in zip(handles, args)]

    def update(self, function: Callable[..., Any], handles: Sequence[Any],
               args: Sequence[tuple[Any, ...]]) -> list[Any]:
        return self.each(function, handles, args)

    def rows(self, specs: Sequence[PartitionSpec], scenario: Scenario, shown: str,
             local: Sequence[np.ndarray]) -> list[pd.DataFrame]:
        return [partition_rows(spec, scenario, shown, idx) for spec, idx in zip(specs, local)]


@dataclass(frozen=True)
class PartitionedRoster(Roster):
    """The creators a partitioned solve brought back (core and chosen), with the table's size."""

    creators: int = 0
    partitions: int = 0

    def __len__(self) -> int:
        return self.creators


def unsupported_rule(scenario: Scenario) -> Issue | None:
    """The first rule the column-generation master cannot hold yet, as one line."""
    s = scenario
    assert s.roster is not None
    fix = "Remove it, or solve the roster as one table (without roster.partitions or --scheduler)"
    if s.roster.max_per_overlap_group is not None:
        return Issue(s.source_file, "roster.max_per_overlap_group", "is not supported with partitions yet", fix,
                     s.roster.max_per_overlap_group)
    if s.roster.max_posts_per_creator is not None and s.roster.max_posts_per_creator > s.roster.posts_per_creator:
        return Issue(s.source_file, "roster.max_posts_per_creator", "is not supported with partitions yet (posts "
                     "that vary per creator)", fix, s.roster.max_posts_per_creator)
    return None


def check_partitionable(scenario: Scenario) -> Path:
    """The scenario's Parquet table, or one line: a rule the master cannot hold, a table that is not Parquet.

    Raises
    ------
    ScenarioError
        Either of the two, before anything is read.
    """
    s = scenario
    assert s.roster is not None
    unsupported = unsupported_rule(s)
    _refused([unsupported] if unsupported else [])
    path = Path(s.roster_path or s.roster.file)
    if not (path.suffix.lower() in PARQUET_SUFFIXES and path.is_file()) and not (path.is_dir() and spec_files(path)):
        _refused([Issue(s.source_file, "roster.file", "a partitioned roster is read from Parquet (a file or a folder "
                        "of Parquet files)", "Save the creator table as Parquet, e.g. python -m mixopt.synth, or "
                        "solve it as one table", str(path))])
    return path


def _hive(path: Path, base: Path) -> tuple[tuple[str, str], ...]:
    keys = []
    for part in path.relative_to(base).parts[:-1]:
        if "=" in part:
            key, value = part.split("=", 1)
            keys.append((key, value))
    return tuple(keys)


def plan_partitions(path: Path, count: int | None = None) -> list[PartitionSpec]:
    """Split a Parquet table into ``count`` partitions of whole row groups, in reading order, of about
    equal creators (default: one per file of a folder; a single file by :data:`CREATORS_PER_PARTITION`)."""
    files = spec_files(path)
    units: list[tuple[str, int, int, int, tuple[tuple[str, str], ...]]] = []  # file, group, rows, start, hive
    for file in files:
        meta = pq.ParquetFile(file).metadata
        hive = _hive(file, path) if path.is_dir() else ()
        start = 0
        for group in range(meta.num_row_groups):
            rows = meta.row_group(group).num_rows
            units.append((str(file), group, rows, start, hive))
            start += rows
    total = sum(u[2] for u in units)
    if count is None:
        count = len(files) if path.is_dir() else max(1, math.ceil(total / CREATORS_PER_PARTITION))
    count = max(1, min(count, len(units)))
    owner, before = [], 0
    for unit in units:  # a row group belongs to the partition its first creator falls in
        owner.append(min(count - 1, before * count // max(total, 1)))
        before += unit[2]
    specs = []
    for k in sorted(set(owner)):
        mine = [u for u, o in zip(units, owner) if o == k]
        pieces: list[tuple[str, tuple[int, ...], int, tuple[tuple[str, str], ...]]] = []
        for file, group, _rows, start, hive in mine:
            if pieces and pieces[-1][0] == file:
                pieces[-1] = (file, pieces[-1][1] + (group,), pieces[-1][2], hive)
            else:
                pieces.append((file, (group,), start, hive))
        specs.append(PartitionSpec(len(specs), tuple(pieces), sum(u[2] for u in mine)))
    return specs


def _digest(path: Path) -> str:
    """The SHA-256 of the table's files, as the one-table reader computes it."""
    digest = hashlib.sha256()
    for file in spec_files(path):
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode() + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _table_issues(scenario: Scenario, shown: str, summaries: list[Summary]) -> list[Issue]:
    """What the whole table lacks or repeats: a category no creator has, an id in two partitions."""
    assert scenario.roster is not None
    issues: list[Issue] = []
    present = sorted(set().union(*(s.categories for s in summaries)))
    import difflib

    for name in scenario.roster.categories:
        if name not in present:
            close = difflib.get_close_matches(name, present, n=1, cutoff=0.6)
            fix = (f"Did you mean '{close[0]}'?" if close
                   else f"Use a category of the table: {', '.join(present) or '(the table has no category column)'}")
            issues.append(Issue(scenario.source_file, f"roster.categories.{name}",
                                "no creator in the table has this category", fix))
    hashes = np.concatenate([s.id_hashes for s in summaries])
    owner = np.concatenate([np.full(len(s.id_hashes), s.index) for s in summaries])
    order = np.argsort(hashes, kind="stable")
    same = np.nonzero(hashes[order][1:] == hashes[order][:-1])[0]
    across = same[owner[order][same] != owner[order][same + 1]]
    if len(across):
        issues.append(Issue(shown, "id", f"{len(across):,} creator ids appear in more than one partition of the table "
                            f"(first in partitions {int(owner[order][across[0]]) + 1} and "
                            f"{int(owner[order][across[0] + 1]) + 1})",
                            "Keep one row per creator across the table's files"))
    return issues


class _Master:
    """The restricted master LP: the columns found so far and an artificial per row side."""

    def __init__(self, names: list[str], lower: np.ndarray, upper: np.ndarray, penalty: np.ndarray) -> None:
        self.row_names, self.row_lower, self.row_upper = names, lower, upper
        m = len(names)
        sides = [(i, 1.0) for i in range(m) if np.isfinite(lower[i])] + \
                [(i, -1.0) for i in range(m) if np.isfinite(upper[i])]
        self.artificial = sp.csc_matrix(([s for _, s in sides], ([i for i, _ in sides], np.arange(len(sides)))),
                                        shape=(m, len(sides)))
        self.artificial_rows = np.array([i for i, _ in sides], dtype=np.int64)
        self.penalty = penalty
        self.keys: list[np.ndarray] = []  # global creator positions
        self.blocks: list[sp.csc_matrix] = []
        self.costs: list[np.ndarray] = []
        self.lowers: list[np.ndarray] = []
        self.uppers: list[np.ndarray] = []
        self.sent: list[list[np.ndarray]] = []

    def add(self, keys: np.ndarray, columns: sp.csc_matrix, cost: np.ndarray, lower: np.ndarray,
            upper: np.ndarray) -> None:
        if len(keys):
            self.keys.append(keys)
            self.blocks.append(columns)
            self.costs.append(cost)
            self.lowers.append(lower)
            self.uppers.append(upper)

    def columns(self) -> int:
        return sum(len(k) for k in self.keys)

    def solve(self, scale: float, artificial_cost: np.ndarray) -> tuple[str, np.ndarray, np.ndarray, float]:
        m = len(self.row_names)
        real = sp.hstack(self.blocks, format="csc") if self.blocks else sp.csc_matrix((m, 0))
        a = sp.hstack([real, self.artificial], format="csr")
        a.sort_indices()
        count = a.shape[1]
        cost = np.concatenate(self.costs + [np.zeros(0)]) * scale
        arrays = LinearArrays(
            names=[str(i) for i in range(count)],
            col_lower=np.concatenate(self.lowers + [np.zeros(self.artificial.shape[1])]),
            col_upper=np.concatenate(self.uppers + [np.full(self.artificial.shape[1], 1e30)]),
            integer=np.zeros(count, dtype=bool), row_names=self.row_names, row_lower=self.row_lower,
            row_upper=self.row_upper, starts=a.indptr.astype(np.int64), index=a.indices.astype(np.int64),
            value=a.data.astype(float), costs=[np.concatenate([cost, artificial_cost])], stage_labels=["goal"])
        lp = lp_relaxation(arrays, a)
        if lp.status != "optimal" or lp.x is None or lp.duals is None or lp.objective is None:
            return lp.status, np.zeros(count), np.zeros(m), math.nan
        return "optimal", lp.x, lp.duals, lp.objective


def _rows_part(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    return float(np.where(y > 0, y * np.where(np.isinf(lower), 0.0, lower),
                          y * np.where(np.isinf(upper), 0.0, upper)).sum())


@dataclass
class _Generated:
    status: str  # optimal, infeasible, stopped
    x: np.ndarray
    y: np.ndarray
    objective: float  # the master's objective (minimisation form, artificials included)
    bound: float  # L(y) with the real costs (phase 2) or the feasibility bound (phase 1)
    rounds: int
    artificial: float  # total artificial activity


def _generate(runner: Runner, handles: list[Any], master: _Master, offsets: np.ndarray, scale: float,
              artificial_cost: np.ndarray, tolerance: float, deadline: float | None) -> _Generated:
    """Price and re-solve until no partition has a column with d < -tolerance."""
    m = len(master.row_names)
    y = np.zeros(m)
    x = np.zeros(0)
    objective = math.inf
    for rounds in range(1, _MAX_ROUNDS + 1):
        keep = min(_FIRST_KEEP * 2 ** (rounds - 1), _MOST_KEEP)
        args = [(y, np.concatenate(master.sent[p]) if master.sent[p] else np.zeros(0, np.int64), keep, tolerance,
                 scale) for p in range(len(handles))]
        priced = runner.each(price_partition, handles, args)
        bound = _rows_part(y, master.row_lower, master.row_upper) + sum(p.lagrangian for p in priced)
        fresh = sum(len(p.local) for p in priced)
        close = rounds > 1 and objective - bound <= 1e-9 * max(1.0, abs(objective))
        if rounds > 1 and (fresh == 0 or close):
            art = float(x[master.columns():].sum())
            return _Generated("optimal", x, y, objective, bound, rounds - 1, art)
        for p, found in enumerate(priced):
            master.sent[p].append(found.local)
            master.add(offsets[p] + found.local, found.columns, found.cost, found.lower, found.upper)
        status, x, y, objective = master.solve(scale, artificial_cost)
        if status != "optimal":
            return _Generated(status, x, y, objective, -math.inf, rounds, math.inf)
        if deadline is not None and time.monotonic() >= deadline:
            return _Generated("stopped", x, y, objective, bound, rounds, float(x[master.columns():].sum()))
    return _Generated("stopped", x, y, objective, -math.inf, _MAX_ROUNDS, math.inf)


def _lp(runner: Runner, handles: list[Any], summaries: list[Summary], offsets: np.ndarray,
        master_rows: tuple[list[str], np.ndarray, np.ndarray], deadline: float | None
        ) -> tuple[_Generated, _Master, list[str]]:
    """The roster's LP optimum by column generation (phase 2 with penalties; phase 1 if one stays in use)."""
    names, lower, upper = master_rows
    largest = max([s.largest_cost for s in summaries] + [1.0])
    smallest = np.full(len(names), np.inf)
    for s in summaries:
        where = [names.index(r) for r in s.row_names]
        smallest[where] = np.minimum(smallest[where], s.smallest_entry)
    smallest = np.where(np.isfinite(smallest), smallest, 1.0)
    notes: list[str] = []
    per_row = _PENALTY * largest / np.maximum(smallest, 1e-9)
    master = _Master(names, lower, upper, per_row)
    master.sent = [[] for _ in handles]
    tolerance = 1e-9 * largest
    rounds = 0
    for attempt in range(3):
        cost = per_row[master.artificial_rows] * 1e3 ** attempt
        found = _generate(runner, handles, master, offsets, 1.0, cost, tolerance, deadline)
        rounds += found.rounds
        finite = np.abs(np.concatenate([lower[np.isfinite(lower)], upper[np.isfinite(upper)]]))
        if found.status != "optimal" or found.artificial <= 1e-7 * (1.0 + float(finite.max(initial=0.0))):
            return dataclasses.replace(found, rounds=rounds), master, notes
        # a penalty still in use: can any choice of fractions satisfy the rules at all?
        feasible = _generate(runner, handles, master, offsets, 0.0, np.ones(len(master.artificial_rows)), 1e-9,
                             deadline)
        rounds += feasible.rounds
        if feasible.status == "optimal" and feasible.bound > 1e-7:
            return dataclasses.replace(feasible, status="infeasible", rounds=rounds), master, notes
    return dataclasses.replace(found, status="stopped", rounds=rounds), master, notes


def _refused(issues: list[Issue]) -> None:
    if issues:
        raise ScenarioError(issues)


def optimize_partitioned(scenario: Scenario, options: SolverOptions | None = None, *, runner: Runner | None = None,
                         mip_gap: float | None = None, partitions: int | None = None,
                         reserves: bool = True) -> RosterPlan:
    """Plan a roster from the partitions of its Parquet table, with the one-table solve's certified gap.

    ``partitions`` (else ``roster.partitions``, else one per file) sets how the table is split;
    ``runner`` where the partitions are priced (default: this process).

    Raises
    ------
    ScenarioError
        A rule the partitioned master cannot hold yet, a table that is not Parquet, bad rows.
    """
    s = scenario
    assert s.roster is not None, "not a roster scenario"
    options = options or SolverOptions()
    runner = runner or InProcess()
    gap = float(mip_gap if mip_gap is not None else s.roster.mip_gap)
    deadline = time.monotonic() + options.time_limit_s if options.time_limit_s else None
    path = check_partitionable(s)
    shown = str(path)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    count = partitions if partitions is not None else s.roster.partitions
    specs = plan_partitions(path, count)
    handles = runner.load(specs, s, shown)
    summaries: list[Summary] = runner.each(summary_of, handles, [()] * len(handles))
    for summary in summaries:
        _refused(list(summary.issues))
    _refused(_table_issues(s, shown, summaries))
    summaries = [dataclasses.replace(x, id_hashes=np.zeros(0, np.uint64)) for x in summaries]  # checked: let go
    seconds["read"] = time.perf_counter() - started
    names = list(max(summaries, key=lambda x: len(x.row_names)).row_names)
    for summary in summaries:
        names += [r for r in summary.row_names if r not in names]
    bounds = {r: (lo, hi) for summary in summaries for r, lo, hi in
              zip(summary.row_names, summary.row_lower, summary.row_upper)}
    lower = np.array([bounds[r][0] for r in names], dtype=float)
    upper = np.array([bounds[r][1] for r in names], dtype=float)
    handles = runner.update(set_rows, handles, [(names,)] * len(handles))
    sizes = np.array([summary.creators for summary in summaries], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    n = int(sizes.sum())
    step = time.perf_counter()
    lp, master, notes = _lp(runner, handles, summaries, offsets, (names, lower, upper), deadline)
    seconds["lp"] = time.perf_counter() - step
    base = _Base(s, shown, specs, summaries, n, _digest(path), runner.where)
    if lp.status == "infeasible":
        return _finish(base, None, SolveStatus.INFEASIBLE, lp, master, seconds, 0, [
            "even choosing fractions of creators cannot satisfy every rule"], reserves)
    if lp.status != "optimal":
        return _finish(base, None, SolveStatus.NOT_SOLVED, lp, master, seconds, 0,
                       [f"the LP relaxation {'stopped at the time limit' if lp.status == 'stopped' else lp.status}"],
                       reserves)
    return _core(base, runner, handles, lp, master, offsets, sizes, options, gap, deadline, seconds, notes, reserves)


@dataclass(frozen=True)
class _Base:
    scenario: Scenario
    shown: str
    specs: list[PartitionSpec]
    summaries: list[Summary]
    creators: int
    sha256: str
    where: str


def _split(keys: np.ndarray, offsets: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    keys = np.sort(keys)
    return [keys[(keys >= o) & (keys < o + z)] - o for o, z in zip(offsets, sizes)]


def _core(base: _Base, runner: Runner, handles: list[Any], lp: _Generated, master: _Master, offsets: np.ndarray,
          sizes: np.ndarray, options: SolverOptions, gap: float, deadline: float | None, seconds: dict[str, float],
          notes: list[str], reserves: bool) -> RosterPlan:
    """Fix creators by reduced cost per partition, bring the core back, solve it exactly; grow it if need be."""
    s = base.scenario
    n = base.creators
    real = master.columns()
    keys = np.concatenate(master.keys) if master.keys else np.zeros(0, np.int64)
    x = lp.x[:real]
    fractional = keys[np.abs(x - np.round(x)) > 1e-7]
    lp_chosen = keys[np.round(x) >= 1]
    chosen_by_part = _split(lp_chosen, offsets, sizes)
    size = n if n <= DIRECT_MIP_CREATORS else FIRST_CORE if n < LARGE_ROSTER else FIRST_CORE_LARGE
    sign = 1.0 if s.objective.minimize == "spend" else -1.0
    best: tuple[float, Any, PartitionedRoster] | None = None
    best_bound = lp.bound
    rounds = 0
    while True:
        rounds += 1
        step = time.perf_counter()
        if size >= n:
            core = np.arange(n, dtype=np.int64)
        else:
            found = runner.each(smallest_reduced_costs, handles, [(lp.y, size)] * len(handles))
            magnitude = np.concatenate([f.magnitude for f in found])
            where = np.concatenate([offsets[p] + f.local for p, f in enumerate(found)])
            pick = np.lexsort((where, magnitude))[:size]
            core = np.union1d(where[pick], fractional)
        whole = len(core) >= n
        core_by_part = _split(core, offsets, sizes)
        flip = math.inf if whole else min(runner.each(smallest_flip, handles, [
            (lp.y, chosen_by_part[p], core_by_part[p]) for p in range(len(handles))]))
        back = np.union1d(core, lp_chosen)
        tables = runner.rows(base.specs, s, base.shown, _split(back, offsets, sizes))
        kept = [t for t in tables if len(t)] or tables[:1]  # partitions with no creator to send add nothing
        table = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0].reset_index(drop=True)
        held = np.isin(back, np.setdiff1d(lp_chosen, core))
        seconds[f"gather_{rounds}"] = time.perf_counter() - step
        roster = _roster(base, table)
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.01)
        solution = _solve_core(s, roster, held, dataclasses.replace(options, time_limit_s=remaining), gap)
        seconds[f"core_{rounds}"] = time.perf_counter() - step
        if solution is not None and solution.chosen is not None and solution.objective is not None:
            value = sign * solution.objective
            if best is None or value < best[0] - 1e-12:
                best = (value, solution, roster)
            if solution.bound is not None:
                best_bound = max(best_bound, min(sign * solution.bound, lp.bound + flip))
        elif whole:
            status = SolveStatus.INFEASIBLE if solution is not None and solution.status is SolveStatus.INFEASIBLE \
                else SolveStatus.NOT_SOLVED
            return _finish(base, None, status, lp, master, seconds, len(core), notes + [
                "no choice of creators satisfies every rule (the LP relaxation could, with fractions)"], reserves)
        out_of_time = deadline is not None and time.monotonic() >= deadline
        if best is not None:
            bound = min(best_bound, best[0])
            certified = max(best[0] - bound, 0.0) / max(abs(best[0]), 1e-9)
            if certified <= gap + 1e-12 or whole or out_of_time:
                status = SolveStatus.OPTIMAL if certified <= gap + 1e-12 else SolveStatus.FEASIBLE
                extra = [] if status is SolveStatus.OPTIMAL else [
                    "stopped at the time limit; the best plan found is kept with its certified gap"]
                sol = dataclasses.replace(best[1], status=status, bound=sign * bound, gap=certified)
                return _finish(base, (sol, best[2]), status, lp, master, seconds, len(core), notes + extra, reserves)
        elif out_of_time:
            return _finish(base, None, SolveStatus.NOT_SOLVED, lp, master, seconds, len(core),
                           notes + ["stopped at the time limit before any plan was found"], reserves)
        size *= 8


def _roster(base: _Base, table: pd.DataFrame) -> PartitionedRoster:
    skipped = sum(x.skipped for x in base.summaries)
    filled = sum(x.filled for x in base.summaries)
    notes = []
    if skipped:
        notes.append(f"skipped {skipped:,} bad rows of {base.creators + skipped:,} (set 'skip_bad_rows: false' to "
                     "list them)")
    if filled:
        notes.append(f"{filled:,} of {base.creators:,} creators had metrics filled from tier defaults (column "
                     "filled_from_defaults)")
    return PartitionedRoster(table=table, source_file=base.shown, skipped_rows=skipped, notes=tuple(notes),
                             sha256=base.sha256, creators=base.creators, partitions=len(base.specs))


def _solve_core(scenario: Scenario, roster: Roster, held: np.ndarray, options: SolverOptions, gap: float
                ) -> Any:
    """The core solved exactly, with the LP's chosen creators outside it held in (None: a category rule
    whose category no creator brought back has, so the core cannot satisfy it)."""
    assert scenario.roster is not None
    present = set(roster.table["category"]) - {""}
    narrowed = without_categories(scenario, present)
    assert narrowed.roster is not None
    dropped = set(scenario.roster.categories) - set(narrowed.roster.categories)
    if any((scenario.roster.categories[c].min_creators or 0) > 0 for c in dropped):
        return None
    model = build_roster_model(narrowed, roster)
    lower = np.where(held, 1.0, model.arrays.col_lower)
    model = dataclasses.replace(model, scenario=scenario, arrays=dataclasses.replace(model.arrays, col_lower=lower))
    return solve_roster(model, options, mip_gap=gap)


def _finish(base: _Base, found: tuple[Any, PartitionedRoster] | None, status: SolveStatus, lp: _Generated,
            master: _Master, seconds: dict[str, float], core: int, notes: list[str], reserves: bool) -> RosterPlan:
    s = base.scenario
    sign = 1.0 if s.objective.minimize == "spend" else -1.0
    said = (f"solved over {len(base.specs)} partitions {base.where}: the LP by column generation in {lp.rounds} "
            f"rounds ({master.columns():,} of {base.creators:,} creators in the master), {core:,} creators in the "
            "exact core, the rest fixed by reduced cost")
    lp_objective = None if status is SolveStatus.INFEASIBLE or not math.isfinite(lp.objective) \
        else sign * lp.objective
    if found is None:
        solution = RosterSolution(status=status, chosen=None, posts=None, objective=None, bound=None, gap=None,
                                  lp_objective=lp_objective, method="column generation over partitions",
                                  core_size=core, rounds=lp.rounds, solver="clp+highs", solver_version="",
                                  seconds=dict(seconds), notes=tuple(notes + [said]))
        return make_roster_plan(s, _roster(base, _empty_table()), solution, reserves=reserves)
    solution, roster = found
    reserve_note = (f"reserves are drawn from the {len(roster.table):,} creators that came back from the partitions "
                    "(the core, nearest the margin, and the LP's choice)",) if reserves else ()
    total = {**seconds, "solve": sum(v for k, v in seconds.items() if k != "read")}
    solution = dataclasses.replace(solution, lp_objective=lp_objective, method="column generation over partitions "
                                   "+ exact core", core_size=core, rounds=lp.rounds, seconds=total,
                                   notes=tuple(notes) + solution.notes + (_NO_MARGINALS, said) + reserve_note)
    return make_roster_plan(s, roster, solution, reserves=reserves)


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame({"id": pd.Series([], dtype=object)})
