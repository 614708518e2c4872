"""The worker's side of a partitioned roster solve: read one partition, price it, hand back rows.

A partition is a run of Parquet row groups (one file of a dataset folder, or some row groups of
one file). The worker reads it from the path itself, checks it like any creator table
(:func:`~mixopt.roster.table.build_roster`), builds the roster model's rows over its creators
(:func:`~mixopt.roster.model.build_roster_model`) and keeps only what pricing needs: the
columns as a sparse matrix, their costs and bounds (about 150 bytes a creator instead of the
table's kilobyte). Everything a call returns is small: a summary, the best columns for the
current duals, the smallest reduced costs, or the rows of the creators asked for.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from mixopt.errors import Issue, ScenarioError
from mixopt.roster.model import build_roster_model
from mixopt.roster.table import Roster, build_roster
from mixopt.roster.table_read import TableLayout, _arrow_column
from mixopt.scenario.schema import Scenario

__all__ = ["PartitionSpec", "Part", "Summary", "Priced", "Smallest", "load_partition", "summary_of",
           "price_partition", "smallest_reduced_costs", "smallest_flip", "partition_rows", "without_categories", "set_rows", "spec_files"]

_ROW = re.compile(r"^row (\d+)")


@dataclass(frozen=True)
class PartitionSpec:
    """Where a partition lies: (file, row groups, the file's rows before them, the hive columns) pieces."""

    index: int
    pieces: tuple[tuple[str, tuple[int, ...], int, tuple[tuple[str, str], ...]], ...]
    creators: int  # rows in the files (before bad rows are skipped)


@dataclass
class Part:
    """What a worker keeps of its partition between rounds (in minimisation form)."""

    spec: PartitionSpec
    issues: list[Issue] = field(default_factory=list)
    matrix: sp.csc_matrix | None = None  # rows of the partition's model x its creators
    row_names: list[str] = field(default_factory=list)
    row_lower: np.ndarray | None = None
    row_upper: np.ndarray | None = None
    cost: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    categories: tuple[str, ...] = ()
    skipped: int = 0
    filled: int = 0
    id_hashes: np.ndarray | None = None
    row_map: np.ndarray | None = None  # the master row of each of the partition's rows


@dataclass(frozen=True)
class Summary:
    """What the coordinator learns of a partition when it is loaded."""

    index: int
    creators: int
    issues: tuple[Issue, ...]
    row_names: tuple[str, ...]
    row_lower: np.ndarray
    row_upper: np.ndarray
    categories: tuple[str, ...]
    skipped: int
    filled: int
    id_hashes: np.ndarray
    largest_cost: float
    smallest_entry: np.ndarray  # per row, the smallest nonzero |coefficient| (inf for an empty row)


@dataclass(frozen=True)
class Priced:
    """The partition's answer to one set of duals: its share of L(y) and its best new columns."""

    lagrangian: float  # sum over its creators of min(d lb, d ub)
    negative: int  # creators with d < -tolerance that are not in the master yet
    local: np.ndarray  # the columns sent (most negative first), partition positions
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    columns: sp.csc_matrix  # master rows x sent columns


@dataclass(frozen=True)
class Smallest:
    """The partition's ``k`` smallest |d| (ties by position) with their columns."""

    local: np.ndarray
    magnitude: np.ndarray
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    columns: sp.csc_matrix


def without_categories(scenario: Scenario, present: set[str]) -> Scenario:
    """The scenario with only the category rules whose category some creator at hand has."""
    assert scenario.roster is not None
    kept = {k: v for k, v in scenario.roster.categories.items() if k in present}
    if len(kept) == len(scenario.roster.categories):
        return scenario
    return scenario.model_copy(update={"roster": scenario.roster.model_copy(update={"categories": kept})})


def _frame(spec: PartitionSpec) -> tuple[pd.DataFrame, TableLayout, list[int]]:
    tables, parts, starts = [], [], []
    for file, groups, start, hive in spec.pieces:
        table = pq.ParquetFile(file).read_row_groups(list(groups))
        for key, value in hive:
            if key not in table.column_names:
                table = table.append_column(key, pa.array([value] * table.num_rows, type=pa.string()))
        tables.append(table)
        parts.append((file, table.num_rows))
        starts.append(start)
    table = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
    names = list(table.column_names)
    keys = [n.strip().lower() for n in names]
    table = pa.table({f"c{i}": _arrow_column(table.column(i), keys[i]) for i in range(len(names))})
    frame = table.to_pandas(self_destruct=True)
    frame.columns = keys
    return frame, TableLayout("parquet", parts=tuple(parts)), starts


def _shifted(issue: Issue, layout: TableLayout, starts: list[int]) -> Issue:
    """A bad-row line counted from the file's first row (the partition may start inside the file)."""
    found = _ROW.match(issue.path)
    files = [f for f, _ in layout.parts]
    if found is None or issue.file not in files:
        return issue
    row = int(found.group(1)) + starts[files.index(issue.file)]
    return dataclasses.replace(issue, path=f"row {row}" + issue.path[found.end():])


def _roster(spec: PartitionSpec, scenario: Scenario, shown: str) -> Roster:
    assert scenario.roster is not None
    frame, layout, starts = _frame(spec)
    try:
        return build_roster(frame, scenario, shown, skip_bad_rows=scenario.roster.skip_bad_rows, layout=layout)
    except ScenarioError as err:
        raise ScenarioError([_shifted(i, layout, starts) for i in err.issues]) from None


def load_partition(spec: PartitionSpec, scenario: Scenario, shown: str) -> Part:
    """Read, check and model one partition; a planner's mistake comes back as issues, not an exception."""
    part = Part(spec=spec)
    try:
        roster = _roster(spec, scenario, shown)
        table = roster.table
        present = set(table["category"]) - {""}
        model = build_roster_model(without_categories(scenario, present), roster)
    except ScenarioError as err:
        part.issues = list(err.issues)
        return part
    arrays = model.arrays
    matrix = sp.csr_matrix((arrays.value, arrays.index, arrays.starts), shape=(len(arrays.row_names), arrays.num_col))
    part.matrix = matrix.tocsc()
    part.row_names = list(arrays.row_names)
    part.row_lower, part.row_upper = arrays.row_lower, arrays.row_upper
    part.cost = np.asarray(arrays.costs[0], dtype=float)
    part.lower, part.upper = arrays.col_lower.astype(float), arrays.col_upper.astype(float)
    part.categories = tuple(sorted(present))
    part.skipped = roster.skipped_rows
    part.filled = int((table["defaults_mask"].to_numpy() > 0).sum())
    part.id_hashes = pd.util.hash_array(table["id"].to_numpy(dtype=object)).astype(np.uint64)
    return part


def summary_of(part: Part) -> Summary:
    """The partition's size, rows and checks, for the coordinator."""
    if part.issues or part.matrix is None:
        empty = np.zeros(0)
        return Summary(part.spec.index, 0, tuple(part.issues), (), empty, empty, (), 0, 0,
                       np.zeros(0, np.uint64), 0.0, empty)
    a = abs(part.matrix).tocsr()
    smallest = np.full(a.shape[0], np.inf)
    for r in range(a.shape[0]):
        values = a.data[a.indptr[r]:a.indptr[r + 1]]
        values = values[values > 0]
        if len(values):
            smallest[r] = float(values.min())
    assert part.cost is not None and part.row_lower is not None and part.row_upper is not None
    assert part.id_hashes is not None
    return Summary(part.spec.index, part.matrix.shape[1], (), tuple(part.row_names), part.row_lower, part.row_upper,
                   part.categories, part.skipped, part.filled, part.id_hashes,
                   float(np.abs(part.cost).max()) if len(part.cost) else 0.0, smallest)


def set_rows(part: Part, master_rows: list[str]) -> Part:
    """Map the partition's rows onto the master's (every partition has a subset of them)."""
    position = {name: i for i, name in enumerate(master_rows)}
    row_map = np.array([position[name] for name in part.row_names], dtype=np.int64)
    return dataclasses.replace(part, row_map=row_map, id_hashes=None)  # ids were checked by the coordinator


def _reduced(part: Part, y: np.ndarray, scale: float) -> np.ndarray:
    assert part.matrix is not None and part.cost is not None and part.row_map is not None
    return scale * part.cost - part.matrix.T @ y[part.row_map]


def _columns(part: Part, local: np.ndarray, rows: int) -> sp.csc_matrix:
    assert part.matrix is not None and part.row_map is not None
    sub = part.matrix[:, local].tocoo()
    return sp.csc_matrix((sub.data, (part.row_map[sub.row], sub.col)), shape=(rows, len(local)))


def price_partition(part: Part, y: np.ndarray, sent: np.ndarray, keep: int, tolerance: float,
                    scale: float = 1.0) -> Priced:
    """Reduced costs ``d = scale c - A'y`` of the partition's creators against the master's duals ``y``.

    Returns its part of the Lagrangian bound and up to ``keep`` columns with ``d < -tolerance``
    not in the master yet (``sent``: positions already there), the most negative first, plus every
    creator that must be chosen (a lower bound of 1) and is not in the master yet.
    """
    assert part.lower is not None and part.upper is not None and part.cost is not None
    d = _reduced(part, y, scale)
    lagrangian = float(np.where(d > 0, d * part.lower, d * part.upper).sum())
    fresh = np.ones(len(d), dtype=bool)
    fresh[sent] = False
    wanted = fresh & (d < -tolerance) & (part.upper > part.lower)
    forced = np.nonzero(fresh & (part.lower > 0))[0]
    candidates = np.nonzero(wanted)[0]
    if len(candidates) > keep:
        top = np.argpartition(d[candidates], keep - 1)[:keep]
        candidates = candidates[top]
    candidates = candidates[np.lexsort((candidates, d[candidates]))]
    local = np.concatenate([forced, np.setdiff1d(candidates, forced, assume_unique=True)]).astype(np.int64)
    return Priced(lagrangian, int(wanted.sum()), local, part.cost[local], part.lower[local], part.upper[local],
                  _columns(part, local, len(y)))


def smallest_reduced_costs(part: Part, y: np.ndarray, k: int) -> Smallest:
    """The ``k`` creators of the partition with the smallest |d| (ties by position), excluded ones left out."""
    assert part.lower is not None and part.upper is not None and part.cost is not None
    magnitude = np.abs(_reduced(part, y, 1.0))
    magnitude[part.upper <= part.lower] = np.inf  # fixed by the table itself (exclude, must_include)
    k = min(k, len(magnitude))
    pick = np.argpartition(magnitude, k - 1)[:k] if 0 < k < len(magnitude) else np.arange(k)
    pick = pick[np.lexsort((pick, magnitude[pick]))].astype(np.int64)
    return Smallest(pick, magnitude[pick], part.cost[pick], part.lower[pick], part.upper[pick],
                    _columns(part, pick, len(y)))


def smallest_flip(part: Part, y: np.ndarray, chosen: np.ndarray, core: np.ndarray) -> float:
    """The least any plan must pay over L(y) to change a creator outside ``core`` from the LP's choice.

    ``chosen``: partition positions the LP chose (x = 1); every other creator is at 0 in the LP.
    """
    assert part.lower is not None and part.upper is not None
    d = _reduced(part, y, 1.0)
    choice = np.zeros(len(d))
    choice[chosen] = 1.0
    favoured = np.where(d < 0, part.upper, np.where(d > 0, part.lower, choice))
    flip = np.where(favoured == choice, np.abs(d), 0.0)
    flip[part.upper <= part.lower] = np.inf  # cannot change
    outside = np.ones(len(d), dtype=bool)
    outside[core] = False
    return float(flip[outside].min()) if outside.any() else float("inf")


def partition_rows(spec: PartitionSpec, scenario: Scenario, shown: str, local: np.ndarray) -> pd.DataFrame:
    """The checked table rows of the creators at ``local`` (read again from the partition's files)."""
    table = _roster(spec, scenario, shown).table
    return table.iloc[np.sort(local)].reset_index(drop=True)


def spec_files(path: Path) -> list[Path]:
    """The Parquet files of a table (a file, or a dataset folder in reading order)."""
    from mixopt.roster.table_read import _parquet_files

    return _parquet_files(path, str(path)) if path.is_dir() else [path]
