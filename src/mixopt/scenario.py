"""Scenario files: YAML in, a validated, immutable ``Scenario`` out.

Structure is checked here (types, ranges, unknown keys with a "did you mean" hint);
meaning across fields (names that must exist, bands that must be consistent) is checked
in :mod:`mixopt.checks`. Both gates report every problem at once.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mixopt.errors import Issue, ScenarioError
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

Number = Annotated[float, Field(strict=True)]
NonNeg = Annotated[float, Field(strict=True, ge=0)]
Share = Annotated[float, Field(strict=True, ge=0, le=1)]
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

    maximize: Literal["reach", "impressions", "engagements", "conversions", "revenue", "profit", "value"] | None = None
    minimize: Literal["spend"] | None = None
    value_per_unit: dict[Literal["reach", "impressions", "engagements", "conversions"], NonNeg] | None = None

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
    # Provenance, filled by load_scenario (not read from YAML keys of the same name).
    source_file: str = Field("(python)", exclude=True)
    content_hash: str = Field("", exclude=True)

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

_FIX_BY_FIELD = {
    "budget": "Give the media budget as a plain number of currency units, e.g. 'budget: 50000'",
    "max_creators": "Give a whole number of creators, e.g. 40",
    "min_creators": "Give a whole number of creators, e.g. 5",
    "lock": "Give the exact whole number of creators to sign in this cell",
    "min_if_used": "Give the smallest worthwhile number of creators, e.g. 5",
    "margin_rate": "Write the share of revenue kept as a fraction between 0 and 1, e.g. 0.6",
    "mip_gap": "Write the relative gap as a fraction, e.g. 0.001 for 0.1%",
    "time_limit_s": "Give the solver time limit in seconds, e.g. 60",
    "engagement_rate_per": "Write 'followers' or 'views'",
    "maximize": "Choose one of reach, impressions, engagements, conversions, revenue, profit, value",
    "minimize": "The only thing to minimise is 'spend'",
}


def _fix_for(field: str, err_type: str, ctx: dict[str, Any]) -> str:
    if field in _FIX_BY_FIELD and err_type not in ("greater_than_equal", "less_than_equal"):
        return _FIX_BY_FIELD[field]
    if err_type in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        if err_type.startswith("int"):
            return f"Write {field} as a whole number without quotes"
        return f"Write {field} as a plain number without quotes or %, e.g. 0.05 for 5%"
    if err_type == "greater_than_equal":
        return f"Use a value of at least {ctx.get('ge')}"
    if err_type == "greater_than":
        return f"Use a value above {ctx.get('gt')}"
    if err_type == "less_than_equal":
        if ctx.get("le") == 1:
            return "Write it as a fraction between 0 and 1, e.g. 0.25 for 25%"
        return f"Use a value of at most {ctx.get('le')}"
    if err_type == "literal_error":
        return f"Choose one of {ctx.get('expected')}"
    if err_type in ("dict_type", "model_type", "model_attributes_type"):
        return f"Write {field} as indented 'key: value' lines"
    if err_type in ("tuple_type", "list_type"):
        return f"Write {field} as a list, e.g. [a, b]"
    if err_type == "string_type":
        return f"Write {field} as text"
    if err_type == "missing":
        return f"Add {field}"
    return "See the scenario reference in the README"


_PROBLEM_BY_TYPE = {
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "missing": "is required",
    "string_type": "must be text",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
}


def _problem(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx", {})
    if kind in _PROBLEM_BY_TYPE:
        return _PROBLEM_BY_TYPE[kind]
    if kind == "greater_than_equal":
        return f"must be >= {ctx.get('ge')}"
    if kind == "greater_than":
        return f"must be > {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"must be <= {ctx.get('le')}"
    if kind == "literal_error":
        return "is not one of the allowed choices"
    return err["msg"].rstrip(".").lower()


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


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop pydantic's internal union / validator labels from an error location."""
    out: list[Any] = []
    node = data
    for part in loc:
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
    return tuple(out)


def _validation_issues(raw: RawScenario, err: ValidationError) -> list[Issue]:
    issues: dict[str, Issue] = {}
    for item in err.errors():
        loc = _clean_loc(tuple(item["loc"]), raw.data)
        path = _path_text(loc)
        if path in issues:
            continue  # one message per field (unions report each member)
        field = next((str(p) for p in reversed(loc) if not isinstance(p, int)), "value")
        value = _value_at(raw.data, loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            continue  # reported with a hint by _unknown_keys
        issue_args: dict[str, Any] = {}
        if kind != "missing":
            issue_args["value"] = value
        issues[path] = Issue(
            raw.origin_of(tuple(str(p) for p in loc)),
            path,
            _problem(item),
            _fix_for(field, kind, item.get("ctx", {})),
            **issue_args,
        )
    return list(issues.values())


def _unknown_key_issues(raw: RawScenario) -> list[Issue]:
    found: list[tuple] = []
    _unknown_keys(raw.data, Scenario, (), found)
    issues = []
    for path, key, accepted, _value in found:
        close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.6)
        fix = f"Did you mean '{close[0]}'?" if close else "Valid keys here: " + ", ".join(accepted)
        issues.append(Issue(raw.origin_of(path), ".".join(path), "unknown key", fix))
    return issues


def scenario_from_raw(raw: RawScenario) -> Scenario:
    """Validate merged YAML data into a ``Scenario`` (structure, then meaning)."""
    from mixopt.checks import check_scenario  # checks imports Scenario, so import here

    issues = _unknown_key_issues(raw)
    data = {k: v for k, v in raw.data.items()}
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(
            {**data, "source_file": raw.file, "content_hash": raw.content_hash}
        )
    except ValidationError as err:
        issues.extend(_validation_issues(raw, err))
    if issues:
        raise ScenarioError(issues)
    assert scenario is not None
    problems = check_scenario(scenario, raw)
    if problems:
        raise ScenarioError(problems)
    return scenario


def scenario_from_dict(data: dict[str, Any], file: str = "(python)") -> Scenario:
    """Validate a scenario given as a Python dict (as a notebook would), with the same checks."""
    import hashlib
    import json

    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
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
    return scenario_from_raw(read_scenario_yaml(path))
