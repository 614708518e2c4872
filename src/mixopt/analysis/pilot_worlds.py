"""The simulated worlds behind ``mixopt pilot``: true cell averages, a pilot's results, the goal.

**A world** is one possible truth: the average reach rate, engagement rate (per follower per
post) and conversion rate of every cell. It is drawn from the current belief the way
``mixopt simulate`` reads it (:mod:`mixopt.analysis.uncertainty`): the low / base / high range
of a cell is one creator's P10 / P50 / P90, its score is ``sqrt(w) * z_cell + sqrt(1 - w) *
z_creator`` with ``w = simulation.shared_share``, the cell scores of one platform correlated by
``simulation.platform_correlation``; the world's cell average is the creators' mean given the
shared score (Gauss-Hermite quadrature over the creator's own score). What a pilot can teach is
rates: follower counts are seen before booking, and contracted costs, acceptance and pools are
taken at their planning values (they are not learned from a wave's posts). A cell that states
its engagement per view is turned into engagement per follower at the planning reach rate, as
``mixopt calibrate`` does for its priors.

**A pilot's results** are one row per creator, counted as the campaign generator does
(:mod:`mixopt.analysis.campaign_results`): each creator's own rate is the world's average times
its own spread (the creator part of the range, normalised to mean 1); followers are the cell's
typical followers; reach ~ Poisson(followers x reach rate), engagements ~ Poisson(followers x
posts x engagement rate), conversions ~ Binomial(engagements, conversion rate).

**The goal** of a mix in a world is its expected outcome at the world's averages, with the
scenario's diminishing returns on the cell's whole mix (the same arithmetic as ``simulate``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mixopt.analysis.simulate import (
    _totals,  # the same per-draw arithmetic as 'mixopt simulate'
)
from mixopt.analysis.uncertainty import RATE_CAP, platform_scores, quantile_of
from mixopt.scenario.cells import Cell
from mixopt.scenario.results import COUNT_COLUMNS, MONEY_COLUMNS, ResultsTable
from mixopt.scenario.schema import Assumption, CellAssumptions, Scenario
from mixopt.tier.plan import objective_label

__all__ = ["LEARNED", "draw_worlds", "base_world", "pilot_results", "goal_in_worlds", "kpis_in_worlds",
           "with_truth", "belief_range"]

#: The rates a pilot teaches (and a world draws).
LEARNED = ("reach_rate", "engagement_rate", "conversion_rate")
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_WEIGHTS = _WEIGHTS / math.sqrt(2 * math.pi)


def belief_range(cell: Cell, name: str) -> tuple[float, float, float]:
    """The cell's (low, base, high) of a learned rate; engagement per follower per post."""
    low, base, high = cell.ranges[name]
    if name == "engagement_rate" and cell.engagement_rate_per == "views":
        factor = cell.reach_rate
        low, base, high = low * factor, base * factor, high * factor
    return low, base, high


def _values(cell: Cell, name: str, z: np.ndarray) -> np.ndarray:
    return np.clip(quantile_of(*belief_range(cell, name), z), 0.0, RATE_CAP[name])


def draw_worlds(scenario: Scenario, cells: tuple[Cell, ...], count: int, seed: int) -> dict[str, np.ndarray]:
    """``count`` worlds: per learned rate a (worlds, cells) array of true cell averages (seeded)."""
    rng = np.random.default_rng(seed)
    settings = scenario.simulation
    w = settings.shared_share
    shared = platform_scores([c.platform for c in cells], LEARNED, count, rng, settings.platform_correlation)
    out = {}
    for name in LEARNED:
        columns = []
        for j, cell in enumerate(cells):
            a = math.sqrt(w) * shared[name][:, j]
            columns.append(_values(cell, name, a[:, None] + math.sqrt(1 - w) * _NODES[None, :]) @ _WEIGHTS)
        out[name] = np.stack(columns, axis=1)
    return out


def base_world(cells: tuple[Cell, ...]) -> dict[str, np.ndarray]:
    """The one world in which every planning (base) value is the true average."""
    return {name: np.array([[belief_range(c, name)[1] for c in cells]]) for name in LEARNED}


def _creator_factors(scenario: Scenario, cell: Cell, name: str, z: np.ndarray) -> np.ndarray:
    """One creator's own spread around the cell average, mean 1 (the creator part of the range)."""
    own = math.sqrt(1 - scenario.simulation.shared_share)
    mean = float(_values(cell, name, own * _NODES) @ _WEIGHTS)
    if mean <= 0:
        return np.ones_like(z)
    return _values(cell, name, own * z) / mean


def pilot_results(scenario: Scenario, cells: tuple[Cell, ...], creators: dict[str, int], posts: dict[str, int],
                  truth: dict[str, np.ndarray], rng: np.random.Generator) -> ResultsTable:
    """A pilot's results in one world (``truth``: one row per learned rate, one value per cell)."""
    frames = []
    for j, cell in enumerate(cells):
        n = int(creators.get(cell.key, 0))
        if n <= 0:
            continue
        total_posts = int(posts.get(cell.key, n))
        each = np.full(n, total_posts // n) + (np.arange(n) < total_posts % n)
        low, high = scenario.tiers[cell.tier]
        followers = float(min(max(round(cell.typical_followers), math.ceil(low)), math.floor(high) - 1))
        rate = {name: np.clip(float(truth[name][j]) * _creator_factors(scenario, cell, name, rng.standard_normal(n)),
                              0.0, RATE_CAP[name]) for name in LEARNED}
        reach = rng.poisson(followers * rate["reach_rate"])
        engagements = rng.poisson(followers * each * rate["engagement_rate"])
        conversions = rng.binomial(engagements, np.minimum(rate["conversion_rate"], 1.0))
        frame = pd.DataFrame({"creator_id": [f"{cell.key}.{i}" for i in range(n)], "platform": cell.platform,
                              "tier": cell.tier, "followers": followers, "posts": each.astype(float),
                              "reach": reach.astype(float), "engagements": engagements.astype(float),
                              "conversions": conversions.astype(float)})
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    for column in (*COUNT_COLUMNS, *MONEY_COLUMNS):
        if column not in table:
            table[column] = np.nan
    table["signed"] = True
    table["source"] = "simulated pilot"
    order = ["creator_id", "platform", "tier", "followers", "posts", *(c for c in COUNT_COLUMNS if c != "posts"),
             *MONEY_COLUMNS, "signed", "source"]
    return ResultsTable(table=table[order], files=(("simulated pilot", ""),), rows_read=len(table),
                        given=("reach", "engagements", "conversions"))


def kpis_in_worlds(scenario: Scenario, cells: tuple[Cell, ...], creators: np.ndarray, posts: np.ndarray,
                   truth: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every KPI of a mix per world: ``creators`` / ``posts`` are (worlds or 1, cells) arrays."""
    worlds = truth[LEARNED[0]].shape[0]
    followers = np.array([c.typical_followers for c in cells])[None, :]
    engagements = followers * truth["engagement_rate"]

    def known(name: str) -> np.ndarray:
        return np.broadcast_to(np.array([c.ranges[name][1] for c in cells], dtype=float), (worlds, len(cells)))

    d = {"reach_per_creator": followers * truth["reach_rate"], "engagements_per_creator": engagements,
         "conversions_per_creator": engagements * truth["conversion_rate"],
         "fee_per_post": known("fee_per_post"), "product_cost": known("product_cost"),
         "handling_cost": known("handling_cost"), "pool": np.floor(known("pool")),
         "acceptance_rate": np.broadcast_to(np.array([c.acceptance_rate for c in cells]), (worlds, len(cells)))}
    return _totals(scenario, cells, np.asarray(creators, dtype=float), np.asarray(posts, dtype=float), d)


def goal_in_worlds(scenario: Scenario, totals: dict[str, np.ndarray]) -> np.ndarray:
    """The scenario's goal (what it maximises) per world, from :func:`kpis_in_worlds`."""
    goal = objective_label(scenario)
    if goal == "value":
        weights = scenario.objective.value_per_unit or {}
        return sum((w * totals[k] for k, w in weights.items()), np.zeros_like(totals["spend"]))
    return np.asarray(totals[goal], dtype=float)


def with_truth(scenario: Scenario, cells: tuple[Cell, ...], values: dict[str, np.ndarray],
               ranges: dict[str, np.ndarray] | None = None, only_unset: bool = False) -> Scenario:
    """The scenario planning with ``values`` (one per learned rate and cell) as its cell numbers.

    ``ranges`` (low, high per rate and cell, arrays of shape (2, cells)) keeps a range; with
    ``only_unset`` a value is used only where the scenario sets none itself for that cell (the
    precedence of ``assumptions_from:``), and NaN values are skipped.
    """
    assumptions = dict(scenario.assumptions)
    for j, cell in enumerate(cells):
        key = cell.key
        own = [scenario.assumptions[k] for k in (cell.tier, cell.platform, key) if k in scenario.assumptions]
        update: dict[str, object] = {}
        for name in LEARNED:
            value = float(values[name][j])
            if not math.isfinite(value) or (only_unset and any(getattr(b, name, None) is not None for b in own)):
                continue
            value = min(value, RATE_CAP[name])
            low, high = (value, value) if ranges is None else (float(ranges[name][0, j]), float(ranges[name][1, j]))
            update[name] = Assumption(base=value, low=min(low, value), high=max(min(high, RATE_CAP[name]), value))
        if "engagement_rate" in update:
            update["engagement_rate_per"] = "followers"
        if update:
            assumptions[key] = (assumptions.get(key) or CellAssumptions()).model_copy(update=update)
    return scenario.model_copy(update={"assumptions": assumptions})
