"""Check a mix against every rule of its scenario, independently of the model builder.

The check reads the scenario and the mix (creators and posts per cell) and recomputes every
rule from the formulas in :mod:`mixopt.scenario.outcomes`. It never looks at the optimisation model,
so a bug in the model shows up here as a broken rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, localcontext
from fractions import Fraction

import pandas as pd

from mixopt.contract import (
    RuleCheck,
    budget_share_checks,
    efficiency_checks,
    rule_check,
)
from mixopt.scenario.cells import Cell
from mixopt.scenario.money import exact
from mixopt.scenario.outcomes import records_of, totals_of
from mixopt.scenario.schema import Scenario

__all__ = ["RuleCheck", "check_mix", "exact_unique_reach"]


def _exact_curve(curve: tuple[tuple[float, float], ...], top: Fraction, linear: Fraction) -> Fraction:
    """The diminishing-returns curve in fractions: segments end at share x top, the last slope continues."""
    value, start = Fraction(0), Fraction(0)
    for index, (share, slope) in enumerate(curve):
        end = Fraction(share) * top if index < len(curve) - 1 else None
        if linear <= start:
            break
        stop = linear if end is None else min(linear, end)
        value += Fraction(slope) * (stop - start)
        if end is None:
            break
        start = end
    return value


def _decimal(x: Fraction) -> Decimal:
    return Decimal(x.numerator) / Decimal(x.denominator)


def exact_unique_reach(cells: tuple[Cell, ...], creators: Mapping[str, int]) -> Decimal:
    """Unique reach of whole creators per cell, recomputed from the formula in exact fractions
    (50 significant digits for the one non-rational power), apart from the model builder and the
    plan's figures: per cell ``min(G, A (1 - (1 - R/A)^(G/R)))`` with ``G`` the summed reach after
    the curve, ``R`` one creator's reach and ``A`` the cell's audience; across platforms
    ``sum - s x (sum - largest)``."""
    with localcontext() as ctx:
        ctx.prec = 50
        by_platform: dict[str, Decimal] = {}
        for cell in cells:
            n = int(creators.get(cell.key, 0))
            per = Fraction(cell.typical_followers) * Fraction(cell.reach_rate)
            top = per * cell.accepting_pool
            gross = _exact_curve(cell.curve, top, per * n) if top > 0 else per * n
            if gross <= 0 or per <= 0:
                value = Decimal(0)
            elif math.isinf(cell.audience):
                value = _decimal(gross)
            else:
                audience = Fraction(cell.audience)
                left = 1 - per / audience
                if left <= 0:
                    value = _decimal(min(gross, audience))
                else:
                    power = _decimal(left) ** _decimal(gross / per)
                    value = min(_decimal(gross), _decimal(audience) * (1 - power))
            by_platform[cell.platform] = by_platform.get(cell.platform, Decimal(0)) + value
        total = sum(by_platform.values(), Decimal(0))
        share = _decimal(Fraction(cells[0].cross_platform_overlap)) if cells else Decimal(0)
        if by_platform and share > 0:
            total -= share * (total - max(by_platform.values()))
        return +total


def check_mix(scenario: Scenario, cells: tuple[Cell, ...], allocation: pd.DataFrame) -> list[RuleCheck]:
    """Evaluate every rule of ``scenario`` on a per-cell allocation table.

    ``allocation`` is the table from :func:`mixopt.outcomes.evaluate_mix`.
    """
    s = scenario
    cur = s.currency
    checks: list[RuleCheck] = []
    records = records_of(allocation)  # plain dicts: much faster than DataFrame row access
    by_key = {f"{row['tier']}.{row['platform']}": row for row in records}
    totals = totals_of(allocation, s.economics)
    # money as exact fractions of the decimals written: the checks hold to half a minor unit at any magnitude
    exact_spend = {cell.key: exact(cell.fee_per_post) * int(round(float(by_key[cell.key]["posts"])))
                   + (exact(cell.product_cost) + exact(cell.handling_cost)) * int(round(float(by_key[cell.key]["creators"])))
                   for cell in cells}
    exact_total = sum(exact_spend.values(), Fraction(0))
    for cell in cells:
        row = by_key[cell.key]
        n, p = float(row["creators"]), float(row["posts"])
        checks.append(rule_check(f"whole_creators[{cell.key}]", f"{cell.key}: whole creators", "creators",
                            abs(n - round(n)), "<=", 0.0))
        checks.append(rule_check(f"whole_posts[{cell.key}]", f"{cell.key}: whole posts", "posts",
                            abs(p - round(p)), "<=", 0.0))
        checks.append(rule_check(f"creators_nonnegative[{cell.key}]", f"{cell.key}: creators not negative",
                            "creators", n, ">=", 0.0))
        checks.append(rule_check(f"posts_min[{cell.key}]", f"{cell.key}: at least one post per creator", "posts",
                            p, ">=", n))
        checks.append(rule_check(f"posts_max[{cell.key}]", f"{cell.key}: at most {cell.max_posts} posts per creator",
                            "posts", p, "<=", cell.max_posts * n))
        checks.append(rule_check(f"pool[{cell.key}]",
                            f"{cell.key}: accepting pool ({cell.pool} on-brief x {cell.acceptance_rate:.0%} accept)",
                            "creators", n, "<=", float(cell.accepting_pool)))
    if s.budget is not None:
        checks.append(rule_check("budget", f"budget ({cur} {s.budget:,.0f})", cur, totals["spend"], "<=", s.budget,
                                  exact=(exact_total, exact(s.budget))))
    for kpi in ("reach", "impressions", "engagements", "conversions", "revenue"):
        floor = getattr(s.targets, kpi)
        if floor:
            checks.append(rule_check(f"target[{kpi}]", f"{kpi} target ({floor:,.0f})", kpi, totals[kpi], ">=", floor))
    if s.targets.unique_reach:
        unique = exact_unique_reach(cells, {key: int(round(float(row["creators"]))) for key, row in by_key.items()})
        checks.append(rule_check("target[unique_reach]", f"unique reach target ({s.targets.unique_reach:,.0f})",
                                 "people", float(unique), ">=", s.targets.unique_reach))
    checks += efficiency_checks(s, totals)
    spend_total = totals["spend"]
    for group, column, bands in (("tier", "tier", s.rules.tiers), ("platform", "platform", s.rules.platforms)):
        for name, band in bands.items():
            part = [r for r in records if r[column] == name]
            spend = float(sum(r["spend"] for r in part))
            money = sum((exact_spend[f"{r['tier']}.{r['platform']}"] for r in part), Fraction(0))
            count = float(sum(r["creators"] for r in part))
            if band.min_spend_share is not None:
                checks.append(rule_check(f"{group}_spend_share_min[{name}]",
                                    f"{name} at least {band.min_spend_share:.0%} of spend", cur,
                                    spend, ">=", band.min_spend_share * spend_total,
                                    exact=(money, exact(band.min_spend_share) * exact_total)))
            if band.max_spend_share is not None:
                checks.append(rule_check(f"{group}_spend_share_max[{name}]",
                                    f"{name} at most {band.max_spend_share:.0%} of spend", cur,
                                    spend, "<=", band.max_spend_share * spend_total,
                                    exact=(money, exact(band.max_spend_share) * exact_total)))
            if s.budget is not None:
                checks += budget_share_checks(group, name, band, s.budget, cur, spend, money)
            if band.min_spend is not None:
                checks.append(rule_check(f"{group}_spend_min[{name}]", f"{name} spend at least {band.min_spend:,.0f}",
                                    cur, spend, ">=", band.min_spend, exact=(money, exact(band.min_spend))))
            if band.max_spend is not None:
                checks.append(rule_check(f"{group}_spend_max[{name}]", f"{name} spend at most {band.max_spend:,.0f}",
                                    cur, spend, "<=", band.max_spend, exact=(money, exact(band.max_spend))))
            if band.min_creators is not None:
                checks.append(rule_check(f"{group}_creators_min[{name}]", f"{name} at least {band.min_creators} creators",
                                    "creators", count, ">=", band.min_creators))
            if band.max_creators is not None:
                checks.append(rule_check(f"{group}_creators_max[{name}]", f"{name} at most {band.max_creators} creators",
                                    "creators", count, "<=", band.max_creators))
    if s.rules.max_creators is not None:
        checks.append(rule_check("team_capacity", f"team capacity ({s.rules.max_creators} creators)", "creators",
                            totals["creators"], "<=", s.rules.max_creators))
    for key, rule in s.rules.cells.items():
        if key not in by_key:
            continue
        n = float(by_key[key]["creators"])
        if rule.lock is not None:
            checks.append(rule_check(f"cell_lock[{key}]", f"{key} locked at {rule.lock} creators", "creators",
                                n, "==", rule.lock))
        if rule.min_creators is not None:
            checks.append(rule_check(f"cell_creators_min[{key}]", f"{key} at least {rule.min_creators} creators",
                                "creators", n, ">=", rule.min_creators))
        if rule.max_creators is not None:
            checks.append(rule_check(f"cell_creators_max[{key}]", f"{key} at most {rule.max_creators} creators",
                                "creators", n, "<=", rule.max_creators))
        if rule.min_if_used is not None:
            # either none, or at least N: the distance to the nearer allowed side
            value = n if n < rule.min_if_used else rule.min_if_used
            limit = 0.0 if n < rule.min_if_used else rule.min_if_used
            sense = "<=" if n < rule.min_if_used else ">="
            checks.append(rule_check(f"cell_min_if_used[{key}]", f"{key}: none or at least {rule.min_if_used} creators",
                                "creators", value if sense == "<=" else n, sense, limit))
    return checks
