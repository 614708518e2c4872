"""The creator-table reader: Arrow's fast path, pandas for odd tables, the memory estimate, the progress line."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import mixopt.roster.table_read as table_read
from mixopt.errors import ScenarioError
from mixopt.roster.table import build_roster, load_roster, read_creator_table
from mixopt.roster.table_memory import BASE_BYTES, BYTES_PER_CREATOR, memory_needed
from mixopt.scenario.load import scenario_from_dict
from mixopt.synth import synthetic_roster


def _scenario(path: Path, **roster: object) -> object:
    return scenario_from_dict({"budget": 5000, "roster": {"file": str(path), **roster}},
                              file=str(path.parent / "scenario.yaml"))


def _table(tmp_path: Path, n: int = 500, seed: int = 2) -> Path:
    path = tmp_path / "creators.csv"
    synthetic_roster(n, seed).to_csv(path, index=False)
    return path


def test_the_fast_reader_and_the_fallback_reader_give_the_same_roster(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = _table(tmp_path)
    fast = load_roster(_scenario(path))

    def refuse(*_args: object, **_kwargs: object) -> pd.DataFrame:
        raise pa.ArrowInvalid("CSV parse error: Expected 13 columns, got 12")

    monkeypatch.setattr(table_read, "_arrow_csv", refuse)
    slow = load_roster(_scenario(path))
    pd.testing.assert_frame_equal(fast.table, slow.table, check_exact=True)
    assert fast.sha256 == slow.sha256 and fast.notes == slow.notes


def test_a_row_longer_than_a_block_and_a_short_row_are_still_read(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_read, "_BLOCK_BYTES", 1 << 12)
    path = tmp_path / "odd.csv"
    path.write_text("id,platform,followers,category\n" + "x" * 10_000 + ",instagram,5000,beauty\n"
                    "b,tiktok,800\n", encoding="utf-8")
    table = load_roster(_scenario(path)).table
    assert list(table["followers"]) == [5000.0, 800.0] and list(table["category"]) == ["beauty", ""]


def test_number_columns_with_a_typo_are_read_as_text_and_the_typo_is_named(tmp_path: Path) -> None:
    path = tmp_path / "typo.csv"
    path.write_text("id,platform,followers,fee_per_post\na,instagram,5000,12\nb,tiktok,8OO,3\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_roster(_scenario(path))
    assert str(caught.value) == (f"{path}: row 3, followers: not a number (got '8OO'). Write a plain number such as "
                                 "0.035 or 1200.")


def test_the_roster_table_keeps_its_columns_and_types(tmp_path: Path) -> None:
    table = load_roster(_scenario(_table(tmp_path))).table
    assert list(table.columns[:9]) == ["id", "platform", "followers", "tier", "category", "country", "overlap_group",
                                       "must_include", "exclude"]
    assert list(table.columns[9:]) == [
        "posts", "impressions_per_post", "engagements_per_post", "conversions_per_post", "reach", "impressions",
        "engagements", "conversions", "fee_per_post", "product_cost", "handling_cost", "engagement_rate",
        "conversion_rate", "acceptance_rate", "spend", "fit_score", "defaults_mask"]
    assert table["followers"].dtype == np.float64 and table["spend"].dtype == np.float64
    assert table["must_include"].dtype == bool and table["defaults_mask"].dtype == np.int64
    for column in ("id", "platform", "tier", "category", "country", "overlap_group"):
        assert pd.api.types.is_string_dtype(table[column]), column
        assert all(isinstance(v, str) for v in table[column].head(50)), column
    assert set(table["tier"]) <= {"pico", "nano", "micro"}


def test_build_roster_takes_a_plain_frame_from_python(tmp_path: Path) -> None:
    frame = synthetic_roster(80, 4)
    scenario = _scenario(tmp_path / "unused.csv")
    from_frame = build_roster(frame, scenario, "frame").table  # type: ignore[arg-type]
    frame.to_csv(tmp_path / "t.csv", index=False)
    from_file = build_roster(read_creator_table(tmp_path / "t.csv"), scenario, "t.csv").table  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(from_frame, from_file, check_exact=True)


def test_flags_may_be_words_or_numbers(tmp_path: Path) -> None:
    path = tmp_path / "flags.csv"
    path.write_text("id,platform,followers,must_include,exclude\na,instagram,5000,yes,0\nb,tiktok,800,1.0,no\n"
                    "c,tiktok,700,,x\n", encoding="utf-8")
    table = load_roster(_scenario(path)).table
    assert list(table["must_include"]) == [True, True, False] and list(table["exclude"]) == [False, False, True]


def test_a_table_too_large_for_memory_is_refused_before_it_is_read(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = _table(tmp_path, n=2_000)
    monkeypatch.setenv("MIXOPT_MEMORY_BYTES", str(BASE_BYTES + 1_000 * BYTES_PER_CREATOR))
    monkeypatch.setattr(table_read, "_arrow_csv", lambda *a, **k: pytest.fail("the table was read"))
    with pytest.raises(ScenarioError) as caught:
        load_roster(_scenario(path))
    line = str(caught.value)
    assert line.startswith(f"{path}: (file): the creator table holds about 2,000 creators, which needs about ")
    assert line.endswith("Plan a smaller table (e.g. one platform or country at a time) or on a machine with more "
                         "memory (MIXOPT_MEMORY_BYTES sets the memory mixopt counts on).")
    monkeypatch.undo()
    monkeypatch.setenv("MIXOPT_MEMORY_BYTES", str(memory_needed(2_100)))
    assert len(load_roster(_scenario(path))) == 2_000


def test_a_parquet_table_too_large_for_memory_is_refused_from_its_metadata(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    synthetic_roster(3_000, 1).to_parquet(tmp_path / "creators.parquet", index=False)
    monkeypatch.setenv("MIXOPT_MEMORY_BYTES", str(memory_needed(2_999)))
    with pytest.raises(ScenarioError, match="holds about 3,000 creators"):
        load_roster(_scenario(tmp_path / "creators.parquet"))
    monkeypatch.setenv("MIXOPT_MEMORY_BYTES", str(memory_needed(3_000)))
    assert len(load_roster(_scenario(tmp_path / "creators.parquet"))) == 3_000


def test_the_memory_variable_must_be_a_number_of_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXOPT_MEMORY_BYTES", "lots")
    with pytest.raises(ScenarioError) as caught:
        load_roster(_scenario(_table(tmp_path, n=20)))
    assert str(caught.value).startswith("(environment): MIXOPT_MEMORY_BYTES: must be a positive whole number of bytes "
                                        "(got 'lots').")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_big_table_shows_a_progress_line_on_a_terminal_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _table(tmp_path, n=3_000)
    monkeypatch.setattr(table_read, "_PROGRESS_BYTES", 10_000)
    terminal = _Terminal()
    monkeypatch.setattr(table_read.sys, "stderr", terminal)
    load_roster(_scenario(path))
    shown = terminal.getvalue()
    assert "reading creators.csv: " in shown and shown.endswith("creators.csv: 3,000 creators read in " +
                                                                shown.rsplit(" read in ", 1)[1])
    piped = io.StringIO()
    monkeypatch.setattr(table_read.sys, "stderr", piped)
    load_roster(_scenario(path))
    assert piped.getvalue() == ""
