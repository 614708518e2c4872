"""Read scenario YAML safely: duplicate keys reported, ``extends:`` merged, origins kept.

Each leaf value remembers the file it came from, so an error in an inherited value names
the base file, not the child. Problems with the files themselves (duplicate keys, a base
that is missing or loops) are collected, so a planner sees them together with every other
problem of the scenario.
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

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class RawScenario:
    """A scenario as merged plain data, before validation.

    ``issues`` holds problems found while reading the files (duplicate keys, a broken
    ``extends:`` chain); the data is then the best reading of what could be read.
    """

    data: dict[str, Any]
    origins: Origins
    file: str
    content_hash: str
    issues: tuple[Issue, ...] = ()

    def origin_of(self, path: tuple[str, ...]) -> str:
        """The file a value at ``path`` came from (the nearest recorded parent wins)."""
        for end in range(len(path), 0, -1):
            found = self.origins.get(tuple(str(p) for p in path[:end]))
            if found is not None:
                return found
        return self.file

    def origin_of_text(self, path: str) -> str:
        """Like :meth:`origin_of` for a dotted path such as ``rules.cells.nano.tiktok.lock``.

        Keys may contain dots (cell names), so the longest recorded path whose text is a
        prefix of ``path`` wins.
        """
        best: tuple[int, str] = (-1, self.file)
        for key, file in self.origins.items():
            text = ".".join(key)
            if path == text or path.startswith((text + ".", text + "[")):
                if len(text) > best[0]:
                    best = (len(text), file)
        return best[1]


def _path_text(path: tuple[str | int, ...]) -> str:
    parts: list[str] = []
    for part in path:
        parts.append(f"[{part}]" if isinstance(part, int) else ("." if parts else "") + part)
    return "".join(parts)


class _Cycle(Exception):
    """An alias that points back into its own anchor (``a: &x [*x]``)."""

    def __init__(self, path: str, line: int) -> None:
        super().__init__(path)
        self.path = path
        self.line = line


def _find_duplicates(node: yaml.Node, path: tuple[str | int, ...], out: list[tuple[str, int, int]],
                     done: set[int], inside: tuple[int, ...] = ()) -> None:
    """Every key written twice in one mapping, with its full path and both line numbers."""
    if id(node) in inside:
        raise _Cycle(_path_text(path) or "(file)", node.start_mark.line + 1)
    if id(node) in done:
        return  # an alias of a node already walked
    done.add(id(node))
    inside = (*inside, id(node))
    if isinstance(node, yaml.MappingNode):
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # '<<: *anchor' merges are allowed to be overridden
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode):
                if key in lines:
                    out.append((_path_text((*path, key)), lines[key], line))
                else:
                    lines[key] = line
            _find_duplicates(value_node, (*path, key), out, done, inside)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _find_duplicates(item, (*path, index), out, done, inside)


def _yaml_issue(shown: str, err: yaml.YAMLError) -> Issue:
    """One planner-readable line for a YAML syntax error."""
    problem = str(getattr(err, "problem", None) or str(err).splitlines()[0])
    context = str(getattr(err, "context", None) or "")
    mark = getattr(err, "problem_mark", None)
    start = getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    fix = "Check the indentation and that each line is 'key: value'"
    what = f"is not valid YAML: {problem}"
    if "'\\t'" in problem:
        what, fix = "a tab character is not allowed here", "Use spaces, not tabs"
    elif "another document" in problem:
        what, fix = "the file holds more than one document ('---')", "Keep one scenario per file"
    elif "could not determine a constructor" in problem:
        what, fix = "uses a '!!' tag, which scenario files do not allow", "Remove the tag and write a plain value"
    elif "unhashable key" in problem:
        what, fix = "a key is a list or mapping", "Use plain names as keys"
    elif "end of stream" in problem and "quoted" in context and start is not None:
        line = start.line + 1
        what, fix = "a quote opened here is never closed", "Close the quote"
    elif "flow" in context and start is not None and ("<stream end>" in problem or "expected ','" in problem):
        line = start.line + 1
        what, fix = "a '[' or '{' opened here is never closed", "Close the bracket"
    elif "mapping values are not allowed" in problem:
        what = "a ':' is out of place"
        fix = "Check the indentation, and quote text that contains ': '"
    elif "undefined alias" in problem:
        what = f"is not valid YAML: {problem}"
        fix = "Define the '&anchor' before using '*anchor', or write the value out"
    return Issue(shown, f"line {line}" if line is not None else "(file)", what, fix)


def _load_one(path: Path, shown: str) -> tuple[dict[str, Any], list[Issue]]:
    """One file's data and the issues that still let it be read (duplicate keys)."""
    if path.is_dir():
        raise ScenarioError(
            [Issue(shown, "(file)", "is a folder, not a scenario file", "Give the path of a .yaml file")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            [Issue(shown, "(file)", "file not found", "Check the path and the file name")]
        ) from None
    except UnicodeDecodeError:
        raise ScenarioError(
            [Issue(shown, "(file)", "is not UTF-8 text", "Save the file as UTF-8 text (plain .yaml, not a document)")]
        ) from None
    except OSError as err:
        raise ScenarioError(
            [Issue(shown, "(file)", f"cannot read the file ({err.strerror})", "Check that the file can be read")]
        ) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        duplicates: list[tuple[str, int, int]] = []
        if node is not None:
            _find_duplicates(node, (), duplicates, set())
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        raise ScenarioError([_yaml_issue(shown, err)]) from None
    except _Cycle as cycle:
        raise ScenarioError(
            [Issue(shown, cycle.path, f"an alias refers back to its own anchor (line {cycle.line})",
                   "Write the value out instead of using '*' inside its own '&' anchor")]
        ) from None
    finally:
        loader.dispose()
    issues = [
        Issue(shown, key, f"is written twice (lines {first} and {second})", "Keep only one of the two entries")
        for key, first, second in duplicates
    ]
    if data is None:
        raise ScenarioError(
            [Issue(shown, "(file)", "the file is empty",
                   "Write the scenario's fields, e.g. 'budget: 50000' and 'objective: {maximize: reach}'")]
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise ScenarioError(
            [
                Issue(
                    shown,
                    "(file)",
                    f"the file holds {kind}, but a scenario is a set of 'key: value' lines",
                    "Start the file with fields such as 'name:' and 'budget:'",
                )
            ]
        )
    return data, issues


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


def _base_issue(data: dict[str, Any], current: Path, shown: str) -> tuple[Path | None, Issue | None]:
    """The next file of the ``extends:`` chain, or the problem with it."""
    parent = data.get("extends")
    if parent is None:
        return None, None
    if not isinstance(parent, str) or not parent.strip():
        return None, Issue(shown, "extends", "must be the path of a base scenario file",
                           "Write for example 'extends: base.yaml'", parent)
    nxt = (current.parent / parent).resolve()
    where = _display(nxt)
    located = "" if where == parent else f" ({where})"
    if nxt.is_dir():
        return None, Issue(shown, "extends", f"the base{located} is a folder, not a scenario file",
                           "Name a .yaml file, e.g. 'extends: base.yaml'", parent)
    if not nxt.exists():
        return None, Issue(shown, "extends", f"base scenario file not found{located}",
                           "Give a path relative to this file, e.g. 'extends: base.yaml'", parent)
    return nxt, None


def read_scenario_yaml(path: str | Path, *, strict: bool = True) -> RawScenario:
    """Read a scenario file, following ``extends:`` chains, into merged plain data.

    With ``strict=False`` problems that still let the files be read (duplicate keys, a
    missing or looping base) are returned in ``RawScenario.issues`` with the data that
    could be read, so that the caller can report them together with everything else.

    Raises
    ------
    ScenarioError
        On a missing or unreadable file or bad YAML; with ``strict``, also on duplicate
        keys or a broken ``extends:`` chain.
    """
    path = Path(path)
    chain: list[tuple[Path, str]] = []
    shown_first = _display(path)
    datas: list[tuple[dict[str, Any], str]] = []
    issues: list[Issue] = []
    digest = hashlib.sha256()
    current: Path | None = path
    while current is not None:
        resolved = current.resolve()
        shown = _display(current)
        if resolved in [p for p, _ in chain]:
            names = [s for _, s in chain[[p for p, _ in chain].index(resolved):]] + [shown]
            text = "the file extends itself" if len(names) == 2 else "the chain " + " -> ".join(names) + " loops"
            issues.append(Issue(datas[-1][1], "extends", text, "Remove the circular 'extends:'",
                                datas[-1][0].get("extends")))
            break
        chain.append((resolved, shown))
        try:
            data, file_issues = _load_one(current, shown)
        except ScenarioError as err:
            if not datas:
                raise
            issues.extend(err.issues)
            break
        issues.extend(file_issues)
        digest.update(current.read_bytes())
        datas.append((data, shown))
        current, problem = _base_issue(data, current, shown)
        if problem is not None:
            issues.append(problem)
    origins: Origins = {}
    merged: dict[str, Any] = {}
    for data, shown in reversed(datas):
        body = {k: v for k, v in data.items() if k != "extends"}
        merged = _merge(merged, body, shown, origins, ())
    if strict and issues:
        raise ScenarioError(issues)
    return RawScenario(
        data=merged, origins=origins, file=shown_first, content_hash=digest.hexdigest(), issues=tuple(issues)
    )
