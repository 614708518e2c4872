"""Solve a model given as arrays: HiGHS in process (``ReusableHighs`` for sweeps), CBC as a binary; every answer re-checked row by row."""

from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path

import highspy
import numpy as np
import pulp

from mixopt.solvers.types import (
    FEAS_TOL,
    INT_TOL,
    ArraysResult,
    LinearArrays,
    SolverOptions,
    SolveStatus,
)


def _silence_highs_banner() -> None:
    """HiGHS >= 1.16 prints a copyright banner on standard output when the first ``Highs`` object
    of a process is made, before ``output_flag`` can be set; that would corrupt ``--format csv``
    output. Make the first one with file descriptor 1 pointed at /dev/null. When standard output
    is closed, /dev/null stays there: a file opened later must never become descriptor 1."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError):
        pass  # a full or closed standard output: its own command reports it
    try:
        saved: int | None = os.dup(1)
    except OSError:
        saved = None
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        if saved is not None:
            os.close(saved)
        return
    try:
        if devnull != 1:
            os.dup2(devnull, 1)
        highspy.Highs()
    finally:
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
        if devnull != 1:
            os.close(devnull)


_silence_highs_banner()


__all__ = ["solve_arrays", "cbc_path", "solver_version", "ReusableHighs", "HIGHS_VERSION"]


@dataclass
class _RawResult:
    status: SolveStatus
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None


def _with_rows(arrays: LinearArrays, extra: list[tuple[np.ndarray, float]]) -> tuple[np.ndarray, ...]:
    """CSR arrays plus extra dense rows ``cost @ x <= limit``."""
    starts, index, value = list(arrays.starts), list(arrays.index), list(arrays.value)
    lower, upper = list(arrays.row_lower), list(arrays.row_upper)
    for cost, limit in extra:
        nz = np.nonzero(cost)[0]
        index.extend(nz.tolist())
        value.extend(cost[nz].tolist())
        starts.append(len(index))
        lower.append(-math.inf)
        upper.append(limit)
    return (np.array(starts, dtype=np.int64), np.array(index, dtype=np.int64), np.array(value, dtype=float),
            np.array(lower, dtype=float), np.array(upper, dtype=float))


def _highs_lp(arrays: LinearArrays, cost: np.ndarray, extra: list[tuple[np.ndarray, float]]) -> highspy.HighsLp:
    starts, index, value, lower, upper = _with_rows(arrays, extra)
    lp = highspy.HighsLp()
    lp.num_col_ = arrays.num_col
    lp.num_row_ = len(lower)
    lp.col_cost_ = cost
    lp.col_lower_ = arrays.col_lower
    lp.col_upper_ = arrays.col_upper
    lp.row_lower_ = np.where(np.isinf(lower), -highspy.kHighsInf, lower)
    lp.row_upper_ = np.where(np.isinf(upper), highspy.kHighsInf, upper)
    lp.col_lower_ = np.where(np.isinf(arrays.col_lower), -highspy.kHighsInf, arrays.col_lower)
    lp.col_upper_ = np.where(np.isinf(arrays.col_upper), highspy.kHighsInf, arrays.col_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if arrays.integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in arrays.integer
        ]
    return lp


#: Small tier models (under 500 columns; roster cores are wider and need the heuristics) solve
#: faster without HiGHS' primal heuristics and presolve, which cost milliseconds per solve even
#: for 9 integers: presolve alone is 5/6 of an awareness-launch solve (bench/bench_sweep.py).
SMALL_MODEL_COLUMNS = 500
_SMALL_MODEL_OPTIONS: dict[str, object] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_zi_round": False,
    "mip_heuristic_run_shifting": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_rins": False,
}
#: Presolve off only from HiGHS 1.16: with it off, HiGHS 1.15.1 labelled suboptimal plans optimal
#: (tests/test_properties.py keeps the reproductions as regression tests). On 1.16.0 those pass,
#: and 1,000 random scenarios gave the same optimum as CBC with presolve off.
HIGHS_VERSION = tuple(int(part) for part in highspy.Highs().version().split(".")[:2])
if HIGHS_VERSION >= (1, 16):
    _SMALL_MODEL_OPTIONS["presolve"] = "off"
#: Without presolve a few small models branch for minutes: a platform held at exactly 66% of
#: spend took 7,428 nodes and 1.3 s for the main goal and 176 s for its tie-breaks, against
#: 0.2 s in all with presolve (tests/test_share_rules.py keeps it). So a presolve-off run stops
#: at this many nodes (deterministic, unlike a time limit) and runs again with presolve on, from
#: its best plan. The tests' 733 small solves need at most 285 nodes, so they never reach it.
PRESOLVE_OFF_NODE_LIMIT = 1000


def _presolve_is_off(h: highspy.Highs) -> bool:
    value = h.getOptionValue("presolve")
    return (value[1] if isinstance(value, tuple) else value) == "off"


def _turn_presolve_off(h: highspy.Highs) -> None:
    h.setOptionValue("presolve", "off")
    h.setOptionValue("mip_max_nodes", PRESOLVE_OFF_NODE_LIMIT)


def _run(h: highspy.Highs) -> None:
    """``h.run()``; a presolve-off run stopped by its node limit runs again with presolve on,
    starting from the plan it found (if any). Options are left as they were for the next run."""
    h.run()
    if not (_presolve_is_off(h) and h.getModelStatus() == highspy.HighsModelStatus.kSolutionLimit):
        return
    if h.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible:
        h.setSolution(h.getSolution())
    h.setOptionValue("presolve", "on")
    h.setOptionValue("mip_max_nodes", highspy.kHighsIInf)
    h.run()
    _turn_presolve_off(h)


def _new_highs(options: SolverOptions, num_col: int, deadline: float | None) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.mip_abs_gap is not None:
        h.setOptionValue("mip_abs_gap", float(options.mip_abs_gap))
    elif options.mip_gap == 0:
        h.setOptionValue("mip_abs_gap", 1e-9)
    if num_col <= SMALL_MODEL_COLUMNS:
        for key, value in _SMALL_MODEL_OPTIONS.items():
            h.setOptionValue(key, value)
        if _SMALL_MODEL_OPTIONS.get("presolve") == "off":
            _turn_presolve_off(h)
    if options.feasibility_tol is not None:
        for key in ("mip_feasibility_tolerance", "primal_feasibility_tolerance"):
            h.setOptionValue(key, float(options.feasibility_tol))
    if deadline is not None:
        h.setOptionValue("time_limit", max(deadline - time.monotonic(), 0.01))

        def _stop(event: object) -> None:  # HiGHS does not always honour time_limit
            if time.monotonic() > deadline:
                event.interrupt()  # type: ignore[attr-defined]

        h.cbMipInterrupt.subscribe(_stop)
    if options.stop_at_objective is not None:
        good_enough = float(options.stop_at_objective)

        found = [False]

        def _found(event: object) -> None:  # a plan already within the caller's certified gap
            if event.data_out.objective_function_value <= good_enough:  # type: ignore[attr-defined]
                found[0] = True

        def _enough(event: object) -> None:  # HiGHS acts on interrupts from this callback only
            if found[0]:
                event.interrupt()  # type: ignore[attr-defined]

        h.cbMipImprovingSolution.subscribe(_found)
        h.cbMipInterrupt.subscribe(_enough)
    return h


def _read_highs(h: highspy.Highs, is_mip: bool, options: SolverOptions) -> _RawResult:
    model_status = h.getModelStatus()
    info = h.getInfo()
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.array(h.getSolution().col_value, dtype=float) if has_x else None
    S = highspy.HighsModelStatus
    objective = float(info.objective_function_value) if has_x else None
    bound = float(info.mip_dual_bound) if is_mip and has_x else objective
    gap = float(info.mip_gap) if is_mip and has_x else (0.0 if has_x else None)
    if model_status == S.kOptimal:
        within_abs = (options.mip_abs_gap is not None and objective is not None and bound is not None
                      and abs(objective - bound) <= options.mip_abs_gap * (1 + 1e-9))
        within = gap is not None and (gap <= options.mip_gap + 1e-9 or within_abs)
        status = SolveStatus.OPTIMAL if within else SolveStatus.FEASIBLE
    elif model_status == S.kInfeasible:
        status = SolveStatus.INFEASIBLE
    elif model_status == S.kUnbounded:
        status = SolveStatus.UNBOUNDED
    elif model_status == S.kUnboundedOrInfeasible:
        status = SolveStatus.INFEASIBLE_OR_UNBOUNDED
    else:  # time limit, interrupt, iteration limit, solution limit, ...
        status = SolveStatus.FEASIBLE if has_x else SolveStatus.NOT_SOLVED
    if not has_x and status.has_plan:
        status = SolveStatus.NOT_SOLVED
    return _RawResult(status, x, objective, bound, gap)


def _solve_highs(
    arrays: LinearArrays, cost: np.ndarray, extra: list[tuple[np.ndarray, float]], options: SolverOptions,
    deadline: float | None,
) -> _RawResult:
    h = _new_highs(options, arrays.num_col, deadline)
    h.passModel(_highs_lp(arrays, cost, extra))
    _run(h)
    return _read_highs(h, bool(arrays.integer.any()), options)


class ReusableHighs:
    """HiGHS kept across many solves of one model whose row bounds change (budget sweeps,
    frontiers): no rebuild, no re-transfer, warm starts.

    The main goal is solved on one instance that never changes objective (so its basis stays
    warm from point to point); tie-break stages use a second instance with the extra rows.
    ``relax=True`` drops integrality: an LP preview, labelled as such by the callers.
    """

    def __init__(self, arrays: LinearArrays, options: SolverOptions | None = None, *, relax: bool = False) -> None:
        self.options = options or SolverOptions()
        self.arrays = arrays
        self.relax = relax
        self.row_lower = arrays.row_lower.copy()
        self.row_upper = arrays.row_upper.copy()
        self._rows = {name: i for i, name in enumerate(arrays.row_names)}
        self._n_rows = len(arrays.row_names)
        self._all = np.arange(arrays.num_col, dtype=np.int32)
        self._main_instance: highspy.Highs | None = None  # made on first use: an engine may only break ties
        self._tie: highspy.Highs | None = None

    @property
    def _main(self) -> highspy.Highs:
        if self._main_instance is None:
            self._main_instance = self._instance([])
        return self._main_instance

    def _instance(self, extra: list[tuple[np.ndarray, float]]) -> highspy.Highs:
        h = _new_highs(self.options, self.arrays.num_col, None)
        lp = _highs_lp(replace(self.arrays, row_lower=self.row_lower, row_upper=self.row_upper),
                       self.arrays.costs[0], extra)
        if self.relax:
            lp.integrality_ = []
        h.passModel(lp)
        return h

    def row_index(self, name: str) -> int:
        """Index of a named row (KeyError when the model has no such row)."""
        return self._rows[name]

    def set_row_bounds(self, name: str, lower: float, upper: float) -> None:
        """Change one named row's bounds (use +-inf for an open side)."""
        i = self._rows[name]
        self.row_lower[i], self.row_upper[i] = lower, upper
        inf = highspy.kHighsInf
        for h in (self._main_instance, self._tie):
            if h is not None:
                h.changeRowBounds(i, -inf if math.isinf(lower) else lower, inf if math.isinf(upper) else upper)

    def _run(self, h: highspy.Highs, cost: np.ndarray | None, start: np.ndarray | None = None) -> _RawResult:
        if cost is not None:
            h.changeColsCost(len(self._all), self._all, cost)
        if start is not None and not self.relax:
            solution = highspy.HighsSolution()
            solution.col_value = start
            solution.value_valid = True
            h.setSolution(solution)  # the previous stage's plan is a known incumbent
        _run(h)
        return _read_highs(h, bool(self.arrays.integer.any()) and not self.relax, self.options)

    def _checked(self, arrays: LinearArrays, x: np.ndarray, extra: list[tuple[np.ndarray, float]],
                 cost: np.ndarray) -> np.ndarray | None:
        if self.relax:
            return None if _violations(replace(arrays, integer=np.zeros_like(arrays.integer)), x, extra) else x
        x, broken = rounded(arrays, x, cost, extra, self.options)
        return None if broken else x

    def solve(self, *, stages: bool = True, start: np.ndarray | None = None) -> ArraysResult:
        """Solve with the current bounds: the main goal, then (optionally) the tie-break stages.

        ``start`` is a plan known to meet the current rules (a sweep's plan at a tighter limit):
        HiGHS starts from it as its first incumbent, which shortens the proof; the optimum it
        proves is the same.
        """
        arrays = replace(self.arrays, row_lower=self.row_lower, row_upper=self.row_upper)
        first = self._run(self._main, None, start)
        x, status, notes = first.x, first.status, []
        if x is not None and status.has_plan:
            x = self._checked(arrays, x, [], arrays.costs[0])
            if x is None:
                status = SolveStatus.NOT_SOLVED
                notes.append("the solver's answer failed the row check")
        if x is None or not status.has_plan:
            return ArraysResult(status, None, None, None, None, tuple(notes))
        main = ArraysResult(status, x, first.objective, first.bound, first.gap, tuple(notes))
        return self.tie_break(main) if stages else main

    def tie_break(self, main: ArraysResult) -> ArraysResult:
        """The tie-break stages after ``main``, the checked main-goal answer at the current bounds
        (from this engine, or from another engine of the same model at the same bounds: a sweep
        breaks ties on a second thread while its walk goes on). Not optimal, no stages: ``main``."""
        arrays = replace(self.arrays, row_lower=self.row_lower, row_upper=self.row_upper)
        x, status, notes = main.x, main.status, list(main.notes)
        if status == SolveStatus.OPTIMAL and len(arrays.costs) > 1:
            if self._tie is None:
                self._tie = self._instance([(cost, math.inf) for cost in arrays.costs[:-1]])
                # Presolve off here on any HiGHS: a tie-break stage picks among plans already held
                # at the optimum by a row, so it cannot cost optimality, and it runs ~25% faster.
                _turn_presolve_off(self._tie)
            inf = highspy.kHighsInf
            extra: list[tuple[np.ndarray, float]] = []
            for stage in range(1, len(arrays.costs)):
                assert x is not None
                level = float(arrays.costs[stage - 1] @ x)
                limit = level + 1e-7 * max(1.0, abs(level))
                extra.append((arrays.costs[stage - 1], limit))
                self._tie.changeRowBounds(self._n_rows + stage - 1, -inf, limit)
                result = self._run(self._tie, arrays.costs[stage], x)
                candidate = None if result.x is None or not result.status.has_plan else self._checked(arrays, result.x, extra, arrays.costs[stage])
                if candidate is None:
                    notes.append(f"tie-break stage '{arrays.stage_labels[stage]}' stopped early; plan kept from before it")
                    break
                x = candidate
            for stage in range(len(arrays.costs) - 1):
                self._tie.changeRowBounds(self._n_rows + stage, -inf, inf)
        return replace(main, x=x, notes=tuple(notes))


def cbc_path() -> str:
    """The CBC binary: on PATH, beside this Python (cbcbox), or bundled with pulp."""
    found = shutil.which("cbc")
    if found:
        return found
    beside = Path(sys.executable).parent / ("cbc.exe" if os.name == "nt" else "cbc")
    if beside.exists():
        return str(beside)
    try:
        import cbcbox  # type: ignore[import-untyped]

        return str(cbcbox.cbc_bin_path())
    except (ImportError, AttributeError, OSError):
        pass
    bundled = Path(pulp.__file__).parent / "solverdir" / "cbc" / "linux" / "i64" / "cbc"
    if bundled.exists():
        return str(bundled)
    raise FileNotFoundError("no CBC binary found; reinstall mixopt (it depends on cbcbox)")


def _without_coefficients(arrays: LinearArrays, cost: np.ndarray, extra: list[tuple[np.ndarray, float]]) -> _RawResult:
    """A model whose rows hold no nonzero coefficient (the bundled CBC aborts on one): each row holds
    when 0 is within its limits, and each column sits at the bound its cost favours (the lower one on a tie)."""
    rows_hold = bool(np.all(arrays.row_lower <= 1e-9) and np.all(arrays.row_upper >= -1e-9)
                     and all(limit >= -1e-9 for _, limit in extra))
    if not rows_hold:
        return _RawResult(SolveStatus.INFEASIBLE, None, None, None, None)
    x = np.where(cost < 0, arrays.col_upper, np.where(np.isfinite(arrays.col_lower), arrays.col_lower,
                                                      np.where(np.isfinite(arrays.col_upper), arrays.col_upper, 0.0)))
    if not np.all(np.isfinite(x)) or np.any((cost > 0) & ~np.isfinite(arrays.col_lower)):
        return _RawResult(SolveStatus.UNBOUNDED, None, None, None, None)
    objective = float(cost @ x)
    return _RawResult(SolveStatus.OPTIMAL, x, objective, objective, 0.0)


def _solve_cbc(
    arrays: LinearArrays, cost: np.ndarray, extra: list[tuple[np.ndarray, float]], options: SolverOptions,
    deadline: float | None,
) -> _RawResult:
    if not np.any(arrays.value) and not any(np.any(row) for row, _ in extra):
        return _without_coefficients(arrays, cost, extra)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(_highs_lp(arrays, cost, extra))
    with tempfile.TemporaryDirectory(prefix="mixopt-cbc-") as tmp:
        mps = os.path.join(tmp, "model.mps")
        sol = os.path.join(tmp, "solution.txt")
        h.writeModel(mps)
        args = [cbc_path(), mps, "-ratioGap", repr(float(options.mip_gap)),
                "-allowableGap", repr(float(options.mip_abs_gap)) if options.mip_abs_gap is not None else "1e-9",
                "-threads", "1", "-boundPropLevel", "off", "-randomSeed", "1", "-randomCbcSeed", "1"]
        if options.feasibility_tol is not None:
            args += ["-primalTolerance", repr(float(options.feasibility_tol))]
        timeout = None
        if deadline is not None:
            remaining = max(deadline - time.monotonic(), 0.01)
            args += ["-seconds", f"{remaining:.3f}"]
            timeout = remaining + 5.0
        args += ["-solve", "-solution", sol]
        try:
            subprocess.run(args, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            pass
        if not os.path.exists(sol):
            return _RawResult(SolveStatus.NOT_SOLVED, None, None, None, None)
        with open(sol, encoding="utf-8") as handle:
            head = handle.readline().strip().lower()
            x = np.zeros(arrays.num_col)
            for line in handle:
                parts = line.replace("**", " ").split()
                if len(parts) >= 3:
                    x[int(parts[0])] = float(parts[2])
    if head.startswith("optimal"):
        status, gap = SolveStatus.OPTIMAL, 0.0 if options.mip_gap == 0 else None
    elif head.startswith("infeasible") or "integer infeasible" in head:
        return _RawResult(SolveStatus.INFEASIBLE, None, None, None, None)
    elif head.startswith("unbounded"):
        return _RawResult(SolveStatus.UNBOUNDED, None, None, None, None)
    elif head.startswith("stopped") and "objective value" in head and "no solution" not in head:
        status, gap = SolveStatus.FEASIBLE, None
        if _violations(arrays, np.where(arrays.integer, np.round(x), x), extra):
            # stopped at the limit holding only a relaxation's values: no plan was found in time
            return _RawResult(SolveStatus.NOT_SOLVED, None, None, None, None)
    else:
        return _RawResult(SolveStatus.NOT_SOLVED, None, None, None, None)
    objective = float(cost @ x)
    return _RawResult(status, x, objective, objective if status == SolveStatus.OPTIMAL else None, gap)


def rounded(arrays: LinearArrays, x: np.ndarray, cost: np.ndarray, extra: list[tuple[np.ndarray, float]],
            options: SolverOptions) -> tuple[np.ndarray, list[str]]:
    """``x`` with its whole-number columns rounded, and the rows, bounds and stage limits it breaks.

    A solver may hold a whole column a hair above 0 (within its integrality tolerance) with a
    continuous column riding on it (reach of 3e-8 creators); rounded, that plan breaks the row
    tying them. Then the continuous columns are solved again with the rounded whole columns held
    fixed (an LP, same objective): the mix is the solver's, only the bookkeeping is redone.
    """
    fixed = np.where(arrays.integer, np.round(x), x)
    broken = _violations(arrays, fixed, extra)
    if not broken or not arrays.integer.any() or arrays.integer.all():
        return fixed, broken
    held = replace(arrays, col_lower=np.where(arrays.integer, fixed, arrays.col_lower),
                   col_upper=np.where(arrays.integer, fixed, arrays.col_upper),
                   integer=np.zeros_like(arrays.integer))
    polished = _solve_highs(held, cost, extra, replace(options, time_limit_s=None), None)
    if polished.x is None or polished.status != SolveStatus.OPTIMAL:
        return fixed, broken
    candidate = np.where(arrays.integer, fixed, polished.x)
    again = _violations(arrays, candidate, extra)
    return (candidate, again) if not again else (fixed, broken)


def _violations(arrays: LinearArrays, x: np.ndarray, extra: list[tuple[np.ndarray, float]]) -> list[str]:
    """Rows, bounds or integrality that ``x`` breaks (PuLP issue #711: never trust a status alone)."""
    found = []
    activity = arrays.row_activity(x)
    # tolerance relative to the row's own magnitude: rounding an integer by 1e-9 moves a row
    # with a coefficient of 2,400 by 2.4e-6, which is not a broken rule
    magnitude = replace(arrays, value=np.abs(arrays.value)).row_activity(np.abs(x))
    scale = 1.0 + np.maximum(magnitude, np.maximum(
        np.abs(np.where(np.isfinite(arrays.row_upper), arrays.row_upper, 0.0)),
        np.abs(np.where(np.isfinite(arrays.row_lower), arrays.row_lower, 0.0))))
    bad = (activity > arrays.row_upper + FEAS_TOL * scale) | (activity < arrays.row_lower - FEAS_TOL * scale)
    found += [arrays.row_names[i] for i in np.nonzero(bad)[0]]
    for cost, limit in extra:
        if cost @ x > limit + FEAS_TOL * (1 + abs(limit)):
            found.append("stage limit")
    out_of_bounds = (x < arrays.col_lower - FEAS_TOL) | (x > arrays.col_upper + FEAS_TOL)
    found += [arrays.names[i] for i in np.nonzero(out_of_bounds)[0]]
    fractional = arrays.integer & (np.abs(x - np.round(x)) > INT_TOL)
    found += [f"{arrays.names[i]} (not whole)" for i in np.nonzero(fractional)[0]]
    return found


@functools.cache
def solver_version(name: str) -> str:
    """The solver's version, for provenance (read once per process: it cannot change while running)."""
    if name == "highs":
        return f"HiGHS {highspy.Highs().version()}"
    try:
        return f"CBC (cbcbox {metadata.version('cbcbox')})"
    except metadata.PackageNotFoundError:
        return "CBC"




def solve_arrays(arrays: LinearArrays, options: SolverOptions | None = None) -> ArraysResult:
    """Solve a model given as arrays: stage 0, then each tie-break stage with the earlier
    objectives held at their optimum. Every answer is checked against every row before use.
    """
    options = options or SolverOptions()
    if options.solver not in ("highs", "cbc"):
        raise ValueError(f"unknown solver {options.solver!r}")
    backend = _solve_highs if options.solver == "highs" else _solve_cbc
    deadline = time.monotonic() + options.time_limit_s if options.time_limit_s else None
    notes: list[str] = []
    first = backend(arrays, arrays.costs[0], [], options, deadline)
    x = first.x
    status = first.status
    if x is not None and status.has_plan:
        x, broken = rounded(arrays, x, arrays.costs[0], [], options)
        if broken:
            notes.append("the solver's answer broke " + ", ".join(broken[:5]) + "; no plan is reported")
            status, x = SolveStatus.NOT_SOLVED, None
    extra: list[tuple[np.ndarray, float]] = []
    stages = len(arrays.costs) if options.tie_break and status == SolveStatus.OPTIMAL else 1
    for stage in range(1, stages):
        assert x is not None
        previous = arrays.costs[stage - 1]
        level = float(previous @ x)
        extra.append((previous, level + 1e-7 * max(1.0, abs(level))))
        result = backend(arrays, arrays.costs[stage], extra, options, deadline)
        if result.x is None or not result.status.has_plan:
            notes.append(f"tie-break stage '{arrays.stage_labels[stage]}' stopped early; plan kept from before it")
            break
        candidate, broken = rounded(arrays, result.x, arrays.costs[stage], extra, options)
        if broken:
            notes.append(f"tie-break stage '{arrays.stage_labels[stage]}' answer rejected by the check")
            break
        x = candidate
    if x is None or not status.has_plan:
        return ArraysResult(status, None, None, None, None, tuple(notes))
    return ArraysResult(status, x, first.objective, first.bound, first.gap, tuple(notes))
