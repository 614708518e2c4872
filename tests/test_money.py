"""Money never overspends: budgets, money caps and floors hold to half a minor unit at any magnitude.

Each plan's spend is recomputed here in exact fractions of the decimals written and compared with
its budget with no tolerance at all; the optimum is compared with a brute-force enumeration.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import mixopt
from mixopt.contract import rule_check
from mixopt.roster.optimize import optimize_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.money import exact, exact_dot, half_unit, minor_unit, round_money
from mixopt.solvers.types import SolveStatus

MAGNITUDES = [100, 10_000, 1_000_000, 100_000_000, 10_000_000_000, 1_000_000_000_000, 10_000_000_000_000]


def _cell(followers: float, fee: float, pool: int) -> dict[str, Any]:
    return {"typical_followers": followers, "reach_rate": 0.5, "engagement_rate": 0.05, "conversion_rate": 0.1,
            "fee_per_post": fee, "product_cost": 0, "handling_cost": 0, "acceptance_rate": 1.0, "pool": pool,
            "max_posts": 1}


def _tier_scenario(budget: float, fee_nano: float, fee_micro: float, currency: str = "USD") -> mixopt.Scenario:
    data = {
        "name": "money", "currency": currency, "budget": budget, "objective": {"maximize": "reach"},
        "platforms": ["instagram"], "tiers": {"nano": [1000, 10000], "micro": [10000, 100000]},
        "diminishing_returns": "none",
        "assumptions": {"nano.instagram": _cell(2000, fee_nano, 6), "micro.instagram": _cell(20000, fee_micro, 4)},
    }
    if currency != "USD":
        data["fx_per_usd"] = 1.0
    return scenario_from_dict(data, file="money.yaml")


def _best_by_enumeration(budget: float, fee_nano: float, fee_micro: float) -> float:
    """The most reach any whole mix buys within the budget, exactly (reach 1,000 and 10,000 per creator)."""
    best = 0.0
    for nano, micro in itertools.product(range(7), range(5)):
        if exact(fee_nano) * nano + exact(fee_micro) * micro <= exact(budget):
            best = max(best, 1000.0 * nano + 10000.0 * micro)
    return best


def _exact_spend(plan: Any) -> Fraction:
    creators, posts = plan.creators_and_posts()
    cells = {c.key: c for c in plan.cells}
    return sum((exact(cells[k].fee_per_post) * posts[k]
                + (exact(cells[k].product_cost) + exact(cells[k].handling_cost)) * creators[k] for k in creators),
               Fraction(0))


@pytest.mark.parametrize("budget", MAGNITUDES)
def test_a_tier_plan_never_spends_a_cent_over_its_budget_at_any_magnitude(budget: int) -> None:
    # Three micro creators cost the budget plus 3 cents; two micro fees one cent apart from nano ones.
    fee_micro = round(budget / 3 + 0.01, 2)
    fee_nano = round(fee_micro - 0.01, 2) if budget >= 10_000 else round(budget / 10 + 0.01, 2)
    plan = mixopt.optimize(_tier_scenario(float(budget), fee_nano, fee_micro), explain=False)
    assert plan.status.has_plan and plan.feasible
    assert _exact_spend(plan) <= exact(budget)
    best = _best_by_enumeration(float(budget), fee_nano, fee_micro)
    # proven, not merely kept: the bound counts exact plans only (money rows held digit by digit)
    assert plan.status is SolveStatus.OPTIMAL and plan.gap == 0.0
    assert plan.objective_value == pytest.approx(best, rel=1e-9)
    assert plan.bound == pytest.approx(best, rel=1e-9)


def _roster_scenario(tmp_path: Path, budget: float, fees: list[float], currency: str = "IDR") -> mixopt.Scenario:
    rows = ["id,platform,followers,fee_per_post,product_cost,handling_cost,engagement_rate,conversion_rate,reach_rate"]
    for i, fee in enumerate(fees):
        rows.append(f"c{i},instagram,{50000 + i},{fee!r},0,0,0.05,0.02,0.3")
    rows.append("small,instagram,5000,1,0,0,0.05,0.02,0.3")
    table = tmp_path / "creators.csv"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = {"currency": currency, "budget": budget, "objective": {"maximize": "reach"}, "platforms": ["instagram"],
            "roster": {"file": table.name}}
    if currency != "USD":
        data["fx_per_usd"] = 16000.0
    return scenario_from_dict(data, file=str(tmp_path / "scenario.yaml"))


def test_the_issue_case_two_fees_one_unit_apart_keeps_a_10_billion_budget(tmp_path: Path) -> None:
    s = _roster_scenario(tmp_path, 10_000_000_000.0, [5_000_000_960.0, 5_000_000_961.0])
    plan = optimize_roster(s)
    assert plan.status is SolveStatus.OPTIMAL and plan.feasible
    spend = sum((exact(v) for v in plan.selected["spend"]), Fraction(0))
    assert spend <= exact(s.budget)
    assert set(plan.selected["id"]) == {"c1", "small"}  # one big creator (the larger reach) and the small one
    budget = next(c for c in plan.checks if c.rule == "budget")
    assert budget.holds and budget.value <= s.budget


@pytest.mark.parametrize("budget", MAGNITUDES[2:])
def test_a_roster_choice_never_spends_over_its_budget_at_any_magnitude(tmp_path: Path, budget: int) -> None:
    half = budget // 2
    fees = [float(half + 1), float(half + 2), float(half - 3)]
    s = _roster_scenario(tmp_path, float(budget), fees)
    plan = optimize_roster(s)
    assert plan.status.has_plan and plan.feasible
    assert sum((exact(v) for v in plan.selected["spend"]), Fraction(0)) <= exact(budget)
    # brute force over every choice: reach 0.3 x followers, spend the fees (the small creator costs 1)
    people = {f"c{i}": (0.3 * (50000 + i), exact(fee)) for i, fee in enumerate(fees)} | {"small": (1500.0, exact(1))}
    best = max(sum(people[k][0] for k in pick)
               for size in range(5) for pick in itertools.combinations(people, size)
               if sum((people[k][1] for k in pick), Fraction(0)) <= exact(budget))
    if plan.status is SolveStatus.OPTIMAL:
        assert plan.objective_value >= best * (1 - s.roster.mip_gap) - 1e-9
    else:
        assert plan.gap is not None and plan.objective_value >= best * (1 - plan.gap) - 1e-9


def test_the_check_tolerance_is_half_a_cent_absolute_never_relative() -> None:
    assert rule_check("budget", "budget", "USD", 40_000.004, "<=", 40_000.0).holds
    assert not rule_check("budget", "budget", "USD", 40_000.006, "<=", 40_000.0).holds
    big = 10_000_000_000_000.0
    over = (exact(big) + Fraction(1, 100), exact(big))
    assert not rule_check("budget", "budget", "USD", big + 0.01, "<=", big, exact=over).holds
    assert not rule_check("budget", "budget", "IDR", 1e10 + 1, "<=", 1e10).holds  # one rupiah over
    assert rule_check("budget", "budget", "IDR", 1e10 + 0.4, "<=", 1e10).holds
    # a count keeps its relative tolerance: 1e-6 of the limit
    assert rule_check("team", "team", "creators", 70.00001, "<=", 70).holds


def test_minor_units_follow_iso_4217() -> None:
    assert minor_unit("USD") == Fraction(1, 100) and minor_unit("EUR") == Fraction(1, 100)
    assert minor_unit("IDR") == minor_unit("JPY") == minor_unit("VND") == minor_unit("KRW") == 1
    assert minor_unit("KWD") == Fraction(1, 1000)
    assert half_unit("USD") == Fraction(1, 200)
    assert round_money(2.675, "USD") == 2.68 and round_money(1234.5, "IDR") == 1235.0


def test_exact_sums_use_the_decimals_written() -> None:
    import numpy as np

    assert exact(0.1) + exact(0.2) == exact(0.3)
    assert exact_dot(np.array([0.1, 0.2, 5_000_000_960.0]), np.array([1, 1, 2])) == Fraction(100000019203, 10)
    assert exact_dot(np.array([0.125, 1e13]), np.array([3, 1])) == Fraction(3, 8) + 10 ** 13


@pytest.mark.parametrize("amounts", ["cents", "a fee with 7 decimals", "fees near 1e13", "sums that overflow int64"])
def test_the_roster_checks_spend_of_every_part_of_a_plan_is_the_sum_of_its_creators_decimals(amounts: str) -> None:
    import numpy as np
    import pandas as pd

    from mixopt.roster.check import _ExactSpends, exact_spend

    rng = np.random.default_rng(3)
    n = 40
    fee = np.round(rng.uniform(10, 900, n), 2)
    if amounts == "a fee with 7 decimals":
        fee[5] = 12.3456789
    elif amounts == "fees near 1e13":
        fee = fee + 9_999_999_000_000.0
    posts = rng.integers(0, 5, n).astype(float)
    if amounts == "sums that overflow int64":
        fee, posts = fee * 1e11, posts * 20_000
    picked = pd.DataFrame({"fee_per_post": fee, "posts": posts,
                           "product_cost": np.round(rng.uniform(0, 40, n), 2), "handling_cost": np.full(n, 2.5)})
    spends = _ExactSpends(picked)
    assert (spends.rows is None) == (amounts in ("a fee with 7 decimals", "sums that overflow int64"))
    assert spends.of() == exact_spend(picked)
    for _ in range(5):
        part = rng.random(n) < 0.4
        assert spends.of(part) == exact_spend(picked, part)
    assert spends.of(np.zeros(n, dtype=bool)) == 0
