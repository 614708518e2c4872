"""Rosters solved over partitions of a Parquet table (column generation, reduced-cost fixing per
partition, an exact core) give the one-table plan: same objective, the same creators when the
optimum is unique, the same LP bound; in this process and on a real Dask scheduler with two workers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mixopt.cli import cli
from mixopt.errors import ScenarioError
from mixopt.roster.check import check_roster_choice
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.partitions import optimize_partitioned, plan_partitions
from mixopt.roster.plan import RosterPlan
from mixopt.roster.table import load_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolveStatus
from mixopt.synth import synthetic_roster, write_roster

RULES: dict[str, Any] = {
    "tiers": {"micro": {"max_spend_share": 0.6}, "pico": {"min_creators": 2}},
    "platforms": {"youtube": {"max_spend_share": 0.3}},
}


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Seeded synthetic rosters as folders of four Parquet files."""
    folder = tmp_path_factory.mktemp("rosters")
    out = {}
    for n in (2_000, 6_000):
        out[n] = folder / f"r{n}"
        write_roster(synthetic_roster(n, 3), out[n], 4, folder=True)
    return out


def _scenario(table: Path, n: int, **extra: Any) -> Scenario:
    data: dict[str, Any] = {
        "budget": 12.0 * n, "objective": {"maximize": "conversions"},
        "rules": {**RULES, "max_creators": n // 8}, "targets": {"reach": 120.0 * n},
        "roster": {"file": str(table), "categories": {"beauty": {"min_creators": 2}, "gaming": {"max_creators": 9}},
                   "mip_gap": 0.0},
    }
    for key, value in extra.items():
        merge = isinstance(value, dict) and isinstance(data.get(key), dict) and key != "objective"
        data[key] = {**data[key], **value} if merge else value
    return scenario_from_dict(data, file=str(table.parent / "scenario.yaml"))


def _assert_same_plan(one: RosterPlan, parts: RosterPlan, scenario: Scenario) -> None:
    a, b = one.solution, parts.solution
    assert a.status is b.status is SolveStatus.OPTIMAL
    assert a.objective is not None and b.objective is not None and b.gap is not None
    assert abs(a.objective - b.objective) <= b.gap * abs(b.objective) + 1e-9 * abs(a.objective)
    assert a.lp_objective is not None and b.lp_objective is not None
    assert abs(a.lp_objective - b.lp_objective) <= 1e-6 * abs(a.lp_objective)
    assert list(one.selected["id"]) == list(parts.selected["id"])  # gap 0 and a unique optimum
    assert parts.feasible and len(parts.roster) == len(one.roster)
    # the independent check, on the whole table (not only the creators the partitions sent back)
    table = load_roster(scenario).table
    chosen = table["id"].isin(set(parts.selected["id"])).to_numpy()
    assert all(c.holds for c in check_roster_choice(scenario, table, chosen))


@pytest.mark.parametrize("n", [2_000, 6_000])
def test_the_partitioned_plan_is_the_one_table_plan(tables: dict[int, Path], n: int) -> None:
    scenario = _scenario(tables[n], n)
    one = optimize_roster(scenario, reserves=False)  # the reference: its plan, not its reserves
    parts = optimize_partitioned(scenario)
    _assert_same_plan(one, parts, scenario)
    assert parts.roster.sha256 == one.roster.sha256
    assert any("solved over 4 partitions in this process" in note for note in parts.solution.notes)


def test_least_spend_for_targets_starts_from_no_creator_and_still_finds_the_one_table_plan(
        tables: dict[int, Path]) -> None:
    n = 6_000
    scenario = _scenario(tables[n], n, budget=None, objective={"minimize": "spend"},
                         targets={"reach": 40.0 * n, "conversions": 0.1 * n})
    _assert_same_plan(optimize_roster(scenario, reserves=False), optimize_partitioned(scenario), scenario)


def test_a_gap_is_certified_like_the_one_table_solve(tables: dict[int, Path]) -> None:
    n = 6_000
    scenario = _scenario(tables[n], n, roster={"mip_gap": 0.001})
    one, parts = optimize_roster(scenario, reserves=False), optimize_partitioned(scenario, partitions=3)
    assert parts.status is SolveStatus.OPTIMAL and parts.solution.gap is not None
    assert parts.solution.gap <= 0.001 and parts.feasible
    bound = parts.solution.bound
    assert bound is not None and one.solution.objective is not None
    assert one.solution.objective <= bound + 1e-9 * abs(bound)  # the bound holds for the one-table plan too


def test_rules_no_fraction_of_creators_can_meet_are_infeasible_both_ways(tables: dict[int, Path]) -> None:
    n = 2_000
    scenario = _scenario(tables[n], n, targets={"reach": 1e12})
    assert optimize_roster(scenario).status is SolveStatus.INFEASIBLE
    found = optimize_partitioned(scenario)
    assert found.status is SolveStatus.INFEASIBLE and found.solution.chosen is None


def test_a_single_parquet_file_splits_into_runs_of_whole_row_groups(tmp_path: Path) -> None:
    frame = synthetic_roster(3_000, 5)
    path = tmp_path / "one.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=400)
    specs = plan_partitions(path, 3)
    assert len(specs) == 3 and sum(s.creators for s in specs) == 3_000
    groups = [g for s in specs for _, gs, _, _ in s.pieces for g in gs]
    assert groups == list(range(8))
    scenario = _scenario(path, 3_000)
    parts = optimize_partitioned(scenario, partitions=3)
    _assert_same_plan(optimize_roster(scenario, reserves=False), parts, scenario)


def test_a_bad_row_is_named_by_its_file_and_row_as_in_the_one_table_read(tmp_path: Path) -> None:
    frame = synthetic_roster(1_200, 2)
    frame.loc[1_000, "followers"] = -5
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=300)
    scenario = _scenario(path, 1_200)
    with pytest.raises(ScenarioError) as one:
        load_roster(scenario)
    with pytest.raises(ScenarioError) as parts:
        optimize_partitioned(scenario, partitions=4)
    assert str(parts.value) == str(one.value) and "row 1001, followers" in str(one.value)


def test_a_category_no_partition_has_and_an_id_in_two_partitions_are_one_line_each(tmp_path: Path) -> None:
    frame = synthetic_roster(800, 4)
    frame.loc[700, "id"] = frame.loc[10, "id"]
    folder = tmp_path / "dup"
    write_roster(frame, folder, 2, folder=True)
    scenario = _scenario(folder, 800, roster={"categories": {"beuaty": {"min_creators": 1}}})
    with pytest.raises(ScenarioError) as caught:
        optimize_partitioned(scenario)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert "roster.categories.beuaty: no creator in the table has this category" in lines[0]
    assert "Did you mean 'beauty'?" in lines[0]
    assert "1 creator ids appear in more than one partition of the table (first in partitions 1 and 2)" in lines[1]


def _write_scenario(tmp_path: Path, table: Path, extra: str = "") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"budget: 24000\nobjective: {{maximize: conversions}}\nrules: {{max_creators: 250}}\n"
                    f"roster: {{file: {table}, mip_gap: 0, partitions: 4{extra}}}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("extra", "field"), [(", max_per_overlap_group: 2", "roster.max_per_overlap_group"),
                                              (", max_posts_per_creator: 3", "roster.max_posts_per_creator")])
def test_rules_the_master_cannot_hold_are_refused_in_one_line(tmp_path: Path, tables: dict[int, Path], extra: str,
                                                              field: str) -> None:
    path = _write_scenario(tmp_path, tables[2_000], extra)
    result = CliRunner().invoke(cli, ["solve", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"{field}: is not supported with partitions yet" in lines[0], result.output
    # the same line before any scheduler is contacted (this one does not exist)
    there = CliRunner().invoke(cli, ["solve", str(path), "--scheduler", "tcp://127.0.0.1:9"])
    assert (there.exit_code, there.output) == (1, result.output)


def test_a_csv_table_is_refused_for_partitions(tmp_path: Path) -> None:
    table = tmp_path / "r.csv"
    synthetic_roster(50, 1).to_csv(table, index=False)
    result = CliRunner().invoke(cli, ["solve", str(_write_scenario(tmp_path, table))])
    assert result.exit_code == 1
    assert "roster.file: a partitioned roster is read from Parquet" in result.output
    assert len(result.output.strip().splitlines()) == 1


def _without_where(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["notes"] = [n for n in data["notes"] if not n.startswith("solved over")]
    return data


def test_the_same_plan_on_a_real_scheduler_with_two_workers(tmp_path: Path, tables: dict[int, Path],
                                                            scheduler: str) -> None:
    from distributed import Client

    path = _write_scenario(tmp_path, tables[6_000])
    here = CliRunner().invoke(cli, ["solve", str(path), "--format", "json"], catch_exceptions=False)
    there = CliRunner().invoke(cli, ["solve", str(path), "--format", "json", "--scheduler", scheduler],
                               catch_exceptions=False)
    assert here.exit_code == 0 and there.exit_code == 0, there.output
    mine, theirs = json.loads(here.output), json.loads(there.output)
    assert _without_where(mine) == _without_where(theirs)
    assert any(f"solved over 4 partitions on the Dask scheduler at {scheduler}" in n for n in theirs["notes"])
    one = optimize_roster(scenario_from_dict({"budget": 24000, "objective": {"maximize": "conversions"},
                                              "rules": {"max_creators": 250},
                                              "roster": {"file": str(tables[6_000]), "mip_gap": 0}},
                                             file=str(path)))
    assert [row["id"] for row in theirs["selected"]] == list(one.selected["id"])
    with Client(scheduler, timeout=30, set_as_default=False) as client:  # the workers let the partitions go
        deadline = time.monotonic() + 20
        while sum(len(keys) for keys in client.has_what().values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sum(len(keys) for keys in client.has_what().values()) == 0


def test_an_unreachable_scheduler_is_one_line() -> None:
    from mixopt.analysis.cluster import dask_runner

    with pytest.raises(ScenarioError) as caught, dask_runner("tcp://127.0.0.1:9", connect_timeout_s=0.5):
        pass
    assert str(caught.value).startswith("(command line): --scheduler: cannot reach a Dask scheduler there")
    assert len(str(caught.value).splitlines()) == 1


def test_scheduler_is_refused_for_tier_scenarios() -> None:
    root = Path(__file__).resolve().parent.parent
    result = CliRunner().invoke(cli, ["solve", str(root / "scenarios" / "hand_solvable.yaml"), "--scheduler",
                                      "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "--scheduler: is for roster scenarios" in result.output



def test_a_hive_partitioned_folder_gives_its_folder_names_as_columns_like_the_one_table_read(tmp_path: Path) -> None:
    frame = synthetic_roster(2_400, 6)
    folder = tmp_path / "hive"
    for platform, rows in frame.groupby("platform", sort=True):
        (folder / f"platform={platform}").mkdir(parents=True)
        pq.write_table(pa.Table.from_pandas(rows.drop(columns="platform"), preserve_index=False),
                       folder / f"platform={platform}" / "part-0.parquet")
    scenario = _scenario(folder, 2_400)
    parts = optimize_partitioned(scenario)
    assert len(plan_partitions(folder)) == 3 and len(parts.roster) == 2_400
    _assert_same_plan(optimize_roster(scenario, reserves=False), parts, scenario)
    assert set(parts.selected["platform"]) <= {"instagram", "tiktok", "youtube"}


def test_a_partition_of_excluded_creators_sends_nothing_back_and_changes_nothing(tmp_path: Path) -> None:
    frame = synthetic_roster(3_200, 8)
    frame.loc[2_400:, "exclude"] = 1
    frame.loc[2_400:, "must_include"] = 0
    folder = tmp_path / "excluded"
    write_roster(frame, folder, 4, folder=True)
    scenario = _scenario(folder, 3_200)
    parts = optimize_partitioned(scenario)
    _assert_same_plan(optimize_roster(scenario, reserves=False), parts, scenario)
    assert not parts.roster.table["exclude"].any()  # none of the last partition's creators came back
