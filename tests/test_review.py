"""mixopt review: the actual column adds up to the results table's totals, every gap is exactly the sum of
its volume, rate and cost parts, unplanned and undelivered rows are all volume, and creators far outside
their predicted range are listed (counting noise is not)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import mixopt
from mixopt.analysis.campaign_results import generate_campaign
from mixopt.analysis.review import MEASURES, read_plan, review_plan
from mixopt.cli.app import cli
from mixopt.errors import ScenarioError
from mixopt.outputs.plan_files import plan_json
from mixopt.scenario.results import read_results
from mixopt.scenario.schema import Scenario
from tests.conftest import SCENARIOS

SUMS = {"creators": None, "posts": "posts", "reach": "reach", "engagements": "engagements",
        "conversions": "conversions", "revenue": "revenue"}


@pytest.fixture(scope="module")
def tier_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, pd.DataFrame]:
    tmp = tmp_path_factory.mktemp("review")
    plan = json.loads(plan_json(mixopt.optimize(mixopt.load_scenario(SCENARIOS / "base.yaml"))))
    invites = {f"{a['tier']}.{a['platform']}": int(a["invites"]) for a in plan["allocation"]}
    invites["pico.instagram"] = 40  # a cell the plan did not use
    invites["micro.youtube"] = 0  # a planned cell with no results
    table = generate_campaign(21, invites).table
    path = tmp / "results.csv"
    table.to_csv(path, index=False)
    return plan, path, table


def _review(plan: dict, path: Path):  # noqa: ANN202
    return review_plan(plan, read_results([path], Scenario()))


def test_review_totals_equal_the_results_table_totals(tier_case: tuple[dict, Path, pd.DataFrame]) -> None:
    plan, path, table = tier_case
    totals = _review(plan, path).table.query("row == 'total'").set_index("measure")["actual"]
    signed = table[(table["posts"] > 0) | (table["accepted"] > 0)]
    assert totals["creators"] == len(signed)
    for measure, column in SUMS.items():
        if column is not None:
            assert totals[measure] == pytest.approx(signed[column].sum(), abs=1e-6), measure
    spend = signed["fee_paid"].sum() + signed["product_cost"].sum() + signed["handling_cost"].sum()
    assert totals["spend"] == pytest.approx(spend, abs=1e-6)
    assert totals["cpa"] == pytest.approx(spend / signed["conversions"].sum(), abs=1e-9)


def test_planned_column_equals_the_plan(tier_case: tuple[dict, Path, pd.DataFrame]) -> None:
    plan, path, _table = tier_case
    totals = _review(plan, path).table.query("row == 'total'").set_index("measure")["planned"]
    for measure in ("creators", "posts", "spend", "reach", "engagements", "conversions", "revenue", "profit", "roi",
                    "cpa"):
        assert totals[measure] == pytest.approx(plan["totals"][measure], abs=1e-6), measure


def test_every_gap_is_exactly_its_volume_rate_and_cost_parts(tier_case: tuple[dict, Path, pd.DataFrame]) -> None:
    plan, path, _table = tier_case
    table = _review(plan, path).table
    finite = table[np.isfinite(table["gap"])]
    assert len(finite) > 0.8 * len(table)
    parts = finite["volume"] + finite["rate"] + finite["cost"]
    assert np.allclose(parts, finite["gap"], rtol=0, atol=1e-6)
    counts = table[table["measure"].isin(["creators", "posts"])]
    assert (counts["rate"] == 0).all() and (counts["cost"] == 0).all()
    outcomes = table[table["measure"].isin(["reach", "engagements", "conversions"])]
    assert (outcomes["cost"].abs() < 1e-9).all()


def test_unplanned_and_undelivered_cells_are_all_volume(tier_case: tuple[dict, Path, pd.DataFrame]) -> None:
    plan, path, _table = tier_case
    table = _review(plan, path).table.set_index(["row", "measure"])
    for row in ("pico.instagram", "micro.youtube"):
        for measure in ("spend", "reach", "conversions"):
            r = table.loc[(row, measure)]
            assert r["volume"] == pytest.approx(r["gap"], abs=1e-9) and r["gap"] != 0, (row, measure)
    assert table.loc[("micro.youtube", "conversions"), "actual"] == 0
    assert table.loc[("pico.instagram", "conversions"), "planned"] == 0


def _roster_plan() -> dict:
    selected = [
        {"id": "a", "platform": "instagram", "tier": "nano", "followers": 5000.0, "posts": 2.0, "spend": 300.0,
         "fee_per_post": 100.0, "product_cost": 40.0, "handling_cost": 60.0, "reach": 1000.0, "engagements": 300.0,
         "conversions": 6.0, "revenue": 570.0},
        {"id": "b", "platform": "tiktok", "tier": "micro", "followers": 20000.0, "posts": 1.0, "spend": 500.0,
         "fee_per_post": 400.0, "product_cost": 50.0, "handling_cost": 50.0, "reach": 6000.0,
         "engagements": 1200.0, "conversions": 12.0, "revenue": 1140.0},
    ]
    totals = {"creators": 2.0, "posts": 3.0, "spend": 800.0, "reach": 7000.0, "engagements": 1500.0,
              "conversions": 18.0, "revenue": 1710.0, "commission": 90.0, "profit": 1710 * 0.7 - 800 - 90}
    return {"mode": "roster", "currency": "USD", "selected": selected, "totals": totals}


def test_roster_review_is_per_creator_with_unplanned_creators_as_rows(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("creator_id,platform,followers,posts,reach,engagements,conversions,revenue,fee_paid,"
                    "product_cost,handling_cost\n"
                    "a,instagram,5000,2,900,150,3,285,200,40,60\n"
                    "c,instagram,3000,1,500,90,2,190,80,40,60\n", encoding="utf-8")
    review = review_plan(_roster_plan(), read_results([path], Scenario()))
    table = review.table.set_index(["row", "measure"])
    assert list(dict.fromkeys(review.table["row"])) == ["a", "b", "c", "total"]
    assert table.loc[("a", "engagements"), "rate"] == pytest.approx(-150, abs=1e-9)  # same volume, half the rate
    assert table.loc[("a", "engagements"), "volume"] == pytest.approx(0, abs=1e-9)
    assert table.loc[("b", "conversions"), "gap"] == pytest.approx(-12, abs=1e-9)  # never delivered
    assert table.loc[("b", "conversions"), "volume"] == pytest.approx(-12, abs=1e-9)
    assert table.loc[("c", "spend"), "volume"] == pytest.approx(180, abs=1e-9)  # not in the plan
    assert table.loc[("total", "spend"), "actual"] == pytest.approx(480, abs=1e-9)
    assert table.loc[("total", "roi"), "planned"] == pytest.approx((1710 * 0.7 - 890) / 800, abs=1e-9)
    for measure in MEASURES:
        r = table.loc[("total", measure)]
        assert r["volume"] + r["rate"] + r["cost"] == pytest.approx(r["gap"], abs=1e-9), measure


def test_far_outside_lists_real_outliers_not_counting_noise(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("creator_id,platform,followers,posts,engagements,conversions\n"
                    "a,instagram,5000,2,200,4\n"  # 0.02 engagements per follower-post: two thirds of the plan
                    "b,tiktok,20000,1,8000,0\n"  # 0 sales of 8,000 engagements at a planned 1%
                    "c,instagram,5000,2,5,0\n", encoding="utf-8")  # not in the plan: 0.0005 per follower-post
    review = review_plan(_roster_plan(), read_results([path], Scenario()))
    flagged = set(zip(review.flags["creator_id"], review.flags["measure"]))
    assert ("a", "engagement_rate") not in flagged and ("a", "conversion_rate") not in flagged
    assert ("b", "conversion_rate") in flagged  # not chance
    assert ("c", "engagement_rate") in flagged  # far below its cell's default range
    assert ("c", "conversion_rate") not in flagged  # 0 of 5 engagements says nothing


def test_review_command_writes_the_files(tier_case: tuple[dict, Path, pd.DataFrame], tmp_path: Path) -> None:
    plan, path, _table = tier_case
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    result = CliRunner().invoke(cli, ["review", str(plan_file), str(path), "--out", str(tmp_path / "out")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Where the gaps come from" in result.output
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"review.csv", "review_flags.csv", "review.xlsx"}
    frame = pd.read_csv(tmp_path / "out" / "review.csv")
    assert list(frame.columns) == ["row", "tier", "platform", "measure", "planned", "actual", "gap", "volume",
                                   "rate", "cost"]


def test_a_file_that_is_not_a_plan_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        read_plan(bad)
    assert str(caught.value) == (f"{bad}: (file): is not a mixopt plan.json (no allocation or selected creators). "
                                 "Give the plan.json that 'mixopt solve --out DIR' wrote.")
    result = CliRunner().invoke(cli, ["review", str(bad), str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and result.output.count("\n") == 1


def test_the_results_generator_runs_a_roster_plan_with_its_named_creators(tmp_path: Path) -> None:
    from mixopt.analysis.campaign_results import main as generate

    plan = _roster_plan()
    plan["selected"] = [{**plan["selected"][k % 2], "id": f"creator{k:02d}"} for k in range(40)]
    plan_file, out = tmp_path / "plan.json", tmp_path / "results.csv"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    generate(["--seed", "11", "--wave", "1", "--plan", str(plan_file), "--out", str(out)])
    results = pd.read_csv(out)
    assert sorted(results["creator_id"]) == [f"creator{k:02d}" for k in range(40)]  # each invited by name
    signed = results.loc[results["accepted"] == 1]
    assert 0 < len(signed) < 40 and (signed["posts"] > 0).all()
    with pytest.raises(SystemExit, match="not a plan.json written by mixopt solve"):
        generate(["--plan", str(tmp_path / "missing.json"), "--out", str(tmp_path / "other.csv")])
    assert not (tmp_path / "other.csv").exists()
