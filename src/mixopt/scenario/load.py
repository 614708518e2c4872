"""Load a scenario: read and merge the YAML, validate its structure, then its meaning; every problem at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario import workbook as _workbook  # noqa: F401  (reads .xlsx scenario workbooks)
from mixopt.scenario.messages import _path_text, _unknown_key_issues, _validation_issues
from mixopt.scenario.reading import SETTING_LABEL, RawScenario, path_problem, read_scenario_yaml
from mixopt.scenario.schema import Scenario

__all__ = ["load_scenario", "read_scenario", "scenario_from_dict", "scenario_from_raw", "Setting", "parse_settings", "apply_settings"]


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
            written = raw.folder_of(("roster", "file")) / written
        scenario = scenario.model_copy(update={"roster_path": str(written)})
    if scenario.assumptions_from is not None:  # the calibrated layer, between the defaults and the scenario
        from mixopt.scenario.results import apply_assumptions_from

        scenario = apply_assumptions_from(scenario, raw.origin_of(("assumptions_from",)),
                                          raw.folder_of(("assumptions_from",)))
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


def scenario_keys() -> list[str]:
    """What the top level of a scenario file may hold: its fields, and the tier, platform and cell
    names a planner may write there by mistake (each gets its own fix); a file with none of them
    (or a near miss) is not a scenario."""
    from mixopt.scenario.defaults import known_platforms, known_tiers

    tiers, platforms = list(known_tiers()), list(known_platforms())
    return [*Scenario.model_fields, *tiers, *platforms, *(f"{t}.{p}" for t in tiers for p in platforms)]


def load_scenario(path: str | Path, settings: Sequence[str] = ()) -> Scenario:
    """Read, merge (``extends:``) and validate a scenario file.

    ``settings`` are ``PATH=VALUE`` texts (the command line's ``--set``), applied over the merged
    files and validated as if written in the file; a problem with one names it (``--set
    budget=abc: budget: ...``).

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
    raw = read_scenario_yaml(path, strict=False, fields=scenario_keys())
    if settings:
        raw = apply_settings(raw, parse_settings(settings))
    return scenario_from_raw(raw)


def read_scenario(path: str | Path) -> tuple[RawScenario, Scenario]:
    """The merged plain data (``extends:`` resolved) and the validated scenario of a YAML file or a
    scenario workbook (``.xlsx``, whose problems name their sheet and cell: ``Rules!C4: ...``)."""
    raw = read_scenario_yaml(path, strict=False, fields=scenario_keys())
    return raw, scenario_from_raw(raw)


# ----------------------------------------------------------------------------- --set PATH=VALUE

COMMAND_LINE = "(command line)"


@dataclass(frozen=True)
class Setting:
    """One ``--set PATH=VALUE``: where a problem is reported (``label``), the data keys, the value
    (None: remove the key, as ``null`` in a child scenario removes an inherited one)."""

    label: str
    path: str
    keys: tuple[str, ...]
    value: Any


def _label(text: str) -> str:
    shown = SETTING_LABEL + text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 80 else shown[:77] + "..."


def parse_settings(items: Sequence[str], data: dict[str, Any] | None = None) -> list[Setting]:
    """``PATH=VALUE`` texts as settings; VALUE is read as YAML (``50000``, ``0.3``, ``null``, ``[a, b]``).

    Raises
    ------
    ScenarioError
        One line per malformed item (exit 2 on the command line when only the shape is wrong).
    """
    from mixopt.scenario.fields import raw_keys
    from mixopt.scenario.reading import _parse

    found: list[Setting] = []
    issues: list[Issue] = []
    for item in items:
        path, sep, text = item.partition("=")
        path = path.strip()
        if not sep or not path or any(not part for part in path.split(".")):
            issues.append(Issue(COMMAND_LINE, "--set", "expected PATH=VALUE",
                                "Write e.g. --set budget=50000 or --set targets.reach=250000", item))
            continue
        label = _label(item)
        if not text.strip():
            issues.append(Issue(label, path, "no value after '='",
                                f"Write a value, e.g. --set {path}=50000, or --set {path}=null to remove it"))
            continue
        try:
            value, _duplicates = _parse(text, label)  # means what it would mean written in the file
        except ScenarioError as err:  # the value's YAML is broken: name the field, not "line 1"
            issues.extend(Issue(i.file, path if i.path.startswith("line ") else i.path, i.problem, i.fix)
                          for i in err.issues)
            continue
        found.append(Setting(label, path, raw_keys(data or {}, path), value))
    if issues:
        raise ScenarioError(issues)
    return found


def apply_settings(raw: RawScenario, settings: Sequence[Setting]) -> RawScenario:
    """The merged data with each setting applied in order, its values attributed to its label.

    Raises
    ------
    ScenarioError
        When a setting reaches inside a value that is not a mapping (``budget.x=1``).
    """
    import hashlib
    import json

    from mixopt.scenario.fields import raw_keys

    data = _deep_copy(raw.data)
    origins = dict(raw.origins)
    issues: list[Issue] = []
    for setting in settings:
        keys = raw_keys(data, setting.path)  # against the scenario's own keys (a cell already written)
        node = data
        for depth, key in enumerate(keys[:-1]):
            child = node.get(key)
            if child is None:
                if setting.value is None:
                    break
                child = node[key] = {}
                origins[keys[: depth + 1]] = setting.label
            if not isinstance(child, dict):
                where = ".".join(keys[: depth + 1])
                issues.append(Issue(setting.label, where, "is a single value, so nothing can be set inside it",
                                    f"Set it whole, e.g. --set {where}=VALUE", child))
                break
            node = child
        else:
            for old in [p for p in origins if p[: len(keys)] == keys]:
                del origins[old]
            if setting.value is None:
                node.pop(keys[-1], None)
            else:
                node[keys[-1]] = setting.value
                _record_origins(setting.value, setting.label, origins, keys)
    if issues:
        raise ScenarioError(issues)
    digest = hashlib.sha256(raw.content_hash.encode())
    for setting in settings:  # a plan made with --set is not the file's plan: its provenance says so
        digest.update(f"\n{setting.path}={json.dumps(setting.value, sort_keys=True, default=str)}".encode())
    return RawScenario(data=data, origins=origins, file=raw.file, content_hash=digest.hexdigest(), issues=raw.issues)


def _record_origins(value: Any, label: str, origins: dict[tuple[str, ...], str], prefix: tuple[str, ...]) -> None:
    origins[prefix] = label
    if isinstance(value, dict):
        for key, child in value.items():
            _record_origins(child, label, origins, (*prefix, str(key)))
