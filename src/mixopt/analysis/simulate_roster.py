"""Uncertainty in roster mode: what the chosen creators may deliver, and whether enough of them sign.

**What varies.** Each creator's reach per post (its views), engagement rate, conversion rate
and acceptance rate, each from the tier sampler's split distribution
(:func:`~mixopt.analysis.simulate.quantile_of`) through a low / base / high range at a
standard-normal score. Which range and which score depend on where the creator's number came
from (the table's ``filled_from_defaults`` flags):

- **filled from the tier defaults**: the default's range of its (tier, platform) cell (with the
  scenario's overrides, see ``mixopt defaults``) at ``z = sqrt(w) * z_cell + sqrt(1 - w) *
  z_creator``. ``z_cell`` is shared by every creator of the cell in a draw (the uncertainty of
  the tier average), ``z_creator`` is the creator's own (creator-to-creator spread). ``z``
  stays standard normal, so a single creator keeps exactly the default's P10 / base / P90; two
  creators of one cell are correlated ``w``; over many creators the own parts average out and
  the shared part stays, ``sqrt(w)`` of the range's width in log terms.
- **given in the table, with its own range** (columns ``average_views_low`` /
  ``average_views_high``, ``engagement_rate_low`` / ``_high``, ``conversion_rate_low`` /
  ``_high``, ``acceptance_rate_low`` / ``_high``: the creator's 10th and 90th percentile): that
  range at the creator's own score.
- **given in the table without a range**: the cell default's range scaled to the creator's
  value, at ``sqrt(1 - w) * z_creator`` only. A measured number does not lean on the tier
  average, so the shared part does not apply; how one campaign's posts differ from a creator's
  own average is taken to be as wide as the creator-to-creator part of the default's range.

A creator whose engagement rate came from a per-view default (TikTok) has its engagements
follow its drawn views as well.

**Unique reach.** Each draw counts the chosen creators' people once exactly as the plan does
(:mod:`mixopt.analysis.roster_unique`): the creators of one overlap group on one platform share
the group's audience (fixed, as the plan computes it), each with the draw's reach; the overlap
across platforms is taken from the draw's largest platform. Frequency is the draw's impressions
over its unique reach.

**The split.** mixopt uses ``w = SHARED_SHARE = 0.5``, an even split of each default's range
(of the variance of its score): the defaults' ranges blend how much creators of a tier differ
with how unsure the tier average itself is (benchmark sources disagree on the average by
2-10x, about as much as creators differ within one source), and no data says which dominates.
``w = 0`` would let a large roster look almost certain; ``w = 1`` is tier mode's draw and
ignores that many creators average out.

**Known costs.** Contracted costs (fees, product, handling) are known in roster mode: the
creator table states them (a cost filled from defaults is taken at its planning value, as the
plan is), so spend does not vary. The KPIs are those of the plan as chosen, every chosen
creator signed; acceptance is reported apart (:class:`AcceptanceRisk`): the chance that every
chosen creator says yes, the expected signed creators, and how many reserves to invite for a
90% chance to fill every (tier, platform) cell, from the creators' acceptance rates as a Poisson-binomial
computed exactly by convolution.

**Random streams.** Draws come in chunks of ``CHUNK_DRAWS`` (2,000); in chunk ``k`` the shared
scores come from ``SeedSequence(seed, spawn_key=(0, k))`` and each creator's from
``SeedSequence(seed, spawn_key=(1 + row, k))`` (its row in the creator table), so a creator's
draws are the same whatever else is chosen (two plans compare on common draws), a simulation
split across Dask workers gives the figures of one process, and the same seed repeats every
figure byte for byte.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixopt.analysis.roster_unique import UniqueReachDraws
from mixopt.analysis.simulate import (
    RATE_CAP,
    SimulationResult,
    chunk_sizes,
    concatenate,
    money_totals,
    quantile_of,
    run_chunks,
    summarise_draws,
    target_chances,
)
from mixopt.analysis.uncertainty import allocate_reserves, platform_scores
from mixopt.errors import Issue, ScenarioError
from mixopt.roster.check import at_posts
from mixopt.roster.model import Audiences, objective_vector, roster_audiences
from mixopt.roster.plan import RosterPlan
from mixopt.roster.table import FILLABLE, Roster
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.schema import Scenario

__all__ = ["SHARED_SHARE", "FILL_CONFIDENCE", "ROSTER_DISTRIBUTION", "ROSTER_KPI_ROWS", "METRICS", "CreatorRanges",
           "CellFill", "AcceptanceRisk", "RosterSimulationResult", "creator_ranges", "shared_scores", "creator_draws",
           "poisson_binomial", "signed_quantile", "fill_chances", "allocate_reserves", "ranked_reserves", "acceptance_risk", "simulate_choice",
           "simulate_roster_plan", "tail_weights", "TAIL_SHARE", "TAIL_KPIS"]

#: Share of each metric's score that is shared by the creators of one (tier, platform) cell.
SHARED_SHARE = 0.5
#: The chance of filling the plan that the reserve count aims for.
FILL_CONFIDENCE = 0.9
ROSTER_DISTRIBUTION = (
    "each chosen creator's reach, engagement rate, conversion rate and acceptance from a split lognormal matching "
    "P10=low, P50=base, P90=high (a tier default shares part of its spread with the creators of its tier and "
    "platform, correlated across a platform; a number from the creator table keeps its own range, else the creator's "
    "part of the default's); contracted costs known"
)
ROSTER_KPI_ROWS = ("reach", "unique_reach", "frequency", "impressions", "engagements", "conversions", "spend",
                   "revenue", "profit", "roi", "cpe", "cpa", "signed")
#: The worst share of draws whose average the simulation reports (what the safe plan protects).
TAIL_SHARE = 0.1
TAIL_KPIS = ("reach", "unique_reach", "impressions", "engagements", "conversions", "revenue", "profit")
#: The uncertain metrics, in the order of each creator's random stream.
METRICS = ("acceptance", "reach", "engagement", "conversion")
_CELL_RANGE = {"reach": "reach_rate", "engagement": "engagement_rate", "conversion": "conversion_rate",
               "acceptance": "acceptance_rate"}
_OWN_RANGE = {"reach": "average_views", "engagement": "engagement_rate", "conversion": "conversion_rate",
              "acceptance": "acceptance_rate"}
_PLANNING = {"reach": "reach", "engagement": "engagement_rate", "conversion": "conversion_rate",
             "acceptance": "acceptance_rate"}
#: Creators per block of draws (samples x block numbers in memory at a time).
_BLOCK_NUMBERS = 1_000_000
_SURE = 1 - 1e-9  # a cell counts as certain to fill from here: more reserves change nothing


@dataclass(frozen=True)
class CreatorRanges:
    """Per creator and metric: low and high as ratios of the planning value, and the weights of the
    shared and own scores; per creator its cell and whether its engagements follow its views."""

    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    shared: dict[str, np.ndarray]  # weight of the cell's shared score
    own: dict[str, np.ndarray]  # weight of the creator's own score
    cell: np.ndarray  # index into resolve_cells(scenario)
    views_engagement: np.ndarray  # bool: engagement rate from a per-view default, so engagements follow views
    cell_keys: tuple[str, ...]


def _relative(low: float, base: float, high: float) -> tuple[float, float]:
    return (low / base, high / base) if base > 0 else (1.0, 1.0)


def creator_ranges(scenario: Scenario, roster: Roster, shared_share: float | None = None) -> CreatorRanges:
    """Each creator's range and score weights per metric (see the module notes).

    Raises
    ------
    ScenarioError
        An own range that does not contain the creator's planning value, or is negative.
    """
    shared_share = scenario.simulation.shared_share if shared_share is None else shared_share
    table = roster.table
    cells = resolve_cells(scenario)
    keys = tuple(c.key for c in cells)
    index = {k: i for i, k in enumerate(keys)}
    creator_keys = (table["tier"] + "." + table["platform"]).to_numpy()
    cell = np.array([index[k] for k in creator_keys], dtype=np.int64) if len(table) else np.zeros(0, np.int64)
    low: dict[str, np.ndarray] = {}
    high: dict[str, np.ndarray] = {}
    shared: dict[str, np.ndarray] = {}
    own: dict[str, np.ndarray] = {}
    issues: list[Issue] = []
    mask = table["defaults_mask"].to_numpy(dtype=np.int64)
    for metric in METRICS:
        ratios = np.array([_relative(*c.ranges[_CELL_RANGE[metric]]) for c in cells]).reshape(len(cells), 2)
        low[metric] = ratios[cell, 0] if len(table) else np.zeros(0)
        high[metric] = ratios[cell, 1] if len(table) else np.zeros(0)
        filled = (mask >> FILLABLE.index(_CELL_RANGE[metric])) & 1 > 0
        shared[metric] = np.where(filled, math.sqrt(shared_share), 0.0)
        own[metric] = np.full(len(table), math.sqrt(1.0 - shared_share))
        base = table[_PLANNING[metric]].to_numpy(dtype=float)
        for side, out in (("low", low[metric]), ("high", high[metric])):
            column = f"{_OWN_RANGE[metric]}_{side}"
            if column not in table:
                continue
            given = table[column].to_numpy(dtype=float)
            has = ~np.isnan(given) & ~filled  # a range for a number the table does not give is ignored
            wrong = has & ((given < 0) | ((given > base + 1e-12) if side == "low" else (given < base - 1e-12)))
            for r in np.nonzero(wrong)[0][:20]:
                what = "must be between 0 and" if side == "low" else "must be at least"
                issues.append(Issue(roster.source_file, f"creator {table['id'].iloc[r]}, {column}",
                                    f"{what} the creator's planning value {base[r]:.6g}",
                                    f"Give the 10th percentile in '{_OWN_RANGE[metric]}_low' and the 90th in "
                                    f"'{_OWN_RANGE[metric]}_high'", given[r]))
            usable = has & ~wrong & (base > 0)
            out[usable] = given[usable] / base[usable]
            own[metric][usable] = 1.0  # the creator's own range, at its own score
    if issues:
        raise ScenarioError(issues)
    per_view = np.array([c.engagement_rate_per == "views" for c in cells], dtype=bool)
    engagement_filled = (table["defaults_mask"].to_numpy(dtype=np.int64) >> FILLABLE.index("engagement_rate")) & 1
    views_engagement = per_view[cell] & (engagement_filled > 0) if len(table) else np.zeros(0, dtype=bool)
    return CreatorRanges(low=low, high=high, shared=shared, own=own, cell=cell, views_engagement=views_engagement,
                         cell_keys=keys)


def _stream(seed: int, key: int, chunk: int | None) -> np.random.Generator:
    spawn = (key,) if chunk is None else (key, chunk)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=spawn)))


def shared_scores(scenario: Scenario, samples: int, seed: int, chunk: int | None = None) -> dict[str, np.ndarray]:
    """The shared per-cell scores, one (samples, cells) block per metric in :data:`METRICS` order,
    correlated ``simulation.platform_correlation`` across the cells of one platform (``chunk``:
    the stream of one chunk of a chunked simulation)."""
    rng = _stream(seed, 0, chunk)
    return platform_scores([p for _t, p in scenario.cells], METRICS, samples, rng,
                           scenario.simulation.platform_correlation)


def _multipliers(low: np.ndarray, high: np.ndarray, z: np.ndarray) -> np.ndarray:
    """quantile_of through (low, 1, high) per column of ``z``, one call per distinct range."""
    out = np.empty_like(z)
    pairs = np.stack([low, high], axis=1)
    distinct, inverse = np.unique(pairs, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    for g, (lo, hi) in enumerate(distinct):
        cols = np.nonzero(inverse == g)[0]
        out[:, cols] = quantile_of(float(lo), 1.0, float(hi), z[:, cols])
    return out


def creator_draws(table: pd.DataFrame, ranges: CreatorRanges, rows: np.ndarray, shared: dict[str, np.ndarray],
                  seed: int, *, kpis: bool = True, chunk: int | None = None) -> dict[str, np.ndarray]:
    """Draws for the creators at ``rows``: (samples, len(rows)) arrays of ``acceptance_rate`` and
    ``signed`` (yes/no), and with ``kpis`` also ``reach`` (per post), ``engagements_per_post`` and
    ``conversions_per_post``.

    Each creator's stream holds, in order: its acceptance score, the uniform number that decides
    whether it signs, then its reach, engagement and conversion scores (so reserves, which only
    sign or not, draw the first two alone and still see the same numbers as when chosen).
    """
    rows = np.asarray(rows, dtype=np.int64)
    samples = next(iter(shared.values())).shape[0]
    wanted = METRICS if kpis else ("acceptance",)
    own = np.empty((len(rows), len(wanted), samples))
    uniform = np.empty((len(rows), samples))
    for j, r in enumerate(rows):
        rng = _stream(seed, 1 + int(r), chunk)
        own[j, 0] = rng.standard_normal(samples)
        uniform[j] = rng.random(samples)
        if kpis:
            own[j, 1:] = rng.standard_normal((len(wanted) - 1, samples))
    cell = ranges.cell[rows]
    m = {name: _multipliers(ranges.low[name][rows], ranges.high[name][rows],
                            ranges.shared[name][rows] * shared[name][:, cell] + ranges.own[name][rows] * own[:, i, :].T)
         for i, name in enumerate(wanted)}
    acceptance = np.clip(table["acceptance_rate"].to_numpy(dtype=float)[rows] * m["acceptance"], 1e-12,
                         RATE_CAP["acceptance_rate"])
    out = {"acceptance_rate": acceptance, "signed": uniform.T < acceptance}
    if not kpis:
        return out
    followers = table["followers"].to_numpy(dtype=float)[rows]
    reach_base = table["reach"].to_numpy(dtype=float)[rows]
    reach = np.minimum(reach_base * m["reach"], np.maximum(RATE_CAP["reach_rate"] * followers, reach_base))
    engagement_m = np.where(ranges.views_engagement[rows], m["engagement"] * m["reach"], m["engagement"])
    rate = np.minimum(table["engagement_rate"].to_numpy(dtype=float)[rows] * engagement_m, RATE_CAP["engagement_rate"])
    engagements = followers * rate
    conversion = np.minimum(table["conversion_rate"].to_numpy(dtype=float)[rows] * m["conversion"],
                            RATE_CAP["conversion_rate"])
    out.update(reach=reach, engagements_per_post=engagements, conversions_per_post=engagements * conversion)
    return out


def tail_weights(values: np.ndarray, confidence: float) -> np.ndarray:
    """Weights over draws that average the worst ``1 - confidence`` share (lowest values first,
    ties by draw order), summing to 1: ``weights @ values`` is the lower-tail average (CVaR)."""
    samples = len(values)
    k = max(1.0 - confidence, 1.0 / samples) * samples
    order = np.lexsort((np.arange(samples), values))
    weights = np.zeros(samples)
    full = int(math.floor(k + 1e-9))
    weights[order[:full]] = 1.0 / k
    if k - full > 1e-9:
        weights[order[full]] = (k - full) / k
    return weights


# ----------------------------------------------------------------------------- acceptance


def poisson_binomial(rates: np.ndarray) -> np.ndarray:
    """The exact distribution of how many of these creators sign: P(k sign), k = 0..len(rates), by convolution."""
    pmf = np.zeros(len(rates) + 1)
    pmf[0] = 1.0
    for i, p in enumerate(np.asarray(rates, dtype=float)):
        pmf[1:i + 2] = pmf[1:i + 2] * (1 - p) + pmf[:i + 1] * p
        pmf[0] *= 1 - p
    return pmf


def signed_quantile(rates: np.ndarray, q: float) -> int:
    """The smallest k with P(at most k sign) >= q (the q-quantile of signed creators)."""
    cumulative = np.cumsum(poisson_binomial(rates))
    return int(np.searchsorted(cumulative, q - 1e-12))


def fill_chances(chosen_rates: np.ndarray, reserve_rates: np.ndarray, needed: int) -> np.ndarray:
    """S[k]: the chance that at least ``needed`` sign among the chosen creators and the first k reserves.

    Exact convolution of the Poisson-binomial, keeping only the counts still short of ``needed``
    (at or above it the cell is filled, whoever signs next). Stops once the cell is sure to fill
    (1 - 1e-9) or the reserves run out.
    """
    if needed <= 0:
        return np.ones(1)
    short = np.zeros(needed)  # short[j] = P(j signed so far), j < needed
    short[0] = 1.0
    filled = 0.0

    def invite(p: float) -> None:
        nonlocal filled
        filled += short[-1] * p
        short[1:] = short[1:] * (1 - p) + short[:-1] * p
        short[0] *= 1 - p

    for p in np.asarray(chosen_rates, dtype=float):
        invite(float(p))
    chances = [filled]
    for p in np.asarray(reserve_rates, dtype=float):
        if filled >= _SURE:
            break
        invite(float(p))
        chances.append(filled)
    return np.array(chances)


@dataclass(frozen=True)
class CellFill:
    """One (tier, platform) cell's invitations: its chosen creators and the reserves to invite with them."""

    cell: str  # e.g. nano.tiktok
    chosen: int
    expected_signed: float
    reserves_needed: int
    reserves_available: int  # creators of the cell neither chosen nor excluded
    fill_probability: float  # at the planning acceptance rates, with those invites


@dataclass(frozen=True)
class AcceptanceRisk:
    """Whether enough chosen creators sign, and how many reserves make filling the plan likely.

    A decline is made good by any reserve of the same (tier, platform) cell who signs (the
    cell's creators pooled, as tier mode's invites are); the reserves of a cell are its other
    creators, best first by what they add to the goal per unit of spend (reach per unit of
    spend for a least-spend goal), then roster order, and every invited creator decides alone.
    """

    creators: int
    expected_signed: float  # at the planning acceptance rates
    signed_p10: int  # exact, at the planning rates
    signed_p90: int
    probability_all_sign: float
    confidence: float  # the fill chance aimed for
    reachable: bool  # False: even every remaining creator of some cell does not reach it
    cells: tuple[CellFill, ...]
    reserves: int
    invites: int
    fill_probability: float  # exact, at the planning rates
    fill_probability_drawn: float | None  # share of draws filling every cell when the rates vary as drawn


def ranked_reserves(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray) -> np.ndarray:
    """Rows of the creators neither chosen nor excluded, best reserve first (see :class:`AcceptanceRisk`)."""
    value = objective_vector(scenario, table) if scenario.objective.minimize is None \
        else table["reach"].to_numpy(dtype=float)
    spend = table["spend"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_spend = np.where(spend > 0, value / np.where(spend > 0, spend, 1.0),
                             np.where(value > 0, np.inf, 0.0))
    free = np.nonzero(~np.asarray(chosen, dtype=bool) & ~table["exclude"].to_numpy(dtype=bool))[0]
    return free[np.lexsort((free, -per_spend[free]))]


def acceptance_risk(scenario: Scenario, roster: Roster, chosen: np.ndarray,
                    confidence: float = FILL_CONFIDENCE) -> tuple[AcceptanceRisk, dict[str, np.ndarray]]:
    """The acceptance figures at the planning rates, and the reserve rows each cell invites (best first)."""
    table = roster.table
    chosen = np.asarray(chosen, dtype=bool)
    accept = table["acceptance_rate"].to_numpy(dtype=float)
    keys = (table["tier"] + "." + table["platform"]).to_numpy()
    ranked = ranked_reserves(scenario, table, chosen)
    names = [f"{t}.{p}" for t, p in scenario.cells if (chosen & (keys == f"{t}.{p}")).any()]
    chances, reserve_rows = [], {}
    for key in names:
        reserve_rows[key] = ranked[keys[ranked] == key]
        chances.append(fill_chances(accept[chosen & (keys == key)], accept[reserve_rows[key]],
                                    int((chosen & (keys == key)).sum())))
    counts, reachable = allocate_reserves(chances, confidence)
    fills = []
    for key, s, k in zip(names, chances, counts):
        mine = chosen & (keys == key)
        fills.append(CellFill(cell=key, chosen=int(mine.sum()), expected_signed=float(accept[mine].sum()),
                              reserves_needed=k, reserves_available=len(reserve_rows[key]),
                              fill_probability=float(s[k])))
        reserve_rows[key] = reserve_rows[key][:k]
    rates = accept[chosen]
    reserves = int(sum(counts))
    risk = AcceptanceRisk(
        creators=int(chosen.sum()), expected_signed=float(rates.sum()),
        signed_p10=signed_quantile(rates, 0.1), signed_p90=signed_quantile(rates, 0.9),
        probability_all_sign=float(np.prod(rates)), confidence=confidence, reachable=reachable, cells=tuple(fills),
        reserves=reserves, invites=int(chosen.sum()) + reserves,
        fill_probability=float(np.prod([f.fill_probability for f in fills])), fill_probability_drawn=None)
    return risk, reserve_rows


# ----------------------------------------------------------------------------- the simulation


@dataclass(frozen=True)
class RosterSimulationResult(SimulationResult):
    """A roster simulation: the tier result's figures plus the acceptance risk."""

    acceptance: AcceptanceRisk | None = None
    shared_share: float = SHARED_SHARE
    tail_averages: dict[str, float] = dataclasses.field(default_factory=dict)  # over the worst TAIL_SHARE of draws


def _blocks(rows: np.ndarray, samples: int) -> list[np.ndarray]:
    size = max(1, _BLOCK_NUMBERS // max(samples, 1))
    return [rows[i:i + size] for i in range(0, len(rows), size)]


@dataclass(frozen=True)
class _Choice:
    """What every chunk of a roster simulation needs (sent once to each worker)."""

    scenario: Scenario
    table: pd.DataFrame
    ranges: CreatorRanges
    chosen_rows: np.ndarray
    post_count: np.ndarray
    keys: np.ndarray
    reserve_rows: dict[str, np.ndarray]
    needed: dict[str, int]
    audiences: Audiences


def _roster_chunk(c: _Choice, index: int, size: int, seed: int) -> dict[str, np.ndarray]:
    shared = shared_scores(c.scenario, size, seed, index)
    totals = {k: np.zeros(size) for k in ("reach", "impressions", "engagements", "conversions", "signed")}
    signed_by_cell = {key: np.zeros(size) for key in c.needed}
    unique = UniqueReachDraws(c.audiences, c.chosen_rows, size)
    for block in _blocks(c.chosen_rows, size):
        d = creator_draws(c.table, c.ranges, block, shared, seed, chunk=index)
        p = c.post_count[block]
        totals["reach"] += d["reach"].sum(axis=1)
        unique.add(block, d["reach"])
        totals["impressions"] += (d["reach"] * p).sum(axis=1)
        totals["engagements"] += (d["engagements_per_post"] * p).sum(axis=1)
        totals["conversions"] += (d["conversions_per_post"] * p).sum(axis=1)
        totals["signed"] += d["signed"].sum(axis=1)
        for key in signed_by_cell:
            signed_by_cell[key] += d["signed"][:, c.keys[block] == key].sum(axis=1)
    for key, rows in c.reserve_rows.items():
        for block in _blocks(rows, size):
            draws = creator_draws(c.table, c.ranges, block, shared, seed, kpis=False, chunk=index)
            signed_by_cell[key] += draws["signed"].sum(axis=1)
    filled = np.ones(size, dtype=bool)
    for key, needed in c.needed.items():
        filled &= signed_by_cell[key] >= needed
    totals["filled"] = filled.astype(float)
    totals["unique_reach"] = unique.total()
    with np.errstate(divide="ignore", invalid="ignore"):
        totals["frequency"] = np.where(totals["unique_reach"] > 0, totals["impressions"] / totals["unique_reach"],
                                       np.nan)
    return totals


def simulate_choice(scenario: Scenario, roster: Roster, chosen: np.ndarray, posts: np.ndarray | None,
                    samples: int = 10_000, seed: int = 0, *, shared_share: float | None = None,
                    fill_confidence: float = FILL_CONFIDENCE, scheduler: str | None = None) -> RosterSimulationResult:
    """Draw ``samples`` outcomes of a fixed choice of creators (``posts`` per creator) and summarise
    them, in chunks of draws with their own streams (on a Dask cluster with ``scheduler``: the
    same figures)."""
    if samples < 1:
        raise ValueError("samples must be at least 1")
    shared_share = scenario.simulation.shared_share if shared_share is None else shared_share
    if not 0.0 <= shared_share <= 1.0:
        raise ValueError("shared_share must be in [0, 1]")
    table = roster.table
    chosen = np.asarray(chosen, dtype=bool)
    if posts is None:
        posts = chosen * float(scenario.roster.posts_per_creator if scenario.roster else 1)
    risk, reserve_rows = acceptance_risk(scenario, roster, chosen, fill_confidence)
    context = _Choice(scenario=scenario, table=table, ranges=creator_ranges(scenario, roster, shared_share),
                      chosen_rows=np.nonzero(chosen)[0], post_count=np.asarray(posts, dtype=float),
                      keys=(table["tier"] + "." + table["platform"]).to_numpy(), reserve_rows=reserve_rows,
                      needed={f.cell: f.chosen for f in risk.cells}, audiences=roster_audiences(scenario, table))
    arguments = [(i, size, seed) for i, size in enumerate(chunk_sizes(samples))]
    totals = concatenate(run_chunks(_roster_chunk, context, arguments, scheduler))
    risk = _with_drawn_fill(risk, float(totals.pop("filled").mean()))
    spend = float(at_posts(table, chosen, np.asarray(posts))["spend"].sum())
    totals["spend"] = np.full(samples, spend)
    totals = money_totals(scenario, totals)
    targets, within = target_chances(scenario, totals)
    tails = {k: float(tail_weights(totals[k], 1 - TAIL_SHARE) @ totals[k]) for k in TAIL_KPIS if k in totals}
    return RosterSimulationResult(samples=samples, seed=seed, quantiles=summarise_draws(totals, ROSTER_KPI_ROWS),
                                  target_probability=targets, budget_probability=within,
                                  distribution=ROSTER_DISTRIBUTION, acceptance=risk, shared_share=shared_share,
                                  tail_averages=tails)


def _with_drawn_fill(risk: AcceptanceRisk, chance: float) -> AcceptanceRisk:
    return dataclasses.replace(risk, fill_probability_drawn=chance)


def simulate_roster_plan(plan: RosterPlan, samples: int = 10_000, seed: int = 0, *,
                         shared_share: float | None = None, scheduler: str | None = None) -> RosterSimulationResult:
    """Simulate a roster plan's chosen creators (see the module notes for what varies and how).

    Examples
    --------
    >>> import mixopt
    >>> from mixopt.analysis.simulate_roster import simulate_roster_plan
    >>> plan = mixopt.optimize("scenarios/roster_skincare.yaml", explain=False)  # doctest: +SKIP
    >>> simulate_roster_plan(plan, samples=1000).acceptance.invites > plan.totals["creators"]  # doctest: +SKIP
    True
    """
    if plan.solution.chosen is None:
        raise ValueError("the plan has no chosen creators")
    return simulate_choice(plan.scenario, plan.roster, plan.solution.chosen, plan.solution.posts, samples, seed,
                           shared_share=shared_share, scheduler=scheduler)
