"""Uncertainty: how a fixed plan performs when the assumptions vary within their ranges.

Each assumption has a low / base / high value read as its 10th percentile, median and 90th
percentile for one creator (FORMULATION.md section 4), drawn from a split lognormal (two
lognormal halves joined at the median, so P10, P50 and P90 match exactly; a split normal cut
at zero when the low value is 0). What varies and what moves together is in
:mod:`mixopt.analysis.uncertainty`: contracted costs known, performance split into the
uncertainty of the tier average (shared by a cell's creators, correlated across a platform)
and creator-to-creator spread (drawn per creator, so it averages out); a calibrated range of the
tier average (``mean_low`` / ``mean_high`` from ``mixopt calibrate``) replaces the shared part
for its cell. The plan's creators and
posts are fixed; everything they deliver is recomputed per draw, vectorised. Sampling is seeded
and the seed is recorded, so results repeat exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mixopt.analysis.uncertainty import (
    RATE_CAP,
    CellInvites,
    average_ranges,
    cell_draws,
    fill_chance_drawn,
    invites_for_fill,
    plan_draws,
    quantile_of,
)
from mixopt.scenario.cells import Cell
from mixopt.scenario.schema import Scenario
from mixopt.tier.plan import Plan

__all__ = ["SimulationResult", "simulate_plan", "draw_parameters", "quantile_of", "standard_scores",
           "summarise_draws", "target_chances", "money_totals", "DISTRIBUTION", "RATE_CAP", "FILL_CONFIDENCE", "CHUNK_DRAWS",
           "chunk_sizes", "chunk_rng", "concatenate", "run_chunks"]

DISTRIBUTION = (
    "split lognormal matching P10=low, P50=base, P90=high for one creator; each creator's own spread drawn apart "
    "from its tier average's (shared by the tier and platform, correlated across a platform); contracted costs known"
)
DISTRIBUTION_UNCERTAIN_COSTS = DISTRIBUTION.replace("contracted costs known", "costs drawn from their ranges")
KPI_ROWS = ("reach", "unique_reach", "frequency", "impressions", "engagements", "conversions", "spend", "revenue",
            "profit", "roi", "cpe", "cpa")
#: The chance of filling the plan that the invite count aims for.
FILL_CONFIDENCE = 0.9


@dataclass(frozen=True)
class SimulationResult:
    """P10 / P50 / P90 of a plan's outcomes and the chance of meeting each target."""

    samples: int
    seed: int
    quantiles: pd.DataFrame  # index: KPI; columns p10, p50, p90, mean
    target_probability: dict[str, float]
    budget_probability: float | None  # chance that spend stays within the budget
    distribution: str = DISTRIBUTION
    costs_known: bool = True  # contracted costs: spend is the same in every draw
    invites: tuple[CellInvites, ...] = ()  # tier plans: the invites per cell for a FILL_CONFIDENCE chance to fill
    fill_reachable: bool = True  # False: some cell's pool cannot reach the chance
    fill_probability_planned: float | None = None  # share of draws filling every cell with the plan's invites
    fill_probability_drawn: float | None = None  # ... with the invites for the fill chance


def standard_scores(names: tuple[str, ...], samples: int, count: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Standard-normal scores, one (samples, count) block per name, drawn in ``names`` order."""
    return {name: rng.standard_normal((samples, count)) for name in names}


def draw_parameters(cells: tuple[Cell, ...], samples: int, rng: np.random.Generator,
                    scenario: Scenario) -> dict[str, np.ndarray]:
    """Per-cell draws, (samples, cells) arrays: a cell's creator-average performance given its
    shared score, known (or drawn) costs, the pool (the safe plan's model uses these)."""
    return cell_draws(cells, samples, rng, scenario, average=True)


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
    reach_1, engage_1, convert_1 = d["reach_per_creator"], d["engagements_per_creator"], d["conversions_per_creator"]
    reach = _curve(cells, reach_1 * n, reach_1 * accepting)
    impressions = _curve(cells, reach_1 * p, reach_1 * accepting * max_posts)
    engagements = _curve(cells, engage_1 * p, engage_1 * accepting * max_posts)
    conversions = _curve(cells, convert_1 * p, convert_1 * accepting * max_posts)
    spend = d["fee_per_post"] * p + (d["product_cost"] + d["handling_cost"]) * n
    totals = {
        "reach": reach.sum(axis=1), "impressions": impressions.sum(axis=1),
        "engagements": engagements.sum(axis=1), "conversions": conversions.sum(axis=1),
        "spend": spend.sum(axis=1),
    }
    totals["unique_reach"] = _unique_reach(cells, reach, reach_1)
    with np.errstate(divide="ignore", invalid="ignore"):
        totals["frequency"] = np.where(totals["unique_reach"] > 0, totals["impressions"] / totals["unique_reach"],
                                       np.nan)
    return money_totals(scenario, totals)


def _unique_reach(cells: tuple[Cell, ...], gross: np.ndarray, per_creator: np.ndarray) -> np.ndarray:
    """Per draw, the people reached once audience overlap is counted, as the plan counts them
    (scenario.outcomes: random duplication within a cell's audience, a share of every platform
    but the largest already reached), with each draw's reach per creator."""
    audience = np.array([c.audience for c in cells], dtype=float)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(np.isinf(audience), 0.0, per_creator / audience)
        creators = np.where(per_creator > 0, gross / np.where(per_creator > 0, per_creator, 1.0), 0.0)
        dup = -audience * np.expm1(creators * np.log1p(-np.minimum(share, 1.0 - 1e-15)))
    within = np.where(np.isinf(audience), gross, np.minimum(gross, np.where(share >= 1.0, audience, dup)))
    overlap = cells[0].cross_platform_overlap if cells else 0.0
    if overlap <= 0:
        return within.sum(axis=1)
    platforms = list(dict.fromkeys(c.platform for c in cells))
    by_platform = np.stack([within[:, [j for j, c in enumerate(cells) if c.platform == q]].sum(axis=1)
                            for q in platforms], axis=1)
    total = by_platform.sum(axis=1)
    return total - overlap * (total - by_platform.max(axis=1))


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


#: Draws per chunk: each chunk has its own random stream, so a simulation split across processes
#: or Dask workers gives the same figures as one process with the same seed.
CHUNK_DRAWS = 2_000


def chunk_sizes(samples: int) -> list[int]:
    """The draws of each chunk of a simulation of ``samples`` draws, in order."""
    full, rest = divmod(samples, CHUNK_DRAWS)
    return [CHUNK_DRAWS] * full + ([rest] if rest else [])


def chunk_rng(seed: int, index: int, *key: int) -> np.random.Generator:
    """The random stream of chunk ``index`` of a seeded simulation (``key`` separates sub-streams)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(*key, index))))


def concatenate(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The chunks' per-draw arrays joined in chunk order."""
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}


def run_chunks(function: Any, shared: Any, arguments: list[tuple[Any, ...]], scheduler: str | None) -> list[Any]:
    """``function(shared, *a)`` for every ``a``, in order: here, or on the Dask scheduler at
    ``scheduler`` (``shared`` is sent to the workers once)."""
    if scheduler is None:
        return [function(shared, *a) for a in arguments]
    from mixopt.analysis.batch_run import Where, _check_versions, _connect

    client = _connect(Where(scheduler=scheduler))
    try:
        _check_versions(client, scheduler)
        [handle] = client.scatter([shared], broadcast=True)
        futures = [client.submit(function, handle, *a, pure=False) for a in arguments]
        return client.gather(futures)
    finally:
        client.close()


def _tier_chunk(plan: Plan, index: int, size: int, seed: int,
                invites: tuple[CellInvites, ...]) -> dict[str, np.ndarray]:
    cells = plan.cells
    creators, posts = plan.creators_and_posts()
    counts = np.array([creators.get(c.key, 0) for c in cells], dtype=float)
    n, p = counts[None, :], np.array([posts.get(c.key, 0) for c in cells], dtype=float)[None, :]
    draws = plan_draws(cells, counts, size, chunk_rng(seed, index), plan.scenario)
    totals = _totals(plan.scenario, cells, n, p, draws)
    totals["fill_planned"] = fill_chance_drawn(invites, cells, draws["acceptance_rate"], True)
    totals["fill"] = fill_chance_drawn(invites, cells, draws["acceptance_rate"])
    return totals


def simulate_plan(plan: Plan, samples: int = 10_000, seed: int = 0, *,
                  scheduler: str | None = None) -> SimulationResult:
    """Draw ``samples`` joint outcomes of a fixed plan and summarise them, in chunks of
    :data:`CHUNK_DRAWS` draws with their own streams (on a Dask cluster with ``scheduler``:
    the same figures).

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
    cells = plan.cells
    creators, _posts = plan.creators_and_posts()
    counts = np.array([creators.get(c.key, 0) for c in cells], dtype=float)
    planned_invites = {f"{t}.{q}": v for t, q, v in plan.allocation[["tier", "platform", "invites"]].itertuples(
        index=False)}
    planned = np.array([planned_invites.get(c.key, 0) for c in cells], dtype=float)
    invites, reachable = invites_for_fill(cells, counts, planned, FILL_CONFIDENCE)
    arguments = [(i, size, seed, invites) for i, size in enumerate(chunk_sizes(samples))]
    totals = concatenate(run_chunks(_tier_chunk, plan, arguments, scheduler))
    fill_planned, fill = totals.pop("fill_planned"), totals.pop("fill")
    targets, within = target_chances(plan.scenario, totals)
    known = not plan.scenario.simulation.uncertain_costs
    distribution = DISTRIBUTION if known else DISTRIBUTION_UNCERTAIN_COSTS
    calibrated = sum(bool(c) for c in average_ranges(plan.scenario, cells))
    if calibrated:
        distribution += (f"; the tier average of {calibrated} tier and platform cell{'s' if calibrated > 1 else ''} "
                         "drawn from its calibrated range (mean_low / mean_high)")
    return SimulationResult(samples=samples, seed=seed, quantiles=summarise_draws(totals, KPI_ROWS),
                            target_probability=targets, budget_probability=within,
                            distribution=distribution, costs_known=known,
                            invites=invites, fill_reachable=reachable,
                            fill_probability_planned=float(fill_planned.mean()), fill_probability_drawn=float(fill.mean()))


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
    for kpi in ("reach", "unique_reach", "impressions", "engagements", "conversions", "revenue"):
        floor = getattr(scenario.targets, kpi, None)
        if floor and kpi in totals:
            targets[kpi] = float(np.mean(totals[kpi] >= floor - 1e-9))
    budget = scenario.budget
    within = float(np.mean(totals["spend"] <= budget + 1e-9)) if budget is not None else None
    return targets, within
