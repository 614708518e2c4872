"""Roster mode's model, built from arrays: one yes/no decision per creator.

A million PuLP variables take ~6 s to build (research/solver-benchmarks.md), so the roster
model is built directly as sparse arrays (the same :class:`~mixopt.solve.LinearArrays` the
tier mode's solve path uses). Every rule of tier mode is a row over the chosen creators;
category quotas, overlap groups and resource caps are rows too (FORMULATION.md section 2).
Each creator is one piece of the roster's own diminishing returns, so no curves are needed.

Unique reach (:func:`roster_audiences`): creators of one overlap group on one platform share an
audience ``A``; their unique reach is ``A (1 - prod (1 - R_i / A))`` (random duplication), creators
of no group count in full, and platforms overlap by ``audience.cross_platform_overlap``. When the
goal or a target reads it, this model carries summed reach in its place (an upper bound) and
:func:`~mixopt.roster.solve.solve_roster` adds the exact hypograph.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mixopt.errors import Issue, ScenarioError
from mixopt.roster.table import FILLABLE, Roster
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.checks import usd_defaults_fix, usd_defaults_problem
from mixopt.scenario.money import MONEY_PARAMETERS, USD, is_currency_code
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import LinearArrays

__all__ = ["RosterModel", "build_roster_model", "objective_vector", "table_issues", "ROSTER_KPIS", "Audiences",
           "roster_audiences", "unique_reach_value", "unique_reach_weight", "uses_unique_reach", "tangent_points"]

ROSTER_KPIS = ("reach", "impressions", "engagements", "conversions")


@dataclass(frozen=True)
class RosterModel:
    """The roster model: arrays in minimisation form plus what a report needs to read them."""

    scenario: Scenario
    roster: Roster
    arrays: LinearArrays
    sign: float  # planner objective = sign * (arrays.costs[0] @ x)
    objective: np.ndarray  # per column, in the planner's sense (maximised, or spend minimised)
    row_labels: list[str]  # planner words per row
    extra_posts: int = 0  # columns n..2n-1 are extra posts per creator (0..extra_posts) when above 0
    rule_rows: dict[str, str] = field(default_factory=dict)  # rule check id -> the row that models it
    #: Set when the goal or a target reads unique reach: the rows above then carry summed reach in
    #: its place (an upper bound, so diagnoses stay valid), and the solve adds the exact model.
    audiences: Audiences | None = None

    @property
    def creators(self) -> int:
        """Number of creators (the first ``creators`` columns are the yes/no choices)."""
        return len(self.roster.table)


def objective_vector(scenario: Scenario, table: pd.DataFrame) -> np.ndarray:
    """What each creator adds to the scenario's goal (for 'minimize: spend', its spend)."""
    obj = scenario.objective
    eco = scenario.economics
    aov = eco.average_order_value or 0.0
    if obj.minimize == "spend":
        return table["spend"].to_numpy(dtype=float)
    goal = obj.maximize
    if goal in ROSTER_KPIS or goal == "unique_reach":  # unique reach: its summed reach until the solve
        return table["reach" if goal == "unique_reach" else goal].to_numpy(dtype=float)
    conversions = table["conversions"].to_numpy(dtype=float)
    if goal == "revenue":
        return aov * conversions
    if goal == "profit":
        return (aov * eco.margin_rate - eco.commission_per_conversion) * conversions - table["spend"].to_numpy(float)
    if goal == "value":
        assert obj.value_per_unit
        total = np.zeros(len(table))
        for kpi, weight in obj.value_per_unit.items():
            total += weight * _per_creator(scenario, table, kpi)
        return total
    assert goal == "column" and obj.column
    return _column(scenario, table, obj.column, "objective.column")


def objective_per_extra_post(scenario: Scenario, table: pd.DataFrame) -> np.ndarray:
    """What one more post of each creator adds to the goal (reach and columns: nothing)."""
    obj = scenario.objective
    eco = scenario.economics
    aov = eco.average_order_value or 0.0
    fee = table["fee_per_post"].to_numpy(dtype=float)
    if obj.minimize == "spend":
        return fee
    per_post = {k: table[f"{k}_per_post"].to_numpy(dtype=float) for k in ("impressions", "engagements", "conversions")}
    per_post["reach"] = per_post["unique_reach"] = np.zeros(len(table))
    goal = obj.maximize
    if goal in ROSTER_KPIS or goal == "unique_reach":
        return per_post[goal]
    if goal == "revenue":
        return aov * per_post["conversions"]
    if goal == "profit":
        return (aov * eco.margin_rate - eco.commission_per_conversion) * per_post["conversions"] - fee
    if goal == "value":
        assert obj.value_per_unit
        per_post["revenue"] = aov * per_post["conversions"]
        per_post["profit"] = (aov * eco.margin_rate - eco.commission_per_conversion) * per_post["conversions"] - fee
        return sum((w * per_post[k] for k, w in obj.value_per_unit.items()), np.zeros(len(table)))
    return np.zeros(len(table))  # a column's value is per creator, not per post


def _per_creator(scenario: Scenario, table: pd.DataFrame, kpi: str) -> np.ndarray:
    """What each creator adds to a KPI at its base posts; revenue and profit from its conversions."""
    eco = scenario.economics
    aov = eco.average_order_value or 0.0
    if kpi == "revenue":
        return aov * table["conversions"].to_numpy(dtype=float)
    if kpi == "profit":
        per_conversion = aov * eco.margin_rate - eco.commission_per_conversion
        return per_conversion * table["conversions"].to_numpy(dtype=float) - table["spend"].to_numpy(dtype=float)
    return table["reach" if kpi == "unique_reach" else kpi].to_numpy(dtype=float)


def _efficiency_rows(rows: _Rows, s: Scenario, table: pd.DataFrame, spend: np.ndarray, fee: np.ndarray | None) -> None:
    """Profit and ROI floors, CPA / CPE / CPM ceilings: linear rows over the creators (and extra posts)."""
    extra = fee is not None

    def post(kpi: str) -> np.ndarray | None:
        return table[f"{kpi}_per_post"].to_numpy(dtype=float) if extra else None

    cur = s.currency
    if s.targets.profit is not None or s.targets.roi is not None:
        profit = _per_creator(s, table, "profit")
        eco = s.economics
        per_conversion = (eco.average_order_value or 0.0) * eco.margin_rate - eco.commission_per_conversion
        conv_post = post("conversions")
        profit_post = None if conv_post is None or fee is None else per_conversion * conv_post - fee
        if s.targets.profit is not None:
            rows.add2(rows.all, profit, profit_post, s.targets.profit, math.inf, "target_profit",
                      f"at least {s.targets.profit:,.0f} {cur} profit")
            rows.rule_rows["target[profit]"] = "target_profit"
        if s.targets.roi is not None:
            r = s.targets.roi
            rows.add2(rows.all, profit - r * spend, None if profit_post is None or fee is None else profit_post - r * fee,
                      0.0, math.inf, "target_roi", f"ROI at least {r:g}")
            rows.rule_rows["target[roi]"] = "target_roi"
    for name, kpi, per in (("cpa", "conversions", 1.0), ("cpe", "engagements", 1.0), ("cpm", "impressions", 1000.0)):
        limit = getattr(s.limits, name)
        if limit is None:
            continue
        outcome = table[kpi].to_numpy(dtype=float)
        outcome_post = post(kpi)
        rows.add2(rows.all, spend - limit / per * outcome,
                  None if outcome_post is None or fee is None else fee - limit / per * outcome_post,
                  -math.inf, 0.0, f"limit_{name}", f"{name.upper()} at most {limit:,.2f} {cur}")
        rows.rule_rows[f"limit[{name}]"] = f"limit_{name}"


def _numeric_columns(table: pd.DataFrame) -> list[str]:
    return sorted(c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])
                  and not pd.api.types.is_bool_dtype(table[c]) and c not in ("defaults_mask",))


def _column_issue(scenario: Scenario, table: pd.DataFrame, name: str, path: str) -> Issue | None:
    if name in table.columns and pd.api.types.is_numeric_dtype(table[name]) \
            and not pd.api.types.is_bool_dtype(table[name]):
        return None
    numeric = _numeric_columns(table)
    close = difflib.get_close_matches(name, numeric, n=1, cutoff=0.6)
    fix = f"Did you mean '{close[0]}'?" if close else f"Use one of: {', '.join(numeric)}"
    return Issue(scenario.source_file, path, "is not a numeric column of the creator table", fix, name)


def table_issues(scenario: Scenario, table: pd.DataFrame) -> list[Issue]:
    """What a roster scenario names that its creator table lacks: every problem at once."""
    s = scenario
    assert s.roster is not None
    issues: list[Issue] = []
    if s.objective.maximize == "column" and s.objective.column:
        found = _column_issue(s, table, s.objective.column, "objective.column")
        issues += [found] if found else []
    for column in s.roster.resource_caps:
        found = _column_issue(s, table, column, f"roster.resource_caps.{column}")
        issues += [found] if found else []
    for column in s.roster.resource_floors:
        found = _column_issue(s, table, column, f"roster.resource_floors.{column}")
        issues += [found] if found else []
    issues += _currency_issues(s, table)
    issues += _audience_issues(s, table) if s.audience.overlap else []
    present = sorted(set(table["category"].unique()) - {""})
    for name in s.roster.categories:
        if name not in present:
            close = difflib.get_close_matches(name, present, n=1, cutoff=0.6)
            fix = (f"Did you mean '{close[0]}'?" if close
                   else f"Use a category of the table: {', '.join(present) or '(the table has no category column)'}")
            issues.append(Issue(s.source_file, f"roster.categories.{name}", "no creator in the table has this category",
                                fix))
    return issues


def _currency_issues(scenario: Scenario, table: pd.DataFrame) -> list[Issue]:
    """A non-USD roster whose creators would take money from the built-in USD defaults (no fx_per_usd)."""
    s = scenario
    if s.currency == USD or s.fx_per_usd is not None or not is_currency_code(s.currency) or "defaults_mask" not in table:
        return []
    cells = {c.key: c for c in resolve_cells(s)}
    keys = (table["tier"] + "." + table["platform"]).to_numpy()
    mask = table["defaults_mask"].to_numpy()
    used = []
    for name in MONEY_PARAMETERS:
        filled = (mask >> FILLABLE.index(name) & 1).astype(bool)
        for key in sorted(set(keys[filled])):
            cell = cells.get(key)
            if cell is not None and cell.origins.get(name) == "default":
                used.append((key, name))
    if not used:
        return []
    used.sort(key=lambda item: ([c.key for c in cells.values()].index(item[0]), MONEY_PARAMETERS.index(item[1])))
    return [Issue(s.source_file, "currency", usd_defaults_problem(used) + " for creators the table gives none",
                  usd_defaults_fix(s.currency), s.currency)]


def _column(scenario: Scenario, table: pd.DataFrame, name: str, path: str) -> np.ndarray:
    found = _column_issue(scenario, table, name, path)
    if found is not None:
        raise ScenarioError([found])
    return np.nan_to_num(table[name].to_numpy(dtype=float), nan=0.0)


class _Rows:
    """Rows collected as (columns, coefficients, lower, upper, name, label), then packed as CSR."""

    def __init__(self, n: int, extra: bool = False) -> None:
        self.n = n
        self.extra = extra  # columns n..2n-1 are extra posts
        self.all = np.arange(n, dtype=np.int64)
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.names: list[str] = []
        self.labels: list[str] = []
        self.pairs: tuple[np.ndarray, np.ndarray, float] | None = None  # bulk rows, packed last
        self.rule_rows: dict[str, str] = {}  # rule check id -> row name, for rules held exactly

    def add(self, cols: np.ndarray, vals: np.ndarray, lower: float, upper: float, name: str, label: str) -> None:
        keep = vals != 0
        self.parts.append((cols[keep], vals[keep]))
        self.lower.append(lower)
        self.upper.append(upper)
        self.names.append(name)
        self.labels.append(label)

    def add2(self, cols: np.ndarray, per_creator: np.ndarray, per_extra_post: np.ndarray | None, lower: float,
             upper: float, name: str, label: str) -> None:
        """A row over creators ``cols`` (given per creator) and, with extra posts, their post columns."""
        if self.extra and per_extra_post is not None:
            self.add(np.concatenate([cols, cols + self.n]), np.concatenate([per_creator, per_extra_post]), lower,
                     upper, name, label)
        else:
            self.add(cols, per_creator, lower, upper, name, label)

    def add_pairs(self, first: np.ndarray, second: np.ndarray, coefficient: float, names: list[str],
                  label: str) -> None:
        """One row per pair, ``x[first] + coefficient * x[second] <= 0``, added in bulk (after the others)."""
        self.pairs = (first, second, coefficient)
        self.lower += [-math.inf] * len(first)
        self.upper += [0.0] * len(first)
        self.names += names
        self.labels += [label] * len(first)

    def packed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lengths = np.array([len(c) for c, _ in self.parts], dtype=np.int64)
        index_parts = [c for c, _ in self.parts]
        value_parts = [v for _, v in self.parts]
        pairs = self.pairs
        if pairs is not None:
            first, second, coefficient = pairs
            lengths = np.concatenate([lengths, np.full(len(first), 2, dtype=np.int64)])
            index_parts.append(np.stack([first, second], axis=1).ravel())
            value_parts.append(np.tile([1.0, coefficient], len(first)))
        starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        index = np.concatenate(index_parts) if index_parts else np.zeros(0, np.int64)
        value = np.concatenate(value_parts) if value_parts else np.zeros(0)
        return starts, index.astype(np.int64, copy=False), value.astype(float, copy=False)


def _group_rows(rows: _Rows, s: Scenario, table: pd.DataFrame, spend: np.ndarray, fee: np.ndarray | None,
                column: str, kind: str) -> None:
    cur = s.currency
    groups = table[column].to_numpy()
    bands = s.rules.tiers if kind == "tier" else s.rules.platforms
    for name, band in bands.items():
        member = groups == name
        cols = rows.all[member]
        ones = np.ones(len(cols))
        if band.min_spend_share is not None:
            rows.add2(rows.all, spend * (member - band.min_spend_share),
                      None if fee is None else fee * (member - band.min_spend_share), 0.0, math.inf,
                     f"{kind}_spend_share_min_{name}", f"{name} at least {band.min_spend_share:.0%} of spend")
            rows.rule_rows[f"{kind}_spend_share_min[{name}]"] = f"{kind}_spend_share_min_{name}"
        if band.max_spend_share is not None:
            rows.add2(rows.all, spend * (member - band.max_spend_share),
                      None if fee is None else fee * (member - band.max_spend_share), -math.inf, 0.0,
                     f"{kind}_spend_share_max_{name}", f"{name} at most {band.max_spend_share:.0%} of spend")
            rows.rule_rows[f"{kind}_spend_share_max[{name}]"] = f"{kind}_spend_share_max_{name}"
        for side, share in (("min", band.min_budget_share), ("max", band.max_budget_share)):
            if share is not None and s.budget is not None:  # a share of the budget: a fixed limit
                lo, hi = (share * s.budget, math.inf) if side == "min" else (-math.inf, share * s.budget)
                rows.add2(cols, spend[member], None if fee is None else fee[member], lo, hi,
                          f"{kind}_budget_share_{side}_{name}", f"{name} at {'least' if side == 'min' else 'most'} "
                          f"{share:.0%} of the budget")
                rows.rule_rows[f"{kind}_budget_share_{side}[{name}]"] = f"{kind}_budget_share_{side}_{name}"
        if band.min_spend is not None or band.max_spend is not None:
            lo = band.min_spend if band.min_spend is not None else -math.inf
            hi = band.max_spend if band.max_spend is not None else math.inf
            rows.add2(cols, spend[member], None if fee is None else fee[member], lo, hi, f"{kind}_spend_{name}",
                     f"{name} spend between {lo:,.0f} and {hi:,.0f} {cur}")
            rows.rule_rows[f"{kind}_spend_min[{name}]"] = rows.rule_rows[f"{kind}_spend_max[{name}]"] = f"{kind}_spend_{name}"
        if band.min_creators is not None or band.max_creators is not None:
            lo = band.min_creators if band.min_creators is not None else -math.inf
            hi = band.max_creators if band.max_creators is not None else math.inf
            rows.add(cols, ones, lo, hi, f"{kind}_creators_{name}", f"{name} creators between {lo:g} and {hi:g}")


def build_roster_model(scenario: Scenario, roster: Roster) -> RosterModel:
    """Build the roster model's rows, bounds and objective from a validated roster."""
    s = scenario
    assert s.roster is not None
    table = roster.table
    problems = table_issues(s, table)
    if problems:
        raise ScenarioError(problems)
    n = len(table)
    most = s.roster.max_posts_per_creator or s.roster.posts_per_creator
    extra = max(most - s.roster.posts_per_creator, 0)
    rows = _Rows(n, extra=extra > 0)
    spend = table["spend"].to_numpy(dtype=float)
    fee = table["fee_per_post"].to_numpy(dtype=float) if extra else None

    def per_post(kpi: str) -> np.ndarray | None:
        if not extra:
            return None
        return np.zeros(n) if kpi == "reach" else table[f"{kpi}_per_post"].to_numpy(dtype=float)

    if s.budget is not None:
        rows.add2(rows.all, spend, fee, -math.inf, s.budget, "budget", f"budget ({s.budget:,.0f} {s.currency})")
        rows.rule_rows["budget"] = "budget"
    for kpi in ROSTER_KPIS:
        floor = getattr(s.targets, kpi)
        if floor:
            rows.add2(rows.all, table[kpi].to_numpy(dtype=float), per_post(kpi), floor, math.inf, f"target_{kpi}",
                      f"at least {floor:,.0f} {kpi}")
    if s.targets.unique_reach:  # summed reach is at least the unique reach: a relaxation the solve tightens
        rows.add(rows.all, table["reach"].to_numpy(dtype=float), s.targets.unique_reach, math.inf,
                 "target_unique_reach", f"at least {s.targets.unique_reach:,.0f} people reached (summed)")
    if s.targets.revenue:
        aov = s.economics.average_order_value or 0.0
        conv_post = per_post("conversions")
        rows.add2(rows.all, aov * table["conversions"].to_numpy(dtype=float),
                  None if conv_post is None else aov * conv_post, s.targets.revenue, math.inf,
                  "target_revenue", f"at least {s.targets.revenue:,.0f} {s.currency} revenue")
    _efficiency_rows(rows, s, table, spend, fee)
    if s.rules.max_creators is not None:
        rows.add(rows.all, np.ones(n), -math.inf, s.rules.max_creators, "team_capacity",
                 f"team capacity ({s.rules.max_creators} creators)")
    _group_rows(rows, s, table, spend, fee, "tier", "tier")
    _group_rows(rows, s, table, spend, fee, "platform", "platform")
    keys = (table["tier"] + "." + table["platform"]).to_numpy()
    for key, rule in s.rules.cells.items():
        lo = rule.lock if rule.lock is not None else rule.min_creators
        hi = rule.lock if rule.lock is not None else rule.max_creators
        if lo is None and hi is None:
            continue
        cols = rows.all[keys == key]
        rows.add(cols, np.ones(len(cols)), -math.inf if lo is None else lo, math.inf if hi is None else hi,
                 f"cell_creators_{key}", f"{key} creators" + (f" locked at {lo}" if rule.lock is not None else ""))
    category = table["category"].to_numpy()
    for name, rule in s.roster.categories.items():
        cols = rows.all[category == name]
        lo = rule.min_creators if rule.min_creators is not None else -math.inf
        hi = rule.max_creators if rule.max_creators is not None else math.inf
        rows.add(cols, np.ones(len(cols)), lo, hi, f"category_{name}", f"{name} creators between {lo:g} and {hi:g}")
    cap = s.roster.max_per_overlap_group
    if cap is not None:
        groups = table["overlap_group"].to_numpy()
        named = groups != ""
        labels, inverse, counts = np.unique(groups[named], return_inverse=True, return_counts=True)
        members = rows.all[named]
        order = np.argsort(inverse, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(counts)])
        for g in np.nonzero(counts > cap)[0]:
            cols = members[order[bounds[g]:bounds[g + 1]]]
            rows.add(cols, np.ones(len(cols)), -math.inf, cap, f"overlap_{labels[g]}",
                     f"at most {cap} creators of overlap group {labels[g]}")
    for column, limit in s.roster.resource_caps.items():
        values = _column(s, table, column, f"roster.resource_caps.{column}")
        rows.add(rows.all, values, -math.inf, limit, f"resource_{column}", f"total {column} at most {limit:,.6g}")
        rows.rule_rows[f"resource[{column}]"] = f"resource_{column}"
    for column, floor in s.roster.resource_floors.items():
        values = _column(s, table, column, f"roster.resource_floors.{column}")
        rows.add(rows.all, values, floor, math.inf, f"resource_floor_{column}", f"total {column} at least {floor:,.6g}")
        rows.rule_rows[f"resource_floor[{column}]"] = f"resource_floor_{column}"
    lower = table["must_include"].to_numpy(dtype=float)
    upper = np.where(table["exclude"].to_numpy(dtype=bool), 0.0, 1.0)
    objective = objective_vector(s, table)
    names = table["id"].tolist()
    if extra:  # extra posts only for a chosen creator: post_i - extra * x_i <= 0
        rows.add_pairs(rows.all + n, rows.all, -float(extra), [f"posts_{i}" for i in names],
                       "extra posts only for a chosen creator")
        lower = np.concatenate([lower, np.zeros(n)])
        upper = np.concatenate([upper, np.where(upper > 0, float(extra), 0.0)])
        objective = np.concatenate([objective, objective_per_extra_post(s, table)])
        names = names + [f"{i}+posts" for i in names]
    sign = 1.0 if s.objective.minimize == "spend" else -1.0
    starts, index, value = rows.packed()
    arrays = LinearArrays(
        names=names,
        col_lower=lower,
        col_upper=upper,
        integer=np.ones(len(lower), dtype=bool),
        row_names=rows.names,
        row_lower=np.array(rows.lower, dtype=float),
        row_upper=np.array(rows.upper, dtype=float),
        starts=starts,
        index=index,
        value=value,
        costs=[sign * objective],
        stage_labels=["goal"],
    )
    return RosterModel(scenario=s, roster=roster, arrays=arrays, sign=sign, objective=objective,
                       row_labels=rows.labels, extra_posts=extra, rule_rows=dict(rows.rule_rows),
                       audiences=roster_audiences(s, table) if uses_unique_reach(s) else None)


# ---------------------------------------------------------------------------------------------
# Unique reach: creators of one overlap group (on one platform) share an audience.

#: A creator whose reach covers its group's whole audience: its share of the audience is capped so
#: ``-ln(1 - R/A)`` stays finite (exp(-40) ~ 4e-18 of the audience: below any reported figure).
SHARE_CAP = 40.0
#: Cutting-plane rounds: tangents added at the chosen groups' own points until the exact unique
#: reach meets its target and the certified gap is reached.
TANGENT_ROUNDS = 12


@dataclass(frozen=True)
class Audiences:
    """Who shares an audience with whom, for unique reach (every array per creator unless named).

    ``unit`` numbers the audience of each grouped creator (one per overlap group and platform;
    -1: no group, the creator's reach counts in full); ``audience`` is people per unit;
    ``platform`` is each creator's index into ``platforms``; ``share`` the cross-platform overlap.
    """

    unit: np.ndarray
    audience: np.ndarray  # per unit
    unit_names: tuple[str, ...]  # 'group on platform', per unit
    unit_platform: np.ndarray  # per unit: index into platforms
    platform: np.ndarray
    platforms: tuple[str, ...]
    reach: np.ndarray
    share: float

    def coefficient(self) -> np.ndarray:
        """``-ln(1 - R_i / A)`` per grouped creator (0 for the others): unique reach of a unit is
        ``A (1 - exp(-sum of the chosen creators' coefficients))``."""
        c = np.zeros(len(self.unit))
        grouped = self.unit >= 0
        a = self.audience[self.unit[grouped]]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(np.isinf(a), 0.0, self.reach[grouped] / a)
            c[grouped] = np.where(ratio >= 1.0, SHARE_CAP, np.minimum(-np.log1p(-np.minimum(ratio, 1.0)), SHARE_CAP))
        return c


def roster_audiences(scenario: Scenario, table: pd.DataFrame) -> Audiences:
    """The audience of every overlap group per platform, from the table's ``audience`` column or the default.

    Default: the tier-mode overlap assumption applied to the group's own creators: each creator
    ``i`` of tier and platform cell ``c`` stands for an audience of ``R_i x A_c / R_c`` (the cell's
    niche audience ``A_c`` scaled by the creator's reach ``R_i`` against the cell's typical
    creator ``R_c``; ``A_c = R_c / audience_overlap`` by default), and the group's audience on a
    platform is the average over its creators in the table (chosen or not, so it is fixed). A
    numeric ``audience`` column overrides it per group: the value its creators give (they must
    agree). ``audience: {overlap: false}`` gives every group an unbounded audience (summed reach).
    """
    s = scenario
    n = len(table)
    platforms = tuple(s.platforms)
    pindex = {p: i for i, p in enumerate(platforms)}
    platform = pd.Index(list(platforms), dtype=object).get_indexer(table["platform"].to_numpy(dtype=object)).astype(np.int64)
    platform[platform < 0] = 0  # a platform the scenario does not list counts as the first
    reach = np.nan_to_num(table["reach"].to_numpy(dtype=float))
    groups = table["overlap_group"].to_numpy() if "overlap_group" in table else np.full(n, "")
    share = float(s.audience.cross_platform_overlap) if s.audience.overlap else 0.0
    unit = np.full(n, -1, dtype=np.int64)
    named = groups != ""
    group_code, group_names = pd.factorize(groups[named], sort=True)
    combined, inverse = np.unique(group_code.astype(np.int64) * len(platforms) + platform[named], return_inverse=True)
    labels = [f"{group_names[c // len(platforms)]} on {platforms[c % len(platforms)]}" for c in combined.tolist()]
    unit[named] = inverse
    m = len(labels)
    if not s.audience.overlap or m == 0:
        audience = np.full(m, math.inf)
    else:
        tier_names = sorted({cell.tier for cell in resolve_cells(s)})
        tier = pd.Index(tier_names, dtype=object).get_indexer(table["tier"].to_numpy(dtype=object)[named])
        by_cell = np.full((len(tier_names) + 1, len(platforms)), math.inf)  # the last row: a tier of no cell
        for cell in resolve_cells(s):
            if cell.reach_per_creator > 0:
                by_cell[tier_names.index(cell.tier), pindex[cell.platform]] = cell.audience / cell.reach_per_creator
        per = reach[named] * by_cell[np.where(tier < 0, len(tier_names), tier), platform[named]]
        audience = np.bincount(inverse, weights=per, minlength=m) / np.bincount(inverse, minlength=m)
        audience = np.where(np.isnan(audience), math.inf, audience)
        if "audience" in table and pd.api.types.is_numeric_dtype(table["audience"]):
            problems = _audience_issues(s, table)
            if problems:
                raise ScenarioError(problems)
            given = table["audience"].to_numpy(dtype=float)[named]
            for u in range(m):
                values = np.unique(given[(inverse == u) & ~np.isnan(given)])
                if len(values) == 1:
                    audience[u] = float(values[0])
    unit_platform = np.zeros(m, dtype=np.int64)
    unit_platform[inverse] = platform[named]
    return Audiences(unit=unit, audience=audience, unit_names=tuple(str(x) for x in labels), unit_platform=unit_platform,
                     platform=platform, platforms=platforms, reach=reach, share=share)


def _audience_issues(scenario: Scenario, table: pd.DataFrame) -> list[Issue]:
    """Overlap groups whose creators write different audiences (or one not above 0) in the table's ``audience`` column."""
    if "audience" not in table or "overlap_group" not in table:
        return []
    if not pd.api.types.is_numeric_dtype(table["audience"]):
        return [Issue(scenario.roster_path or scenario.source_file, "column audience", "is not a number of people",
                      "Write the people in each overlap group's audience (e.g. 60000), or drop the column")]
    given = pd.DataFrame({"group": table["overlap_group"], "audience": table["audience"]}).dropna()
    given = given[given["group"] != ""]
    issues = []
    for group, values in given.groupby("group", sort=True)["audience"]:
        found = np.unique(values.to_numpy(dtype=float))
        if len(found) > 1 or not found[0] > 0:
            issues.append(Issue(scenario.roster_path or scenario.source_file, f"column audience (overlap group {group})",
                                "gives more than one audience or one not above 0",
                                "Write one audience (people, above 0) for every creator of the group, or leave its "
                                "cells empty for the default", ", ".join(f"{v:g}" for v in found)))
    return issues


def unique_reach_value(aud: Audiences, chosen: np.ndarray) -> float:
    """Unique reach of the chosen creators (float): per unit ``A (1 - prod (1 - R_i / A))``,
    ungrouped creators in full, then across platforms ``sum - share x (sum - largest platform)``."""
    chosen = np.asarray(chosen, dtype=bool)
    by_platform = np.bincount(aud.platform[chosen & (aud.unit < 0)], weights=aud.reach[chosen & (aud.unit < 0)],
                              minlength=len(aud.platforms)).astype(float)
    pick = chosen & (aud.unit >= 0)
    m = len(aud.audience)
    if pick.any():
        units = aud.unit[pick]
        s = np.bincount(units, weights=aud.coefficient()[pick], minlength=m)
        summed = np.bincount(units, weights=aud.reach[pick], minlength=m)
        finite = ~np.isinf(aud.audience)
        value = summed.copy()
        value[finite] = np.minimum(summed[finite], -aud.audience[finite] * np.expm1(-s[finite]))
        by_platform += np.bincount(aud.unit_platform, weights=value, minlength=len(aud.platforms))
    total = float(by_platform.sum())
    if aud.share > 0 and total > 0:
        total -= aud.share * (total - float(by_platform.max()))
    return total


def uses_unique_reach(scenario: Scenario) -> bool:
    """True when unique reach is a target or in the goal (the audiences are then read)."""
    return bool(scenario.targets.unique_reach) or unique_reach_weight(scenario) > 0


def unique_reach_weight(scenario: Scenario) -> float:
    """What one person of unique reach is worth in the scenario's goal (0: not in the goal)."""
    obj = scenario.objective
    if obj.maximize == "unique_reach":
        return 1.0
    if obj.maximize == "value":
        return float((obj.value_per_unit or {}).get("unique_reach", 0.0))
    return 0.0


def tangent_points(span: float, tolerance: float) -> list[float]:
    """Points ``t`` in ``(0, span]`` whose tangents to ``1 - exp(-s)`` (with the line ``s`` at 0)
    over-estimate it by at most ``tolerance`` of its value anywhere on ``[0, span]``."""
    def excess(a: float, b: float) -> float:
        ea, eb = math.exp(-a), math.exp(-b)
        cross = (ea - eb + a * ea - b * eb) / (ea - eb)  # where the two tangents meet
        value = -math.expm1(-cross)
        return (1 - ea + ea * (cross - a) - value) / value

    points: list[float] = []
    a = 0.0
    while a < span and -math.expm1(-a) < 1 - tolerance:
        low, high = a, a + 1.0
        while excess(a, high) <= tolerance and high < span + 1:
            low, high = high, high * 2 + 1
        for _ in range(40):
            mid = (low + high) / 2
            low, high = (mid, high) if excess(a, mid) <= tolerance else (low, mid)
        a = max(low, a + 1e-9)
        points.append(min(a, span))
    return points
