"""Every shipped scenario validates, solves to a plan that keeps every rule, matches its reviewed
golden plan, gets the same optimum from HiGHS and CBC, and never does worse with more budget."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

import mixopt
from mixopt.outputs.columns import COLUMNS
from mixopt.outputs.plan_files import plan_csv
from tests.conftest import GOLDEN, shipped_scenarios

SCENARIO_IDS = [p.stem for p in shipped_scenarios()]
TEXT_COLUMNS = {name for name, _unit, _doc, decimals in COLUMNS if decimals < 0}


@pytest.fixture(scope="module", params=shipped_scenarios(), ids=SCENARIO_IDS)
def shipped(request: pytest.FixtureRequest) -> tuple[Path, mixopt.Plan]:
    path: Path = request.param
    return path, mixopt.optimize(path, explain=False)


def test_there_are_shipped_examples_for_each_goal() -> None:
    goals = {mixopt.load_scenario(p).objective.maximize or "min spend" for p in shipped_scenarios()}
    assert {"reach", "profit", "value", "min spend"} <= goals


def test_shipped_scenario_solves_to_an_optimal_plan_that_keeps_every_rule(shipped) -> None:
    _path, plan = shipped
    assert plan.status is mixopt.SolveStatus.OPTIMAL
    assert plan.gap == 0 or plan.gap is not None and plan.gap <= 1e-9
    assert plan.feasible, [c.label for c in plan.broken_rules]
    assert plan.totals["creators"] > 0


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_shipped_scenario_matches_its_golden_plan(shipped, update_golden: bool) -> None:
    path, plan = shipped
    golden = GOLDEN / path.stem / "plan.csv"
    text = plan_csv(plan)
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        pytest.skip("golden file rewritten; review the diff")
    assert golden.exists(), f"no golden plan for {path.name}: run pytest --update-golden and review it"
    expected, actual = _rows(golden.read_text(encoding="utf-8")), _rows(text)
    assert [r["tier"] + "." + r["platform"] for r in actual] == [r["tier"] + "." + r["platform"] for r in expected]
    for want, got in zip(expected, actual):
        for column, value in want.items():
            if column in TEXT_COLUMNS or value == "":
                assert got[column] == value, (want["tier"], want["platform"], column)
            else:
                assert math.isclose(float(got[column]), float(value), rel_tol=1e-6, abs_tol=1e-6), (
                    want["tier"], want["platform"], column, got[column], value)


@pytest.mark.parametrize("path", shipped_scenarios(), ids=SCENARIO_IDS)
def test_highs_and_cbc_reach_the_same_optimum_and_plan(path: Path) -> None:
    highs = mixopt.optimize(path, explain=False)
    cbc = mixopt.optimize(path, mixopt.SolverOptions(solver="cbc"), explain=False)
    assert cbc.status is mixopt.SolveStatus.OPTIMAL
    assert math.isclose(cbc.objective_value, highs.objective_value, rel_tol=1e-7, abs_tol=1e-6)
    assert cbc.creators_and_posts() == highs.creators_and_posts()


@pytest.mark.parametrize("path", [p for p in shipped_scenarios() if mixopt.load_scenario(p).objective.maximize],
                         ids=[p.stem for p in shipped_scenarios() if mixopt.load_scenario(p).objective.maximize])
def test_raising_the_budget_never_lowers_the_optimum(path: Path) -> None:
    scenario = mixopt.load_scenario(path)
    values = []
    for budget in (10_000, 20_000, 30_000, 40_000, 60_000, 90_000):
        plan = mixopt.optimize(scenario.model_copy(update={"budget": float(budget)}), explain=False)
        values.append(plan.objective_value if plan.status.has_plan else -math.inf)
    assert values == sorted(values), values
