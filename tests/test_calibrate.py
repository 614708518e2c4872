"""Calibration from past results: known rates are recovered (80% intervals of the cell averages hold the
truth about 80% of the time), sparse cells shrink towards their priors, the files repeat byte for byte,
and a scenario plans with them through ``assumptions_from:`` (its own numbers still win)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import mixopt
from mixopt.analysis.calibrate import calibrate
from mixopt.analysis.campaign_results import SPRING_CREATORS, generate_campaign
from mixopt.cli.app import cli
from mixopt.errors import ScenarioError
from mixopt.outputs.calibration_files import calibrated_yaml, write_calibration
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.results import ResultsTable, read_results
from mixopt.scenario.schema import AssumptionsFile, Scenario
from mixopt.tier.plan import assumptions_table
from tests.conftest import ROOT, SCENARIOS

SPRING = SCENARIOS / "results" / "spring_campaign.csv"
COVERAGE_SIZES = {"pico.instagram": 25, "pico.tiktok": 15, "nano.instagram": 40, "nano.tiktok": 20,
                  "nano.youtube": 8, "micro.instagram": 12, "micro.tiktok": 8, "micro.youtube": 6}


def _results(campaign_table: pd.DataFrame, scenario: Scenario, tmp: Path, name: str = "r.csv") -> ResultsTable:
    path = tmp / name
    campaign_table.to_csv(path, index=False)
    return read_results([path], scenario)


@pytest.fixture(scope="module")
def coverage(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """25 seeded campaigns x 8 cells = 200 cells per parameter, each with its truth and intervals."""
    tmp = tmp_path_factory.mktemp("coverage")
    scenario = Scenario()
    found = []
    for seed in range(100, 125):
        campaign = generate_campaign(seed, COVERAGE_SIZES)
        estimates = calibrate(_results(campaign.table, scenario, tmp), scenario).estimates
        found.append(estimates.merge(campaign.truth, on=["cell", "tier", "platform", "parameter"]))
    return pd.concat(found, ignore_index=True)


@pytest.mark.parametrize("parameter", ["reach_rate", "engagement_rate", "conversion_rate", "fee_per_post"])
def test_80_percent_intervals_of_cell_averages_hold_the_truth_about_80_percent_of_the_time(
        coverage: pd.DataFrame, parameter: str) -> None:
    rows = coverage[coverage["parameter"] == parameter]
    assert len(rows) >= 180  # a cell whose creators all declined has no rate to learn
    held = ((rows["mean_low"] <= rows["true_average"]) & (rows["true_average"] <= rows["mean_high"])).mean()
    assert 0.65 <= held <= 0.92, f"{parameter}: {held:.0%} of {len(rows)} cells"


def test_one_creator_intervals_are_wider_than_the_cell_average_intervals(coverage: pd.DataFrame) -> None:
    assert (coverage["low"] <= coverage["mean_low"] + 1e-12).all()
    assert (coverage["high"] >= coverage["mean_high"] - 1e-12).all()
    assert ((coverage["low"] <= coverage["base"]) & (coverage["base"] <= coverage["high"])).all()


def _synthetic(rows: dict[str, tuple[int, float]]) -> ResultsTable:
    """Creators whose engagement rates per follower-post average the given rate (creator spread 50%, seeded):
    {cell: (creators, rate)}."""
    frames = []
    rng = np.random.default_rng(5)
    for cell, (count, average) in rows.items():
        rate = average * rng.gamma(4.0, 0.25, count)
        rate *= average / rate.mean()  # the cell's creators average exactly the given rate
        tier, platform = cell.split(".")
        followers = {"pico": 500, "nano": 4000, "micro": 30000}[tier]
        frames.append(pd.DataFrame({
            "creator_id": [f"{cell}-{i}" for i in range(count)], "platform": platform, "tier": tier,
            "followers": float(followers), "posts": 2.0, "engagements": np.round(followers * 2 * rate)}))
    table = pd.concat(frames, ignore_index=True)
    for c in ("reach", "impressions", "clicks", "conversions", "invited", "accepted", "revenue", "fee_paid",
              "product_cost", "handling_cost"):
        table[c] = np.nan
    table["signed"] = True
    table["source"] = "(test)"
    return ResultsTable(table=table, files=(), rows_read=len(table))


def _engagement(calibration_estimates: pd.DataFrame, cell: str) -> pd.Series:
    rows = calibration_estimates
    return rows[(rows["cell"] == cell) & (rows["parameter"] == "engagement_rate")].iloc[0]


def test_a_sparse_cell_is_pulled_towards_its_prior_and_a_busy_one_follows_its_data() -> None:
    scenario = Scenario()
    default = 0.018  # nano.instagram's built-in engagement rate
    others = {"nano.tiktok": (80, 0.06), "pico.instagram": (80, 0.035), "micro.instagram": (80, 0.01)}
    sparse = calibrate(_synthetic({**others, "nano.instagram": (2, 3 * default)}), scenario).estimates
    busy = calibrate(_synthetic({**others, "nano.instagram": (200, 3 * default)}), scenario).estimates
    s, b = _engagement(sparse, "nano.instagram"), _engagement(busy, "nano.instagram")
    assert s["observed"] == pytest.approx(3 * default, rel=1e-3)
    assert default < s["base"] < s["observed"]
    assert s["base"] - default < 0.5 * (s["observed"] - default)  # two creators move it less than half-way
    assert b["base"] == pytest.approx(3 * default, rel=0.05)  # two hundred creators: the data decide
    assert s["mean_high"] - s["mean_low"] > 3 * (b["mean_high"] - b["mean_low"])


def test_a_cell_without_results_is_not_written(tmp_path: Path) -> None:
    scenario = Scenario()
    estimates = calibrate(_synthetic({"nano.instagram": (30, 0.02)}), scenario).estimates
    assert set(estimates["cell"]) == {"nano.instagram"}


def test_calibrated_yaml_is_an_assumptions_block_with_provenance(tmp_path: Path) -> None:
    scenario = Scenario()
    results = read_results([SPRING], scenario)
    text = calibrated_yaml(calibrate(results, scenario))
    assert f"#   {SPRING}  sha256 {results.files[0][1]}" in text
    assert "#   nano.instagram       50 creators      100 posts" in text
    data = yaml.safe_load(text)
    layer = AssumptionsFile.model_validate(data)
    assert data["grade"] == "calibrated" and layer.tiers["nano"] == (1000, 10000)
    block = layer.assumptions["nano.instagram"]
    assert block.engagement_rate_per == "followers"
    for name in ("reach_rate", "engagement_rate", "conversion_rate", "click_rate", "acceptance_rate",
                 "fee_per_post", "product_cost", "handling_cost"):
        value = getattr(block, name)
        assert value.low <= value.mean_low <= value.base <= value.mean_high <= value.high, name
    assert "pico.youtube" not in layer.assumptions  # no results there


def test_same_results_give_byte_identical_files(tmp_path: Path) -> None:
    scenario = Scenario()
    for out in ("a", "b"):
        write_calibration(calibrate(read_results([SPRING], scenario), scenario), tmp_path / out)
    for name in ("calibrated.yaml", "calibration.csv", "calibration.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_the_shipped_campaign_is_the_documented_generator_output(tmp_path: Path) -> None:
    campaign = generate_campaign(11, SPRING_CREATORS)
    assert campaign.table.to_csv(index=False, lineterminator="\n") == SPRING.read_text(encoding="utf-8")
    truth = pd.read_csv(SCENARIOS / "results" / "spring_campaign_truth.csv")
    pd.testing.assert_frame_equal(truth, campaign.truth, rtol=1e-5)


# ----------------------------------------------------------------------------- assumptions_from:


@pytest.fixture(scope="module")
def calibrated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("calibrated")
    scenario = Scenario()
    write_calibration(calibrate(read_results([SPRING], scenario), scenario), out)
    (out / "plan.yaml").write_text(f"extends: {SCENARIOS / 'base.yaml'}\nassumptions_from: calibrated.yaml\n",
                                   encoding="utf-8")
    return out


def test_assumptions_from_changes_the_plan_and_records_what_it_set(calibrated_dir: Path) -> None:
    plain = mixopt.load_scenario(SCENARIOS / "base.yaml")
    layered = mixopt.load_scenario(calibrated_dir / "plan.yaml")
    cells = {c.key: c for c in resolve_cells(layered)}
    written = AssumptionsFile.model_validate(yaml.safe_load((calibrated_dir / "calibrated.yaml").read_text()))
    assert cells["nano.instagram"].fee_per_post == written.assumptions["nano.instagram"].fee_per_post.base
    assert cells["nano.instagram"].product_cost == 20  # base.yaml's own 'nano: {product_cost: 20}' wins
    assert "nano.instagram.product_cost" not in layered.calibrated_values
    assert layered.calibrated_values["nano.instagram.fee_per_post"].startswith("calibrated (")
    assert "pico.youtube.fee_per_post" not in layered.calibrated_values
    before, after = mixopt.optimize(plain), mixopt.optimize(layered)
    assert before.allocation["creators"].tolist() != after.allocation["creators"].tolist()


def test_the_assumptions_table_says_calibrated(calibrated_dir: Path) -> None:
    layered = mixopt.load_scenario(calibrated_dir / "plan.yaml")
    table = assumptions_table(resolve_cells(layered))
    row = table[(table["tier"] == "nano") & (table["platform"] == "instagram") & (table["parameter"] == "fee_per_post")]
    assert row["set_by"].iloc[0].startswith("calibrated")
    assert row["source"].iloc[0] == row["set_by"].iloc[0] and "calibrated.yaml" in row["source"].iloc[0]
    assert row["grade"].iloc[0] == "calibrated"


def test_assumptions_from_a_missing_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("budget: 1000\nassumptions_from: nowhere.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        mixopt.load_scenario(path)
    assert str(caught.value) == (f"{caught.value.issues[0].file}: assumptions_from: cannot be read: file not found "
                                 "(got 'nowhere.yaml'). Give the path of a calibrated.yaml written by 'mixopt "
                                 "calibrate' (relative to this file).")


def test_assumptions_from_with_other_tier_bands_is_refused(calibrated_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"budget: 1000\ntiers: {{pico: [0, 1000], nano: [1000, 5000], micro: [5000, 100000]}}\n"
                    f"assumptions_from: {calibrated_dir / 'calibrated.yaml'}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        mixopt.load_scenario(path)
    lines = [str(i) for i in caught.value.issues]
    assert len(lines) == 2 and lines[0].startswith(f"{caught.value.issues[0].file}: tiers.nano: the band differs "
                                                   "from the calibration's 1,000-10,000 in ")


# ----------------------------------------------------------------------------- the command


def test_calibrate_command_writes_the_files_and_prints_the_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["calibrate", str(SPRING.relative_to(ROOT)), "--out", str(tmp_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} == {"calibrated.yaml", "calibration.csv", "calibration.xlsx"}
    assert "nano.instagram   engagement_rate" in result.output
    frame = pd.read_csv(tmp_path / "calibration.csv")
    assert list(frame.columns[:4]) == ["tier", "platform", "cell", "parameter"]


def test_calibrate_command_stops_on_bad_rows_with_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("creator_id,platform,followers,posts\na,instagram,4000,-1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["calibrate", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.output == f"{bad}: row 2, posts: must not be negative (got -1). Fix the value or remove the row.\n"


def test_the_shipped_calibration_is_what_calibrate_writes_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    scenario = Scenario()
    text = calibrated_yaml(calibrate(read_results(["scenarios/results/spring_campaign.csv"], scenario), scenario))
    assert text == (SCENARIOS / "results" / "spring_calibrated.yaml").read_text(encoding="utf-8")


def test_the_shipped_summer_wave_plans_with_the_spring_calibration() -> None:
    summer = mixopt.load_scenario(SCENARIOS / "results" / "summer_wave.yaml")
    label = summer.calibrated_values["nano.tiktok.engagement_rate"]
    assert label.startswith("calibrated (") and label.endswith("spring_calibrated.yaml)")
    assert mixopt.optimize(summer, explain=False).status.has_plan
