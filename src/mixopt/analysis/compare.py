"""Plans side by side: allocation, KPIs, and the difference to the first plan."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from mixopt.tier.plan import Plan

__all__ = ["Comparison", "compare_plans", "COMPARED_TOTALS"]

COMPARED_TOTALS = (
    "spend", "creators", "posts", "invites", "reach", "impressions", "engagements", "conversions", "revenue",
    "profit", "roi", "cpe", "cpa",
)


@dataclass(frozen=True)
class Comparison:
    """Several plans with the same table shape: one row per metric or cell, one column per plan."""

    plans: tuple[Plan, ...]
    names: tuple[str, ...]

    def table(self) -> pd.DataFrame:
        """Rows: totals, then creators and spend per (tier, platform) cell; columns: each plan,
        then ``<name> - <first>`` differences."""
        rows: list[dict[str, object]] = []
        for key in COMPARED_TOTALS:
            rows.append({"section": "totals", "item": key, **{n: p.totals.get(key) for n, p in zip(self.names, self.plans)}})
        rows.append({"section": "goal", "item": "objective",
                     **{n: (("min " if p.objective_label == "spend" else "max ") + p.objective_label)
                        for n, p in zip(self.names, self.plans)}})
        rows.append({"section": "goal", "item": "status", **{n: p.status.value for n, p in zip(self.names, self.plans)}})
        cells: list[tuple[str, str]] = []
        for plan in self.plans:
            for r in plan.allocation.to_dict("records"):
                if (r["tier"], r["platform"]) not in cells:
                    cells.append((r["tier"], r["platform"]))
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
                if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not (
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


def compare_plans(plans: Sequence[Plan]) -> Comparison:
    """Put plans side by side (names from their scenarios, made unique)."""
    if len(plans) < 2:
        raise ValueError("compare needs at least two plans")
    return Comparison(tuple(plans), _unique([p.scenario.name for p in plans]))
