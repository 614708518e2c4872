"""A roster plan: the chosen creators, totals by tier and platform, reserves, and every rule
re-checked on the chosen set by code that never looks at the model's arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mixopt.roster import Roster, filled_names
from mixopt.roster_model import ROSTER_KPIS, objective_vector
from mixopt.roster_solve import RosterSolution
from mixopt.scenario import Scenario
from mixopt.solve import SolveStatus
from mixopt.verify import RuleCheck, _rule

__all__ = ["RosterPlan", "make_roster_plan", "check_roster_choice", "at_posts", "reserve_list", "SELECTED_COLUMNS"]

#: Columns of the selected-creators table (plan.csv in roster mode), in order.
SELECTED_COLUMNS = ("id", "platform", "tier", "followers", "category", "country", "overlap_group", "posts", "spend",
                    "fee_per_post", "product_cost", "handling_cost", "reach", "impressions", "engagements",
                    "conversions", "revenue", "fit_score", "acceptance_rate", "must_include", "filled_from_defaults")
_KPIS = ROSTER_KPIS


@dataclass(frozen=True)
class RosterPlan:
    """What ``mixopt solve`` reports for a roster scenario."""

    scenario: Scenario
    roster: Roster
    solution: RosterSolution
    selected: pd.DataFrame  # SELECTED_COLUMNS, one row per chosen creator
    by_tier: pd.DataFrame
    by_platform: pd.DataFrame
    reserves: pd.DataFrame
    totals: dict[str, float]
    checks: tuple[RuleCheck, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status(self) -> SolveStatus:
        return self.solution.status

    @property
    def feasible(self) -> bool:
        """True when every rule holds on the chosen creators (independent check)."""
        return all(c.holds for c in self.checks)


def at_posts(table: pd.DataFrame, chosen: np.ndarray, posts: np.ndarray | None) -> pd.DataFrame:
    """The chosen creators with spend and KPIs recomputed for their posts (from per-post figures)."""
    picked = table[chosen].copy()
    if posts is not None:
        p = np.asarray(posts, dtype=float)[chosen]
        picked["posts"] = p
        picked["impressions"] = picked["impressions_per_post"].to_numpy() * p
        picked["engagements"] = picked["engagements_per_post"].to_numpy() * p
        picked["conversions"] = picked["conversions_per_post"].to_numpy() * p
        picked["spend"] = (picked["fee_per_post"].to_numpy() * p + picked["product_cost"].to_numpy()
                           + picked["handling_cost"].to_numpy())
    return picked


def check_roster_choice(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray,
                        posts: np.ndarray | None = None) -> list[RuleCheck]:
    """Every rule of a roster scenario, evaluated on the chosen creators with pandas sums.

    ``posts`` (per creator) recomputes spend and KPIs from per-post figures; without it, every
    chosen creator makes ``roster.posts_per_creator`` posts.
    """
    s = scenario
    assert s.roster is not None
    picked = at_posts(table, chosen, posts)
    cur = s.currency
    spend = float(picked["spend"].sum())
    checks: list[RuleCheck] = []
    if s.budget is not None:
        checks.append(_rule("budget", f"budget ({s.budget:,.0f} {cur})", cur, spend, "<=", s.budget))
    for kpi in _KPIS:
        floor = getattr(s.targets, kpi)
        if floor:
            checks.append(_rule(f"target[{kpi}]", f"at least {floor:,.0f} {kpi}", kpi, float(picked[kpi].sum()), ">=",
                                floor))
    if s.targets.revenue:
        revenue = float(picked["conversions"].sum()) * (s.economics.average_order_value or 0.0)
        checks.append(_rule("target[revenue]", f"at least {s.targets.revenue:,.0f} {cur} revenue", cur, revenue, ">=",
                            s.targets.revenue))
    if s.rules.max_creators is not None:
        checks.append(_rule("team_capacity", "team capacity", "creators", len(picked), "<=", s.rules.max_creators))
    for kind, column, bands in (("tier", "tier", s.rules.tiers), ("platform", "platform", s.rules.platforms)):
        for name, band in bands.items():
            group = picked[picked[column] == name]
            g_spend = float(group["spend"].sum())
            # shares as spend against share x total spend (so a plan with no spend keeps them)
            if band.min_spend_share is not None:
                checks.append(_rule(f"{kind}_spend_share_min[{name}]", f"{name} at least {band.min_spend_share:.0%} of spend",
                                    cur, g_spend, ">=", band.min_spend_share * spend))
            if band.max_spend_share is not None:
                checks.append(_rule(f"{kind}_spend_share_max[{name}]", f"{name} at most {band.max_spend_share:.0%} of spend",
                                    cur, g_spend, "<=", band.max_spend_share * spend))
            if band.min_spend is not None:
                checks.append(_rule(f"{kind}_spend_min[{name}]", f"{name} spend", cur, g_spend, ">=", band.min_spend))
            if band.max_spend is not None:
                checks.append(_rule(f"{kind}_spend_max[{name}]", f"{name} spend", cur, g_spend, "<=", band.max_spend))
            if band.min_creators is not None:
                checks.append(_rule(f"{kind}_creators_min[{name}]", f"{name} creators", "creators", len(group), ">=",
                                    band.min_creators))
            if band.max_creators is not None:
                checks.append(_rule(f"{kind}_creators_max[{name}]", f"{name} creators", "creators", len(group), "<=",
                                    band.max_creators))
    cell_counts = (picked["tier"] + "." + picked["platform"]).value_counts()
    for key, rule in s.rules.cells.items():
        count = int(cell_counts.get(key, 0))
        if rule.lock is not None:
            checks.append(_rule(f"cell_lock[{key}]", f"{key} locked", "creators", count, "==", rule.lock))
        if rule.min_creators is not None:
            checks.append(_rule(f"cell_creators_min[{key}]", f"{key} creators", "creators", count, ">=",
                                rule.min_creators))
        if rule.max_creators is not None:
            checks.append(_rule(f"cell_creators_max[{key}]", f"{key} creators", "creators", count, "<=",
                                rule.max_creators))
    categories = picked["category"].value_counts()
    for name, rule in s.roster.categories.items():
        count = int(categories.get(name, 0))
        if rule.min_creators is not None:
            checks.append(_rule(f"category_min[{name}]", f"at least {rule.min_creators} {name} creators", "creators",
                                count, ">=", rule.min_creators))
        if rule.max_creators is not None:
            checks.append(_rule(f"category_max[{name}]", f"at most {rule.max_creators} {name} creators", "creators",
                                count, "<=", rule.max_creators))
    if s.roster.max_per_overlap_group is not None:
        groups = picked.loc[picked["overlap_group"] != "", "overlap_group"].value_counts()
        largest = int(groups.max()) if len(groups) else 0
        checks.append(_rule("overlap_groups", f"at most {s.roster.max_per_overlap_group} creators per overlap group",
                            "creators", largest, "<=", s.roster.max_per_overlap_group))
    if posts is not None:
        p = np.asarray(posts)[chosen]
        low, high = s.roster.posts_per_creator, s.roster.max_posts_per_creator or s.roster.posts_per_creator
        outside = int(((p < low) | (p > high)).sum())
        checks.append(_rule("posts_per_creator", f"{low} to {high} posts per chosen creator", "creators", outside,
                            "==", 0))
    for column, limit in s.roster.resource_caps.items():
        used = float(np.nan_to_num(picked[column].to_numpy(dtype=float)).sum())
        checks.append(_rule(f"resource[{column}]", f"total {column}", column, used, "<=", limit))
    missing = int((table["must_include"].to_numpy(dtype=bool) & ~chosen).sum())
    checks.append(_rule("must_include", "every must-include creator chosen", "creators", missing, "==", 0))
    excluded = int((table["exclude"].to_numpy(dtype=bool) & chosen).sum())
    checks.append(_rule("exclude", "no excluded creator chosen", "creators", excluded, "==", 0))
    return checks


def _totals(scenario: Scenario, picked: pd.DataFrame) -> dict[str, float]:
    eco = scenario.economics
    aov = eco.average_order_value
    spend = float(picked["spend"].sum())
    t: dict[str, float] = {"creators": float(len(picked)), "posts": float(picked["posts"].sum()), "spend": spend}
    for kpi in _KPIS:
        t[kpi] = float(picked[kpi].sum())
    t["revenue"] = t["conversions"] * aov if aov is not None else math.nan
    if aov is not None:
        t["profit"] = t["revenue"] * eco.margin_rate - t["conversions"] * eco.commission_per_conversion - spend
        t["roi"] = t["profit"] / spend if spend > 0 else math.nan
    else:
        t["profit"] = t["roi"] = math.nan
    t["cpe"] = spend / t["engagements"] if t["engagements"] > 0 else math.nan
    t["cpa"] = spend / t["conversions"] if t["conversions"] > 0 else math.nan
    return t


def _group_table(picked: pd.DataFrame, column: str, order: tuple[str, ...]) -> pd.DataFrame:
    sums = picked.groupby(column, sort=False)[["spend", *_KPIS]].sum()
    counts = picked.groupby(column, sort=False).size()
    rows = []
    for name in order:
        row = {column: name, "creators": int(counts.get(name, 0))}
        for c in ("spend", *_KPIS):
            row[c] = float(sums[c].get(name, 0.0)) if name in sums.index else 0.0
        rows.append(row)
    return pd.DataFrame(rows, columns=[column, "creators", "spend", *_KPIS])


def reserve_list(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    """Per tier, the best creators not chosen, ranked, to call when a chosen creator declines.

    Size per tier: ``roster.reserves_per_tier`` when set, else the expected declines
    ``ceil(sum over the tier's chosen creators of (1 - acceptance_rate))``. Rank: what a creator
    adds to the goal per unit of spend (for 'minimize: spend', reach per unit of spend), then
    roster order. Excluded creators are never reserves.
    """
    s = scenario
    assert s.roster is not None
    value = objective_vector(s, table) if s.objective.minimize is None else table["reach"].to_numpy(dtype=float)
    spend = table["spend"].to_numpy(dtype=float)
    per_spend = np.where(spend > 0, value / np.maximum(spend, 1e-9), np.where(value > 0, np.inf, 0.0))
    available = ~chosen & ~table["exclude"].to_numpy(dtype=bool)
    tiers = table["tier"].to_numpy()
    accept = table["acceptance_rate"].to_numpy(dtype=float)
    frames = []
    for tier in s.tier_names:
        in_tier = tiers == tier
        if s.roster.reserves_per_tier is not None:
            size = s.roster.reserves_per_tier
        else:
            size = math.ceil(float((1.0 - accept[in_tier & chosen]).sum()) - 1e-9)
        candidates = np.nonzero(in_tier & available)[0]
        if size <= 0 or len(candidates) == 0:
            continue
        ranked = candidates[np.lexsort((candidates, -per_spend[candidates]))][:size]
        part = table.iloc[ranked][["id", "platform", "tier", "followers", "category", "spend", *_KPIS,
                                   "acceptance_rate"]].copy()
        part.insert(0, "rank", np.arange(1, len(part) + 1))
        part["value_per_spend"] = per_spend[ranked]
        frames.append(part)
    columns = ["rank", "id", "platform", "tier", "followers", "category", "spend", *_KPIS, "acceptance_rate",
               "value_per_spend"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def make_roster_plan(scenario: Scenario, roster: Roster, solution: RosterSolution) -> RosterPlan:
    """Read a roster solution into a plan and re-check every rule on the chosen creators."""
    table = roster.table
    empty = pd.DataFrame(columns=list(SELECTED_COLUMNS))
    if solution.chosen is None:
        return RosterPlan(scenario, roster, solution, empty, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, (),
                          roster.notes + solution.notes)
    chosen = solution.chosen
    picked = at_posts(table, chosen, solution.posts)
    aov = scenario.economics.average_order_value
    picked["revenue"] = picked["conversions"] * aov if aov is not None else math.nan
    picked["filled_from_defaults"] = [filled_names(int(m)) for m in picked["defaults_mask"]]
    selected = picked[list(SELECTED_COLUMNS)].reset_index(drop=True)
    checks = tuple(check_roster_choice(scenario, table, chosen, solution.posts))
    notes = list(roster.notes) + list(solution.notes)
    broken = [c.label for c in checks if not c.holds]
    if broken:
        notes.append("THE INDEPENDENT CHECK FOUND BROKEN RULES: " + "; ".join(broken))
    return RosterPlan(
        scenario=scenario, roster=roster, solution=solution, selected=selected,
        by_tier=_group_table(picked, "tier", scenario.tier_names),
        by_platform=_group_table(picked, "platform", scenario.platforms),
        reserves=reserve_list(scenario, table, chosen),
        totals=_totals(scenario, picked), checks=checks, notes=tuple(notes))
