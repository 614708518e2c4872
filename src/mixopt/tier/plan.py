"""Scenario + Solution -> Plan: what to buy, what it delivers, and why. Pure, no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from mixopt.contract import Marginal, RuleCheck, keeps_text, objective_label
from mixopt.scenario.cells import Cell
from mixopt.scenario.defaults import default_value
from mixopt.scenario.money import MONEY_PARAMETERS
from mixopt.scenario.outcomes import (
    PostsGroup,
    evaluate_mix,
    posts_splits,
    records_of,
    totals_of,
)
from mixopt.scenario.schema import PARAMETERS, Scenario
from mixopt.solvers.types import Solution, SolveStatus
from mixopt.tier.check import check_mix
from mixopt.tier.model import MixModel
from mixopt.version import mixopt_version

__all__ = ["Plan", "Marginal", "Padding", "find_padding", "padding_text", "make_plan", "objective_label", "objective_of", "mixopt_version", "assumptions_table"]


@dataclass(frozen=True)
class Plan:
    """An optimised (or evaluated) campaign plan, ready to show or export."""

    scenario: Scenario
    cells: tuple[Cell, ...]
    status: SolveStatus
    objective_label: str
    objective_value: float | None
    bound: float | None
    gap: float | None
    allocation: pd.DataFrame
    totals: dict[str, float]
    checks: tuple[RuleCheck, ...]
    solver: str
    solver_version: str
    seconds: float
    notes: tuple[str, ...] = ()
    marginals: tuple[Marginal, ...] = ()
    baseline: Plan | None = None
    mixopt_version: str = field(default_factory=mixopt_version)

    mode = "tier"

    @property
    def feasible(self) -> bool:
        """True when every rule holds on the plan (checked independently of the model)."""
        return all(check.holds for check in self.checks)

    @property
    def broken_rules(self) -> list[RuleCheck]:
        """Rules the plan breaks (empty for every optimised plan mixopt reports)."""
        return [check for check in self.checks if not check.holds]

    @property
    def binding_rules(self) -> list[RuleCheck]:
        """Rules with no room left (excluding the per-cell bookkeeping rows)."""
        return [c for c in self.checks if c.holds and _is_tight(c) and not c.rule.startswith(("whole_", "creators_nonneg", "posts_"))]

    def creators_and_posts(self) -> tuple[dict[str, int], dict[str, int]]:
        """The mix as two dicts keyed by cell (``nano.tiktok``)."""
        creators = {f"{r.tier}.{r.platform}": int(r.creators) for r in self.allocation.itertuples(index=False)}
        posts = {f"{r.tier}.{r.platform}": int(r.posts) for r in self.allocation.itertuples(index=False)}
        return creators, posts

    def posts_split(self) -> dict[str, tuple[PostsGroup, ...]]:
        """How many creators make each number of posts, per cell (``nano.tiktok``), most posts first:
        the most even split of the cell's posts (``split_posts``), computed from the allocation."""
        keys = [f"{t}.{p}" for t, p in zip(self.allocation["tier"], self.allocation["platform"])]
        return dict(zip(keys, posts_splits(self.allocation)))


def _is_tight(check: RuleCheck) -> bool:
    if check.sense == "==":
        return True
    tol = 1e-6 * max(1.0, abs(check.limit))
    if check.unit in ("creators", "posts"):
        return check.slack < 1 - 1e-9
    return check.slack <= tol


def objective_of(scenario: Scenario, totals: dict[str, float]) -> float:
    """The objective's value recomputed from a plan's totals (not from the solver)."""
    goal = objective_label(scenario)
    if goal == "value":
        weights = scenario.objective.value_per_unit or {}
        return float(sum(w * totals[k] for k, w in weights.items()))
    return float(totals[goal])


def _mix_from_solution(model: MixModel, solution: Solution) -> tuple[dict[str, int], dict[str, int]]:
    creators = {k: int(round(solution.values.get(v.name, 0.0))) for k, v in model.creators.items()}
    posts = {k: int(round(solution.values.get(v.name, 0.0))) for k, v in model.posts.items()}
    return creators, posts


def evaluate_plan(
    scenario: Scenario,
    cells: tuple[Cell, ...],
    creators: dict[str, int],
    posts: dict[str, int],
    *,
    status: SolveStatus = SolveStatus.FEASIBLE,
    solver: str = "none",
    solver_version: str = "",
) -> Plan:
    """A Plan for a given mix (a planner's own, or a solver's), with every rule checked."""
    allocation = evaluate_mix(cells, creators, posts, scenario.economics)
    totals = totals_of(allocation, scenario.economics)
    checks = tuple(check_mix(scenario, cells, allocation))
    return Plan(
        scenario=scenario,
        cells=cells,
        status=status,
        objective_label=objective_label(scenario),
        objective_value=objective_of(scenario, totals),
        bound=None,
        gap=None,
        allocation=allocation,
        totals=totals,
        checks=checks,
        solver=solver,
        solver_version=solver_version,
        seconds=0.0,
    )


def _applied_default_notes(cells: tuple[Cell, ...]) -> list[str]:
    overridden = sorted({f"{c.key}.{p}" for c in cells for p in PARAMETERS if c.origins.get(p, "default") != "default"})
    n_default = sum(1 for c in cells for p in PARAMETERS if c.origins.get(p) == "default")
    n_calibrated = sum(1 for c in cells for p in PARAMETERS if c.origins.get(p, "").startswith("calibrated"))
    notes = [f"{n_default} assumptions come from mixopt's built-in defaults (see the Assumptions table and 'mixopt defaults')."]
    if len(overridden) > n_calibrated:
        notes.append(f"{len(overridden) - n_calibrated} assumptions were set by the scenario.")
    if n_calibrated:
        notes.append(f"{n_calibrated} assumptions come from the calibration (assumptions_from).")
    return notes


def _pool_notes(plan_allocation: pd.DataFrame, cells: tuple[Cell, ...]) -> list[str]:
    notes = []
    for cell, row in zip(cells, records_of(plan_allocation)):
        if row["creators"] > 0 and row["creators"] >= cell.accepting_pool:
            notes.append(
                f"{cell.key} uses its whole accepting pool ({cell.accepting_pool} creators = {cell.pool} on-brief x "
                f"{cell.acceptance_rate:.0%} acceptance); invite {row['invites']} to sign them."
            )
    return notes


def make_plan(model: MixModel, solution: Solution, marginals: tuple[Marginal, ...] = ()) -> Plan:
    """Turn a solver's answer into a Plan; figures are recomputed from the formulas and every rule
    is re-checked independently of the model."""
    scenario = model.scenario
    cells = model.cells
    if not solution.status.has_plan:
        empty = evaluate_mix(cells, {}, {}, scenario.economics)
        return Plan(
            scenario=scenario, cells=cells, status=solution.status, objective_label=objective_label(scenario),
            objective_value=None, bound=None, gap=None, allocation=empty, totals=totals_of(empty, scenario.economics),
            checks=(), solver=solution.solver, solver_version=solution.solver_version, seconds=solution.seconds,
            notes=solution.notes,
        )
    creators, posts = _mix_from_solution(model, solution)
    plan = evaluate_plan(scenario, cells, creators, posts, status=solution.status, solver=solution.solver,
                         solver_version=solution.solver_version)
    notes = list(solution.notes)
    status = solution.status
    if not plan.feasible:
        broken = "; ".join(f"{c.label}: {c.value:,.2f} vs {c.limit:,.2f}" for c in plan.broken_rules[:3])
        notes.append(f"independent check failed ({broken}); this answer is not a valid plan")
        status = SolveStatus.NOT_SOLVED
    if solution.objective is not None and plan.objective_value is not None:
        drift = abs(solution.objective - plan.objective_value)
        if drift > 1e-4 * max(1.0, abs(solution.objective)):
            notes.append(
                f"the solver's objective ({solution.objective:,.2f}) differs from the recomputed "
                f"{plan.objective_label} ({plan.objective_value:,.2f}); figures shown are the recomputed ones"
            )
    if status.has_plan:
        notes += _pool_notes(plan.allocation, cells)
        notes += _applied_default_notes(cells)
    gap = solution.gap
    return Plan(
        scenario=scenario, cells=cells, status=status, objective_label=plan.objective_label,
        objective_value=plan.objective_value, bound=solution.bound, gap=gap, allocation=plan.allocation,
        totals=plan.totals, checks=plan.checks, solver=solution.solver, solver_version=solution.solver_version,
        seconds=solution.seconds, notes=tuple(notes), marginals=marginals,
    )


def _source(cell: Cell, name: str, source: str) -> str:
    """A default's source, saying so when a USD money default was converted to the scenario's currency."""
    if name in MONEY_PARAMETERS and cell.fx_per_usd is not None:
        return f"{source}; converted from USD at {cell.fx_per_usd:,.6g} {cell.currency} per USD"
    return source


def assumptions_table(cells: tuple[Cell, ...]) -> pd.DataFrame:
    """Every assumption in force, per cell: value, range, unit, where it came from, and its source."""
    rows = []
    for cell in cells:
        for name in PARAMETERS:
            low, base, high = cell.ranges[name]
            default = default_value(cell.tier, cell.platform, name)
            origin = cell.origins.get(name, "default")
            calibrated = origin.startswith("calibrated")  # 'calibrated (<file>)': a mixopt calibrate value
            rows.append(
                {
                    "tier": cell.tier,
                    "platform": cell.platform,
                    "parameter": name,
                    "low": low,
                    "base": base,
                    "high": high,
                    "unit": cell.currency if name in MONEY_PARAMETERS else (default.unit if default else ""),
                    "denominator": (cell.engagement_rate_per if name == "engagement_rate" else (default.denominator if default else "")),
                    "set_by": origin,
                    "source": _source(cell, name, default.source) if default and origin == "default" else
                    origin if calibrated else "scenario file",
                    "year": default.year if default and origin == "default" else math.nan,
                    "grade": default.grade if default and origin == "default" else "calibrated" if calibrated else "",
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Padding:
    """Spend in one cell that adds nothing to the goal and is there only for spend-share rules:
    the plan's cell against the cheapest creators and posts with the same contribution."""

    cell: str
    creators: int  # creators beyond the cheapest mix
    posts: int  # posts beyond the cheapest mix
    spend: float
    rules: tuple[RuleCheck, ...]  # the spend-share rules the cheaper mix would break


_SPEND_SHARE = ("_spend_share_min[", "_spend_share_max[")


def _is_spend_share(rule: str) -> bool:
    return any(part in rule for part in _SPEND_SHARE)


def find_padding(plan: Plan) -> tuple[Padding, ...]:
    """Per used cell, in the plan's cell order, the fewest posts (then creators) that keep the
    cell's contribution to the goal and every rule but the spend-share rules, on top of the trims
    of the cells before it (a target two cells meet together may have room for one cell's trim,
    not for both); what is left over is padding when dropping it on its own breaks a spend-share
    rule and nothing else. Exact: every candidate mix is evaluated and checked like a plan, and
    before anything is reported all the trims together are checked to keep the goal and every rule
    but the spend-share rules and to break a spend-share rule."""
    s = plan.scenario
    if not plan.status.has_plan or plan.objective_label == "spend" or s.roster is not None:
        return ()
    if not any(_is_spend_share(c.rule) for c in plan.checks):
        return ()  # padding is spend that only keeps a spend-share rule
    creators, posts = plan.creators_and_posts()
    lean_creators, lean_posts = dict(creators), dict(posts)  # the plan with the trims so far
    out = []
    for cell in plan.cells:
        n, p = creators.get(cell.key, 0), posts.get(cell.key, 0)
        if n == 0:
            continue
        goal = _cell_goal(s, cell, n, p)

        def keeps(n2: int, p2: int, cell: Cell = cell, goal: float = goal) -> bool:
            if _cell_goal(s, cell, n2, p2) < goal - 1e-9 * max(1.0, abs(goal)):
                return False
            trial = evaluate_mix(plan.cells, {**lean_creators, cell.key: n2}, {**lean_posts, cell.key: p2},
                                 s.economics)
            return all(c.holds or _is_spend_share(c.rule) for c in check_mix(s, plan.cells, trial))

        n2, p2 = n, p
        for _ in range(2):
            p2 = _fewest(max(n2, 1), p2, lambda q, n2=n2: keeps(n2, q))
            n2 = _fewest(max(math.ceil(p2 / cell.max_posts), 1), n2, lambda m, p2=p2: keeps(m, p2))
        if (n2, p2) == (n, p) or not keeps(n2, p2):
            continue
        alone = evaluate_mix(plan.cells, {**creators, cell.key: n2}, {**posts, cell.key: p2}, s.economics)
        broken = tuple(c for c in check_mix(s, plan.cells, alone) if not c.holds)
        if not broken or not all(_is_spend_share(c.rule) for c in broken):
            continue  # cheaper with the same goal and every rule: a tie, not padding
        lean_creators[cell.key], lean_posts[cell.key] = n2, p2
        saved = float(plan.allocation.loc[plan.allocation["tier"].eq(cell.tier) & plan.allocation["platform"].eq(
            cell.platform), "spend"].sum()) - float(alone["spend"][plan.cells.index(cell)])
        out.append(Padding(cell.key, n - n2, p - p2, saved, broken))
    if out and not _only_shares_break(plan, lean_creators, lean_posts):
        return ()
    return tuple(out)


def _only_shares_break(plan: Plan, creators: dict[str, int], posts: dict[str, int]) -> bool:
    """True when the mix keeps the plan's goal and every rule but the spend-share rules, and breaks
    a spend-share rule, recomputed and checked like a plan."""
    s = plan.scenario
    mix = evaluate_mix(plan.cells, creators, posts, s.economics)
    goal, lean = objective_of(s, plan.totals), objective_of(s, totals_of(mix, s.economics))
    if lean < goal - 1e-9 * max(1.0, abs(goal)):
        return False
    broken = [c.rule for c in check_mix(s, plan.cells, mix) if not c.holds]
    return bool(broken) and all(_is_spend_share(r) for r in broken)


def _cell_goal(s: Scenario, cell: Cell, n: int, p: int) -> float:
    """One cell's contribution to the goal (its own totals, as if it were the whole plan)."""
    row = evaluate_mix((cell,), {cell.key: n}, {cell.key: p}, s.economics)
    return objective_of(s, totals_of(row, s.economics))


def _fewest(low: int, high: int, ok: object) -> int:
    """The smallest k in [low, high] with ok(k), given ok(high) and ok monotone (binary search)."""
    assert callable(ok)
    if low >= high:
        return high
    while low < high:
        mid = (low + high) // 2
        if ok(mid):
            high = mid
        else:
            low = mid + 1
    return high


def padding_text(pad: Padding, goal: str, currency: str, cost: float | None = None) -> str:
    """One sentence: '1,230 USD of nano.tiktok posts (73 posts) add no reach; they keep micro under
    60% of spend', with what the rule costs when known (the goal given up, re-solved without it)."""
    what = " and ".join(x for x in ((f"{pad.creators} creators" if pad.creators else ""),
                                    (f"{pad.posts} posts" if pad.posts else "")) if x)
    kind = "creators and posts" if pad.creators and pad.posts else "creators" if pad.creators else "posts"
    keeps = " and ".join(keeps_text(c) for c in pad.rules)
    unit = currency if goal in ("revenue", "profit", "value") else goal
    text = (f"{pad.spend:,.0f} {currency} of {pad.cell} {kind} ({what}) add no {goal}; they {keeps}")
    if cost is not None and len(pad.rules) == 1:
        text += (f"; the rule costs {cost:,.0f} {unit} (re-solved without it)" if cost > 1e-6
                 else f"; re-solved without the rule the plan has no more {goal}")
    return text + "."
