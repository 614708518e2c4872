"""Calibrate the cell assumptions from past campaign results: hierarchical empirical Bayes.

What is estimated, per (tier, platform) cell, from one row per creator:

=================== ============================== =========================== ===============
parameter           successes                      out of (exposure)           family
=================== ============================== =========================== ===============
reach_rate          reach                          followers                   gamma-Poisson
engagement_rate     engagements                    followers x posts           gamma-Poisson
conversion_rate     conversions                    engagements                 beta-binomial
click_rate          clicks                         engagements                 gamma-Poisson
acceptance_rate     accepted                       invited                     beta-binomial
fee_per_post        fee paid / posts               (one value per creator)     log-normal
product_cost        product cost                   (one value per creator)     log-normal
handling_cost       handling cost                  (one value per creator)     log-normal
=================== ============================== =========================== ===============

Why these choices
-----------------
* **Rates are counts out of an exposure, and creators differ.** Each creator has its own rate
  drawn from the cell's distribution; what one creator shows is that rate plus counting noise.
  Where the successes are a subset of the trials (conversions among engagements, acceptances
  among invitations) the creator rate is a beta draw and the count binomial: the beta-binomial,
  the standard empirical-Bayes model for click-through and conversion rates with sparse data.
  Where the count can exceed the exposure (TikTok views reach past the followers; one follower
  can engage twice) the creator rate is a gamma draw and the count Poisson: the gamma-Poisson
  (negative binomial), its conjugate twin for rates per unit of exposure.
* **Empirical-Bayes hyperparameters by the method of moments** (Kleinman 1973 for the
  beta-binomial; the same moment identity for the gamma-Poisson): the between-creator spread of
  each cell comes from the weighted spread of its creators' rates beyond the counting noise, in
  closed form, so 100,000 creators take milliseconds. A cell's spread is pooled with the other
  cells' spread and the built-in ranges (five creators' worth each), so a cell of two creators
  still gets a sensible spread. The cell average is the precision-weighted mean of its creators'
  rates (weights from that spread) and its standard error, widened by the Student-t factor for
  the creators it rests on.
* **Partial pooling across cells** on the logit (shares of trials) or log (rates per exposure and
  costs) scale: each cell's departure from its prior value (the built-in default or the
  scenario's own number) is a brand-wide shift, plus a tier shift, plus a platform shift, plus
  its own deviation, all normal; the brand-wide shift has the spread of the built-in range, and
  the size of the tier, platform and cell deviations is integrated over a grid weighted by its
  marginal likelihood (a flat prior; with a dozen cells the maximum-likelihood size is zero too
  often, which would make sparse cells copy the others).
  The posterior of every cell follows by Gaussian conditioning. A cell with many creators
  follows its data; a cell with few is pulled towards what its tier and platform show, and
  towards the default when nothing is known; a cell with no results is not written. Full MCMC
  would give the same answers at this size (a few dozen cells, closed-form likelihoods) a
  thousand times slower, and would need another dependency.
* **Costs are positive and skewed**: log-normal per cell (mean of the logs shrunk as above);
  creators paid nothing (product only) are a separate zero share.

What is written, per cell and parameter
---------------------------------------
``base`` is the posterior mean of the rate for a new creator of the cell (the posterior mean of
the cell average); ``low`` / ``high`` are P10 / P90 of the predictive spread of one creator (the
cell's creator-to-creator spread combined with the uncertainty of its average: what a single
booking may deliver); ``mean_low`` / ``mean_high`` are P10 / P90 of the cell average itself (what
the campaign average may be: sums over many creators average out the first, not the second).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.results import ResultsTable
from mixopt.scenario.schema import Scenario

__all__ = ["CALIBRATED", "Calibration", "calibrate", "METHOD"]

Z90 = 1.2815515655446004  # standard normal 90th percentile
PRIOR_CREATORS = 5.0  # weight, in creators, of the pooled spread on a cell's spread
TAU_FLOOR = 0.02  # the smallest cell-to-cell spread considered (2% on the log or logit scale)
TAU_POINTS = 40  # grid points over which that spread is integrated
#: Parameters written, in the file's order: (family, unit, what it is per).
CALIBRATED: dict[str, tuple[str, str, str]] = {
    "reach_rate": ("poisson", "share", "followers"),
    "engagement_rate": ("poisson", "share", "followers per post"),
    "conversion_rate": ("binomial", "share", "engagements"),
    "click_rate": ("poisson", "share", "engagements"),
    "acceptance_rate": ("binomial", "share", "invites"),
    "fee_per_post": ("cost", "money", "post"),
    "product_cost": ("cost", "money", "creator"),
    "handling_cost": ("cost", "money", "creator"),
}
METHOD = ("hierarchical empirical Bayes: beta-binomial (conversion, acceptance) and gamma-Poisson (reach, "
          "engagement, clicks) rates, log-normal costs; method-of-moments spread per cell, pooled; cells "
          "partially pooled by tier and platform towards the prior (cell-to-cell spread integrated over its "
          "marginal likelihood)")
_HERMITE = np.polynomial.hermite_e.hermegauss(32)


@dataclass(frozen=True)
class Calibration:
    """Calibrated assumptions per cell and parameter, with what they rest on."""

    estimates: pd.DataFrame  # one row per cell and parameter with results (see ESTIMATE_COLUMNS)
    cells: pd.DataFrame  # tier, platform, cell, creators, posts, rows
    results: ResultsTable
    tiers: dict[str, tuple[float, float]]
    currency: str = "USD"
    notes: tuple[str, ...] = field(default_factory=tuple)
    method: str = METHOD


# ----------------------------------------------------------------------------- per creator observations


def _observations(table: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(successes or values, exposure, usable) per creator for one parameter."""
    posted = (table["posts"].to_numpy(dtype=float) > 0)
    followers = table["followers"].to_numpy(dtype=float)
    posts = table["posts"].to_numpy(dtype=float)

    def col(c: str) -> np.ndarray:
        return table[c].to_numpy(dtype=float)

    if name == "reach_rate":
        k, n = col("reach"), followers
    elif name == "engagement_rate":
        k, n = col("engagements"), followers * posts
    elif name in ("conversion_rate", "click_rate"):
        k, n = col("conversions" if name == "conversion_rate" else "clicks"), col("engagements")
    elif name == "acceptance_rate":
        k = col("accepted")
        invited = col("invited")
        n = np.where(np.isnan(invited) & ~np.isnan(k), 1.0, invited)
        return k, n, ~np.isnan(k) & (n > 0)
    elif name == "fee_per_post":
        with np.errstate(divide="ignore", invalid="ignore"):
            k = col("fee_paid") / posts
        return k, np.ones_like(k), posted & ~np.isnan(k)
    else:
        k = col(name)
        return k, np.ones_like(k), posted & ~np.isnan(k)
    return k, n, posted & ~np.isnan(k) & ~np.isnan(n) & (n > 0)


def _sums(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=size)


# ----------------------------------------------------------------------------- one cell's data


def _g(family: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if family == "binomial":
        x = np.clip(x, 1e-9, 1 - 1e-9)
        return np.log(x / (1 - x))
    return np.log(np.maximum(x, 1e-12))


def _g_inv(family: str, y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    return 1 / (1 + np.exp(-y)) if family == "binomial" else np.exp(y)


def _slope(family: str, mu: np.ndarray) -> np.ndarray:
    """d g / d mu."""
    return 1 / (mu * (1 - mu)) if family == "binomial" else 1 / mu


def _prior_spread(family: str, low: np.ndarray, base: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A creator spread read from a prior range: beta-binomial rho, gamma CV^2, or log variance."""
    low = np.maximum(low, base / 10)
    sigma = (np.log(np.maximum(high, base)) - np.log(low)) / (2 * Z90)
    cv2 = np.expm1(sigma ** 2)
    if family == "binomial":
        return np.clip(cv2 * base / np.maximum(1 - base, 1e-9), 0.0, 0.5)
    return cv2 if family == "poisson" else sigma ** 2


def _rate_cells(family: str, k: np.ndarray, n: np.ndarray, codes: np.ndarray, size: int,
                prior_d: np.ndarray) -> dict[str, np.ndarray]:
    """Cell averages, their variance on the g scale, and the creator spread, for a rate."""
    ones = np.ones_like(k)
    count = _sums(codes, ones, size)
    big_k, big_n = _sums(codes, k, size), _sums(codes, n, size)
    n2 = _sums(codes, n * n, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_bar = np.where(big_n > 0, (big_k + 0.5) / (big_n + 1.0), np.nan)
        s = _sums(codes, k * k / n, size) - big_k ** 2 / big_n
        spread_n = big_n - n2 / big_n
        if family == "binomial":
            d = (s / (p_bar * (1 - p_bar)) - (count - 1)) / (spread_n - (count - 1))
            d = np.clip(d, 0.0, 0.99)
        else:
            d = np.maximum((s - p_bar * (count - 1)) / (p_bar ** 2 * spread_n), 0.0)
    estimable = (count >= 2) & np.isfinite(d) & (spread_n - (count - 1) > 1e-9 if family == "binomial" else
                                                 spread_n > 0)
    d = np.where(estimable, d, 0.0)
    dof = np.where(estimable, count - 1, 0.0)
    d_final = _pooled(d, dof, prior_d)
    if family == "binomial" and np.all(n <= 1):
        # One invitation per creator says nothing about creators' own chances beyond the average:
        # one creator's P10 / P90 are then the average's.
        d_final = np.zeros(size)
    p_i = np.where(n > 0, k / np.where(n > 0, n, 1), 0.0)
    mu = p_bar[codes]
    dc = d_final[codes]
    if family == "binomial":
        var_i = mu * (1 - mu) * (1 + (n - 1) * dc) / n
    else:
        var_i = mu / n + mu ** 2 * dc
    w = 1 / np.maximum(var_i, 1e-300)
    sw = _sums(codes, w, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = _sums(codes, w * p_i, size) / sw
        mean = np.where(sw > 0, np.maximum(mean, 0.5 / np.maximum(big_n, 1.0)), np.nan)
        if family == "binomial":
            mean = np.minimum(mean, 1 - 0.5 / np.maximum(big_n, 1.0))
        var = (1 / sw) * _slope(family, mean) ** 2
    return {"creators": count, "trials": big_n, "successes": big_k, "mean": mean,
            "var": var * _t_factor(dof + PRIOR_CREATORS), "spread": d_final}


def _cost_cells(values: np.ndarray, codes: np.ndarray, size: int, prior_d: np.ndarray) -> dict[str, np.ndarray]:
    """Log-normal cells: the average cost (zero share included), its log variance, the log spread."""
    ones = np.ones_like(values)
    count = _sums(codes, ones, size)
    positive = values > 0
    y = np.log(np.where(positive, values, 1.0))
    n_pos = _sums(codes, positive.astype(float), size)
    with np.errstate(divide="ignore", invalid="ignore"):
        y_bar = _sums(codes, np.where(positive, y, 0.0), size) / n_pos
        ss = _sums(codes, np.where(positive, (y - y_bar[codes]) ** 2, 0.0), size)
        s2 = np.where(n_pos >= 2, ss / (n_pos - 1), 0.0)
    dof = np.maximum(n_pos - 1, 0.0)
    d_final = _pooled(s2, dof, prior_d)
    zero = (count - n_pos + 0.5) / (count + 1.0)
    zero = np.where(count - n_pos > 0, zero, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n_pos > 0, (1 - zero) * np.exp(y_bar + d_final / 2), np.nan)
        var = d_final / n_pos + d_final ** 2 / (2 * np.maximum(n_pos - 1, 1.0)) + zero / ((1 - zero) * count)
    return {"creators": count, "trials": count, "successes": _sums(codes, values, size), "mean": mean,
            "var": var * _t_factor(dof + PRIOR_CREATORS), "spread": d_final, "zero": zero}


def _pooled(d: np.ndarray, dof: np.ndarray, prior_d: np.ndarray) -> np.ndarray:
    """Each cell's spread pooled with all cells' (and the prior's), PRIOR_CREATORS creators' worth each."""
    prior = float(np.nanmedian(prior_d)) if np.isfinite(prior_d).any() else 0.0
    pool = (float(np.sum(dof * d)) + PRIOR_CREATORS * prior) / (float(np.sum(dof)) + PRIOR_CREATORS)
    return (dof * d + PRIOR_CREATORS * pool) / (dof + PRIOR_CREATORS)


def _t_factor(dof: np.ndarray) -> np.ndarray:
    """(t / z)^2 at the 90th percentile: the small-sample widening of a normal interval."""
    from scipy import stats  # noqa: I001  (imported here: a second to import, and a solve never needs it)

    return (stats.t.ppf(0.9, np.maximum(dof, 1.0)) / Z90) ** 2


# ----------------------------------------------------------------------------- across cells


def _cross_cells(r: np.ndarray, s2: np.ndarray, observed: np.ndarray, tiers: np.ndarray, platforms: np.ndarray,
                 sigma_brand: float) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and variance of every cell's shift from its prior (g scale), Gaussian conditioning.

    shift = brand + tier + platform + own; brand ~ N(0, sigma_brand^2), the rest N(0, tau^2). The
    size tau is integrated out over a grid with a flat prior (its marginal likelihood times the
    prior weighs each grid point): with a dozen cells the maximum-likelihood tau is zero too often,
    which would make sparse cells copy the others (Gelman 2006, prior distributions for variance
    parameters in hierarchical models). The mixture is summarised by its mean and variance.
    """
    same_tier = (tiers[:, None] == tiers[None, :]).astype(float)
    same_platform = (platforms[:, None] == platforms[None, :]).astype(float)
    structure = same_tier + same_platform + np.eye(len(r))
    o = np.flatnonzero(observed)
    r_o = r[o]
    grid = np.linspace(TAU_FLOOR, max(2 * sigma_brand, 4 * TAU_FLOOR), TAU_POINTS)
    log_weights, means, variances = [], [], []
    for tau in grid:
        full = sigma_brand ** 2 + tau ** 2 * structure
        c_oo = full[np.ix_(o, o)] + np.diag(s2[o])
        _sign, logdet = np.linalg.slogdet(c_oo)
        solved = np.linalg.solve(c_oo, np.column_stack([r_o, full[o, :]]))
        log_weights.append(-0.5 * (logdet + float(r_o @ solved[:, 0])))
        means.append(full[:, o] @ solved[:, 0])
        variances.append(np.diag(full) - np.einsum("ij,ji->i", full[:, o], solved[:, 1:]))
    weights = np.exp(np.array(log_weights) - max(log_weights))
    weights /= weights.sum()
    mean = weights @ np.array(means)
    second = weights @ (np.array(variances) + np.array(means) ** 2)
    return mean, np.maximum(second - mean ** 2, 1e-12)


# ----------------------------------------------------------------------------- predictive quantiles


def _posterior_figures(family: str, m: float, v: float, spread: float, zero: float) -> dict[str, float]:
    """base, low, high, mean_low, mean_high from the cell average's posterior N(m, v) on the g scale."""
    from scipy import stats  # noqa: I001  (imported here: a second to import, and a solve never needs it)

    nodes, weights = _HERMITE
    weights = weights / weights.sum()
    averages = _g_inv(family, m + math.sqrt(v) * nodes)
    mean_low = float(_g_inv(family, np.array(m - Z90 * math.sqrt(v))))
    mean_high = float(_g_inv(family, np.array(m + Z90 * math.sqrt(v))))
    base = float(weights @ averages)
    if family == "binomial":
        within = averages * (1 - averages) * spread
    elif family == "poisson":
        within = averages ** 2 * spread
    else:  # log-normal positive part with a zero share: var of X given the cell average
        positive = averages / max(1 - zero, 1e-9)
        second = (1 - zero) * positive ** 2 * math.exp(spread)
        within = second - averages ** 2
    var = float(weights @ (within + averages ** 2)) - base ** 2
    var = max(var, 1e-18 * max(base, 1e-9) ** 2)
    if family == "binomial":
        var = min(var, base * (1 - base) * 0.999)
        scale = base * (1 - base) / var - 1
        low, high = stats.beta.ppf([0.1, 0.9], base * scale, (1 - base) * scale)
    elif family == "poisson":
        shape = base ** 2 / var
        low, high = stats.gamma.ppf([0.1, 0.9], shape, scale=base / shape)
    else:
        positive_mean = base / max(1 - zero, 1e-9)
        positive_var = max((var + base ** 2) / max(1 - zero, 1e-9) - positive_mean ** 2, 1e-18)
        sigma2 = math.log1p(positive_var / positive_mean ** 2)
        mu = math.log(positive_mean) - sigma2 / 2

        def quantile(q: float) -> float:
            if q <= zero:
                return 0.0
            return float(math.exp(mu + math.sqrt(sigma2) * stats.norm.ppf((q - zero) / (1 - zero))))

        low, high = quantile(0.1), quantile(0.9)
    mean_low, mean_high = min(mean_low, base), max(mean_high, base)
    # One creator varies at least as much as the average of many (the moment-matched shape can
    # differ from the average's own by a hair when creators hardly differ).
    return {"base": base, "low": min(float(low), mean_low), "high": max(float(high), mean_high),
            "mean_low": mean_low, "mean_high": mean_high}


# ----------------------------------------------------------------------------- the whole calibration


def _priors(scenario: Scenario, name: str, cells: list[tuple[str, str]], overall: float) -> tuple[np.ndarray, ...]:
    """Prior (low, base, high) per cell: what the scenario would plan with, or the table's own rate."""
    resolved = {c.key: c for c in resolve_cells(scenario)}
    out = np.full((len(cells), 3), np.nan)
    for i, (tier, platform) in enumerate(cells):
        cell = resolved[f"{tier}.{platform}"]
        if name == "click_rate":
            out[i] = (overall / math.exp(Z90), overall, overall * math.exp(Z90))
            continue
        low, base, high = cell.ranges[name]
        if name == "engagement_rate" and cell.engagement_rate_per == "views":
            factor = cell.reach_rate
            low, base, high = low * factor, base * factor, high * factor
        out[i] = (low, base, high)
    return out[:, 0], out[:, 1], out[:, 2]


def calibrate(results: ResultsTable, scenario: Scenario) -> Calibration:
    """Calibrated assumptions for every cell with results, shrunk towards the scenario's numbers.

    ``scenario`` gives the tier bands, the platforms and the prior values (the built-in defaults
    unless the scenario sets its own). Deterministic: the same results give the same numbers.
    """
    table = results.table
    cells = list(scenario.cells)
    keys = [f"{t}.{p}" for t, p in cells]
    index = {k: i for i, k in enumerate(keys)}
    codes = pd.Series(table["tier"] + "." + table["platform"]).map(index).to_numpy()
    size = len(cells)
    tier_of = np.array([t for t, _ in cells])
    platform_of = np.array([p for _, p in cells])
    signed = table["signed"].to_numpy()
    cell_frame = pd.DataFrame({
        "tier": tier_of, "platform": platform_of, "cell": keys,
        "creators": np.bincount(codes[signed], minlength=size).astype(int),
        "posts": _sums(codes, table["posts"].to_numpy(dtype=float), size),
        "rows": np.bincount(codes, minlength=size).astype(int),
    })
    rows: list[dict[str, object]] = []
    notes: list[str] = []
    for name, (family, unit, per) in CALIBRATED.items():
        k, n, usable = _observations(table, name)
        if not usable.any():
            continue
        ku, nu, cu = k[usable], n[usable], codes[usable]
        overall = float(ku.sum() / nu.sum()) if family != "cost" else float(np.mean(ku))
        p_low, p_base, p_high = _priors(scenario, name, cells, max(overall, 1e-9))
        prior_d = _prior_spread(family, p_low, p_base, p_high)
        if family == "cost":
            p_base = np.maximum(p_base, 1e-6)
            data = _cost_cells(ku, cu, size, prior_d)
        else:
            data = _rate_cells(family, ku, nu, cu, size, prior_d)
        observed = (data["creators"] > 0) & np.isfinite(data["mean"])
        for i in np.flatnonzero((data["creators"] > 0) & ~observed):
            notes.append(f"{name}: every creator of {keys[i]} in the results has 0; the prior value is kept")
        centre = _g(family, p_base)
        r = np.where(observed, _g(family, np.where(observed, data["mean"], 1.0)) - centre, 0.0)
        s2 = np.where(observed, data["var"], 1.0)
        sigma_brand = float(np.median((_g(family, np.maximum(p_high, p_base)) -
                                       _g(family, np.maximum(p_low, p_base / 10))) / (2 * Z90)))
        shift, var = _cross_cells(r, s2, observed, tier_of, platform_of, max(sigma_brand, 0.1))
        for i in np.flatnonzero(observed):
            figures = _posterior_figures(family, float(centre[i] + shift[i]), float(var[i]),
                                         float(data["spread"][i]), float(data.get("zero", np.zeros(size))[i]))
            rows.append({
                "tier": tier_of[i], "platform": platform_of[i], "cell": keys[i], "parameter": name, "unit": unit,
                "per": per, "family": family, "creators": int(data["creators"][i]),
                "exposure": float(data["trials"][i]), "observed": float(data["mean"][i]),
                "default_low": float(p_low[i]), "default_base": float(p_base[i]), "default_high": float(p_high[i]),
                **figures,
            })
    if not rows:
        notes.append("no creator in the results posted: nothing to calibrate")
    estimates = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    order = {name: i for i, name in enumerate(CALIBRATED)}
    estimates = estimates.sort_values(["cell"], key=lambda s: s.map(index)).sort_values(
        "parameter", key=lambda s: s.map(order), kind="stable").sort_values("cell", key=lambda s: s.map(index),
                                                                              kind="stable").reset_index(drop=True)
    return Calibration(estimates=estimates, cells=cell_frame, results=results,
                       tiers={t: (float(a), float(b)) for t, (a, b) in scenario.tiers.items()},
                       currency=scenario.currency, notes=tuple(notes) + results.notes)


ESTIMATE_COLUMNS = ["tier", "platform", "cell", "parameter", "unit", "per", "family", "creators", "exposure",
                    "observed", "default_low", "default_base", "default_high", "low", "base", "high", "mean_low",
                    "mean_high"]
