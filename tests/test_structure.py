"""The layering rules of the package: which modules may import solvers, click and writers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mixopt

SRC = Path(mixopt.__file__).parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_model_and_solve_import_pulp_and_only_solve_imports_highspy() -> None:
    users = {p.name for p in SRC.glob("*.py") if "pulp" in _imports(p)}
    assert users <= {"model.py", "solve.py"}
    assert {p.name for p in SRC.glob("*.py") if "highspy" in _imports(p)} <= {"solve.py"}
    assert {p.name for p in SRC.glob("*.py") if "cylp" in _imports(p)} <= {"roster_solve.py"}


def test_only_the_cli_imports_click() -> None:
    assert {p.name for p in SRC.glob("*.py") if "click" in _imports(p)} == {"cli.py"}


def test_importing_mixopt_does_not_load_spreadsheet_or_chart_writers() -> None:
    code = "import sys, mixopt; print(sorted(m for m in ('xlsxwriter', 'matplotlib', 'click') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
