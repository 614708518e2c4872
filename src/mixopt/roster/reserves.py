"""Reserves: for each tier, the best creators not chosen, to call when a chosen creator declines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mixopt.roster.model import ROSTER_KPIS, objective_vector
from mixopt.scenario.schema import Scenario

__all__ = ["reserve_list"]


def reserve_list(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    """Per tier, the best creators not chosen, ranked, to call when a chosen creator declines.

    Size per tier: ``roster.reserves_per_tier`` when set, else the expected declines
    ``ceil(sum over the tier's chosen creators of (1 - acceptance_rate))``. Rank: what a creator
    adds to the goal per unit of spend (for 'minimize: spend', reach per unit of spend), then
    roster order. Excluded creators are never reserves.
    """
    s = scenario
    assert s.roster is not None
    value = objective_vector(s, table) if s.objective.minimize is None else table["reach"].to_numpy(dtype=float)
    spend = table["spend"].to_numpy(dtype=float)
    per_spend = np.where(spend > 0, value / np.maximum(spend, 1e-9), np.where(value > 0, np.inf, 0.0))
    available = ~chosen & ~table["exclude"].to_numpy(dtype=bool)
    tiers = table["tier"].to_numpy()
    accept = table["acceptance_rate"].to_numpy(dtype=float)
    frames = []
    for tier in s.tier_names:
        in_tier = tiers == tier
        if s.roster.reserves_per_tier is not None:
            size = s.roster.reserves_per_tier
        else:
            size = math.ceil(float((1.0 - accept[in_tier & chosen]).sum()) - 1e-9)
        candidates = np.nonzero(in_tier & available)[0]
        if size <= 0 or len(candidates) == 0:
            continue
        ranked = candidates[np.lexsort((candidates, -per_spend[candidates]))][:size]
        part = table.iloc[ranked][["id", "platform", "tier", "followers", "category", "spend", *ROSTER_KPIS,
                                   "acceptance_rate"]].copy()
        part.insert(0, "rank", np.arange(1, len(part) + 1))
        part["value_per_spend"] = per_spend[ranked]
        frames.append(part)
    columns = ["rank", "id", "platform", "tier", "followers", "category", "spend", *ROSTER_KPIS, "acceptance_rate",
               "value_per_spend"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
