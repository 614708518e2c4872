"""What is uncertain in a tier plan, and what moves together: the draws behind ``mixopt simulate``.

**Known costs.** Fees, product and handling costs are contracted: they are known when the plan
is signed and are taken at their planning (base) values in every draw, unless the scenario says
``simulation: {uncertain_costs: true}`` (then each cell's costs are drawn from their ranges).

**Performance in two parts.** A cell's low / base / high range of a performance assumption
(typical followers, reach rate, engagement rate, conversion rate, acceptance rate) is read as
the 10th, 50th and 90th percentile for *one creator* of the cell. Its standard-normal score is
split in two: ``z = sqrt(w) * z_cell + sqrt(1 - w) * z_creator``. ``z_cell`` is the
uncertainty of the tier average, shared by every creator of the cell in a draw; ``z_creator``
is the creator's own spread, drawn per creator, so it averages out over many creators.
``w = simulation.shared_share`` (default 0.5: the defaults' ranges blend how much creators
differ with how unsure the average is, and no source says which dominates). A single creator
keeps the range exactly; 30 creators of a cell vary about ``sqrt(w)`` as much as one.

**Platform-wide shocks.** The cell scores of one platform are correlated: ``z_cell =
sqrt(rho) * z_platform + sqrt(1 - rho) * z_own_cell`` with ``rho =
simulation.platform_correlation`` (default 0.3): an algorithm change moves every TikTok cell at
once, a little less than fully. The market pool of a cell is drawn per cell (a market
estimate, not a creator's performance).

**Many creators.** Up to :data:`EXACT_CREATORS` creators of a cell are drawn one by one. Beyond
that, the cell's average per creator is drawn from its exact conditional mean and variance
given the shared score (Gauss-Hermite quadrature over the own score) with a normal error of
that variance divided by the number of creators (the central limit theorem; the error of one
creator's spread is then under 1/sqrt(256) of a range).

**Calibrated tier averages.** A performance assumption that carries ``mean_low`` / ``mean_high``
(P10 / P90 of the tier average, written per cell by ``mixopt calibrate`` into its
calibrated.yaml, read through ``assumptions_from:``; a scenario may write them too) replaces the
split for that cell: the tier average is drawn through ``mean_low / base / mean_high`` at the
shared score (``shared_share`` does not apply), and each creator multiplies it by a lognormal
factor of mean 1 whose log spread is what the one-creator range ``low / high`` leaves once the
average's is taken out (``s^2 = sigma_creator^2 - sigma_average^2`` on the log scale). Many
creators of the cell then average to the calibrated band, centred on ``base``; a single creator
keeps about its ``low / high``.

**Acceptance.** Given the shared acceptance score, each invited creator signs independently
with the cell's conditional mean rate, so the number who sign of ``k`` invited is binomial
exactly; :func:`invites_for_fill` finds the fewest invites per cell with a joint chance of at
least 90% to fill the plan at the planning rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mixopt.scenario.cells import Cell, override_keys
from mixopt.scenario.schema import Scenario

__all__ = ["average_ranges", "allocate_reserves", "EXACT_CREATORS", "PERFORMANCE", "COSTS", "RATE_CAP", "quantile_of", "platform_scores", "cell_draws",
           "plan_draws", "CellInvites", "invites_for_fill", "fill_chance_drawn"]

_Z90 = 1.2815515655446004  # standard normal 90th percentile
#: Creators of one cell drawn one by one; above this the cell's average follows the central limit theorem.
EXACT_CREATORS = 256
PERFORMANCE = ("typical_followers", "reach_rate", "engagement_rate", "conversion_rate", "acceptance_rate")
COSTS = ("fee_per_post", "product_cost", "handling_cost")
RATE_CAP = {"reach_rate": 10.0, "engagement_rate": 1.0, "conversion_rate": 1.0, "acceptance_rate": 1.0}
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_WEIGHTS = _WEIGHTS / math.sqrt(2 * math.pi)


def quantile_of(low: float, base: float, high: float, z: np.ndarray | float) -> np.ndarray:
    """The value at standard-normal score ``z`` of the split distribution through low/base/high."""
    z = np.asarray(z, dtype=float)
    if base <= 0:
        return np.maximum(base + np.where(z < 0, (base - low), (high - base)) * z / _Z90, 0.0)
    if low > 0:
        down = math.log(base / low) / _Z90
        up = math.log(high / base) / _Z90 if high > 0 else 0.0
        return base * np.exp(np.where(z < 0, down, up) * z)
    up = math.log(high / base) / _Z90 if high > base else 0.0  # low == 0: a split normal cut at zero below
    return np.where(z < 0, np.maximum(base + base * z / _Z90, 0.0), base * np.exp(up * z))


def _value(cell: Cell, name: str, z: np.ndarray) -> np.ndarray:
    values = quantile_of(*cell.ranges[name], z)
    if name in RATE_CAP:
        values = np.clip(values, 1e-12 if name == "acceptance_rate" else 0.0, RATE_CAP[name])
    return values


def _log_spread(low: float, base: float, high: float) -> float:
    """The log-scale standard deviation of a split lognormal through low / base / high (both halves
    averaged; the upper half alone when low is 0)."""
    if base <= 0 or high <= 0:
        return 0.0
    if low > 0:
        return math.log(high / low) / (2 * _Z90)
    return max(math.log(high / base), 0.0) / _Z90


def average_ranges(scenario: Scenario, cells: tuple[Cell, ...]) -> list[dict[str, tuple[float, float, float, float]]]:
    """Per cell, the performance assumptions that carry a calibrated range of the tier average
    (``mean_low`` / ``mean_high``, written by ``mixopt calibrate`` and read through
    ``assumptions_from:``, or written in the scenario): ``(mean_low, base, mean_high, s)`` with
    ``s`` the log spread left to one creator about the average (see the module notes)."""
    out: list[dict[str, tuple[float, float, float, float]]] = []
    for cell in cells:
        found: dict[str, tuple[float, float, float, float]] = {}
        for name in PERFORMANCE:
            given = None
            for key in override_keys(cell.tier, cell.platform):  # the most specific assumption wins
                block = scenario.assumptions.get(key)
                if block is not None and getattr(block, name) is not None:
                    given = getattr(block, name)
            if given is None or given.mean_low is None or given.mean_high is None:
                continue
            low, base, high = cell.ranges[name]
            if not given.mean_low <= base <= given.mean_high:
                continue
            spread = _log_spread(low, base, high) ** 2 - _log_spread(given.mean_low, base, given.mean_high) ** 2
            found[name] = (float(given.mean_low), float(base), float(given.mean_high), math.sqrt(max(spread, 0.0)))
        out.append(found)
    return out


def _creator_value(cell: Cell, name: str, shared: np.ndarray, own: np.ndarray | float, w: float,
                   spread: tuple[float, float, float, float] | None) -> np.ndarray:
    """One creator's value of ``name`` at its cell's shared score and its own score.

    Without a calibrated average: the creator's range at ``sqrt(w) shared + sqrt(1 - w) own``.
    With one (``spread`` from :func:`average_ranges`): the tier average at the shared score through
    ``mean_low / base / mean_high``, times the creator's own lognormal factor of mean 1 and log
    spread ``s``."""
    if spread is None:
        return _value(cell, name, math.sqrt(w) * shared + math.sqrt(1 - w) * own)
    mean_low, base, mean_high, s = spread
    values = quantile_of(mean_low, base, mean_high, shared) * np.exp(s * np.asarray(own) - s * s / 2)
    if name in RATE_CAP:
        values = np.clip(values, 1e-12 if name == "acceptance_rate" else 0.0, RATE_CAP[name])
    return values


def platform_scores(platforms: list[str], names: tuple[str, ...], samples: int, rng: np.random.Generator,
                    rho: float) -> dict[str, np.ndarray]:
    """Shared cell scores with a platform-wide part: one (samples, cells) block per name."""
    order = list(dict.fromkeys(platforms))
    index = np.array([order.index(p) for p in platforms], dtype=np.int64)
    out = {}
    for name in names:
        shock = rng.standard_normal((samples, len(order)))
        own = rng.standard_normal((samples, len(platforms)))
        out[name] = math.sqrt(rho) * shock[:, index] + math.sqrt(1 - rho) * own
    return out


def cell_draws(cells: tuple[Cell, ...], samples: int, rng: np.random.Generator, scenario: Scenario, *,
               average: bool = True) -> dict[str, np.ndarray]:
    """Per-cell draws, (samples, cells) arrays in the format of the tier model's risk rules.

    With ``average`` (the safe plan's model) the performance values are a creator's conditional
    mean given the shared score: what a cell of many creators delivers per creator; costs are
    known unless the scenario marks them uncertain; the pool is drawn per cell.
    """
    settings = scenario.simulation
    shared = platform_scores([c.platform for c in cells], PERFORMANCE, samples, rng, settings.platform_correlation)
    other = {name: rng.standard_normal((samples, len(cells))) for name in (*COSTS, "pool")}
    w = settings.shared_share
    spreads = average_ranges(scenario, cells)
    out: dict[str, np.ndarray] = {}
    for name in PERFORMANCE:
        columns = []
        for j, cell in enumerate(cells):
            z = shared[name][:, j]
            if average:
                grid = _creator_value(cell, name, z[:, None], _NODES[None, :], w, spreads[j].get(name))
                columns.append(grid @ _WEIGHTS)
            else:
                columns.append(_creator_value(cell, name, z, 0.0, w, spreads[j].get(name)))
        out[name] = np.stack(columns, axis=1)
    for name in (*COSTS, "pool"):
        drawn = name == "pool" or settings.uncertain_costs
        out[name] = np.stack([_value(c, name, other[name][:, j]) if drawn else np.full(samples, c.ranges[name][1])
                              for j, c in enumerate(cells)], axis=1)
    per_view = np.array([c.engagement_rate_per == "views" for c in cells])
    out["engagement_rate"] = np.where(per_view, out["engagement_rate"] * out["reach_rate"], out["engagement_rate"])
    out["pool"] = np.floor(out["pool"])
    return out


def _moments(cell: Cell, name: str, z: np.ndarray, w: float,
             spread: tuple[float, float, float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    grid = _creator_value(cell, name, z[:, None], _NODES[None, :], w, spread)
    return grid @ _WEIGHTS, (grid * grid) @ _WEIGHTS


def plan_draws(cells: tuple[Cell, ...], creators: np.ndarray, samples: int, rng: np.random.Generator,
               scenario: Scenario) -> dict[str, np.ndarray]:
    """Draws for a plan with ``creators[j]`` creators in cell ``j``: (samples, cells) arrays of
    the per-creator averages ``reach_per_creator`` (followers x reach rate), ``engagements_per_creator``
    and ``conversions_per_creator`` (per post), ``acceptance_rate`` (conditional mean), the costs and
    the pool; creators drawn one by one up to :data:`EXACT_CREATORS` per cell (see the module notes)."""
    settings = scenario.simulation
    w = settings.shared_share
    base = cell_draws(cells, samples, rng, scenario, average=True)
    shared = platform_scores([c.platform for c in cells], PERFORMANCE, samples, rng, settings.platform_correlation)
    out = {name: base[name] for name in (*COSTS, "pool", "acceptance_rate")}
    for key in ("reach_per_creator", "engagements_per_creator", "conversions_per_creator"):
        out[key] = np.zeros((samples, len(cells)))
    spreads = average_ranges(scenario, cells)
    for j, cell in enumerate(cells):
        n = int(round(float(creators[j])))
        per_view = cell.engagement_rate_per == "views"
        a = {name: shared[name][:, j] for name in PERFORMANCE}
        spread = spreads[j]
        if n <= 0:
            continue
        if n <= EXACT_CREATORS:
            v = {name: _creator_value(cell, name, a[name][:, None], rng.standard_normal((samples, n)), w,
                                      spread.get(name))
                 for name in ("typical_followers", "reach_rate", "engagement_rate", "conversion_rate")}
            reach = v["typical_followers"] * v["reach_rate"]
            rate = v["engagement_rate"] * (v["reach_rate"] if per_view else 1.0)
            engagements = v["typical_followers"] * rate
            out["reach_per_creator"][:, j] = reach.mean(axis=1)
            out["engagements_per_creator"][:, j] = engagements.mean(axis=1)
            out["conversions_per_creator"][:, j] = (engagements * v["conversion_rate"]).mean(axis=1)
            out["acceptance_rate"][:, j] = _moments(cell, "acceptance_rate", a["acceptance_rate"], w,
                                                    spread.get("acceptance_rate"))[0]
            continue
        m = {name: _moments(cell, name, a[name], w, spread.get(name)) for name in PERFORMANCE}
        noise = rng.standard_normal(samples) / math.sqrt(n)  # one error for the cell's KPIs (they share creators)
        factors = {"reach_per_creator": ("typical_followers", "reach_rate"),
                   "engagements_per_creator": ("typical_followers", "engagement_rate"),
                   "conversions_per_creator": ("typical_followers", "engagement_rate", "conversion_rate")}
        for key, names in factors.items():
            names = (*names, "reach_rate") if per_view and key != "reach_per_creator" else names
            mean = np.prod([m[x][0] for x in names], axis=0)
            square = np.prod([m[x][1] for x in names], axis=0)
            out[key][:, j] = np.maximum(mean + np.sqrt(np.maximum(square - mean * mean, 0.0)) * noise, 0.0)
        out["acceptance_rate"][:, j] = m["acceptance_rate"][0]
    return out


def allocate_reserves(chances: list[np.ndarray], confidence: float) -> tuple[list[int], bool]:
    """Reserves per cell with the fewest invites in all such that every cell fills with chance >= confidence.

    The cells fill independently, so the joint chance is the product; the search is exact (a
    knapsack over the cells' counts, from the first count that reaches ``confidence`` alone).
    """
    goal = math.log(confidence) - 1e-12
    first = []
    for s in chances:
        reach = np.nonzero(s >= confidence)[0]
        if len(reach) == 0:
            return [len(s) - 1 for s in chances], False
        first.append(int(reach[0]))
    best = np.zeros(1)
    picks: list[np.ndarray] = []
    for s, k0 in zip(chances, first):
        values = np.log(np.maximum(s[k0:], 1e-300))
        width = len(best) + len(values) - 1
        merged = np.full(width, -np.inf)
        choice = np.zeros(width, dtype=np.int64)
        for e, v in enumerate(values):
            window = slice(e, e + len(best))
            candidate = best + v
            better = candidate > merged[window] + 1e-15
            merged[window] = np.where(better, candidate, merged[window])
            choice[window] = np.where(better, e, choice[window])
        best = merged
        picks.append(choice)
    total = int(np.nonzero(best >= goal)[0][0])
    counts = []
    for choice, k0 in zip(reversed(picks), reversed(first)):
        e = int(choice[total])
        counts.append(k0 + e)
        total -= e
    return counts[::-1], True


@dataclass(frozen=True)
class CellInvites:
    """One cell's invitations: creators needed, the plan's invites, and the invites for the fill chance."""

    cell: str
    needed: int
    planned_invites: int
    invites: int  # the fewest for the joint fill chance (at most the cell's pool)
    pool: int
    fill_probability: float  # at the planning acceptance rate with ``invites``


def _fill(needed: int, invites: int, rate: float | np.ndarray) -> float | np.ndarray:
    from scipy import (
        stats,  # imported here: it takes a second, and a solve never needs it
    )

    return stats.binom.sf(needed - 1, invites, rate) if needed > 0 else np.ones_like(rate, dtype=float)


def invites_for_fill(cells: tuple[Cell, ...], needed: np.ndarray, planned: np.ndarray,
                     confidence: float = 0.9) -> tuple[tuple[CellInvites, ...], bool]:
    """The fewest invites per cell so that every cell fills with a joint chance of ``confidence``
    at the planning acceptance rates (exact binomials); False when the pools cannot reach it."""
    used = [j for j in range(len(cells)) if needed[j] > 0]
    chances = []
    for j in used:
        cell, n = cells[j], int(needed[j])
        counts = np.arange(n, max(cell.pool, n) + 1)
        chances.append(np.asarray(_fill(n, counts, cell.acceptance_rate), dtype=float))
    extra, reachable = allocate_reserves(chances, confidence)
    if not reachable:  # each cell: the fewest invites reaching the chance alone, else its whole pool
        extra = [int(np.argmax(c >= confidence)) if (c >= confidence).any() else len(c) - 1 for c in chances]
    out = []
    for j, k, s in zip(used, extra, chances):
        cell, n = cells[j], int(needed[j])
        out.append(CellInvites(cell=cell.key, needed=n, planned_invites=int(planned[j]), invites=n + k,
                               pool=cell.pool, fill_probability=float(s[k])))
    return tuple(out), reachable


def fill_chance_drawn(invites: tuple[CellInvites, ...], cells: tuple[Cell, ...], acceptance: np.ndarray,
                      planned: bool = False) -> np.ndarray:
    """Per draw, the chance that every cell fills (its mean over draws is the share of draws that fill), each invited creator signing with the cell's
    drawn average acceptance rate (``acceptance``: samples x cells); ``planned`` uses the plan's invites."""
    keys = [c.key for c in cells]
    joint = np.ones(acceptance.shape[0])
    for row in invites:
        k = row.planned_invites if planned else row.invites
        joint *= _fill(row.needed, k, acceptance[:, keys.index(row.cell)])
    return joint
