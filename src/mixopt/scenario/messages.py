"""Pydantic's validation errors in planner words: one line per problem, naming the field, the value and a fix."""

from __future__ import annotations

import difflib
import math
import types
import typing
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    ValidationError,
)

from mixopt.errors import Issue, format_value
from mixopt.scenario.reading import RawScenario
from mixopt.scenario.schema import (
    DEFAULT_TIERS,
    PARAMETERS,
    BandRules,
    BaselineCell,
    CategoryRule,
    CellAssumptions,
    CellRules,
    Economics,
    Objective,
    RosterSettings,
    Rules,
    Scenario,
    SolverSettings,
    SweepSettings,
    Targets,
)

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
    "audience": "50000", "audience_overlap": "0.02", "unique_reach": "500000", "cross_platform_overlap": "0.1",
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
    "maximize": "Choose one of reach, unique_reach, impressions, engagements, conversions, revenue, profit, value "
                "(or column, in roster mode)",
    "minimize": "The only thing mixopt minimises is spend: write 'minimize: spend'",
    "engagement_rate_per": "Write 'followers' or 'views'",
    "solver.name": "Choose highs or cbc",
    "roster.decimal": "Write 'decimal: \",\"' for decimal commas (264,04) or 'decimal: \".\"' for decimal points",
    "roster.delimiter": "Write 'delimiter: \";\"' (or \",\", \"|\", or tab) for the mark between the table's columns",
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


def _in_full(number: float) -> str | None:
    """``number`` in plain digits (1e13 as 10000000000000), or None when that would be absurdly long."""
    if not 1e-9 <= abs(number) < 1e20:
        return None
    if number.is_integer():
        return f"{number:.0f}"
    return f"{number:.12f}".rstrip("0")


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
                if share > 1:  # 120%: no share or rate is above the whole
                    return (f"A share or rate cannot be above 100%: write it as a fraction of 1, e.g. "
                            f"'{field}: {example}' for {float(example):.0%}")
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
            if not cleaned.isascii():  # Python reads full-width and other scripts' digits as numbers; YAML does not
                return f"Type the number with the digits 0-9, e.g. '{field}: {_plain(number)}'"
            if cleaned != text:
                return f"Write the number without quotes, commas or currency signs, e.g. '{field}: {_plain(number)}'"
            if "e" in text.lower():
                full = _in_full(number)
                if full is None:
                    return f"Write a plain number, e.g. '{field}: {_example(loc)}' (YAML reads {text} as text)"
                return f"Write the number out in full, e.g. '{field}: {full}' (YAML reads {text} as text)"
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
            return "must be at most 1", (f"Write it as a fraction of 1 (1 is 100%, the most it can be): for "
                                         f"{value:g}%, write {_plain(value / 100)}")
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
    if kind == "tier_mode_only":
        return (f"a roster plan cannot use {ctx.get('what')} (unique reach is modelled in tier mode)",
                "Maximise or floor reach in roster mode (overlap groups cap how many of a group are picked), "
                "or remove the roster block", False)
    if kind in ("bool_type", "bool_parsing") and bool in _unwrap(_annotation_at(loc)):
        return "must be true or false", f"Write '{field}: true' or '{field}: false'", True
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
                     "Use reach, impressions, engagements, conversions, revenue or profit", key)
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
    from mixopt.scenario.defaults import known_platforms, known_tiers

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
