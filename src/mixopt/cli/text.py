"""Plain-text tables for the terminal: numbers with thousands separators, padded columns, status words."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from mixopt.cli.common import MONEY_GOALS
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolveStatus
from mixopt.version import mixopt_version


def num(value: Any, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.{decimals}f}"


def value_text(value: float) -> str:
    """A swept value as a planner wrote it: 25,000, 0.35, 1.5."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"


def decimals_of(kpi: str) -> int:
    return 2 if kpi in ("roi", "cpe", "cpa") else 1 if kpi == "conversions" else 0


def with_unit(name: str, currency: str) -> str:
    money = name in MONEY_GOALS or name in ("budget", "cpe", "cpa") or name.endswith("_spend")
    return f"{name} {currency}" if money else name


def grid_lines(header: list[str], rows: list[list[str]], left: Sequence[int] = (0,)) -> list[str]:
    """Columns padded to width: the ``left`` columns left-aligned (text), the rest right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(str(v).ljust(w) if i in left else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths)))

    return ["  " + line(header).rstrip(), "  " + line(["-" * w for w in widths])] + ["  " + line(r).rstrip() for r in rows]


def status_text(status: SolveStatus, gap: float | None = None) -> str:
    from mixopt.solvers.types import SolveStatus

    if status is SolveStatus.FEASIBLE:
        return "feasible" if gap is None else f"gap {gap:.1%}"
    if status is SolveStatus.OPTIMAL:
        return "optimal"
    return {SolveStatus.NOT_SOLVED: "stopped", SolveStatus.UNBOUNDED: "unbounded"}.get(status, "no plan")


def title_line(command: str, scenario: Scenario) -> str:
    return f"mixopt {mixopt_version()}  {command}  scenario: {scenario.name}  ({scenario.source_file})"
