"""Posts per creator: each cell's posts are shared out as evenly as possible, every creator makes
1..max_posts posts, the split adds up to the cell's creators and posts, and the plan files show it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mixopt
from mixopt.outputs.plan_files import plan_csv, plan_json, write_outputs
from mixopt.outputs.tables import format_table
from mixopt.scenario.outcomes import PostsGroup, posts_split_text, split_posts
from tests.conftest import SCENARIOS, shipped_scenarios


def test_37_creators_with_110_posts_are_36_with_3_posts_and_1_with_2() -> None:
    assert split_posts(37, 110) == (PostsGroup(creators=36, posts_each=3), PostsGroup(creators=1, posts_each=2))
    assert posts_split_text(split_posts(37, 110)) == "36x3 + 1x2"
    assert posts_split_text(split_posts(37, 110), "+") == "36x3+1x2"


def test_as_many_posts_as_creators_is_one_post_each() -> None:
    assert split_posts(27, 27) == (PostsGroup(27, 1),)
    assert posts_split_text(split_posts(27, 27)) == "27x1"


def test_max_posts_for_every_creator_is_one_group_at_max_posts() -> None:
    assert split_posts(14, 14 * 3) == (PostsGroup(14, 3),)
    assert split_posts(1, 5) == (PostsGroup(1, 5),)


def test_an_unused_cell_has_no_split_and_empty_text() -> None:
    assert split_posts(0, 0) == ()
    assert posts_split_text(split_posts(0, 0)) == ""


def test_a_mix_with_fewer_posts_than_creators_shows_creators_without_a_post() -> None:
    assert posts_split_text(split_posts(25, 10)) == "10x1 + 15x0"


def test_negative_creators_or_posts_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        split_posts(-1, 3)
    with pytest.raises(ValueError, match="must not be negative"):
        split_posts(3, -1)


@given(creators=st.integers(1, 2_000), max_posts=st.integers(1, 12), data=st.data())
def test_a_cell_within_its_posts_rules_splits_into_at_most_two_adjacent_post_counts(
    creators: int, max_posts: int, data: st.DataObject
) -> None:
    posts = data.draw(st.integers(creators, creators * max_posts))
    groups = split_posts(creators, posts)
    assert sum(g.creators for g in groups) == creators
    assert sum(g.creators * g.posts_each for g in groups) == posts
    assert all(g.creators > 0 and 1 <= g.posts_each <= max_posts for g in groups)
    counts = [g.posts_each for g in groups]
    assert counts == sorted(counts, reverse=True) and len(counts) in (1, 2)
    assert counts[0] - counts[-1] <= 1


@given(creators=st.integers(1, 500), max_posts=st.integers(1, 12), posts=st.integers(0, 7_000))
def test_every_creator_fits_1_to_max_posts_exactly_when_the_cell_keeps_its_posts_rules(
    creators: int, max_posts: int, posts: int
) -> None:
    groups = split_posts(creators, posts)
    fits = all(1 <= g.posts_each <= max_posts for g in groups)
    assert fits == (creators <= posts <= max_posts * creators)


@pytest.mark.parametrize("path", shipped_scenarios(), ids=[p.stem for p in shipped_scenarios()])
def test_every_shipped_plan_gives_each_creator_1_to_max_posts_and_adds_up(path: Path) -> None:
    plan = mixopt.optimize(path, explain=False)
    splits = plan.posts_split()
    max_posts = {cell.key: cell.max_posts for cell in plan.cells}
    creators, posts = plan.creators_and_posts()
    assert set(splits) == set(max_posts)
    for key, groups in splits.items():
        assert sum(g.creators for g in groups) == creators[key], key
        assert sum(g.creators * g.posts_each for g in groups) == posts[key], key
        assert all(1 <= g.posts_each <= max_posts[key] for g in groups), (key, groups)


@pytest.fixture(scope="module")
def awareness() -> mixopt.Plan:
    return mixopt.optimize(SCENARIOS / "awareness_launch.yaml", explain=False)


def test_plan_csv_has_posts_per_creator_after_posts_and_empty_for_unused_cells(awareness: mixopt.Plan) -> None:
    rows = list(csv.DictReader(io.StringIO(plan_csv(awareness))))
    header = list(rows[0])
    assert header[header.index("posts") + 1] == "posts_per_creator"
    by_cell = {f"{r['tier']}.{r['platform']}": r["posts_per_creator"] for r in rows}
    assert by_cell["nano.tiktok"] == "36x3 + 1x2"
    assert by_cell["micro.tiktok"] == "27x1" and by_cell["micro.youtube"] == "6x1"
    assert by_cell["pico.instagram"] == "" and by_cell["total.all"] == ""


def test_plan_json_lists_each_cells_posts_split_beside_its_text(awareness: mixopt.Plan) -> None:
    cells = {f"{r['tier']}.{r['platform']}": r for r in json.loads(plan_json(awareness))["allocation"]}
    nano = cells["nano.tiktok"]
    assert nano["posts_per_creator"] == "36x3 + 1x2"
    assert nano["posts_split"] == [{"creators": 36, "posts_each": 3}, {"creators": 1, "posts_each": 2}]
    assert list(nano)[list(nano).index("posts") + 1: list(nano).index("posts") + 3] == ["posts_per_creator", "posts_split"]
    assert cells["pico.tiktok"]["posts_split"] == [] and cells["pico.tiktok"]["posts_per_creator"] == ""
    for row in cells.values():
        assert sum(g["creators"] for g in row["posts_split"]) == row["creators"]
        assert sum(g["creators"] * g["posts_each"] for g in row["posts_split"]) == row["posts"]


def test_your_mix_in_plan_json_has_its_posts_split_too(awareness: mixopt.Plan) -> None:
    plan = mixopt.optimize(SCENARIOS / "awareness_launch.yaml", explain=False)
    baseline = json.loads(plan_json(plan))["your_mix"]["allocation"]
    used = [r for r in baseline if r["creators"] > 0]
    assert used and all(r["posts_per_creator"] and r["posts_split"] for r in used)


def test_plan_sheet_shows_posts_per_creator_as_text(awareness: mixopt.Plan, tmp_path: Path) -> None:
    write_outputs(awareness, tmp_path)
    rows = list(openpyxl.load_workbook(tmp_path / "plan.xlsx")["Plan"].iter_rows(values_only=True))
    header = rows[0]
    col = header.index("Creators x posts")  # planner headers; the codes are in the Data dictionary
    assert header[col - 1] == "Posts"
    assert rows[-1][0] == "Total"
    by_cell = {f"{r[0]}.{r[1]}": r[col] for r in rows[1:-1]}
    assert by_cell["nano.tiktok"] == "36x3 + 1x2"
    assert by_cell["pico.tiktok"] is None  # unused cell: an empty cell, not "0"


def test_terminal_table_shows_the_compact_split_of_each_used_cell(awareness: mixopt.Plan) -> None:
    lines = format_table(awareness).splitlines()
    header = next(line for line in lines if line.startswith("tier "))
    assert "creators x posts" in header
    nano = next(line for line in lines if line.startswith("nano   tiktok"))
    assert "36x3+1x2" in nano.split()
