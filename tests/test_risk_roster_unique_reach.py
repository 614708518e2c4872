"""The safe roster plan with a unique-reach target: held at the planning values on the true count."""

from __future__ import annotations

from pathlib import Path

from mixopt.analysis.risk import safe_roster_plan
from mixopt.roster.check import check_roster_choice
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.table import load_roster
from tests.test_simulate_roster import _scenario


def test_the_safe_roster_plan_meets_a_unique_reach_target_on_the_true_count_and_says_how(tmp_path: Path) -> None:
    expected = optimize_roster(_scenario(tmp_path, n=120))
    floor = round(expected.totals["unique_reach"] * 0.8)
    scenario = _scenario(tmp_path, n=120, targets={"reach": 30.0 * 120, "unique_reach": floor})
    roster = load_roster(scenario)
    safe = safe_roster_plan(scenario, 0.9, model_samples=200, seed=2, roster=roster)
    assert safe.status.has_plan
    checks = {c.rule: c for c in check_roster_choice(scenario, roster.table, safe.solution.chosen, safe.solution.posts)}
    assert all(c.holds for c in checks.values()), [c.label for c in checks.values() if not c.holds]
    assert checks["target[unique_reach]"].value >= floor
    assert any("held at the planning values" in note for note in safe.notes)
