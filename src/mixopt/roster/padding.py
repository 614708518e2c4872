"""Padding in a roster plan: chosen spend that adds nothing to the goal and is there only for a
spend-share rule, named creator by creator.

In roster mode the spend that can add nothing is a creator's posts above ``posts_per_creator``
(extra posts add impressions and conversions, never reach) or a whole chosen creator whose
contribution is nothing (a column goal of 0, an overlap group already at its audience). The
search is exact, like tier mode's: every candidate choice is evaluated on the creator table and
checked by the independent rule check.

1. Tidy: spend that adds nothing and that no rule needs (the solve has no tie-break stage, so a
   plan may carry some) is taken out first, most expensive post first, keeping every rule.
2. For each chosen creator left, in roster order, the fewest posts (then not choosing it) that keep
   the goal and every rule but the spend-share rules, on top of the trims of the creators before
   it (a target or a creator floor with room for one creator's trim may have none for two). When
   that trim on its own breaks a spend-share rule (and nothing else), it is padding, kept only for
   the rules it breaks.
3. Before anything is reported the independent check confirms it: all the trims together keep
   the goal and every rule but the spend-share rules, and each set of creators named for some
   rules, removed together, breaks every one of those rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixopt.contract import RuleCheck, keeps_text
from mixopt.roster.check import check_roster_choice
from mixopt.roster.model import Audiences, roster_audiences, unique_reach_value
from mixopt.scenario.schema import Scenario

__all__ = ["RosterPadding", "find_roster_padding", "roster_padding_text", "goal_of_choice", "goal_terms",
           "is_spend_share"]

#: Creators named in one padding note before "and N more".
NAMED = 5


@dataclass(frozen=True)
class RosterPadding:
    """Spend by chosen creators that adds nothing to the goal and only keeps ``rules``."""

    rules: tuple[RuleCheck, ...]  # the spend-share rules the plan without it breaks
    ids: tuple[str, ...]  # the creators whose spend it is, in roster order
    posts: int  # extra posts beyond what the goal needs
    dropped: int  # of ``ids``, creators the goal does not need at all
    spend: float  # exact amount, in the scenario's currency


def is_spend_share(rule: str) -> bool:
    """True for a share-of-spend rule (``tier_spend_share_max[micro]``), whose limit moves with spend."""
    return "_spend_share_min[" in rule or "_spend_share_max[" in rule


def goal_of_choice(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray, posts: np.ndarray,
                   audiences: Audiences | None = None) -> float:
    """The goal of a choice recomputed from the creator table (not from the solver): the KPI,
    revenue, profit, value or column of the chosen creators at their posts (``audiences``: the
    table's overlap-group audiences, computed once by a caller that evaluates many choices)."""
    s = scenario
    goal = s.objective.maximize
    chosen = np.asarray(chosen, dtype=bool)
    p = np.asarray(posts, dtype=float)[chosen]

    def column(name: str) -> np.ndarray:  # NaN counts as 0, as in a pandas sum
        return np.nan_to_num(table[name].to_numpy(dtype=float)[chosen])

    eco = s.economics
    aov = eco.average_order_value or 0.0
    spend = float((column("fee_per_post") * p + column("product_cost") + column("handling_cost")).sum())
    conversions = float((column("conversions_per_post") * p).sum())
    figures = {"reach": float(column("reach").sum()), "conversions": conversions,
               **{k: float((column(f"{k}_per_post") * p).sum()) for k in ("impressions", "engagements")}}
    figures["revenue"] = aov * conversions
    figures["profit"] = (aov * eco.margin_rate - eco.commission_per_conversion) * conversions - spend
    if _uses_unique_reach(s):
        figures["unique_reach"] = unique_reach_value(audiences or roster_audiences(s, table), chosen)
    if goal == "value":
        return float(sum(w * figures[k] for k, w in (s.objective.value_per_unit or {}).items()))
    if goal == "column":
        assert s.objective.column
        return float(column(s.objective.column).sum())
    return figures[str(goal)]


def _uses_unique_reach(s: Scenario) -> bool:
    return s.objective.maximize == "unique_reach" or (s.objective.maximize == "value"
                                                      and "unique_reach" in (s.objective.value_per_unit or {}))


def goal_terms(scenario: Scenario, table: pd.DataFrame, posts: np.ndarray) -> np.ndarray | None:
    """Per creator, what it brings to the goal at ``posts`` (0 posts: not chosen, nothing), when the
    goal is a sum over creators; None for a unique-reach goal (an overlap group's creators share
    one audience)."""
    s = scenario
    if _uses_unique_reach(s):
        return None
    p = np.asarray(posts, dtype=float)
    on = p > 0

    def column(name: str) -> np.ndarray:
        return np.where(on, np.nan_to_num(table[name].to_numpy(dtype=float)), 0.0)

    eco = s.economics
    aov = eco.average_order_value or 0.0
    conversions = column("conversions_per_post") * p
    figures = {"reach": column("reach"), "conversions": conversions,
               **{k: column(f"{k}_per_post") * p for k in ("impressions", "engagements")}}
    figures["revenue"] = aov * conversions
    figures["profit"] = ((aov * eco.margin_rate - eco.commission_per_conversion) * conversions
                         - (column("fee_per_post") * p + column("product_cost") + column("handling_cost")))
    goal = s.objective.maximize
    if goal == "value":
        return sum((w * figures[k] for k, w in (s.objective.value_per_unit or {}).items()), np.zeros(len(p)))
    if goal == "column":
        assert s.objective.column
        return column(s.objective.column)
    return figures[str(goal)]


class _Choice:
    """The plan's choice as it is trimmed: posts per creator (0 = not chosen)."""

    def __init__(self, scenario: Scenario, table: pd.DataFrame, posts: np.ndarray) -> None:
        self.s, self.table = scenario, table
        self.posts = np.asarray(posts, dtype=np.int64).copy()
        self.audiences = roster_audiences(scenario, table) if _uses_unique_reach(scenario) else None
        self.goal = self.goal_at(self.posts)

    def goal_at(self, posts: np.ndarray) -> float:
        return goal_of_choice(self.s, self.table, posts > 0, posts, self.audiences)

    def checks_at(self, posts: np.ndarray) -> list[RuleCheck]:
        return check_roster_choice(self.s, self.table, posts > 0, posts)

    def keeps(self, i: int, level: int, *, shares: bool) -> bool:
        """True when creator ``i`` at ``level`` posts keeps the goal and every rule (with
        ``shares=False``, every rule but the spend-share rules)."""
        trial = self.posts.copy()
        trial[i] = level
        if self.goal_at(trial) < self.goal - 1e-9 * max(1.0, abs(self.goal)):
            return False
        return all(c.holds or (not shares and is_spend_share(c.rule)) for c in self.checks_at(trial))

    def fewest(self, i: int, base: int, *, shares: bool) -> int:
        """The fewest posts (0: not chosen) creator ``i`` can make under :meth:`keeps`: a binary
        search down to ``base`` posts (fewer posts only ever lower the goal and the spend, so the
        levels that keep the rules are a range ending at the creator's own), then not choosing it."""
        low, high = base, int(self.posts[i])
        while low < high:
            mid = (low + high) // 2
            if self.keeps(i, mid, shares=shares):
                high = mid
            else:
                low = mid + 1
        if high == base and self.keeps(i, 0, shares=shares):
            return 0
        return high


def _only_shares_break(choice: _Choice, posts: np.ndarray, rules: tuple[str, ...] = ()) -> bool:
    """True when ``posts`` keep the choice's goal and every rule but the spend-share rules, and break
    a spend-share rule (every one of ``rules`` when given), by the independent rule check."""
    if choice.goal_at(posts) < choice.goal - 1e-9 * max(1.0, abs(choice.goal)):
        return False
    broken = {c.rule for c in choice.checks_at(posts) if not c.holds}
    return bool(broken) and all(is_spend_share(r) for r in broken) and broken.issuperset(rules)


def _rows_alone_decide(s: Scenario) -> bool:
    """True when the goal and every rule of ``s`` are sums over the chosen creators' own rows.
    Not so for unique reach (an overlap group's audience averages all its creators in the table)
    nor for resource caps and floors (whether a column is whole-valued is read on the whole table)."""
    assert s.roster is not None
    uses_unique = (s.objective.maximize == "unique_reach" or bool(s.targets.unique_reach)
                   or "unique_reach" in (s.objective.value_per_unit or {}))
    return not uses_unique and not s.roster.resource_caps and not s.roster.resource_floors


def find_roster_padding(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray | None,
                        posts: np.ndarray | None) -> tuple[RosterPadding, ...]:
    """Padding of a roster choice, one entry per set of spend-share rules it keeps (see the module)."""
    s = scenario
    assert s.roster is not None
    if chosen is None or posts is None or s.objective.minimize == "spend":
        return ()
    bands = [*s.rules.tiers.values(), *s.rules.platforms.values()]
    if not any(b.min_spend_share is not None or b.max_spend_share is not None for b in bands):
        return ()  # padding is spend that only keeps a spend-share rule
    forced = table["must_include"].to_numpy(dtype=bool)
    keep = np.asarray(chosen, dtype=bool) | forced
    if _rows_alone_decide(s) and keep.sum() < len(table):
        # every figure and rule the search reads sums over the chosen (and must-include) creators
        # only, so it runs on those rows: the same answer, without a million-row table per trial
        rows = np.nonzero(keep)[0]
        return find_roster_padding(s, table.iloc[rows].reset_index(drop=True), np.asarray(chosen)[rows],
                                   np.asarray(posts)[rows])
    choice = _Choice(s, table, np.where(chosen, posts, 0))
    if not all(c.holds for c in choice.checks_at(choice.posts)):
        return ()
    base = s.roster.posts_per_creator
    fee = table["fee_per_post"].to_numpy(dtype=float)
    # candidates: creators with posts the goal may not need, or whose whole contribution may be nothing
    lower = np.where(choice.posts > base, base, np.where(forced, choice.posts, 0))
    tolerance = 1e-9 * max(1.0, abs(choice.goal))
    now_terms, lower_terms = goal_terms(s, table, choice.posts), goal_terms(s, table, lower)
    if now_terms is not None and lower_terms is not None:  # a sum over creators: one creator's change at a time
        keeps_goal = lower_terms - now_terms >= -tolerance
        candidates = np.nonzero((choice.posts > 0) & (lower != choice.posts) & keeps_goal)[0].tolist()
    else:
        candidates = []
        for i in np.nonzero((choice.posts > 0) & (lower != choice.posts))[0].tolist():
            trial = choice.posts.copy()
            trial[i] = lower[i]
            if choice.goal_at(trial) >= choice.goal - tolerance:
                candidates.append(i)
    if not candidates:
        return ()
    candidates.sort(key=lambda i: (-fee[i], i))  # the most expensive posts leave first
    for i in candidates:  # 1. tidy: what no rule needs
        choice.posts[i] = choice.fewest(i, base, shares=True) if not forced[i] else max(
            choice.fewest(i, base, shares=True), base)
    spend_at = (lambda p: fee * p + np.where(p > 0, table["product_cost"].to_numpy(dtype=float)
                                              + table["handling_cost"].to_numpy(dtype=float), 0.0))
    tidied = choice.posts.copy()
    found: dict[tuple[str, ...], list[tuple[int, int, bool, float, tuple[RuleCheck, ...]]]] = {}
    for i in sorted(candidates):  # 2. what only a spend-share rule needs, trimmed on top of the trims before
        now = int(tidied[i])
        if now == 0:
            continue
        level = choice.fewest(i, base, shares=False)  # choice.posts holds the earlier creators' trims
        if forced[i]:
            level = max(level, base)
        if level >= now:
            continue
        alone = tidied.copy()
        alone[i] = level
        broken = tuple(c for c in choice.checks_at(alone) if not c.holds)
        if not broken or not all(is_spend_share(c.rule) for c in broken):
            continue  # on its own the trim is a tie (or breaks another rule): not padding
        choice.posts[i] = level
        saved = float(spend_at(tidied)[i] - spend_at(alone)[i])
        key = tuple(c.rule for c in broken)
        found.setdefault(key, []).append((i, now - level if level else now - base, level == 0, saved,
                                          broken))
    if not found or not _only_shares_break(choice, choice.posts):
        return ()  # the trims together must keep the goal and every other rule
    for key, items in found.items():  # each set, removed together, breaks the rules it is named for
        together = tidied.copy()
        together[[i for i, *_ in items]] = choice.posts[[i for i, *_ in items]]
        if not _only_shares_break(choice, together, key):
            return ()
    ids = table["id"].astype(str).to_numpy()
    out = []
    for key in sorted(found):
        items = found[key]
        out.append(RosterPadding(rules=items[0][4], ids=tuple(ids[i] for i, *_ in items),
                                 posts=sum(p for _, p, _, _, _ in items), dropped=sum(1 for _, _, d, _, _ in items if d),
                                 spend=math.fsum(x for _, _, _, x, _ in items)))
    return tuple(out)


def roster_padding_text(pad: RosterPadding, goal: str, currency: str,
                        cost: tuple[float, float] | None = None) -> str:
    """One sentence: '1,230 USD of 12 extra posts by 4 creators (c1, c7, c9, c12) add no reach;
    they keep micro under 60% of spend', with what the rule costs when known: the change of the
    optimum re-solved without it, a range when the optima are certified within a gap."""
    names = ", ".join(pad.ids[:NAMED]) + (f" and {len(pad.ids) - NAMED} more" if len(pad.ids) > NAMED else "")
    posts = f"{pad.posts} extra post" + ("s" if pad.posts != 1 else "")
    whole = f"{pad.dropped} creator" + ("s" if pad.dropped != 1 else "")
    who = f"{len(pad.ids)} creator" + ("s" if len(pad.ids) != 1 else "")
    what = (f"{whole} ({names})" if not pad.posts else f"{posts} by {who} ({names})" if not pad.dropped
            else f"{posts} and {pad.dropped} whole {'creator' if pad.dropped == 1 else 'creators'} ({names})")
    keeps = " and ".join(keeps_text(c) for c in pad.rules)
    unit = currency if goal in ("revenue", "profit", "value") else goal
    text = f"{pad.spend:,.0f} {currency} of {what} add no {goal}; they {keeps}"
    if cost is not None and len(pad.rules) == 1:
        low, high = max(cost[0], 0.0), max(cost[1], 0.0)
        if high <= 1e-6:
            text += f"; re-solved without the rule the plan has no more {goal}"
        elif abs(high - low) <= 1e-6 * max(1.0, abs(high)):
            text += f"; the rule costs {high:,.0f} {unit} (re-solved without it)"
        else:
            text += (f"; the rule costs {low:,.0f} to {high:,.0f} {unit} (re-solved without it; both optima "
                     "certified within the roster's gap)")
    return text + "."
