"""Roster mode's model, built from arrays: one yes/no decision per creator.

A million PuLP variables take ~6 s to build (research/solver-benchmarks.md), so the roster
model is built directly as sparse arrays (the same :class:`~mixopt.solve.LinearArrays` the
tier mode's solve path uses). Every rule of tier mode is a row over the chosen creators;
category quotas, overlap groups and resource caps are rows too (FORMULATION.md section 2).
Each creator is one piece of the roster's own diminishing returns, so no curves are needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixopt.errors import Issue, ScenarioError
from mixopt.roster import Roster
from mixopt.scenario import Scenario
from mixopt.solve import LinearArrays

__all__ = ["RosterModel", "build_roster_model", "objective_vector", "ROSTER_KPIS"]

ROSTER_KPIS = ("reach", "impressions", "engagements", "conversions")


@dataclass(frozen=True)
class RosterModel:
    """The roster model: arrays in minimisation form plus what a report needs to read them."""

    scenario: Scenario
    roster: Roster
    arrays: LinearArrays
    sign: float  # planner objective = sign * (arrays.costs[0] @ x)
    objective: np.ndarray  # per creator, in the planner's sense (maximised, or spend minimised)
    row_labels: list[str]  # planner words per row


def objective_vector(scenario: Scenario, table: pd.DataFrame) -> np.ndarray:
    """What each creator adds to the scenario's goal (for 'minimize: spend', its spend)."""
    obj = scenario.objective
    eco = scenario.economics
    aov = eco.average_order_value or 0.0
    if obj.minimize == "spend":
        return table["spend"].to_numpy(dtype=float)
    goal = obj.maximize
    if goal in ROSTER_KPIS:
        return table[goal].to_numpy(dtype=float)
    conversions = table["conversions"].to_numpy(dtype=float)
    if goal == "revenue":
        return aov * conversions
    if goal == "profit":
        return (aov * eco.margin_rate - eco.commission_per_conversion) * conversions - table["spend"].to_numpy(float)
    if goal == "value":
        assert obj.value_per_unit
        total = np.zeros(len(table))
        for kpi, weight in obj.value_per_unit.items():
            total += weight * table[kpi].to_numpy(dtype=float)
        return total
    assert goal == "column" and obj.column
    return _column(scenario, table, obj.column, "objective.column")


def _column(scenario: Scenario, table: pd.DataFrame, name: str, path: str) -> np.ndarray:
    if name not in table.columns or not pd.api.types.is_numeric_dtype(table[name]):
        numeric = sorted(c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])
                         and c not in ("must_include", "exclude", "defaults_mask"))
        raise ScenarioError([Issue(scenario.source_file, path, "is not a numeric column of the creator table",
                                   f"Use one of: {', '.join(numeric)}", name)])
    return np.nan_to_num(table[name].to_numpy(dtype=float), nan=0.0)


class _Rows:
    """Rows collected as (columns, coefficients, lower, upper, name, label), then packed as CSR."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.all = np.arange(n, dtype=np.int64)
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.names: list[str] = []
        self.labels: list[str] = []

    def add(self, cols: np.ndarray, vals: np.ndarray, lower: float, upper: float, name: str, label: str) -> None:
        keep = vals != 0
        self.parts.append((cols[keep], vals[keep]))
        self.lower.append(lower)
        self.upper.append(upper)
        self.names.append(name)
        self.labels.append(label)

    def packed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lengths = np.array([len(c) for c, _ in self.parts], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        index = np.concatenate([c for c, _ in self.parts]) if self.parts else np.zeros(0, np.int64)
        value = np.concatenate([v for _, v in self.parts]) if self.parts else np.zeros(0)
        return starts, index.astype(np.int64), value.astype(float)


def _group_rows(rows: _Rows, s: Scenario, table: pd.DataFrame, spend: np.ndarray, column: str, kind: str) -> None:
    cur = s.currency
    groups = table[column].to_numpy()
    bands = s.rules.tiers if kind == "tier" else s.rules.platforms
    for name, band in bands.items():
        member = groups == name
        cols = rows.all[member]
        ones = np.ones(len(cols))
        if band.min_spend_share is not None:
            rows.add(rows.all, spend * (member - band.min_spend_share), 0.0, math.inf,
                     f"{kind}_spend_share_min_{name}", f"{name} at least {band.min_spend_share:.0%} of spend")
        if band.max_spend_share is not None:
            rows.add(rows.all, spend * (member - band.max_spend_share), -math.inf, 0.0,
                     f"{kind}_spend_share_max_{name}", f"{name} at most {band.max_spend_share:.0%} of spend")
        if band.min_spend is not None or band.max_spend is not None:
            lo = band.min_spend if band.min_spend is not None else -math.inf
            hi = band.max_spend if band.max_spend is not None else math.inf
            rows.add(cols, spend[member], lo, hi, f"{kind}_spend_{name}",
                     f"{name} spend between {lo:,.0f} and {hi:,.0f} {cur}")
        if band.min_creators is not None or band.max_creators is not None:
            lo = band.min_creators if band.min_creators is not None else -math.inf
            hi = band.max_creators if band.max_creators is not None else math.inf
            rows.add(cols, ones, lo, hi, f"{kind}_creators_{name}", f"{name} creators between {lo:g} and {hi:g}")


def build_roster_model(scenario: Scenario, roster: Roster) -> RosterModel:
    """Build the roster model's rows, bounds and objective from a validated roster."""
    s = scenario
    assert s.roster is not None
    table = roster.table
    n = len(table)
    rows = _Rows(n)
    spend = table["spend"].to_numpy(dtype=float)
    if s.budget is not None:
        rows.add(rows.all, spend, -math.inf, s.budget, "budget", f"budget ({s.budget:,.0f} {s.currency})")
    for kpi in ROSTER_KPIS:
        floor = getattr(s.targets, kpi)
        if floor:
            rows.add(rows.all, table[kpi].to_numpy(dtype=float), floor, math.inf, f"target_{kpi}",
                     f"at least {floor:,.0f} {kpi}")
    if s.targets.revenue:
        aov = s.economics.average_order_value or 0.0
        rows.add(rows.all, aov * table["conversions"].to_numpy(dtype=float), s.targets.revenue, math.inf,
                 "target_revenue", f"at least {s.targets.revenue:,.0f} {s.currency} revenue")
    if s.rules.max_creators is not None:
        rows.add(rows.all, np.ones(n), -math.inf, s.rules.max_creators, "team_capacity",
                 f"team capacity ({s.rules.max_creators} creators)")
    _group_rows(rows, s, table, spend, "tier", "tier")
    _group_rows(rows, s, table, spend, "platform", "platform")
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
    lower = table["must_include"].to_numpy(dtype=float)
    upper = np.where(table["exclude"].to_numpy(dtype=bool), 0.0, 1.0)
    objective = objective_vector(s, table)
    sign = 1.0 if s.objective.minimize == "spend" else -1.0
    starts, index, value = rows.packed()
    arrays = LinearArrays(
        names=table["id"].tolist(),
        col_lower=lower,
        col_upper=upper,
        integer=np.ones(n, dtype=bool),
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
                       row_labels=rows.labels)
