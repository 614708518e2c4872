"""Solve a roster model: LP relaxation (CLP), reduced costs, a small exact core, a certified gap.

Roster models are wide and short (one column per creator, a few rows). CLP solves their LP
relaxation in a tenth of a second at 100,000 creators, and that LP has at most as many
fractional creators as it has rows, so its bound sits within a hair of the integer optimum
(research/solver-benchmarks.md). The method:

1. Solve the LP relaxation with CLP (in process, through cylp). If the LP is infeasible, so is
   the roster: no choice of creators satisfies the rules.
2. From the LP's row duals ``y`` compute every creator's reduced cost ``d = c - A'y`` and a
   Lagrangian bound ``L(y)`` that is valid for any ``y`` (not only an exact optimum), so the
   certificate does not rest on the LP solver's tolerances.
3. Keep the creators the LP clearly picks or drops (largest ``|d|``) at that choice, and solve
   the rest (the "core": every fractional creator plus the ``k`` smallest ``|d|``) exactly with
   HiGHS, with the fixed creators' contribution moved into the row limits.
4. Any plan that changes a fixed creator costs at least ``min |d|`` of the fixed creators over
   ``L(y)``; any plan that keeps them is bounded by the core's own proven bound. The smaller of
   the two is a bound on the whole roster, so the reported gap is certified. If it is above the
   scenario's gap (or the core had no feasible choice), the core grows eightfold and the solve
   repeats; a core of the whole roster is the plain exact MIP.

Small rosters take the last step directly. Deadlines are mixopt's own: the best plan found
is kept, labelled with its certified gap, never "optimal".
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from mixopt.roster.check import check_roster_choice
from mixopt.roster.model import (
    SHARE_CAP,
    TANGENT_ROUNDS,
    RosterModel,
    tangent_points,
    unique_reach_value,
    unique_reach_weight,
)
from mixopt.scenario.money import minor_digits, minor_unit
from mixopt.solvers.clp import csr_matrix_of, lp_relaxation
from mixopt.solvers.engine import solve_arrays, solver_version
from mixopt.solvers.repair import (
    REPAIR_ROUNDS,
    STRICT_TOLERANCE,
    Overshoot,
    add_cuts,
    tightened,
)
from mixopt.solvers.types import LinearArrays, SolverOptions, SolveStatus

__all__ = ["RosterSolution", "solve_roster", "FIRST_CORE", "DIRECT_MIP_CREATORS"]

#: Rosters up to this size are solved as one exact MIP (the core is the whole roster).
DIRECT_MIP_CREATORS = 2_000
#: The first core: fractional creators plus this many smallest reduced costs (fewer on big
#: rosters, where the LP's choice is sharper; bench/bench_roster.py measured both).
FIRST_CORE = 1_000
FIRST_CORE_LARGE = 200
LARGE_ROSTER = 50_000
#: HiGHS is fast on narrow cores; above this many columns the core goes to CBC, which scales.
HIGHS_CORE_LIMIT = 20_000
_INF = 1e30


@dataclass(frozen=True)
class RosterSolution:
    """What the roster solve established. Objective and bound in the planner's sense."""

    status: SolveStatus
    chosen: np.ndarray | None  # bool per creator
    posts: np.ndarray | None  # posts per creator (0 when not chosen)
    objective: float | None
    bound: float | None
    gap: float | None  # certified: |objective - bound| / max(|objective|, 1e-9)
    lp_objective: float | None
    method: str
    core_size: int
    rounds: int
    solver: str
    solver_version: str
    seconds: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _core_arrays(arrays: LinearArrays, a: sp.csr_matrix, core: np.ndarray, fixed_x: np.ndarray) -> LinearArrays:
    """The model over the core columns, with the fixed creators' activity moved into the row limits."""
    fixed_activity = a @ fixed_x
    sub = a[:, core].tocsr()
    sub.sort_indices()
    return LinearArrays(
        names=[arrays.names[i] for i in core],
        col_lower=arrays.col_lower[core],
        col_upper=arrays.col_upper[core],
        integer=arrays.integer[core],
        row_names=arrays.row_names,
        row_lower=arrays.row_lower - fixed_activity,
        row_upper=arrays.row_upper - fixed_activity,
        starts=sub.indptr.astype(np.int64),
        index=sub.indices.astype(np.int64),
        value=sub.data.astype(float),
        costs=[arrays.costs[0][core]],
        stage_labels=["goal"],
    )


def _gap(objective: float, bound: float) -> float:
    return max(objective - bound, 0.0) / max(abs(objective), 1e-9)


def solve_roster(model: RosterModel, options: SolverOptions | None = None, *, mip_gap: float | None = None) -> RosterSolution:
    """Choose the creators: the best plan within the scenario's gap, with a certified bound.

    When the goal or a target reads unique reach (``model.audiences``), each overlap group's
    unique reach ``A (1 - exp(-s))`` (``s`` linear in the choices, see
    :func:`~mixopt.roster.model.roster_audiences`) is modelled by its hypograph under tangent
    lines (and under the group's summed reach and its audience): an over-estimate, so the
    solver's bound is a valid bound on the true best unique reach. The chosen set is then
    evaluated exactly; its exact value is the reported objective and the gap is measured from
    it to that bound, so the gap includes the tangents' over-estimate. Tangents at the chosen
    groups' own points are added and the model solved again (at most ``TANGENT_ROUNDS`` times)
    while the exact unique reach misses its target or the gap exceeds the scenario's.

    Money rules (budget, spend bands and shares) and caps on whole-valued columns hold exactly:
    a choice the solver accepted within its tolerance but that breaks one by more than half a
    minor unit (or half a unit) is solved again at the strictest tolerance, then with that row
    tightened; the status and gap then rest on the bounds of the untightened solves only.
    """
    options = options or SolverOptions()
    target_gap = float(mip_gap if mip_gap is not None else model.scenario.roster.mip_gap)  # type: ignore[union-attr]
    if model.audiences is None:
        return _solve_money(model, options, target_gap)
    return _solve_unique(model, options, target_gap)


def _solve_money(model: RosterModel, options: SolverOptions, target_gap: float) -> RosterSolution:
    """The solve above with the money rules held exactly (the model's objective as it stands)."""
    first = _solve_once(model, options, target_gap)
    found = _overshoots(model, first)
    if not found:
        return first
    cur = model.scenario.currency
    worst = max(found, key=lambda item: item.amount)
    notes = [f"the solver's first choice overshot {worst.row} by {worst.amount:,.{minor_digits(cur)}f} (its tolerance "
             "at this magnitude is wider than a minor unit); solved again holding it exactly"]
    strict = dataclasses.replace(options, feasibility_tol=STRICT_TOLERANCE)
    second = _solve_once(model, strict, target_gap)
    proven = [sol.bound * model.sign for sol in (first, second) if sol.bound is not None and sol.chosen is not None]
    bound = max(proven) if proven else None  # minimisation form: the larger proven bound is the tighter one
    found = _overshoots(model, second) if second.chosen is not None else found
    if second.chosen is not None and not found:
        return _certified(second, bound, model.sign, target_gap, notes, repaired=False)
    cuts: dict[tuple[str, str], float] = {}
    for round_index in range(REPAIR_ROUNDS):
        add_cuts(cuts, found, round_index, float(minor_unit(cur)), model.arrays)
        tight = dataclasses.replace(model, arrays=tightened(model.arrays, cuts))
        result = _solve_once(tight, strict, target_gap)
        if result.chosen is None:
            break
        found = _overshoots(model, result)
        if not found:
            return _certified(result, bound, model.sign, target_gap, notes, repaired=True)
    notes.append("no choice keeping every money rule exactly was found after tightening; none is reported")
    return dataclasses.replace(first, status=SolveStatus.NOT_SOLVED, chosen=None, posts=None, objective=None,
                               bound=None, gap=None, notes=first.notes + tuple(notes))


def _overshoots(model: RosterModel, solution: RosterSolution) -> list[Overshoot]:
    """Rules of the model's rows that the independent check finds broken on the solution's choice."""
    if solution.chosen is None or not solution.status.has_plan or not model.rule_rows:
        return []
    checks = check_roster_choice(model.scenario, model.roster.table, solution.chosen, solution.posts)
    return [Overshoot(model.rule_rows[c.rule], c.sense, max(-c.slack, 0.0)) for c in checks
            if not c.holds and c.rule in model.rule_rows]


def _certified(solution: RosterSolution, bound: float | None, sign: float, target_gap: float, notes: list[str],
               *, repaired: bool) -> RosterSolution:
    """A choice that keeps every money rule exactly, labelled with what the untightened bounds prove."""
    assert solution.objective is not None
    value = solution.objective * sign
    own = None if solution.bound is None else solution.bound * sign
    if not repaired and own is not None:
        bound = own if bound is None else max(bound, own)
    if bound is None:
        return dataclasses.replace(solution, status=SolveStatus.FEASIBLE, bound=None, gap=None,
                                   notes=solution.notes + tuple(notes))
    gap = _gap(value, min(bound, value))
    status = SolveStatus.OPTIMAL if gap <= target_gap + 1e-12 else SolveStatus.FEASIBLE
    if status is SolveStatus.FEASIBLE:
        notes = notes + [f"the choice keeps every money rule exactly and is proven within {gap:.4%} of the best "
                         "possible (a better exact choice could only lie in the sliver of spend the solver's "
                         "tolerance cannot tell from the limit)"]
    return dataclasses.replace(solution, status=status, bound=sign * min(bound, value), gap=gap,
                               notes=solution.notes + tuple(notes))


def _solve_once(model: RosterModel, options: SolverOptions, target_gap: float) -> RosterSolution:
    """One pass of the method above, at the solver tolerance ``options`` gives."""
    deadline = time.monotonic() + options.time_limit_s if options.time_limit_s else None
    arrays = model.arrays
    n = arrays.num_col  # creators, plus their extra-post columns when posts may vary
    creators = model.creators
    base = creators * (2 if model.extra_posts else 1)  # columns after these model unique reach
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    a = csr_matrix_of(arrays)
    lp = lp_relaxation(arrays, a, primal=model.extra_posts > 0 and creators >= LARGE_ROSTER)
    seconds["lp"] = lp.seconds
    version = f"CLP (cylp) + {solver_version('highs')}"

    def finish(status: SolveStatus, x: np.ndarray | None, objective: float | None, bound: float | None,
               method: str, core: int, rounds: int, notes: list[str]) -> RosterSolution:
        seconds["solve"] = time.perf_counter() - started
        s = model.sign
        chosen = None if x is None else x[:creators] > 0.5
        posts = None
        if x is not None and chosen is not None:
            posts = chosen * model.scenario.roster.posts_per_creator  # type: ignore[union-attr]
            if model.extra_posts:
                posts = posts + np.round(x[creators:base]).astype(np.int64)
        return RosterSolution(
            status=status, chosen=chosen, posts=None if posts is None else np.asarray(posts, dtype=np.int64),
            objective=None if objective is None else s * objective, bound=None if bound is None else s * bound,
            gap=None if objective is None or bound is None else _gap(objective, bound),
            lp_objective=None if lp.objective is None else s * lp.objective, method=method, core_size=core,
            rounds=rounds, solver="clp+highs", solver_version=version, seconds=seconds, notes=tuple(notes))

    if lp.status == "infeasible":
        return finish(SolveStatus.INFEASIBLE, None, None, None, "LP relaxation", 0, 0,
                      ["even choosing fractions of creators cannot satisfy every rule"])
    if lp.status != "optimal":
        return finish(SolveStatus.NOT_SOLVED, None, None, None, "LP relaxation", 0, 0,
                      [f"the LP relaxation {lp.status}"])
    assert lp.x is not None and lp.reduced_costs is not None and lp.bound is not None
    d = lp.reduced_costs
    # The LP's choice for a fixed creator: where its reduced cost pushes it (picks d < 0, drops d > 0).
    lp_choice = np.round(lp.x)  # the LP's own choice (fractional creators always join the core)
    # What changing a fixed creator costs at least, over L(y): |d| when the LP's choice is the bound
    # its reduced cost favours; 0 where they disagree (a basic creator whose d is rounding noise).
    favoured = np.where(d < 0, arrays.col_upper, np.where(d > 0, arrays.col_lower, lp_choice))
    flip_cost = np.where(favoured == lp_choice, np.abs(d), 0.0)
    fractional = np.abs(lp.x - np.round(lp.x)) > 1e-7
    order = np.lexsort((np.arange(n), np.abs(d)))  # smallest |d| first, ties by roster order
    size = n if n <= DIRECT_MIP_CREATORS else FIRST_CORE if n < LARGE_ROSTER else FIRST_CORE_LARGE
    best_x: np.ndarray | None = None
    best_obj: float | None = None
    best_bound = lp.bound
    notes: list[str] = []
    rounds = 0
    core_size = 0
    # the core's absolute gap allowance is measured on this objective: the LP's at first, the incumbent's
    # when the whole roster is the core and the LP's (much larger) value let the certified gap exceed the target
    allowance_of = abs(lp.objective or 0.0)
    while True:
        rounds += 1
        in_core = fractional.copy()
        in_core[order[: min(size, n)]] = True
        if base > creators:  # a creator and its extra-post column enter the core together
            either = in_core[:creators] | in_core[creators:base]
            in_core[:base] = np.concatenate([either, either])
        in_core[base:] = True  # unique reach's own columns are always in the core
        core = np.nonzero(in_core)[0]
        core_size = len(core)
        fixed_x = np.where(in_core, 0.0, lp_choice)
        sub = _core_arrays(arrays, a, core, fixed_x)
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.01)
        solver = "highs" if core_size <= HIGHS_CORE_LIMIT else "cbc"
        # The core's gap is measured on the whole plan's objective (the fixed creators included).
        allowed = target_gap / 4 * max(allowance_of, 1e-9)
        # Stop the core as soon as its plan is certified against the LP bound already in hand.
        fixed_cost = float(arrays.costs[0] @ fixed_x)
        good_enough = lp.bound + target_gap / 2 * abs(lp.bound) - fixed_cost if target_gap > 0 else None
        sub_options = SolverOptions(solver=solver, time_limit_s=remaining, mip_gap=target_gap / 4, tie_break=False,
                                    mip_abs_gap=allowed if target_gap > 0 and solver == "highs" else None,
                                    stop_at_objective=good_enough, feasibility_tol=options.feasibility_tol)
        core_started = time.perf_counter()
        result = solve_arrays(sub, sub_options)
        seconds[f"core_{rounds}"] = time.perf_counter() - core_started
        notes.extend(result.notes)
        whole = core_size == n
        if result.x is not None and result.status.has_plan:
            x = fixed_x.copy()
            x[core] = np.where(sub.integer, np.round(result.x), result.x)  # unique reach's columns are continuous
            objective = float(arrays.costs[0] @ x)
            if best_obj is None or objective < best_obj - 1e-12:
                best_x, best_obj = x, objective
            core_bound: float | None = None
            if solver == "highs":
                core_bound = result.bound  # HiGHS' proven bound, also when it stopped early
            elif result.status == SolveStatus.OPTIMAL and result.objective is not None:
                # CBC's stop rule guarantees the gaps asked for
                # CBC's bound is not read back: its ratio gap is the guarantee (no absolute allowance,
                # which could exceed the whole plan's value when the LP objective is much larger)
                # (taken against the larger of incumbent and bound: ratio / (1 - ratio) of the incumbent)
                ratio = sub_options.mip_gap
                core_bound = result.objective - ratio / (1 - ratio) * abs(result.objective)
            flip = float(flip_cost[~in_core].min()) if not whole else math.inf
            if core_bound is not None:
                best_bound = max(best_bound, min(core_bound + fixed_cost, lp.bound + flip))
        elif result.status == SolveStatus.INFEASIBLE and whole:
            return finish(SolveStatus.INFEASIBLE, None, None, None, "exact MIP", core_size, rounds,
                          ["no choice of creators satisfies every rule (the LP relaxation could, with fractions)"])
        best_bound = min(best_bound, best_obj) if best_obj is not None else best_bound
        if best_obj is not None and _gap(best_obj, best_bound) <= target_gap + 1e-12:
            status = SolveStatus.OPTIMAL  # proven within the scenario's gap, like tier mode's status
            method = "exact MIP" if whole else "LP relaxation + exact core"
            return finish(status, best_x, best_obj, best_bound, method, core_size, rounds, notes)
        out_of_time = deadline is not None and time.monotonic() >= deadline
        if (whole and not out_of_time and solver == "highs" and target_gap > 0 and best_obj is not None
                and abs(best_obj) < allowance_of * (1 - 1e-9)):
            allowance_of = abs(best_obj)  # solve the whole roster again, its allowance a share of the incumbent
            continue
        if whole or out_of_time:
            if out_of_time:
                notes.append("stopped at the time limit; the best plan found is kept with its certified gap"
                             if best_obj is not None else "stopped at the time limit before any plan was found")
            status = SolveStatus.FEASIBLE if best_obj is not None else SolveStatus.NOT_SOLVED
            return finish(status, best_x, best_obj, best_bound if best_obj is not None else None,
                          "LP relaxation + exact core", core_size, rounds, notes)
        size *= 8


# ---------------------------------------------------------------------------------------------
# Unique reach: the tangent hypograph per overlap group, refined at the chosen points.

@dataclass(frozen=True)
class _Hypograph:
    """Where each modelled audience unit lives in the extended arrays."""

    aux: tuple[int, ...]  # column of each modelled unit's unique reach
    members: tuple[np.ndarray, ...]  # its creators' columns
    coefficient: np.ndarray  # -ln(1 - R_i / A) per creator
    audience: tuple[float, ...]


def _append_rows(arrays: LinearArrays, rows: list[tuple[np.ndarray, np.ndarray, float, float, str]],
                 columns: list[tuple[str, float, float, bool]] | None = None) -> LinearArrays:
    """``arrays`` with more columns (name, lower, upper, integer; cost 0) and rows (cols, vals, lower, upper, name)."""
    columns = columns or []
    lengths = np.array([len(r[0]) for r in rows], dtype=np.int64)
    return dataclasses.replace(
        arrays,
        names=arrays.names + [c[0] for c in columns],
        col_lower=np.concatenate([arrays.col_lower, [c[1] for c in columns]]).astype(float),
        col_upper=np.concatenate([arrays.col_upper, [c[2] for c in columns]]).astype(float),
        integer=np.concatenate([arrays.integer, np.array([c[3] for c in columns], dtype=bool)]),
        costs=[np.concatenate([arrays.costs[0], np.zeros(len(columns))])],
        row_names=arrays.row_names + [r[4] for r in rows],
        row_lower=np.concatenate([arrays.row_lower, [r[2] for r in rows]]).astype(float),
        row_upper=np.concatenate([arrays.row_upper, [r[3] for r in rows]]).astype(float),
        starts=np.concatenate([arrays.starts, arrays.starts[-1] + np.cumsum(lengths)]).astype(np.int64),
        index=np.concatenate([arrays.index] + [r[0] for r in rows]).astype(np.int64),
        value=np.concatenate([arrays.value] + [r[1] for r in rows]).astype(float))


def _tangent(unit: int, layout: _Hypograph, t: float, name: str) -> tuple[np.ndarray, np.ndarray, float, float, str]:
    """``u <= A (1 - e^-t) + A e^-t (s - t)``, with ``s`` the unit's sum of coefficients."""
    a, cols = layout.audience[unit], layout.members[unit]
    slope = a * math.exp(-t)
    return (np.concatenate([[layout.aux[unit]], cols]), np.concatenate([[1.0], -slope * layout.coefficient[cols]]),
            -math.inf, -a * math.expm1(-t) - slope * t, name)


def _platforms_to_try(model: RosterModel) -> list[int | None]:
    """The platforms that could be a plan's largest (None: one model, no overlap across platforms)."""
    aud = model.audiences
    assert aud is not None
    eligible = model.arrays.col_upper[: model.creators] > 0
    present = sorted(set(aud.platform[eligible & (aud.reach > 0)].tolist()))
    return [int(p) for p in present] if aud.share > 0 and len(present) >= 2 else [None]


def _with_unique_reach(model: RosterModel, tolerance: float, largest: int | None) -> tuple[RosterModel, _Hypograph]:
    """The roster model with unique reach in its goal and target (summed reach in their place removed).

    ``largest`` names the platform counted as the plan's largest: the campaign's people are then
    ``sum - s x (sum - U_largest)``, linear, and never more than the true ``sum - s x (sum - max)``,
    which is the largest of these over the platforms (so the best plan over the platforms is the
    best plan, with no big-M rows to weaken the LP bound)."""
    aud = model.audiences
    assert aud is not None
    s = model.scenario
    arrays = model.arrays
    n, first = model.creators, arrays.num_col
    eligible = arrays.col_upper[:n] > 0
    c = aud.coefficient()
    linear = np.where(aud.unit < 0, aud.reach, 0.0)  # people a creator adds for sure, on its platform
    columns: list[tuple[str, float, float, bool]] = []
    rows: list[tuple[np.ndarray, np.ndarray, float, float, str]] = []
    aux: list[int] = []
    members: list[np.ndarray] = []
    audience: list[float] = []
    unit_of_aux: list[int] = []
    for k in range(len(aud.audience)):
        cols = np.nonzero((aud.unit == k) & eligible)[0]
        a = float(aud.audience[k])
        if len(cols) < 2 or math.isinf(a):  # one creator (or no overlap): its own unique reach, exactly
            linear[cols] = np.minimum(aud.reach[cols], -a * np.expm1(-c[cols])) if not math.isinf(a) else aud.reach[cols]
            continue
        index = first + len(columns)
        name = aud.unit_names[k]
        columns.append((f"unique_reach[{name}]", 0.0, min(a, float(aud.reach[cols].sum())), False))
        aux.append(index)
        members.append(cols)
        audience.append(a)
        unit_of_aux.append(k)
        rows.append((np.concatenate([[index], cols]), np.concatenate([[1.0], -aud.reach[cols]]), -math.inf, 0.0,
                     f"unique_reach_summed[{name}]"))
    layout = _Hypograph(tuple(aux), tuple(members), c, tuple(audience))
    for j, k in enumerate(unit_of_aux):
        span = min(float(c[layout.members[j]].sum()), 2 * SHARE_CAP)
        for i, t in enumerate(tangent_points(span, tolerance)):
            rows.append(_tangent(j, layout, t, f"unique_reach_tangent[{aud.unit_names[k]}][{i}]"))
    # people per platform: U_p = sum of its units' unique reach + its ungrouped creators' reach
    per_platform: list[tuple[np.ndarray, np.ndarray]] = []
    tops = range(len(aud.platforms))
    for p in tops:
        xs = np.nonzero((aud.platform == p) & (linear > 0) & eligible)[0]
        us = np.array([aux[j] for j, k in enumerate(unit_of_aux) if aud.unit_platform[k] == p], dtype=np.int64)
        per_platform.append((np.concatenate([xs, us]), np.concatenate([linear[xs], np.ones(len(us))])))
    total: dict[int, float] = {}
    share = aud.share if largest is not None else 0.0
    for p in range(len(tops)):  # (1 - s) of every platform's people, plus s of the designated largest one's
        for col, val in zip(*per_platform[p]):
            weight_p = (1.0 - share) + (share if p == largest else 0.0)
            total[int(col)] = total.get(int(col), 0.0) + weight_p * float(val)
    grown = _append_rows(arrays, rows, columns)
    cols = np.array(sorted(total), dtype=np.int64)
    vals = np.array([total[i] for i in cols.tolist()])
    if s.targets.unique_reach:
        grown = _append_rows(grown, [(cols, vals, float(s.targets.unique_reach), math.inf, "target_unique_reach_exact")])
    weight = unique_reach_weight(s)
    objective = np.concatenate([model.objective, np.zeros(len(columns))])
    objective[:n] -= weight * aud.reach  # the summed-reach stand-in of build_roster_model
    np.add.at(objective, cols, weight * vals)
    grown = dataclasses.replace(grown, costs=[model.sign * objective])
    return dataclasses.replace(model, arrays=grown, objective=objective), layout


def _exact_value(model: RosterModel, chosen: np.ndarray, posts: np.ndarray | None) -> tuple[float, float]:
    """The planner's objective and unique reach of a choice, unique reach evaluated exactly (not the tangents)."""
    aud = model.audiences
    assert aud is not None
    n = model.creators
    x = chosen.astype(float)
    if model.extra_posts and posts is not None:
        x = np.concatenate([x, posts - chosen * model.scenario.roster.posts_per_creator])  # type: ignore[union-attr]
    unique = unique_reach_value(aud, chosen)
    weight = unique_reach_weight(model.scenario)
    base = model.objective[: len(x)]
    return float(base @ x - weight * aud.reach @ x[:n] + weight * unique), unique


def _solve_unique(model: RosterModel, options: SolverOptions, target_gap: float) -> RosterSolution:
    """Solve with the tangent hypograph once per platform that could be the largest; keep the best exact plan.

    The bound (minimisation form) is the weakest over the platforms: a platform's solved bound, or
    its LP relaxation's bound when that alone shows it cannot improve on the plan in hand."""
    tolerance = min(max(target_gap / 2, 1e-5), 0.01)
    sign = model.sign
    built = [_with_unique_reach(model, tolerance, p) for p in _platforms_to_try(model)]
    lps = [lp_relaxation(grown.arrays) for grown, _ in built]
    order = sorted(range(len(built)), key=lambda i: (lps[i].bound if lps[i].bound is not None else math.inf, i))
    best: RosterSolution | None = None
    first: RosterSolution | None = None
    bounds: list[float | None] = []
    for i in order:
        lp_bound = lps[i].bound
        if lps[i].status == "infeasible":
            continue
        if best is not None and best.objective is not None and lp_bound is not None:
            held = [b for b in bounds if b is not None]
            if (held and lp_bound >= min(held)) or _gap(sign * best.objective, lp_bound) <= target_gap:
                bounds.append(lp_bound)  # this platform as the largest cannot do better: its LP says so
                continue
        solution = _refine(model, *built[i], options, target_gap)
        first = first or solution
        if solution.chosen is None or solution.objective is None:
            if solution.status is not SolveStatus.INFEASIBLE:  # no plan found: its LP still bounds it
                bounds.append(lp_bound)
            continue
        bounds.append(None if solution.bound is None else sign * solution.bound)
        if best is None or best.objective is None or sign * solution.objective < sign * best.objective - 1e-12:
            best = solution
    if best is None or best.objective is None:
        return first or _solve_money(built[0][0], options, target_gap)  # every LP infeasible: say so
    if any(b is None for b in bounds):
        return dataclasses.replace(best, status=SolveStatus.FEASIBLE, bound=None, gap=None)
    bound = min(min(b for b in bounds if b is not None), sign * best.objective)
    gap = _gap(sign * best.objective, bound)
    status = SolveStatus.OPTIMAL if gap <= target_gap + 1e-12 else SolveStatus.FEASIBLE
    notes = best.notes if status is SolveStatus.OPTIMAL else best.notes + (
        f"unique reach is modelled by tangents; the plan is {gap:.4%} from the proven bound",)
    return dataclasses.replace(best, status=status, bound=sign * bound, gap=gap, notes=notes)


def _refine(model: RosterModel, grown: RosterModel, layout: _Hypograph, options: SolverOptions,
            target_gap: float) -> RosterSolution:
    """One model's solve, re-evaluated exactly and refined with tangents at the chosen points."""
    target = model.scenario.targets.unique_reach
    sign = model.sign
    last: RosterSolution | None = None
    for round_index in range(TANGENT_ROUNDS):
        solution = _solve_money(grown, options, target_gap)
        if solution.chosen is None:
            return solution if last is None else _refused(last, "no choice meets the unique reach target once "
                                                                "its tangents are refined")
        value, unique = _exact_value(model, solution.chosen, solution.posts)
        bound = solution.bound
        gap = None if bound is None else _gap(sign * value, sign * bound)
        status = (SolveStatus.OPTIMAL if gap is not None and gap <= target_gap + 1e-12 else
                  SolveStatus.FEASIBLE) if solution.status.has_plan else solution.status
        last = dataclasses.replace(solution, objective=value, gap=gap, status=status, rounds=solution.rounds + round_index)
        short = target is not None and unique < target
        if not short and (status is SolveStatus.OPTIMAL or bound is None):
            return last
        s_now = [float(layout.coefficient[cols][solution.chosen[cols]].sum()) for cols in layout.members]
        cuts = [_tangent(j, layout, t, f"unique_reach_tangent[{j}][at {round_index}]")
                for j, t in enumerate(s_now) if t > 0]
        if not cuts:
            break
        grown = dataclasses.replace(grown, arrays=_append_rows(grown.arrays, cuts))
    assert last is not None and last.chosen is not None
    if target is not None and unique_reach_value(model.audiences, last.chosen) < target:  # type: ignore[arg-type]
        return _refused(last, f"no choice reaching {target:,.0f} unique people was proven after {TANGENT_ROUNDS} "
                              "refinements of the unique reach model")
    return last


def _refused(solution: RosterSolution, note: str) -> RosterSolution:
    return dataclasses.replace(solution, status=SolveStatus.NOT_SOLVED, chosen=None, posts=None, objective=None,
                               bound=None, gap=None, notes=solution.notes + (note,))
