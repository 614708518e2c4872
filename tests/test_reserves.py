"""Reserves: for each chosen creator, the best unchosen creator to call in its place such that the
swap keeps every rule of the scenario.

The reference is a brute force written here: every unchosen creator (at every post count the
scenario allows) is swapped in for each chosen creator, and the swapped set is judged by the
independent rule check (``check_roster_choice``) plus the budget to half a cent; the best
rule-keeping swaps by goal must be the ones listed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixopt.roster.check import at_posts, check_roster_choice
from mixopt.roster.model import objective_vector, roster_audiences, unique_reach_value
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.plan import RosterPlan
from mixopt.roster.reserves import RESERVE_COLUMNS, reserve_list
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.schema import Scenario
from mixopt.synth import synthetic_roster


def _scenario(tmp_path: Path, n: int, seed: int, **extra: Any) -> Scenario:
    """A small synthetic roster under many rules (budget, reach floor, team cap, shares, a pico
    floor, a beauty quota, overlap groups); ``extra`` replaces or merges top-level blocks."""
    table = tmp_path / f"roster_{n}_{seed}.csv"
    frame = synthetic_roster(n, seed)
    frame["overlap_group"] = [f"g{k % 9}" for k in range(n)]  # small groups, so the overlap cap bites
    frame.to_csv(table, index=False)
    data: dict[str, Any] = {
        "budget": 60.0 * n, "objective": {"maximize": "conversions"}, "targets": {"reach": 80.0 * n},
        "rules": {"max_creators": max(n // 5, 6), "tiers": {"micro": {"max_spend_share": 0.6}, "pico": {"min_creators": 1}},
                  "platforms": {"youtube": {"max_spend_share": 0.3}}},
        "roster": {"file": table.name, "categories": {"beauty": {"min_creators": 1}}, "max_per_overlap_group": 1},
    }
    for key, value in extra.items():
        merge = isinstance(value, dict) and isinstance(data.get(key), dict) and key != "objective"
        data[key] = {**data[key], **value} if merge else value
    return scenario_from_dict(data, file=str(tmp_path / "scenario.yaml"))


def _keeps_every_rule(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray, posts: np.ndarray) -> bool:
    checks = check_roster_choice(scenario, table, chosen, posts)
    budget = [c for c in checks if c.rule == "budget"]
    return all(c.holds for c in checks) and all(c.value <= c.limit + 0.005 for c in budget)


def _swap(plan: RosterPlan, leaver: int, joiner: int, posts: int) -> tuple[np.ndarray, np.ndarray]:
    chosen = plan.solution.chosen.copy()  # type: ignore[union-attr]
    counts = np.asarray(plan.solution.posts).copy()
    chosen[leaver], chosen[joiner] = False, True
    counts[leaver], counts[joiner] = 0, posts
    return chosen, counts


def _brute_force(scenario: Scenario, plan: RosterPlan) -> dict[str, list[tuple[float, str]]]:
    """Per chosen creator, every rule-keeping swap as (objective change, creator id), best first."""
    table = plan.roster.table
    chosen = plan.solution.chosen
    assert chosen is not None and scenario.roster is not None
    low = scenario.roster.posts_per_creator
    high = scenario.roster.max_posts_per_creator or low
    now = float(objective_vector(scenario, at_posts(table, chosen, plan.solution.posts)).sum())
    sign = -1.0 if scenario.objective.minimize else 1.0
    out: dict[str, list[tuple[float, str]]] = {}
    for leaver in np.flatnonzero(chosen):
        best: dict[str, float] = {}
        for joiner in np.flatnonzero(~chosen & ~table["exclude"].to_numpy(dtype=bool)):
            for posts in range(low, high + 1):
                after, counts = _swap(plan, leaver, joiner, posts)
                if _keeps_every_rule(scenario, table, after, counts):
                    change = float(objective_vector(scenario, at_posts(table, after, counts)).sum()) - now
                    creator = str(table["id"].iloc[joiner])
                    if creator not in best or sign * change > sign * best[creator]:  # its best post count
                        best[creator] = change
        out[str(table["id"].iloc[leaver])] = sorted(((v, k) for k, v in best.items()), key=lambda p: -sign * p[0])
    return out


CASES = {
    "most conversions": {},
    "least spend for targets": {"objective": {"minimize": "spend"}, "targets": {"reach": 200.0 * 48}},
    "most profit, 1-3 posts each": {"objective": {"maximize": "profit"}, "economics": {"average_order_value": 60},
                                     "roster": {"max_posts_per_creator": 3}},
    "cell rules, spend bands and a resource cap": {
        "rules": {"max_creators": 9, "cells": {"nano.tiktok": {"min_creators": 1}, "micro.youtube": {"max_creators": 0}},
                  "tiers": {"nano": {"min_spend": 300}, "micro": {"max_spend": 1200}}},
        "roster": {"resource_caps": {"fit_score": 4.0}, "categories": {"fashion": {"max_creators": 2}}}},
    # unique reach is not a sum: the target rules out about half of the swaps that keep the rest
    "unique-reach target": {"targets": {"reach": 80.0 * 48, "unique_reach": 38500}},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_unchosen_creator_is_a_better_rule_keeping_replacement_than_the_ones_listed(tmp_path: Path,
                                                                                       case: str) -> None:
    scenario = _scenario(tmp_path, 48, 1 + sorted(CASES).index(case), **CASES[case])
    plan = optimize_roster(scenario)
    assert plan.status.has_plan and plan.feasible
    reserves = reserve_list(scenario, plan.roster.table, plan.solution.chosen, plan.solution.posts, per_creator=3)
    truth = _brute_force(scenario, plan)
    assert list(dict.fromkeys(reserves["for_id"])) == list(truth)  # every chosen creator, in roster order
    for for_id, swaps in truth.items():
        listed = reserves[reserves["for_id"] == for_id]
        must = bool(plan.roster.table.set_index("id").loc[for_id, "must_include"])
        if not swaps:  # none keeps every rule: one row says so
            assert len(listed) == 1 and pd.isna(listed["rank"].iloc[0]) and listed["note"].iloc[0] != ""
            continue
        assert not must
        assert list(listed["rank"]) == list(range(1, min(3, len(swaps)) + 1))
        # the best objective changes, in order (ties between creators may list either)
        assert np.allclose(listed["objective_change"].to_numpy(float), [v for v, _ in swaps[:len(listed)]],
                           rtol=1e-9, atol=1e-9)
        assert set(listed["id"]) <= {k for _, k in swaps}


def test_every_listed_swap_passes_the_independent_rule_check(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 300, 9, roster={"max_posts_per_creator": 2, "max_per_overlap_group": 3})
    plan = optimize_roster(scenario)
    table = plan.roster.table
    reserves = reserve_list(scenario, table, plan.solution.chosen, plan.solution.posts, per_creator=3)
    listed = reserves[reserves["rank"].notna()]
    assert len(listed) >= 2 * plan.totals["creators"] > 0
    position = {v: k for k, v in enumerate(table["id"])}
    chosen_ids = set(plan.selected["id"])
    excluded = set(table.loc[table["exclude"], "id"])
    for row in listed.itertuples():
        assert row.id not in chosen_ids and row.id not in excluded
        after, counts = _swap(plan, position[row.for_id], position[row.id], int(row.posts))
        assert _keeps_every_rule(scenario, table, after, counts), (row.for_id, row.id)
        picked = at_posts(table, after, counts)
        assert np.isclose(float(picked["spend"].sum()) - plan.totals["spend"], row.spend_change, atol=1e-6)
    assert listed.loc[listed["rank"] == 1, "checked"].all()  # rank 1 re-checked by the independent check
    assert not listed.loc[listed["rank"] > 1, "checked"].any()


def test_a_chosen_creator_no_swap_can_replace_says_so_and_names_the_rule(tmp_path: Path) -> None:
    table = synthetic_roster(60, 4)
    table["exclude"] = 0
    table["must_include"] = 0
    table.loc[table.index[0], "must_include"] = 1
    beauty = int((table["category"] == "beauty").sum())
    (tmp_path / "roster.csv").write_text(table.to_csv(index=False), encoding="utf-8")
    scenario = scenario_from_dict(
        {"budget": 4000, "objective": {"maximize": "reach"}, "rules": {"max_creators": 12},
         "roster": {"file": "roster.csv", "categories": {"beauty": {"min_creators": beauty}}}},
        file=str(tmp_path / "scenario.yaml"))
    plan = optimize_roster(scenario)
    assert plan.feasible
    reserves = plan.reserves
    assert list(reserves.columns) == list(RESERVE_COLUMNS)
    beauty_ids = set(plan.selected.loc[plan.selected["category"] == "beauty", "id"])
    assert len(beauty_ids) == beauty  # every beauty creator is chosen, so none can be swapped out
    for for_id in beauty_ids - {table["id"].iloc[0]}:
        row = reserves[reserves["for_id"] == for_id]
        assert len(row) == 1 and pd.isna(row["rank"].iloc[0]) and row["id"].iloc[0] == ""
        assert row["note"].iloc[0] == ("no unchosen creator can take its place and keep every rule (the rule the best "
                                       f"candidates break most often: at least {beauty} beauty creators)")
    must = reserves[reserves["for_id"] == table["id"].iloc[0]]
    assert must["note"].iloc[0] == "must-include creator: swapping it out breaks 'every must-include creator chosen'"


def test_reserves_per_tier_sets_how_many_replacements_each_chosen_creator_gets(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 400, 3, roster={"reserves_per_tier": 2})
    plan = optimize_roster(scenario)
    reserves = plan.reserves
    listed = reserves[reserves["rank"].notna()]
    assert set(reserves["for_id"]) == set(plan.selected["id"])
    for _, part in listed.groupby("for_id"):
        assert list(part["rank"]) == list(range(1, len(part) + 1)) and len(part) <= 2
        assert part["id"].is_unique
        assert part["objective_change"].is_monotonic_decreasing  # best for the goal first
    none = optimize_roster(_scenario(tmp_path, 400, 3, roster={"reserves_per_tier": 0})).reserves
    assert list(none.columns) == list(RESERVE_COLUMNS) and len(none) == 0


def test_reserves_repeat_exactly(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 200, 5, roster={"reserves_per_tier": 3})
    first = optimize_roster(scenario).reserves
    second = optimize_roster(scenario).reserves
    assert first.to_csv(index=False) == second.to_csv(index=False)


def test_with_unique_reach_in_the_goal_each_swap_reports_its_own_unique_reach_change(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, 60, 4, objective={"maximize": "unique_reach"},
                         targets={"reach": 60.0 * 60, "unique_reach": 30000}, roster={"max_per_overlap_group": 2})
    plan = optimize_roster(scenario)
    assert plan.status.has_plan and plan.feasible
    table = plan.roster.table
    audiences = roster_audiences(scenario, table)
    now = unique_reach_value(audiences, plan.solution.chosen)
    reserves = reserve_list(scenario, table, plan.solution.chosen, plan.solution.posts, per_creator=3)
    listed = reserves[reserves["rank"].notna()]
    assert len(listed) >= 5
    position = {v: k for k, v in enumerate(table["id"])}
    for row in listed.itertuples():
        after, counts = _swap(plan, position[row.for_id], position[row.id], int(row.posts))
        assert _keeps_every_rule(scenario, table, after, counts), (row.for_id, row.id)
        assert math.isclose(row.objective_change, unique_reach_value(audiences, after) - now, rel_tol=1e-9, abs_tol=1e-6)
    assert listed.loc[listed["rank"] == 1, "checked"].all()
