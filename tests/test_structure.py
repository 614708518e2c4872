"""The package layout: the pipeline's stages as folders, no import cycle, and the layering rules
(which modules may import solvers, click, spreadsheet and chart writers)."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import mixopt

SRC = Path(mixopt.__file__).parent
STAGES = ("scenario", "solvers", "tier", "roster", "analysis", "outputs", "cli")


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    out = {}
    for path in SRC.rglob("*.py"):
        parts = ("mixopt", *path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


@functools.cache
def _nodes(text: str) -> tuple[ast.AST, ...]:
    """Every node of a module's source (parsed once per distinct text: the checks below read it many times)."""
    return tuple(ast.walk(ast.parse(text)))


def _mixopt_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The mixopt modules a file imports anywhere in it (lazy imports inside functions included)."""
    found: set[str] = set()
    for node in _nodes(path.read_text(encoding="utf-8")):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("mixopt")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("mixopt"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return {m for m in found if m in modules}


def _libraries(path: Path) -> set[str]:
    found: set[str] = set()
    for node in _nodes(path.read_text(encoding="utf-8")):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _users(library: str) -> set[str]:
    return {name for name, path in _modules().items() if library in _libraries(path)}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path that ends where it starts), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_module_imports_itself_back_through_others() -> None:
    modules = _modules()
    graph = {name: _mixopt_imports(path, modules) - {name} for name, path in modules.items()}
    # a package's __init__ that re-exports its modules is entered by its modules' own imports: not a cycle
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    assert _cycle(graph) is None


def test_stages_import_only_earlier_stages() -> None:
    """scenario < solvers < tier, roster < analysis < outputs < cli; the top-level modules sit between."""
    order = {"scenario": 0, "solvers": 1, "tier": 2, "roster": 2, "analysis": 4, "outputs": 5, "cli": 6}
    modules = _modules()
    broken = []
    for name, path in modules.items():
        parts = name.split(".")
        if len(parts) < 3 or parts[1] not in order:
            continue
        for target in _mixopt_imports(path, modules):
            tparts = target.split(".")
            if len(tparts) >= 2 and tparts[1] in order and tparts[1] != parts[1]:
                if order[tparts[1]] >= order[parts[1]]:
                    broken.append(f"{name} -> {target}")
    assert broken == []


def test_every_stage_is_a_folder_and_few_modules_stay_at_the_top() -> None:
    assert all((SRC / stage / "__init__.py").is_file() for stage in STAGES)
    top = sorted(p.name for p in SRC.glob("*.py"))
    assert len(top) <= 12, top


def test_no_module_is_much_above_600_lines() -> None:
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > 620}
    assert long == {}


def test_solver_libraries_stay_in_the_solver_layer_and_model_builders() -> None:
    assert _users("pulp") <= {"mixopt.tier.model", "mixopt.tier.solve", "mixopt.solvers.engine"}
    assert _users("highspy") <= {"mixopt.solvers.engine"}
    assert _users("cylp") <= {"mixopt.solvers.clp"}


def test_only_the_cli_imports_click() -> None:
    assert _users("click") and all(name.startswith("mixopt.cli") for name in _users("click"))


def test_only_outputs_import_spreadsheet_and_chart_writers() -> None:
    for library in ("xlsxwriter", "matplotlib"):
        assert _users(library) and all(name.startswith("mixopt.outputs") for name in _users(library)), library


def test_importing_mixopt_does_not_load_spreadsheet_or_chart_writers() -> None:
    code = "import sys, mixopt; print(sorted(m for m in ('xlsxwriter', 'matplotlib', 'click') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
