"""The hand-solvable scenario's optimum, worked out from first principles, not by the solver."""

from __future__ import annotations

import itertools

import mixopt
from tests.conftest import SCENARIOS

HAND = SCENARIOS / "hand_solvable.yaml"

# The numbers stated in scenarios/hand_solvable.yaml, restated here on purpose:
NANO_REACH, NANO_COST, NANO_ACCEPTING = 2000 * 0.5, 100.0, 10  # pool 10 x 100% acceptance
MICRO_REACH, MICRO_COST, MICRO_ACCEPTING = 20000 * 0.25, 400.0, 4  # pool 8 x 50% acceptance
BUDGET, TEAM = 2000.0, 6


def _best_by_enumeration(budget: float, team: int, micro_accepting: int) -> tuple[float, int, int]:
    best = (-1.0, 0, 0)
    for nano, micro in itertools.product(range(NANO_ACCEPTING + 1), range(micro_accepting + 1)):
        if nano + micro <= team and nano * NANO_COST + micro * MICRO_COST <= budget:
            best = max(best, (nano * NANO_REACH + micro * MICRO_REACH, nano, micro))
    return best


def test_hand_solvable_optimum_matches_the_reasoning_in_its_header() -> None:
    # Micro buys 12.5 reach per USD, nano 10: take all 4 accepting micro creators (1,600 USD,
    # 20,000 reach). The team has room for 2 more; 2 nano cost 200 USD and add 2,000 reach.
    expected_reach = 4 * MICRO_REACH + 2 * NANO_REACH
    assert expected_reach == 22_000
    assert _best_by_enumeration(BUDGET, TEAM, MICRO_ACCEPTING) == (22_000, 2, 4)

    plan = mixopt.optimize(HAND, explain=False)
    assert plan.status is mixopt.SolveStatus.OPTIMAL
    creators, posts = plan.creators_and_posts()
    assert creators == {"nano.instagram": 2, "micro.instagram": 4}
    assert posts == creators  # one post each (max_posts 1)
    assert plan.objective_value == expected_reach
    assert plan.totals["spend"] == 2 * NANO_COST + 4 * MICRO_COST == 1800
    assert plan.totals["invites"] == 2 + 8  # ceil(2 / 1.0) + ceil(4 / 0.5)


def test_hand_solvable_marginal_values_match_re_solving_by_hand() -> None:
    plan = mixopt.optimize(HAND)
    change = {m.rule: m.change for m in plan.marginals}
    # +1,000 USD: the team cap still allows 6 creators and 4 micro are all there are -> no change.
    assert change["budget"] == _best_by_enumeration(BUDGET + 1000, TEAM, 4)[0] - 22_000 == 0
    # +1 team slot: one more nano (100 USD) -> +1,000 reach.
    assert change["team_capacity"] == _best_by_enumeration(BUDGET, TEAM + 1, 4)[0] - 22_000 == 1_000
    # one more accepting micro creator: 5 micro (2,000 USD) beat 4 micro + 2 nano -> +3,000 reach.
    assert change["pool[micro.instagram]"] == _best_by_enumeration(BUDGET, TEAM, 5)[0] - 22_000 == 3_000


def test_hand_solvable_gives_the_same_plan_with_cbc() -> None:
    highs = mixopt.optimize(HAND, explain=False)
    cbc = mixopt.optimize(HAND, mixopt.SolverOptions(solver="cbc"), explain=False)
    assert cbc.creators_and_posts() == highs.creators_and_posts()
