"""Roster unique reach per draw, counted exactly as the plan counts it, and its tangent cuts.

The plan (:func:`mixopt.roster.model.unique_reach_value`) counts the people the chosen creators
reach once: creators of one overlap group on one platform share the group's audience ``A`` and
reach ``A (1 - prod (1 - R_i / A))`` of it together (random duplication), a creator of no group
counts in full, and a share ``s`` (``audience.cross_platform_overlap``) of every platform but
the largest is already reached there. A draw keeps the audiences (they are people, fixed by the
plan from the planning values) and replaces each creator's reach ``R_i`` by the draw's, so with
every range collapsed each draw is the plan's figure.

:func:`unique_reach_cut` is the safe plan's linear stand-in: per draw, the tangent of the
concave within-group count at a choice of creators, with that draw's largest platform kept
(see its notes for what that approximation means).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mixopt.roster.model import SHARE_CAP, Audiences

__all__ = ["coefficients", "UniqueReachDraws", "unique_reach_draws", "unique_reach_cut"]


def coefficients(audience: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """``-ln(1 - R / A)`` per creator and draw (``audience`` per creator column, inf for none), capped
    as the plan caps it: ``A (1 - exp(-sum))`` is then a group's unique reach."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isinf(audience), 0.0, reach / audience)
        return np.where(ratio >= 1.0, SHARE_CAP, np.minimum(-np.log1p(-np.minimum(ratio, 1.0)), SHARE_CAP))


class UniqueReachDraws:
    """Per draw, the unique reach of a fixed set of creators, added block by block.

    ``rows`` are every creator of the set (table rows); :meth:`add` takes the draws of some of
    them, (samples, len(block)) reach per creator; :meth:`total` is the unique reach per draw."""

    def __init__(self, aud: Audiences, rows: np.ndarray, samples: int) -> None:
        self.aud = aud
        units = aud.unit[np.asarray(rows, dtype=np.int64)]
        self.units = np.unique(units[units >= 0])
        self.loose = np.zeros((samples, len(aud.platforms)))
        self.exponent = np.zeros((samples, len(self.units)))
        self.summed = np.zeros((samples, len(self.units)))

    def add(self, block: np.ndarray, reach: np.ndarray) -> None:
        aud = self.aud
        block = np.asarray(block, dtype=np.int64)
        unit = aud.unit[block]
        alone = unit < 0
        if alone.any():
            into = sp.csr_matrix((np.ones(int(alone.sum())), (np.arange(int(alone.sum())), aud.platform[block][alone])),
                                 shape=(int(alone.sum()), len(aud.platforms)))
            self.loose += np.asarray(reach[:, alone] @ into)
        grouped = ~alone
        if grouped.any():
            k = int(grouped.sum())
            into = sp.csr_matrix((np.ones(k), (np.arange(k), np.searchsorted(self.units, unit[grouped]))),
                                 shape=(k, len(self.units)))
            r = reach[:, grouped]
            self.exponent += np.asarray(coefficients(aud.audience[unit[grouped]][None, :], r) @ into)
            self.summed += np.asarray(r @ into)

    def by_platform(self) -> np.ndarray:
        """Per draw and platform, the people reached there (before the overlap across platforms)."""
        aud = self.aud
        audience = aud.audience[self.units]
        finite = ~np.isinf(audience)
        value = self.summed.copy()
        value[:, finite] = np.minimum(self.summed[:, finite], -audience[finite] * np.expm1(-self.exponent[:, finite]))
        into = sp.csr_matrix((np.ones(len(self.units)), (np.arange(len(self.units)), aud.unit_platform[self.units])),
                             shape=(len(self.units), len(aud.platforms)))
        return self.loose + np.asarray(value @ into)

    def total(self) -> np.ndarray:
        by_platform = self.by_platform()
        total = by_platform.sum(axis=1)
        if self.aud.share > 0:
            total = np.where(total > 0, total - self.aud.share * (total - by_platform.max(axis=1)), total)
        return total


def unique_reach_draws(aud: Audiences, rows: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """The unique reach of the creators at ``rows`` in each draw of their ``reach`` (samples, len(rows))."""
    counter = UniqueReachDraws(aud, rows, reach.shape[0])
    counter.add(rows, reach)
    return counter.total()


def unique_reach_cut(aud: Audiences, reach: np.ndarray, chosen: np.ndarray,
                     weights: np.ndarray) -> tuple[np.ndarray, float]:
    """A linear function ``coef @ x + constant`` of the yes/no choice ``x`` of every creator that
    touches ``sum_d weights[d] x unique reach in draw d`` at ``chosen`` (``reach``: samples x
    creators).

    Per draw: ungrouped creators count their reach; a group's ``A (1 - exp(-S))`` (concave in the
    choice) is replaced by its tangent at ``chosen``, which lies on or above it everywhere, so a
    floor on the cut is implied by the floor on the concave part; across platforms the draw's
    largest platform at ``chosen`` is kept (``(1 - s) x sum + s x that platform``). That last
    step is the approximation: a choice whose largest platform differs in some draw is
    under-counted there, so a cut can exclude a plan that would meet the floor (never admit one
    that does not: the floor is re-checked on the true count at every choice).
    """
    chosen = np.asarray(chosen, dtype=bool)
    used = np.nonzero(weights > 0)[0]
    n = reach.shape[1]
    r = reach[used]
    w = weights[used]
    counter = UniqueReachDraws(aud, np.nonzero(chosen)[0], len(used))
    counter.add(np.nonzero(chosen)[0], r[:, chosen])
    by_platform = counter.by_platform()
    factor = np.ones((len(used), len(aud.platforms)))  # per draw and platform: what one person there counts
    if aud.share > 0:
        largest = by_platform.argmax(axis=1)
        factor *= 1.0 - aud.share
        factor[np.arange(len(used)), largest] = 1.0
        factor[by_platform.sum(axis=1) <= 0] = 1.0  # nothing reached: no overlap is subtracted
    creator_factor = factor[:, aud.platform]  # (draws, creators)
    unit = aud.unit
    grouped = unit >= 0
    audience = np.where(grouped, aud.audience[np.maximum(unit, 0)], np.inf) if len(aud.audience) else np.full(n, np.inf)
    linear = ~grouped | np.isinf(audience)
    coef_draws = np.where(linear[None, :], r, 0.0) * creator_factor
    constant = 0.0
    curved = grouped & ~np.isinf(audience)
    if curved.any():
        c = coefficients(audience[curved][None, :], r[:, curved])  # (draws, curved creators)
        names, inverse = np.unique(unit[curved], return_inverse=True)
        into = sp.csr_matrix((np.ones(int(curved.sum())), (np.arange(int(curved.sum())), inverse)),
                             shape=(int(curved.sum()), len(names)))
        picked = chosen[curved].astype(float)
        s0 = np.asarray((c * picked[None, :]) @ into)  # exponent per draw and group at ``chosen``
        a = aud.audience[names][None, :]
        slope = a * np.exp(-s0)  # d/dS of A (1 - exp(-S))
        group_factor = factor[:, aud.unit_platform[names]]
        coef_draws[:, curved] = (slope * group_factor)[:, inverse] * c
        value = -a * np.expm1(-s0)
        constant = float(w @ ((value - slope * s0) * group_factor).sum(axis=1))
    return w @ coef_draws, constant
