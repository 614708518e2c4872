"""Plans side by side: allocation, KPIs, and the difference to the first plan.

Tier plans (creators per cell) and roster plans (named creators, summed per cell) line up
alike: every plan has totals and an allocation per (tier, platform) cell. The cells compared are
the union over the plans, ordered by tier, then platform, as the scenarios list them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from mixopt.roster.plan import RosterPlan
from mixopt.tier.plan import Plan

__all__ = ["Comparison", "compare_plans", "COMPARED_TOTALS", "PLAN_KINDS"]

COMPARED_TOTALS = (
    "spend", "creators", "posts", "invites", "reach", "impressions", "engagements", "conversions", "revenue",
    "profit", "roi", "cpe", "cpa",
)

#: What each mode's plan decides, in planner words (the ``plan`` row when a roster plan is compared).
PLAN_KINDS = {"tier": "creators per cell", "roster": "named creators"}


def _cells(plans: Sequence[Plan | RosterPlan]) -> list[tuple[str, str]]:
    """The (tier, platform) cells of any plan, ordered by tier then platform (first listing wins)."""
    tiers: list[str] = []
    platforms: list[str] = []
    for plan in plans:
        tiers += [t for t in plan.scenario.tier_names if t not in tiers]
        platforms += [p for p in plan.scenario.platforms if p not in platforms]
    found: set[tuple[str, str]] = set()
    for plan in plans:
        found |= {(str(t), str(p)) for t, p in zip(plan.allocation["tier"], plan.allocation["platform"])}
    rank_t = {t: i for i, t in enumerate(tiers)}
    rank_p = {p: i for i, p in enumerate(platforms)}
    return sorted(found, key=lambda c: (rank_t.get(c[0], len(tiers)), rank_p.get(c[1], len(platforms)), c))


@dataclass(frozen=True)
class Comparison:
    """Several plans with the same table shape: one row per metric or cell, one column per plan."""

    plans: tuple[Plan | RosterPlan, ...]
    names: tuple[str, ...]

    @property
    def has_roster(self) -> bool:
        """True when any plan chooses named creators (a roster plan)."""
        return any(p.mode == "roster" for p in self.plans)

    def table(self) -> pd.DataFrame:
        """Rows: totals, the goal (and, with a roster plan, what each plan decides and its gap), then
        creators, posts and spend per (tier, platform) cell; columns: each plan, then ``<name> - <first>``
        differences (numbers only, never for the goal rows)."""
        rows: list[dict[str, object]] = []
        for key in COMPARED_TOTALS:
            rows.append({"section": "totals", "item": key, **{n: p.totals.get(key) for n, p in zip(self.names, self.plans)}})
        rows.append({"section": "goal", "item": "objective",
                     **{n: (("min " if p.objective_label == "spend" else "max ") + p.objective_label)
                        for n, p in zip(self.names, self.plans)}})
        rows.append({"section": "goal", "item": "status", **{n: p.status.value for n, p in zip(self.names, self.plans)}})
        if self.has_roster:
            rows.append({"section": "goal", "item": "plan",
                         **{n: PLAN_KINDS[p.mode] for n, p in zip(self.names, self.plans)}})
            rows.append({"section": "goal", "item": "gap",
                         **{n: float(p.gap or 0.0) for n, p in zip(self.names, self.plans)}})
        cells = _cells(self.plans)
        for measure in ("creators", "posts", "spend"):
            for tier, platform in cells:
                values = {}
                for name, plan in zip(self.names, self.plans):
                    a = plan.allocation
                    match = a[(a["tier"] == tier) & (a["platform"] == platform)]
                    values[name] = float(match[measure].iloc[0]) if len(match) else 0.0
                rows.append({"section": measure, "item": f"{tier}.{platform}", **values})
        frame = pd.DataFrame(rows)
        first = self.names[0]
        for name in self.names[1:]:
            diffs = []
            for _, row in frame.iterrows():
                a, b = row[first], row[name]
                if row["section"] != "goal" and isinstance(a, (int, float)) and isinstance(b, (int, float)) and not (
                        isinstance(a, float) and math.isnan(a)) and not (isinstance(b, float) and math.isnan(b)):
                    diffs.append(float(b) - float(a))
                else:
                    diffs.append(None)
            frame[f"{name} - {first}"] = diffs
        return frame


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        candidate, k = name, 2
        while candidate in out:
            candidate, k = f"{name} ({k})", k + 1
        out.append(candidate)
    return tuple(out)


def compare_plans(plans: Sequence[Plan | RosterPlan]) -> Comparison:
    """Put plans side by side (names from their scenarios, made unique); tier and roster plans alike."""
    if len(plans) < 2:
        raise ValueError("compare needs at least two plans")
    return Comparison(tuple(plans), _unique([p.scenario.name for p in plans]))
