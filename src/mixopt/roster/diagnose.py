"""Why no choice of creators satisfies a roster scenario's rules, and the smallest change that lets one exist.

The why (:func:`diagnose_roster`) comes from LP relaxations (fractions of creators allowed), so
each figure is a bound: the budget the other rules need at least, the most of each target they
allow; and two plain counts (must-include creators alone over the budget, a category quota
above the table's count).

The smallest change (:func:`smallest_roster_change`) is found in one of two ways:

1. When every other rule can hold without the budget, the change is the budget: the least spend
   of a choice of creators that meets every other rule (the roster solve with the goal "least
   spend", certified within the roster's gap), rounded up to the next 100.
2. Otherwise an elastic model: each rule's row gets a nonnegative violation column, priced per
   unit of the rule (currency, creators, people, share of spend) at one over the rule's own size,
   so bending any rule by 10% costs the same and the least total bending wins; each rule that
   moves at all costs ``RULE_MOVE_COST`` more, so a change of one rule beats small changes of
   several. Rosters up to ``EXACT_ELASTIC_CREATORS`` creators solve it as an exact MIP (HiGHS);
   larger ones solve its LP relaxation (CLP, without the per-rule charge) to find the rules that
   must move and by how much.

Either way the change is confirmed by solving the relaxed scenario with the roster machinery;
when rounding or fractions of creators left it short, the moved rules widen one planner step
(100 of money, one creator, 1% of a target, half a point of share) and the solve repeats.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from mixopt.roster.model import ROSTER_KPIS, RosterModel
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.plan import RosterPlan
from mixopt.roster.solve import DIRECT_MIP_CREATORS, LARGE_ROSTER
from mixopt.scenario.fields import with_field
from mixopt.scenario.schema import Objective, Scenario
from mixopt.solvers.clp import csr_matrix_of, lp_relaxation
from mixopt.solvers.engine import solve_arrays
from mixopt.solvers.types import LinearArrays, SolverOptions, SolveStatus

__all__ = ["EXACT_ELASTIC_CREATORS", "WIDEN_ROUNDS", "RosterChange", "diagnose_roster", "smallest_roster_change"]

#: Rosters up to this many creators solve the elastic model exactly; larger ones use its LP relaxation.
EXACT_ELASTIC_CREATORS = DIRECT_MIP_CREATORS
#: How many times a relaxed scenario that still has no plan is widened by one step and re-solved.
WIDEN_ROUNDS = 6
#: Money limits move in steps of 100 of the scenario's currency (as in tier mode).
MONEY_STEP = 100.0
#: What moving one more rule costs in the exact elastic model, as a share of a rule's size: one rule
#: moved 10% further beats a second rule moved at all.
RULE_MOVE_COST = 0.1
#: The elastic MIP's own time limit when the scenario sets none.
ELASTIC_TIME_LIMIT_S = 60.0
_NO_PLAN = (SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED)


def _freed(arrays: LinearArrays, row: int, cost: np.ndarray | None = None) -> LinearArrays:
    """The arrays with one row's limits removed (and optionally another goal)."""
    lower = arrays.row_lower.copy()
    upper = arrays.row_upper.copy()
    lower[row], upper[row] = -np.inf, np.inf
    return dataclasses.replace(arrays, row_lower=lower, row_upper=upper,
                               costs=[cost] if cost is not None else arrays.costs)


def _spend_per_column(model: RosterModel) -> np.ndarray:
    """What each column adds to spend: a creator's spend, and the fee of each extra post."""
    table = model.roster.table
    n = model.creators
    spend = np.zeros(model.arrays.num_col)
    spend[:n] = table["spend"].to_numpy(dtype=float)
    if model.arrays.num_col > n:
        spend[n:] = table["fee_per_post"].to_numpy(dtype=float)
    return spend


def diagnose_roster(model: RosterModel) -> list[str]:
    """Why no choice of creators satisfies the rules, in planner words (bounds and plain counts).

    Uses LP relaxations (fractions of creators allowed), so each figure is a bound: the budget
    a plan needs at least and the most of a KPI the other rules allow.
    """
    s = model.scenario
    arrays = model.arrays
    table = model.roster.table
    n = model.creators
    cur = s.currency
    lines: list[str] = []
    must = table["must_include"].to_numpy(dtype=bool)
    if s.budget is not None and must.any():
        must_spend = float(table.loc[must, "spend"].sum())
        if must_spend > s.budget:
            lines.append(f"the {int(must.sum())} must-include creators alone cost {must_spend:,.0f} {cur}, "
                         f"more than the budget of {s.budget:,.0f} {cur}")
    names = arrays.row_names
    if "budget" in names:
        lp = lp_relaxation(_freed(arrays, names.index("budget"), _spend_per_column(model)))
        if lp.status == "optimal" and lp.objective is not None and lp.objective > (s.budget or 0.0):
            lines.append(f"the other rules need a budget of at least {lp.objective:,.0f} {cur}, even with fractions "
                         f"of creators (budget: {s.budget:,.0f} {cur})")
    for kpi in ROSTER_KPIS:
        floor = getattr(s.targets, kpi)
        if not floor or f"target_{kpi}" not in names:
            continue
        goal = np.zeros(arrays.num_col)
        goal[:n] = -table[kpi].to_numpy(dtype=float)
        if arrays.num_col > n and kpi != "reach":
            goal[n:] = -table[f"{kpi}_per_post"].to_numpy(dtype=float)
        lp = lp_relaxation(_freed(arrays, names.index(f"target_{kpi}"), goal))
        if lp.status == "optimal" and lp.objective is not None and -lp.objective < floor:
            lines.append(f"the {floor:,.0f} {kpi} target cannot be met: at most {-lp.objective:,.0f} {kpi} fit "
                         "the other rules (even with fractions of creators)")
    for name, rule in (s.roster.categories.items() if s.roster else []):
        available = int(((table["category"] == name) & ~table["exclude"].to_numpy(dtype=bool)).sum())
        if rule.min_creators is not None and rule.min_creators > available:
            lines.append(f"roster.categories.{name}.min_creators asks for {rule.min_creators} but the table has "
                         f"{available} {name} creators")
    return lines


# ----------------------------------------------------------------------------- the rules that can bend


@dataclass(frozen=True)
class _Side:
    """One side of a planner rule: its rows, which way it bends, its scenario field and size."""

    rows: tuple[int, ...]
    sign: float  # +1: a floor (row + violation >= lower); -1: a cap (row - violation <= upper)
    path: str  # the scenario field that sets it
    kind: str  # money, count, lock, target, share_min, share_max, budget_share_min/max, overlap, resource,
    # profit, roi, ceiling (a CPA / CPE / CPM limit)
    limit: float  # the rule's limit in the scenario's terms (a share for share rules)
    scale: float  # the rule's own size, in the row's unit: bending it by this much costs 1
    words: str  # the rule in planner words
    integral: bool = True  # resource caps: whether the column holds whole numbers


@dataclass(frozen=True)
class RosterChange:
    """The smallest change found, as scenario overrides, with what to tell the planner."""

    overrides: dict[str, Any]
    findings: tuple[str, ...]
    relaxed_objective: float | None


def _sides(model: RosterModel) -> list[_Side]:
    """Every finite side of every planner rule of the model (posts-per-creator rows stay fixed)."""
    s = model.scenario
    assert s.roster is not None
    at = {name: i for i, name in enumerate(model.arrays.row_names)}
    cur = s.currency
    allowed = ~model.roster.table["exclude"].to_numpy(dtype=bool)
    money = max(s.budget or float(model.roster.table.loc[allowed, "spend"].sum()), 1.0)
    out: list[_Side] = []

    def add(row: str, sign: float, path: str, kind: str, limit: float, scale: float, words: str,
            integral: bool = True) -> None:
        if row in at:
            out.append(_Side((at[row],), sign, path, kind, float(limit), max(float(scale), 1e-9), words, integral))

    def cash(value: float) -> str:
        return f"{value:,.0f} {cur}"

    if s.budget is not None:
        add("budget", -1, "budget", "money", s.budget, max(s.budget, 0.01 * money), f"the budget of {cash(s.budget)}")
    for kpi in (*ROSTER_KPIS, "revenue"):
        floor = getattr(s.targets, kpi)
        if floor:
            shown = cash(floor) + " revenue" if kpi == "revenue" else f"{floor:,.0f} {kpi}"
            add(f"target_{kpi}", 1, f"targets.{kpi}", "target", floor, floor, f"the {shown} target")
    if s.targets.profit is not None:
        add("target_profit", 1, "targets.profit", "profit", s.targets.profit, max(abs(s.targets.profit), 0.01 * money),
            f"the profit target of {cash(s.targets.profit)}")
    if s.targets.roi is not None:  # profit - roi x spend >= 0: a bend of v money lowers the ROI by v / spend
        add("target_roi", 1, "targets.roi", "roi", s.targets.roi, max(abs(s.targets.roi), 0.01) * money,
            f"the ROI target of at least {s.targets.roi:g}")
    for name in ("cpa", "cpe", "cpm"):  # spend - limit x outcome <= 0
        limit = getattr(s.limits, name)
        if limit is not None:
            add(f"limit_{name}", -1, f"limits.{name}", "ceiling", limit, money,
                f"the {name.upper()} limit of {limit:,.2f} {cur}")
    cap = s.rules.max_creators
    if cap is not None:
        add("team_capacity", -1, "rules.max_creators", "count", cap, max(cap, 1), f"the team capacity of {cap} creators")
    for kind, group, bands in (("tier", "tiers", s.rules.tiers), ("platform", "platforms", s.rules.platforms)):
        for name, band in bands.items():
            field = f"rules.{group}.{name}"
            if band.min_spend_share is not None:
                share = band.min_spend_share
                add(f"{kind}_spend_share_min_{name}", 1, f"{field}.min_spend_share", "share_min", share,
                    max(share, 0.01) * money, f"the {name} minimum share of {share:.0%} of spend")
            if band.max_spend_share is not None:
                share = band.max_spend_share
                add(f"{kind}_spend_share_max_{name}", -1, f"{field}.max_spend_share", "share_max", share,
                    max(share, 0.01) * money, f"the {name} maximum share of {share:.0%} of spend")
            for side, share in (("min", band.min_budget_share), ("max", band.max_budget_share)):
                if share is not None:
                    add(f"{kind}_budget_share_{side}_{name}", 1 if side == "min" else -1,
                        f"{field}.{side}_budget_share", f"budget_share_{side}", share, max(share, 0.01) * money,
                        f"the {name} {'minimum' if side == 'min' else 'maximum'} share of {share:.0%} of the budget")
            if band.min_spend is not None:
                add(f"{kind}_spend_{name}", 1, f"{field}.min_spend", "money", band.min_spend,
                    max(band.min_spend, 0.01 * money), f"the {name} minimum spend of {cash(band.min_spend)}")
            if band.max_spend is not None:
                add(f"{kind}_spend_{name}", -1, f"{field}.max_spend", "money", band.max_spend,
                    max(band.max_spend, 0.01 * money), f"the {name} maximum spend of {cash(band.max_spend)}")
            if band.min_creators is not None:
                add(f"{kind}_creators_{name}", 1, f"{field}.min_creators", "count", band.min_creators,
                    max(band.min_creators, 1), f"the {name} minimum of {band.min_creators} creators")
            if band.max_creators is not None:
                add(f"{kind}_creators_{name}", -1, f"{field}.max_creators", "count", band.max_creators,
                    max(band.max_creators, 1), f"the {name} maximum of {band.max_creators} creators")
    for key, rule in s.rules.cells.items():
        row, field = f"cell_creators_{key}", f"rules.cells.{key}"
        if rule.lock is not None:
            for sign in (1, -1):
                add(row, sign, f"{field}.lock", "lock", rule.lock, max(rule.lock, 1),
                    f"{key} locked at {rule.lock} creators")
            continue
        if rule.min_creators is not None:
            add(row, 1, f"{field}.min_creators", "count", rule.min_creators, max(rule.min_creators, 1),
                f"the {key} minimum of {rule.min_creators} creators")
        if rule.max_creators is not None:
            add(row, -1, f"{field}.max_creators", "count", rule.max_creators, max(rule.max_creators, 1),
                f"the {key} maximum of {rule.max_creators} creators")
    for name, quota in s.roster.categories.items():
        field = f"roster.categories.{name}"
        if quota.min_creators is not None:
            add(f"category_{name}", 1, f"{field}.min_creators", "count", quota.min_creators,
                max(quota.min_creators, 1), f"the {name} quota of at least {quota.min_creators} creators")
        if quota.max_creators is not None:
            add(f"category_{name}", -1, f"{field}.max_creators", "count", quota.max_creators,
                max(quota.max_creators, 1), f"the {name} quota of at most {quota.max_creators} creators")
    overlap = s.roster.max_per_overlap_group
    groups = tuple(i for name, i in at.items() if name.startswith("overlap_"))
    if overlap is not None and groups:  # one field caps every group: one violation column for all their rows
        out.append(_Side(groups, -1, "roster.max_per_overlap_group", "overlap", overlap, max(overlap, 1),
                         f"at most {overlap} creators per overlap group"))
    table = model.roster.table
    for column, limit in s.roster.resource_caps.items():
        values = np.nan_to_num(table[column].to_numpy(dtype=float))
        add(f"resource_{column}", -1, f"roster.resource_caps.{column}", "resource", limit, max(limit, 1.0),
            f"the cap of {limit:,.6g} on total {column}", integral=bool(np.all(values == np.round(values))))
    for column, floor in s.roster.resource_floors.items():
        values = np.nan_to_num(table[column].to_numpy(dtype=float))
        add(f"resource_floor_{column}", 1, f"roster.resource_floors.{column}", "resource", floor, max(floor, 1.0),
            f"the floor of {floor:,.6g} on total {column}", integral=bool(np.all(values == np.round(values))))
    return out


def _elastic_arrays(model: RosterModel, sides: list[_Side], *, switches: bool) -> LinearArrays:
    """The roster model with a violation column per rule side, priced at one over the rule's size.

    With ``switches`` each violation also turns on a yes/no "this rule moves" column priced at
    ``RULE_MOVE_COST``, so one rule moved a little further beats several rules moved a little.
    """
    arrays = model.arrays
    a = csr_matrix_of(arrays)
    m, n, k = a.shape[0], arrays.num_col, len(sides)
    rows = [r for side in sides for r in side.rows]
    cols = [j for j, side in enumerate(sides) for _ in side.rows]
    vals = [side.sign for side in sides for _ in side.rows]
    bends = sp.csr_matrix((np.array(vals, dtype=float), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
                          shape=(m, k))
    # a violation never needs to exceed what the row's activity can reach past its limit (a finite
    # upper bound keeps the LP's certified bound finite and is the switch's big-M)
    positive, negative = a.maximum(0), a.minimum(0)
    most = positive @ arrays.col_upper + negative @ arrays.col_lower
    least = positive @ arrays.col_lower + negative @ arrays.col_upper
    room = np.array([max(max((most[r] - arrays.row_upper[r]) if side.sign < 0 else (arrays.row_lower[r] - least[r])
                             for r in side.rows), 0.0) + 1.0 for side in sides], dtype=float)
    cost = [np.zeros(n), 1.0 / np.array([side.scale for side in sides], dtype=float)]
    lower, upper, integer = [arrays.col_lower, np.zeros(k)], [arrays.col_upper, room], [arrays.integer, np.zeros(k, bool)]
    names = arrays.names + [f"bend_{j}" for j in range(k)]
    row_lower, row_upper = [arrays.row_lower], [arrays.row_upper]
    if switches:  # bend_j - room_j * moves_j <= 0
        full = sp.bmat([[a, bends, None], [None, sp.identity(k, format="csr"), sp.diags(-room, format="csr")]],
                       format="csr")
        cost.append(np.full(k, RULE_MOVE_COST))
        lower.append(np.zeros(k))
        upper.append(np.ones(k))
        integer.append(np.ones(k, dtype=bool))
        names += [f"moves_{j}" for j in range(k)]
        row_lower.append(np.full(k, -np.inf))
        row_upper.append(np.zeros(k))
    else:
        full = sp.hstack([a, bends], format="csr")
    full.sort_indices()
    return LinearArrays(
        names=names, col_lower=np.concatenate(lower), col_upper=np.concatenate(upper), integer=np.concatenate(integer),
        row_names=arrays.row_names + ([f"moves_{j}" for j in range(k)] if switches else []),
        row_lower=np.concatenate(row_lower), row_upper=np.concatenate(row_upper),
        starts=full.indptr.astype(np.int64), index=full.indices.astype(np.int64), value=full.data.astype(float),
        costs=[np.concatenate(cost)], stage_labels=["least bending of the rules"],
    )


def _least_bending(model: RosterModel, sides: list[_Side], options: SolverOptions) -> tuple[np.ndarray | None, str]:
    """The choice of creators (fractions on large rosters) that bends the rules least, and how it was found."""
    n = model.arrays.num_col
    if model.creators <= EXACT_ELASTIC_CREATORS:
        exact = SolverOptions(solver="highs", time_limit_s=options.time_limit_s or ELASTIC_TIME_LIMIT_S, mip_gap=0.0,
                              tie_break=False)
        result = solve_arrays(_elastic_arrays(model, sides, switches=True), exact)
        if result.x is not None and result.status.has_plan:
            return np.asarray(result.x[:n], dtype=float), "exact"
    elastic = _elastic_arrays(model, sides, switches=False)
    lp = lp_relaxation(elastic, primal=model.extra_posts > 0 and model.creators >= LARGE_ROSTER)
    if lp.status == "optimal" and lp.x is not None:
        return np.asarray(lp.x[:n], dtype=float), "lp"
    return None, ""


def _bent_value(side: _Side, activity: np.ndarray, spend: float, budget: float | None = None) -> float | int | None:
    """The rule's new limit so that the choice with these row activities meets it, rounded outward (None: no bend)."""
    value = float(activity.max() if side.sign < 0 else activity.min())
    if side.kind in ("roi", "ceiling"):  # rows of the form profit - roi x spend >= 0 and spend - limit x outcome <= 0
        if (side.sign > 0 and value >= -1e-7 * side.scale) or (side.sign < 0 and value <= 1e-7 * side.scale):
            return None
        if side.kind == "roi":
            return math.floor((side.limit + value / spend) * 100 + 1e-9) / 100 if spend > 0 else 0.0
        if spend - value <= 0:
            return None
        return math.ceil(side.limit * spend / (spend - value) * 100 - 1e-9) / 100
    if side.kind in ("budget_share_min", "budget_share_max"):
        share = value / budget if budget else side.limit
        if (side.sign > 0 and share >= side.limit - 1e-9) or (side.sign < 0 and share <= side.limit + 1e-9):
            return None
        return max(math.floor(share * 1000 + 1e-9) / 1000, 0.0) if side.sign > 0 else \
            min(math.ceil(share * 1000 - 1e-9) / 1000, 1.0)
    if side.kind in ("share_min", "share_max"):
        tol = 1e-7 * side.scale
        if (side.sign > 0 and value >= -tol) or (side.sign < 0 and value <= tol):
            return None
        share = side.limit + value / spend if spend > 0 else (0.0 if side.sign > 0 else 1.0)
        if side.sign > 0:
            return max(math.floor(share * 1000 + 1e-9) / 1000, 0.0)
        return min(math.ceil(share * 1000 - 1e-9) / 1000, 1.0)
    tol = 1e-7 * max(1.0, abs(side.limit))
    if (side.sign > 0 and value >= side.limit - tol) or (side.sign < 0 and value <= side.limit + tol):
        return None
    if side.kind == "money":
        steps = value / MONEY_STEP
        return float(math.ceil(steps - 1e-9) * MONEY_STEP) if side.sign < 0 else \
            float(max(math.floor(steps + 1e-9) * MONEY_STEP, 0.0))
    if side.kind == "target":
        return float(max(math.floor(value + 1e-9), 0))
    if side.kind == "profit":
        return float(math.floor(value / MONEY_STEP + 1e-9) * MONEY_STEP)
    if side.kind == "resource" and not side.integral:
        return math.ceil(value * 100 - 1e-9) / 100 if side.sign < 0 else math.floor(value * 100 + 1e-9) / 100
    return int(math.ceil(value - 1e-9)) if side.sign < 0 else int(max(math.floor(value + 1e-9), 0))


def _widened(side: _Side, value: float) -> float | int:
    """One planner step further from the rule's current limit."""
    if side.kind == "money":
        return value + MONEY_STEP if side.sign < 0 else max(value - MONEY_STEP, 0.0)
    if side.kind == "target":
        return float(max(math.floor(min(value * 0.99, value - 1)), 0))
    if side.kind in ("share_min", "budget_share_min"):
        return max(round(value - 0.005, 3), 0.0)
    if side.kind in ("share_max", "budget_share_max"):
        return min(round(value + 0.005, 3), 1.0)
    if side.kind == "profit":
        return value - MONEY_STEP
    if side.kind == "roi":
        return round(value - 0.01, 2)
    if side.kind == "ceiling":
        return math.ceil(value * 101 - 1e-9) / 100
    if side.kind == "resource":
        step = max(abs(value) * 0.01, 1.0 if side.integral else 0.01)
        return value + step if side.sign < 0 else max(value - step, 0.0)
    return int(value) + 1 if (side.sign < 0 or (side.kind == "lock" and value > side.limit)) else max(int(value) - 1, 0)


def _shown(side: _Side, value: float, currency: str) -> str:
    if side.kind in ("share_min", "share_max", "budget_share_min", "budget_share_max"):
        return f"{value:.1%}"
    if side.kind in ("roi",):
        return f"{value:.2f}"
    if side.kind == "ceiling":
        return f"{value:,.2f} {currency}"
    if side.kind in ("money", "profit"):
        return f"{value:,.0f} {currency}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _relaxed(scenario: Scenario, changes: dict[str, tuple[_Side, float | int]]) -> Scenario:
    result = scenario
    for path, (_, value) in changes.items():
        result = with_field(result, path, value)
    return result


def _confirmed(model: RosterModel, changes: dict[str, tuple[_Side, float | int]],
               options: SolverOptions) -> tuple[dict[str, tuple[_Side, float | int]], RosterPlan | None]:
    """Solve the relaxed scenario; while it has no plan, widen the moved rules one step and try again."""
    for _ in range(WIDEN_ROUNDS):
        plan = optimize_roster(_relaxed(model.scenario, changes), options, mip_gap=options.mip_gap,
                               roster=model.roster, reserves=False)
        if plan.status.has_plan and plan.feasible:
            return changes, plan
        if plan.status not in _NO_PLAN:
            return changes, None  # stopped or failed: nothing confirmed
        changes = {path: (side, _widened(side, value)) for path, (side, value) in changes.items()}
    return changes, None


#: How many roster solves the bisection of an efficiency rule's relaxed value may take.
TIGHTEN_SOLVES = 16


def _tightest(model: RosterModel, side: _Side, value: float, options: SolverOptions) -> tuple[float, RosterPlan] | None:
    """A profit or ROI floor or a CPA / CPE / CPM ceiling moved only as far as a plan needs: bisection
    between the confirmed value and the rule's own on the rule's grid (0.01, or 100 of money)."""
    if side.kind not in ("roi", "ceiling", "profit"):
        return None
    grid = MONEY_STEP if side.kind == "profit" else 0.01
    ok, bad, best = float(value), float(side.limit), None
    for _ in range(TIGHTEN_SOLVES):
        if abs(ok - bad) <= grid + 1e-9:
            break
        mid = round(round((ok + bad) / 2 / grid) * grid, 2)
        if mid in (ok, bad):
            break
        plan = optimize_roster(with_field(model.scenario, side.path, mid), options, mip_gap=options.mip_gap,
                               roster=model.roster, reserves=False)
        if plan.status.has_plan and plan.feasible:
            ok, best = mid, plan
        else:
            bad = mid
    return (ok, best) if best is not None else None


def _least_budget(model: RosterModel, options: SolverOptions) -> tuple[float, str] | None:
    """The least budget every other rule needs, from the cheapest choice of creators that meets them."""
    s = model.scenario
    names = model.arrays.row_names
    if s.budget is None or "budget" not in names:
        return None
    if lp_relaxation(_freed(model.arrays, names.index("budget"))).status != "optimal":
        return None  # even fractions of creators cannot meet the other rules: the budget is not enough alone
    free = s.model_copy(update={"budget": None, "objective": Objective(minimize="spend")})
    cheapest = optimize_roster(free, options, mip_gap=options.mip_gap, roster=model.roster, reserves=False)
    if not cheapest.status.has_plan or not cheapest.feasible:
        return None
    spend = float(cheapest.totals["spend"])
    cur = s.currency
    proven = ""
    if cheapest.bound is not None and cheapest.bound < spend - 0.5:
        proven = f"; no choice spends less than {cheapest.bound:,.0f} {cur}"
    finding = (f"the cheapest choice of creators that meets every other rule spends {spend:,.0f} {cur} "
               f"(budget now {s.budget:,.0f} {cur}{proven})")
    return max(math.ceil(spend / MONEY_STEP - 1e-9) * MONEY_STEP, s.budget), finding


def smallest_roster_change(model: RosterModel, options: SolverOptions | None = None) -> RosterChange:
    """The smallest change of the scenario's rules that lets a choice of creators exist, confirmed by a solve.

    ``options.mip_gap`` is the roster gap of every confirming solve (the scenario's when None).
    """
    s = model.scenario
    assert s.roster is not None
    options = options or SolverOptions(mip_gap=s.roster.mip_gap)
    sides = _sides(model)
    findings: list[str] = []
    changes: dict[str, tuple[_Side, float | int]] = {}
    budget = _least_budget(model, options)
    how = "budget"
    if budget is not None:
        side = next(x for x in sides if x.path == "budget")
        changes = {"budget": (side, budget[0])}
        findings.append(budget[1])
    else:
        x, how = _least_bending(model, sides, options)
        if x is None:
            return RosterChange({}, (), None)
        activity = csr_matrix_of(model.arrays) @ x
        spend = float(_spend_per_column(model) @ x)
        for side in sides:
            value = _bent_value(side, activity[list(side.rows)], spend, s.budget)
            if value is not None and side.path not in changes:
                changes[side.path] = (side, value)
        if not changes:
            return RosterChange({}, (), None)
    first = dict(changes)
    changes, plan = _confirmed(model, changes, options)
    if plan is not None and len(changes) == 1:
        (path, (side, value)), = changes.items()
        tight = _tightest(model, side, value, options)
        if tight is not None:
            changes, plan = {path: (side, tight[0])}, tight[1]
            first = dict(changes)
    if plan is None:
        if how != "budget":
            findings += [f"{side.words} has to give (the least-bending choice of creators gave on it)"
                         for side, _ in changes.values()]
        findings.append("mixopt could not confirm a relaxed scenario; loosen the rules named above by hand")
        return RosterChange({}, tuple(findings), None)
    for path, (side, value) in changes.items():
        if how == "budget" and value == first[path][1]:
            continue  # the cheapest choice's finding says it already
        found = "" if how in ("exact", "budget") else "; found with fractions of creators"
        if value != first[path][1]:
            found += f", widened from {_shown(side, first[path][1], s.currency)} until whole creators fit"
        findings.append(f"{side.words}: change it to {_shown(side, value, s.currency)} (the rule the least-bending "
                        f"choice of creators had to give on{found})")
    overrides = {path: value for path, (_, value) in changes.items()}
    return RosterChange(overrides, tuple(findings), plan.objective_value)
