"""Roster mode's unique reach: creators of one overlap group (on one platform) share an audience.

The formula ``A (1 - prod (1 - R_i / A))`` is checked against a brute-force average over every way
the creators could pick their people; the plan's choice against enumeration of every choice of
creators on a small roster; targets against the independent check.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixopt.roster.check import check_roster_choice, exact_roster_unique_reach
from mixopt.roster.model import Audiences, roster_audiences, unique_reach_value
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.table import load_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.schema import Scenario
from mixopt.synth import synthetic_roster

GROUPS = ["g1"] * 5 + ["g2"] * 4 + ["g3"] * 3 + ["", ""]


def _table(tmp_path: Path, audience: bool) -> Path:
    table = synthetic_roster(14, 7).reset_index(drop=True)
    table["platform"] = ["instagram"] * 9 + ["tiktok"] * 5
    table["overlap_group"] = GROUPS
    table["must_include"] = 0
    table["exclude"] = 0
    if audience:  # small niche audiences, so overlap decides the choice
        table["audience"] = [4_000.0] * 5 + [2_500.0] * 4 + [3_000.0] * 3 + [math.nan, math.nan]
    path = tmp_path / ("creators_audience.csv" if audience else "creators.csv")
    table.to_csv(path, index=False)
    return path


def _scenario(tmp_path: Path, *, niche: bool = True, **extra: Any) -> Scenario:
    """A 14-creator roster in three overlap groups (``niche``: small audiences from the table's column)."""
    path = _table(tmp_path, niche)
    data: dict[str, Any] = {"budget": 1_500.0, "objective": {"maximize": "unique_reach"}, "rules": {"max_creators": 7},
                            "roster": {"file": path.name}}
    for key, value in extra.items():
        data[key] = {**data[key], **value} if key == "roster" else value
    return scenario_from_dict(data, file=str(tmp_path / "scenario.yaml"))


def _choices(n: int) -> np.ndarray:
    """Every choice of n creators, one row each (2^n rows)."""
    return ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(bool)


def test_the_formula_equals_the_average_over_every_way_creators_could_pick_their_people() -> None:
    audience, reaches = 6, [1, 2, 3, 2]
    aud = Audiences(unit=np.zeros(4, dtype=np.int64), audience=np.array([float(audience)]), unit_names=("g on a",),
                    unit_platform=np.zeros(1, dtype=np.int64), platform=np.zeros(4, dtype=np.int64), platforms=("a",),
                    reach=np.array(reaches, dtype=float), share=0.0)
    people = range(audience)
    for chosen in _choices(4)[1:]:
        picks = [list(itertools.combinations(people, r)) for r, c in zip(reaches, chosen) if c]
        sizes = [len(set().union(*combo)) for combo in itertools.product(*picks)]
        brute = sum(sizes) / len(sizes)
        assert unique_reach_value(aud, chosen) == pytest.approx(brute, abs=1e-9)
        assert float(exact_roster_unique_reach(aud, chosen)) == pytest.approx(brute, abs=1e-12)


def test_unique_reach_never_exceeds_summed_reach_and_grows_with_each_creator(tmp_path: Path) -> None:
    s = _scenario(tmp_path)
    table = load_roster(s).table
    aud = roster_audiences(s, table)
    reach = table["reach"].to_numpy(dtype=float)
    rng = np.random.default_rng(3)
    for chosen in rng.random((200, len(table))) < 0.5:
        unique = unique_reach_value(aud, chosen)
        assert unique <= reach[chosen].sum() + 1e-9
        assert float(exact_roster_unique_reach(aud, chosen)) == pytest.approx(unique, rel=1e-12, abs=1e-9)
        for i in np.nonzero(~chosen)[0][:2]:
            more = chosen.copy()
            more[i] = True
            assert unique_reach_value(aud, more) >= unique - 1e-9
    both = np.zeros(len(table), dtype=bool)
    both[[0, 1]] = True  # two creators of g1 share people: fewer than their sum
    assert unique_reach_value(aud, both) < reach[both].sum() - 1.0


def _brute_best(s: Scenario, goal: str = "unique") -> tuple[float, int]:
    """The best unique reach over every choice that keeps the budget and team capacity (and how many keep them)."""
    table = load_roster(s).table
    aud = roster_audiences(s, table)
    choices = _choices(len(table))
    spend = choices @ table["spend"].to_numpy(dtype=float)
    ok = (spend <= (s.budget or math.inf)) & (choices.sum(axis=1) <= (s.rules.max_creators or math.inf))
    best = max(unique_reach_value(aud, c) for c in choices[ok])
    return best, int(ok.sum())


@pytest.mark.parametrize("niche", [True, False])
@pytest.mark.parametrize("gap", [0.001, 0.0])
def test_maximising_unique_reach_matches_brute_force_within_the_certified_gap(tmp_path: Path, niche: bool,
                                                                            gap: float) -> None:
    s = _scenario(tmp_path, niche=niche, roster={"mip_gap": gap})
    plan = optimize_roster(s)
    best, feasible = _brute_best(s)
    assert feasible > 100 and plan.feasible and plan.gap is not None and plan.bound is not None
    chosen = plan.solution.chosen
    exact = float(exact_roster_unique_reach(roster_audiences(s, plan.roster.table), chosen))
    assert plan.objective_value == pytest.approx(exact, rel=1e-12)  # the reported figure is the exact one
    assert plan.totals["unique_reach"] == pytest.approx(exact, rel=1e-12)
    assert plan.bound >= best - 1e-6 * best  # the bound is honest
    assert exact >= best * (1 - plan.gap) - 1e-6  # and the plan is within it of the true best
    assert plan.gap <= max(gap, 1e-9) + 1e-12


def test_overlap_decides_the_choice_when_groups_share_a_small_audience(tmp_path: Path) -> None:
    s = _scenario(tmp_path)
    unique = optimize_roster(s)
    summed = optimize_roster(s.model_copy(update={"objective": s.objective.model_copy(update={"maximize": "reach"})}))
    assert unique.totals["unique_reach"] > summed.totals["unique_reach"] + 1.0
    assert unique.totals["reach"] <= summed.totals["reach"] + 1e-9


def test_a_unique_reach_target_is_met_and_rechecked_independently(tmp_path: Path) -> None:
    # (reach 1 beside it: scenario checks ask minimise-spend briefs for a target among the summed KPIs)
    s = _scenario(tmp_path, objective={"minimize": "spend"}, targets={"unique_reach": 6_000.0, "reach": 1.0}, budget=None)
    plan = optimize_roster(s)
    check = next(c for c in plan.checks if c.rule == "target[unique_reach]")
    assert plan.feasible and check.holds and check.value >= 6_000.0
    assert plan.totals["unique_reach"] == pytest.approx(check.value, rel=1e-12)
    table = load_roster(s).table
    aud = roster_audiences(s, table)
    choices = _choices(len(table))
    spend = choices @ table["spend"].to_numpy(dtype=float)
    cheapest = min(sp for c, sp in zip(choices, spend) if unique_reach_value(aud, c) >= 6_000.0)
    assert plan.totals["spend"] == pytest.approx(cheapest, abs=0.01) or plan.totals["spend"] <= cheapest / (1 - plan.gap)


def test_a_choice_below_the_unique_reach_target_breaks_the_rule(tmp_path: Path) -> None:
    s = _scenario(tmp_path, targets={"unique_reach": 6_000.0})
    table = load_roster(s).table
    chosen = np.zeros(len(table), dtype=bool)
    chosen[[0, 1]] = True
    check = next(c for c in check_roster_choice(s, table, chosen) if c.rule == "target[unique_reach]")
    assert not check.holds and check.value < 6_000.0


def test_overlap_off_gives_summed_reach(tmp_path: Path) -> None:
    s = _scenario(tmp_path, audience={"overlap": False})
    plan = optimize_roster(s)
    reach = optimize_roster(s.model_copy(update={"objective": s.objective.model_copy(update={"maximize": "reach"})}))
    assert plan.totals["unique_reach"] == pytest.approx(plan.totals["reach"], rel=1e-12)
    assert plan.objective_value == pytest.approx(reach.objective_value, rel=1e-9)
    assert plan.totals["frequency"] == pytest.approx(plan.totals["impressions"] / plan.totals["reach"], rel=1e-12)


def test_every_roster_plan_reports_unique_reach_and_frequency(tmp_path: Path) -> None:
    s = _scenario(tmp_path, objective={"maximize": "conversions"})
    plan = optimize_roster(s)
    t = plan.totals
    assert 0 < t["unique_reach"] < t["reach"]
    assert t["frequency"] == pytest.approx(t["impressions"] / t["unique_reach"], rel=1e-12)


def test_the_default_audience_scales_the_cell_audience_by_each_creators_reach(tmp_path: Path) -> None:
    s = _scenario(tmp_path, niche=False)
    table = load_roster(s).table
    aud = roster_audiences(s, table)
    from mixopt.scenario.cells import resolve_cells
    cells = {c.key: c for c in resolve_cells(s)}
    members = np.nonzero(table["overlap_group"].to_numpy() == "g2")[0]
    expected = np.mean([table["reach"].iloc[i] * cells[f"{table['tier'].iloc[i]}.instagram"].audience
                        / cells[f"{table['tier'].iloc[i]}.instagram"].reach_per_creator for i in members])
    assert aud.audience[aud.unit[members[0]]] == pytest.approx(expected, rel=1e-12)


def test_a_group_with_two_audiences_is_refused_in_one_line(tmp_path: Path) -> None:
    from mixopt.errors import ScenarioError
    s = _scenario(tmp_path)
    table = pd.read_csv(tmp_path / "creators_audience.csv")
    table.loc[0, "audience"] = 9_999.0
    table.to_csv(tmp_path / "creators_audience.csv", index=False)
    with pytest.raises(ScenarioError) as err:
        roster_audiences(s, load_roster(s).table)
    assert "column audience (overlap group g1): gives more than one audience" in str(err.value)


def test_validate_names_a_group_with_two_audiences_in_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mixopt.cli.app import cli
    _table(tmp_path, audience=True)
    table = pd.read_csv(tmp_path / "creators_audience.csv")
    table.loc[5, "audience"] = 0.0
    table.to_csv(tmp_path / "creators_audience.csv", index=False)
    (tmp_path / "scenario.yaml").write_text("budget: 1500\nobjective: {maximize: unique_reach}\n"
                                            "roster: {file: creators_audience.csv}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "scenario.yaml")])
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "Traceback" not in result.output
    assert "column audience (overlap group g2): gives more than one audience or one not above 0 (got '0, 2500')" in lines[0]


def test_a_value_weight_on_unique_reach_prices_people_reached(tmp_path: Path) -> None:
    weights = {"unique_reach": 0.5, "conversions": 10.0}
    s = _scenario(tmp_path, objective={"maximize": "value", "value_per_unit": weights})
    plan = optimize_roster(s)
    t = plan.totals
    assert plan.feasible and plan.gap is not None
    assert plan.objective_value == pytest.approx(0.5 * t["unique_reach"] + 10.0 * t["conversions"], rel=1e-9)


def test_unique_reach_with_extra_posts_keeps_posts_and_people_apart(tmp_path: Path) -> None:
    s = _scenario(tmp_path, roster={"max_posts_per_creator": 3})
    plan = optimize_roster(s)
    best, _ = _brute_best(s)  # more posts add impressions, never people: the same best choice
    assert plan.feasible and plan.bound is not None and plan.bound >= best - 1e-6 * best
    assert plan.objective_value == pytest.approx(plan.totals["unique_reach"], rel=1e-12)
    assert plan.objective_value >= best * (1 - (plan.gap or 0.0)) - 1e-6
