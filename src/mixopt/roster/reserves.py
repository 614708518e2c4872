"""Reserves: for each chosen creator, the best unchosen creators to call in its place, each a
one-for-one swap that keeps every rule of the scenario.

Every rule is a sum over the chosen creators (spend, reach, creators of a tier, a category, an
overlap group, ...); swapping chosen creator ``i`` for unchosen ``j`` changes each sum by
``a_j - a_i``. Candidates are taken best for the goal first, split by signature (tier,
platform, category: what the creator-count rules read, so those rules are decided once per
signature; and a spend band); a signature whose spend window or KPI thresholds no candidate meets is skipped;
the rest are evaluated in blocks as numpy matrices (chosen creators x candidates). Winning
swaps are re-checked by the independent rule check (:func:`mixopt.roster.check.check_roster_choice`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixopt.roster.check import check_roster_choice, checked_columns
from mixopt.roster.model import (
    ROSTER_KPIS,
    Audiences,
    objective_vector,
    roster_audiences,
    unique_reach_weight,
    uses_unique_reach,
)
from mixopt.roster.reserve_rows import (
    MAX_SWAPS_SEARCHED,
    RESERVE_COLUMNS,
    no_replacement,
    reserve_rows,
)
from mixopt.roster.unique_swaps import UniqueReachSwaps, audiences_of_rows
from mixopt.scenario.schema import Scenario

__all__ = ["reserve_list", "reserves_per_creator", "swap_keeps_rules", "RESERVE_COLUMNS", "HALF_MINOR_UNIT",
           "CONFIRM_LIMIT", "CONFIRM_ROWS", "CONFIRM_LEAST", "MAX_SWAPS_SEARCHED"]

#: A swap keeps the budget to half a minor unit of the currency (never a relative tolerance).
HALF_MINOR_UNIT = 0.005
#: Winning swaps re-checked by the independent rule check, the closest to a rule's limit first:
#: at most CONFIRM_LIMIT, and on large plans as many as CONFIRM_ROWS creator rows allow (each
#: check reads every chosen creator), but never fewer than CONFIRM_LEAST.
CONFIRM_LIMIT = 200
CONFIRM_ROWS = 400_000
CONFIRM_LEAST = 10
_CHUNK = 1_000_000  # swaps evaluated per numpy step (memory: a few matrices of this size)
_REL_TOL = 1e-6  # the independent check's tolerance (mixopt.contract.rule_check)


def reserves_per_creator(scenario: Scenario) -> int:
    """Replacements listed per chosen creator: ``roster.reserves_per_tier`` when set, else 1."""
    assert scenario.roster is not None
    setting = scenario.roster.reserves_per_tier
    return 1 if setting is None else int(setting)


def swap_keeps_rules(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray,
                     posts: np.ndarray | None = None, audiences: Audiences | None = None) -> bool:
    """True when a choice passes the independent rule check and keeps the budget to half a cent
    (``audiences``: the whole roster's, for the creators of ``table``, when it is part of it)."""
    checks = check_roster_choice(scenario, table, chosen, posts, audiences=audiences)
    budget = next((c for c in checks if c.rule == "budget"), None)
    return all(c.holds for c in checks) and (budget is None or budget.value <= budget.limit + HALF_MINOR_UNIT)


@dataclass(frozen=True)
class _Sum:
    """One rule as a sum over the chosen creators: ``total - out[i] + into[j]`` after a swap."""

    rule: str
    label: str
    out: np.ndarray  # per chosen creator: what it brings to the sum
    into: np.ndarray  # per candidate option: what it would bring
    total: float  # the sum over the chosen creators now
    sense: str  # "<=", ">=", "=="
    limit: float
    share: float = 0.0  # the limit is limit + share x the plan's total spend (spend-share rules)
    money_cap: bool = False  # the budget: also within half a minor unit
    grouped: bool = False  # a creator count of a tier, platform, cell or category: the same for a whole signature
    per_spend: np.ndarray | None = None  # into = per_spend x the option's spend (budget, spend bands and shares)


@dataclass(frozen=True)
class _Overlap:
    """At most ``cap`` chosen creators per overlap group."""

    out: np.ndarray  # group code per chosen creator (-1: no group)
    into: np.ndarray  # group code per candidate option
    count_into: np.ndarray  # per candidate option: its group's count once it joins (0: no group)
    largest_without: np.ndarray  # per chosen creator: the largest group count once it leaves
    cap: float


_COLUMNS = ("id", "platform", "tier", "followers", "category", "overlap_group", "must_include", "exclude", "posts",
            "spend", *ROSTER_KPIS, "acceptance_rate", "fit_score", "fee_per_post", "product_cost", "handling_cost",
            "impressions_per_post", "engagements_per_post", "conversions_per_post")


def _wanted(s: Scenario, table: pd.DataFrame) -> list[str]:
    """The creator-table columns that the rules, the goal and the rule check read."""
    assert s.roster is not None
    extra = [*s.roster.resource_caps, *s.roster.resource_floors, *([s.objective.column] if s.objective.column else [])]
    return [c for c in dict.fromkeys([*_COLUMNS, *extra]) if c in table.columns]


def _figures(s: Scenario, table: pd.DataFrame, rows: np.ndarray, posts: np.ndarray | None) -> pd.DataFrame:
    """The columns the rules and the goal read, for ``rows`` at ``posts`` (recomputed as the check does)."""
    frame = table[_wanted(s, table)].iloc[rows].reset_index(drop=True)
    if posts is None:
        return frame
    p = np.asarray(posts, dtype=float)
    frame["posts"] = p
    for kpi in ("impressions", "engagements", "conversions"):
        frame[kpi] = frame[f"{kpi}_per_post"].to_numpy() * p
    frame["spend"] = (frame["fee_per_post"].to_numpy() * p + frame["product_cost"].to_numpy()
                      + frame["handling_cost"].to_numpy())
    return frame


def _codes(values: np.ndarray, names: np.ndarray) -> np.ndarray:
    """The position of each value in the sorted ``names`` (-1 when absent)."""
    if len(names) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(names, values), len(names) - 1)
    return np.where(names[pos] == values, pos, -1).astype(np.int64)


def _rules(s: Scenario, mine: pd.DataFrame, cand: pd.DataFrame, table: pd.DataFrame, chosen: np.ndarray,
           posts: np.ndarray | None) -> tuple[list[_Sum], _Overlap | None]:
    """Every rule of the scenario as a sum that a swap changes (mirrors check_roster_choice)."""
    assert s.roster is not None
    cur = s.currency
    sums: list[_Sum] = []

    def add(rule: str, label: str, column_out: np.ndarray, column_in: np.ndarray, sense: str, limit: float,
            share: float = 0.0, money_cap: bool = False, grouped: bool = False,
            per_spend: np.ndarray | None = None) -> None:
        out = np.asarray(column_out, dtype=float)
        sums.append(_Sum(rule, label, out, np.asarray(column_in, dtype=float), float(out.sum()), sense, float(limit),
                         share, money_cap, grouped, per_spend))

    spend_out, spend_in = mine["spend"].to_numpy(float), cand["spend"].to_numpy(float)
    if s.budget is not None:
        add("budget", f"budget ({s.budget:,.0f} {cur})", spend_out, spend_in, "<=", s.budget, money_cap=True,
            per_spend=np.ones(len(cand)))
    for kpi in ROSTER_KPIS:
        floor = getattr(s.targets, kpi)
        if floor:
            add(f"target[{kpi}]", f"at least {floor:,.0f} {kpi}", mine[kpi].to_numpy(float), cand[kpi].to_numpy(float),
                ">=", floor)
    if s.targets.revenue:
        aov = s.economics.average_order_value or 0.0
        add("target[revenue]", f"at least {s.targets.revenue:,.0f} {cur} revenue",
            mine["conversions"].to_numpy(float) * aov, cand["conversions"].to_numpy(float) * aov, ">=", s.targets.revenue)
    for kind, column, bands in (("tier", "tier", s.rules.tiers), ("platform", "platform", s.rules.platforms)):
        for name, band in bands.items():
            m_out = (mine[column].to_numpy() == name).astype(float)
            m_in = (cand[column].to_numpy() == name).astype(float)
            if band.min_spend_share is not None:
                add(f"{kind}_spend_share_min[{name}]", f"{name} at least {band.min_spend_share:.0%} of spend",
                    spend_out * m_out, spend_in * m_in, ">=", 0.0, share=band.min_spend_share, per_spend=m_in)
            if band.max_spend_share is not None:
                add(f"{kind}_spend_share_max[{name}]", f"{name} at most {band.max_spend_share:.0%} of spend",
                    spend_out * m_out, spend_in * m_in, "<=", 0.0, share=band.max_spend_share, per_spend=m_in)
            if band.min_spend is not None:
                add(f"{kind}_spend_min[{name}]", f"{name} spend", spend_out * m_out, spend_in * m_in, ">=",
                    band.min_spend, per_spend=m_in)
            if band.max_spend is not None:
                add(f"{kind}_spend_max[{name}]", f"{name} spend", spend_out * m_out, spend_in * m_in, "<=",
                    band.max_spend, per_spend=m_in)
            if band.min_creators is not None:
                add(f"{kind}_creators_min[{name}]", f"{name} creators", m_out, m_in, ">=", band.min_creators,
                    grouped=True)
            if band.max_creators is not None:
                add(f"{kind}_creators_max[{name}]", f"{name} creators", m_out, m_in, "<=", band.max_creators,
                    grouped=True)
    if s.rules.cells:  # the cell keys of a million candidates take a while: only when a cell rule reads them
        key_out = (mine["tier"] + "." + mine["platform"]).to_numpy()
        key_in = (cand["tier"] + "." + cand["platform"]).to_numpy()
    for key, rule in s.rules.cells.items():
        m_out, m_in = (key_out == key).astype(float), (key_in == key).astype(float)
        for name, value, sense in (("cell_lock", rule.lock, "=="), ("cell_creators_min", rule.min_creators, ">="),
                                   ("cell_creators_max", rule.max_creators, "<=")):
            if value is not None:
                add(f"{name}[{key}]", f"{key} creators", m_out, m_in, sense, value, grouped=True)
    for name, quota in s.roster.categories.items():
        m_out = (mine["category"].to_numpy() == name).astype(float)
        m_in = (cand["category"].to_numpy() == name).astype(float)
        if quota.min_creators is not None:
            add(f"category_min[{name}]", f"at least {quota.min_creators} {name} creators", m_out, m_in, ">=",
                quota.min_creators, grouped=True)
        if quota.max_creators is not None:
            add(f"category_max[{name}]", f"at most {quota.max_creators} {name} creators", m_out, m_in, "<=",
                quota.max_creators, grouped=True)
    for column, limit in s.roster.resource_caps.items():
        add(f"resource[{column}]", f"total {column}", np.nan_to_num(mine[column].to_numpy(float)),
            np.nan_to_num(cand[column].to_numpy(float)), "<=", limit)
    for column, floor in s.roster.resource_floors.items():
        add(f"resource_floor[{column}]", f"total {column} at least {floor:,.6g}",
            np.nan_to_num(mine[column].to_numpy(float)), np.nan_to_num(cand[column].to_numpy(float)), ">=", floor)
    must = table["must_include"].to_numpy(dtype=bool)
    missing = float((must & ~chosen).sum())
    # missing must-include creators after a swap: missing + must[i] - must[j]
    sums.append(_Sum("must_include", "every must-include creator chosen", -mine["must_include"].to_numpy(float),
                     -cand["must_include"].to_numpy(float), missing, "==", 0.0))
    add("exclude", "no excluded creator chosen", mine["exclude"].to_numpy(float), cand["exclude"].to_numpy(float),
        "==", 0.0)
    if posts is not None:
        low = s.roster.posts_per_creator
        high = s.roster.max_posts_per_creator or low
        p = mine["posts"].to_numpy(float)
        add("posts_per_creator", f"{low} to {high} posts per chosen creator", ((p < low) | (p > high)).astype(float),
            np.zeros(len(cand)), "==", 0.0)
    # team capacity needs no sum: a swap keeps the number of creators
    overlap = None
    if s.roster.max_per_overlap_group is not None:
        names = np.array(sorted(set(mine["overlap_group"]) - {""}), dtype=object)
        g_out = _codes(mine["overlap_group"].to_numpy(), names)
        g_in = _codes(cand["overlap_group"].to_numpy(), names)
        counts = np.bincount(g_out[g_out >= 0], minlength=len(names)).astype(float)
        largest = float(counts.max()) if len(counts) else 0.0
        at_largest = int((counts == largest).sum()) if len(counts) else 0
        alone = np.zeros(len(g_out), dtype=bool)
        has = g_out >= 0
        alone[has] = (counts[g_out[has]] == largest) & (at_largest == 1)
        count_in = counts[np.maximum(g_in, 0)] if len(counts) else np.zeros(len(g_in))
        # candidate codes: a chosen creator's group (>= 0), no group (-2), a group no chosen creator is in (-3)
        into = np.where(cand["overlap_group"].to_numpy() == "", -2, np.where(g_in >= 0, g_in, -3))
        count_into = np.where(into >= 0, count_in, 0.0) + (into != -2)
        overlap = _Overlap(g_out, into, count_into, np.where(alone, largest - 1, largest),
                           float(s.roster.max_per_overlap_group))
    return sums, overlap


def _holds(value: np.ndarray, limit: np.ndarray | float, sense: str) -> np.ndarray:
    """The independent check's verdict (mixopt.contract.rule_check), elementwise."""
    tol = _REL_TOL * (max(1.0, abs(limit)) if isinstance(limit, float) else np.maximum(1.0, np.abs(limit)))
    if sense == "<=":
        return value <= limit + tol
    if sense == ">=":
        return value >= limit - tol
    return np.abs(value - limit) <= tol


class _Swaps:
    """Evaluates swaps (chosen creator, candidate option) against every rule, as matrices
    (``outer``: every chosen creator with every option) or pairwise."""

    def __init__(self, sums: list[_Sum], overlap: _Overlap | None, spend_out: np.ndarray, spend_in: np.ndarray,
                 reach: UniqueReachSwaps | None = None, reach_target: float = 0.0) -> None:
        self.sums = sums
        self.overlap = overlap
        self.reach = reach if reach_target else None  # the unique-reach target, when there is one
        self.reach_target = float(reach_target)
        self.spend_out = spend_out
        self.spend_in = spend_in
        self.total_spend = float(spend_out.sum())
        self.most_spend = float(spend_in.max()) if len(spend_in) else 0.0
        self.labels = [r.label for r in sums] + ([f"at most {overlap.cap:g} creators per overlap group"]
                                                  if overlap is not None else [])
        self.labels += [f"at least {self.reach_target:,.0f} unique people"] if self.reach is not None else []
        # a rule whose sum no swap changes holds after every swap (the plan keeps every rule)
        self.changing = [k for k, r in enumerate(sums)
                         if not (len(r.out) and len(r.into) and np.all(r.out == r.out[0]) and np.all(r.into == r.out[0]))]

    def evaluate(self, rows: np.ndarray, options: np.ndarray, *, outer: bool = True, which: str = "all",
                 counts: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Which swaps keep the rules (``which``: all, grouped (creator counts of a tier, platform,
        cell or category), or the others), and with ``counts`` how many options each rule rules
        out per chosen creator."""
        def pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return (a[rows][:, None], b[options][None, :]) if outer else (a[rows], b[options])

        shape = (len(rows), len(options)) if outer else (len(rows),)
        ok = np.ones(shape, dtype=bool)
        broken = np.zeros((len(rows), len(self.labels)), dtype=np.int64) if counts else None
        new_spend = None
        for k in self.changing:
            r = self.sums[k]
            if (which == "grouped" and not r.grouped) or (which == "others" and r.grouped):
                continue
            out, into = pair(r.out, r.into)
            value = r.total - out + into
            limit: np.ndarray | float = r.limit
            if r.share:
                if new_spend is None:
                    s_out, s_in = pair(self.spend_out, self.spend_in)
                    new_spend = self.total_spend - s_out + s_in
                limit = r.limit + r.share * new_spend
            keeps = _holds(value, limit, r.sense)
            if r.money_cap:
                keeps &= value <= limit + HALF_MINOR_UNIT
            if broken is not None:
                broken[:, k] = (~keeps).sum(axis=1) if outer else ~keeps
            ok &= keeps
        o = self.overlap
        if o is not None and which != "grouped":  # the joiner's group grows by one (unless the leaver is in it)
            g_out, g_in = pair(o.out, o.into)
            largest, count = pair(o.largest_without, o.count_into)
            keeps = _holds(np.maximum(largest, count - (g_out == g_in)), o.cap, "<=")
            if broken is not None:
                broken[:, len(self.sums)] = (~keeps).sum(axis=1) if outer else ~keeps
            ok &= keeps
        if self.reach is not None and which != "grouped":
            keeps = _holds(self.reach.after(rows, options, outer=outer), self.reach_target, ">=")
            if broken is not None:
                broken[:, -1] = (~keeps).sum(axis=1) if outer else ~keeps
            ok &= keeps
        return ok, broken

    def reachable(self, rows: np.ndarray, reps: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
        """Per chosen creator and signature, whether some option of the signature could keep each
        money and KPI rule on its own (a necessary test, with the check's tolerance): the spend rules
        give an interval for the joiner's spend, each other rule a threshold on its own column."""
        total = self.total_spend
        s_out = self.spend_out[rows][:, None]
        low = np.full((len(rows), len(groups)), -np.inf)
        high = np.full((len(rows), len(groups)), np.inf)
        ok = np.ones((len(rows), len(groups)), dtype=bool)
        for k in self.changing:
            r = self.sums[k]
            if r.grouped or r.sense == "==":
                continue
            rhs = r.limit + r.share * (total - s_out) - r.total + r.out[rows][:, None]
            # the check's own tolerance at the largest limit a swap can reach, and a hair more
            tol = _REL_TOL * max(1.0, abs(r.limit) + r.share * (total + self.most_spend)) * (1 + 1e-6) + 1e-9
            tol = min(tol, HALF_MINOR_UNIT + 1e-9) if r.money_cap else tol
            if r.per_spend is None:  # a threshold on the joiner's own column
                if r.share:
                    continue
                if r.sense == ">=":
                    ok &= np.array([r.into[g].max() for g in groups])[None, :] >= rhs - tol
                else:
                    ok &= np.array([r.into[g].min() for g in groups])[None, :] <= rhs + tol
                continue
            coef = (r.per_spend[reps] - r.share)[None, :]
            edge = (rhs + tol if r.sense == "<=" else rhs - tol) / np.where(coef == 0, 1.0, coef)
            upper = (coef > 0) == (r.sense == "<=")  # the rule caps the joiner's spend (else floors it)
            high = np.where((coef != 0) & upper, np.minimum(high, edge), high)
            low = np.where((coef != 0) & ~upper, np.maximum(low, edge), low)
            flat = coef == 0
            ok &= ~flat | ((0 <= rhs + tol) if r.sense == "<=" else (0 >= rhs - tol))
        for g, group in enumerate(groups):
            spend = np.sort(self.spend_in[group])
            inside = np.searchsorted(spend, high[:, g], side="right") - np.searchsorted(spend, low[:, g], side="left")
            ok[:, g] &= inside > 0
        return ok

    def room(self, rows: np.ndarray, options: np.ndarray) -> np.ndarray:
        """Per swap (pairwise), the least room any money or KPI rule keeps, as a share of its limit."""
        room = np.full(len(rows), np.inf)
        for k in self.changing:
            r = self.sums[k]
            if r.sense == "==":
                continue
            value = r.total - r.out[rows] + r.into[options]
            limit = r.limit + r.share * (self.total_spend - self.spend_out[rows] + self.spend_in[options])
            slack = limit - value if r.sense == "<=" else value - limit
            room = np.minimum(room, slack / np.maximum(1.0, np.abs(limit)))
        if self.reach is not None:
            slack = self.reach.after(rows, options, outer=False) - self.reach_target
            room = np.minimum(room, slack / max(1.0, self.reach_target))
        return room


def _prune(sums: list[_Sum], n_options: int) -> np.ndarray:
    """Candidate options that no swap could make keep a fixed-limit rule, dropped up front."""
    keep = np.ones(n_options, dtype=bool)
    for r in sums:
        if r.share or r.sense == "==" or len(r.out) == 0:
            continue
        tol = _REL_TOL * max(1.0, abs(r.limit))
        if r.sense == "<=":
            keep &= r.into <= r.limit + (min(tol, HALF_MINOR_UNIT) if r.money_cap else tol) - r.total + float(r.out.max())
        else:
            keep &= r.into >= r.limit - tol - r.total + float(r.out.min())
    return keep


@dataclass
class _Search:
    """The goal-ordered candidates, split by signature (tier, platform, category: what the creator
    count rules read), and the best rule-keeping picks found so far per chosen creator."""

    swaps: _Swaps
    order: np.ndarray  # candidate options, best for the goal first
    option_creator: np.ndarray
    signature: np.ndarray  # per option
    want: int
    picks: dict[int, list[tuple[int, int]]]  # chosen creator -> [(position in order, option)], best first
    cut: bool = False  # the search stopped at MAX_SWAPS_SEARCHED

    def run(self, rows: np.ndarray, banned: dict[int, set[int]] | None = None) -> None:
        banned = banned or {}
        position = np.empty(len(self.option_creator), dtype=np.int64)
        position[self.order] = np.arange(len(self.order))
        by_sig = self.signature[self.order]
        ranked = np.argsort(by_sig, kind="stable")
        sigs, first = np.unique(by_sig[ranked], return_index=True)
        groups = np.split(self.order[ranked], first[1:]) if len(sigs) else []
        if not groups:
            return
        reps = np.array([g[0] for g in groups])
        allowed, _ = self.swaps.evaluate(rows, reps, which="grouped")  # the creator-count rules, per signature
        allowed &= self.swaps.reachable(rows, reps, groups)
        bound = np.full(len(rows), np.inf)
        searched = 0
        for g in np.argsort([position[group[0]] for group in groups], kind="stable"):
            group = groups[g]
            members = rows[allowed[:, g]]
            where = np.flatnonzero(allowed[:, g])
            found = {int(r): 0 for r in members}
            seen: dict[int, set[int]] = {int(r): set() for r in members}
            start, block = 0, 64
            while start < len(group):
                live = (np.array([found[int(r)] for r in members], dtype=np.int64) < self.want) \
                    & (bound[where] > position[group[start]])
                members, where = members[live], where[live]
                if not len(members):
                    break
                if searched >= MAX_SWAPS_SEARCHED:
                    self.cut = True
                    break
                options = group[start:start + block]
                step = max(1, _CHUNK // len(options))
                for at in range(0, len(members), step):
                    part, part_where = members[at:at + step], where[at:at + step]
                    ok, _ = self.swaps.evaluate(part, options, which="others")
                    for local in np.flatnonzero(ok.any(axis=1)):
                        row = int(part[local])
                        for c in np.flatnonzero(ok[local]):
                            option = int(options[c])
                            creator = int(self.option_creator[option])
                            if creator in seen[row] or option in banned.get(row, ()):
                                continue
                            seen[row].add(creator)
                            found[row] += 1
                            mine = self.picks.setdefault(row, [])
                            # a creator in another spend band (other posts) may be listed already: keep its best
                            same = [e for e in mine if self.option_creator[e[1]] == creator]
                            if not same or position[option] < same[0][0]:
                                mine[:] = [e for e in mine if e not in same] + [(int(position[option]), option)]
                                mine.sort()
                                del mine[self.want:]
                            if len(mine) == self.want:
                                bound[part_where[local]] = mine[-1][0]
                            if found[row] == self.want:
                                break
                searched += len(members) * len(options)
                start += len(options)
                block = min(block * 4, 1 << 16)


def reserve_list(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray, posts: np.ndarray | None = None, *,
                 per_creator: int | None = None, audiences: Audiences | None = None) -> pd.DataFrame:
    """For each chosen creator, the best unchosen creators to call in its place (RESERVE_COLUMNS).

    A replacement is a one-for-one swap after which every rule of the scenario still holds
    (budget to half a cent, targets, tier / platform bands and shares, cell rules, category
    quotas, overlap groups, resource caps, must-include and exclude). Replacements are ranked by
    what they bring to the goal (least spend for 'minimize: spend'), then roster order;
    ``objective_change`` is what the swap does to the goal (unique reach in it recomputed for the
    swap; the ranking counts a creator's own reach). With ``posts`` (posts per creator,
    when the scenario lets posts vary) a replacement makes the number of posts that serves the
    goal best among those that keep the rules. ``per_creator`` defaults to
    ``roster.reserves_per_tier``, else 1. A chosen creator with no rule-keeping replacement gets
    one row saying so. Rank-1 swaps are re-checked by the independent rule check (``checked``).
    ``audiences``: the table's, when the caller has them (read here when unique reach is a rule
    or in the goal).
    """
    s = scenario
    assert s.roster is not None
    want = reserves_per_creator(s) if per_creator is None else int(per_creator)
    chosen = np.asarray(chosen, dtype=bool)
    mine_rows = np.flatnonzero(chosen)
    weight = unique_reach_weight(s)
    if audiences is None and uses_unique_reach(s):
        audiences = roster_audiences(s, table)
    if want <= 0 or len(mine_rows) == 0 or not swap_keeps_rules(s, table, chosen, posts, audiences):
        return pd.DataFrame(columns=list(RESERVE_COLUMNS))
    mine = _figures(s, table, mine_rows, None if posts is None else np.asarray(posts)[mine_rows])
    low = s.roster.posts_per_creator
    high = max(s.roster.max_posts_per_creator or low, low) if posts is not None else low
    free = np.flatnonzero(~chosen & ~table["exclude"].to_numpy(dtype=bool))
    option_creator = np.repeat(free, high - low + 1)
    option_posts = np.tile(np.arange(low, high + 1), len(free))
    cand = _figures(s, table, option_creator, option_posts if posts is not None else None)
    sums, overlap = _rules(s, mine, cand, table, chosen, posts)
    goal_out, goal_in = objective_vector(s, mine), objective_vector(s, cand)
    score = -goal_in if s.objective.minimize == "spend" else goal_in
    # best for the goal first, then roster order (options are in roster order, fewest posts first)
    ranked = np.argsort(-score, kind="stable")
    order = ranked[_prune(sums, len(cand))[ranked]]
    reach = None if audiences is None else UniqueReachSwaps(audiences, chosen, mine_rows, option_creator)
    swaps = _Swaps(sums, overlap, mine["spend"].to_numpy(float), cand["spend"].to_numpy(float), reach,
                   s.targets.unique_reach or 0.0)
    must = mine["must_include"].to_numpy(dtype=bool)
    rows = np.flatnonzero(~must)
    search = _Search(swaps, order, option_creator, _signature(s, cand), want, {})
    search.run(rows)
    confirmed = _confirm(s, table, chosen, posts, search, option_posts, audiences)
    lacking = np.array([k for k in rows if not search.picks.get(int(k))], dtype=np.int64)
    broken = np.zeros((len(lacking), len(swaps.labels)), dtype=np.int64)
    if len(lacking) and len(ranked):  # why: the rule the best candidates break most often
        _ok, counts = swaps.evaluate(lacking, ranked[:4096], counts=True)
        broken = counts if counts is not None else broken
    reasons = {int(k): no_replacement(len(cand) > 0, search.cut, swaps.labels, broken[i])
               for i, k in enumerate(lacking)}
    reach_out, reach_in = mine["reach"].to_numpy(float), cand["reach"].to_numpy(float)

    def objective_change(k: np.ndarray, option: np.ndarray) -> np.ndarray:
        change = goal_in[option] - goal_out[k]
        if reach is None or not weight:
            return change
        unique = reach.after(k, option, outer=False) - reach.now  # in place of the creators' own reach
        return change + weight * (unique - (reach_in[option] - reach_out[k]))

    return reserve_rows(mine, cand, search.picks, confirmed, must, reasons, option_posts, objective_change)


def _signature(s: Scenario, cand: pd.DataFrame) -> np.ndarray:
    """One code per candidate option: the columns the creator-count rules read, and a spend band
    (sixteenths of the candidates' spend), so a chosen creator whose rules leave a narrow spend
    window searches only the bands inside it."""
    assert s.roster is not None
    columns = ([*(["tier"] if s.rules.tiers or s.rules.cells else []),
                *(["platform"] if s.rules.platforms or s.rules.cells else []),
                *(["category"] if s.roster.categories else [])])
    code = np.zeros(len(cand), dtype=np.int64)
    for column in columns:
        values, names = pd.factorize(cand[column], sort=True)
        code = code * (len(names) + 1) + values
    spend = cand["spend"].to_numpy(float)
    edges = np.unique(np.quantile(spend, np.linspace(0, 1, 17)[1:-1])) if len(spend) else np.zeros(0)
    return code * (len(edges) + 1) + np.searchsorted(edges, spend, side="right")


def _confirm(s: Scenario, table: pd.DataFrame, chosen: np.ndarray, posts: np.ndarray | None, search: _Search,
             option_posts: np.ndarray, audiences: Audiences | None) -> set[int]:
    """Re-check winning swaps with the independent rule check; a swap it rejects is replaced by
    the next candidate. The closest to a rule's limit first, as many as CONFIRM_LIMIT,
    CONFIRM_ROWS and CONFIRM_LEAST allow. Returns the chosen creators whose rank-1 swap passed.

    The check runs on the creators it reads (the chosen ones, the must-include ones and the
    winners, with the columns the rules read), which gives the same result as on the whole
    table: every rule sums over the chosen creators, must-include counts the flagged ones, and
    unique reach reads the whole table's audiences.
    """
    picks = search.picks
    mine_rows = np.flatnonzero(chosen)
    rows_won = np.array(sorted(k for k, found in picks.items() if found), dtype=np.int64)
    if not len(rows_won):
        return set()
    first = np.array([picks[int(k)][0][1] for k in rows_won], dtype=np.int64)
    room = search.swaps.room(rows_won, first)
    size = len(mine_rows) + int(table["must_include"].sum()) + 1
    count = min(CONFIRM_LIMIT, max(CONFIRM_LEAST, CONFIRM_ROWS // size))
    ranked = np.lexsort((rows_won, room))[:count]
    winners = [int(rows_won[i]) for i in ranked]
    involved = np.concatenate([mine_rows, np.flatnonzero(table["must_include"].to_numpy(dtype=bool)),
                               search.option_creator[first[ranked]]])
    rows = np.unique(involved)
    columns = [*checked_columns(s, table), "must_include", "exclude"]
    sub = table[columns].iloc[rows].reset_index(drop=True)
    for column in ("platform", "tier", "category", "overlap_group"):  # plain text: the check compares faster
        sub[column] = sub[column].astype(object)
    sub.columns = pd.Index(columns, dtype=object)  # plain-text names: each column is found faster
    sub_chosen = chosen[rows]
    sub_posts = None if posts is None else np.asarray(posts)[rows]
    sub_audiences = None if audiences is None else audiences_of_rows(audiences, rows)

    def keeps(row: int, option: int) -> bool:
        leaver, joiner = int(mine_rows[row]), int(search.option_creator[option])
        at = np.searchsorted(rows, [leaver, joiner])
        whole = rows[min(int(at[1]), len(rows) - 1)] != joiner  # a later candidate: check on the whole table
        where = np.array([leaver, joiner]) if whole else at
        after = (chosen if whole else sub_chosen).copy()
        after[where] = [False, True]
        base_posts = posts if whole else sub_posts
        after_posts = None if base_posts is None else np.asarray(base_posts).copy()
        if after_posts is not None:
            after_posts[where] = [0, option_posts[option]]
        return swap_keeps_rules(s, table if whole else sub, after, after_posts, audiences if whole else sub_audiences)

    confirmed: set[int] = set()
    banned: dict[int, set[int]] = {}
    for row in winners:
        for _attempt in range(3):
            if not picks.get(row):
                break
            option = picks[row][0][1]
            if keeps(row, option):
                confirmed.add(row)
                break
            banned.setdefault(row, set()).add(option)
            picks[row] = []
            search.run(np.array([row]), banned)
    return confirmed
