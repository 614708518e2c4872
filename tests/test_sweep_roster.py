"""Roster sweeps: every point equals a single roster solve of the same scenario, every plan keeps
its rules on the independent check, plateaus are reused exactly, and the command works on the
shipped roster scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import mixopt
import mixopt.analysis.sweep_roster as sweep_roster
from mixopt.analysis.sweep_roster import limit_side, run_roster_sweep
from mixopt.api import solver_options_for
from mixopt.cli import cli
from mixopt.roster.check import check_roster_choice
from mixopt.roster.table import load_roster
from mixopt.scenario.fields import with_field
from mixopt.synth import synthetic_roster

ROOT = Path(__file__).resolve().parents[1]
ROSTER = ROOT / "scenarios" / "roster_skincare.yaml"


def _scenario(tmp_path: Path, extra: dict[str, Any] | None = None, n: int = 60, seed: int = 3) -> mixopt.Scenario:
    synthetic_roster(n, seed, flag_share=0.0).to_csv(tmp_path / "creators.csv", index=False)
    data: dict[str, Any] = {
        "name": "small roster", "budget": 4000, "objective": {"maximize": "conversions"},
        "economics": {"average_order_value": 60},
        "rules": {"max_creators": 12},
        "roster": {"file": "creators.csv", "mip_gap": 0.0, "categories": {"beauty": {"max_creators": 4}}},
    }
    data.update(extra or {})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return mixopt.load_scenario(path)


FIELDS = [
    ("budget", [1000, 2000, 2500, 3000, 4000, 6000, 9000]),
    ("rules.max_creators", [3, 5, 8, 12, 20]),
    ("targets.reach", [0, 20000, 60000, 120000]),
    ("roster.categories.beauty.max_creators", [0, 1, 2, 4, 8]),
]


@pytest.mark.parametrize(("field", "values"), FIELDS)
def test_every_point_equals_a_single_roster_solve(tmp_path: Path, field: str, values: list[float]) -> None:
    scenario = _scenario(tmp_path)
    options = solver_options_for(scenario)
    result = run_roster_sweep(scenario, field, values, options)
    roster = load_roster(scenario)
    for point in result.points:
        single = mixopt.optimize(with_field(scenario, field, point.value), options, explain=False)
        assert point.status.has_plan == single.status.has_plan, point.value
        if single.status.has_plan:
            assert point.plan is not None and point.objective is not None
            # gap 0: both are optima, so equal up to the solver's tolerance (never budget slack)
            assert point.objective == pytest.approx(single.objective_value, rel=1e-9, abs=1e-9)
            chosen = point.plan.solution.chosen
            point_scenario = with_field(scenario, field, point.value)
            assert all(c.holds for c in check_roster_choice(point_scenario, roster.table, chosen,
                                                            point.plan.solution.posts))
            if point_scenario.budget is not None:
                assert point.plan.totals["spend"] <= point_scenario.budget


def test_a_plateau_costs_one_solve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _scenario(tmp_path)
    calls = []
    real = sweep_roster.optimize_roster

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0].rules.max_creators)
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_roster, "optimize_roster", counting)
    # the budget binds long before a team of 40: every team size from 40 down to the plan's own
    # number of creators is the same plan
    result = run_roster_sweep(scenario, "rules.max_creators", [40, 39, 38, 37, 36, 35], solver_options_for(scenario))
    assert len(calls) == 1
    assert len({p.objective for p in result.points}) == 1


def test_limit_sides_follow_the_field() -> None:
    assert limit_side("budget") == "upper"
    assert limit_side("roster.resource_caps.product_units") == "upper"
    assert limit_side("roster.categories.beauty.max_creators") == "upper"
    assert limit_side("targets.reach") == "lower"
    assert limit_side("roster.categories.beauty.min_creators") == "lower"
    assert limit_side("assumptions.nano.fee_per_post") is None


def test_a_preview_bounds_every_point_from_above(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    values = [1000, 3000, 6000]
    exact = run_roster_sweep(scenario, "budget", values)
    preview = run_roster_sweep(scenario, "budget", values, preview=True)
    assert not preview.exact and all(p.plan is None for p in preview.points)
    for e, p in zip(exact.points, preview.points):
        if e.objective is not None:
            assert p.objective is not None and p.objective >= e.objective - 1e-6


def test_the_sweep_command_takes_the_shipped_roster_scenario(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sweep", str(ROSTER), "--budget", "30000:40000:10000", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "each within the roster's certified gap" in result.output
    assert "within 0." in result.output
    assert (tmp_path / "sweep.csv").read_text(encoding="utf-8").count("\n") == 3  # header and two points
    again = CliRunner().invoke(cli, ["sweep", str(ROSTER), "--budget", "30000:40000:10000", "--format", "csv"])
    assert again.stdout == (tmp_path / "sweep.csv").read_text(encoding="utf-8")
