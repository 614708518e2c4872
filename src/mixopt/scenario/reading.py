"""Read scenario YAML safely: duplicate keys reported, ``extends:`` merged, origins kept.

Each leaf value remembers the file it came from, so an error in an inherited value names
the base file, not the child. Problems with the files themselves (duplicate keys, a base
that is missing or loops) are collected, so a planner sees them together with every other
problem of the scenario.

Hostile files are refused with one line each, never a traceback, and never by quoting the
lines of a file that is not a scenario: regular files only (no folder, device, pipe or socket),
opened without blocking; the size, path and YAML limits below; only plain tags; an
``extends:`` base anywhere (a shared ``../shared/base.yaml`` is common) but only a ``.yaml`` or
``.yml`` file.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.input_files import (  # noqa: F401  (re-exported: readers of tables use them)
    MAX_NAME_CHARS,
    MAX_PATH_CHARS,
    InputFileError,
    byte_limit,
    open_input_file,
    path_problem,
    read_within,
)

__all__ = ["RawScenario", "read_scenario_yaml", "InputFileError", "open_input_file", "byte_limit", "path_problem",
           "read_within"]

Origins = dict[tuple[str, ...], str]
#: How a value given on the command line is labelled (``--set budget=50000``) in messages and origins.
SETTING_LABEL = "--set "
#: Readers of scenario files that are not YAML, by extension (``scenario.workbook`` adds ``.xlsx``).
OTHER_FORMATS: dict[str, Callable[[Path, str], RawScenario]] = {}

#: Mappings that a child file replaces whole instead of merging: a goal is one choice, so
#: ``objective: {minimize: spend}`` over ``{maximize: reach}`` must not keep both.
REPLACED_WHOLE = {("objective",)}

_MERGE_TAG = "tag:yaml.org,2002:merge"

# ----------------------------------------------------------------------------- limits

DEFAULT_MAX_SCENARIO_BYTES = 2_000_000  # bytes per scenario file (a real one has a few thousand)
SCENARIO_LIMIT_VARIABLE = "MIXOPT_MAX_SCENARIO_BYTES"  # the environment variable that changes it
MAX_YAML_NODES = 100_000  # values in one file once '*' aliases are expanded
MAX_YAML_ALIASES = 1_000  # '*' alias uses in one file
MAX_YAML_DEPTH = 50  # nesting levels of lists and mappings (a scenario needs about five)
MAX_NUMBER_DIGITS = 100  # digits of one whole number (a budget of a trillion has 13)
MAX_EXTENDS_FILES = 20  # files in one 'extends:' chain, the scenario itself included
YAML_SUFFIXES = (".yaml", ".yml")  # what a base named by 'extends:' must end with
#: Explicit tags a scenario may use: the plain YAML types.
_PLAIN_TAGS = frozenset({None, "!"} | {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null",
                                                                           "seq", "map")})


def _read_limited(path: Path, shown: str) -> bytes:
    """A scenario file's bytes, or the one-line reason it cannot be read."""
    limit = byte_limit(SCENARIO_LIMIT_VARIABLE, DEFAULT_MAX_SCENARIO_BYTES)
    try:
        with open_input_file(path, limit, SCENARIO_LIMIT_VARIABLE, "scenario file") as handle:
            data = read_within(handle, limit)
    except InputFileError as err:
        problem, fix = err.problem, err.fix
        if err.reason == "folder":
            problem, fix = "is a folder, not a scenario file", "Give the path of a .yaml file"
        raise ScenarioError([Issue(shown, "(file)", problem, fix)]) from None
    except OSError as err:
        raise ScenarioError([Issue(shown, "(file)", f"cannot read the file ({err.strerror or type(err).__name__})",
                                   "Check that the file can be read")]) from None
    if len(data) > limit:  # it grew while being read
        raise ScenarioError([Issue(shown, "(file)", f"is over the {limit:,}-byte limit for a scenario file",
                                   f"Check that this is the right file, or raise the limit with "
                                   f"{SCENARIO_LIMIT_VARIABLE}")])
    return data


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        what = "is UTF-16 text, not UTF-8" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "is not UTF-8 text"
        raise ScenarioError([Issue(shown, "(file)", what, "Save the file as UTF-8 text (plain .yaml, not a document)")]
                            ) from None


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

    def folder_of(self, path: tuple[str, ...]) -> Path:
        """The folder a relative path written at ``path`` is read from: its file's folder, or the
        current folder for a value given on the command line (``--set roster.file=...``)."""
        origin = self.origin_of(path)
        return Path(".") if origin.startswith(SETTING_LABEL) else Path(origin).parent

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


# ----------------------------------------------------------------------------- the YAML reader


class _Refused(Exception):
    """A file YAML could read but mixopt will not: too large once expanded, too deep, a tag."""

    def __init__(self, where: str, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.where = where
        self.problem = problem
        self.fix = fix


class _Cycle(Exception):
    """An alias that points back into its own anchor (``a: &x [*x]``)."""

    def __init__(self, path: str, line: int) -> None:
        super().__init__(path)
        self.path = path
        self.line = line


def _line(mark: Any) -> str:
    return f"line {mark.line + 1}" if mark is not None else "(file)"


_SURROGATE = re.compile("[\ud800-\udfff]")
_TAG_ISSUE = ("uses a YAML tag (a word beginning with '!'), which scenario files do not allow",
              "Remove the tag and write a plain value")


def _guarded(kind: str, construct: Callable[[Any, yaml.Node], Any]) -> Callable[[Any, yaml.Node], Any]:
    """A scalar constructor that turns a value its type cannot read into a one-line refusal."""

    def build(loader: Any, node: yaml.Node) -> Any:
        explicit = id(node) in loader.explicit
        value = node.value if isinstance(node, yaml.ScalarNode) else ""
        if kind == "a whole number" and len(re.sub(r"[^0-9a-fA-F]", "", str(value))) > MAX_NUMBER_DIGITS:
            raise _Refused(_line(node.start_mark), f"a number has more than {MAX_NUMBER_DIGITS} digits",
                           "Write a plain number such as 50000")
        try:
            return construct(loader, node)
        except (ValueError, KeyError, TypeError, OverflowError, AttributeError):
            if explicit:
                raise _Refused(_line(node.start_mark), f"the value is not {kind}, as its '!!' tag says",
                               "Remove the tag and write a plain value") from None
            raise _Refused(_line(node.start_mark), f"the value looks like {kind} but is not one",
                           "Put the text in quotes, or write dates as YYYY-MM-DD") from None

    return build


class _ScenarioLoader(yaml.SafeLoader):
    """PyYAML's safe loader with mixopt's limits: depth, aliases and plain tags, checked while composing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.aliases = 0
        self.explicit: set[int] = set()  # ids of the nodes written with a tag

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                raise _Refused(_line(event.start_mark), f"uses more than {MAX_YAML_ALIASES:,} '*' aliases",
                               "Write the values out instead of repeating '*anchor' references")
            return super().compose_node(parent, index)
        if isinstance(event, yaml.ScalarEvent) and _SURROGATE.search(event.value):
            raise _Refused(_line(event.start_mark), "holds a '\\u' escape of half a character (an unpaired "
                           "surrogate), which is not text", "Delete the escape, or write the character itself")
        tag = getattr(event, "tag", None)
        if tag not in _PLAIN_TAGS:
            raise _Refused(_line(event.start_mark), *_TAG_ISSUE)
        if self.depth >= MAX_YAML_DEPTH:
            raise _Refused(_line(event.start_mark), f"lists and mappings are nested more than {MAX_YAML_DEPTH} "
                           "levels deep", "Check the indentation and the brackets")
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if tag is not None and tag != "!":
            self.explicit.add(id(node))
        return node


for _tag, _kind in (("int", "a whole number"), ("float", "a number"), ("bool", "true or false"),
                    ("timestamp", "a date")):
    _full = f"tag:yaml.org,2002:{_tag}"
    _ScenarioLoader.add_constructor(_full, _guarded(_kind, yaml.SafeLoader.yaml_constructors[_full]))


def _path_text(path: tuple[str | int, ...]) -> str:
    parts: list[str] = []
    for part in path:
        parts.append(f"[{part}]" if isinstance(part, int) else ("." if parts else "") + part)
    return "".join(parts)


def _children(node: yaml.Node) -> list[tuple[str | int, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[str | int, yaml.Node]] = []
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            out += [("?", key_node), (str(key), value_node)]
        return out
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def _todo(node: yaml.Node) -> list[tuple[str | int, yaml.Node]]:
    return _children(node)[::-1]  # popped from the end: in file order


def _check_size(root: yaml.Node) -> None:
    """Refuse a file whose values, once ``*aliases`` are expanded, are too many or too deep.

    Each distinct node is walked once (aliases share nodes), without recursion, so a
    "billion laughs" file is measured in microseconds and refused before it is expanded.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id -> (values, depth) once expanded
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str | int, ...], list[tuple[str | int, yaml.Node]]]] = []

    def enter(node: yaml.Node, path: tuple[str | int, ...]) -> None:
        on_path.add(id(node))
        stack.append((node, path, _todo(node)))

    enter(root, ())
    while stack:
        node, path, todo = stack[-1]
        if todo:
            label, child = todo.pop()
            if id(child) in on_path:
                where = path if label == "?" else (*path, label)
                raise _Cycle(_path_text(where) or "(file)", child.start_mark.line + 1)
            if id(child) not in sizes:
                enter(child, path if label == "?" else (*path, label))
            continue
        stack.pop()
        on_path.discard(id(node))
        values, depth = 1, 1
        for _label, child in _children(node):
            child_values, child_depth = sizes[id(child)]
            values += child_values
            depth = max(depth, child_depth + 1)
        if values > MAX_YAML_NODES:
            raise _Refused(_line(node.start_mark), f"expands to more than {MAX_YAML_NODES:,} values through "
                           "'*' aliases", "Write the values out instead of nesting '*anchor' references")
        if depth > MAX_YAML_DEPTH:
            raise _Refused(_line(node.start_mark), f"lists and mappings are nested more than {MAX_YAML_DEPTH} "
                           "levels deep through '*' aliases", "Write the values out")
        sizes[id(node)] = (values, depth)


def _find_duplicates(node: yaml.Node, path: tuple[str | int, ...], out: list[tuple[str, int, int]],
                     done: set[int]) -> None:
    """Every key written twice in one mapping, with its full path and both line numbers.

    A node reached again through an alias is not walked again (it is checked where it is
    written), so aliases are never expanded here.
    """
    if id(node) in done:
        return
    done.add(id(node))
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
            _find_duplicates(value_node, (*path, key), out, done)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _find_duplicates(item, (*path, index), out, done)


def _quiet(text: str) -> str:
    """A YAML problem without long quotes of the file's text (a name or token of up to 20 characters stays)."""
    return re.sub(r"'[^']{21,}'|\"[^\"]{21,}\"", "'...'", text)


def _yaml_issue(shown: str, err: yaml.YAMLError, text: str) -> Issue:
    """One planner-readable line for a YAML syntax error (never quoting the file's lines)."""
    if isinstance(err, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(err.position, 0)) + 1
        code = err.character if isinstance(err.character, int) else 0
        return Issue(shown, f"line {line}", f"a control character (#x{code:04x}) is not allowed",
                     "Delete it (most editors do not show it)")
    problem = _quiet(str(getattr(err, "problem", None) or str(err).splitlines()[0]))
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
        what, fix = _TAG_ISSUE
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
    elif "duplicate anchor" in context:
        what, fix = "an '&anchor' name is defined twice", "Give each '&anchor' its own name"
    return Issue(shown, f"line {line}" if line is not None else "(file)", what, fix)


def _parse(text: str, shown: str) -> tuple[Any, list[tuple[str, int, int]]]:
    """The file's data and its duplicate keys, within the limits above."""
    loader: _ScenarioLoader | None = None
    try:
        loader = _ScenarioLoader(text)
        node = loader.get_single_node()
        duplicates: list[tuple[str, int, int]] = []
        if node is None:
            return None, duplicates
        _check_size(node)
        _find_duplicates(node, (), duplicates, set())
        return loader.construct_document(node), duplicates
    except yaml.YAMLError as err:
        raise ScenarioError([_yaml_issue(shown, err, text)]) from None
    except _Refused as refused:
        raise ScenarioError([Issue(shown, refused.where, refused.problem, refused.fix)]) from None
    except _Cycle as cycle:
        raise ScenarioError([Issue(shown, cycle.path, f"an alias refers back to its own anchor (line {cycle.line})",
                                   "Write the value out instead of using '*' inside its own '&' anchor")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _load_one(path: Path, shown: str) -> tuple[dict[str, Any], list[Issue], bytes]:
    """One file's data, the issues that still let it be read (duplicate keys), and its bytes."""
    content = _read_limited(path, shown)
    data, duplicates = _parse(_decode(content, shown), shown)
    issues = [Issue(shown, key, f"is written twice (lines {first} and {second})", "Keep only one of the two entries")
              for key, first, second in duplicates]
    if data is None:
        raise ScenarioError([Issue(shown, "(file)", "the file is empty", "Write the scenario's fields, e.g. "
                                   "'budget: 50000' and 'objective: {maximize: reach}'")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise ScenarioError([Issue(shown, "(file)", f"the file holds {kind}, but a scenario is a set of 'key: value' "
                                   "lines", "Start the file with fields such as 'name:' and 'budget:'")])
    return data, issues, content


# ----------------------------------------------------------------------------- merging


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
            if value is None and key in merged:  # 'key: null' in a child deletes what the base set
                del merged[key]
                continue
            _record(value, file, origins, path)
            merged[key] = value
    return merged


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        return str(path)


def _base_issue(data: dict[str, Any], current: Path, shown: str) -> tuple[Path | None, Issue | None]:
    """The next file of the ``extends:`` chain, or the problem with it.

    A base may live anywhere (a team's shared ``../shared/base.yaml``), but it must be a
    regular ``.yaml`` or ``.yml`` file, so ``extends:`` cannot be used to read other files.
    """
    parent = data.get("extends")
    if parent is None:
        return None, None
    if not isinstance(parent, str) or not parent.strip():
        return None, Issue(shown, "extends", "must be the path of a base scenario file",
                           "Write for example 'extends: base.yaml'", parent)
    problem = path_problem(parent)
    if problem is not None:
        return None, Issue(shown, "extends", problem, "Write the base file's path, e.g. 'extends: base.yaml'", parent)
    try:
        nxt = (current.parent / parent).resolve()
        where = _display(nxt)
        located = "" if where == parent else f" ({where})"
        if nxt.is_dir():
            return None, Issue(shown, "extends", f"the base{located} is a folder, not a scenario file",
                               "Name a .yaml file, e.g. 'extends: base.yaml'", parent)
        if nxt.suffix.lower() not in YAML_SUFFIXES:
            return None, Issue(shown, "extends", f"the base{located} is not a .yaml or .yml file",
                               "Name a scenario file, e.g. 'extends: base.yaml'", parent)
        if not nxt.exists():
            return None, Issue(shown, "extends", f"base scenario file not found{located}",
                               "Give a path relative to this file, e.g. 'extends: base.yaml'", parent)
        if not nxt.is_file():
            return None, Issue(shown, "extends", f"the base{located} is not a regular file (it is a device, pipe "
                               "or socket)", "Name a scenario file saved on disk, e.g. 'extends: base.yaml'", parent)
    except (OSError, RuntimeError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        return None, Issue(shown, "extends", f"the base cannot be read ({reason})",
                           "Check the path, e.g. 'extends: base.yaml'", parent)
    return nxt, None


def read_scenario_yaml(path: str | Path, *, strict: bool = True, fields: Collection[str] | None = None,
                       kind: str = "scenario") -> RawScenario:
    """Read a scenario file, following ``extends:`` chains, into merged plain data.

    With ``strict=False`` problems that still let the files be read (duplicate keys, a
    missing or looping base) are returned in ``RawScenario.issues`` with the data that
    could be read, so that the caller can report them together with everything else.
    ``fields``: the top-level keys a file of this ``kind`` holds; a file none of whose keys is
    one of them, or close to one, is not such a file and is refused without quoting its keys.

    Raises
    ------
    ScenarioError
        On a missing, unreadable, oversized or special file or bad YAML; with ``strict``, also
        on duplicate keys or a broken ``extends:`` chain.
    """
    path = Path(path)
    problem = path_problem(str(path))
    if problem is not None:
        raise ScenarioError([Issue(_quoted_path(str(path)), "(file)", problem, "Check the path and the file name")])
    chain: list[tuple[Path, str]] = []
    shown_first = _display(path)
    if (other := OTHER_FORMATS.get(path.suffix.lower())) is not None:
        return other(path, shown_first)
    datas: list[tuple[dict[str, Any], str]] = []
    issues: list[Issue] = []
    digest = hashlib.sha256()
    current: Path | None = path
    while current is not None:
        try:
            resolved = current.resolve()
        except (OSError, RuntimeError):
            resolved = current.absolute()
        shown = _display(current)
        if resolved in [p for p, _ in chain]:
            names = [s for _, s in chain[[p for p, _ in chain].index(resolved):]] + [shown]
            text = "the file extends itself" if len(names) == 2 else "the chain " + " -> ".join(names) + " loops"
            issues.append(Issue(datas[-1][1], "extends", text, "Remove the circular 'extends:'",
                                datas[-1][0].get("extends")))
            break
        if len(chain) >= MAX_EXTENDS_FILES:
            issues.append(Issue(datas[-1][1], "extends", f"the 'extends:' chain is longer than {MAX_EXTENDS_FILES} "
                                "files", "Merge some of the base files", datas[-1][0].get("extends")))
            break
        chain.append((resolved, shown))
        try:
            data, file_issues, content = _load_one(current, shown)
        except ScenarioError as err:
            if not datas:
                raise
            issues.extend(err.issues)
            break
        if fields is not None and not _holds_a_field(data, fields):
            refused = Issue(shown, "(file)", f"is not a {kind} file: no top-level key is a {kind} field (its "
                            "lines are not shown)", f"Give the path of a {kind} .yaml file")
            if not datas:
                raise ScenarioError([refused])
            issues.append(refused)
            break
        issues.extend(file_issues)
        digest.update(content)
        datas.append((data, shown))
        current, problem_issue = _base_issue(data, current, shown)
        if problem_issue is not None:
            issues.append(problem_issue)
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


def _holds_a_field(data: dict[Any, Any], fields: Collection[str]) -> bool:
    """True when some top-level key is a field (or ``extends``), or close enough to be a typo of one."""
    names = [*fields, "extends"]
    keys = [k for k in data if isinstance(k, str)]
    return not data or any(k in names or difflib.get_close_matches(k, names, n=1, cutoff=0.6) for k in keys)


def _quoted_path(text: str) -> str:
    """A path fit for the start of a message line: control characters escaped, at most 80 characters."""
    shown = text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 80 else shown[:77] + "..."
