"""Resolve the numbers of every (tier, platform) cell: defaults, then scenario overrides.

Precedence, lowest first: built-in default, tier-wide override (``nano:``), platform-wide
override (``tiktok:``), cell override (``nano.tiktok:``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mixopt.scenario.defaults import DEFAULT_CURVE, default_value
from mixopt.scenario.money import MONEY_PARAMETERS, USD, round_money
from mixopt.scenario.schema import PARAMETERS, CellAssumptions, Scenario

__all__ = ["Cell", "Curve", "resolve_cells", "cell_key", "override_keys"]

Curve = tuple[tuple[float, float], ...]


def cell_key(tier: str, platform: str) -> str:
    """The planner-facing name of a cell, e.g. ``nano.tiktok``."""
    return f"{tier}.{platform}"


def override_keys(tier: str, platform: str) -> tuple[str, str, str]:
    """Assumption keys that apply to a cell, lowest precedence first."""
    return (tier, platform, cell_key(tier, platform))


@dataclass(frozen=True)
class Cell:
    """Everything the model needs about one cell, in the formulation's units."""

    tier: str
    platform: str
    typical_followers: float
    reach_rate: float
    engagement_rate: float  # per follower per post, after converting a views-based rate
    conversion_rate: float  # conversions per engagement
    fee_per_post: float
    product_cost: float
    handling_cost: float
    acceptance_rate: float
    pool: int
    max_posts: int
    curve: Curve
    ranges: dict[str, tuple[float, float, float]] = field(default_factory=dict, compare=False)
    origins: dict[str, str] = field(default_factory=dict, compare=False)
    engagement_rate_per: str = "followers"
    currency: str = "USD"  # the unit of fee_per_post, product_cost and handling_cost
    fx_per_usd: float | None = None  # the rate the built-in USD money defaults were converted at (None: not converted)
    #: People in the cell's niche audience: the unique reach of its creators tends to this (inf: no overlap).
    audience: float = math.inf
    audience_origin: str = "overlap off"
    #: Share of the people reached on a platform other than the plan's largest also reached on the largest.
    cross_platform_overlap: float = 0.0

    @property
    def key(self) -> str:
        """Planner-facing name, e.g. ``nano.tiktok``."""
        return cell_key(self.tier, self.platform)

    @property
    def accepting_pool(self) -> int:
        """Creators who would say yes if all of the pool were invited: floor(a * pool)."""
        return math.floor(self.acceptance_rate * self.pool + 1e-9)

    @property
    def cost_per_creator(self) -> float:
        """Product plus handling, paid once per signed creator."""
        return self.product_cost + self.handling_cost

    @property
    def reach_per_creator(self) -> float:
        return self.typical_followers * self.reach_rate

    @property
    def impressions_per_post(self) -> float:
        return self.typical_followers * self.reach_rate

    @property
    def engagements_per_post(self) -> float:
        return self.typical_followers * self.engagement_rate

    @property
    def conversions_per_post(self) -> float:
        return self.typical_followers * self.engagement_rate * self.conversion_rate

    def max_linear(self, kpi: str) -> float:
        """The cell's largest possible linear value of a KPI: its whole accepting pool posting
        the maximum. Curve breakpoints are shares of this."""
        creators = self.accepting_pool
        posts = creators * self.max_posts
        if kpi == "reach":
            return self.reach_per_creator * creators
        if kpi == "impressions":
            return self.impressions_per_post * posts
        if kpi == "engagements":
            return self.engagements_per_post * posts
        if kpi == "conversions":
            return self.conversions_per_post * posts
        raise ValueError(f"no curve for {kpi}")


def _pick(scenario: Scenario, tier: str, platform: str, name: str) -> tuple[object, str]:
    """The most specific override of ``name`` for a cell and where it came from."""
    found: tuple[object, str] = (None, "default")
    for key in override_keys(tier, platform):
        block: CellAssumptions | None = scenario.assumptions.get(key)
        if block is not None and getattr(block, name) is not None:
            found = (getattr(block, name), f"scenario ({key})")
    return found


#: Pairwise reach duplication used for a cell with no built-in default and no override.
FALLBACK_AUDIENCE_OVERLAP = 0.02


def _audience(scenario: Scenario, tier: str, platform: str, per_creator: float) -> tuple[float, str]:
    """The cell's niche audience (people) and where it came from.

    The most specific key wins; at one key ``audience`` (people) wins over ``audience_overlap`` (a
    share, converted as audience = reach per creator / overlap, Sainsbury's random duplication).
    ``audience: {overlap: false}`` gives inf (unique reach = summed reach).
    """
    if not scenario.audience.overlap:
        return math.inf, "overlap off"
    default = default_value(tier, platform, "audience_overlap")
    share = default.base if default is not None else FALLBACK_AUDIENCE_OVERLAP
    people: float | None = None
    origin = "default"
    for key in override_keys(tier, platform):
        block: CellAssumptions | None = scenario.assumptions.get(key)
        if block is None:
            continue
        if block.audience is not None:
            people, origin = float(block.audience), f"scenario ({key})"
        elif block.audience_overlap is not None:
            people, share, origin = None, float(block.audience_overlap), f"scenario ({key})"
    return (people if people is not None else per_creator / share), origin


def resolve_cells(scenario: Scenario) -> tuple[Cell, ...]:
    """Every cell of the scenario with its resolved numbers, in the fixed report order.

    Assumes the scenario passed :func:`mixopt.checks.check_scenario`, which guarantees a
    value exists for every parameter of every cell.
    """
    cells = []
    # Built-in money defaults are USD: another currency converts them at fx_per_usd, to its minor unit.
    converts = scenario.currency != USD and scenario.fx_per_usd is not None
    rate = float(scenario.fx_per_usd or 1.0)
    for tier, platform in scenario.cells:
        values: dict[str, float] = {}
        ranges: dict[str, tuple[float, float, float]] = {}
        origins: dict[str, str] = {}
        for name in PARAMETERS:
            override, origin = _pick(scenario, tier, platform, name)
            default = default_value(tier, platform, name)
            if override is not None:
                base = override.base  # type: ignore[attr-defined]
                low = override.low if override.low is not None else base  # type: ignore[attr-defined]
                high = override.high if override.high is not None else base  # type: ignore[attr-defined]
            else:
                assert default is not None, f"checks let {tier}.{platform}.{name} through"
                base, low, high = default.base, default.low, default.high
                if name in MONEY_PARAMETERS and converts:
                    base, low, high = (round_money(v * rate, scenario.currency) for v in (base, low, high))
            values[name] = base
            ranges[name] = (low, base, high)
            origins[name] = origin
            origins[name] = scenario.calibrated_values.get(f"{cell_key(tier, platform)}.{name}", origin)
        per, _ = _pick(scenario, tier, platform, "engagement_rate_per")
        if per is None:
            default = default_value(tier, platform, "engagement_rate")
            per = "views" if default is not None and default.denominator == "views" else "followers"
            if origins["engagement_rate"] != "default":
                per = "followers"
        engagement = values["engagement_rate"] * (values["reach_rate"] if per == "views" else 1.0)
        curve, _ = _pick(scenario, tier, platform, "diminishing_returns")
        if curve is None:
            curve = scenario.diminishing_returns
        if curve is None:
            curve = DEFAULT_CURVE
        elif curve == "none":
            curve = ((1.0, 1.0),)
        audience, audience_origin = _audience(scenario, tier, platform,
                                              values["typical_followers"] * values["reach_rate"])
        cells.append(
            Cell(
                tier=tier,
                platform=platform,
                typical_followers=values["typical_followers"],
                reach_rate=values["reach_rate"],
                engagement_rate=engagement,
                conversion_rate=values["conversion_rate"],
                fee_per_post=values["fee_per_post"],
                product_cost=values["product_cost"],
                handling_cost=values["handling_cost"],
                acceptance_rate=values["acceptance_rate"],
                pool=int(round(values["pool"])),
                max_posts=int(round(values["max_posts"])),
                curve=tuple((float(a), float(b)) for a, b in curve),  # type: ignore[union-attr]
                ranges=ranges,
                origins=origins,
                engagement_rate_per=str(per),
                currency=scenario.currency,
                fx_per_usd=rate if converts else None,
                audience=audience,
                audience_origin=audience_origin,
                cross_platform_overlap=scenario.audience.cross_platform_overlap if scenario.audience.overlap else 0.0,
            )
        )
    return tuple(cells)
