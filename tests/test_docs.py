"""The README is part of the contract: its commands, columns and CI line stay true."""

from __future__ import annotations

import re

import pytest

from mixopt.cli.app import cli
from mixopt.outputs.columns import COLUMNS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start() -> list[str]:
    head = re.search(r"^#+[^\n]*quick ?start[^\n]*$", README, re.I | re.M)
    assert head, "README needs a Quick start heading"
    block = re.search(r"^```[^\n]*\n(.*?)^```", README[head.end():], re.S | re.M)
    assert block
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_has_the_run_command_then_the_test_command() -> None:
    run, test = _quick_start()
    assert "mixopt solve scenarios/" in run
    assert "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _quick_start()[1] in ci.splitlines()


def test_quick_start_scenario_exists() -> None:
    path = re.search(r"mixopt solve (\S+)", _quick_start()[0]).group(1)
    assert (ROOT / path).exists()


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    assert f"mixopt {command}" in README


@pytest.mark.parametrize("column", [c[0] for c in COLUMNS])
def test_every_output_column_is_documented_in_the_readme(column: str) -> None:
    assert f"| `{column}` |" in README


@pytest.mark.parametrize("column", __import__("mixopt.roster.plan", fromlist=["SELECTED_COLUMNS"]).SELECTED_COLUMNS)
def test_every_chosen_creator_column_is_documented_in_the_roster_section(column: str) -> None:
    section = README.split("## Roster mode")[1].split("\n## ")[0]
    assert re.search(rf"\b{column}\b", section)
