"""A roster plan: the chosen creators, totals by tier and platform, reserves, and every rule
re-checked on the chosen set by code that never looks at the model's arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from mixopt.contract import Marginal, RuleCheck, objective_label
from mixopt.roster.check import at_posts, check_roster_choice
from mixopt.roster.model import (
    ROSTER_KPIS,
    roster_audiences,
    unique_reach_value,
    uses_unique_reach,
)
from mixopt.roster.reserves import RESERVE_COLUMNS, reserve_list
from mixopt.roster.solve import RosterSolution
from mixopt.roster.table import Roster, filled_names
from mixopt.roster.unique_swaps import chosen_unique_reach
from mixopt.scenario.cells import Cell, resolve_cells
from mixopt.scenario.outcomes import ALLOCATION_COLUMNS
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolveStatus

__all__ = ["RosterPlan", "make_roster_plan", "SELECTED_COLUMNS"]

#: Columns of the selected-creators table (plan.csv in roster mode), in order.
SELECTED_COLUMNS = ("id", "platform", "tier", "followers", "category", "country", "overlap_group", "posts", "spend",
                    "fee_per_post", "product_cost", "handling_cost", "reach", "impressions", "engagements",
                    "conversions", "revenue", "fit_score", "acceptance_rate", "must_include", "filled_from_defaults")


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
    allocation: pd.DataFrame = field(default_factory=pd.DataFrame)  # per (tier, platform) cell, as in tier mode
    marginals: tuple[Marginal, ...] = ()

    mode = "roster"
    baseline = None

    @property
    def status(self) -> SolveStatus:
        return self.solution.status

    @property
    def feasible(self) -> bool:
        """True when every rule holds on the chosen creators (independent check)."""
        return all(c.holds for c in self.checks)

    @property
    def objective_label(self) -> str:
        return objective_label(self.scenario)

    @property
    def cells(self) -> tuple[Cell, ...]:
        """The tier defaults per (tier, platform) cell that fill metrics a creator table leaves out."""
        return resolve_cells(self.scenario)

    @property
    def objective_value(self) -> float | None:
        return self.solution.objective

    @property
    def bound(self) -> float | None:
        return self.solution.bound

    @property
    def gap(self) -> float | None:
        return self.solution.gap

    @property
    def solver(self) -> str:
        return self.solution.solver

    @property
    def solver_version(self) -> str:
        return self.solution.solver_version

    @property
    def seconds(self) -> float:
        return float(sum(self.solution.seconds.values()))

    @property
    def binding_rules(self) -> list[RuleCheck]:
        """Rules with no room left (count rules: less than one creator of room)."""
        return [c for c in self.checks if c.holds and c.rule not in ("must_include", "exclude", "posts_per_creator")
                and (c.sense == "==" or (c.slack < 1 - 1e-9 if c.unit == "creators"
                                         else c.slack <= 1e-6 * max(1.0, abs(c.limit))))]

    def creators_and_posts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Creators and posts per cell (``nano.tiktok``), as in tier mode."""
        rows = self.allocation.itertuples(index=False)
        pairs = [(f"{r.tier}.{r.platform}", int(r.creators), int(r.posts)) for r in rows]
        return {k: c for k, c, _ in pairs}, {k: p for k, _, p in pairs}


def _totals(scenario: Scenario, picked: pd.DataFrame, unique_reach: float) -> dict[str, float]:
    """Campaign totals; ``unique_reach`` is the chosen creators' people after audience overlap."""
    eco = scenario.economics
    aov = eco.average_order_value
    spend = float(picked["spend"].sum())
    t: dict[str, float] = {"creators": float(len(picked)), "posts": float(picked["posts"].sum()), "spend": spend}
    for kpi in ROSTER_KPIS:
        t[kpi] = float(picked[kpi].sum())
    t["revenue"] = t["conversions"] * aov if aov is not None else math.nan
    if aov is not None:
        t["profit"] = t["revenue"] * eco.margin_rate - t["conversions"] * eco.commission_per_conversion - spend
        t["roi"] = t["profit"] / spend if spend > 0 else math.nan
    else:
        t["profit"] = t["roi"] = math.nan
    t["cpe"] = spend / t["engagements"] if t["engagements"] > 0 else math.nan
    t["cpa"] = spend / t["conversions"] if t["conversions"] > 0 else math.nan
    # the rest of the tier totals, so every analysis reads both modes alike
    t["invites"] = t["creators"]  # each chosen creator is invited by name
    t["expected_signed"] = float(picked["acceptance_rate"].sum())
    t["fees"] = float((picked["fee_per_post"] * picked["posts"]).sum())
    t["product_cost"] = float(picked["product_cost"].sum())
    t["handling_cost"] = float(picked["handling_cost"].sum())
    t["commission"] = t["conversions"] * eco.commission_per_conversion
    t["cpm_reach"] = 1000 * spend / t["reach"] if t["reach"] > 0 else math.nan
    t["unique_reach"] = unique_reach
    t["frequency"] = t["impressions"] / unique_reach if unique_reach > 0 else math.nan
    return t


def _allocation(scenario: Scenario, picked: pd.DataFrame) -> pd.DataFrame:
    """The chosen creators summed per (tier, platform) cell, in tier mode's columns and cell order."""
    eco = scenario.economics
    aov = eco.average_order_value or 0.0
    frame = picked.assign(fees=picked["fee_per_post"] * picked["posts"])
    sums = frame.groupby(["tier", "platform"], sort=False)[
        ["posts", "spend", "fees", "product_cost", "handling_cost", "acceptance_rate", *ROSTER_KPIS]].sum()
    counts = frame.groupby(["tier", "platform"], sort=False).size()
    rows = []
    for tier, platform in scenario.cells:
        key = (tier, platform)
        got = key in sums.index
        value = (lambda column: float(sums.loc[key, column])) if got else (lambda column: 0.0)
        n = int(counts.get(key, 0)) if got else 0
        spend, engagements, conversions = value("spend"), value("engagements"), value("conversions")
        rows.append({
            "tier": tier, "platform": platform, "creators": n, "posts": int(round(value("posts"))), "invites": n,
            "expected_signed": value("acceptance_rate"), "spend": spend, "fees": value("fees"),
            "product_cost": value("product_cost"), "handling_cost": value("handling_cost"), "reach": value("reach"),
            "impressions": value("impressions"), "engagements": engagements, "conversions": conversions,
            "revenue": aov * conversions, "commission": eco.commission_per_conversion * conversions,
            "cpe": spend / engagements if engagements > 0 else math.nan,
            "cpa": spend / conversions if conversions > 0 else math.nan,
        })
    return pd.DataFrame(rows, columns=list(ALLOCATION_COLUMNS))


def _group_table(picked: pd.DataFrame, column: str, order: tuple[str, ...]) -> pd.DataFrame:
    sums = picked.groupby(column, sort=False)[["spend", *ROSTER_KPIS]].sum()
    counts = picked.groupby(column, sort=False).size()
    rows = []
    for name in order:
        row = {column: name, "creators": int(counts.get(name, 0))}
        for c in ("spend", *ROSTER_KPIS):
            row[c] = float(sums[c].get(name, 0.0)) if name in sums.index else 0.0
        rows.append(row)
    return pd.DataFrame(rows, columns=[column, "creators", "spend", *ROSTER_KPIS])


def make_roster_plan(scenario: Scenario, roster: Roster, solution: RosterSolution, *,
                     reserves: bool = True) -> RosterPlan:
    """Read a roster solution into a plan and re-check every rule on the chosen creators.

    ``reserves=False`` leaves the reserve list empty (re-solves whose plans are compared, not
    signed: sweep points, frontier points)."""
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
    audiences = roster_audiences(scenario, table) if uses_unique_reach(scenario) else None
    checks = tuple(check_roster_choice(scenario, table, chosen, solution.posts, audiences=audiences))
    notes = list(roster.notes) + list(solution.notes)
    broken = [c.label for c in checks if not c.holds]
    if broken:
        notes.append("THE INDEPENDENT CHECK FOUND BROKEN RULES: " + "; ".join(broken))
    return RosterPlan(
        scenario=scenario, roster=roster, solution=solution, selected=selected,
        by_tier=_group_table(picked, "tier", scenario.tier_names),
        by_platform=_group_table(picked, "platform", scenario.platforms),
        reserves=(reserve_list(scenario, table, chosen, solution.posts, audiences=audiences) if reserves
                  else pd.DataFrame(columns=list(RESERVE_COLUMNS))),
        totals=_totals(scenario, picked, chosen_unique_reach(scenario, table, chosen) if audiences is None
                       else unique_reach_value(audiences, chosen)),
        checks=checks, notes=tuple(notes),
        allocation=_allocation(scenario, picked))
