"""The columns of every per-cell plan table: name, unit, meaning and rounding."""

from __future__ import annotations

import pandas as pd

from mixopt.scenario.outcomes import posts_split_text, posts_splits

__all__ = ["COLUMNS", "TOTAL_KEYS", "TOTAL_DOCS", "plan_table"]


#: Every column of plan.csv: (name, unit, meaning, decimals; -1 for text).
COLUMNS: tuple[tuple[str, str, str, int], ...] = (
    ("tier", "", "creator tier (follower band)", -1),
    ("platform", "", "social platform", -1),
    ("creators", "creators", "creators to sign in this cell", 0),
    ("posts", "posts", "sponsored posts in total across those creators", 0),
    ("posts_per_creator", "creators x posts", ("how many creators make each number of posts, e.g. 36x3 + 1x2: 36 creators "
                                               "with 3 posts each and 1 with 2 (the most even split; empty when unused)"), -1),
    ("invites", "creators", "creators to invite so that, at the acceptance rate, enough sign: ceil(creators / acceptance_rate)", 0),
    ("expected_signed", "creators", "creators expected to sign from those invites: invites x acceptance_rate", 2),
    ("spend", "currency", "media budget used: fees + product_cost + handling_cost", 2),
    ("fees", "currency", "fees: fee_per_post x posts", 2),
    ("product_cost", "currency", "product / gifting: product_cost per creator x creators", 2),
    ("handling_cost", "currency", "internal handling: handling_cost per creator x creators", 2),
    ("reach", "people", ("people reached, summed creator by creator (gross reach: followers x reach_rate x creators, "
                         "after diminishing returns); unique_reach counts each person once"), 1),
    ("impressions", "views", "post views: followers x reach_rate x posts, after diminishing returns", 1),
    ("unique_reach", "people", ("people reached at least once, after audience overlap: within a cell audience x (1 - (1 - "
                                "reach per creator / audience)^creators), across platforms less cross_platform_overlap of "
                                "those also reached on the largest platform (equals reach with audience: {overlap: false})"), 1),
    ("frequency", "views per person", "impressions / unique_reach: how often each person reached sees a post "
                                      "(empty when no one is reached)", 2),
    ("engagements", "engagements", "likes, comments, shares, saves: followers x engagement_rate x posts, after diminishing returns", 1),
    ("conversions", "conversions", "purchases: engagements x conversion_rate", 2),
    ("revenue", "currency", "conversions x average_order_value (0 when no order value is given)", 2),
    ("commission", "currency", "affiliate commission paid out of sales: conversions x commission_per_conversion (not in spend)", 2),
    ("cpe", "currency per engagement", "cost per engagement: spend / engagements (empty when 0 engagements)", 4),
    ("cpa", "currency per conversion", "cost per acquisition: spend / conversions (empty when 0 conversions)", 4),
)

TOTAL_KEYS = (
    "creators", "posts", "invites", "expected_signed", "spend", "fees", "product_cost", "handling_cost", "reach",
    "impressions", "unique_reach", "frequency", "engagements", "conversions", "revenue", "commission", "profit", "roi",
    "cpe", "cpa", "cpm_reach",
)

#: Meaning of each total in plan.json / the Summary sheet.
TOTAL_DOCS = {
    "profit": ("currency", "margin_rate x revenue - commission - spend"),
    "roi": ("ratio", "return on investment: profit / spend"),
    "cpm_reach": ("currency per 1,000 people", "spend per 1,000 people reached"),
    "unique_reach": ("people", "people reached at least once, after audience overlap within cells and across platforms"),
    "frequency": ("views per person", "impressions / unique_reach"),
}


def plan_table(allocation: pd.DataFrame) -> pd.DataFrame:
    """A per-cell allocation as the plan table, in ``COLUMNS`` order: the allocation's columns plus
    ``posts_per_creator``, the text of each cell's posts split (computed from its creators and posts)."""
    table = allocation.copy()
    table["posts_per_creator"] = [posts_split_text(groups) for groups in posts_splits(allocation)]
    return table[[c[0] for c in COLUMNS]]
