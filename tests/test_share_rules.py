"""Share rules by name: a share of the budget (a fixed denominator) or of the plan's actual spend."""

from __future__ import annotations

import mixopt
from tests.conftest import SCENARIOS


def _load(write_scenario, text: str, name: str = "scenario.yaml") -> mixopt.Scenario:
    base = (SCENARIOS / "awareness_launch.yaml").resolve()
    return mixopt.load_scenario(write_scenario(f"extends: {base}\n" + text, name=name))


def _micro_spend(plan) -> float:
    return float(plan.allocation.loc[plan.allocation["tier"] == "micro", "spend"].sum())


def test_a_budget_share_caps_a_tier_against_the_budget_not_the_spend(write_scenario) -> None:
    s = _load(write_scenario, "rules:\n  tiers:\n    micro: {max_spend_share: null, max_budget_share: 0.3}\n")
    plan = mixopt.optimize(s, explain=False)
    assert plan.status.has_plan and plan.feasible
    assert _micro_spend(plan) <= 0.3 * s.budget + 0.005
    check = next(c for c in plan.checks if c.rule == "tier_budget_share_max[micro]")
    assert check.label == "micro at most 30% of the budget" and check.limit == 0.3 * s.budget
    assert not any(c.rule == "tier_spend_share_max[micro]" for c in plan.checks)


def test_a_spend_share_can_reward_padding_and_a_budget_share_cannot(write_scenario) -> None:
    """Under 'micro at most 60% of spend' the optimum buys nano posts that add no reach (repeat posts
    reach no new people); under 'at most 60% of the budget' it buys none."""
    spend_share = mixopt.optimize(_load(write_scenario, ""), explain=False)
    budget_share = mixopt.optimize(_load(write_scenario, "rules:\n  tiers:\n    micro: {max_spend_share: null, "
                                                         "max_budget_share: 0.6}\n", name="b.yaml"), explain=False)
    def extra_posts(plan) -> int:
        return int((plan.allocation["posts"] - plan.allocation["creators"]).sum())
    assert extra_posts(spend_share) > 0  # posts beyond one per creator add no reach
    assert extra_posts(budget_share) == 0
    assert budget_share.objective_value >= spend_share.objective_value
