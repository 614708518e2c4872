"""A risk-aware plan beside the expected-value plan, kept linear with scenario-based CVaR.

The expected-value plan uses each assumption's planning (base) value. The safe plan is solved
on the same model plus, for a sample of joint draws of every assumption (the same
distributions as ``mixopt simulate``), CVaR rules: the average shortfall of each target over
the worst ``1 - confidence`` share of draws must be zero, and likewise spend over the budget
(a safe, linear stand-in for "met with probability ``confidence``"). Without targets, the safe
plan maximises the average of the worst ``1 - confidence`` share of outcomes instead. Both
plans are then simulated on fresh draws, so the probabilities shown are out of sample.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mixopt.analysis.roster_unique import UniqueReachFamily
from mixopt.analysis.simulate import SimulationResult, draw_parameters, simulate_plan
from mixopt.analysis.simulate_roster import (
    creator_draws,
    creator_ranges,
    shared_scores,
    tail_weights,
)
from mixopt.api import optimize
from mixopt.contract import objective_label
from mixopt.roster.model import RosterModel, build_roster_model, roster_audiences
from mixopt.roster.plan import RosterPlan, make_roster_plan
from mixopt.roster.solve import RosterSolution
from mixopt.roster.table import Roster, load_roster
from mixopt.scenario.schema import Scenario
from mixopt.solvers.clp import csr_matrix_of, lp_relaxation
from mixopt.solvers.engine import solve_arrays, solver_version
from mixopt.solvers.types import (
    FEAS_TOL,
    ArraysResult,
    LinearArrays,
    SolverOptions,
    SolveStatus,
)
from mixopt.tier.model import add_risk_rules, build_model
from mixopt.tier.plan import Plan, make_plan
from mixopt.tier.solve import solve

__all__ = ["RiskComparison", "safe_plan", "compare_risk", "safe_roster_plan", "roster_model_draws",
           "sampled_kpi", "safe_plan_protects", "MAX_SAFE_CREATORS", "SAFE_GAP", "ROSTER_MODEL_SAMPLES"]


@dataclass(frozen=True)
class RiskComparison:
    """The expected-value plan and the safe plan, each with an out-of-sample simulation."""

    confidence: float
    model_samples: int
    seed: int
    expected: Plan
    safe: Plan
    expected_simulation: SimulationResult | None
    safe_simulation: SimulationResult | None


def safe_plan(scenario: Scenario, confidence: float = 0.9, model_samples: int = 200, seed: int = 0,
              options: SolverOptions | None = None) -> Plan:
    """The plan whose targets and budget hold in CVaR over ``model_samples`` joint draws."""
    if not 0.5 <= confidence < 1:
        raise ValueError("confidence must be in [0.5, 1)")
    model = build_model(scenario)
    draws = draw_parameters(model.cells, model_samples, np.random.default_rng(seed), scenario)
    add_risk_rules(model, draws, confidence)
    # tie-break stages cost 5x here and HiGHS is deterministic without them
    options = dataclasses.replace(options or SolverOptions(), tie_break=False)
    plan = make_plan(model, solve(model, options))
    # the figures shown are at the planning values, like the expected plan's
    return plan


def compare_risk(scenario: Scenario, confidence: float = 0.9, samples: int = 10_000, seed: int = 0,
                 model_samples: int = 200, options: SolverOptions | None = None) -> RiskComparison:
    """Both plans, simulated on the same fresh draws (seed + 1) so the comparison is like for like."""
    expected = optimize(scenario, options, explain=False)
    safe = safe_plan(scenario, confidence, model_samples, seed, options)
    check_seed = seed + 1
    return RiskComparison(
        confidence=confidence,
        model_samples=model_samples,
        seed=seed,
        expected=expected,
        safe=safe,
        expected_simulation=simulate_plan(expected, samples, check_seed) if expected.status.has_plan else None,
        safe_simulation=simulate_plan(safe, samples, check_seed) if safe.status.has_plan else None,
    )


# ----------------------------------------------------------------------------- roster mode

#: The safe plan's certified gap unless ``--mip-gap`` says otherwise (the roster's own gap when
#: larger). Its goal is a tail average of sampled draws: over 20 of 200 draws its sampling error
#: was 4.8% (the standard deviation over 40 independent sets of draws for the shipped roster
#: scenario's expected plan), about 2% over 100 of 1,000, so proving it to 0.1% buys nothing; the
#: lower-tail goal's integer gap (about 0.3% there) took HiGHS minutes per round to close at
#: 0.1%, 1.5% takes seconds in all.
SAFE_GAP = 0.015
#: Model draws of the roster safe plan. Its cut rows are one row each whatever the number of draws,
#: so more draws cost little; at 200 (tier mode's count) the tail is 20 draws and the safe plan
#: did not beat the expected plan on fresh draws for the shipped roster scenario (worst-10%
#: conversions +0.7%, worst-10% reach below the target), at 1,000 it did (+2.5%, reach above the
#: target) in 4 s.
ROSTER_MODEL_SAMPLES = 1_000
#: ``--safe`` on a roster draws every creator and solves rounds of exact MIPs over all of them;
#: measured 4 s at 5,000 creators and 20 s at 20,000 (synthetic rosters), larger is not supported yet.
MAX_SAFE_CREATORS = 20_000


def roster_model_draws(scenario: Scenario, roster: Roster, samples: int, seed: int,
                       shared_share: float | None = None) -> dict[str, np.ndarray]:
    """Draws of every creator of the roster, (samples, creators) arrays (see :func:`creator_draws`)."""
    ranges = creator_ranges(scenario, roster, shared_share)
    shared = shared_scores(scenario, samples, seed)
    return creator_draws(roster.table, ranges, np.arange(len(roster)), shared, seed)


def sampled_kpi(model: RosterModel, draws: dict[str, np.ndarray], kpi: str) -> np.ndarray:
    """Each column's contribution to ``kpi`` in each draw: (samples, model columns)."""
    assert model.scenario.roster is not None
    posts = float(model.scenario.roster.posts_per_creator)
    per_post = draws["reach"] if kpi in ("reach", "impressions") else draws[f"{kpi}_per_post"]
    per_creator = draws["reach"] if kpi == "reach" else per_post * posts
    if not model.extra_posts:
        return per_creator
    return np.concatenate([per_creator, np.zeros_like(per_post) if kpi == "reach" else per_post], axis=1)


def _sampled_goal(model: RosterModel, draws: dict[str, np.ndarray]) -> np.ndarray | None:
    """The goal per column and draw, or None when it does not vary (a table column, least spend)."""
    s = model.scenario
    goal = s.objective.maximize
    eco = s.economics
    aov = eco.average_order_value or 0.0
    if goal in ("reach", "impressions", "engagements", "conversions"):
        return sampled_kpi(model, draws, goal)
    if goal == "revenue":
        return aov * sampled_kpi(model, draws, "conversions")
    if goal == "profit":
        spend = model.roster.table["spend"].to_numpy(dtype=float)
        if model.extra_posts:
            spend = np.concatenate([spend, model.roster.table["fee_per_post"].to_numpy(dtype=float)])
        return (aov * eco.margin_rate - eco.commission_per_conversion) * sampled_kpi(model, draws, "conversions") \
            - spend[None, :]
    if goal == "value" and s.objective.value_per_unit:
        return sum((w * sampled_kpi(model, draws, k) for k, w in s.objective.value_per_unit.items()),
                   np.zeros((next(iter(draws.values())).shape[0], model.arrays.num_col)))
    return None


def _target_families(model: RosterModel, draws: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray, float]]:
    s = model.scenario
    families = []
    for kpi in ("reach", "impressions", "engagements", "conversions"):
        floor = getattr(s.targets, kpi)
        if floor:
            families.append((kpi, sampled_kpi(model, draws, kpi), float(floor)))
    if s.targets.revenue:
        aov = s.economics.average_order_value or 0.0
        families.append(("revenue", aov * sampled_kpi(model, draws, "conversions"), float(s.targets.revenue)))
    return families


def _unique_families(scenario: Scenario, roster: Roster, draws: dict[str, np.ndarray],
                     confidence: float) -> list[tuple[UniqueReachFamily, float, float]]:
    """A unique-reach target as a floor at the planning values (the plan's own rule, which the
    model carries only as summed reach), kept by tangent cuts of the true count.

    Not in CVaR over the draws: tangent cuts of every draw's count took hundreds of rounds on a
    few hundred creators (and could stop without a plan), so the safe roster plan holds the
    target at the planning values and the simulation reports its chance in the draws; the
    notes say so. (``draws`` and ``confidence`` are kept for that stronger rule.)"""
    del draws
    floor = scenario.targets.unique_reach
    if not floor:
        return []
    audiences = roster_audiences(scenario, roster.table)
    planning = roster.table["reach"].to_numpy(dtype=float)[None, :]
    return [(UniqueReachFamily(audiences, planning), float(floor), confidence)]


def _cut_arrays(base: LinearArrays, floors: list[tuple[np.ndarray, float]], tails: list[np.ndarray],
                goal: bool) -> LinearArrays:
    """The roster model plus target cuts ``c x >= floor`` and, for a goal that varies, the column
    ``tail`` (maximised) with cuts ``tail - g x <= 0``."""
    nb = base.num_col
    extra = 1 if goal else 0
    rows = [sp.hstack([csr_matrix_of(base), sp.csr_matrix((len(base.row_names), extra))])]
    lower, upper = [base.row_lower], [base.row_upper]
    names = list(base.row_names)
    for i, (coef, floor) in enumerate(floors):
        rows.append(sp.csr_matrix(np.concatenate([coef, np.zeros(extra)])[None, :]))
        lower.append(np.array([floor]))
        upper.append(np.array([np.inf]))
        names.append(f"safe_target_cut_{i + 1}")
    for i, coef in enumerate(tails):
        rows.append(sp.csr_matrix(np.concatenate([-coef, [1.0]])[None, :]))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([0.0]))
        names.append(f"safe_goal_cut_{i + 1}")
    matrix = sp.vstack(rows).tocsr()
    matrix.sort_indices()
    cost = np.concatenate([np.zeros(nb), [-1.0]]) if goal else base.costs[0]
    return dataclasses.replace(
        base, names=list(base.names) + (["safe_goal_tail"] if goal else []),
        col_lower=np.concatenate([base.col_lower, [-np.inf] * extra]),
        col_upper=np.concatenate([base.col_upper, [np.inf] * extra]),
        integer=np.concatenate([base.integer, np.zeros(extra, dtype=bool)]), row_names=names,
        row_lower=np.concatenate(lower), row_upper=np.concatenate(upper), starts=matrix.indptr.astype(np.int64),
        index=matrix.indices.astype(np.int64), value=matrix.data.astype(float), costs=[cost], stage_labels=["goal"])


@dataclass
class _Cuts:
    """The cuts found so far and the check that adds the ones a choice breaks."""

    families: list[tuple[str, np.ndarray, float]]  # target: (kpi, (samples, columns) contributions, floor)
    goal: np.ndarray | None  # (samples, columns) goal contributions, when the goal varies
    confidence: float
    gap: float
    floors: list[tuple[np.ndarray, float]] = dataclasses.field(default_factory=list)
    tails: list[np.ndarray] = dataclasses.field(default_factory=list)
    certified_gap: float | None = None  # of the lower-tail goal at the last exact round's choice
    #: unique reach floors: (the count over the draws, floor, confidence); creators are columns 0..creators-1
    unique: list[tuple[UniqueReachFamily, float, float]] = dataclasses.field(default_factory=list)
    creators: int = 0

    def add_broken(self, x: np.ndarray, tail: float | None, bound: float | None = None) -> bool:
        """Add a cut for each target whose tail average ``x`` breaks, and one for the goal when it
        is not yet settled. True if any.

        With ``bound`` (the exact round's proven bound on the lower-tail goal, valid for every
        plan because every cut is implied by the CVaR rules) the goal is settled when the true
        lower-tail average at ``x`` is within the gap of it; without (LP rounds), when the model's
        ``tail`` is within ``CUT_SHARE`` of the gap of the true one."""
        added = False
        for _kpi, coef, floor in self.families:
            values = coef @ x
            weights = tail_weights(values, self.confidence)
            if weights @ values < floor - FEAS_TOL * max(1.0, abs(floor)):
                self.floors.append((weights @ coef, floor))
                added = True
        for family, floor, confidence in self.unique:
            chosen = np.clip(x[:self.creators], 0.0, 1.0)
            values = family.values(chosen)
            weights = tail_weights(values, confidence)
            if weights @ values < floor - FEAS_TOL * max(1.0, abs(floor)):
                cut, constant = family.cut(chosen, weights)
                self.floors.append((np.concatenate([cut, np.zeros(len(x) - self.creators)]), floor - constant))
                added = True
        if self.goal is not None:
            values = self.goal @ x
            weights = tail_weights(values, self.confidence)
            true_tail = float(weights @ values)
            scale = max(abs(true_tail), 1e-9)
            if bound is not None:
                self.certified_gap = max(bound - true_tail, 0.0) / scale
                unsettled = self.certified_gap > self.gap
            else:
                unsettled = tail is None or tail > true_tail + CUT_SHARE * self.gap * scale
            if unsettled:
                self.tails.append(weights @ self.goal)
                added = True
        return added


#: Share of the safe plan's gap allowed between the model's lower-tail goal and the true one at the
#: chosen creators (the rest is the exact solve's certified gap; together they bound the gap).
CUT_SHARE = 0.2
#: Cutting-plane rounds (LP rounds first, then exact ones) before the safe solve gives up.
MAX_CUT_ROUNDS = 60
#: The first exact core: fractional creators plus this many smallest reduced costs.
FIRST_CORE = 50


def _relative_gap(objective: float, bound: float) -> float:
    return max(objective - bound, 0.0) / max(abs(objective), 1e-9)


def _exact(arrays: LinearArrays, creators: int, paired: bool, gap: float,
           deadline: float | None) -> ArraysResult:
    """One round's model solved within ``gap`` with a certified bound, as roster mode solves:
    CLP's LP relaxation and its Lagrangian bound (valid for any duals), creators the LP clearly
    picks or drops fixed, the rest (with every continuous column) solved exactly by HiGHS; any
    plan that changes a fixed creator is worth at most the bound minus its reduced cost. The
    core doubles until the gap is proven. ``paired``: columns ``creators..2*creators-1``
    are extra posts, kept in the core with their creator."""
    matrix = csr_matrix_of(arrays)
    lp = lp_relaxation(arrays, matrix)
    if lp.status == "infeasible":
        return ArraysResult(SolveStatus.INFEASIBLE, None, None, None, None, ())
    if lp.status != "optimal" or lp.reduced_costs is None or lp.bound is None or lp.x is None:
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.01)
        return solve_arrays(arrays, SolverOptions(time_limit_s=remaining, mip_gap=gap, tie_break=False))
    n = arrays.num_col
    whole_integer = arrays.integer
    d = lp.reduced_costs
    choice = np.where(whole_integer, np.round(lp.x), lp.x)
    favoured = np.where(d < 0, arrays.col_upper, np.where(d > 0, arrays.col_lower, choice))
    flip_cost = np.where(whole_integer & (favoured == choice), np.abs(d), 0.0)
    loose = ~whole_integer | (np.abs(lp.x - np.round(lp.x)) > 1e-7)
    order = np.lexsort((np.arange(n), np.where(whole_integer, np.abs(d), -1.0)))
    cost = arrays.costs[0]
    size = FIRST_CORE
    best_x, best, bound = None, None, lp.bound
    notes: list[str] = []
    while True:
        in_core = loose.copy()
        in_core[order[:min(size, n)]] = True
        if paired:
            either = in_core[:creators] | in_core[creators:2 * creators]
            in_core[:creators] = in_core[creators:2 * creators] = either
        core = np.nonzero(in_core)[0]
        fixed_x = np.where(in_core, 0.0, choice)
        fixed_cost = float(cost @ fixed_x)
        activity = matrix @ fixed_x
        sub = matrix[:, core].tocsr()
        sub.sort_indices()
        core_arrays = dataclasses.replace(
            arrays, names=[arrays.names[i] for i in core], col_lower=arrays.col_lower[core],
            col_upper=arrays.col_upper[core], integer=arrays.integer[core], row_lower=arrays.row_lower - activity,
            row_upper=arrays.row_upper - activity, starts=sub.indptr.astype(np.int64),
            index=sub.indices.astype(np.int64), value=sub.data.astype(float), costs=[cost[core]])
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.01)
        good_enough = lp.bound + gap * abs(lp.bound) - fixed_cost  # certified by the LP bound already
        result = solve_arrays(core_arrays, SolverOptions(time_limit_s=remaining, mip_gap=gap / 2, tie_break=False,
                                                         stop_at_objective=good_enough))
        notes.extend(result.notes)
        whole = len(core) == n
        if result.x is not None and result.status.has_plan:
            x = fixed_x.copy()
            x[core] = result.x
            value = float(cost @ x)
            if best is None or value < best - 1e-12:
                best_x, best = x, value
            if result.bound is not None:
                flip = math.inf if whole else float(flip_cost[~in_core].min(initial=math.inf))
                bound = max(bound, min(result.bound + fixed_cost, lp.bound + flip))
        elif result.status == SolveStatus.INFEASIBLE and whole:
            return ArraysResult(SolveStatus.INFEASIBLE, None, None, None, None, tuple(notes))
        if best is not None:
            bound = min(bound, best)
            if _relative_gap(best, bound) <= gap + 1e-12:
                return ArraysResult(SolveStatus.OPTIMAL, best_x, best, bound, _relative_gap(best, bound), tuple(notes))
        if whole or (deadline is not None and time.monotonic() >= deadline):
            status = SolveStatus.FEASIBLE if best is not None else SolveStatus.NOT_SOLVED
            return ArraysResult(status, best_x, best, bound if best is not None else None,
                                None if best is None else _relative_gap(best, bound), tuple(notes))
        size *= 2


def _goal_column_bounds(goal: np.ndarray, arrays: LinearArrays) -> tuple[float, float]:
    """Limits no plan's goal average can pass (every column at its most and least), so the
    lower-tail column is bounded for the LP's certificate."""
    low = np.minimum(goal.min(axis=0), 0.0) * arrays.col_upper  # columns start at 0
    high = np.maximum(goal.max(axis=0), 0.0) * arrays.col_upper
    return float(low.sum()) - 1.0, float(high.sum()) + 1.0


def _solve_with_cuts(model: RosterModel, cuts: _Cuts, start: np.ndarray | None, options: SolverOptions,
                     gap: float) -> tuple[ArraysResult, int, list[str]]:
    """The CVaR model by cutting planes: every cut is implied by the CVaR rules, so each round's
    model is a relaxation (its bound is valid); rounds stop when the exact choice breaks none."""
    base = model.arrays
    nb = base.num_col
    goal = cuts.goal is not None
    deadline = time.monotonic() + options.time_limit_s if options.time_limit_s else None
    cuts.add_broken(start if start is not None else np.zeros(nb), None)
    limits = _goal_column_bounds(cuts.goal, base) if cuts.goal is not None else None

    def with_cuts(arrays: LinearArrays) -> LinearArrays:
        built = _cut_arrays(arrays, cuts.floors, cuts.tails, goal)
        if limits is None:
            return built
        return dataclasses.replace(built, col_lower=np.concatenate([built.col_lower[:-1], [limits[0]]]),
                                   col_upper=np.concatenate([built.col_upper[:-1], [limits[1]]]))

    relaxed = dataclasses.replace(base, integer=np.zeros(nb, dtype=bool))
    rounds = 0
    notes: list[str] = []
    result = ArraysResult(SolveStatus.NOT_SOLVED, None, None, None, None, ())
    for _ in range(MAX_CUT_ROUNDS):
        for _lp_round in range(MAX_CUT_ROUNDS):  # cheap LP rounds collect most cuts first
            lp = solve_arrays(with_cuts(relaxed), SolverOptions(tie_break=False))
            if lp.x is None or not lp.status.has_plan or not cuts.add_broken(lp.x[:nb], lp.x[nb] if goal else None):
                break
        rounds += 1
        result = _exact(with_cuts(base), model.creators, model.extra_posts > 0, (1 - CUT_SHARE) * gap, deadline)
        if result.x is None or not result.status.has_plan:
            return result, rounds, notes
        proven = None if not goal or result.bound is None else -result.bound
        if not cuts.add_broken(np.round(result.x[:nb]), result.x[nb] if goal else None, proven):
            if not goal:
                cuts.certified_gap = result.gap
            return result, rounds, notes
        if deadline is not None and time.monotonic() >= deadline:
            notes.append("stopped at the time limit before the safe plan's rules were proven on every draw")
            return ArraysResult(SolveStatus.NOT_SOLVED, None, None, None, None, result.notes), rounds, notes
    notes.append(f"the safe plan did not settle within {MAX_CUT_ROUNDS} rounds")
    return ArraysResult(SolveStatus.NOT_SOLVED, None, None, None, None, result.notes), rounds, notes


def safe_plan_protects(scenario: Scenario, confidence: float, model_samples: int) -> str:
    """What the roster safe plan protects, in planner words."""
    tail = f"the worst {1 - confidence:.0%} of {model_samples:,} draws"
    targets = [f"{kpi} target ({getattr(scenario.targets, kpi):,.0f})"
               for kpi in ("reach", "impressions", "engagements", "conversions", "revenue")
               if getattr(scenario.targets, kpi)]  # a unique-reach target: the sentence at the end
    goal = scenario.objective.maximize
    varies = goal in ("reach", "impressions", "engagements", "conversions", "revenue", "profit", "value")
    parts = []
    if targets:
        parts.append(f"keeps the {' and the '.join(targets)} met on average over {tail} (CVaR)")
    else:
        parts.append("has no target to protect, so it protects the goal's lower tail" if varies
                     else "has no target it protects in the draws and maximises unique reach at the planning "
                          "values (not in the worst draws), so it is the expected-value plan" if goal == "unique_reach"
                     else f"has no target to protect and its goal ({objective_label(scenario)}) does not vary "
                          "with the draws, so it is the expected-value plan")
    if varies:
        parts.append(f"maximises the average {goal} over those worst draws" if targets
                     else f"it maximises the average {goal} over {tail}")
    unique = ("" if not scenario.targets.unique_reach else
              " The unique-reach target is held at the planning values (checked on the true count), not in the "
              "worst draws: its chance in the draws is the simulation's 'chance of meeting the unique_reach target'.")
    return ("The safe plan " + (": " if not targets and varies else " and ").join(parts)
            + "; spend is contracted, so the budget holds in every draw." + unique)


def safe_roster_plan(scenario: Scenario, confidence: float = 0.9, model_samples: int = ROSTER_MODEL_SAMPLES,
                     seed: int = 0,
                     options: SolverOptions | None = None, *, roster: Roster | None = None,
                     mip_gap: float | None = None, start: np.ndarray | None = None) -> RosterPlan:
    """The roster plan whose targets hold in CVaR over ``model_samples`` draws of every creator
    and, for a goal that varies, with the best average goal over the worst ``1 - confidence``
    share of those draws; exact within the roster's gap (cutting planes, each round an exact
    HiGHS solve), then re-checked rule by rule. ``start`` (chosen creators, e.g. the expected
    plan's) seeds the first cuts."""
    assert scenario.roster is not None, "not a roster scenario: use safe_plan"
    if not 0.5 <= confidence < 1:
        raise ValueError("confidence must be in [0.5, 1)")
    roster = roster if roster is not None else load_roster(scenario)
    if len(roster) > MAX_SAFE_CREATORS:
        raise ValueError(f"the safe plan is not supported yet on rosters above {MAX_SAFE_CREATORS:,} creators")
    options = options or SolverOptions()
    gap = float(mip_gap if mip_gap is not None else max(scenario.roster.mip_gap, SAFE_GAP))
    started = time.perf_counter()
    model = build_roster_model(scenario, roster)
    draws = roster_model_draws(scenario, roster, model_samples, seed)
    n, nb = model.creators, model.arrays.num_col
    cuts = _Cuts(_target_families(model, draws), _sampled_goal(model, draws), confidence, gap,
                 unique=_unique_families(scenario, roster, draws, confidence), creators=n)
    x0 = None
    if start is not None:
        x0 = np.zeros(nb)
        x0[:n] = np.asarray(start, dtype=float)
    result, rounds, notes = _solve_with_cuts(model, cuts, x0, options, gap)
    notes = [safe_plan_protects(scenario, confidence, model_samples), *notes, *result.notes]
    chosen = posts = objective = None
    if result.x is not None and result.status.has_plan:
        x = np.round(result.x[:nb])
        chosen = x[:n] > 0.5
        posts = chosen.astype(np.int64) * scenario.roster.posts_per_creator
        if model.extra_posts:
            posts = posts + x[n:].astype(np.int64)
        objective = float(model.objective @ x)
        if cuts.goal is not None:
            values = cuts.goal @ x
            tail = float(tail_weights(values, confidence) @ values)
            notes.append(f"Its average {scenario.objective.maximize} over the worst {1 - confidence:.0%} of its "
                         f"{model_samples:,} draws: {tail:,.1f}, certified within {cuts.certified_gap or 0.0:.2%} of "
                         "the best possible.")
        elif cuts.certified_gap is not None:
            notes.append(f"Its {objective_label(scenario)} is certified within {cuts.certified_gap:.2%} of the best "
                         "possible.")
    solution = RosterSolution(
        status=result.status, chosen=chosen, posts=posts, objective=objective, bound=None, gap=None,
        lp_objective=None, method=f"CVaR over {model_samples} draws, cutting planes, exact MIP", core_size=nb,
        rounds=rounds, solver="highs", solver_version=solver_version("highs"),
        seconds={"solve": time.perf_counter() - started}, notes=tuple(notes))
    return make_roster_plan(scenario, roster, solution)
