"""Padding: spend that adds nothing to the goal and is there only for a spend-share rule is named
in the plan's notes, with the exact amount and what the rule costs."""

from __future__ import annotations

import re

import mixopt
from mixopt.scenario.outcomes import evaluate_mix, totals_of
from mixopt.tier.check import check_mix
from tests.conftest import SCENARIOS


def _load(write_scenario, text: str, name: str = "scenario.yaml") -> mixopt.Scenario:
    base = (SCENARIOS / "awareness_launch.yaml").resolve()
    return mixopt.load_scenario(write_scenario(f"extends: {base}\n" + text, name=name))


def _padding_notes(plan) -> list[str]:
    return [n for n in plan.notes if " add no " in n]


def test_the_awareness_plan_names_its_padding_with_the_exact_amount_and_the_rule_it_keeps(write_scenario) -> None:
    scenario = _load(write_scenario, "")
    plan = mixopt.optimize(scenario)
    notes = _padding_notes(plan)
    assert len(notes) == 1, plan.notes
    found = re.match(r"([\d,]+) USD of (\w+\.\w+) posts \((\d+) posts\) add no reach; they keep micro under 60% of "
                     r"spend; the rule costs ([\d,]+) reach \(re-solved without it\)\.$", notes[0])
    assert found, notes[0]
    amount, key, extra = float(found[1].replace(",", "")), found[2], int(found[3])
    # independently: the plan without those posts reaches as many people and costs exactly that much less
    creators, posts = plan.creators_and_posts()
    lean = evaluate_mix(plan.cells, creators, {**posts, key: posts[key] - extra}, scenario.economics)
    lean_totals = totals_of(lean, scenario.economics)
    assert abs(lean_totals["reach"] - plan.totals["reach"]) < 1e-6
    assert abs((plan.totals["spend"] - lean_totals["spend"]) - amount) < 0.5
    assert lean_totals["conversions"] >= scenario.targets.conversions
    broken = [c.rule for c in check_mix(scenario, plan.cells, lean) if not c.holds]
    assert broken == ["tier_spend_share_max[micro]"]
    # exact, not a bound: one post fewer still would break a rule other than the share or lose reach
    leaner = evaluate_mix(plan.cells, creators, {**posts, key: posts[key] - extra - 1}, scenario.economics)
    assert posts[key] - extra - 1 < creators[key] or totals_of(leaner, scenario.economics)["reach"] < plan.totals["reach"]
    # what the rule costs: the optimum without it, re-solved independently
    freer = _load(write_scenario, "rules:\n  tiers:\n    micro: {max_spend_share: null}\n", name="free.yaml")
    gain = mixopt.optimize(freer, explain=False).objective_value - plan.objective_value
    assert f"the rule costs {gain:,.0f} reach" in notes[0] and gain > 0


def test_a_budget_share_plan_has_no_padding_line(write_scenario) -> None:
    scenario = _load(write_scenario, "rules:\n  tiers:\n    micro: {max_spend_share: null, max_budget_share: 0.6}\n")
    plan = mixopt.optimize(scenario)
    assert plan.status.has_plan and plan.feasible
    assert _padding_notes(plan) == []
    assert mixopt.tier.plan.find_padding(plan) == ()


def test_padding_is_reported_without_its_cost_when_marginal_values_are_skipped(write_scenario) -> None:
    plan = mixopt.optimize(_load(write_scenario, ""), explain=False)
    notes = _padding_notes(plan)
    assert len(notes) == 1 and notes[0].endswith("they keep micro under 60% of spend.")


def test_posts_a_target_needs_across_two_cells_are_not_all_called_padding(write_scenario) -> None:
    # a hand mix where micro (27 TikTok and 5 YouTube creators) stays under 60% of spend only with
    # the extra nano posts on Instagram and TikTok; the impressions target sits between one cell's
    # extra posts gone and both cells' extra posts gone, so the two cells cannot both drop theirs
    from mixopt.scenario.cells import resolve_cells
    from mixopt.tier.plan import evaluate_plan, find_padding

    creators = {"nano.instagram": 18, "nano.tiktok": 19, "micro.tiktok": 27, "micro.youtube": 5}
    posts = {"nano.instagram": 54, "nano.tiktok": 57, "micro.tiktok": 27, "micro.youtube": 5}
    scenario = _load(write_scenario, "targets: {impressions: 366150}\n")
    cells = resolve_cells(scenario)
    creators = {c.key: creators.get(c.key, 0) for c in cells}
    posts = {c.key: posts.get(c.key, 0) for c in cells}
    plan = evaluate_plan(scenario, cells, creators, posts)
    assert plan.feasible
    extra = {key: posts[key] - creators[key] for key in ("nano.instagram", "nano.tiktok")}
    gone = evaluate_mix(cells, creators, {**posts, **{k: posts[k] - e for k, e in extra.items()}}, scenario.economics)
    broken = [c.rule for c in check_mix(scenario, cells, gone) if not c.holds]
    assert broken == ["target[impressions]", "tier_spend_share_max[micro]"]  # not every extra post can go
    pads = find_padding(plan)
    assert [p.cell for p in pads] == ["nano.instagram", "nano.tiktok"]
    assert all(p.creators == 0 and [c.rule for c in p.rules] == ["tier_spend_share_max[micro]"] for p in pads)
    # independently: all the reported posts, removed together, keep the reach and every rule but
    # the share rule, which they break, and save exactly the reported amounts
    lean_posts = {**posts, **{p.cell: posts[p.cell] - p.posts for p in pads}}
    lean = evaluate_mix(cells, creators, lean_posts, scenario.economics)
    lean_totals = totals_of(lean, scenario.economics)
    assert abs(lean_totals["reach"] - plan.totals["reach"]) < 1e-6
    assert abs((plan.totals["spend"] - lean_totals["spend"]) - sum(p.spend for p in pads)) < 0.5
    assert [c.rule for c in check_mix(scenario, cells, lean) if not c.holds] == ["tier_spend_share_max[micro]"]
    # exact, not a bound: one post fewer in the last cell breaks the target
    last = pads[-1].cell
    fewer = evaluate_mix(cells, creators, {**lean_posts, last: lean_posts[last] - 1}, scenario.economics)
    assert totals_of(fewer, scenario.economics)["impressions"] < scenario.targets.impressions
