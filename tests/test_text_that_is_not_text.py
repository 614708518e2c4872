"""Text that cannot be written: a YAML '\\u' escape of half a character, a file name or a command-line
value that is not UTF-8. Python holds both as lone surrogates, which no output file accepts; each is
refused in one line where it enters, never an internal error (exit 5) when the outputs are written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow.csv
import pyarrow.parquet
import pytest

from tests.conftest import SCENARIOS
from tests.conftest import one_error_line as one_line
from tests.conftest import run_cli as run

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
NOT_UTF8 = os.fsdecode(b"caf\xe9")  # Latin-1 bytes: 'caf\udce9' once read by Python
HALF = "holds a '\\u' escape of half a character (an unpaired surrogate), which is not text. Delete the escape, " \
       "or write the character itself."


@pytest.mark.parametrize(("text", "line"), [
    ('name: "launch \\ud800"\n', 2),
    ('"bud\\udc00get": 100\n', 2),
    ('platforms: [tiktok, "\\udfff"]\n', 2),
], ids=["value", "key", "list-item"])
def test_a_yaml_escape_of_half_a_character_is_refused_where_it_is_written(text: str, line: int,
                                                                          tmp_path: Path) -> None:
    path = tmp_path / "half.yaml"
    path.write_text(f"extends: {SCENARIOS / 'base.yaml'}\n{text}", encoding="utf-8")
    for command in (["validate"], ["solve", "--out", str(tmp_path / "out")]):
        assert one_line(run([command[0], str(path), *command[1:]]), 1) == f"{path}: line {line}: {HALF}"
    assert not (tmp_path / "out").exists()


def test_a_pair_of_escapes_written_as_the_character_itself_is_text(tmp_path: Path) -> None:
    path = tmp_path / "emoji.yaml"
    path.write_text(f"extends: {SCENARIOS / 'base.yaml'}\nname: \"launch \\U0001F600\"\n", encoding="utf-8")
    result = run(["solve", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "launch \U0001F600" in (tmp_path / "out" / "plan.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [
    ["solve", f"{NOT_UTF8}.yaml"],
    ["solve", str(SCENARIOS / "base.yaml"), "--out", NOT_UTF8],
    ["solve", str(SCENARIOS / "base.yaml"), "--set", f"name={NOT_UTF8}"],
], ids=["scenario-file", "out-folder", "set-value"])
def test_a_command_line_value_that_is_not_utf8_gets_one_line_and_exit_2(args: list[str], tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if args[1].endswith(".yaml") and NOT_UTF8 in args[1]:
        shutil.copy(SCENARIOS / "base.yaml", tmp_path / args[1])
    shown = next(a for a in args if NOT_UTF8 in a).replace(NOT_UTF8, "caf\\udce9")
    assert one_line(run(args), 2) == (f"(command line): {shown}: holds bytes that are not UTF-8 text (shown as "
                                      "\\udcXX). Rename the file, or type the value again as plain text.")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == []


def test_a_batch_folder_with_a_file_name_that_is_not_utf8_names_it(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = Path("plans")
    folder.mkdir()
    shutil.copy(SCENARIOS / "base.yaml", folder / "base.yaml")
    shutil.copy(SCENARIOS / "base.yaml", folder / f"{NOT_UTF8}.yaml")
    line = one_line(run(["batch", "plans", "--out", "out"]), 2)
    assert line == ("(command line): SCENARIO: this folder holds a .yaml file whose name is not UTF-8 text (shown "
                    "as \\udcXX) (got 'plans/caf\\udce9.yaml'). Rename the file, or name the scenario files to "
                    "solve.")
    assert not Path("out").exists()


def test_a_parquet_folder_with_a_file_name_that_is_not_utf8_names_it(tmp_path: Path) -> None:
    shutil.copy(HOSTILE / "roster_small.yaml", tmp_path / "roster.yaml")
    parts = tmp_path / "creators"
    parts.mkdir()
    table = pyarrow.csv.read_csv(HOSTILE / "creators" / "small.csv")
    pyarrow.parquet.write_table(table.slice(0, 12), parts / "a.parquet")
    pyarrow.parquet.write_table(table.slice(12), parts / "b.parquet")
    os.rename(parts / "b.parquet", parts / f"{NOT_UTF8}.parquet")
    scenario = tmp_path / "roster.yaml"
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("creators/small.csv", "creators"),
                        encoding="utf-8")
    line = one_line(run(["validate", str(scenario)]), 1)
    assert line == (f"{parts}/caf\\udce9.parquet: (file): has a file name that is not UTF-8 text (shown as \\udcXX). "
                    "Rename the file with plain letters, digits and '-' or '_'.")
    os.rename(parts / f"{NOT_UTF8}.parquet", parts / "b.parquet")
    assert run(["validate", str(scenario)]).exit_code == 0
