"""What a mix of creators delivers and costs, computed directly from the formulas.

This module never looks at the optimisation model: the plan's figures and the independent
constraint check both come from here, so a mistake in the model builder shows up as a
disagreement instead of being copied into the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from mixopt.scenario.cells import Cell, Curve
from mixopt.scenario.schema import Economics

__all__ = [
    "apply_curve", "unique_within_cell", "unique_by_cell", "evaluate_mix", "totals_of", "ALLOCATION_COLUMNS", "PostsGroup", "split_posts", "posts_splits",
    "posts_split_text",
]

#: Column order of every per-cell table mixopt reports.
ALLOCATION_COLUMNS = (
    "tier",
    "platform",
    "creators",
    "posts",
    "invites",
    "expected_signed",
    "spend",
    "fees",
    "product_cost",
    "handling_cost",
    "reach",
    "impressions",
    "unique_reach",
    "frequency",
    "engagements",
    "conversions",
    "revenue",
    "commission",
    "cpe",
    "cpa",
)


def apply_curve(curve: Curve, max_linear: float, linear: float) -> float:
    """Diminishing returns: the delivered value of a linear value ``linear``.

    ``curve`` lists (end share, slope) segments over shares of ``max_linear``; the last slope
    continues past its end share.
    """
    if max_linear <= 0 or linear <= 0:
        return max(linear, 0.0) if max_linear <= 0 else 0.0
    value = 0.0
    start = 0.0
    for index, (end_share, slope) in enumerate(curve):
        end = end_share * max_linear if index < len(curve) - 1 else math.inf
        if linear <= start:
            break
        value += slope * (min(linear, end) - start)
        start = end
    return value


def unique_within_cell(gross: float, per_creator: float, audience: float) -> float:
    """Unique people a cell's creators reach together, from their summed reach ``gross``.

    Random duplication within the cell's niche audience (Sainsbury): ``x`` creators who each reach
    ``R = per_creator`` of an audience ``A`` reach ``A (1 - (1 - R/A)^x)`` people. ``x`` is the
    summed reach after diminishing returns in typical creators, ``gross / R`` (``n`` creators
    when no curve bends it), and the result never exceeds ``gross``. Concave and increasing in
    ``gross``, so concave in a cell's creators; ``audience`` inf means no overlap (``gross``);
    a creator who alone reaches ``A`` or more reaches the whole audience.
    """
    if gross <= 0 or per_creator <= 0:
        return 0.0
    if math.isinf(audience):
        return gross
    share = per_creator / audience
    if share >= 1.0:
        return min(gross, audience)
    return min(gross, -audience * math.expm1((gross / per_creator) * math.log1p(-share)))


def unique_by_cell(cells: tuple[Cell, ...], within: list[float]) -> list[float]:
    """Each cell's new people after the overlap across platforms, from its unique reach ``within``.

    A share ``s`` (``audience.cross_platform_overlap``) of the people reached on every platform
    other than the plan's largest (most unique people; the first in platform order on a tie) are
    already reached on the largest, so the campaign reaches ``sum - s x (sum - largest)`` people;
    the cells of the other platforms are credited ``(1 - s)`` of theirs.
    """
    share = cells[0].cross_platform_overlap if cells else 0.0
    if share <= 0:
        return list(within)
    by_platform: dict[str, float] = {}
    for cell, value in zip(cells, within):
        by_platform[cell.platform] = by_platform.get(cell.platform, 0.0) + value
    largest = max(by_platform.values())
    first = next(p for p, v in by_platform.items() if v == largest)
    return [value if cell.platform == first else (1.0 - share) * value for cell, value in zip(cells, within)]


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def evaluate_mix(
    cells: tuple[Cell, ...],
    creators: Mapping[str, int],
    posts: Mapping[str, int],
    economics: Economics,
) -> pd.DataFrame:
    """Per-cell creators, posts, spend and outcomes of a mix, in ``ALLOCATION_COLUMNS`` order.

    ``creators`` and ``posts`` are keyed by cell key (``nano.tiktok``); missing cells are 0.

    ``unique_reach`` is the people each cell adds after audience overlap (``unique_within_cell``
    within the cell, ``unique_by_cell`` across platforms) and ``frequency`` impressions per such person.

    Every figure depends only on a cell's creators and its total posts (reach on creators; fees,
    impressions, engagements and conversions on posts; product and handling on creators), never
    on how the posts are shared among the creators: the same holds in tier/model.py. So
    ``split_posts`` can share them out after the solve without changing any figure.
    """
    aov = economics.average_order_value or 0.0
    rows = []
    gross = [apply_curve(c.curve, c.max_linear("reach"), c.reach_per_creator * int(creators.get(c.key, 0))) for c in cells]
    within = [unique_within_cell(g, c.reach_per_creator, c.audience) for c, g in zip(cells, gross)]
    unique = unique_by_cell(cells, within)
    for cell, unique_reach in zip(cells, unique):
        n = int(creators.get(cell.key, 0))
        p = int(posts.get(cell.key, 0))
        fees = cell.fee_per_post * p
        product = cell.product_cost * n
        handling = cell.handling_cost * n
        spend = fees + product + handling
        reach = apply_curve(cell.curve, cell.max_linear("reach"), cell.reach_per_creator * n)
        impressions = apply_curve(cell.curve, cell.max_linear("impressions"), cell.impressions_per_post * p)
        engagements = apply_curve(cell.curve, cell.max_linear("engagements"), cell.engagements_per_post * p)
        conversions = apply_curve(cell.curve, cell.max_linear("conversions"), cell.conversions_per_post * p)
        invites = math.ceil(n / cell.acceptance_rate - 1e-9) if n > 0 else 0
        rows.append(
            {
                "tier": cell.tier,
                "platform": cell.platform,
                "creators": n,
                "posts": p,
                "invites": invites,
                "expected_signed": invites * cell.acceptance_rate,
                "spend": spend,
                "fees": fees,
                "product_cost": product,
                "handling_cost": handling,
                "reach": reach,
                "impressions": impressions,
                "unique_reach": unique_reach,
                "frequency": _ratio(impressions, unique_reach),
                "engagements": engagements,
                "conversions": conversions,
                "revenue": aov * conversions,
                "commission": economics.commission_per_conversion * conversions,
                "cpe": _ratio(spend, engagements),
                "cpa": _ratio(spend, conversions),
            }
        )
    return pd.DataFrame(rows, columns=list(ALLOCATION_COLUMNS))


def _sum(column: pd.Series) -> float:
    values = column.to_numpy()
    # np.nansum is what pandas' Series.sum does on numbers (NaN as 0, numpy's summation), far cheaper
    return float(np.nansum(values)) if values.dtype.kind in "biuf" else float(column.sum())


_SUMMED = ("creators", "posts", "invites", "expected_signed", "spend", "fees", "product_cost",
           "handling_cost", "reach", "impressions", "engagements", "conversions", "revenue", "commission")


def _sums(table: pd.DataFrame, names: tuple[str, ...]) -> dict[str, float]:
    """Column sums as ``_sum`` gives them, from one block of numbers (each column summed on its
    own contiguous row, so numpy adds exactly as on the column alone)."""
    try:
        block = np.ascontiguousarray(table[list(names)].to_numpy(dtype=float).T)
    except (TypeError, ValueError):
        return {name: _sum(table[name]) for name in names}
    return {name: float(np.nansum(block[i])) for i, name in enumerate(names)}


def totals_of(allocation: pd.DataFrame, economics: Economics) -> dict[str, float]:
    """Campaign totals and ratios (ROI, CPA, CPE) of a per-cell table."""
    sums = _sums(allocation, _SUMMED)
    # a table without unique reach (a roster plan's) counts its summed reach
    unique = allocation["unique_reach"] if "unique_reach" in allocation else None
    sums["unique_reach"] = _sum(unique) if unique is not None and unique.notna().any() else sums["reach"]
    sums["frequency"] = _ratio(sums["impressions"], sums["unique_reach"])
    has_money = economics.average_order_value is not None
    profit = (
        economics.margin_rate * sums["revenue"] - sums["commission"] - sums["spend"] if has_money else math.nan
    )
    sums["profit"] = profit
    sums["roi"] = _ratio(profit, sums["spend"]) if has_money else math.nan
    sums["cpa"] = _ratio(sums["spend"], sums["conversions"])
    sums["cpe"] = _ratio(sums["spend"], sums["engagements"])
    sums["cpm_reach"] = _ratio(1000 * sums["spend"], sums["reach"])
    return sums


def records_of(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a table as plain dicts, as ``table.to_dict("records")`` gives them (Python
    scalars), column by column instead of pandas' row-by-row access."""
    names = list(table.columns)
    return [dict(zip(names, row)) for row in table.to_numpy(dtype=object).tolist()]


class PostsGroup(NamedTuple):
    """``creators`` creators in a cell who each make ``posts_each`` posts."""

    creators: int
    posts_each: int


def split_posts(creators: int, posts: int) -> tuple[PostsGroup, ...]:
    """The most even way to share a cell's ``posts`` among its ``creators``, most posts first.

    With q = posts // creators and r = posts % creators: r creators make q + 1 posts and the
    other creators - r make q (one group when r is 0). No other split has a smaller largest or
    a larger smallest number of posts per creator, so one with every creator at 1..max_posts
    posts exists exactly when creators <= posts <= max_posts x creators (the rules the plan is
    checked against), and then this is one. A mix that breaks those rules (a planner's own mix
    may) shows it: 25 creators and 10 posts give 10x1 + 15x0. No creators: no groups.
    """
    if creators < 0 or posts < 0:
        raise ValueError(f"creators and posts must not be negative (got {creators} creators, {posts} posts)")
    if creators == 0:
        return ()
    each, extra = divmod(posts, creators)
    groups = [PostsGroup(extra, each + 1), PostsGroup(creators - extra, each)]
    return tuple(g for g in groups if g.creators > 0)


def posts_splits(allocation: pd.DataFrame) -> list[tuple[PostsGroup, ...]]:
    """``split_posts`` of every row of a per-cell table, in row order (from its creators and posts)."""
    return [
        split_posts(round(float(n)), round(float(p)))
        for n, p in zip(allocation["creators"], allocation["posts"])
    ]


def posts_split_text(groups: tuple[PostsGroup, ...], joiner: str = " + ") -> str:
    """A split as planner text, ``36x3 + 1x2`` (creators x posts each); empty for no creators."""
    return joiner.join(f"{g.creators}x{g.posts_each}" for g in groups)
