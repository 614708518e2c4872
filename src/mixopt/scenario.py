"""Scenario files: YAML in, a validated, immutable ``Scenario`` out.

Structure is checked here (types, ranges, unknown keys with a "did you mean" hint);
meaning across fields (names that must exist, bands that must be consistent) is checked
in :mod:`mixopt.checks`. Both gates report every problem at once.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mixopt.errors import Issue, ScenarioError, format_value
from mixopt.yamlio import RawScenario, read_scenario_yaml

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
    "Economics",
    "Objective",
    "SolverSettings",
    "SweepSettings",
    "CategoryRule",
    "RosterSettings",
    "BaselineCell",
    "Scenario",
    "load_scenario",
    "scenario_from_dict",
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


class BandRules(_Model):
    """Spend and creator bands for one tier or one platform."""

    min_spend_share: Share | None = None
    max_spend_share: Share | None = None
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


class Economics(_Model):
    """Money per conversion: needed for revenue, profit and ROI."""

    average_order_value: NonNeg | None = None
    margin_rate: Share = 1.0
    commission_per_conversion: NonNeg = 0.0


class Objective(_Model):
    """What to optimise: ``maximize: <kpi>`` or ``minimize: spend``."""

    maximize: Literal["reach", "impressions", "engagements", "conversions", "revenue", "profit", "value",
                      "column"] | None = None
    minimize: Literal["spend"] | None = None
    value_per_unit: dict[Literal["reach", "impressions", "engagements", "conversions"], NonNeg] | None = None
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


class CategoryRule(_Model):
    """Roster mode: how many creators of one category (niche) the plan must or may hold."""

    min_creators: Count | None = None
    max_creators: Count | None = None


class RosterSettings(_Model):
    """Roster mode: choose named creators from a creator table (CSV or XLSX)."""

    file: str = Field(description="creator table, relative to the scenario file")
    skip_bad_rows: bool = False
    posts_per_creator: Annotated[int, Field(strict=True, ge=1, le=100)] = 1
    max_posts_per_creator: Annotated[int, Field(strict=True, ge=1, le=100)] | None = None
    categories: dict[str, CategoryRule] = Field(default_factory=dict)
    max_per_overlap_group: Count | None = None
    resource_caps: dict[str, NonNeg] = Field(default_factory=dict)
    reserves_per_tier: Count | None = None
    mip_gap: Annotated[float, Field(strict=True, ge=0, le=1)] = 0.001


class BaselineCell(_Model):
    """A planner's own mix for one cell, evaluated beside the optimised plan."""

    creators: Count
    posts: Count | None = None


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
    budget: NonNeg | None = None
    objective: Objective = Objective(maximize="reach")
    targets: Targets = Targets()
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
    # Provenance, filled by load_scenario (not read from YAML keys of the same name).
    source_file: str = Field("(python)", exclude=True)
    content_hash: str = Field("", exclude=True)
    roster_path: str = Field("", exclude=True)  # roster.file resolved against the file that set it

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


# ---------------------------------------------------------------- error translation

#: A typical value per field, used in the "How to fix" part of messages.
_EXAMPLES = {
    "budget": "50000", "typical_followers": "5000", "reach_rate": "0.2", "engagement_rate": "0.03",
    "conversion_rate": "0.02", "fee_per_post": "150", "product_cost": "20", "handling_cost": "10",
    "acceptance_rate": "0.4", "pool": "200", "max_posts": "3", "average_order_value": "45", "margin_rate": "0.6",
    "commission_per_conversion": "5", "min_spend_share": "0.2", "max_spend_share": "0.6", "min_spend": "5000",
    "max_spend": "20000", "min_creators": "5", "max_creators": "40", "lock": "10", "min_if_used": "5",
    "creators": "10", "posts": "20", "reach": "1000000", "impressions": "2000000", "engagements": "50000",
    "conversions": "500", "revenue": "25000", "time_limit_s": "60", "mip_gap": "0.001",
    "file": "creators.csv", "values": "'10000:100000:5000'", "field": "budget", "column": "fit_score",
    "posts_per_creator": "1", "max_posts_per_creator": "3", "max_per_overlap_group": "2", "reserves_per_tier": "5",
}
#: Fields written as a fraction between 0 and 1.
_FRACTIONS = {"engagement_rate", "conversion_rate", "acceptance_rate", "margin_rate", "min_spend_share",
              "max_spend_share", "mip_gap"}
#: What each block looks like, for "must be 'key: value' entries" messages.
_BLOCK_EXAMPLES: dict[type, str] = {
    Objective: "{maximize: reach}",
    Targets: "{reach: 1000000}",
    Economics: "{average_order_value: 45}",
    Rules: "{max_creators: 40}",
    BandRules: "{max_spend_share: 0.5}",
    CellRules: "{min_creators: 5}",
    CellAssumptions: "{fee_per_post: 150}",
    BaselineCell: "{creators: 10, posts: 20}",
    SolverSettings: "{name: highs}",
    SweepSettings: "{field: budget, values: '10000:100000:5000'}",
    RosterSettings: "{file: creators.csv}",
    CategoryRule: "{min_creators: 5}",
}
#: Fixed wording for fields with a closed set of choices.
_CHOICE_FIXES = {
    "maximize": "Choose one of reach, impressions, engagements, conversions, revenue, profit, value "
                "(or column, in roster mode)",
    "minimize": "The only thing mixopt minimises is spend: write 'minimize: spend'",
    "engagement_rate_per": "Write 'followers' or 'views'",
    "solver.name": "Choose highs or cbc",
}
_NUMBER_TYPES = {"float_type", "float_parsing", "int_type", "int_parsing", "int_from_float", "finite_number",
                 "bool_type"}
_MAPPING_TYPES = {"dict_type", "model_type", "model_attributes_type"}


def _example(loc: tuple[Any, ...]) -> str:
    names = [str(p) for p in loc if not isinstance(p, int)]
    if "value_per_unit" in names:
        return "0.02"
    for name in reversed(names):
        if name in _EXAMPLES:
            return _EXAMPLES[name]
    return "1"


def _field_name(loc: tuple[Any, ...]) -> str:
    return next((str(p) for p in reversed(loc) if not isinstance(p, int)), "value")


def _plain(number: float) -> str:
    return format_value(float(number))


def _is_fraction(loc: tuple[Any, ...]) -> bool:
    """True for shares and rates (written as fractions, or per follower for reach_rate)."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    name = names[-2] if len(names) > 1 and names[-1] in ("base", "low", "high") else (names[-1] if names else "")
    return name in _FRACTIONS or name.endswith("_rate")


def _number_fix(loc: tuple[Any, ...], value: Any, whole: bool) -> str:
    """How to write a number, tailored to what the planner wrote instead."""
    field = _field_name(loc)
    example = _example(loc)
    if isinstance(value, str):
        text = value.strip()
        cleaned = text.replace(",", "").replace("_", "").replace(" ", "").lstrip("$€£").rstrip("$€£")
        if text.endswith("%"):
            try:
                share = float(cleaned[:-1]) / 100
            except ValueError:
                pass
            else:
                if not _is_fraction(loc):
                    return f"Write an amount, not a percentage, e.g. '{field}: {example}'"
                return f"Write the percentage as a fraction without %, e.g. '{field}: {_plain(share)}'"
        if cleaned[-1:].lower() in ("k", "m") and cleaned[:-1]:
            try:
                scaled = float(cleaned[:-1]) * (1_000 if cleaned[-1].lower() == "k" else 1_000_000)
            except ValueError:
                pass
            else:
                return f"Write the number in full, e.g. '{field}: {_plain(scaled)}'"
        try:
            number = float(cleaned)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            if cleaned != text:
                return f"Write the number without quotes, commas or currency signs, e.g. '{field}: {_plain(number)}'"
            if "e" in text.lower():
                return f"Write the number out in full, e.g. '{field}: {_plain(number)}' (YAML reads {text} as text)"
            return f"Remove the quotes, e.g. '{field}: {text}'"
    if whole:
        return f"Write a whole number, e.g. '{field}: {example}'"
    if _is_fraction(loc):
        return f"Write it as a fraction, e.g. '{field}: {example}' for {float(example):.0%}"
    return f"Write a plain number, e.g. '{field}: {example}'"


def _bound_problem_and_fix(kind: str, ctx: dict[str, Any], loc: tuple[Any, ...], value: Any) -> tuple[str, str]:
    field = _field_name(loc)
    example = _example(loc)
    if kind == "greater_than_equal":
        limit = ctx.get("ge")
        if limit == 0:
            return "must not be negative", f"Use 0 or more, e.g. '{field}: {example}'"
        return f"must be at least {_plain(limit)}", f"Use {_plain(limit)} or more"
    if kind == "greater_than":
        limit = ctx.get("gt")
        return f"must be above {_plain(limit)}", f"Use a value above {_plain(limit)}, e.g. '{field}: {example}'"
    limit = ctx.get("le", ctx.get("lt"))
    if limit == 1:
        if isinstance(value, (int, float)) and 1 < value <= 100:
            return "must be at most 1", f"Write it as a fraction: for {value:g}%, write {_plain(value / 100)}"
        return "must be at most 1", f"Write it as a fraction, e.g. '{field}: {example}' for {float(example):.0%}"
    return f"must be at most {_plain(limit)}", f"Use {_plain(limit)} or less"


def _annotation_at(loc: tuple[Any, ...]) -> Any:
    """The declared type at a location of the scenario (None when unknown)."""
    annotation: Any = Scenario
    for part in loc:
        found = None
        for kind in _unwrap(annotation):
            if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(part, str):
                field = kind.model_fields.get(part)
                if field is not None:
                    found = field.annotation
                    break
            elif typing.get_origin(kind) is dict:
                found = typing.get_args(kind)[1]
                break
            elif typing.get_origin(kind) is tuple and isinstance(part, int):
                found = typing.get_args(kind)[0]
                break
        if found is None:
            return None
        annotation = found
    return annotation


#: What a mapping of named entries looks like, by its path.
_NAMED_BLOCK_EXAMPLES = {
    "tiers": "{nano: [1000, 10000], micro: [10000, 100000]}",
    "assumptions": "{nano: {fee_per_post: 150}}",
    "rules.tiers": "{micro: {max_spend_share: 0.6}}",
    "rules.platforms": "{youtube: {max_spend_share: 0.3}}",
    "rules.cells": "{nano.tiktok: {min_if_used: 5}}",
    "baseline": "{nano.instagram: {creators: 10, posts: 20}}",
    "objective.value_per_unit": "{reach: 0.02, conversions: 30}",
}


def _block_example(loc: tuple[Any, ...]) -> str:
    named = _NAMED_BLOCK_EXAMPLES.get(_path_text(loc))
    if named is not None:
        return named
    for kind in _unwrap(_annotation_at(loc)):
        if isinstance(kind, type) and kind in _BLOCK_EXAMPLES:
            return _BLOCK_EXAMPLES[kind]
    return "{name: value}"


def _is_assumption(loc: tuple[Any, ...]) -> bool:
    return len(loc) == 3 and loc[0] == "assumptions" and loc[2] in PARAMETERS


def _collapse(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
    """Report a follower band or a curve once, as a whole, instead of per inner number."""
    if len(loc) >= 2 and loc[0] == "tiers":
        return loc[:2], "band"
    for end, part in enumerate(loc):
        if part == "diminishing_returns" and len(loc) > end + 1:
            return loc[: end + 1], "curve"
    if loc and loc[-1] == "diminishing_returns":
        return loc, "curve"
    return loc, None


def _translate(item: dict[str, Any], loc: tuple[Any, ...], value: Any) -> tuple[str, str, bool]:
    """Problem, fix, and whether to quote the value, for one pydantic error."""
    kind = item["type"]
    ctx = item.get("ctx", {})
    field = _field_name(loc)
    collapsed, group = _collapse(loc)
    if group == "band":
        tier = str(collapsed[1])
        low, high = DEFAULT_TIERS.get(tier, (1_000.0, 10_000.0))
        return ("must be [lower, upper] follower counts", f"Write e.g. '{tier}: [{_plain(low)}, {_plain(high)}]'",
                True)
    if group == "curve":
        return ("must be 'none' or a list of [end_share, slope] pairs",
                "Write e.g. [[0.25, 1.0], [0.5, 0.8], [1.0, 0.6]], or 'none' for no diminishing returns", True)
    if kind == "missing":
        return "is required", f"Add '{field}: {_example(loc)}'", False
    if value is None:
        if _block_example(loc) != "{name: value}" and kind in _MAPPING_TYPES:
            return "is empty", f"Fill it in, e.g. '{field}: {_block_example(loc)}', or remove the line", False
        return "is empty", f"Fill in a value, e.g. '{field}: {_example(loc)}', or remove the line", False
    if kind in _NUMBER_TYPES or (_is_assumption(loc) and kind in _MAPPING_TYPES):
        whole = kind.startswith("int")
        if kind == "finite_number":
            return "must be a finite number", f"Write a plain number, e.g. '{field}: {_example(loc)}'", True
        return ("must be a whole number" if whole else "must be a number"), _number_fix(loc, value, whole), True
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        problem, fix = _bound_problem_and_fix(kind, ctx, loc, value)
        return problem, fix, True
    if kind == "literal_error":
        fix = _CHOICE_FIXES.get(_path_text(loc)) or _CHOICE_FIXES.get(field) or f"Choose one of {ctx.get('expected')}"
        return "is not one of the choices", fix, True
    if kind == "string_type":
        if loc and isinstance(loc[-1], int):
            return "must be a name", f"Write names as text, e.g. '{field}: [instagram, tiktok]'", True
        return "must be text", f"Put it in quotes, e.g. '{field}: \"{value}\"'", True
    if kind in _MAPPING_TYPES:
        return "must be 'key: value' entries", f"Write e.g. '{field}: {_block_example(loc)}'", True
    if kind in ("tuple_type", "list_type"):
        if field == "platforms":
            return "must be a list", "Write e.g. 'platforms: [instagram, tiktok]'", True
        return "must be a list", f"Write '{field}: [...]' with the entries in square brackets", True
    return str(item["msg"]).rstrip(".").lower(), "See the scenario reference in the README", True


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional / Union / Annotated."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _unknown_keys(raw: Any, annotation: Any, path: tuple[str, ...], found: list[tuple]) -> None:
    """Find keys that no field accepts, with the valid names at that place."""
    for kind in _unwrap(annotation):
        if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(raw, dict):
            fields = kind.model_fields
            accepted = [n for n, f in fields.items() if not f.exclude]
            for key, value in raw.items():
                if key not in accepted:
                    found.append(((*path, str(key)), str(key), accepted, value))
                else:
                    _unknown_keys(value, fields[key].annotation, (*path, str(key)), found)
            return
        if typing.get_origin(kind) is dict and isinstance(raw, dict):
            value_type = typing.get_args(kind)[1]
            for key, value in raw.items():
                _unknown_keys(value, value_type, (*path, str(key)), found)
            return


def _path_text(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "(file)"


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, (list, tuple)) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[tuple[Any, ...], bool]:
    """Drop pydantic's internal union / validator labels from an error location.

    Also tells whether the error is about a mapping's key (pydantic's ``[key]`` label).
    """
    out: list[Any] = []
    node = data
    about_key = False
    for part in loc:
        if part == "[key]":
            about_key = True
            break
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, (list, tuple)) and isinstance(part, int):
            out.append(part)
            node = node[part] if part < len(node) else None
        elif isinstance(node, (int, float)) and part == "base":
            continue  # a bare number written for an assumption
        elif node is None or isinstance(node, dict):
            out.append(part)  # a missing field
            node = None
        # anything else is a union-member label such as 'float' or 'function-before'
    return tuple(out), about_key


def _key_issue(raw: RawScenario, loc: tuple[Any, ...]) -> Issue:
    path = ".".join(str(p) for p in loc)  # every part is a mapping key here
    key = loc[-1] if loc else None
    if len(loc) >= 2 and loc[-2] == "value_per_unit":
        return Issue(raw.origin_of(tuple(str(p) for p in loc)), path, "is not a KPI that can be valued",
                     "Use reach, impressions, engagements or conversions (revenue is conversions x "
                     "average_order_value)", key)
    return Issue(raw.origin_of(tuple(str(p) for p in loc)), path, "a name must be text",
                 f"Put the name in quotes, e.g. '\"{key}\":'", key)


def _validation_issues(raw: RawScenario, err: ValidationError) -> tuple[list[Issue], list[tuple[Any, ...]]]:
    """Issues for pydantic's errors, and the locations they concern."""
    issues: dict[str, Issue] = {}
    locations: list[tuple[Any, ...]] = []
    for item in err.errors():
        loc, about_key = _clean_loc(tuple(item["loc"]), raw.data)
        kind = item["type"]
        if not about_key:
            loc, _ = _collapse(loc)
        locations.append(loc)
        if kind in ("extra_forbidden", "invalid_key"):
            continue  # reported with a hint by _unknown_keys
        path = _path_text(loc)
        if path in issues or any(path.startswith((p + ".", p + "[")) for p in issues):
            continue  # one message per field (unions report each member)
        if about_key:
            issues[path] = _key_issue(raw, loc)
            continue
        value = _value_at(raw.data, loc)
        problem, fix, quote = _translate(item, loc, value)
        extra: dict[str, Any] = {"value": value} if quote else {}
        issues[path] = Issue(raw.origin_of(tuple(str(p) for p in loc)), path, problem, fix, **extra)
    return list(issues.values()), locations


def _looks_like_cell_name(key: str) -> bool:
    """A tier, a platform or a tier.platform cell written where a scenario field belongs."""
    from mixopt.defaults import known_platforms, known_tiers

    names = set(known_tiers()) | set(known_platforms())
    return key.lower() in names or (key.count(".") == 1 and all(p.lower() in names for p in key.split(".")))


def _unknown_key_issues(raw: RawScenario) -> tuple[list[Issue], list[str]]:
    """Issues for unknown keys, and the paths the planner probably meant."""
    found: list[tuple] = []
    _unknown_keys(raw.data, Scenario, (), found)
    issues = []
    meant = []
    for path, key, accepted, _value in found:
        close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.6)
        if len(path) == 1 and _looks_like_cell_name(key):
            fix = (f"Put it under 'assumptions:' (numbers) or 'rules: {{tiers: ...}}' (limits), "
                   f"e.g. 'assumptions: {{{key}: ...}}'")
            meant.append(f"assumptions.{key}")
        elif close:
            fix = f"Did you mean '{close[0]}'?"
            meant.append(".".join((*path[:-1], close[0])))
        else:
            fix = "Valid keys here: " + ", ".join(accepted)
        issues.append(Issue(raw.origin_of(path), ".".join(path), "unknown key", fix))
    return issues, meant


def _related(a: str, b: str) -> bool:
    """True when one field path is the other or lies inside it."""
    short, long = sorted((a, b), key=len)
    return long == short or long.startswith((short + ".", short + "["))


def _without(data: dict[str, Any], locations: list[tuple[Any, ...]]) -> dict[str, Any] | None:
    """A copy of ``data`` without the values at ``locations`` (None if that is not possible)."""
    copy = _deep_copy(data)
    for loc in locations:
        keys = list(loc)
        while keys and isinstance(keys[-1], int):
            keys.pop()  # drop the whole list the bad entry is in
        if not keys:
            return None
        node = copy
        for part in keys[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(keys[-1], None)
    return copy


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data


#: Structural problems here change what the rest of the scenario means, so the meaning
#: checks wait until they are fixed.
_SHAPING_FIELDS = ("tiers", "platforms", "objective")


def _meaning_issues_despite(raw: RawScenario, locations: list[tuple[Any, ...]], meant: list[str],
                            reported: list[Issue]) -> list[Issue]:
    """Meaning problems elsewhere in a scenario that also has structural problems.

    The values with structural problems are set aside (as if not written); meaning problems
    about them, or about anything they shape, are left for the next run.
    """
    if any(i.path == "extends" or i.path == "(file)" or i.path.startswith("line ") for i in raw.issues):
        return []  # the scenario is incomplete: a base could not be read
    if any(loc and loc[0] in _SHAPING_FIELDS for loc in locations):
        return []
    pruned = _without(raw.data, locations)
    if pruned is None:
        return []
    from mixopt.checks import check_scenario

    try:
        scenario = Scenario.model_validate({**pruned, "source_file": raw.file, "content_hash": raw.content_hash})
    except ValidationError:
        return []
    set_aside = [_path_text(loc) for loc in locations] + meant + [i.path for i in reported]
    return [i for i in check_scenario(scenario, raw) if not any(_related(i.path, p) for p in set_aside)]


def scenario_from_raw(raw: RawScenario) -> Scenario:
    """Validate merged YAML data into a ``Scenario`` (structure, then meaning).

    Every problem is collected and raised together as one ``ScenarioError``.
    """
    from mixopt.checks import check_scenario  # checks imports Scenario, so import here

    issues = list(raw.issues)
    unknown, meant = _unknown_key_issues(raw)
    issues.extend(unknown)
    data = dict(raw.data)
    scenario: Scenario | None = None
    locations: list[tuple[Any, ...]] = []
    try:
        scenario = Scenario.model_validate({**data, "source_file": raw.file, "content_hash": raw.content_hash})
    except ValidationError as err:
        structural, locations = _validation_issues(raw, err)
        issues.extend(structural)
    if issues:
        issues.extend(_meaning_issues_despite(raw, locations, meant, issues))
        raise ScenarioError(issues)
    assert scenario is not None
    if scenario.roster is not None:
        written = Path(scenario.roster.file)
        if not written.is_absolute():
            written = Path(raw.origin_of(("roster", "file"))).parent / written
        scenario = scenario.model_copy(update={"roster_path": str(written)})
    problems = check_scenario(scenario, raw)
    if problems:
        raise ScenarioError(problems)
    return scenario


def scenario_from_dict(data: dict[str, Any], file: str = "(python)") -> Scenario:
    """Validate a scenario given as a Python dict (as a notebook would), with the same checks."""
    import hashlib
    import json

    def text_keys(value: Any) -> Any:  # json cannot sort keys of mixed types (a planner's 5: next to 'x':)
        if isinstance(value, dict):
            return {str(k): text_keys(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [text_keys(v) for v in value]
        return value

    digest = hashlib.sha256(json.dumps(text_keys(data), sort_keys=True, default=str).encode()).hexdigest()
    return scenario_from_raw(RawScenario(data=dict(data), origins={}, file=file, content_hash=digest))


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends:``) and validate a scenario file.

    Raises
    ------
    ScenarioError
        With one line per problem, naming the file, the field, the value and a fix.

    Examples
    --------
    >>> from mixopt import load_scenario
    >>> s = load_scenario("scenarios/hand_solvable.yaml")  # doctest: +SKIP
    >>> s.budget  # doctest: +SKIP
    1000.0
    """
    return scenario_from_raw(read_scenario_yaml(path, strict=False))
