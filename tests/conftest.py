"""Shared fixtures: paths, scenario writers, the CLI runner, golden-file switch, Hypothesis profiles, a real Dask cluster."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GOLDEN = Path(__file__).resolve().parent / "golden"
VALIDATION = ROOT.parent / "shared" / "validation"

# Property tests: a small profile in CI, a long one on demand (MIXOPT_LONG_TESTS=1).
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile("long" if os.environ.get("MIXOPT_LONG_TESTS") else "ci")


def _draw_no_local_constants() -> None:
    """Hypothesis mixes literals from the project's loaded modules into its draws, so the CI
    profile's "fixed" examples changed with which modules a test worker had imported (a fresh
    clone drew a 3-minute scenario this checkout never saw). With none drawn, the examples depend
    on the Hypothesis version only (pinned in pyproject.toml) and on nothing loaded beside them."""
    from hypothesis.internal.conjecture import providers

    if hasattr(providers, "_get_local_constants") and hasattr(providers, "_local_constants"):
        empty = providers._local_constants
        providers._get_local_constants = lambda: empty


_draw_no_local_constants()


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


# ----------------------------------------------------------------------------- a real Dask cluster


def _stop(processes: list[subprocess.Popen[bytes]], address: str | None = None) -> None:
    """Stop the cluster: asked through the scheduler first (a worker sent SIGTERM can linger for
    half a minute), then whatever still runs is terminated and, failing that, killed."""
    if address is not None:
        from distributed import Client

        with contextlib.suppress(Exception), Client(address, timeout=10, set_as_default=False) as client:
            client.shutdown()
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="session")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Dask scheduler and two worker processes on 127.0.0.1, started here and stopped at the end."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("cluster")
    info = folder / "scheduler.json"
    processes: list[subprocess.Popen[bytes]] = []
    address: str | None = None
    common: dict[str, Any] = {"cwd": folder, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    try:
        processes.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                           "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                                           str(info)], **common))
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            assert processes[0].poll() is None, "the scheduler stopped"
            time.sleep(0.1)
        address = json.loads(info.read_text(encoding="utf-8"))["address"]
        for name in ("w1", "w2"):
            processes.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                               "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", name,
                                               "--local-directory", str(folder / name)], **common))
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        _stop(processes, address)


def run_cli(args: list[str]) -> Result:
    """``mixopt ARGS`` in process, exceptions left to the command's own guard."""
    from mixopt.cli import cli

    return CliRunner().invoke(cli, args, catch_exceptions=False)


def one_error_line(result: Result, code: int) -> str:
    """The single stderr line of a refused command, after checking its exit code and that no traceback
    or internal error was printed."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
