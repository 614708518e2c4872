"""Unique reach after one-for-one swaps, computed for many swaps at once, equals the unique reach
of each swapped choice computed from scratch; the plan's unique reach read from the chosen
creators' audiences only equals the whole table's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mixopt.roster.model import roster_audiences, unique_reach_value
from mixopt.roster.table import load_roster
from mixopt.roster.unique_swaps import UniqueReachSwaps, audiences_of_rows, chosen_unique_reach
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.schema import Scenario
from mixopt.synth import synthetic_roster


def _scenario(tmp_path: Path, share: float) -> Scenario:
    frame = synthetic_roster(400, 3)
    frame["overlap_group"] = [f"g{k % 23}" if k % 5 else "" for k in range(len(frame))]  # some creators in no group
    frame.loc[:4, "reach"] = 1e7  # creators reaching more than their group's audience (capped at the audience)
    frame.to_csv(tmp_path / "creators.csv", index=False)
    return scenario_from_dict({"budget": 10_000, "objective": {"maximize": "unique_reach"},
                               "audience": {"cross_platform_overlap": share}, "roster": {"file": "creators.csv"}},
                              file=str(tmp_path / "scenario.yaml"))


@pytest.mark.parametrize("share", [0.0, 0.35])
def test_unique_reach_after_each_swap_equals_the_swapped_choice_computed_afresh(tmp_path: Path, share: float) -> None:
    scenario = _scenario(tmp_path, share)
    table = load_roster(scenario).table
    audiences = roster_audiences(scenario, table)
    rng = np.random.default_rng(11)
    chosen = np.zeros(len(table), dtype=bool)
    chosen[rng.choice(len(table), 60, replace=False)] = True
    chosen[:3] = True  # creators whose reach covers their group's audience
    out_rows, in_rows = np.flatnonzero(chosen), np.flatnonzero(~chosen)
    swaps = UniqueReachSwaps(audiences, chosen, out_rows, in_rows)
    assert swaps.now == unique_reach_value(audiences, chosen)
    leavers = np.repeat(np.arange(len(out_rows)), 9)
    joiners = rng.integers(0, len(in_rows), len(leavers))
    same_unit = [(a, b) for a in range(len(out_rows)) for b in range(len(in_rows))
                 if audiences.unit[out_rows[a]] >= 0 and audiences.unit[out_rows[a]] == audiences.unit[in_rows[b]]]
    assert len(same_unit) > 50  # a leaver and a joiner sharing one audience: it changes once, by both
    leavers = np.concatenate([leavers, [a for a, _ in same_unit]])
    joiners = np.concatenate([joiners, [b for _, b in same_unit]])
    after = swaps.after(leavers, joiners, outer=False)
    for k, (a, b) in enumerate(zip(leavers.tolist(), joiners.tolist())):
        swapped = chosen.copy()
        swapped[out_rows[a]], swapped[in_rows[b]] = False, True
        assert after[k] == pytest.approx(unique_reach_value(audiences, swapped), rel=1e-12)
    matrix = swaps.after(np.arange(7), np.arange(11), outer=True)
    pairwise = swaps.after(np.repeat(np.arange(7), 11), np.tile(np.arange(11), 7), outer=False)
    assert np.array_equal(matrix, pairwise.reshape(7, 11))


def test_unique_reach_of_the_chosen_creators_needs_only_their_audiences(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 0.35)
    table = load_roster(scenario).table
    audiences = roster_audiences(scenario, table)
    rng = np.random.default_rng(5)
    for size in (1, 7, 80):
        chosen = np.zeros(len(table), dtype=bool)
        chosen[rng.choice(len(table), size, replace=False)] = True
        assert chosen_unique_reach(scenario, table, chosen) == unique_reach_value(audiences, chosen)
        rows = np.union1d(np.flatnonzero(chosen), rng.choice(len(table), 50, replace=False))
        assert unique_reach_value(audiences_of_rows(audiences, rows), chosen[rows]) == unique_reach_value(audiences, chosen)
