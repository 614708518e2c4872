"""``mixopt init``: a commented starter scenario (YAML, or a workbook by extension) that solves as it
is, and never over an existing file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import mixopt
from mixopt.cli import cli


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_writes_a_commented_scenario_yaml_that_solves_as_it_is(in_tmp: Path) -> None:
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert result.output == "Wrote scenario.yaml: a starter scenario that solves as it is. Next: mixopt solve " \
                            "scenario.yaml\n"
    text = (in_tmp / "scenario.yaml").read_text(encoding="utf-8")
    assert text.startswith("# A starter scenario") and "mixopt solve scenario.yaml" in text
    assert sum(line.lstrip().startswith("#") or " # " in line for line in text.splitlines()) >= 20
    plan = mixopt.optimize(in_tmp / "scenario.yaml", explain=False)
    assert plan.status.value == "optimal" and plan.totals["creators"] > 0
    solved = CliRunner().invoke(cli, ["solve", "scenario.yaml", "--no-explain"])
    assert solved.exit_code == 0 and "Status: optimal" in solved.output


def test_init_never_replaces_an_existing_file(in_tmp: Path) -> None:
    (in_tmp / "scenario.yaml").write_text("budget: 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 1
    assert result.stderr == "scenario.yaml: (file): already exists; mixopt init does not replace a file. Choose " \
                            "another name, or add --force to replace it.\n"
    assert (in_tmp / "scenario.yaml").read_text(encoding="utf-8") == "budget: 1\n"


def test_init_with_an_xlsx_name_writes_the_starter_as_a_workbook_with_the_same_plan(in_tmp: Path) -> None:
    assert CliRunner().invoke(cli, ["init", "plan_me.xlsx"]).exit_code == 0
    assert CliRunner().invoke(cli, ["init", "plan_me.yaml"]).exit_code == 0
    book = mixopt.optimize(in_tmp / "plan_me.xlsx", explain=False)
    text = mixopt.optimize(in_tmp / "plan_me.yaml", explain=False)
    assert book.status.value == "optimal"
    assert book.totals == text.totals
    assert book.allocation[["tier", "platform", "creators", "posts"]].equals(
        text.allocation[["tier", "platform", "creators", "posts"]])


def test_init_refuses_a_name_that_is_neither_yaml_nor_xlsx(in_tmp: Path) -> None:
    result = CliRunner().invoke(cli, ["init", "notes.txt"])
    assert result.exit_code == 2 and not (in_tmp / "notes.txt").exists()
    assert result.stderr.startswith("(command line): FILE: must end in .yaml, .yml or .xlsx (got 'notes.txt').")
