"""Built-in default assumptions per tier and platform, with units and sources.

One table, ``data/tier_defaults.csv``, a row per (tier, platform, parameter) with
``low`` / ``base`` / ``high`` (10th percentile, planning value, 90th percentile), ``unit``,
``denominator``, ``source``, ``year`` and ``grade``. Planners override any value per scenario.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

__all__ = ["DefaultValue", "DEFAULT_CURVE", "defaults_table", "default_value", "known_tiers", "known_platforms"]

#: Diminishing returns used when a scenario states none: full value for the first quarter of a
#: cell's potential, 80% for the next quarter, 60% after (FORMULATION.md section 1's example).
DEFAULT_CURVE: tuple[tuple[float, float], ...] = ((0.25, 1.0), (0.5, 0.8), (1.0, 0.6))

_COLUMNS = ["tier", "platform", "parameter", "low", "base", "high", "unit", "denominator", "source", "year", "grade", "note"]


@dataclass(frozen=True)
class DefaultValue:
    """One documented default: its range, unit and where the number comes from."""

    low: float
    base: float
    high: float
    unit: str
    denominator: str
    source: str
    year: int
    grade: str


@lru_cache(maxsize=1)
def _rows() -> dict[tuple[str, str, str], DefaultValue]:
    text = resources.files("mixopt.scenario").joinpath("data/tier_defaults.csv").read_text(encoding="utf-8")
    rows: dict[tuple[str, str, str], DefaultValue] = {}
    for row in csv.DictReader(text.splitlines()):
        rows[(row["tier"], row["platform"], row["parameter"])] = DefaultValue(
            low=float(row["low"]),
            base=float(row["base"]),
            high=float(row["high"]),
            unit=row["unit"],
            denominator=row["denominator"],
            source=row["source"],
            year=int(row["year"]),
            grade=row["grade"],
        )
    return rows


def default_value(tier: str, platform: str, parameter: str) -> DefaultValue | None:
    """The built-in default for one cell and parameter, or None when there is none."""
    return _rows().get((tier, platform, parameter))


def known_tiers() -> tuple[str, ...]:
    """Tiers that have built-in defaults, smallest first."""
    seen: dict[str, float] = {}
    for (tier, _platform, parameter), value in _rows().items():
        if parameter == "typical_followers":
            seen[tier] = value.base
    return tuple(sorted(seen, key=seen.__getitem__))


def known_platforms() -> tuple[str, ...]:
    """Platforms that have built-in defaults."""
    return tuple(dict.fromkeys(platform for (_t, platform, _p) in _rows()))


def defaults_table() -> pd.DataFrame:
    """The whole defaults table as a DataFrame, in file order."""
    text = resources.files("mixopt.scenario").joinpath("data/tier_defaults.csv").read_text(encoding="utf-8")
    frame = pd.read_csv(pd.io.common.StringIO(text), keep_default_na=False)
    return frame[_COLUMNS]
