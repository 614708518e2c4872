"""Planner words for workbook headers and the kind of number each column holds.

CSV and JSON files keep the snake_case codes (``expected_signed``); a workbook shows the
planner's words ("Expected to sign") and lists both in its Data dictionary. The kind of a
column decides its number format (see ``outputs/sheets.py``): whole counts, money in the
scenario's currency, shares as percentages, years without a thousands separator.
"""

from __future__ import annotations

__all__ = ["KINDS", "HEADERS", "header_of", "kind_of", "objective_kind", "money_header"]

#: Every kind of cell a workbook writes, with what it looks like.
KINDS = {
    "text": "text, as written",
    "count": "whole number with thousands separators: 1,250",
    "year": "whole number, no separator: 2026",
    "money": "money in the scenario's currency, 2 decimals: 31,980.00 USD",
    "measure": "whole number with thousands separators (people, views, engagements): 250,230",
    "decimal1": "one decimal: 738.3",
    "decimal2": "two decimals: 53.20",
    "number": "up to four decimals: 0.4109",
    "percent": "percentage, one decimal: 45.0%",
    "gap": "percentage, three decimals: 0.100%",
    "ratio": "ratio, two decimals: 1.19",
    "score": "three decimals: 0.947",
    "yesno": "yes or no",
}

#: Column code -> (planner header, kind).
HEADERS: dict[str, tuple[str, str]] = {
    # plan tables
    "tier": ("Tier", "text"),
    "platform": ("Platform", "text"),
    "creators": ("Creators", "count"),
    "posts": ("Posts", "count"),
    "posts_per_creator": ("Creators x posts", "text"),
    "invites": ("Invites", "count"),
    "expected_signed": ("Expected to sign", "decimal2"),
    "spend": ("Spend", "money"),
    "fees": ("Fees", "money"),
    "product_cost": ("Product cost", "money"),
    "handling_cost": ("Handling cost", "money"),
    "reach": ("Reach (people)", "measure"),
    "impressions": ("Impressions", "measure"),
    "unique_reach": ("Unique reach (people)", "measure"),
    "frequency": ("Frequency (views per person)", "decimal2"),
    "engagements": ("Engagements", "measure"),
    "conversions": ("Conversions", "decimal1"),
    "revenue": ("Revenue", "money"),
    "commission": ("Commission", "money"),
    "profit": ("Profit", "money"),
    "roi": ("ROI", "ratio"),
    "cpe": ("Cost per engagement", "money"),
    "cpa": ("Cost per conversion", "money"),
    "cpm_reach": ("Cost per 1,000 reached", "money"),
    "budget": ("Budget", "money"),
    # sweeps and frontiers
    "field": ("Field swept", "text"),
    "value": ("Value", "number"),
    "status": ("Status", "text"),
    "objective": ("Goal", "text"),
    "objective_value": ("Best goal value", "number"),
    "marginal_per_1000": ("Goal change per 1,000 more", "number"),
    "slope_to_next_point": ("Goal change per unit to the next point", "number"),
    "gap": ("Gap to the proven best", "gap"),
    "floor": ("Floor", "measure"),
    # comparisons
    "section": ("Section", "text"),
    "item": ("Item", "text"),
    "scenario": ("Plan", "text"),
    # assumptions
    "parameter": ("Assumption", "text"),
    "low": ("Low (P10)", "number"),
    "base": ("Planning value", "number"),
    "high": ("High (P90)", "number"),
    "unit": ("Unit", "text"),
    "denominator": ("Per", "text"),
    "set_by": ("Set by", "text"),
    "source": ("Source", "text"),
    "year": ("Year", "year"),
    "grade": ("Grade", "text"),
    # rules and marginal values
    "rule": ("Rule code", "text"),
    "label": ("Rule", "text"),
    "one more unit": ("One more unit", "text"),
    "change of objective": ("Change of the goal", "number"),
    "explanation": ("What it is worth", "text"),
    "sense": ("Sense", "text"),
    "limit": ("Limit", "decimal2"),
    "slack": ("Room left", "decimal2"),
    "holds": ("Holds", "yesno"),
    # roster mode
    "id": ("Creator id", "text"),
    "followers": ("Followers", "count"),
    "category": ("Category", "text"),
    "country": ("Country", "text"),
    "overlap_group": ("Audience overlap group", "text"),
    "fee_per_post": ("Fee per post", "money"),
    "fit_score": ("Fit score", "score"),
    "acceptance_rate": ("Acceptance rate", "percent"),
    "must_include": ("Must include", "yesno"),
    "filled_from_defaults": ("Filled from tier defaults", "text"),
    "for_id": ("Replaces creator", "text"),
    "rank": ("Reserve rank", "count"),
    "spend_change": ("Spend change", "money"),
    "objective_change": ("Goal change", "number"),
    "checked": ("Rules re-checked", "yesno"),
    "note": ("Note", "text"),
    "change": ("Change", "text"),
    "why": ("Why", "text"),
    # data dictionary
    "sheet": ("Sheet", "text"),
    "column": ("Column", "text"),
    "code": ("Code", "text"),
    "meaning": ("Meaning", "text"),
}

_MONEY_GOALS = {"spend", "revenue", "profit", "commission", "fees"}


def objective_kind(objective: str) -> str:
    """The kind of a goal's value: money for spend, revenue and profit; a count-like measure for
    reach, impressions and engagements; one decimal for conversions."""
    return HEADERS.get(objective, ("", "number"))[1] if objective not in _MONEY_GOALS else "money"


def money_header(header: str, currency: str) -> str:
    """``Spend`` -> ``Spend (USD)``."""
    return f"{header} ({currency})" if currency else header


def _title(code: str) -> str:
    return HEADERS[code][0] if code in HEADERS else code.replace("_", " ").replace(".", " ").strip().capitalize()


def header_of(code: str) -> str:
    """The planner header of a column code, derived columns included: ``creators_nano`` -> "Nano
    creators", ``conversions_best_possible`` -> "Best possible conversions",
    ``conversions_given_up_per_million_reach`` -> "Conversions given up per 1M more reach"."""
    if code in HEADERS:
        return HEADERS[code][0]
    if code.startswith("creators_"):
        return f"{code[len('creators_'):].capitalize()} creators"
    if code.endswith("_best_possible"):
        return f"Best possible {_title(code[: -len('_best_possible')]).lower()}"
    if "_given_up_per_million_" in code:
        y, x = code.split("_given_up_per_million_", 1)
        return f"{_title(y)} given up per 1M more {_title(x).lower()}"
    return code


def kind_of(code: str) -> str:
    """The kind of number a column holds (``KINDS``); unknown columns are plain numbers."""
    if code in HEADERS:
        return HEADERS[code][1]
    if code.startswith("creators_"):
        return "count"
    if code.endswith("_best_possible"):
        return objective_kind(code[: -len("_best_possible")])
    return "number"
