"""Read scenario YAML safely: duplicate keys rejected, ``extends:`` merged, origins kept.

Each leaf value remembers the file it came from, so an error in an inherited value names
the base file, not the child.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mixopt.errors import Issue, ScenarioError

__all__ = ["RawScenario", "read_scenario_yaml"]

Origins = dict[tuple[str, ...], str]

#: Mappings that a child file replaces whole instead of merging: a goal is one choice, so
#: ``objective: {minimize: spend}`` over ``{maximize: reach}`` must not keep both.
REPLACED_WHOLE = {("objective",)}


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(key)
        self.key = key
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys (plain safe_load keeps the last one silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class RawScenario:
    """A scenario as merged plain data, before validation."""

    data: dict[str, Any]
    origins: Origins
    file: str
    content_hash: str

    def origin_of(self, path: tuple[str, ...]) -> str:
        """The file a value at ``path`` came from (the nearest recorded parent wins)."""
        for end in range(len(path), 0, -1):
            found = self.origins.get(tuple(str(p) for p in path[:end]))
            if found is not None:
                return found
        return self.file


def _load_one(path: Path, shown: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            [Issue(shown, "(file)", "file not found", "Check the path and the file name")]
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(
            [Issue(shown, "(file)", f"cannot read the file: {err}", "Save it as UTF-8 text")]
        ) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except _DuplicateKey as dup:
        raise ScenarioError(
            [
                Issue(
                    shown,
                    str(dup.key),
                    f"duplicate key on line {dup.line}",
                    "Keep only one of the two entries",
                    dup.key,
                )
            ]
        ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(
            [
                Issue(
                    shown,
                    where,
                    f"not valid YAML: {problem}",
                    "Check indentation and that each line is 'key: value'",
                )
            ]
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Issue(
                    shown,
                    "(file)",
                    "a scenario must be a mapping of 'key: value' lines",
                    "Start the file with fields such as 'name:' and 'budget:'",
                    type(data).__name__,
                )
            ]
        )
    return data


def _record(data: Any, file: str, origins: Origins, prefix: tuple[str, ...]) -> None:
    origins[prefix] = file
    if isinstance(data, dict):
        for key, value in data.items():
            _record(value, file, origins, (*prefix, str(key)))


def _merge(base: dict, child: dict, file: str, origins: Origins, prefix: tuple[str, ...]) -> dict:
    """Merge ``child`` over ``base``: mappings merge deeply, everything else is replaced whole."""
    merged = dict(base)
    for key, value in child.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and path not in REPLACED_WHOLE:
            origins[path] = file
            merged[key] = _merge(merged[key], value, file, origins, path)
        else:
            for old in [p for p in origins if p[: len(path)] == path]:
                del origins[old]
            _record(value, file, origins, path)
            merged[key] = value
    return merged


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_scenario_yaml(path: str | Path) -> RawScenario:
    """Read a scenario file, following ``extends:`` chains, into merged plain data.

    Raises
    ------
    ScenarioError
        On a missing file, bad YAML, duplicate keys or a broken ``extends:`` chain.
    """
    path = Path(path)
    chain: list[Path] = []
    shown_first = _display(path)
    datas: list[tuple[dict[str, Any], str]] = []
    digest = hashlib.sha256()
    current: Path | None = path
    while current is not None:
        resolved = current.resolve()
        shown = _display(current)
        if resolved in chain:
            raise ScenarioError(
                [
                    Issue(
                        datas[-1][1],
                        "extends",
                        "the extends chain loops back to a file already read",
                        "Remove the circular 'extends:'",
                        str(current),
                    )
                ]
            )
        chain.append(resolved)
        data = _load_one(current, shown)
        digest.update(current.read_bytes())
        datas.append((data, shown))
        parent = data.get("extends")
        if parent is None:
            current = None
        elif not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(
                [
                    Issue(
                        shown,
                        "extends",
                        "must be the path of a base scenario file",
                        "Write for example 'extends: base.yaml'",
                        parent,
                    )
                ]
            )
        else:
            nxt = (current.parent / parent).resolve()
            if not nxt.exists():
                raise ScenarioError(
                    [
                        Issue(
                            shown,
                            "extends",
                            "base scenario file not found",
                            "Give a path relative to this file, e.g. 'extends: base.yaml'",
                            parent,
                        )
                    ]
                )
            current = nxt
    origins: Origins = {}
    merged: dict[str, Any] = {}
    for data, shown in reversed(datas):
        body = {k: v for k, v in data.items() if k != "extends"}
        merged = _merge(merged, body, shown, origins, ())
    return RawScenario(
        data=merged, origins=origins, file=shown_first, content_hash=digest.hexdigest()
    )
