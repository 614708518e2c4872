"""Tier scenarios with no plan diagnosed on the rules that really bind: ROI and profit targets,
CPA / CPE / CPM limits, budget shares and team capacity, each named and relaxed exactly."""

from __future__ import annotations

import mixopt
from mixopt.analysis.diagnose import apply_overrides, diagnose
from mixopt.scenario.fields import with_field
from mixopt.scenario.schema import Objective
from tests.conftest import SCENARIOS


def _load(write_scenario, base: str, text: str) -> mixopt.Scenario:
    path = (SCENARIOS / base).resolve()
    return mixopt.load_scenario(write_scenario(f"extends: {path}\n" + text))


def _has_plan(scenario: mixopt.Scenario) -> bool:
    return mixopt.optimize(scenario, explain=False).status.has_plan


def test_an_impossible_roi_target_is_diagnosed_as_the_roi_target_not_reach(write_scenario) -> None:
    s = _load(write_scenario, "base.yaml", "targets: {roi: 5, reach: 100000}\n")
    assert not _has_plan(s)
    d = diagnose(s)
    reach_line = next(x for x in d.findings if x.startswith("the 100,000 reach target"))
    assert "ROI at least 5" in reach_line and "binds first" in reach_line and "40,000 USD" not in reach_line
    assert any(x.startswith("the ROI target of 5 cannot be met together with the other rules") for x in d.findings)
    assert list(d.overrides) == ["targets.roi"]
    best = d.overrides["targets.roi"]
    assert _has_plan(with_field(s, "targets.roi", best))  # the change works ...
    assert not _has_plan(with_field(s, "targets.roi", round(best + 0.01, 2)))  # ... and is the tightest to 0.01
    assert d.relaxed_objective is not None


def test_team_capacity_is_named_when_it_binds_before_the_budget(write_scenario) -> None:
    s = _load(write_scenario, "base.yaml", "targets: {reach: 400000}\nrules: {max_creators: 20}\n")
    d = diagnose(s)
    first = d.findings[0]
    assert first.startswith("the 400,000 reach target cannot be met: team capacity (20 creators) binds first, "
                            "not the budget")
    assert not _has_plan(s.model_copy(update={"budget": None}))  # no budget alone would do
    team = d.overrides["rules.max_creators"]
    assert list(d.overrides) == ["rules.max_creators"]
    assert _has_plan(apply_overrides(s, d.overrides))
    assert not _has_plan(with_field(s, "rules.max_creators", team - 1))  # the least team capacity
    assert f"the targets need a team capacity of {team} creators (now 20)" in d.findings


def test_a_budget_the_targets_need_is_still_named_as_the_budget(write_scenario) -> None:
    s = _load(write_scenario, "base.yaml", "budget: 12000\ntargets: {reach: 250000}\n")
    d = diagnose(s)
    assert d.findings[0].startswith("the 250,000 reach target cannot be met with 12,000 USD")
    assert list(d.overrides) == ["budget"]


def test_an_impossible_cpa_limit_is_raised_to_the_lowest_cpa_the_rules_allow(write_scenario) -> None:
    s = _load(write_scenario, "awareness_launch.yaml", "limits: {cpa: 1}\n")
    d = diagnose(s)
    assert any(x.startswith("the CPA limit of 1.00 USD cannot be met") for x in d.findings)
    cpa = d.overrides["limits.cpa"]
    assert _has_plan(with_field(s, "limits.cpa", cpa))
    assert not _has_plan(with_field(s, "limits.cpa", round(cpa - 0.01, 2)))


def test_an_impossible_profit_target_is_lowered_to_the_most_profit(write_scenario) -> None:
    s = _load(write_scenario, "awareness_launch.yaml", "targets: {profit: 1000000}\n")
    d = diagnose(s)
    line = next(x for x in d.findings if x.startswith("the profit target of 1,000,000 USD cannot be met"))
    freed = s.model_copy(update={"targets": s.targets.model_copy(update={"profit": None}),
                                 "objective": Objective(maximize="profit")})
    most = mixopt.optimize(freed, explain=False).objective_value
    assert f"the most profit the rules allow is {most:,.0f} USD" in line
    assert _has_plan(apply_overrides(s, d.overrides))


def test_a_budget_share_no_plan_can_meet_is_bent_as_a_share_of_the_budget(write_scenario) -> None:
    s = _load(write_scenario, "base.yaml", "rules:\n  tiers:\n    pico: {min_budget_share: 0.9}\n")
    d = diagnose(s)
    assert list(d.overrides) == ["rules.tiers.pico.min_budget_share"]
    share = d.overrides["rules.tiers.pico.min_budget_share"]
    assert 0 < share < 0.9 and any("pico at least 90% of the budget: change it to" in x for x in d.findings)
    assert _has_plan(apply_overrides(s, d.overrides))
