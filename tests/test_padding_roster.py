"""Padding in roster mode: chosen creators' spend that adds nothing to the goal and is there only
for a spend-share rule is named in the plan's notes, with the exact amount and what the rule costs.

The roster is small enough to check everything by enumeration: every creator makes 0 to 3 posts
(0: not chosen), reach counts once per chosen creator, extra posts add spend only."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

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


def _custom_scenario(tmp_path: Path, creators: list[tuple[str, int, int, int]], goal: str, rules: str,
                     extra: str = "", score: bool = False) -> mixopt.Scenario:
    """A roster scenario from (id, followers, fee per post, product cost) rows; ``score`` adds a
    column that only micro creators score (10 each)."""
    head = "id,platform,followers,fee_per_post,product_cost,handling_cost,engagement_rate,conversion_rate,reach_rate"
    rows = [head + (",score" if score else "")]
    rows += [f"{i},instagram,{f},{fee},{cost},0,0.05,0.02,0.3" + (f",{10 if i.startswith('m') else 0}" if score else "")
             for i, f, fee, cost in creators]
    (tmp_path / "creators.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        f"name: padding\ncurrency: USD\nbudget: {BUDGET}\nobjective: {goal}\nplatforms: [instagram]\n{extra}"
        f"rules:\n  tiers:\n{rules}roster:\n  file: creators.csv\n  max_posts_per_creator: 3\n  mip_gap: 0\n",
        encoding="utf-8")
    return mixopt.load_scenario(tmp_path / "s.yaml")


def _removable_together(s: mixopt.Scenario, table, posts: np.ndarray, pad, goal_of) -> bool:
    """True when some trim of exactly the named creators, by the reported posts (and creators) and
    spend, keeps the goal and every rule but the spend-share rules and breaks the rules named,
    by enumeration of every trim and the independent rule check."""
    ids = table["id"].astype(str).tolist()
    named = [ids.index(i) for i in pad.ids]
    fee = table["fee_per_post"].to_numpy(dtype=float)
    cost = table["product_cost"].to_numpy(dtype=float) + table["handling_cost"].to_numpy(dtype=float)
    base = s.roster.posts_per_creator
    goal = goal_of(posts)
    for levels in itertools.product(*(range(0, int(posts[i])) for i in named)):
        trial = posts.copy()
        trial[named] = levels
        dropped = sum(1 for v in levels if v == 0)
        extra = sum(int(posts[i]) - (v if v else base) for i, v in zip(named, levels))
        saved = sum(fee[i] * (posts[i] - v) + (cost[i] if v == 0 else 0.0) for i, v in zip(named, levels))
        if dropped != pad.dropped or extra != pad.posts or abs(saved - pad.spend) > 0.005:
            continue
        if goal_of(trial) < goal - 1e-9:
            continue
        broken = {c.rule for c in check_roster_choice(s, table, trial > 0, trial) if not c.holds}
        if broken and all("_spend_share_" in r for r in broken) and broken >= {c.rule for c in pad.rules}:
            return True
    return False


#: m1 ships a 200 USD kit, so m1..m3 are 3,200 of micro spend; n1 and n2 at 3 posts each make
#: 5,600 in all (57% micro), and any one of their posts fewer puts micro over 60%. The target of
#: 47,700 impressions leaves room for 3 of their 4 extra posts (1,500 impressions each), not 4.
JOINT_TARGET_CREATORS = [("m1", 50000, 1000, 200), ("m2", 48000, 1000, 0), ("m3", 46000, 1000, 0),
                         ("m4", 44000, 1000, 0), ("n1", 5000, 400, 0), ("n2", 5000, 400, 0), ("n3", 3000, 500, 0)]


def _joint_target_case(tmp_path: Path) -> tuple[mixopt.Scenario, Any, np.ndarray]:
    """The scenario, its creator table and the choice (posts per creator) of the joint-target case."""
    s = _custom_scenario(tmp_path, JOINT_TARGET_CREATORS, "{maximize: reach}", "    micro: {max_spend_share: 0.6}\n",
                         "targets: {impressions: 47700}\n")
    return s, mixopt.optimize(s, explain=False).roster.table, np.array([1, 1, 1, 0, 3, 3, 0])


def test_extra_posts_a_target_needs_jointly_are_not_all_called_padding(tmp_path: Path) -> None:
    creators = JOINT_TARGET_CREATORS
    s, table, posts = _joint_target_case(tmp_path)
    assert all(c.holds for c in check_roster_choice(s, table, posts > 0, posts))
    reach = {i: 0.3 * f for i, f, _, _ in creators}
    ids = table["id"].astype(str).tolist()

    def reach_of(p: np.ndarray) -> float:
        return sum(reach[i] for i, n in zip(ids, p) if n > 0)

    both = posts.copy()
    both[[ids.index("n1"), ids.index("n2")]] = 1
    broken = [c.rule for c in check_roster_choice(s, table, both > 0, both) if not c.holds]
    assert broken == ["target[impressions]", "tier_spend_share_max[micro]"]  # all four extra posts cannot go
    pads = find_roster_padding(s, table, posts > 0, posts)
    assert len(pads) == 1 and pads[0].ids == ("n1", "n2") and [c.rule for c in pads[0].rules] == [
        "tier_spend_share_max[micro]"]
    assert (pads[0].posts, pads[0].dropped, pads[0].spend) == (3, 0, 1200.0)
    assert _removable_together(s, table, posts, pads[0], reach_of)


def test_creators_a_creator_floor_needs_jointly_are_not_all_called_padding(tmp_path: Path) -> None:
    # only micro creators score; the three nano creators add nothing but keep micro under 60% of
    # spend (2,000 of 3,350). At least 2 nano creators are required, so only one of them may go.
    creators = [("m1", 50000, 1000, 0), ("m2", 48000, 1000, 0), ("m3", 46000, 1000, 0),
                ("n1", 5000, 400, 0), ("n2", 4000, 450, 0), ("n3", 3000, 500, 0)]
    s = _custom_scenario(tmp_path, creators, "{maximize: column, column: score}",
                         "    micro: {max_spend_share: 0.6}\n    nano: {min_creators: 2}\n", score=True)
    table = mixopt.optimize(s, explain=False).roster.table
    posts = np.array([1, 1, 0, 1, 1, 1])
    assert all(c.holds for c in check_roster_choice(s, table, posts > 0, posts))
    ids = table["id"].astype(str).tolist()

    def score_of(p: np.ndarray) -> float:
        return sum(10.0 for i, n in zip(ids, p) if n > 0 and i.startswith("m"))

    pads = find_roster_padding(s, table, posts > 0, posts)
    assert len(pads) == 1 and len(pads[0].ids) == 1 and pads[0].dropped == 1 and pads[0].posts == 0
    assert _removable_together(s, table, posts, pads[0], score_of)
    # no two nano creators can leave together: the floor breaks
    for a, b in itertools.combinations(["n1", "n2", "n3"], 2):
        trial = posts.copy()
        trial[[ids.index(a), ids.index(b)]] = 0
        assert "tier_creators_min[nano]" in {c.rule for c in check_roster_choice(s, table, trial > 0, trial)
                                             if not c.holds}


def test_the_search_on_the_chosen_creators_rows_equals_the_search_on_the_whole_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the search runs on the chosen (and must-include) rows when every rule sums over them; m4 and
    # n3 are not chosen here, so the shortcut is taken, and it must change nothing
    from mixopt.roster import padding

    s, table, posts = _joint_target_case(tmp_path)
    assert padding._rows_alone_decide(s)
    on_rows = find_roster_padding(s, table, posts > 0, posts)
    monkeypatch.setattr(padding, "_rows_alone_decide", lambda scenario: False)
    assert on_rows and find_roster_padding(s, table, posts > 0, posts) == on_rows
