"""Results tables: export spellings and --columns mapping, per-post aggregation, tiers from followers, and
one exact line per bad row (by row and column), skipped rows counted, never dropped silently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixopt.errors import ScenarioError
from mixopt.scenario.results import parse_column_mapping, read_results
from mixopt.scenario.schema import Scenario

BAD = """Creator,Platform,Follower Count,Posts,Link Clicks,Orders,Engagements,Invited,Accepted
a1,instagram,5000,2,40,3,300,1,1
a2,instagram,-5,1,10,1,50,1,1
a3,twitter,4000,1,10,1,50,1,1
a1,tiktok,3000,1,10,1,50,1,1
a5,instagram,6000,1,10,12,50,1,1
a6,instagram,6000,x,10,1,50,1,1
a7,instagram,500000,1,10,1,50,1,1
a8,instagram,6000,1,10,1,50,1,2
a9,instagram,6000,1,100,70,50,1,1
"""
EXPECTED = [
    "row 3, followers: must not be negative (got -5). Fix the value or remove the row.",
    "row 4, platform: not a platform of this scenario (got 'twitter'). Use one of instagram, tiktok, youtube, or "
    "pass --scenario with that platform.",
    "row 5, creator_id: duplicate id (an earlier row has it) (got 'a1'). Keep one row per creator, or add a "
    "post_id column for one row per post.",
    "row 6, conversions: more conversions than clicks (got 12). Conversions are counted among the clicks: check "
    "the two columns.",
    "row 7, posts: not a number (got 'x'). Write a plain number such as 1200.",
    "row 8, followers: outside every tier band (got 500000). Add a tier for this follower count with --scenario, "
    "or remove the row.",
    "row 9, accepted: more accepted than invited (got 2). Check the two columns.",
    "row 10, conversions: more conversions than engagements (got 70). Conversions are counted per engagement: "
    "check the two columns.",
]


def _write(tmp_path: Path, text: str, name: str = "results.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rows_get_one_exact_line_each_in_row_order(tmp_path: Path) -> None:
    path = _write(tmp_path, BAD)
    with pytest.raises(ScenarioError) as caught:
        read_results([path], Scenario())
    assert [str(i) for i in caught.value.issues] == [f"{path}: {line}" for line in EXPECTED]


def test_skipped_bad_rows_are_counted_and_listed(tmp_path: Path) -> None:
    path = _write(tmp_path, BAD)
    results = read_results([path], Scenario(), skip_bad_rows=True)
    assert results.rows_read == 9 and results.skipped_rows == 8 and len(results) == 1
    assert [str(i) for i in results.skipped] == [f"{path}: {line}" for line in EXPECTED]
    assert results.notes == ("skipped 8 bad rows of 9 (listed in the report)",)
    assert results.table["creator_id"].tolist() == ["a1"]


def test_more_than_twenty_bad_rows_lists_twenty_and_counts_the_rest(tmp_path: Path) -> None:
    rows = "\n".join(f"c{i},instagram,-1,1" for i in range(25))
    path = _write(tmp_path, "creator_id,platform,followers,posts\n" + rows + "\n")
    with pytest.raises(ScenarioError) as caught:
        read_results([path], Scenario())
    lines = [str(i) for i in caught.value.issues]
    assert len(lines) == 21
    assert lines[0] == f"{path}: row 2, followers: must not be negative (got -1). Fix the value or remove the row."
    assert lines[-1] == (f"{path}: (rows): 5 more bad rows not listed. Fix them, or add --skip-bad-rows to skip "
                         "every bad row.")


def test_missing_required_column_names_the_mapping_fix(tmp_path: Path) -> None:
    path = _write(tmp_path, "creator_id,platform,posts\nx,instagram,1\n")
    with pytest.raises(ScenarioError) as caught:
        read_results([path], Scenario())
    assert [str(i) for i in caught.value.issues] == [
        f"{path}: followers: column missing. Add a 'followers' column, or map yours with --columns "
        "followers=COLUMN."]


def test_export_spellings_and_column_mapping_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "Username,Network,Subscribers,Deliverables,Code Uses,Total Engagements\n"
                            "u1,TikTok,2500,3,4,400\n")
    results = read_results([path], Scenario(), columns=parse_column_mapping(["conversions=Code Uses"]))
    row = results.table.iloc[0]
    assert (row["creator_id"], row["platform"], row["tier"]) == ("u1", "tiktok", "nano")
    assert (row["followers"], row["posts"], row["conversions"], row["engagements"]) == (2500, 3, 4, 400)
    assert set(results.given) == {"engagements", "conversions"}


def test_column_mapping_mistakes_are_one_line_each() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_column_mapping(["orders"])
    assert str(caught.value) == ("(command line): --columns: not NAME=COLUMN (got 'orders'). Write e.g. "
                                 "--columns conversions='Code uses'.")
    with pytest.raises(ScenarioError) as caught:
        parse_column_mapping(["sold=Orders"])
    assert str(caught.value).startswith("(command line): --columns: not a results column (got 'sold'). Use one of "
                                        "creator_id, platform")


def test_per_post_rows_are_summed_by_creator(tmp_path: Path) -> None:
    path = _write(tmp_path, "creator_id,post_id,platform,followers,reach,engagements,conversions,fee_paid\n"
                            "a,p1,instagram,4000,800,100,2,50\n"
                            "a,p2,instagram,4100,900,120,,50\n"
                            "b,p1,instagram,20000,3000,200,3,300\n")
    table = read_results([path], Scenario()).table.set_index("creator_id")
    assert table.loc["a", "posts"] == 2 and table.loc["a", "followers"] == 4100
    assert table.loc["a", "reach"] == 900  # the largest post: people who saw both are not added
    assert (table.loc["a", "engagements"], table.loc["a", "conversions"], table.loc["a", "fee_paid"]) == (220, 2, 100)
    assert table.loc["b", "tier"] == "micro" and table.loc["a", "tier"] == "nano"


def test_duplicate_posts_are_bad_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "creator_id,post_id,platform,followers\na,p1,instagram,4000\na,p1,instagram,4000\n")
    with pytest.raises(ScenarioError) as caught:
        read_results([path], Scenario())
    assert str(caught.value) == (f"{path}: row 3, post_id: duplicate post (an earlier row has this creator and "
                                 "post) (got 'p1'). Keep one row per post.")


def test_tiers_follow_the_scenario_bands(tmp_path: Path) -> None:
    path = _write(tmp_path, "creator_id,platform,followers,posts\na,instagram,4000,1\nb,instagram,6000,1\n")
    bands = Scenario(tiers={"small": (0, 5000), "large": (5000, 100000)})
    assert read_results([path], bands).table["tier"].tolist() == ["small", "large"]


def test_xlsx_and_csv_give_the_same_table(tmp_path: Path) -> None:
    frame = pd.DataFrame({"creator_id": ["a", "b"], "platform": ["instagram", "youtube"], "followers": [900, 30000],
                          "posts": [1, 2], "engagements": [30, 400]})
    frame.to_excel(tmp_path / "r.xlsx", index=False)
    frame.to_csv(tmp_path / "r.csv", index=False)
    a = read_results([tmp_path / "r.xlsx"], Scenario()).table.drop(columns="source")
    b = read_results([tmp_path / "r.csv"], Scenario()).table.drop(columns="source")
    pd.testing.assert_frame_equal(a, b)
    assert np.isnan(a["conversions"]).all()  # a column the table lacks stays empty, not 0


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        read_results([tmp_path / "none.csv"], Scenario())
    assert str(caught.value) == f"{tmp_path / 'none.csv'}: (file): results table not found. Check the path and the file name."
