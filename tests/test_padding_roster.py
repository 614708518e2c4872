"""Padding in roster mode: chosen creators' spend that adds nothing to the goal and is there only
for a spend-share rule is named in the plan's notes, with the exact amount and what the rule costs.

The roster is small enough to check everything by enumeration: every creator makes 0 to 3 posts
(0: not chosen), reach counts once per chosen creator, extra posts add spend only."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

import mixopt
from mixopt.roster.check import check_roster_choice
from mixopt.roster.padding import find_roster_padding

#: id, followers, fee per post; reach is 0.3 x followers. Tier by followers: m* micro, n* nano.
CREATORS = [("m1", 50000, 1000), ("m2", 48000, 1000), ("m3", 46000, 1000), ("m4", 44000, 1000),
            ("m5", 42000, 1000), ("n1", 5000, 400), ("n2", 4000, 450), ("n3", 3000, 500)]
BUDGET = 8000


def _scenario(tmp_path: Path, rules: str, goal: str = "reach") -> mixopt.Scenario:
    rows = ["id,platform,followers,fee_per_post,product_cost,handling_cost,engagement_rate,conversion_rate,reach_rate"]
    rows += [f"{i},instagram,{f},{fee},0,0,0.05,0.02,0.3" for i, f, fee in CREATORS]
    (tmp_path / "creators.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        f"name: padding\ncurrency: USD\nbudget: {BUDGET}\nobjective: {{maximize: {goal}}}\nplatforms: [instagram]\n"
        f"rules:\n  tiers:\n    micro: {rules}\nroster:\n  file: creators.csv\n  max_posts_per_creator: 3\n"
        "  mip_gap: 0\n", encoding="utf-8")
    return mixopt.load_scenario(tmp_path / "s.yaml")


def _enumerate() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every posts vector with its reach, spend and micro spend (integers: whole dollars)."""
    posts = np.array(list(itertools.product(range(4), repeat=len(CREATORS))), dtype=np.int64)
    fee = np.array([c[2] for c in CREATORS])
    reach = np.array([0.3 * c[1] for c in CREATORS])
    micro = np.array([c[0].startswith("m") for c in CREATORS])
    spend = posts @ fee
    return posts, (posts > 0) @ reach, spend, posts[:, micro] @ fee[micro]


def _best(share_rule: bool) -> float:
    _, reach, spend, micro = _enumerate()
    ok = spend <= BUDGET
    if share_rule:
        ok &= 10 * micro <= 6 * spend  # micro at most 60% of spend, exactly
    return float(reach[ok].max())


def _padding_notes(plan) -> list[str]:
    return [n for n in plan.notes if " add no " in n]


def test_a_roster_plan_names_the_creators_whose_extra_posts_only_keep_micro_under_its_share(tmp_path: Path) -> None:
    s = _scenario(tmp_path, "{max_spend_share: 0.6}")
    plan = mixopt.optimize(s)
    assert plan.status.has_plan and plan.feasible
    assert plan.objective_value == pytest.approx(_best(True), abs=1e-6)
    notes = _padding_notes(plan)
    assert len(notes) == 1, plan.notes
    found = re.match(r"([\d,]+) USD of (\d+) extra posts? by (\d+) creators? \(([\w, ]+)\) add no reach; they keep "
                     r"micro under 60% of spend; the rule costs ([\d,]+) reach \(re-solved without it\)\.$", notes[0])
    assert found, notes[0]
    amount, extra, named = float(found[1].replace(",", "")), int(found[2]), found[4].split(", ")
    assert int(found[3]) == len(named)
    # independently: the plan without those creators' extra posts reaches as many people, costs
    # exactly that much less, and breaks the share rule and nothing else
    selected = plan.selected.set_index("id")
    posts = {i: int(selected.loc[i, "posts"]) if i in selected.index else 0 for i, _, _ in CREATORS}
    lean = {i: (1 if i in named else p) for i, p in posts.items()}
    fee = {i: f for i, _, f in CREATORS}
    assert sum(posts.values()) - sum(lean.values()) == extra
    assert sum(fee[i] * (posts[i] - lean[i]) for i in posts) == amount
    micro = sum(fee[i] * lean[i] for i in lean if i.startswith("m"))
    assert 10 * micro > 6 * sum(fee[i] * lean[i] for i in lean)
    table = plan.roster.table
    vector = np.array([lean[str(i)] for i in table["id"]])
    broken = [c.rule for c in check_roster_choice(s, table, vector > 0, vector) if not c.holds]
    assert broken == ["tier_spend_share_max[micro]"]
    # every named post is needed: any one of them fewer breaks the rule
    for i in named:
        fewer = {**posts, i: posts[i] - 1}
        assert 10 * sum(fee[k] * fewer[k] for k in fewer if k.startswith("m")) > 6 * sum(
            fee[k] * fewer[k] for k in fewer)
    # what the rule costs: the best reach without it minus the best with it, by enumeration
    cost = _best(False) - _best(True)
    assert cost > 0 and f"the rule costs {cost:,.0f} reach" in notes[0]


def test_a_budget_share_roster_plan_has_no_padding_line(tmp_path: Path) -> None:
    plan = mixopt.optimize(_scenario(tmp_path, "{max_budget_share: 0.6}"))
    assert plan.status.has_plan and plan.feasible
    assert _padding_notes(plan) == []
    assert find_roster_padding(plan.scenario, plan.roster.table, plan.solution.chosen, plan.solution.posts) == ()


def test_extra_posts_that_add_conversions_are_not_padding(tmp_path: Path) -> None:
    plan = mixopt.optimize(_scenario(tmp_path, "{max_spend_share: 0.6}", goal="conversions"), explain=False)
    assert plan.status.has_plan and plan.feasible
    assert _padding_notes(plan) == []


def test_roster_padding_is_reported_without_its_cost_when_marginal_values_are_skipped(tmp_path: Path) -> None:
    plan = mixopt.optimize(_scenario(tmp_path, "{max_spend_share: 0.6}"), explain=False)
    notes = _padding_notes(plan)
    assert len(notes) == 1 and notes[0].endswith("they keep micro under 60% of spend.")


def test_creators_that_add_nothing_to_the_goal_are_named_when_only_a_spend_share_rule_needs_them(
        tmp_path: Path) -> None:
    # maximise a column that only micro creators score (10 each): nano creators add nothing, yet
    # micro at most 60% of spend needs their spend; posts fixed at one per creator
    rows = ["id,platform,followers,fee_per_post,product_cost,handling_cost,engagement_rate,conversion_rate,"
            "reach_rate,score"]
    rows += [f"{i},instagram,{f},{fee},0,0,0.05,0.02,0.3,{10 if i.startswith('m') else 0}" for i, f, fee in CREATORS]
    (tmp_path / "creators.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        f"name: padding\ncurrency: USD\nbudget: {BUDGET}\nobjective: {{maximize: column, column: score}}\n"
        "platforms: [instagram]\nrules:\n  tiers:\n    micro: {max_spend_share: 0.6}\n"
        "roster:\n  file: creators.csv\n  mip_gap: 0\n", encoding="utf-8")
    s = mixopt.load_scenario(tmp_path / "s.yaml")
    plan = mixopt.optimize(s)
    notes = _padding_notes(plan)
    assert len(notes) == 1, plan.notes
    found = re.match(r"([\d,]+) USD of (\d+) creators? \(([\w, ]+)\) add no score; they keep micro under 60% of "
                     r"spend; the rule costs ([\d,]+) score \(re-solved without it\)\.$", notes[0])
    assert found, notes[0]
    named = found[3].split(", ")
    assert int(found[2]) == len(named) and all(i.startswith("n") for i in named)
    fee = {i: f for i, _, f in CREATORS}
    assert float(found[1].replace(",", "")) == sum(fee[i] for i in named)
    # brute force over every choice of creators: the best score with and without the rule
    ids = [c[0] for c in CREATORS]

    def best(rule: bool) -> int:
        top = 0
        for pick in itertools.product((0, 1), repeat=len(ids)):
            spend = sum(fee[i] for i, p in zip(ids, pick) if p)
            micro = sum(fee[i] for i, p in zip(ids, pick) if p and i.startswith("m"))
            if spend <= BUDGET and (not rule or 10 * micro <= 6 * spend):
                top = max(top, 10 * sum(p for i, p in zip(ids, pick) if i.startswith("m")))
        return top

    assert plan.objective_value == best(True)
    # without the named creators the score is the same and only the share rule breaks
    chosen = plan.roster.table["id"].isin(set(plan.selected["id"]) - set(named)).to_numpy()
    lean = check_roster_choice(s, plan.roster.table, chosen, chosen.astype(int))
    assert [c.rule for c in lean if not c.holds] == ["tier_spend_share_max[micro]"]
    assert f"the rule costs {best(False) - best(True):,} score" in notes[0]
