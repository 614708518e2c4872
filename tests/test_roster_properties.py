"""Property-based tests of roster mode (Hypothesis) against an independent exact solve.

Random creator tables (``mixopt.synth.synthetic_roster`` with random seeds, then edited: small
overlap groups, zero-cost creators, a numeric 'hours' column with gaps, must-include and
exclude flags) and random roster scenarios (budget, a KPI floor, team cap, tier / platform
bands, cell rules, category quotas, overlap cap, resource caps, every goal including
'minimize: spend', posts per creator fixed or chosen) go through the public entry point
``optimize_roster``. The reference is a PuLP + CBC model written here from FORMULATION.md
section 2 (one binary ``x_i`` per creator, integer extra posts ``0 <= q_i <= k x_i``), solved
with gap 0. For every example:

(a) mixopt and the reference agree on infeasible versus optimal;
(b) with ``roster.mip_gap: 0`` the objectives are equal (1e-6 relative); with a gap, mixopt's
    plan is within that gap of the true optimum;
(c) mixopt's reported bound is never beyond the true optimum (above it when maximising, below
    it when minimising spend), and its gap is what its objective and bound say;
(d) every returned plan passes the independent rule check (``plan.feasible``), and its
    objective recomputed here from the chosen creators and posts equals the reported one.

The LP relaxation + exact core path (reduced costs, fixed creators, flip cost) normally runs
only above 2,000 columns; one property forces it on small rosters by shrinking
``DIRECT_MIP_CREATORS`` and ``FIRST_CORE`` (so the bound really rests on the flip cost and
the core's bound), a third of the time with CBC for the cores (``HIGHS_CORE_LIMIT`` 0, the
path of cores above 20,000 columns) and three times in four with the LP sifted from a tiny
first working set (the path above 50,000 creators), and one runs it as shipped on 2,500-4,000 creators
against CBC at a 1e-6 gap. The CI profile runs a fixed (derandomized) set of examples in about 30 s;
``MIXOPT_LONG_TESTS=1`` scales them up with fresh random examples.

The last section keeps the bugs these properties (and the review beside them) found, each
with its minimal reproduction: a strict xfail while open, a plain regression test once fixed.
"""

from __future__ import annotations

import math
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pulp
import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import mixopt.roster.solve as roster_solve
import mixopt.solvers.clp as clp
from mixopt.roster.model import build_roster_model
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.plan import RosterPlan
from mixopt.roster.table import load_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.schema import Scenario
from mixopt.solvers.engine import cbc_path
from mixopt.solvers.types import SolveStatus
from mixopt.synth import synthetic_roster

# ----------------------------------------------------------------------------- budgets

LONG = bool(os.environ.get("MIXOPT_LONG_TESTS"))
#: Examples per property in the loaded profile (100 in "ci", 20,000 in "long").
PROFILE_EXAMPLES = settings().max_examples
DERANDOMIZE = not LONG
#: Each example is one mixopt solve and one CBC subprocess solve (~0.2-0.4 s together): half the
#: profile's examples in CI (50), and 30 of the forced core path, to keep the suite within minutes.
EXACT_EXAMPLES = max(10, PROFILE_EXAMPLES // 2)
CORE_EXAMPLES = max(10, PROFILE_EXAMPLES * 3 // 10)
#: Thousands of creators, CBC at a 1e-6 gap: a few seconds each.
LARGE_EXAMPLES = 3 if not LONG else 60

TIERS = ("pico", "nano", "micro")
PLATFORMS = ("instagram", "tiktok", "youtube")
KPIS = ("reach", "impressions", "engagements", "conversions")
GOALS = ("reach", "impressions", "engagements", "conversions", "revenue", "profit", "value", "column", "min_spend")
#: Relative tolerance of objective and bound comparisons (solver feasibility tolerances).
TOL = 1e-6

# ----------------------------------------------------------------------------- fenced regions
# A flag set to False keeps the properties out of one reported bug's region while the bug is
# pinned by a strict xfail in the last section; True once fixed, so the properties cover the
# region again.

#: A creator column or rule row with no nonzero, last in the model (a free last creator under a
#: budget-only scenario; a band over a platform the table lacks): CLP dropped it (was a crash).
CLP_KEEPS_TRAILING_EMPTY_ROWS_AND_COLUMNS = True
#: A min_spend_share rule on a plan with no spend at all (was reported broken by the check).
ZERO_SPEND_SHARE_CHECK_FIXED = True
#: A CBC core (above HIGHS_CORE_LIMIT) under a nonzero gap: its bound assumed CBC used an absolute
#: allowance of target_gap / 4 x |LP objective|, so a plan CBC proved optimal could end 'feasible'.
CBC_CORE_GAP_IS_CERTIFIED = True
#: A core solved by HiGHS under a nonzero gap gets an absolute allowance, mip_abs_gap =
#: target_gap / 4 x |LP objective|; on a small roster whose LP objective is several times the
#: integer optimum (a budget that fits few creators), HiGHS stops inside that allowance with a
#: certified gap above the target, and with the whole roster in the core (every roster up to
#: 2,000 columns) the solve ends 'feasible' although nothing stopped it. The plan found is
#: optimal in every example seen. See test_a_small_roster_meets_its_gap below.
HIGHS_CORE_GAP_IS_CERTIFIED = False
#: A CBC core whose rows hold no nonzero at all (every creator free, a budget-only scenario): the
#: bundled CBC aborts on such a model, and solve_arrays reports 'not_solved' with no note, so
#: the roster ends 'not_solved'. See test_a_cbc_core_without_nonzeros_is_solved below.
CBC_SOLVES_A_MODEL_WITHOUT_NONZEROS = False


def num(low: float, high: float, places: int = 2) -> st.SearchStrategy[float]:
    """A decimal number in [low, high] with ``places`` decimals."""
    scale = 10**places
    return st.integers(math.ceil(low * scale), math.floor(high * scale)).map(lambda i: i / scale)


# ----------------------------------------------------------------------------- creator tables


@st.composite
def creator_tables(draw: st.DrawFn, low: int = 10, high: int = 60) -> pd.DataFrame:
    """A synthetic creator table with small overlap groups, optional free creators, an 'hours'
    column with gaps, and a few must-include / exclude flags."""
    n = draw(st.integers(low, high))
    seed = draw(st.integers(0, 2**32 - 1))
    frame = synthetic_roster(n, seed, flag_share=0.0)
    rng = np.random.default_rng(seed + 1)
    groups = draw(st.integers(1, max(2, n // 4)))
    frame["overlap_group"] = np.where(rng.random(n) < 0.3, "", np.char.add("g", rng.integers(0, groups, n).astype(str)))
    frame["hours"] = np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 9, n).astype(float))
    free = draw(st.sampled_from([0.0, 0.0, 0.2, 1.0]))  # creators who cost nothing at all
    if free:
        gratis = rng.random(n) < free
        if not CLP_KEEPS_TRAILING_EMPTY_ROWS_AND_COLUMNS:
            gratis[-1] = False  # keeps the last column in the budget row (the fence below does the rest)
        frame.loc[gratis, ["fee_per_post", "product_cost"]] = 0.0
        frame["handling_cost"] = np.where(gratis, 0.0, np.nan)
    if draw(st.integers(0, 3)) == 0:  # no views at all: every reach from the tier's reach rate
        frame["average_views"] = np.nan
    must = draw(st.lists(st.integers(0, n - 1), max_size=draw(st.sampled_from([0, 0, 1, 2])), unique=True))
    exclude = draw(st.lists(st.integers(0, n - 1).filter(lambda i: i not in must), max_size=3, unique=True))
    frame.loc[must, "must_include"] = 1
    frame.loc[exclude, "exclude"] = 1
    return frame


# ----------------------------------------------------------------------------- scenarios


@st.composite
def band(draw: st.DrawFn, share_cap: float, budget: float, count: int) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        rule["min_spend_share"] = draw(num(0, share_cap, 2))
    if draw(st.integers(0, 2)) == 0:
        # at least 5 points above the min: a band of one exact share (min = max) makes a tiny roster a
        # needle-in-a-haystack MIP (38 creators took HiGHS 15 s and CBC 8 s), too slow for CI
        rule["max_spend_share"] = draw(num(min(rule.get("min_spend_share", 0.0) + 0.05, 1.0), 1, 2))
    if draw(st.integers(0, 5)) == 0:
        rule["min_spend"] = draw(num(0, budget / 3, 0))
    if draw(st.integers(0, 5)) == 0:
        rule["max_spend"] = rule.get("min_spend", 0.0) + draw(num(0, budget, 0))
    if draw(st.integers(0, 4)) == 0:
        rule["min_creators"] = draw(st.integers(0, min(3, count)))
    if draw(st.integers(0, 4)) == 0:
        rule["max_creators"] = rule.get("min_creators", 0) + draw(st.integers(0, count))
    return rule


@st.composite
def roster_scenarios(draw: st.DrawFn, table: pd.DataFrame, n: int) -> dict[str, Any]:
    """A valid roster scenario as a dict, its numbers scaled to ``table`` (the creators' spend,
    KPIs and hours when each makes its base posts; ``most`` is at the most posts)."""
    posts = draw(st.sampled_from([1, 1, 1, 2, 3]))
    most = posts + draw(st.sampled_from([0, 0, 1, 2, 3]))
    goal = draw(st.sampled_from(GOALS))
    d: dict[str, Any] = {"roster": {"posts_per_creator": posts, "mip_gap": draw(
        st.sampled_from([0.0, 0.0, 0.0, 0.001, 0.01, 0.05]))}}
    if most > posts:
        d["roster"]["max_posts_per_creator"] = most
    if draw(st.booleans()):  # a planner who writes the default out
        d["roster"]["max_posts_per_creator"] = most
    spend_all = float(table["spend"].sum()) + float((table["fee_per_post"] * (most - posts)).sum())
    scale = {k: float(table[k].sum()) * (1 if k == "reach" else most / posts) for k in KPIS}
    economics: dict[str, Any] = {}
    if goal in ("revenue", "profit") or draw(st.integers(0, 3)) == 0:
        aov = draw(st.sampled_from([0.5, 5.0, 45.0, 200.0]))  # 0.5: every creator loses money
        economics["average_order_value"] = aov
        if draw(st.booleans()):
            economics["margin_rate"] = draw(num(0.1, 1, 2))
        if draw(st.booleans()):
            economics["commission_per_conversion"] = draw(num(0, aov * economics.get("margin_rate", 1.0), 2))
        d["economics"] = economics
    if goal == "min_spend":
        d["objective"] = {"minimize": "spend"}
    elif goal == "value":
        kpis = draw(st.lists(st.sampled_from(KPIS), min_size=1, max_size=4, unique=True))
        d["objective"] = {"maximize": "value", "value_per_unit": {k: draw(num(0, 5, 3)) for k in kpis}}
    elif goal == "column":
        d["objective"] = {"maximize": "column", "column": draw(st.sampled_from(["fit_score", "hours"]))}
    else:
        d["objective"] = {"maximize": goal}
    minimise = goal == "min_spend"
    budget = spend_all
    if not minimise or draw(st.booleans()):
        budget = float(math.floor(spend_all * draw(st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2]))))
        d["budget"] = budget
    targets: dict[str, float] = {}
    wanted = draw(st.lists(st.sampled_from([*KPIS, "revenue"]), unique=True, max_size=2))
    if not minimise and draw(st.booleans()):
        wanted = []  # half the maximise scenarios carry no floor
    if minimise and not wanted:
        wanted = [draw(st.sampled_from(KPIS))]
    for kpi in wanted:
        if kpi == "revenue":
            if "average_order_value" not in economics:
                economics["average_order_value"] = 45.0
                d["economics"] = economics
            top = economics["average_order_value"] * scale["conversions"]
        else:
            top = scale[kpi]
        share = draw(st.sampled_from([0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.9, 1.3]))
        targets[kpi] = math.floor(top * share * 100) / 100
    if minimise and not any(targets.values()):
        targets["reach"] = max(math.floor(scale["reach"] * 0.5), 1.0)
    if targets:
        d["targets"] = targets
    rules: dict[str, Any] = {}
    if draw(st.booleans()):
        rules["max_creators"] = draw(st.integers(0, n))
    for group, names in (("tiers", TIERS), ("platforms", PLATFORMS)):
        picked = draw(st.lists(st.sampled_from(names), unique=True, max_size=2))
        bands = {}
        for name in picked:
            rule = draw(band(0.3, budget, n))
            if rule:
                bands[name] = rule
        if bands:
            rules[group] = bands
    cells = {}
    for key in draw(st.lists(st.sampled_from([f"{t}.{p}" for t in TIERS for p in PLATFORMS]), unique=True,
                             max_size=2 if draw(st.booleans()) else 0)):
        if draw(st.booleans()):
            cells[key] = {"lock": draw(st.integers(0, 2))}
        else:
            rule = {}
            if draw(st.booleans()):
                rule["min_creators"] = draw(st.integers(0, 2))
            if draw(st.booleans()):
                rule["max_creators"] = rule.get("min_creators", 0) + draw(st.integers(0, 4))
            if rule:
                cells[key] = rule
    if cells:
        rules["cells"] = cells
    if "max_creators" in rules:  # the scenario checks want room for every minimum and lock
        bands = [*rules.get("tiers", {}).values(), *rules.get("platforms", {}).values(), *cells.values()]
        need = max([sum(r.get("lock", 0) for r in cells.values()), *(r.get("min_creators", 0) for r in bands)])
        rules["max_creators"] = max(rules["max_creators"], need)
    if rules:
        d["rules"] = rules
    categories = {}
    present = sorted(set(table["category"]) - {""})  # a quota names a category of the table
    for name in draw(st.lists(st.sampled_from(present), unique=True, max_size=3)):
        rule = {}
        if draw(st.booleans()):
            rule["min_creators"] = draw(st.integers(0, 2))
        if draw(st.booleans()):
            rule["max_creators"] = rule.get("min_creators", 0) + draw(st.integers(0, 4))
        categories[name] = rule
    if categories:
        d["roster"]["categories"] = categories
    if draw(st.integers(0, 2)) == 0:
        d["roster"]["max_per_overlap_group"] = draw(st.integers(0, 3))
    caps = {}
    if draw(st.integers(0, 2)) == 0:
        caps["hours"] = float(math.floor(np.nansum(table["hours"]) * draw(st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.5, 0.7]))))
    if draw(st.integers(0, 4)) == 0:
        caps["fit_score"] = draw(st.sampled_from([0.0, 1.0, 2.5, 5.0, 10.0]))
    if caps:
        d["roster"]["resource_caps"] = caps
    return d


def _write(frame: pd.DataFrame, folder: Path) -> Path:
    path = folder / "creators.csv"
    frame.to_csv(path, index=False)
    return path


def _scenario(data: dict[str, Any], table: Path, folder: Path) -> Scenario:
    data = {**data, "roster": {**data["roster"], "file": str(table)}}
    return scenario_from_dict(data, file=str(folder / "s.yaml"))


def _base_table(table: Path, folder: Path) -> pd.DataFrame:
    """The creators' derived numbers (spend, KPIs) at one post each, to scale a scenario's numbers."""
    probe = scenario_from_dict({"budget": 1.0, "roster": {"file": str(table)}}, file=str(folder / "probe.yaml"))
    return load_roster(probe).table


# ----------------------------------------------------------------------------- the reference


def _per_creator(scenario: Scenario, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per creator: what the base posts (x) and each extra post (q) bring, from the table's
    per-post figures and costs (FORMULATION.md section 2), not from mixopt's model arrays."""
    assert scenario.roster is not None
    base = float(scenario.roster.posts_per_creator)
    fee = table["fee_per_post"].to_numpy(float)
    fixed = table["product_cost"].to_numpy(float) + table["handling_cost"].to_numpy(float)
    out = {"spend_x": base * fee + fixed, "spend_q": fee,
           "reach_x": table["reach"].to_numpy(float), "reach_q": np.zeros(len(table))}
    for kpi in ("impressions", "engagements", "conversions"):
        per_post = table[f"{kpi}_per_post"].to_numpy(float)
        out[f"{kpi}_x"], out[f"{kpi}_q"] = base * per_post, per_post
    eco = scenario.economics
    aov = eco.average_order_value or 0.0
    out["revenue_x"], out["revenue_q"] = aov * out["conversions_x"], aov * out["conversions_q"]
    return out


def _goal(scenario: Scenario, table: pd.DataFrame, per: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The goal's coefficients on (x, q), in the planner's sense."""
    obj = scenario.objective
    eco = scenario.economics
    if obj.minimize == "spend":
        return per["spend_x"], per["spend_q"]
    goal = obj.maximize
    if goal in (*KPIS, "revenue"):
        return per[f"{goal}_x"], per[f"{goal}_q"]
    if goal == "profit":
        keep = (eco.average_order_value or 0.0) * eco.margin_rate - eco.commission_per_conversion
        return (keep * per["conversions_x"] - per["spend_x"], keep * per["conversions_q"] - per["spend_q"])
    if goal == "value":
        assert obj.value_per_unit
        wx = sum((w * per[f"{k}_x"] for k, w in obj.value_per_unit.items()), np.zeros(len(table)))
        wq = sum((w * per[f"{k}_q"] for k, w in obj.value_per_unit.items()), np.zeros(len(table)))
        return wx, wq
    assert goal == "column" and obj.column
    return np.nan_to_num(table[obj.column].to_numpy(float)), np.zeros(len(table))


def _value_of(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray, posts: np.ndarray) -> float:
    """The goal of a choice (creators and their posts), computed here."""
    assert scenario.roster is not None
    gx, gq = _goal(scenario, table, _per_creator(scenario, table))
    extra = np.where(chosen, np.asarray(posts, float) - scenario.roster.posts_per_creator, 0.0)
    return float(gx @ chosen.astype(float) + gq @ extra)


def _exact(scenario: Scenario, gap: float = 0.0) -> tuple[str, float | None]:
    """('optimal', objective) or ('infeasible', None) from a plain PuLP + CBC model."""
    s = scenario
    assert s.roster is not None
    table = load_roster(s).table
    n = len(table)
    k = (s.roster.max_posts_per_creator or s.roster.posts_per_creator) - s.roster.posts_per_creator
    per = _per_creator(s, table)
    maximise = s.objective.minimize is None
    prob = pulp.LpProblem("roster_reference", pulp.LpMaximize if maximise else pulp.LpMinimize)
    x = [prob.add_variable(f"x{i:05d}", 0, 1, pulp.LpBinary) for i in range(n)]
    q = [prob.add_variable(f"q{i:05d}", 0, k, pulp.LpInteger) for i in range(n)] if k else []

    def expr(on_x: np.ndarray, on_q: np.ndarray | None = None, mask: np.ndarray | None = None) -> pulp.LpAffineExpression:
        idx = range(n) if mask is None else np.nonzero(mask)[0]
        terms = [(x[i], float(on_x[i])) for i in idx if on_x[i] != 0]
        if k and on_q is not None:
            terms += [(q[i], float(on_q[i])) for i in idx if on_q[i] != 0]
        return pulp.LpAffineExpression(terms)

    count = 0
    broken = False  # a rule over no creator (all zero coefficients) that fails on its own

    def add(constraint: Any) -> None:
        nonlocal count, broken
        if len(constraint) == 0:  # CBC refuses an empty row: it holds or fails by itself
            broken = broken or not constraint.valid(1e-9)
            return
        count += 1
        prob.addConstraint(constraint, name=f"r{count:05d}")

    ones = np.ones(n)
    spend_x, spend_q = per["spend_x"], per["spend_q"]
    gx, gq = _goal(s, table, per)
    # CBC's tolerances are absolute: a goal worth 1e-4 per creator (a value blend with a small
    # weight) lets it stop at a plan 1e-4 below the optimum and call it optimal. Scale the goal.
    largest = max(float(np.abs(gx).max(initial=0.0)), float(np.abs(gq).max(initial=0.0)))
    scale = 1e3 / largest if largest > 0 else 1.0
    prob.setObjective(expr(gx * scale, gq * scale))
    if s.budget is not None:
        add(expr(spend_x, spend_q) <= s.budget)
    for kpi in (*KPIS, "revenue"):
        floor = getattr(s.targets, kpi)
        if floor:
            add(expr(per[f"{kpi}_x"], per[f"{kpi}_q"]) >= floor)
    if s.rules.max_creators is not None:
        add(expr(ones) <= s.rules.max_creators)
    for column, bands in (("tier", s.rules.tiers), ("platform", s.rules.platforms)):
        for name, b in bands.items():
            member = (table[column] == name).to_numpy()
            in_x, in_q = spend_x * member, spend_q * member
            if b.min_spend_share is not None:
                add(expr(in_x - b.min_spend_share * spend_x, in_q - b.min_spend_share * spend_q) >= 0)
            if b.max_spend_share is not None:
                add(expr(in_x - b.max_spend_share * spend_x, in_q - b.max_spend_share * spend_q) <= 0)
            if b.min_spend is not None:
                add(expr(in_x, in_q) >= b.min_spend)
            if b.max_spend is not None:
                add(expr(in_x, in_q) <= b.max_spend)
            if b.min_creators is not None:
                add(expr(ones, None, member) >= b.min_creators)
            if b.max_creators is not None:
                add(expr(ones, None, member) <= b.max_creators)
    key = (table["tier"] + "." + table["platform"]).to_numpy()
    for cell, rule in s.rules.cells.items():
        member = key == cell
        if rule.lock is not None:
            add(expr(ones, None, member) == rule.lock)
        if rule.min_creators is not None:
            add(expr(ones, None, member) >= rule.min_creators)
        if rule.max_creators is not None:
            add(expr(ones, None, member) <= rule.max_creators)
    for name, rule in s.roster.categories.items():
        member = (table["category"] == name).to_numpy()
        if rule.min_creators is not None:
            add(expr(ones, None, member) >= rule.min_creators)
        if rule.max_creators is not None:
            add(expr(ones, None, member) <= rule.max_creators)
    if s.roster.max_per_overlap_group is not None:
        for group in set(table["overlap_group"]) - {""}:
            add(expr(ones, None, (table["overlap_group"] == group).to_numpy()) <= s.roster.max_per_overlap_group)
    for column, limit in s.roster.resource_caps.items():
        add(expr(np.nan_to_num(table[column].to_numpy(float))) <= limit)
    for i in range(n):
        if table["must_include"].iloc[i]:
            add(pulp.LpAffineExpression([(x[i], 1.0)]) >= 1)
        if table["exclude"].iloc[i]:
            add(pulp.LpAffineExpression([(x[i], 1.0)]) <= 0)
        if k:
            add(pulp.LpAffineExpression([(q[i], 1.0), (x[i], -float(k))]) <= 0)
    if broken:
        return "infeasible", None
    prob.solve(pulp.COIN_CMD(path=cbc_path(), msg=False, gapRel=gap))
    status = pulp.LpStatus[prob.status]
    if status == "Infeasible":
        return "infeasible", None
    assert status == "Optimal", status
    chosen = np.array([(v.varValue or 0.0) > 0.5 for v in x])
    extra = np.array([round(v.varValue or 0.0) for v in q]) if k else np.zeros(n)
    return "optimal", float(gx @ chosen + gq @ (extra * chosen))  # the goal of CBC's plan, unscaled


# ----------------------------------------------------------------------------- the checks


def _zero_spend_share_region(scenario: Scenario, plan: RosterPlan) -> bool:
    """Is this plan in the open bug's region (a min_spend_share rule, no spend at all)?"""
    shares = [b.min_spend_share for b in (*scenario.rules.tiers.values(), *scenario.rules.platforms.values())]
    return (not ZERO_SPEND_SHARE_CHECK_FIXED and any(s for s in shares)
            and plan.totals.get("spend", 1.0) <= 1e-9)


def _cbc_without_nonzeros_region(scenario: Scenario) -> bool:
    """Would a CBC core see a model with no nonzero (the open bug)?"""
    if CBC_SOLVES_A_MODEL_WITHOUT_NONZEROS:
        return False
    return len(build_roster_model(scenario, load_roster(scenario)).arrays.index) == 0


def _clp_truncation_region(scenario: Scenario) -> bool:
    """Would CLP drop a trailing empty row or column of this scenario's model (the open bug)?"""
    if CLP_KEEPS_TRAILING_EMPTY_ROWS_AND_COLUMNS:
        return False
    arrays = build_roster_model(scenario, load_roster(scenario)).arrays
    rows = len(arrays.row_names)
    if rows == 0:
        return False  # lp_relaxation adds a free row of its own here, and sizes it right
    if len(arrays.index) == 0:
        return True
    last_row = int(np.repeat(np.arange(rows), np.diff(arrays.starts)).max())
    return last_row < rows - 1 or int(arrays.index.max()) < arrays.num_col - 1


def _check_against_exact(scenario: Scenario, plan: RosterPlan, exact: tuple[str, float | None], *,
                         may_fall_short: bool = False) -> None:
    """The four properties (a)-(d). ``may_fall_short``: a fenced region where a plan may come
    back 'feasible' with a certified gap above the target (the bound must still be a bound)."""
    sol = plan.solution
    status, optimum = exact
    maximise = scenario.objective.minimize is None
    assert scenario.roster is not None
    gap = scenario.roster.mip_gap
    note(f"mixopt: {sol.status} objective={sol.objective} bound={sol.bound} gap={sol.gap} method={sol.method} "
         f"core={sol.core_size} rounds={sol.rounds}; reference: {status} {optimum}")
    event(f"reference: {status}")
    if status == "infeasible":
        assert sol.status is SolveStatus.INFEASIBLE
        assert sol.chosen is None
        return
    event(f"mixopt: {sol.method}, {sol.rounds} round(s)")
    event("chosen: none" if sol.chosen is None or not sol.chosen.any() else "chosen: some")
    assert optimum is not None
    allowance = gap / 4 * abs(sol.lp_objective or 0.0)  # HiGHS' absolute allowance (the open bug)
    explained = (sol.objective is not None and sol.bound is not None
                 and abs(sol.bound - sol.objective) <= allowance * (1 + 1e-9) + 1e-9)
    if sol.status is SolveStatus.FEASIBLE and (may_fall_short or (not HIGHS_CORE_GAP_IS_CERTIFIED and explained)):
        event("fenced: a core's certified gap fell short of the target")
        gap = max(gap, sol.gap or 0.0)
    else:
        assert sol.status is SolveStatus.OPTIMAL  # no deadline: always proven within the scenario's gap
    assert sol.objective is not None and sol.bound is not None and sol.gap is not None
    tol = TOL * max(1.0, abs(optimum))
    # (c) the bound is a bound, and the gap is what objective and bound say
    if maximise:
        assert sol.bound >= optimum - tol
        assert sol.objective <= optimum + tol
        assert sol.bound >= sol.objective - tol
    else:
        assert sol.bound <= optimum + tol
        assert sol.objective >= optimum - tol
        assert sol.bound <= sol.objective + tol
    assert sol.gap <= gap + 1e-12
    assert math.isclose(sol.gap, abs(sol.objective - sol.bound) / max(abs(sol.objective), 1e-9), rel_tol=1e-9,
                        abs_tol=1e-12)
    # (b) equal at gap 0, within the gap otherwise
    if gap == 0:  # (gap is the scenario's, or in the fenced region the certified one)
        assert math.isclose(sol.objective, optimum, rel_tol=TOL, abs_tol=TOL)
    else:
        short = (optimum - sol.objective) if maximise else (sol.objective - optimum)
        assert short <= gap * abs(sol.objective) + tol
    # (d) the plan keeps every rule and is worth what mixopt says
    assert sol.chosen is not None and sol.posts is not None
    table = plan.roster.table
    assert math.isclose(_value_of(scenario, table, sol.chosen, sol.posts), sol.objective, rel_tol=1e-9, abs_tol=1e-9)
    assert (sol.posts[~sol.chosen] == 0).all()
    if _zero_spend_share_region(scenario, plan):
        broken = {c.rule for c in plan.checks if not c.holds}
        assert all(r.startswith(("tier_spend_share_min", "platform_spend_share_min")) for r in broken), broken
    else:
        assert plan.feasible, [c for c in plan.checks if not c.holds]


# ----------------------------------------------------------------------------- properties


@settings(max_examples=EXACT_EXAMPLES, derandomize=DERANDOMIZE)
@given(st.data())
def test_a_roster_solve_matches_an_exact_cbc_solve_and_its_bound_is_a_bound(data: st.DataObject) -> None:
    frame = data.draw(creator_tables())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        table = _write(frame, folder)
        d = data.draw(roster_scenarios(_base_table(table, folder), len(frame)))
        note(repr(d))
        scenario = _scenario(d, table, folder)
        if _clp_truncation_region(scenario):
            event("fenced: CLP would drop a trailing empty row or column")
            return
        plan = optimize_roster(scenario)
        _check_against_exact(scenario, plan, _exact(scenario))


@settings(max_examples=CORE_EXAMPLES, derandomize=DERANDOMIZE)
@given(st.data(), st.integers(1, 12), st.sampled_from(["highs", "highs", "cbc"]), st.sampled_from([0, 1, 4, 12]))
def test_the_lp_and_core_path_on_small_rosters_certifies_a_true_bound(data: st.DataObject, first_core: int,
                                                                      core_solver: str, sifting_set: int) -> None:
    """The path big rosters take (CLP duals, reduced costs, fixed creators, flip cost, growing
    core, CBC for cores above HIGHS_CORE_LIMIT, the LP sifted from a first working set of
    ``sifting_set`` creators; 0: not sifted), forced on 10-60 creators so an exact solve can
    judge every bound it reports."""
    frame = data.draw(creator_tables(low=12, high=60))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        table = _write(frame, folder)
        d = data.draw(roster_scenarios(_base_table(table, folder), len(frame)))
        note(repr(d))
        scenario = _scenario(d, table, folder)
        if _clp_truncation_region(scenario):
            event("fenced: CLP would drop a trailing empty row or column")
            return
        if core_solver == "cbc" and _cbc_without_nonzeros_region(scenario):
            event("fenced: a CBC core without nonzeros")
            return
        with ExitStack() as stack:
            stack.enter_context(mock.patch.object(roster_solve, "DIRECT_MIP_CREATORS", 0))
            stack.enter_context(mock.patch.object(roster_solve, "FIRST_CORE", first_core))
            if core_solver == "cbc":
                stack.enter_context(mock.patch.object(roster_solve, "HIGHS_CORE_LIMIT", 0))
            if sifting_set:
                stack.enter_context(mock.patch.object(clp, "SIFTING_COLUMNS", 0))
                stack.enter_context(mock.patch.object(clp, "_FIRST_SET", sifting_set))
            event(f"LP sifted: {bool(sifting_set)}")
            plan = optimize_roster(scenario, reserves=False)  # the solve is judged here; (a) lists reserves too
        sol = plan.solution
        if sol.status is not SolveStatus.INFEASIBLE:
            assert sol.rounds >= 1 and sol.core_size >= 1
        fenced = core_solver == "cbc" and not CBC_CORE_GAP_IS_CERTIFIED
        _check_against_exact(scenario, plan, _exact(scenario), may_fall_short=fenced)


@settings(max_examples=LARGE_EXAMPLES, derandomize=DERANDOMIZE)
@given(st.integers(2_500, 4_000), st.integers(0, 2**32 - 1), st.sampled_from(["conversions", "profit", "min_spend"]),
       st.sampled_from([0.001, 0.01]), st.booleans())
def test_the_lp_and_core_path_as_shipped_keeps_its_bound_and_gap_on_thousands_of_creators(
        n: int, seed: int, goal: str, gap: float, posts_vary: bool) -> None:
    frame = synthetic_roster(n, seed, flag_share=0.002)
    frame["overlap_group"] = [f"g{g:04d}" for g in np.random.default_rng(seed).integers(0, n // 4, n)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        table = _write(frame, folder)
        base = _base_table(table, folder)
        d: dict[str, Any] = {
            "budget": float(math.floor(base["spend"].sum() * 0.05)),
            "economics": {"average_order_value": 45.0, "margin_rate": 0.6},
            "targets": {"reach": float(math.floor(base["reach"].sum() * 0.04))},
            "rules": {"max_creators": n // 15, "tiers": {"micro": {"max_spend_share": 0.6}, "pico": {"min_creators": 3}},
                      "platforms": {"youtube": {"max_spend_share": 0.3}}},
            "roster": {"mip_gap": gap, "categories": {"beauty": {"min_creators": 2}, "gaming": {"max_creators": 10}},
                       "max_per_overlap_group": 2},
        }
        if goal == "min_spend":
            d["objective"] = {"minimize": "spend"}
            d["targets"]["conversions"] = float(math.floor(base["conversions"].sum() * 0.02))
            d.pop("budget")
        else:
            d["objective"] = {"maximize": goal}
        if posts_vary:
            d["roster"]["max_posts_per_creator"] = 3
        note(repr(d))
        scenario = _scenario(d, table, folder)
        plan = optimize_roster(scenario, reserves=False)
        sol = plan.solution
        status, reference = _exact(scenario, gap=1e-6)  # CBC's plan: a floor under (or a ceiling over) the optimum
        note(f"mixopt: {sol.status} {sol.objective} bound={sol.bound} gap={sol.gap} {sol.method} core={sol.core_size}; "
             f"CBC: {status} {reference}")
    if status == "infeasible":
        assert sol.status is SolveStatus.INFEASIBLE
        return
    assert reference is not None
    assert sol.status is SolveStatus.OPTIMAL and plan.feasible
    assert sol.lp_objective is not None  # the LP ran first, and a core smaller than the roster came next:
    assert sol.method == "LP relaxation + exact core" or sol.rounds >= 2  # (it grows to the whole when needed)
    event(f"mixopt: {sol.method}, {sol.rounds} round(s), core {sol.core_size} of {n} creators")
    assert sol.objective is not None and sol.bound is not None and sol.gap is not None and sol.gap <= gap + 1e-12
    tol = 2e-6 * max(1.0, abs(reference))  # CBC's own 1e-6 gap plus tolerances
    if goal == "min_spend":  # the true optimum lies in [CBC bound, CBC plan]: bound <= optimum <= reference
        assert sol.bound <= reference + tol
        assert sol.objective <= reference / (1 - gap) + tol
    else:  # reference <= optimum <= bound
        assert sol.bound >= reference - tol
        assert sol.objective >= reference - gap * abs(sol.objective) - tol
    assert math.isclose(_value_of(scenario, plan.roster.table, sol.chosen, sol.posts), sol.objective,  # type: ignore[arg-type]
                        rel_tol=1e-9)


# ----------------------------------------------------------------------------- bugs found
# Each was first pinned here as a strict xfail, with its region fenced off above. The first four
# are fixed (commits f59e74f, 92a1b1a) and stand as plain regression tests; the last two are open.


def test_a_min_spend_share_holds_on_a_plan_with_no_spend(tmp_path: Path) -> None:
    """Was: check_roster_choice took the share as 0 / 0 := 0 and reported 'min_spend_share: 0.2'
    broken on an empty plan (the model's row, spend - 0.2 x total >= 0, holds there), so a profit
    goal that loses money on every creator made 'mixopt solve' exit with a broken-rule error."""
    frame = synthetic_roster(10, 1, flag_share=0.0)
    table = _write(frame, tmp_path)
    scenario = _scenario({"budget": 5000.0, "objective": {"maximize": "profit"},
                          "economics": {"average_order_value": 1.0},
                          "rules": {"tiers": {"pico": {"min_spend_share": 0.2}}}, "roster": {"mip_gap": 0.0}},
                         table, tmp_path)
    plan = optimize_roster(scenario)
    assert plan.status is SolveStatus.OPTIMAL and plan.totals["creators"] == 0  # every creator loses money
    assert _exact(scenario) == ("optimal", 0.0)
    assert plan.feasible, [c.rule for c in plan.checks if not c.holds]


@pytest.mark.parametrize("gap", [0.0, 0.05])
def test_the_command_lines_mip_gap_reaches_the_roster_solve(tmp_path: Path, gap: float) -> None:
    """Was: optimize_roster took options.mip_gap only when it differed from solver.mip_gap
    (default 0), so 'mixopt solve roster.yaml --mip-gap 0' quietly ran at roster.mip_gap, 0.001."""
    from click.testing import CliRunner

    import mixopt.roster.optimize as roster_run
    from mixopt.cli.app import cli

    table = _write(synthetic_roster(30, 1), tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text(f"budget: 400\nobjective: {{maximize: conversions}}\nroster: {{file: {table.name}}}\n",
                    encoding="utf-8")
    with mock.patch.object(roster_run, "solve_roster", wraps=roster_run.solve_roster) as spy:
        result = CliRunner().invoke(cli, ["solve", str(path), "--mip-gap", repr(gap)])
    assert result.exit_code == 0, result.output
    assert spy.call_args.kwargs["mip_gap"] == gap


@pytest.mark.parametrize(("rules", "fees"), [
    pytest.param({}, (100.0, 0.0), id="last creator free: an empty last column"),
    pytest.param({"max_creators": 2, "platforms": {"youtube": {"max_creators": 1}}}, (100.0, 80.0),
                 id="a band over no creator last: an empty last row"),
    # passed before the fix too: CLP's one dual was broadcast over the empty row (a valid bound by luck)
    pytest.param({"platforms": {"youtube": {"max_creators": 1}}}, (100.0, 80.0), id="one row, then an empty one"),
])
def test_a_trailing_empty_column_or_row_is_solved(tmp_path: Path, rules: dict[str, Any],
                                                  fees: tuple[float, float]) -> None:
    """Was: lp_relaxation gave CLP only the nonzeros, and CLP sized the model from them, so a
    trailing empty column or row vanished: a numpy shape ValueError (a traceback from
    'mixopt solve'), or with one row before the empty ones, its dual silently broadcast."""
    table = tmp_path / "creators.csv"
    table.write_text("id,platform,followers,fee_per_post,product_cost,handling_cost\n"
                     f"a,instagram,5000,{fees[0]},0,0\n"
                     f"b,instagram,6000,{fees[1]},0,0\n", encoding="utf-8")
    data: dict[str, Any] = {"budget": 500.0, "objective": {"maximize": "reach"}, "roster": {"mip_gap": 0.0}}
    if rules:
        data["rules"] = rules
    scenario = _scenario(data, table, tmp_path)
    model = build_roster_model(scenario, load_roster(scenario))
    lp = roster_solve.lp_relaxation(model.arrays)
    assert lp.status == "optimal" and lp.x is not None and lp.duals is not None
    assert lp.x.shape == (model.arrays.num_col,) and lp.duals.shape == (len(model.arrays.row_names),)
    plan = optimize_roster(scenario)
    assert plan.status is SolveStatus.OPTIMAL and plan.feasible and plan.totals["creators"] == 2
    assert plan.solution.bound is not None and plan.solution.bound >= plan.solution.objective - 1e-9  # type: ignore[operator]


def test_a_cbc_core_certifies_its_gap(tmp_path: Path) -> None:
    """Was: a CBC core's bound was objective - max(ratio x |objective|, target_gap / 4 x |LP
    objective|), mixopt not reading CBC's own bound; with the LP objective over 4x the plan's
    (7,473 against 1,683) the certified gap (1.1e-3) passed the target (1e-3) although CBC had
    proved the plan optimal, and the solve of the whole roster ended 'feasible'."""
    table = _write(synthetic_roster(12, 2, flag_share=0.0), tmp_path)
    scenario = _scenario({"budget": 259.0, "objective": {"maximize": "reach"}, "roster": {"mip_gap": 0.001}},
                         table, tmp_path)
    assert _exact(scenario) == ("optimal", 1683.0)
    with mock.patch.object(roster_solve, "HIGHS_CORE_LIMIT", 0):  # the path of cores above 20,000 columns
        plan = optimize_roster(scenario)
    sol = plan.solution
    assert sol.objective == 1683.0 and plan.feasible  # the plan is the optimum...
    assert sol.status is SolveStatus.OPTIMAL and sol.gap is not None and sol.gap <= 0.001  # ...and certified


def test_a_cbc_core_without_nonzeros_is_solved(tmp_path: Path) -> None:
    """The bundled CBC aborts on a model whose rows hold no nonzero (three free creators under a
    budget-only scenario); such a core is solved without it, so the roster still gets its plan."""
    frame = synthetic_roster(3, 1, flag_share=0.0)
    frame[["fee_per_post", "product_cost"]] = 0.0
    frame["handling_cost"] = 0.0
    table = _write(frame, tmp_path)
    scenario = _scenario({"budget": 100.0, "objective": {"maximize": "reach"}, "roster": {"mip_gap": 0.0}},
                         table, tmp_path)
    with mock.patch.object(roster_solve, "HIGHS_CORE_LIMIT", 0):  # the path of cores above 20,000 columns
        plan = optimize_roster(scenario)
    assert plan.status is SolveStatus.OPTIMAL and plan.totals["creators"] == 3


def test_a_small_roster_meets_its_gap(tmp_path: Path) -> None:
    """The whole roster is the core and the LP objective (20,313) is far above the optimum (2,566.35): an
    allowance measured on the LP objective lets HiGHS stop 4.85 short of its bound (gap 1.9e-3); measured
    again on the incumbent, the solve certifies the default gap of 1e-3."""
    table = _write(synthetic_roster(17, 7, flag_share=0.0), tmp_path)
    scenario = _scenario({"budget": 547.0, "objective": {"maximize": "reach"},
                          "roster": {"posts_per_creator": 2, "max_posts_per_creator": 5}}, table, tmp_path)
    assert _exact(scenario) == ("optimal", 2566.35)
    plan = optimize_roster(scenario)  # roster.mip_gap: the default 0.001
    sol = plan.solution
    assert sol.objective == 2566.35 and plan.feasible  # the plan is the optimum...
    assert sol.status is SolveStatus.OPTIMAL and sol.gap is not None and sol.gap <= 0.001  # ...and certified
