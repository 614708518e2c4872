"""Every planner mistake gets one line per problem, all at once, exit code 1 and no traceback.

Each file in ``tests/data/bad/`` breaks one rule. Its first lines are ``# expect: LINE`` comments
with the exact standard-error lines, in order; ``{file}`` stands for the path the command line
prints. The command line runs from ``tests/data/bad/``, so a base file read through
``extends:`` is printed as ``bases/NAME.yaml``. Files in ``bases/`` are bases, not cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import mixopt
from mixopt import ScenarioError, load_scenario, scenario_from_dict
from mixopt.cli.app import cli

BAD = Path(__file__).resolve().parent / "data" / "bad"
CASES = sorted(BAD.glob("*.yaml"))

#: ``FILE: field.path: what is wrong (got VALUE). How to fix.`` -- the fix ends in '.' or '?'.
SHAPE = re.compile(
    r"^(?P<file>[\w./\-]+\.yaml): (?P<path>\(file\)|line \d+|[\w.\-\[\]]+): "
    r"(?P<what>[^ ].*?)(?: \(got (?P<value>.+)\))?\. (?P<fix>[A-Z'].*[.?])$"
)


def expected_lines(path: Path) -> list[str]:
    """The ``# expect:`` lines at the top of a bad-input file, with ``{file}`` filled in."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# expect: "):
            break
        lines.append(line.removeprefix("# expect: ").replace("{file}", path.name))
    return lines


def _snapshot() -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(BAD.rglob("*.yaml"))}


@pytest.fixture
def in_bad_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(BAD)
    return BAD


def test_there_is_a_file_for_at_least_twenty_rules() -> None:
    assert len(CASES) >= 20
    for case in CASES:
        assert case.read_text(encoding="utf-8").startswith("# expect: "), case.name
        assert expected_lines(case), case.name


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_expected_lines_have_the_documented_shape(case: Path) -> None:
    for line in expected_lines(case):
        match = SHAPE.match(line)
        assert match, f"not 'FILE: field.path: what is wrong (got VALUE). How to fix.': {line!r}"
        assert "Traceback" not in line and "Error" not in line


@pytest.mark.parametrize("command", ["validate", "solve"])
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_cli_lists_every_problem_and_exits_1(case: Path, command: str, runner: CliRunner, in_bad_dir: Path) -> None:
    before = _snapshot()
    result = runner.invoke(cli, [command, case.name], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == expected_lines(case)
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert _snapshot() == before, "a bad input file was changed"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_load_scenario_raises_scenario_error_with_the_same_lines(case: Path, in_bad_dir: Path) -> None:
    expected = expected_lines(case)
    with pytest.raises(ScenarioError, match=re.escape(expected[0])) as caught:
        load_scenario(case.name)
    assert str(caught.value).splitlines() == expected
    assert [str(issue) for issue in caught.value.issues] == expected
    assert caught.value.exit_code == 1


def test_an_error_in_an_inherited_value_names_the_base_file(in_bad_dir: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^inherited_error\.yaml: targets\.conversions: ") as caught:
        load_scenario("inherited_error.yaml")
    files = {issue.path: issue.file for issue in caught.value.issues}
    assert files == {
        "targets.conversions": "inherited_error.yaml",
        "economics.margin_rate": "bases/bad_base.yaml",
        "assumptions.nano.fee_per_post": "bases/bad_base.yaml",
    }


def test_validate_reports_every_bad_file_and_still_checks_the_good_ones(runner: CliRunner, in_bad_dir: Path) -> None:
    good = Path(__file__).resolve().parent.parent / "scenarios" / "hand_solvable.yaml"
    result = runner.invoke(cli, ["validate", "negative_budget.yaml", str(good), "duplicate_key.yaml"],
                           catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == expected_lines(BAD / "negative_budget.yaml") + expected_lines(
        BAD / "duplicate_key.yaml")
    assert result.stdout.count(": ok (") == 1


def test_a_python_dict_is_checked_the_same_way() -> None:
    with pytest.raises(ScenarioError, match=r"(?m)^notebook: budget: must not be negative \(got -1\)\. ") as caught:
        scenario_from_dict({"budget": -1, "objective": {"maximize": "reach"}, "budgte": 5}, file="notebook")
    assert [i.path for i in caught.value.issues] == ["budgte", "budget"]
    assert isinstance(caught.value, mixopt.MixoptError)


def test_a_missing_scenario_file_is_one_line_not_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(cli, ["validate", str(missing)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == f"{missing}: (file): file not found. Check the path and the file name.\n"
    with pytest.raises(ScenarioError, match=r": \(file\): file not found\."):
        load_scenario(missing)


def test_a_file_that_is_not_utf8_is_reported(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Caf\u00e9 launch\nbudget: 100\n".encode("latin-1"))
    result = runner.invoke(cli, ["validate", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == (f"{path}: (file): is not UTF-8 text. "
                             "Save the file as UTF-8 text (plain .yaml, not a document).\n")


def test_an_assumption_written_in_a_base_and_broken_there_names_the_base(write_scenario, tmp_path: Path) -> None:
    """Keys with dots (cell names) still find the file their value came from."""
    write_scenario(
        "name: base\nbudget: 1000\nobjective: {maximize: reach}\n"
        "assumptions:\n  nano.tiktok: {acceptance_rate: 40}\n"
        "rules:\n  cells:\n    nano.tiktok: {lock: 2}\n",
        name="base.yaml",
    )
    child = write_scenario(
        "extends: base.yaml\nrules:\n  cells:\n    micro.tiktok: {max_creators: 3}\n", name="child.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert [(Path(i.file).name, i.path) for i in caught.value.issues] == [
        ("base.yaml", "assumptions.nano.tiktok.acceptance_rate")]
