"""What a sweep returns, in either mode: every point's value, status, objective and plan, and the
curve's table (sweep.csv's columns)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from mixopt.contract import PlanView
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolveStatus

__all__ = ["SweepPoint", "SweepResult"]


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: the swept value, what the solve established and the plan."""

    value: float
    status: SolveStatus
    objective: float | None
    plan: PlanView | None
    marginal_per_1000: float | None = None  # objective change with 1,000 more (money fields, exact)


@dataclass(frozen=True)
class SweepResult:
    """A response curve: every point, where the mix changes, and how it was computed."""

    scenario: Scenario
    field: str
    points: tuple[SweepPoint, ...]
    exact: bool
    solver: str
    solver_version: str
    mix_changes: tuple[str, ...] = ()

    @property
    def preview_bound(self) -> str:
        """Which side an LP preview bounds the exact curve from: 'upper' when maximising, 'lower' for least spend."""
        return "lower" if self.scenario.objective.minimize else "upper"

    @property
    def objective_label(self) -> str:
        obj = self.scenario.objective
        return "spend" if obj.minimize else str(obj.maximize)

    def table(self) -> pd.DataFrame:
        """One row per point, in the documented sweep columns."""
        rows = []
        for i, p in enumerate(self.points):
            t = p.plan.totals if p.plan is not None else {}
            nxt = self.points[i + 1] if i + 1 < len(self.points) else None
            slope = None
            if nxt is not None and p.objective is not None and nxt.objective is not None and nxt.value != p.value:
                slope = (nxt.objective - p.objective) / (nxt.value - p.value)
            rows.append({
                "field": self.field,
                "value": p.value,
                "status": p.status.value if self.exact else f"lp_preview_{p.status.value}",
                "objective": self.objective_label,
                "objective_value": p.objective,
                "marginal_per_1000": p.marginal_per_1000,
                "slope_to_next_point": slope,
                "creators": t.get("creators"),
                "posts": t.get("posts"),
                "spend": t.get("spend"),
                "reach": t.get("reach"),
                "impressions": t.get("impressions"),
                "engagements": t.get("engagements"),
                "conversions": t.get("conversions"),
                "revenue": t.get("revenue"),
                "profit": t.get("profit"),
                "roi": t.get("roi"),
                "cpe": t.get("cpe"),
                "cpa": t.get("cpa"),
                **{f"creators_{tier}": (self._tier_creators(p.plan, tier)) for tier in self.scenario.tier_names},
                # roster points are certified within a gap: say how close each is (tier sweeps are exact)
                **({"gap": p.plan.gap if p.plan is not None else None} if self.scenario.roster is not None else {}),
            })
        return pd.DataFrame(rows)

    @staticmethod
    def _tier_creators(plan: PlanView | None, tier: str) -> float | None:
        if plan is None:
            return None
        return float(plan.allocation.loc[plan.allocation["tier"] == tier, "creators"].sum())

    def best_roi_point(self) -> SweepPoint | None:
        """The point with the highest ROI (needs an average order value), or None."""
        best = None
        for p in self.points:
            if p.plan is None or math.isnan(p.plan.totals.get("roi", math.nan)):
                continue
            if best is None or p.plan.totals["roi"] > best.plan.totals["roi"]:  # type: ignore[union-attr]
                best = p
        return best
