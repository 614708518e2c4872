"""Load a scenario: read and merge the YAML, validate its structure, then its meaning; every problem at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.messages import _path_text, _unknown_key_issues, _validation_issues
from mixopt.scenario.reading import RawScenario, path_problem, read_scenario_yaml
from mixopt.scenario.schema import Scenario

__all__ = ["load_scenario", "scenario_from_dict", "scenario_from_raw"]


def _table_path_issues(written: str, file: str) -> list[Issue]:
    """The problem with a ``roster.file`` path that cannot name any file (a NUL, too long), if any."""
    problem = path_problem(written)
    fix = "Name the creator table, e.g. 'roster: {file: creators.csv}'"
    return [] if problem is None else [Issue(file, "roster.file", problem, fix, written)]


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
    from mixopt.scenario.checks import check_scenario

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
    from mixopt.scenario.checks import check_scenario

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
    problems: list[Issue] = []
    if scenario.roster is not None:
        problems = _table_path_issues(scenario.roster.file, raw.origin_of(("roster", "file")))
        written = Path(scenario.roster.file)
        if not problems and not written.is_absolute():
            written = Path(raw.origin_of(("roster", "file"))).parent / written
        scenario = scenario.model_copy(update={"roster_path": str(written)})
    problems += check_scenario(scenario, raw)
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
