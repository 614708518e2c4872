"""Scenario fields by path (``rules.tiers.micro.max_spend_share``): read one, set one, parse a list of values."""

from __future__ import annotations

import difflib
import math
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.schema import Scenario

__all__ = ["parse_values", "field_value", "with_field", "row_for", "is_money", "raw_keys"]

_RANGE = re.compile(r"^\s*([-+0-9.eE_]+)\s*:\s*([-+0-9.eE_]+)\s*:\s*([-+0-9.eE_]+)\s*$")


def parse_values(text: str, option: str = "--values") -> list[float]:
    """``START:STOP:STEP`` (STOP included when on the grid) or ``A,B,C`` -> values.

    Raises ScenarioError with a one-line message on malformed input.
    """
    def bad(problem: str) -> ScenarioError:
        return ScenarioError([Issue("(command line)", option, problem,
                                    "Write START:STOP:STEP such as 10000:100000:5000, or a list such as 20000,50000", text)])

    match = _RANGE.match(text)
    try:
        if match:
            start, stop, step = (float(g.replace("_", "")) for g in match.groups())
            if not all(math.isfinite(v) for v in (start, stop, step)):
                raise bad("every number must be finite")
            if step <= 0 or stop < start:
                raise bad("the step must be positive and STOP at least START")
            points = (stop - start) / step
            if not math.isfinite(points) or points >= 100_000:  # a step of 1e-320 makes it infinite
                shown = f"{math.floor(points) + 1:,}" if math.isfinite(points) else "too many"
                raise bad(f"that is {shown} points; at most 100,000")
            count = int(math.floor(points + 1e-9)) + 1
            if count > 100_000:
                raise bad(f"that is {count:,} points; at most 100,000")
            return [round(start + i * step, 10) for i in range(count)]
        values = [float(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise bad("not a range or a list of numbers") from None
    if not values:
        raise bad("no values given")
    if not all(math.isfinite(v) for v in values):
        raise bad("every number must be finite")
    if len(values) > 100_000:
        raise bad(f"that is {len(values)} points; at most 100,000")
    return values


def _dict_key(node: dict[str, Any], head: str, rest: list[str], value_type: type | None) -> tuple[str, list[str]]:
    """Keys may contain a dot (cells such as ``nano.tiktok``): pick how many parts the key takes."""
    if head in node or not rest:
        return head, rest
    joined = f"{head}.{rest[0]}"
    if joined in node:
        return joined, rest[1:]
    if value_type is not None and rest[0] not in value_type.model_fields and len(rest) > 1 \
            and rest[1] in value_type.model_fields:
        return joined, rest[1:]
    return head, rest


def field_value(scenario: Scenario, path: str) -> object:
    """The current value at a dotted path such as ``rules.tiers.nano.max_spend_share``."""
    node: object = scenario
    parts = path.split(".")
    while parts:
        part, parts = parts[0], parts[1:]
        if isinstance(node, BaseModel) and part in type(node).model_fields:
            node = getattr(node, part)
        elif isinstance(node, dict):
            key, parts = _dict_key(node, part, parts, None)
            if key not in node:
                return None
            node = node[key]
        else:
            return None
    return node


def _kinds(annotation: Any) -> set[Any]:
    """The plain types an annotation allows (Optional, unions and Annotated unwrapped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_kinds(a) for a in get_args(annotation)))
    return {origin or annotation}


def _model_kind(annotation: Any) -> type[BaseModel] | None:
    kinds = [k for k in _kinds(annotation) if isinstance(k, type) and issubclass(k, BaseModel)]
    return kinds[0] if kinds else None


def _dict_value_type(annotation: Any) -> Any:
    for option in [annotation, *get_args(annotation)]:
        if get_origin(option) is dict:
            return get_args(option)[1]
    return None


class _NotNumeric(Exception):
    pass


def _leaf(current: object, annotation: Any, value: float) -> float | int:
    kinds = _kinds(annotation) if annotation is not None else {type(current)}
    if isinstance(current, bool) or not kinds & {int, float}:
        raise _NotNumeric
    if int in kinds and float not in kinds and float(value).is_integer():
        return int(value)
    return value


def _set(node: object, parts: list[str], value: float, annotation: Any = None) -> object:
    head, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        if head not in fields:
            raise KeyError(head)
        child = getattr(node, head, None)  # a model made here may lack its required fields yet
        child_annotation = fields[head].annotation
        if not rest:
            return node.model_copy(update={head: _leaf(child, child_annotation, value)})
        if child is None:
            kind = _model_kind(child_annotation)
            if kind is not None:
                child = kind.model_construct()
            elif _dict_value_type(child_annotation) is not None:
                child = {}
            else:
                raise KeyError(head)
        return node.model_copy(update={head: _set(child, rest, value, child_annotation)})
    if isinstance(node, dict):
        value_type = _dict_value_type(annotation)
        model = _model_kind(value_type) if value_type is not None else None
        key, rest = _dict_key(node, head, rest, model)
        updated = dict(node)
        if key not in node:
            if not rest and value_type is not None:
                updated[key] = _leaf(None, value_type, value)
            elif model is None or not rest:
                raise KeyError(key)
            else:
                updated[key] = _set(model.model_construct(), rest, value, value_type)
        else:
            updated[key] = _set(node[key], rest, value, value_type) if rest else _leaf(node[key], value_type, value)
        return updated
    raise KeyError(head)


def _numeric_paths(scenario: Scenario) -> list[str]:
    """Fields a sweep can vary in this scenario (for "did you mean" suggestions)."""
    paths = ["budget", "rules.max_creators", "economics.average_order_value", "economics.margin_rate",
             "economics.commission_per_conversion"]
    paths += [f"targets.{k}" for k in type(scenario.targets).model_fields]
    for group, names in (("tiers", scenario.tier_names), ("platforms", scenario.platforms)):
        for name in names:
            paths += [f"rules.{group}.{name}.{attr}" for attr in
                      ("min_spend_share", "max_spend_share", "min_spend", "max_spend", "min_creators", "max_creators")]
    return paths


def with_field(scenario: Scenario, path: str, value: float) -> Scenario:
    """A copy of the scenario with one numeric field set.

    Missing parents are created (``rules.tiers.nano.max_creators`` on a scenario without a
    nano band); cell keys may contain their dot (``rules.cells.nano.tiktok.lock``).
    """
    try:
        result = _set(scenario, path.split("."), value)
    except (KeyError, _NotNumeric) as err:
        near = difflib.get_close_matches(path, _numeric_paths(scenario), n=1, cutoff=0.6)
        if isinstance(err, _NotNumeric):
            problem = "is not a number a sweep can vary"
        else:
            problem = "not a numeric field of this scenario"
        fix = f"Did you mean '{near[0]}'?" if near and near[0] != path else \
            "Use a dotted path such as budget, targets.reach or rules.max_creators"
        raise ScenarioError([Issue(scenario.source_file, path, problem, fix)]) from None
    assert isinstance(result, Scenario)
    return result


def row_for(path: str) -> tuple[str, str] | None:
    """The model row a field sets, and which side of it: ('budget', 'upper')."""
    simple = {"budget": ("budget", "upper"), "rules.max_creators": ("team_capacity", "upper")}
    if path in simple:
        return simple[path]
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == "targets":
        return f"target_{parts[1]}", "lower"
    if len(parts) == 4 and parts[0] == "rules" and parts[1] in ("tiers", "platforms"):
        group = "tier" if parts[1] == "tiers" else "platform"
        name, attr = parts[2], parts[3]
        table = {"min_spend": ("spend_min", "lower"), "max_spend": ("spend_max", "upper"),
                 "min_creators": ("creators_min", "lower"), "max_creators": ("creators_max", "upper")}
        if attr in table:
            return f"{group}_{table[attr][0]}_{name.replace('.', '_')}", table[attr][1]
    return None


def is_money(path: str) -> bool:
    return path == "budget" or path.endswith(("min_spend", "max_spend"))


def raw_keys(data: dict[str, Any], path: str) -> tuple[str, ...]:
    """The keys of a scenario's plain YAML data that a dotted field path names.

    Free-named keys may hold a dot (cells such as ``nano.tiktok``): ``rules.cells.nano.tiktok.lock``
    gives ``('rules', 'cells', 'nano.tiktok', 'lock')`` because ``tiktok`` is not a field of a cell
    rule, while ``assumptions.nano.fee_per_post`` gives ``('assumptions', 'nano', 'fee_per_post')``.
    """
    parts = path.split(".")
    keys: list[str] = []
    node: Any = data
    annotation: Any = Scenario
    while parts:
        head, rest = parts[0], parts[1:]
        model = _model_kind(annotation) if annotation is not None else None
        value_type = _dict_value_type(annotation) if annotation is not None and model is None else None
        if model is not None:
            key = head
            annotation = model.model_fields[key].annotation if key in model.model_fields else None
        elif value_type is not None:
            key = head
            value_model = _model_kind(value_type)
            joined = f"{head}.{rest[0]}" if rest else None
            if joined is not None and ((isinstance(node, dict) and joined in node) or value_model is None
                                       or rest[0] not in value_model.model_fields):
                key, rest = joined, rest[1:]
            annotation = value_type
        else:
            key, annotation = head, None
        keys.append(key)
        node = node.get(key) if isinstance(node, dict) else None
        parts = rest
    return tuple(keys)

