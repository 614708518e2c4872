"""The measurement plan: one tracking code and UTM link per used cell or chosen creator, the same
codes on every run, and a creator keeps its code when the plan around it changes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import mixopt
from mixopt.outputs.tracking import campaign_slug, tracking_csv, tracking_frame

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.yaml"
SKINCARE = ROOT / "scenarios" / "roster_skincare.yaml"


def test_a_tier_plan_gets_one_code_per_used_cell_with_its_creators_and_posts() -> None:
    plan = mixopt.optimize(BASE, explain=False)
    frame = tracking_frame(plan)
    used = plan.allocation[plan.allocation["creators"] > 0]
    assert len(frame) == len(used) and frame["tracking_code"].is_unique
    assert frame["creators"].sum() == plan.totals["creators"] and frame["posts"].sum() == plan.totals["posts"]
    for row in frame.itertuples():
        assert f"utm_source={row.platform}" in row.utm_link and row.utm_link.endswith(row.tracking_code.lower())


def test_a_roster_plan_gets_one_code_per_chosen_creator_that_survives_a_re_plan() -> None:
    plan = mixopt.optimize(SKINCARE, explain=False)
    frame = tracking_frame(plan)
    assert len(frame) == plan.totals["creators"] and frame["tracking_code"].is_unique
    assert set(frame["creator_id"]) == set(plan.selected["id"].astype(str))
    smaller = mixopt.optimize(mixopt.scenario.fields.with_field(plan.scenario, "budget", 30_000.0), explain=False)
    again = tracking_frame(smaller).set_index("creator_id")["tracking_code"]
    first = frame.set_index("creator_id")["tracking_code"]
    common = first.index.intersection(again.index)
    assert len(common) > 0 and (first[common] == again[common]).all()


def test_tracking_csv_repeats_byte_for_byte_and_reads_back() -> None:
    plan = mixopt.optimize(BASE, explain=False)
    text = tracking_csv(plan)
    assert text == tracking_csv(mixopt.optimize(BASE, explain=False))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["tracking_code"] for r in rows] == list(tracking_frame(plan)["tracking_code"])


def test_the_campaign_slug_keeps_letters_and_digits_only() -> None:
    assert campaign_slug("Skincare launch - sales (2027)") == "SKINCARE-LAUNCH-SALES-2027"
    assert campaign_slug("=HYPERLINK(\"x\")") == "HYPERLINK-X"
    assert campaign_slug("!!!") == "CAMPAIGN"
