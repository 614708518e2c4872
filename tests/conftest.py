"""Shared fixtures: paths, scenario writers, the CLI runner, golden-file switch, Hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GOLDEN = Path(__file__).resolve().parent / "golden"
VALIDATION = ROOT.parent / "shared" / "validation"

# Property tests: a small profile in CI, a long one on demand (MIXOPT_LONG_TESTS=1).
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile("long" if os.environ.get("MIXOPT_LONG_TESTS") else "ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current plans")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def shipped_scenarios() -> list[Path]:
    """Every tier-mode example scenario shipped in scenarios/ (roster examples: tests/test_roster.py)."""
    import mixopt

    return sorted(p for p in SCENARIOS.glob("*.yaml") if mixopt.load_scenario(p).roster is None)


def minimal_scenario() -> dict[str, Any]:
    """A small valid scenario: two tiers on Instagram, every number given, no curve."""
    return {
        "name": "minimal",
        "budget": 2000,
        "objective": {"maximize": "reach"},
        "platforms": ["instagram"],
        "tiers": {"nano": [1000, 10000], "micro": [10000, 100000]},
        "diminishing_returns": "none",
        "assumptions": {
            "nano.instagram": {
                "typical_followers": 2000, "reach_rate": 0.5, "engagement_rate": 0.05, "conversion_rate": 0.1,
                "fee_per_post": 100, "product_cost": 0, "handling_cost": 0, "acceptance_rate": 1.0,
                "pool": 10, "max_posts": 1,
            },
            "micro.instagram": {
                "typical_followers": 20000, "reach_rate": 0.25, "engagement_rate": 0.02, "conversion_rate": 0.05,
                "fee_per_post": 400, "product_cost": 0, "handling_cost": 0, "acceptance_rate": 0.5,
                "pool": 8, "max_posts": 1,
            },
        },
        "rules": {"max_creators": 6},
    }


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario (dict or YAML text) to a file and return its path."""

    def write(content: dict[str, Any] | str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
