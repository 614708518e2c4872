"""The solver path against outside truth: published knapsack optima.

Instances come from ``../shared/validation`` (see its READMEs for sources and formats); they
are read in place, never copied into the project. Each is built as ``LinearArrays`` directly
(numpy, no PuLP) and solved by ``solve_arrays`` with HiGHS and with CBC at gap 0; the result
must be a proven optimum equal to the published value, and the returned selection must be a
0-1 vector that fits every capacity and earns that value.

Every parser is checked on the data itself first: where the files publish an optimal
selection (FSU, Pisinger, Ortega large-scale), that selection must fit and reach the
published value, so a misread file fails loudly instead of comparing wrong numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mixopt.solvers.engine import solve_arrays
from mixopt.solvers.types import LinearArrays, SolverOptions, SolveStatus
from tests.conftest import VALIDATION

SOLVERS = ("highs", "cbc")
KP01 = VALIDATION / "kp01"
MKNAP = VALIDATION / "orlib_mknap"


@dataclass(frozen=True)
class Instance:
    """max profit @ x  s.t.  weights @ x <= capacity (one row per constraint), x binary."""

    name: str
    profit: np.ndarray  # (n,)
    weights: np.ndarray  # (m, n)
    capacity: np.ndarray  # (m,)
    optimum: float  # the published value
    selection: np.ndarray | None = None  # the published optimal x, where given
    abs_tol: float = 1e-6  # published values rounded to fewer digits get a wider tolerance


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"validation data not found: {path} (the shared folder is not checked out here)")
    return path


def _numbers(path: Path) -> list[str]:
    return _need(path).read_text(encoding="utf-8").split()


# ----------------------------------------------------------------------------- readers


def fsu(problem: str, optimum: float) -> Instance:
    """FSU/Burkardt KNAPSACK_01: pXX_c (capacity), _w (weights), _p (profits), _s (selection)."""
    folder = KP01 / "fsu_knapsack_01"
    capacity = float(_numbers(folder / f"{problem}_c.txt")[0])
    weights = np.array(_numbers(folder / f"{problem}_w.txt"), dtype=float)
    profit = np.array(_numbers(folder / f"{problem}_p.txt"), dtype=float)
    selection = np.array(_numbers(folder / f"{problem}_s.txt"), dtype=float)
    return Instance(f"fsu/{problem}", profit, weights[None, :], np.array([capacity]), optimum, selection)


def pisinger(relative: str, index: int) -> Instance:
    """Pisinger csv: blocks of name / n / c / z / time / 'i,p,w,x' lines, separated by '-----'."""
    path = _need(KP01 / "pisinger" / relative)
    blocks = [b for b in path.read_text(encoding="utf-8").split("-----") if b.strip()]
    lines = [line.strip() for line in blocks[index - 1].strip().splitlines() if line.strip()]
    header = {line.split()[0]: line.split()[1] for line in lines[1:5]}
    items = [tuple(float(v) for v in line.split(",")) for line in lines[5:]]
    n = int(header["n"])
    assert len(items) == n, f"{relative}#{index}: {len(items)} item lines for n={n}"
    assert [int(i[0]) for i in items] == list(range(1, n + 1))
    profit = np.array([i[1] for i in items])
    weights = np.array([[i[2] for i in items]])
    selection = np.array([i[3] for i in items])
    stem = Path(relative).stem
    return Instance(f"pisinger/{stem}_{index}", profit, weights, np.array([float(header["c"])]),
                    float(header["z"]), selection)


def ortega(kind: str, name: str, abs_tol: float = 1e-6) -> Instance:
    """instances_01_KP: line 1 'n capacity', then n lines 'profit weight'; large-scale files end
    with the optimal 0/1 vector; the optimum is in the '-optimum' folder."""
    folder = KP01 / "ortega_instances_01_KP"
    tokens = _numbers(folder / kind / name)
    n, capacity = int(tokens[0]), float(tokens[1])
    pairs = np.array(tokens[2 : 2 + 2 * n], dtype=float).reshape(n, 2)
    rest = tokens[2 + 2 * n :]
    selection = np.array(rest, dtype=float) if rest else None
    if selection is not None:
        assert len(selection) == n, f"{name}: solution line has {len(selection)} values for n={n}"
    optimum = float(_numbers(folder / f"{kind}-optimum" / name)[0])
    return Instance(f"ortega/{name}", pairs[:, 0], pairs[:, 1][None, :], np.array([capacity]), optimum,
                    selection, abs_tol)


def mknap1(number: int) -> Instance:
    """OR-Library mknap1: K; per problem 'n m opt', n profits, m rows of n weights, m capacities."""
    tokens = _numbers(MKNAP / "mknap1.txt")
    pos = 1
    for k in range(1, int(tokens[0]) + 1):
        n, m, opt = int(tokens[pos]), int(tokens[pos + 1]), float(tokens[pos + 2])
        pos += 3
        profit = np.array(tokens[pos : pos + n], dtype=float)
        pos += n
        weights = np.array(tokens[pos : pos + n * m], dtype=float).reshape(m, n)
        pos += n * m
        capacity = np.array(tokens[pos : pos + m], dtype=float)
        pos += m
        if k == number:
            return Instance(f"orlib/mknap1#{number}", profit, weights, capacity, opt)
    raise AssertionError(f"mknap1 has no problem {number}")


def mknap2(name: str) -> Instance:
    """OR-Library mknap2: blocks 'problem NAME.DAT' / '+++' / nk m / m profits / nk capacities /
    nk rows of m weights / the known optimum ('n knapsacks, m objects', the reverse of mknap1)."""
    text = _need(MKNAP / "mknap2.txt").read_text(encoding="utf-8")
    parts = re.split(r"problem\s+(\S+)\.DAT", text)
    for found, body in zip(parts[1::2], parts[2::2]):
        if found != name:
            continue
        tokens = re.split(r"\+{5,}", body)[1].split()
        nk, m = int(tokens[0]), int(tokens[1])
        assert len(tokens) == 2 + m + nk + nk * m + 1, f"{name}: {len(tokens)} numbers in the block"
        values = np.array(tokens, dtype=float)
        profit = values[2 : 2 + m]
        capacity = values[2 + m : 2 + m + nk]
        weights = values[2 + m + nk : 2 + m + nk + nk * m].reshape(nk, m)
        return Instance(f"orlib/mknap2/{name}", profit, weights, capacity, float(values[-1]))
    raise AssertionError(f"mknap2 has no problem {name}")


def mknap2_readme_values() -> dict[str, tuple[int, int, float]]:
    """'NAME mxn: value' entries of the folder README: constraints, items, published optimum."""
    text = _need(MKNAP / "README.md").read_text(encoding="utf-8")
    return {name: (int(m), int(n), float(v)) for name, m, n, v in re.findall(r"(\w+) (\d+)x(\d+): (\d+)", text)}


#: The 48 mknap2 problems, as named in the folder README (listed here so the test ids are fixed).
MKNAP2 = (
    "SENTO1 SENTO2 WEING1 WEING2 WEING3 WEING4 WEING5 WEING6 WEING7 WEING8 "
    + " ".join(f"WEISH{i:02d}" for i in range(1, 31))
    + " PB1 PB2 PB4 PB5 PB6 PB7 HP1 HP2"
).split()

# ----------------------------------------------------------------------------- the instances
# Small enough that both solvers prove each optimum in well under a second.

CASES: dict[str, tuple] = {
    # FSU: optima from the folder README (FSU's published P01 / P02 / P07 values).
    "fsu/p01": (fsu, "p01", 309),
    "fsu/p02": (fsu, "p02", 51),
    "fsu/p07": (fsu, "p07", 1458),
    # Pisinger (2005): the z line of each instance; the first five of each published file.
    **{
        f"pisinger/{Path(f).stem}_{i}": (pisinger, f, i)
        for f in (
            "smallcoeff_pisinger/knapPI_1_50_1000.csv", "smallcoeff_pisinger/knapPI_9_50_1000.csv",
            "largecoeff_pisinger/knapPI_1_50_100000.csv", "largecoeff_pisinger/knapPI_1_100_100000.csv",
            "hardinstances_pisinger/knapPI_11_20_1000.csv",
        )
        for i in range(1, 6)
    },
    # Ortega instances_01_KP, all ten low-dimensional (f5 has real data; its optimum is
    # published to 4 decimals) and the smallest large-scale ones.
    **{
        f"ortega/{name}": (ortega, "low-dimensional", name, 1e-4 if name.startswith("f5_") else 1e-6)
        for name in (
            "f1_l-d_kp_10_269", "f2_l-d_kp_20_878", "f3_l-d_kp_4_20", "f4_l-d_kp_4_11", "f5_l-d_kp_15_375",
            "f6_l-d_kp_10_60", "f7_l-d_kp_7_50", "f8_l-d_kp_23_10000", "f9_l-d_kp_5_80", "f10_l-d_kp_20_879",
        )
    },
    **{
        f"ortega/knapPI_{kind}_{n}_1000_1": (ortega, "large_scale", f"knapPI_{kind}_{n}_1000_1")
        for kind in (1, 2, 3)  # uncorrelated, weakly and strongly correlated
        for n in (100, 200, 1000)
    },
    # OR-Library mknap1 (Petersen 1967): multi-dimensional, 5 or 10 capacity rows.
    **{f"orlib/mknap1#{k}": (mknap1, k) for k in (1, 2, 3, 4, 5, 6, 7)},
    # OR-Library mknap2: all 48 problems from the literature (2 to 30 rows, 20 to 105 items).
    **{f"orlib/mknap2/{name}": (mknap2, name) for name in MKNAP2},
}

#: Values published in the folder READMEs, restated to check that the readers find the same.
README_VALUES = {
    "fsu/p01": 309, "fsu/p02": 51, "fsu/p07": 1458,
    **dict(zip((f"pisinger/knapPI_1_50_1000_{i}" for i in range(1, 6)), (8373, 5847, 5962, 4888, 4889))),
    **dict(zip((f"pisinger/knapPI_9_50_1000_{i}" for i in range(1, 6)), (995, 997, 970, 976, 1933))),
    **dict(zip((f"pisinger/knapPI_1_50_100000_{i}" for i in range(1, 6)), (396225, 404733, 419274, 724022, 707887))),
    **dict(zip((f"pisinger/knapPI_1_100_100000_{i}" for i in range(1, 6)),
               (726719, 736333, 732763, 1424415, 1427002))),
    **dict(zip((f"pisinger/knapPI_11_20_1000_{i}" for i in range(1, 6)), (1428, 3990, 1800, 1440, 736))),
    "ortega/f1_l-d_kp_10_269": 295, "ortega/f2_l-d_kp_20_878": 1024, "ortega/f3_l-d_kp_4_20": 35,
    "ortega/f4_l-d_kp_4_11": 23, "ortega/f5_l-d_kp_15_375": 481.0694, "ortega/f6_l-d_kp_10_60": 52,
    "ortega/f7_l-d_kp_7_50": 107, "ortega/f8_l-d_kp_23_10000": 9767, "ortega/f9_l-d_kp_5_80": 130,
    "ortega/f10_l-d_kp_20_879": 1025,
    "ortega/knapPI_1_100_1000_1": 9147, "ortega/knapPI_1_200_1000_1": 11238, "ortega/knapPI_1_1000_1000_1": 54503,
    "ortega/knapPI_2_100_1000_1": 1514, "ortega/knapPI_2_200_1000_1": 1634, "ortega/knapPI_2_1000_1000_1": 9052,
    "ortega/knapPI_3_100_1000_1": 2397, "ortega/knapPI_3_200_1000_1": 2697, "ortega/knapPI_3_1000_1000_1": 14390,
    "orlib/mknap1#1": 3800, "orlib/mknap1#2": 8706.1, "orlib/mknap1#3": 4015, "orlib/mknap1#4": 6120,
    "orlib/mknap1#5": 12400, "orlib/mknap1#6": 10618, "orlib/mknap1#7": 16537,
}


#: Proven by both solvers, but CBC needs about a million branch-and-bound nodes for f8 (23 items
#: with near-equal weights and profits): 4 s with CBC's defaults and 15-30 s with the options
#: mixopt passes ('-threads 1'), too slow for the default run. HiGHS solves it in milliseconds.
SLOW_FOR_CBC = {"ortega/f8_l-d_kp_23_10000"}

SOLVE_CASES = [
    pytest.param(case, solver, id=f"{case}-{solver}")
    for case in sorted(CASES)
    for solver in SOLVERS
    if not (solver == "cbc" and case in SLOW_FOR_CBC)
]


def load(case: str) -> Instance:
    reader, *args = CASES[case]
    if reader is fsu:
        return fsu(args[0], float(args[1]))
    return reader(*args)


# ----------------------------------------------------------------------------- arrays


def to_linear_arrays(inst: Instance) -> LinearArrays:
    """The instance as ``LinearArrays``: binary columns, one '<= capacity' row per constraint,
    CSR with the zero weights left out, and the profit negated (arrays are in minimisation form)."""
    m, n = inst.weights.shape
    starts, index, value = [0], [], []
    for row in inst.weights:
        nz = np.nonzero(row)[0]
        index.extend(nz.tolist())
        value.extend(row[nz].tolist())
        starts.append(len(index))
    return LinearArrays(
        names=[f"x{j:05d}" for j in range(n)],
        col_lower=np.zeros(n),
        col_upper=np.ones(n),
        integer=np.ones(n, dtype=bool),
        row_names=[f"capacity{i:02d}" for i in range(m)],
        row_lower=np.full(m, -math.inf),
        row_upper=inst.capacity.astype(float),
        starts=np.array(starts, dtype=np.int64),
        index=np.array(index, dtype=np.int64),
        value=np.array(value, dtype=float),
        costs=[-inst.profit.astype(float)],
        stage_labels=["most profit"],
    )


def _tolerance(inst: Instance) -> float:
    return max(inst.abs_tol, 1e-9 * abs(inst.optimum))


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", sorted(CASES))
def test_reader_matches_the_published_data(case: str) -> None:
    """The parsed instance carries the README's value, and a published selection reaches it."""
    inst = load(case)
    m, n = inst.weights.shape
    assert inst.profit.shape == (n,) and inst.capacity.shape == (m,) and n > 0
    if case.startswith("orlib/mknap2/"):
        rows, items, published = mknap2_readme_values()[case.rsplit("/", 1)[1]]
        assert (m, n) == (rows, items)
    else:
        published = README_VALUES[case]
    assert math.isclose(inst.optimum, published, rel_tol=0, abs_tol=1e-9), (inst.optimum, published)
    if inst.selection is not None:
        assert set(np.unique(inst.selection)) <= {0.0, 1.0}
        assert np.all(inst.weights @ inst.selection <= inst.capacity + 1e-9)
        assert abs(inst.profit @ inst.selection - inst.optimum) <= _tolerance(inst)


@pytest.mark.parametrize(("case", "solver"), SOLVE_CASES)
def test_solve_arrays_finds_the_published_optimum(case: str, solver: str) -> None:
    inst = load(case)
    arrays = to_linear_arrays(inst)
    result = solve_arrays(arrays, SolverOptions(solver=solver, mip_gap=0.0))
    assert result.status is SolveStatus.OPTIMAL, (result.status, result.notes)
    assert result.x is not None and result.objective is not None
    x = result.x
    # A 0-1 selection that fits every capacity ...
    assert np.all((x == 0) | (x == 1)), x
    assert np.all(inst.weights @ x <= inst.capacity + 1e-9), (inst.weights @ x, inst.capacity)
    # ... earning the published optimum, as reported and as recomputed from the selection.
    tol = _tolerance(inst)
    assert abs(-result.objective - inst.optimum) <= tol, (-result.objective, inst.optimum)
    assert abs(inst.profit @ x - inst.optimum) <= tol, (inst.profit @ x, inst.optimum)
    if result.bound is not None:  # a proven optimum: the bound meets it
        assert abs(-result.bound - inst.optimum) <= tol, (-result.bound, inst.optimum)
    assert result.gap is not None and result.gap <= 1e-9
