"""Parquet creator tables: one file or a partitioned folder read like the CSV, bad rows named by file and row."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mixopt.cli.app import cli
from mixopt.errors import ScenarioError
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.table import load_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.synth import main as synth_main
from mixopt.synth import synthetic_roster


def _scenario(path: Path, **extra: object) -> object:
    return scenario_from_dict({"budget": 4000, "rules": {"max_creators": 15}, "roster": {"file": str(path), **extra}},
                              file=str(path.parent / "scenario.yaml"))


def _lines(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_roster(_scenario(path))
    return str(caught.value).splitlines()


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("id").reset_index(drop=True)


def test_a_parquet_file_reads_exactly_like_the_csv(tmp_path: Path) -> None:
    frame = synthetic_roster(300, 5)
    frame.to_csv(tmp_path / "creators.csv", index=False)
    frame.to_parquet(tmp_path / "creators.parquet", index=False)
    from_csv = load_roster(_scenario(tmp_path / "creators.csv")).table
    from_parquet = load_roster(_scenario(tmp_path / "creators.parquet")).table
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_exact=True)


def test_a_partitioned_folder_holds_every_creator_and_gives_the_same_plan(tmp_path: Path) -> None:
    frame = synthetic_roster(400, 6)
    frame.to_csv(tmp_path / "creators.csv", index=False)
    pq.write_to_dataset(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "creators_parquet",
                        partition_cols=["platform"])
    from_folder = load_roster(_scenario(tmp_path / "creators_parquet")).table
    from_csv = load_roster(_scenario(tmp_path / "creators.csv")).table
    pd.testing.assert_frame_equal(_by_id(from_folder), _by_id(from_csv), check_exact=True)
    folder_plan = optimize_roster(_scenario(tmp_path / "creators_parquet"))
    csv_plan = optimize_roster(_scenario(tmp_path / "creators.csv"))
    assert sorted(folder_plan.selected["id"]) == sorted(csv_plan.selected["id"])
    assert folder_plan.solution.objective == pytest.approx(csv_plan.solution.objective, rel=0, abs=1e-9)


def test_a_bad_row_in_a_folder_names_its_file_and_row(tmp_path: Path) -> None:
    folder = tmp_path / "creators_parquet"
    folder.mkdir()
    frame = synthetic_roster(30, 7)
    frame.iloc[:10].to_parquet(folder / "part-0.parquet", index=False)
    bad = frame.iloc[10:].copy()
    bad.iloc[4, bad.columns.get_loc("followers")] = -3
    bad.to_parquet(folder / "part-1.parquet", index=False)
    assert _lines(folder) == [f"{folder / 'part-1.parquet'}: row 5, followers: must be >= 0 (got -3). Fix the value "
                              "or remove the creator."]


def test_text_numbers_in_parquet_follow_the_csv_rules(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "platform": ["instagram", "tiktok"], "followers": [5000, 800],
                          "fee_per_post": ["264,04", "12"]})
    frame.to_parquet(tmp_path / "creators.parquet", index=False)
    assert _lines(tmp_path / "creators.parquet")[0].startswith(
        f"{tmp_path / 'creators.parquet'}: row 1, fee_per_post: the comma may be a decimal mark")
    roster = load_roster(_scenario(tmp_path / "creators.parquet", decimal=","))
    assert list(roster.table["fee_per_post"]) == [264.04, 12.0]


def test_a_damaged_parquet_file_and_an_empty_folder_are_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "creators.parquet").write_bytes(b"PAR1 not really")
    lines = _lines(tmp_path / "creators.parquet")
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / 'creators.parquet'}: (file): cannot read the Parquet "
                                                   "table: ")
    assert lines[0].endswith("Write it again as Parquet, or save it as CSV (UTF-8) with one header row.")
    (tmp_path / "empty").mkdir()
    assert _lines(tmp_path / "empty") == [f"{tmp_path / 'empty'}: (file): is a folder, not a file. Give the path of a "
                                          "creator table."]


def test_parquet_files_over_the_size_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synthetic_roster(50, 1).to_parquet(tmp_path / "creators.parquet", index=False)
    size = (tmp_path / "creators.parquet").stat().st_size
    monkeypatch.setenv("MIXOPT_MAX_TABLE_BYTES", "1000")
    assert _lines(tmp_path / "creators.parquet") == [
        f"{tmp_path / 'creators.parquet'}: (file): is {size:,} bytes, over the 1,000-byte limit for a creator table. "
        f"Check that this is the right file, or raise the limit with MIXOPT_MAX_TABLE_BYTES={size}."]


def test_synth_writes_csv_parquet_and_a_folder_of_parts_that_read_the_same(tmp_path: Path) -> None:
    synth_main(["200", str(tmp_path / "a.csv"), "--seed", "3"])
    synth_main(["200", str(tmp_path / "a.parquet"), "--seed", "3"])
    synth_main(["200", str(tmp_path / "again.parquet"), "--seed", "3"])
    synth_main(["200", str(tmp_path / "parts") + os.sep, "--seed", "3", "--parts", "3"])
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "again.parquet").read_bytes()
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == [f"part-{k:05d}.parquet" for k in range(3)]
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == synthetic_roster(200, 3).to_csv(index=False)
    tables = [load_roster(_scenario(tmp_path / name)).table for name in ("a.csv", "a.parquet", "parts")]
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0], check_exact=True)
    with pytest.raises(SystemExit, match="the folder exists and is not empty"):
        synth_main(["10", str(tmp_path / "parts") + os.sep])


def test_solve_takes_a_parquet_folder_named_in_the_scenario(tmp_path: Path) -> None:
    synth_main(["500", str(tmp_path / "creators_parquet") + os.sep, "--seed", "4", "--parts", "4"])
    scenario = tmp_path / "roster.yaml"
    scenario.write_text("budget: 3000\nrules: {max_creators: 12}\nroster: {file: creators_parquet/}\n",
                        encoding="utf-8")
    result = CliRunner().invoke(cli, ["solve", "--no-explain", str(scenario)])
    assert result.exit_code == 0, result.output
    assert "(500 creators)" in result.output
