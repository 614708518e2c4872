"""The scenario schema: every field a scenario file may set, its type and range (pydantic models)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

__all__ = [
    "KPIS",
    "MAX_KPIS",
    "PARAMETERS",
    "Assumption",
    "CellAssumptions",
    "BandRules",
    "CellRules",
    "Rules",
    "Targets",
    "Limits",
    "Economics",
    "Objective",
    "SolverSettings",
    "SweepSettings",
    "CategoryRule",
    "RosterSettings",
    "BaselineCell",
    "AssumptionsFile",
    "Scenario",
    "AudienceSettings",
]

#: Outcomes a plan produces, in report order.
KPIS = ("reach", "impressions", "engagements", "conversions", "revenue")
#: What a scenario can maximise.
MAX_KPIS = ("reach", "impressions", "engagements", "conversions", "revenue", "profit", "value")
#: Per-cell assumptions, in the defaults table's order.
PARAMETERS = (
    "typical_followers",
    "reach_rate",
    "engagement_rate",
    "conversion_rate",
    "fee_per_post",
    "product_cost",
    "handling_cost",
    "acceptance_rate",
    "pool",
    "max_posts",
)

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True, ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Assumption(_Model):
    """One assumption: a planning (base) value and optionally its 10th/90th percentiles."""

    base: NonNeg
    low: NonNeg | None = None
    high: NonNeg | None = None
    #: Written by ``mixopt calibrate``: P10 / P90 of the cell average (low / high are then the spread
    #: of one creator). The plan model reads base, low and high only.
    mean_low: NonNeg | None = None
    mean_high: NonNeg | None = None

    @model_validator(mode="before")
    @classmethod
    def _number_is_base(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"base": value}
        return value


class CellAssumptions(_Model):
    """Overrides of the built-in defaults for one tier, one platform, or one cell."""

    typical_followers: Assumption | None = None
    reach_rate: Assumption | None = None
    engagement_rate: Assumption | None = None
    engagement_rate_per: Literal["followers", "views"] | None = None
    conversion_rate: Assumption | None = None
    fee_per_post: Assumption | None = None
    product_cost: Assumption | None = None
    handling_cost: Assumption | None = None
    acceptance_rate: Assumption | None = None
    pool: Assumption | None = None
    max_posts: Assumption | None = None
    diminishing_returns: tuple[tuple[Number, Number], ...] | None = None
    #: Clicks per engagement, written by ``mixopt calibrate`` when the results have clicks (reported,
    #: not used by the plan model).
    click_rate: Assumption | None = None
    #: Unique reach: people in the cell's niche audience (the most its creators can reach together), or
    #: the share of one creator's reached people that another creator of the cell also reaches.
    audience: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = Field(
        None, description="people in this cell's niche audience: unique reach of its creators tends to this")
    audience_overlap: Annotated[float, Field(strict=True, gt=0, le=1, allow_inf_nan=False)] | None = Field(
        None, description="share of one creator's reached people another creator of the cell also reaches "
                          "(audience = followers x reach_rate / audience_overlap)")


class BandRules(_Model):
    """Spend and creator bands for one tier or one platform."""

    min_spend_share: Share | None = None  # share of the plan's actual spend
    max_spend_share: Share | None = None
    min_budget_share: Share | None = None  # share of the budget (a fixed denominator)
    max_budget_share: Share | None = None
    min_spend: NonNeg | None = None
    max_spend: NonNeg | None = None
    min_creators: Count | None = None
    max_creators: Count | None = None


class CellRules(_Model):
    """Rules for one (tier, platform) cell."""

    min_creators: Count | None = None
    max_creators: Count | None = None
    lock: Count | None = None
    min_if_used: Count | None = None


class Rules(_Model):
    """Business rules in planner language."""

    max_creators: Count | None = Field(None, description="team capacity: creators managed at once")
    tiers: dict[str, BandRules] = Field(default_factory=dict)
    platforms: dict[str, BandRules] = Field(default_factory=dict)
    cells: dict[str, CellRules] = Field(default_factory=dict)


class Targets(_Model):
    """Minimum outcomes the plan must deliver."""

    reach: NonNeg | None = None
    impressions: NonNeg | None = None
    engagements: NonNeg | None = None
    conversions: NonNeg | None = None
    revenue: NonNeg | None = None
    unique_reach: NonNeg | None = Field(None, description="people reached at least once, after audience overlap")
    profit: Number | None = Field(None, description="profit at least this (currency; may be negative: a loss cap)")
    roi: Annotated[float, Field(strict=True, ge=-1, allow_inf_nan=False)] | None = Field(
        None, description="ROI (profit / spend) at least this, e.g. 0.3")


class Limits(_Model):
    """Efficiency ceilings, each a linear rule: spend <= cpa x conversions, and so on."""

    cpa: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = Field(
        None, description="cost per conversion at most this (currency)")
    cpe: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = Field(
        None, description="cost per engagement at most this (currency)")
    cpm: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = Field(
        None, description="cost per 1,000 impressions at most this (currency)")


class Economics(_Model):
    """Money per conversion: needed for revenue, profit and ROI."""

    average_order_value: NonNeg | None = None
    margin_rate: Share = 1.0
    commission_per_conversion: NonNeg = 0.0


class Objective(_Model):
    """What to optimise: ``maximize: <kpi>`` or ``minimize: spend``."""

    maximize: Literal["reach", "impressions", "engagements", "conversions", "revenue", "profit", "value",
                      "column", "unique_reach"] | None = None
    minimize: Literal["spend"] | None = None
    value_per_unit: dict[Literal["reach", "impressions", "engagements", "conversions", "revenue", "profit",
                                 "unique_reach"], NonNeg] | None = None
    column: str | None = Field(None, description="roster mode: the creator-table column that 'maximize: column' sums")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"minimize": "spend"} if value == "min_spend" else {"maximize": value}
        return value


class SolverSettings(_Model):
    """How to solve (the command line can override these)."""

    name: Literal["highs", "cbc"] = "highs"
    time_limit_s: Annotated[float, Field(strict=True, gt=0)] | None = None
    mip_gap: Annotated[float, Field(strict=True, ge=0, le=1)] = 0.0


class SweepSettings(_Model):
    """A sweep declared in the scenario file (``mixopt sweep`` runs it when no option overrides it)."""

    field: str = "budget"
    values: str | tuple[Number, ...] = Field(description="'start:stop:step' or a list of values")


class SimulationSettings(_Model):
    """How ``mixopt simulate`` draws outcomes (what is uncertain, and what moves together)."""

    uncertain_costs: bool = Field(False, description="draw fees, product and handling costs from their ranges "
                                                     "(default: contracted costs are known)")
    shared_share: Share = Field(
        0.5, description="share of each performance range that is the uncertainty of the tier average, shared "
                         "by every creator of a tier and platform (the rest is creator-to-creator spread)")
    platform_correlation: Share = Field(
        0.3, description="correlation of the tier averages of one platform (a platform-wide shock)")


#: Default share of the people a plan reaches on each platform other than its largest who are also
#: reached on the largest (one Agostini-style duplication constant; a planning assumption).
DEFAULT_CROSS_PLATFORM_OVERLAP = 0.1


class AudienceSettings(_Model):
    """Unique reach: how the audiences of creators overlap (``audience: {overlap: false}`` turns it off)."""

    overlap: Annotated[bool, Field(strict=True)] = Field(
        True, description="model audience overlap (false: unique reach is the summed reach, as 'reach')")
    cross_platform_overlap: Share = Field(
        DEFAULT_CROSS_PLATFORM_OVERLAP,
        description="share of the people reached on each platform other than the largest who are also reached on "
                    "the largest: unique = sum - share x (sum - largest)")


class CategoryRule(_Model):
    """Roster mode: how many creators of one category (niche) the plan must or may hold."""

    min_creators: Count | None = None
    max_creators: Count | None = None


class RosterSettings(_Model):
    """Roster mode: choose named creators from a creator table (CSV, XLSX or Parquet)."""

    file: str = Field(description="creator table, relative to the scenario file")
    skip_bad_rows: bool = False
    posts_per_creator: Annotated[int, Field(strict=True, ge=1, le=100)] = 1
    max_posts_per_creator: Annotated[int, Field(strict=True, ge=1, le=100)] | None = None
    categories: dict[str, CategoryRule] = Field(default_factory=dict)
    max_per_overlap_group: Count | None = None
    resource_caps: dict[str, NonNeg] = Field(default_factory=dict)
    resource_floors: dict[str, NonNeg] = Field(default_factory=dict)
    reserves_per_tier: Count | None = None
    mip_gap: Annotated[float, Field(strict=True, ge=0, le=1)] = 0.001
    decimal: Literal[".", ","] | None = Field(
        None, description="decimal mark of numbers written as text in the creator table (default: '.', or ',' "
                          "detected in a semicolon table whose number columns are written with commas)")
    delimiter: Literal[",", ";", "\t", "tab", "|"] | None = Field(
        None, description="CSV: the mark between columns (default: ',', or ';' / tab when the header row has one "
                          "of them and no comma)")
    sheet: str | None = Field(
        None, description="XLSX: the sheet of creators (default: the first sheet whose first row has id, platform "
                          "and followers)")
    partitions: Annotated[int, Field(strict=True, ge=1, le=100_000)] | None = Field(
        None, description="Parquet creator tables: solve the roster over this many partitions (whole row groups), "
                          "each priced on its own, so the whole table is never held at once")


class BaselineCell(_Model):
    """A planner's own mix for one cell, evaluated beside the optimised plan."""

    creators: Count
    posts: Count | None = None


class AssumptionsFile(_Model):
    """A calibrated.yaml written by ``mixopt calibrate``: cell assumptions learnt from past results."""

    grade: Literal["calibrated"] = "calibrated"
    tiers: dict[str, tuple[NonNeg, NonNeg]] = Field(default_factory=dict)
    assumptions: dict[str, CellAssumptions] = Field(default_factory=dict)


DEFAULT_TIERS: dict[str, tuple[float, float]] = {
    "pico": (0.0, 1_000.0),
    "nano": (1_000.0, 10_000.0),
    "micro": (10_000.0, 100_000.0),
}
DEFAULT_PLATFORMS = ("instagram", "tiktok", "youtube")


class Scenario(_Model):
    """A validated campaign scenario. Build one with :func:`load_scenario`."""

    name: str = "scenario"
    description: str = ""
    currency: str = "USD"
    fx_per_usd: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = Field(
        None, description="units of the scenario's currency per US dollar: converts the built-in USD money defaults")
    budget: NonNeg | None = None
    objective: Objective = Objective(maximize="reach")
    targets: Targets = Targets()
    limits: Limits = Limits()
    economics: Economics = Economics()
    platforms: tuple[str, ...] = DEFAULT_PLATFORMS
    tiers: dict[str, tuple[NonNeg, NonNeg]] = Field(default_factory=lambda: dict(DEFAULT_TIERS))
    assumptions: dict[str, CellAssumptions] = Field(default_factory=dict)
    diminishing_returns: tuple[tuple[Number, Number], ...] | Literal["none"] | None = None
    rules: Rules = Rules()
    baseline: dict[str, BaselineCell] = Field(default_factory=dict)
    solver: SolverSettings = SolverSettings()
    sweep: SweepSettings | None = None
    roster: RosterSettings | None = None
    assumptions_from: str | None = Field(None, description="a calibrated.yaml from 'mixopt calibrate': a layer "
                                         "between the built-in defaults and this scenario's own assumptions")
    simulation: SimulationSettings = SimulationSettings()
    audience: AudienceSettings = AudienceSettings()
    # Provenance, filled by load_scenario (not read from YAML keys of the same name).
    source_file: str = Field("(python)", exclude=True)
    content_hash: str = Field("", exclude=True)
    roster_path: str = Field("", exclude=True)  # roster.file resolved against the file that set it
    calibrated_values: dict[str, str] = Field(default_factory=dict, exclude=True)  # 'cell.parameter' -> layer

    @field_validator("platforms", mode="before")
    @classmethod
    def _lower_platforms(cls, value: Any) -> Any:
        if isinstance(value, list):
            return tuple(v.lower() if isinstance(v, str) else v for v in value)
        return value

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Tiers in ascending follower order."""
        return tuple(sorted(self.tiers, key=lambda t: self.tiers[t][0]))

    @property
    def cells(self) -> tuple[tuple[str, str], ...]:
        """Every (tier, platform) cell in the fixed report order."""
        return tuple((t, p) for t in self.tier_names for p in self.platforms)
