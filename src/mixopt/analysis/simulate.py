"""Uncertainty: how a fixed plan performs when the assumptions vary within their ranges.

Each assumption has a low / base / high value read as its 10th percentile, median and 90th
percentile (FORMULATION.md section 4). Draws come from a split lognormal (two lognormal
halves joined at the median, so P10, P50 and P90 match exactly; a split normal cut at zero
when the low value is 0), independently across assumptions and cells. The plan's creators and
posts are fixed; everything they deliver and cost is recomputed per draw, vectorised.
Sampling is seeded and the seed is recorded, so results repeat exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixopt.scenario.cells import Cell
from mixopt.scenario.schema import Scenario
from mixopt.tier.plan import Plan

__all__ = ["SimulationResult", "simulate_plan", "draw_parameters", "quantile_of", "standard_scores",
           "summarise_draws", "target_chances", "money_totals", "DISTRIBUTION", "RATE_CAP"]

DISTRIBUTION = (
    "split lognormal matching P10=low, P50=base, P90=high (split normal cut at 0 when low is 0); "
    "assumptions drawn independently"
)
_Z90 = 1.2815515655446004  # standard normal 90th percentile
RATE_CAP = {"reach_rate": 10.0, "engagement_rate": 1.0, "conversion_rate": 1.0, "acceptance_rate": 1.0}
_DRAWN = ("typical_followers", "reach_rate", "engagement_rate", "conversion_rate", "fee_per_post", "product_cost",
          "handling_cost", "acceptance_rate", "pool")
KPI_ROWS = ("reach", "impressions", "engagements", "conversions", "spend", "revenue", "profit", "roi", "cpe", "cpa",
            "invites")


@dataclass(frozen=True)
class SimulationResult:
    """P10 / P50 / P90 of a plan's outcomes and the chance of meeting each target."""

    samples: int
    seed: int
    quantiles: pd.DataFrame  # index: KPI; columns p10, p50, p90, mean
    target_probability: dict[str, float]
    budget_probability: float | None  # chance that spend stays within the budget
    distribution: str = DISTRIBUTION


def quantile_of(low: float, base: float, high: float, z: np.ndarray | float) -> np.ndarray:
    """The value at standard-normal score ``z`` of the split distribution through low/base/high."""
    z = np.asarray(z, dtype=float)
    if base <= 0:
        return np.maximum(base + np.where(z < 0, (base - low), (high - base)) * z / _Z90, 0.0)
    if low > 0:
        down = math.log(base / low) / _Z90
        up = math.log(high / base) / _Z90 if high > 0 else 0.0
        return base * np.exp(np.where(z < 0, down, up) * z)
    # low == 0: a split normal below the median, cut at zero
    up = math.log(high / base) / _Z90 if high > base else 0.0
    return np.where(z < 0, np.maximum(base + base * z / _Z90, 0.0), base * np.exp(up * z))


def standard_scores(names: tuple[str, ...], samples: int, count: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Standard-normal scores, one (samples, count) block per name, drawn in ``names`` order."""
    return {name: rng.standard_normal((samples, count)) for name in names}


def draw_parameters(cells: tuple[Cell, ...], samples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Independent draws of every uncertain assumption: arrays of shape (samples, cells)."""
    out: dict[str, np.ndarray] = {}
    scores = standard_scores(_DRAWN, samples, len(cells), rng)
    for name in _DRAWN:
        z = scores[name]
        columns = []
        for j, cell in enumerate(cells):
            low, base, high = cell.ranges[name]
            if name == "engagement_rate" and cell.engagement_rate_per == "views":
                pass  # converted below with the drawn reach rate
            columns.append(quantile_of(low, base, high, z[:, j]))
        values = np.stack(columns, axis=1)
        if name in RATE_CAP:
            values = np.clip(values, 1e-12 if name == "acceptance_rate" else 0.0, RATE_CAP[name])
        out[name] = values
    per_view = np.array([c.engagement_rate_per == "views" for c in cells])
    out["engagement_rate"] = np.where(per_view, out["engagement_rate"] * out["reach_rate"], out["engagement_rate"])
    out["pool"] = np.floor(out["pool"])
    return out


def _curve(cells: tuple[Cell, ...], linear: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Diminishing returns applied per cell, vectorised over samples."""
    result = np.zeros_like(linear)
    for j, cell in enumerate(cells):
        start = np.zeros(linear.shape[0])
        for index, (share, slope) in enumerate(cell.curve):
            end = share * top[:, j] if index < len(cell.curve) - 1 else np.full(linear.shape[0], np.inf)
            result[:, j] += slope * np.clip(linear[:, j] - start, 0.0, np.maximum(end - start, 0.0))
            start = end
    return result


def _totals(scenario: Scenario, cells: tuple[Cell, ...], n: np.ndarray, p: np.ndarray,
            d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    max_posts = np.array([c.max_posts for c in cells], dtype=float)
    accepting = np.floor(d["acceptance_rate"] * d["pool"] + 1e-9)
    f, r, e, k = d["typical_followers"], d["reach_rate"], d["engagement_rate"], d["conversion_rate"]
    reach = _curve(cells, f * r * n, f * r * accepting)
    impressions = _curve(cells, f * r * p, f * r * accepting * max_posts)
    engagements = _curve(cells, f * e * p, f * e * accepting * max_posts)
    conversions = _curve(cells, f * e * k * p, f * e * k * accepting * max_posts)
    spend = d["fee_per_post"] * p + (d["product_cost"] + d["handling_cost"]) * n
    invites = np.where(n > 0, np.ceil(n / d["acceptance_rate"] - 1e-9), 0.0)
    totals = {
        "reach": reach.sum(axis=1), "impressions": impressions.sum(axis=1),
        "engagements": engagements.sum(axis=1), "conversions": conversions.sum(axis=1),
        "spend": spend.sum(axis=1), "invites": invites.sum(axis=1),
    }
    return money_totals(scenario, totals)


def money_totals(scenario: Scenario, totals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Add revenue, profit and ROI (with an average order value), CPE and CPA to per-draw totals."""
    econ = scenario.economics
    aov = econ.average_order_value
    with np.errstate(divide="ignore", invalid="ignore"):
        if aov is not None:
            totals["revenue"] = aov * totals["conversions"]
            totals["profit"] = (aov * econ.margin_rate - econ.commission_per_conversion) * totals["conversions"] - totals["spend"]
            totals["roi"] = np.where(totals["spend"] > 0, totals["profit"] / totals["spend"], np.nan)
        totals["cpe"] = np.where(totals["engagements"] > 0, totals["spend"] / totals["engagements"], np.nan)
        totals["cpa"] = np.where(totals["conversions"] > 0, totals["spend"] / totals["conversions"], np.nan)
    return totals


def simulate_plan(plan: Plan, samples: int = 10_000, seed: int = 0) -> SimulationResult:
    """Draw ``samples`` joint outcomes of a fixed plan and summarise them.

    Examples
    --------
    >>> import mixopt
    >>> from mixopt.analysis.simulate import simulate_plan
    >>> result = simulate_plan(mixopt.optimize("scenarios/sales_push.yaml"), samples=1000)  # doctest: +SKIP
    >>> result.quantiles.loc["reach", "p50"] > 0  # doctest: +SKIP
    True
    """
    if samples < 1:
        raise ValueError("samples must be at least 1")
    rng = np.random.default_rng(seed)
    cells = plan.cells
    creators, posts = plan.creators_and_posts()
    n = np.array([creators.get(c.key, 0) for c in cells], dtype=float)[None, :]
    p = np.array([posts.get(c.key, 0) for c in cells], dtype=float)[None, :]
    totals = _totals(plan.scenario, cells, n, p, draw_parameters(cells, samples, rng))
    targets, within = target_chances(plan.scenario, totals)
    return SimulationResult(samples=samples, seed=seed, quantiles=summarise_draws(totals, KPI_ROWS),
                            target_probability=targets, budget_probability=within)


def summarise_draws(totals: dict[str, np.ndarray], kpis: tuple[str, ...]) -> pd.DataFrame:
    """P10 / P50 / P90 and mean of each KPI over the draws (NaN draws, e.g. CPA with no conversions, left out)."""
    rows = {}
    for kpi in kpis:
        if kpi not in totals:
            continue
        values = totals[kpi]
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            rows[kpi] = {"p10": math.nan, "p50": math.nan, "p90": math.nan, "mean": math.nan}
            continue
        p10, p50, p90 = np.quantile(finite, [0.1, 0.5, 0.9])
        rows[kpi] = {"p10": float(p10), "p50": float(p50), "p90": float(p90), "mean": float(finite.mean())}
    return pd.DataFrame.from_dict(rows, orient="index")[["p10", "p50", "p90", "mean"]]


def target_chances(scenario: Scenario, totals: dict[str, np.ndarray]) -> tuple[dict[str, float], float | None]:
    """The share of draws meeting each target, and the share with spend within the budget (None without one)."""
    targets = {}
    for kpi in ("reach", "impressions", "engagements", "conversions", "revenue"):
        floor = getattr(scenario.targets, kpi)
        if floor and kpi in totals:
            targets[kpi] = float(np.mean(totals[kpi] >= floor - 1e-9))
    budget = scenario.budget
    within = float(np.mean(totals["spend"] <= budget + 1e-9)) if budget is not None else None
    return targets, within
