"""Roster unique reach per draw, counted exactly as the plan counts it, and its tangent cuts.

The plan (:func:`mixopt.roster.model.unique_reach_value`) counts the people the chosen creators
reach once: creators of one overlap group on one platform share the group's audience ``A`` and
reach ``A (1 - prod (1 - R_i / A))`` of it together (random duplication), a creator of no group
counts in full, and a share ``s`` (``audience.cross_platform_overlap``) of every platform but
the largest is already reached there. A draw keeps the audiences (they are people, fixed by the
plan from the planning values) and replaces each creator's reach ``R_i`` by the draw's, so with
every range collapsed each draw is the plan's figure.

:meth:`UniqueReachFamily.cut` is the safe plan's linear stand-in: per draw, the tangent of the
concave within-group count at a choice of creators, with that draw's largest platform kept
(see its notes for what that approximation means).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mixopt.roster.model import SHARE_CAP, Audiences

__all__ = ["coefficients", "UniqueReachDraws", "unique_reach_draws", "UniqueReachFamily"]


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


class UniqueReachFamily:
    """The unique reach of any choice ``x`` (one weight 0..1 per creator) in each of a set of
    draws of every creator's reach (``reach``: samples x creators), and the safe plan's cuts.

    Per draw: ungrouped creators (and groups without an audience) count ``R_i x_i``; a group counts
    ``A (1 - exp(-sum c_i x_i))`` with ``c_i = -ln(1 - R_i / A)`` (concave in ``x``); across
    platforms ``sum - s x (sum - largest platform)``. At whole ``x`` this is the plan's count.
    """

    def __init__(self, aud: Audiences, reach: np.ndarray) -> None:
        self.aud = aud
        n = reach.shape[1]
        unit = aud.unit
        grouped = unit >= 0
        audience = np.full(n, np.inf)
        if len(aud.audience):
            audience[grouped] = aud.audience[unit[grouped]]
        self.curved = grouped & ~np.isinf(audience)
        self.linear = np.where(self.curved[None, :], 0.0, reach)  # (samples, creators)
        self.to_platform = sp.csr_matrix((np.ones(n), (np.arange(n), aud.platform)), shape=(n, len(aud.platforms)))
        self.names, inverse = np.unique(unit[self.curved], return_inverse=True)
        k = int(self.curved.sum())
        self.to_group = sp.csr_matrix((np.ones(k), (np.arange(k), inverse)), shape=(k, len(self.names)))
        self.inverse = inverse
        self.group_audience = aud.audience[self.names] if len(self.names) else np.zeros(0)
        self.group_platform = sp.csr_matrix((np.ones(len(self.names)), (np.arange(len(self.names)),
                                             aud.unit_platform[self.names])), shape=(len(self.names), len(aud.platforms)))
        self.reach = reach[:, self.curved]
        self.c = coefficients(audience[self.curved][None, :], self.reach)

    def _groups(self, x: np.ndarray, rows: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xc = x[self.curved]
        exponent = np.asarray((self.c[rows] * xc[None, :]) @ self.to_group)
        summed = np.asarray((self.reach[rows] * xc[None, :]) @ self.to_group)
        return exponent, summed, np.asarray((self.linear[rows] * x[None, :]) @ self.to_platform)

    def values(self, x: np.ndarray) -> np.ndarray:
        """The unique reach of ``x`` in every draw."""
        x = np.asarray(x, dtype=float)
        exponent, summed, loose = self._groups(x, slice(None))
        value = np.minimum(summed, -self.group_audience[None, :] * np.expm1(-exponent))
        by_platform = loose + np.asarray(value @ self.group_platform)
        total = by_platform.sum(axis=1)
        if self.aud.share > 0:
            total = np.where(total > 0, total - self.aud.share * (total - by_platform.max(axis=1)), total)
        return total

    def cut(self, x: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
        """``coef @ y + constant`` touching ``sum_d weights[d] x unique reach in draw d`` at ``x``.

        Per draw a group's ``A (1 - exp(-S))`` is replaced by its tangent at ``x``, which lies on
        or above it everywhere, so a floor on the cut is implied by the floor on the concave count;
        across platforms the draw's largest platform at ``x`` is kept (``(1 - s) x sum + s x that
        platform``). That last step is the approximation: where another platform is the largest
        in some draw at another choice, that draw is under-counted there, so a cut can exclude a
        choice that would meet the floor (never admit one that does not: the floor is re-checked
        on the true count at every choice).
        """
        x = np.asarray(x, dtype=float)
        rows = np.nonzero(weights > 0)[0]
        w = weights[rows]
        exponent, summed, loose = self._groups(x, rows)
        a = self.group_audience[None, :]
        value = -a * np.expm1(-exponent)
        by_platform = loose + np.asarray(np.minimum(summed, value) @ self.group_platform)
        factor = np.ones((len(rows), len(self.aud.platforms)))  # what one person reached on a platform counts
        if self.aud.share > 0:
            factor *= 1.0 - self.aud.share
            factor[np.arange(len(rows)), by_platform.argmax(axis=1)] = 1.0
            factor[by_platform.sum(axis=1) <= 0] = 1.0  # nothing reached yet: nothing is subtracted
        coef = w @ (self.linear[rows] * factor[:, self.aud.platform])
        constant = 0.0
        if len(self.names):
            group_factor = factor[:, self.aud.unit_platform[self.names]]
            slope = a * np.exp(-exponent) * group_factor  # d/dS of the group's count
            coef[self.curved] += w @ (slope[:, self.inverse] * self.c[rows])
            constant = float(w @ ((value * group_factor) - slope * exponent).sum(axis=1))
        return coef, constant
