"""Every rule of a roster scenario re-checked on the chosen creators' own table columns, never with the model's arrays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pandas as pd

from mixopt.contract import (
    RuleCheck,
    budget_share_checks,
    efficiency_checks,
    rule_check,
)
from mixopt.roster.model import ROSTER_KPIS, Audiences, roster_audiences
from mixopt.scenario.money import exact, exact_dot, scaled_decimals
from mixopt.scenario.schema import Scenario

__all__ = ["check_roster_choice", "checked_columns", "at_posts", "exact_spend", "resource_check", "whole_valued", "ROSTER_KPIS",
           "exact_roster_unique_reach"]


def at_posts(table: pd.DataFrame, chosen: np.ndarray, posts: np.ndarray | None) -> pd.DataFrame:
    """The chosen creators with spend and KPIs recomputed for their posts (from per-post figures)."""
    mask = np.asarray(chosen, dtype=bool)
    picked = table[mask].copy()
    if posts is not None:
        _set_posts(picked, np.asarray(posts, dtype=float)[mask])
    return picked


def _set_posts(picked: pd.DataFrame | dict[str, np.ndarray], posts: np.ndarray) -> None:
    """Posts, impressions, engagements, conversions and spend of the chosen creators for ``posts``
    each (a frame's columns or plain arrays)."""
    def column(name: str) -> np.ndarray:
        return np.asarray(picked[name], dtype=float)

    picked["posts"] = posts
    for kpi in ("impressions", "engagements", "conversions"):
        picked[kpi] = column(f"{kpi}_per_post") * posts
    picked["spend"] = column("fee_per_post") * posts + column("product_cost") + column("handling_cost")


def exact_spend(picked: pd.DataFrame | Mapping[str, np.ndarray], within: np.ndarray | None = None) -> Fraction:
    """The chosen creators' spend as an exact fraction: fee x posts + product + handling, from the
    decimals in the creator table (never the float sum, which drifts by more than a cent at 1e13);
    ``within``: of the rows of ``picked`` it marks only."""
    def column(name: str) -> np.ndarray:
        values = np.asarray(picked[name], dtype=float)
        return values if within is None else values[within]

    posts = column("posts")
    ones = np.ones(len(posts))
    return (exact_dot(column("fee_per_post"), posts)
            + exact_dot(column("product_cost"), ones) + exact_dot(column("handling_cost"), ones))


class _ExactSpends:
    """Exact spend of the chosen creators and of any part of them (a tier, a platform): each
    creator's spend as a whole number of 1/10**d, made once, summed per part; the same fractions
    as :func:`exact_spend`, which is used when the amounts do not fit."""

    def __init__(self, picked: Mapping[str, np.ndarray]) -> None:
        self.picked = picked
        self.rows: np.ndarray | None = None
        self.digits = 0
        posts = np.asarray(picked["posts"], dtype=float)
        parts = [scaled_decimals(np.asarray(picked[c], dtype=float)) for c in ("fee_per_post", "product_cost", "handling_cost")]
        if any(p is None for p in parts) or not (np.all(posts == np.round(posts)) and np.all(np.abs(posts) < 2.0 ** 53)):
            return
        digits = max(d for _, d in parts)  # type: ignore[misc]
        (fee, d_fee), (product, d_product), (handling, d_handling) = parts  # type: ignore[misc]
        terms = ((fee, posts, d_fee), (product, 1.0, d_product), (handling, 1.0, d_handling))
        bound = sum(float(np.abs(k).max(initial=0.0)) * float(np.abs(c).max(initial=0.0)) * 10.0 ** (digits - d)
                    for k, c, d in terms)
        if bound * max(len(posts), 1) >= 2.0 ** 62:
            return
        self.rows = sum((k.astype(np.int64) * np.asarray(c).astype(np.int64) * 10 ** (digits - d) for k, c, d in terms),
                        np.zeros(len(posts), dtype=np.int64))
        self.digits = digits

    def of(self, within: np.ndarray | None = None) -> Fraction:
        if self.rows is None:
            return exact_spend(self.picked, within)
        rows = self.rows if within is None else self.rows[within]
        return Fraction(int(rows.sum()), 10 ** self.digits)


def whole_valued(table: pd.DataFrame, column: str) -> bool:
    """True when a creator-table column holds whole numbers only (hours, slots): its caps and floors
    then hold exactly, to half a unit."""
    values = np.nan_to_num(table[column].to_numpy(dtype=float))
    return bool(np.all(values == np.round(values)) and np.all(np.abs(values) < 2.0 ** 53))


def resource_check(table: pd.DataFrame, picked: pd.DataFrame | Mapping[str, np.ndarray], column: str, sense: str,
                   limit: float) -> RuleCheck:
    """A cap (``<=``) or floor (``>=``) on the chosen creators' total of a numeric column; exact to
    half a unit on a whole-valued column, within 1e-6 of the limit otherwise."""
    values = np.nan_to_num(np.asarray(picked[column], dtype=float))
    used = float(values.sum())
    kind, words = ("resource", "at most") if sense == "<=" else ("resource_floor", "at least")
    label = f"total {column}" if sense == "<=" else f"total {column} {words} {limit:,.6g}"
    if whole_valued(table, column):
        total = Fraction(sum(int(v) for v in values.tolist()))
        return rule_check(f"{kind}[{column}]", label, column, used, sense, limit, exact=(total, exact(limit)),
                          tolerance=Fraction(1, 2))
    return rule_check(f"{kind}[{column}]", label, column, used, sense, limit)


def _decimal(x: float) -> Decimal:
    return Decimal(x)  # a float's exact binary value


def exact_roster_unique_reach(audiences: Audiences, chosen: np.ndarray) -> Decimal:
    """Unique reach of the chosen creators recomputed from the formula in 50-digit decimals, apart
    from the model's tangents and the plan's floats: per overlap group on a platform
    ``A (1 - prod (1 - R_i / A))`` (a factor below 0 counts as 0: the creator alone reaches ``A``),
    creators of no group in full, across platforms ``sum - s x (sum - largest)``."""
    with localcontext() as ctx:
        ctx.prec = 50
        picked = np.nonzero(np.asarray(chosen, dtype=bool))[0].tolist()
        by_platform = [Decimal(0)] * len(audiences.platforms)
        left: dict[int, Decimal] = {}
        summed: dict[int, Decimal] = {}
        for i in picked:
            k, reach = int(audiences.unit[i]), _decimal(float(audiences.reach[i]))
            a = float(audiences.audience[k]) if k >= 0 else float("inf")
            if k < 0 or a == float("inf"):
                by_platform[int(audiences.platform[i])] += reach
                continue
            factor = 1 - reach / _decimal(a)
            left[k] = left.get(k, Decimal(1)) * max(factor, Decimal(0))
            summed[k] = summed.get(k, Decimal(0)) + reach
        for k, rest in left.items():
            value = min(_decimal(float(audiences.audience[k])) * (1 - rest), summed[k])
            by_platform[int(audiences.unit_platform[k])] += value
        total = sum(by_platform, Decimal(0))
        share = Decimal(Fraction(audiences.share).numerator) / Decimal(Fraction(audiences.share).denominator)
        if share > 0 and by_platform:
            total -= share * (total - max(by_platform))
        return +total


def _totals_for_rules(s: Scenario, picked: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Spend, KPIs and profit of the chosen creators, for the efficiency rules."""
    eco = s.economics
    totals = {k: _total(picked[k]) for k in ("spend", *ROSTER_KPIS)}
    aov = eco.average_order_value or 0.0
    totals["profit"] = (aov * eco.margin_rate - eco.commission_per_conversion) * totals["conversions"] - totals["spend"]
    return totals


#: The creator-table columns every check reads (with the resource columns and the goal's column).
_CHECKED = ("tier", "platform", "category", "overlap_group", "reach", "fee_per_post", "product_cost", "handling_cost",
            "impressions_per_post", "engagements_per_post", "conversions_per_post", "posts", "spend", *ROSTER_KPIS)


#: Text columns: compared as plain strings (a missing value is no name).
_TEXT = ("tier", "platform", "category", "overlap_group")


def _total(values: np.ndarray) -> float:
    """A column's total over the chosen creators, missing values as 0 (what a pandas sum gives)."""
    return float(np.nansum(values))


def _chosen_columns(table: pd.DataFrame, chosen: np.ndarray, posts: np.ndarray | None,
                    columns: list[str]) -> dict[str, np.ndarray]:
    """The chosen creators' ``columns`` as plain arrays (text as objects, numbers as floats), spend
    and KPIs recomputed for their posts like :func:`at_posts` (the check reads each column many
    times: arrays spare it a data frame's cost per read)."""
    mask = np.asarray(chosen, dtype=bool)
    rows = np.flatnonzero(mask)

    def values(column: str) -> np.ndarray:
        series = table[column]
        kind = object if column in _TEXT else float
        if isinstance(series.dtype, np.dtype):  # plain numpy storage: read in place, take the chosen rows
            return series.to_numpy()[rows].astype(kind, copy=False)
        return series.take(rows).to_numpy(dtype=kind, na_value=None if kind is object else np.nan)

    picked = {c: values(c) for c in columns}
    if posts is not None:
        _set_posts(picked, np.asarray(posts, dtype=float)[rows])
    return picked


def _counts(values: np.ndarray) -> Counter[str]:
    """How many chosen creators carry each name (missing values left out, like pandas' value_counts)."""
    return Counter(v for v in values.tolist() if isinstance(v, str))


def checked_columns(s: Scenario, table: pd.DataFrame) -> list[str]:
    assert s.roster is not None
    extra = [*s.roster.resource_caps, *s.roster.resource_floors, *([s.objective.column] if s.objective.column else [])]
    return [c for c in dict.fromkeys([*_CHECKED, *extra]) if c in table.columns]


def check_roster_choice(scenario: Scenario, table: pd.DataFrame, chosen: np.ndarray,
                        posts: np.ndarray | None = None, *, audiences: Audiences | None = None) -> list[RuleCheck]:
    """Every rule of a roster scenario, evaluated on the chosen creators with sums over the table's own columns.

    ``posts`` (per creator) recomputes spend and KPIs from per-post figures; without it, every
    chosen creator makes ``roster.posts_per_creator`` posts. ``audiences`` (for unique reach):
    the table's own by default; a caller checking part of a roster passes the whole roster's.
    """
    s = scenario
    assert s.roster is not None
    picked = _chosen_columns(table, chosen, posts, checked_columns(s, table))
    cur = s.currency
    spend = _total(picked["spend"])
    spends = _ExactSpends(picked)
    exact_total = spends.of()
    checks: list[RuleCheck] = []
    if s.budget is not None:
        checks.append(rule_check("budget", f"budget ({s.budget:,.0f} {cur})", cur, spend, "<=", s.budget,
                                 exact=(exact_total, exact(s.budget))))
    for kpi in ROSTER_KPIS:
        floor = getattr(s.targets, kpi)
        if floor:
            checks.append(rule_check(f"target[{kpi}]", f"at least {floor:,.0f} {kpi}", kpi, _total(picked[kpi]), ">=",
                                floor))
    if s.targets.unique_reach:
        unique = exact_roster_unique_reach(audiences or roster_audiences(s, table), chosen)
        checks.append(rule_check("target[unique_reach]", f"at least {s.targets.unique_reach:,.0f} unique people",
                                 "people", float(unique), ">=", s.targets.unique_reach))
    if s.targets.revenue:
        revenue = _total(picked["conversions"]) * (s.economics.average_order_value or 0.0)
        checks.append(rule_check("target[revenue]", f"at least {s.targets.revenue:,.0f} {cur} revenue", cur, revenue, ">=",
                            s.targets.revenue))
    checks += efficiency_checks(s, _totals_for_rules(s, picked))
    if s.rules.max_creators is not None:
        checks.append(rule_check("team_capacity", "team capacity", "creators", len(picked["spend"]), "<=",
                                 s.rules.max_creators))
    for kind, column, bands in (("tier", "tier", s.rules.tiers), ("platform", "platform", s.rules.platforms)):
        for name, band in bands.items():
            members = picked[column] == name
            group_size = int(np.count_nonzero(members))
            g_spend = float(picked["spend"][members].sum())
            g_exact = spends.of(members)
            # shares as spend against share x total spend (so a plan with no spend keeps them)
            if band.min_spend_share is not None:
                checks.append(rule_check(f"{kind}_spend_share_min[{name}]", f"{name} at least {band.min_spend_share:.0%} of spend",
                                    cur, g_spend, ">=", band.min_spend_share * spend,
                                    exact=(g_exact, exact(band.min_spend_share) * exact_total)))
            if band.max_spend_share is not None:
                checks.append(rule_check(f"{kind}_spend_share_max[{name}]", f"{name} at most {band.max_spend_share:.0%} of spend",
                                    cur, g_spend, "<=", band.max_spend_share * spend,
                                    exact=(g_exact, exact(band.max_spend_share) * exact_total)))
            if s.budget is not None:
                checks += budget_share_checks(kind, name, band, s.budget, cur, g_spend, g_exact)
            if band.min_spend is not None:
                checks.append(rule_check(f"{kind}_spend_min[{name}]", f"{name} spend", cur, g_spend, ">=", band.min_spend,
                                         exact=(g_exact, exact(band.min_spend))))
            if band.max_spend is not None:
                checks.append(rule_check(f"{kind}_spend_max[{name}]", f"{name} spend", cur, g_spend, "<=", band.max_spend,
                                         exact=(g_exact, exact(band.max_spend))))
            if band.min_creators is not None:
                checks.append(rule_check(f"{kind}_creators_min[{name}]", f"{name} creators", "creators", group_size, ">=",
                                    band.min_creators))
            if band.max_creators is not None:
                checks.append(rule_check(f"{kind}_creators_max[{name}]", f"{name} creators", "creators", group_size, "<=",
                                    band.max_creators))
    cell_counts = (Counter(f"{t}.{p}" for t, p in zip(picked["tier"].tolist(), picked["platform"].tolist(), strict=True)
                           if isinstance(t, str) and isinstance(p, str)) if s.rules.cells else Counter())
    for key, rule in s.rules.cells.items():
        count = int(cell_counts.get(key, 0))
        if rule.lock is not None:
            checks.append(rule_check(f"cell_lock[{key}]", f"{key} locked", "creators", count, "==", rule.lock))
        if rule.min_creators is not None:
            checks.append(rule_check(f"cell_creators_min[{key}]", f"{key} creators", "creators", count, ">=",
                                rule.min_creators))
        if rule.max_creators is not None:
            checks.append(rule_check(f"cell_creators_max[{key}]", f"{key} creators", "creators", count, "<=",
                                rule.max_creators))
    categories = _counts(picked["category"]) if s.roster.categories else Counter()
    for name, rule in s.roster.categories.items():
        count = int(categories.get(name, 0))
        if rule.min_creators is not None:
            checks.append(rule_check(f"category_min[{name}]", f"at least {rule.min_creators} {name} creators", "creators",
                                count, ">=", rule.min_creators))
        if rule.max_creators is not None:
            checks.append(rule_check(f"category_max[{name}]", f"at most {rule.max_creators} {name} creators", "creators",
                                count, "<=", rule.max_creators))
    if s.roster.max_per_overlap_group is not None:
        groups = _counts(picked["overlap_group"])
        groups.pop("", None)
        largest = max(groups.values(), default=0)
        checks.append(rule_check("overlap_groups", f"at most {s.roster.max_per_overlap_group} creators per overlap group",
                            "creators", largest, "<=", s.roster.max_per_overlap_group))
    if posts is not None:
        p = np.asarray(posts)[chosen]
        low, high = s.roster.posts_per_creator, s.roster.max_posts_per_creator or s.roster.posts_per_creator
        outside = int(((p < low) | (p > high)).sum())
        checks.append(rule_check("posts_per_creator", f"{low} to {high} posts per chosen creator", "creators", outside,
                            "==", 0))
    for column, limit in s.roster.resource_caps.items():
        checks.append(resource_check(table, picked, column, "<=", limit))
    for column, floor in s.roster.resource_floors.items():
        checks.append(resource_check(table, picked, column, ">=", floor))
    missing = int((table["must_include"].to_numpy(dtype=bool) & ~chosen).sum())
    checks.append(rule_check("must_include", "every must-include creator chosen", "creators", missing, "==", 0))
    excluded = int((table["exclude"].to_numpy(dtype=bool) & chosen).sum())
    checks.append(rule_check("exclude", "no excluded creator chosen", "creators", excluded, "==", 0))
    return checks
