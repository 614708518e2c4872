"""Unique reach of a roster plan after one-for-one swaps, and audiences for part of a roster.

Unique reach is not a sum over the chosen creators: creators of one overlap group on one
platform share an audience (``A (1 - exp(-sum of their coefficients))``, at most their summed
reach), and platforms overlap (``sum - share x (sum - largest platform)``). A swap of chosen
creator ``i`` for unchosen ``j`` changes at most two audiences and two platforms, so the reach
after many swaps is computed at once from the plan's per-audience and per-platform figures, with
the same float formula as :func:`mixopt.roster.model.unique_reach_value`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from mixopt.roster.model import Audiences, roster_audiences, unique_reach_value
from mixopt.scenario.schema import Scenario

__all__ = ["UniqueReachSwaps", "audiences_of_rows", "chosen_unique_reach"]


def audiences_of_rows(audiences: Audiences, rows: np.ndarray) -> Audiences:
    """The audiences of a whole roster, for the creators at ``rows`` of its table (in that order):
    the same audiences (each is fixed by all of its group's creators), so any choice among those
    creators has the unique reach it has on the whole table."""
    rows = np.asarray(rows, dtype=np.int64)
    return dataclasses.replace(audiences, unit=audiences.unit[rows], platform=audiences.platform[rows],
                               reach=audiences.reach[rows])


def chosen_unique_reach(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray) -> float:
    """Unique reach of the chosen creators, reading only the audiences they are in (an audience
    depends on its own group's creators only): the value ``unique_reach_value`` gives on the
    whole table, without the audiences of a million creators no one chose."""
    chosen = np.asarray(chosen, dtype=bool)
    if "overlap_group" not in table or not chosen.any():
        return unique_reach_value(roster_audiences(scenario, table), chosen)
    groups = table["overlap_group"].to_numpy(dtype=object)
    codes, _names = pd.factorize(groups)  # whole numbers: a million rows are matched in milliseconds
    mine = np.unique(codes[chosen & (groups != "")])
    candidates = np.flatnonzero(np.isin(codes, mine) & ~chosen)
    mine_rows = np.flatnonzero(chosen)
    both = np.concatenate([mine_rows, candidates])
    platform_codes, platform_names = pd.factorize(table["platform"].to_numpy(dtype=object)[both])
    # one whole number per (group, platform) audience (codes are -1 for a missing value, hence the + 1)
    unit = (codes[both].astype(np.int64) + 1) * (len(platform_names) + 1) + (platform_codes.astype(np.int64) + 1)
    in_unit = candidates[np.isin(unit[len(mine_rows):], unit[:len(mine_rows)])]
    rows = np.union1d(mine_rows, in_unit)
    part = table.iloc[rows].reset_index(drop=True)
    return unique_reach_value(roster_audiences(scenario, part), chosen[rows])


def _capped(audience: np.ndarray, coefficients: np.ndarray, summed: np.ndarray) -> np.ndarray:
    """An audience's unique reach from its chosen creators' coefficient sum and summed reach."""
    finite = ~np.isinf(audience)
    safe = np.where(finite, audience, 0.0)
    return np.where(finite, np.minimum(summed, -safe * np.expm1(-coefficients)), summed)


class UniqueReachSwaps:
    """Unique reach after swapping a chosen creator out and a candidate in, for many swaps at once.

    ``out_rows`` are the chosen creators' rows in the table, ``in_rows`` the candidates' rows
    (one per candidate option); swaps are given as positions into those two arrays.
    """

    def __init__(self, audiences: Audiences, chosen: np.ndarray, out_rows: np.ndarray, in_rows: np.ndarray) -> None:
        aud = audiences
        chosen = np.asarray(chosen, dtype=bool)
        self.now = unique_reach_value(aud, chosen)
        m, n_platforms = len(aud.audience), len(aud.platforms)
        coefficient = aud.coefficient()
        pick = chosen & (aud.unit >= 0)
        coef_sum = np.bincount(aud.unit[pick], weights=coefficient[pick], minlength=m)
        reach_sum = np.bincount(aud.unit[pick], weights=aud.reach[pick], minlength=m)
        value = _capped(aud.audience, coef_sum, reach_sum)
        alone = chosen & (aud.unit < 0)
        self._platforms = (np.bincount(aud.platform[alone], weights=aud.reach[alone], minlength=n_platforms)
                           + np.bincount(aud.unit_platform, weights=value, minlength=n_platforms))
        # one unused audience at the end, read by creators of no group (their figures are masked)
        self._audience = np.append(aud.audience, np.inf)
        self._coef_sum, self._reach_sum, self._value = (np.append(a, 0.0) for a in (coef_sum, reach_sum, value))
        self._share = aud.share
        self.out = self._side(aud, coefficient, out_rows)
        self.into = self._side(aud, coefficient, in_rows)

    @staticmethod
    def _side(aud: Audiences, coefficient: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        rows = np.asarray(rows, dtype=np.int64)
        return aud.unit[rows], aud.platform[rows], coefficient[rows], aud.reach[rows]

    def after(self, leavers: np.ndarray, joiners: np.ndarray, *, outer: bool) -> np.ndarray:
        """Unique reach after each swap: ``outer`` for every leaver with every joiner (a matrix),
        else pairwise."""
        u_out, p_out, c_out, r_out = (a[leavers] for a in self.out)
        u_in, p_in, c_in, r_in = (a[joiners] for a in self.into)
        if outer:
            u_out, p_out, c_out, r_out = (a[:, None] for a in (u_out, p_out, c_out, r_out))
            u_in, p_in, c_in, r_in = (a[None, :] for a in (u_in, p_in, c_in, r_in))
        u_out, u_in = np.broadcast_arrays(u_out, u_in)
        same = (u_out >= 0) & (u_out == u_in)  # both in one audience: it changes once, by both
        dummy = len(self._audience) - 1
        k_out, k_in = np.where(u_out >= 0, u_out, dummy), np.where(u_in >= 0, u_in, dummy)
        both_c = np.where(same, c_in, 0.0)
        both_r = np.where(same, r_in, 0.0)
        left = _capped(self._audience[k_out], self._coef_sum[k_out] - c_out + both_c,
                       self._reach_sum[k_out] - r_out + both_r)
        d_out = np.where(u_out >= 0, left - self._value[k_out], -r_out)
        joined = _capped(self._audience[k_in], self._coef_sum[k_in] + c_in, self._reach_sum[k_in] + r_in)
        d_in = np.where(same, 0.0, np.where(u_in >= 0, joined - self._value[k_in], r_in))
        platforms = np.arange(len(self._platforms))
        by_platform = (self._platforms + d_out[..., None] * (p_out[..., None] == platforms)
                       + d_in[..., None] * (p_in[..., None] == platforms))
        total = by_platform.sum(axis=-1)
        if self._share > 0:
            total = np.where(total > 0, total - self._share * (total - by_platform.max(axis=-1)), total)
        return total
