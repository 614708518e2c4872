"""A roster plan: the chosen creators, totals by tier and platform, reserves, and every rule
re-checked on the chosen set by code that never looks at the model's arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from mixopt.contract import RuleCheck
from mixopt.roster.check import at_posts, check_roster_choice
from mixopt.roster.model import ROSTER_KPIS
from mixopt.roster.reserves import reserve_list
from mixopt.roster.solve import RosterSolution
from mixopt.roster.table import Roster, filled_names
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolveStatus

__all__ = ["RosterPlan", "make_roster_plan", "SELECTED_COLUMNS"]

#: Columns of the selected-creators table (plan.csv in roster mode), in order.
SELECTED_COLUMNS = ("id", "platform", "tier", "followers", "category", "country", "overlap_group", "posts", "spend",
                    "fee_per_post", "product_cost", "handling_cost", "reach", "impressions", "engagements",
                    "conversions", "revenue", "fit_score", "acceptance_rate", "must_include", "filled_from_defaults")
ROSTER_KPIS = ROSTER_KPIS


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


def _totals(scenario: Scenario, picked: pd.DataFrame) -> dict[str, float]:
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
    return t


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
