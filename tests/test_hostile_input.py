"""Hostile input never crashes mixopt: one line per problem and exit 1, never a traceback.

The first part pins each hostile file found so far (control characters, '!!' tags, a
"billion laughs" of nested aliases, odd ``extends:`` targets, devices, pipes and folders,
odd creator tables, oversized files) to its one-line message. Then the internal-error
guard: a bug still ends in one line and exit 5, with the traceback in a log file.

The last part is property-based: the shipped scenarios, the small roster scenario in
``tests/data/hostile/`` and its creator table are mutated at random (control characters,
tags, aliases, huge numbers, wrong types, deleted or doubled lines, random bytes,
truncation, other encodings, hostile ``extends:`` and ``roster.file`` targets), then run
through ``mixopt validate`` and ``mixopt solve --no-explain`` in process. Every run must
exit 0, 1, 3 or 4 without a traceback; every error line must name its file and a field;
the text of a file that is not a scenario must never be printed; and every plan produced
must pass the independent rule check. The CI profile runs a fixed set of a few hundred
cases; ``MIXOPT_LONG_TESTS=1`` runs more than 10,000 fresh ones.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import sys
import tempfile
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import mixopt
from mixopt import ScenarioError, load_scenario
from mixopt.api import solver_options_for
from mixopt.cli import cli
from mixopt.roster.table import load_roster
from tests.conftest import SCENARIOS

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
LONG = bool(os.environ.get("MIXOPT_LONG_TESTS"))
#: Cases per property: a fixed few hundred in CI, over 10,000 fresh ones in the long profile.
TIER_CASES = 6_000 if LONG else 200
ROSTER_CASES = 2_500 if LONG else 50
TABLE_CASES = 2_500 if LONG else 80
_FUZZ = settings(deadline=None, derandomize=not LONG, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])


def fuzz(cases: int) -> settings:
    return settings(_FUZZ, max_examples=cases)


#: Marks a file that is not a scenario: its text must never reach a message.
SECRET = "SECRET-DO-NOT-PRINT"
NO_FIFO = not hasattr(os, "mkfifo")

# ----------------------------------------------------------------------------- helpers


def run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@contextlib.contextmanager
def inside(folder: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def one_line(result: Result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def roster_folder(tmp_path: Path) -> Path:
    """A copy of the small roster scenario and its creator table."""
    shutil.copy(HOSTILE / "roster_small.yaml", tmp_path / "roster.yaml")
    (tmp_path / "creators").mkdir(exist_ok=True)
    shutil.copy(HOSTILE / "creators" / "small.csv", tmp_path / "creators" / "small.csv")
    return tmp_path / "roster.yaml"


def with_table(scenario: Path, table_bytes: bytes, name: str = "odd.csv") -> Path:
    (scenario.parent / "creators" / name).write_bytes(table_bytes)
    text = scenario.read_text(encoding="utf-8").replace("creators/small.csv", f"creators/{name}")
    scenario.write_text(text, encoding="utf-8")
    return scenario


# ----------------------------------------------------------------------------- YAML that is hostile


_TAG = ("uses a YAML tag (a word beginning with '!'), which scenario files do not allow. Remove the tag and "
        "write a plain value.")


@pytest.mark.parametrize(("text", "expected"), [
    ("name: x\x07\nbudget: 100\n", "line 1: a control character (#x0007) is not allowed. Delete it (most editors do "
                                   "not show it)."),
    ("name: x\nbudget: 1\x00\n", "line 2: a control character (#x0000) is not allowed. Delete it (most editors do "
                                 "not show it)."),
    ("budget: !!int 12x\n", "line 1: the value is not a whole number, as its '!!' tag says. Remove the tag and "
                            "write a plain value."),
    ("budget: !!float 'abc'\n", "line 1: the value is not a number, as its '!!' tag says. Remove the tag and write "
                                "a plain value."),
    ("budget: !!bool maybe\n", "line 1: the value is not true or false, as its '!!' tag says. Remove the tag and "
                               "write a plain value."),
    ("name: x\nbudget: !!binary aGVsbG8=\n", f"line 2: {_TAG}"),
    ("platforms: !!set {tiktok}\n", f"line 1: {_TAG}"),
    ("budget: !custom 1000\n", f"line 1: {_TAG}"),
    ("name: 2024-13-45\n", "line 1: the value looks like a date but is not one. Put the text in quotes, or write "
                           "dates as YYYY-MM-DD."),
    ("budget: " + "9" * 5000 + "\n", "line 1: a number has more than 100 digits. Write a plain number such as 50000."),
    ("budget: 0x" + "f" * 400 + "\n", "line 1: a number has more than 100 digits. Write a plain number such as 50000."),
    ("a: " + "[" * 60 + "]" * 60 + "\n", "line 1: lists and mappings are nested more than 50 levels deep. Check the "
                                        "indentation and the brackets."),
    ("a: &x 1\nb: &x 2\n", "line 2: an '&anchor' name is defined twice. Give each '&anchor' its own name."),
    ("a: &x [1, *x]\n", "a[1]: an alias refers back to its own anchor (line 1). Write the value out instead of "
                        "using '*' inside its own '&' anchor."),
    ("a: *" + "n" * 300 + "\n", "line 1: is not valid YAML: found undefined alias '...'. Define the '&anchor' before "
                                "using '*anchor', or write the value out."),
], ids=["bell", "nul", "int-tag", "float-tag", "bool-tag", "binary-tag", "set-tag", "custom-tag", "bad-date", "long-number",
        "long-hex", "deep", "anchor-twice", "alias-cycle", "long-alias"])
def test_hostile_yaml_gets_one_line_and_exit_1(text: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    for command in ("validate", "solve"):
        assert one_line(run([command, str(path)])) == f"{path}: {expected}"


def test_a_billion_laughs_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    """Seven levels of nine aliases (425 bytes, 4.8 million values) and twelve levels (10^12)."""
    shipped = HOSTILE / "billion_laughs.yaml"
    assert shipped.stat().st_size < 500
    deeper = tmp_path / "laughs12.yaml"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    deeper.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tracemalloc.start()
    try:
        for path in (shipped, deeper):
            with pytest.raises(ScenarioError) as caught:
                load_scenario(path)
            assert "expands to more than 100,000 values through '*' aliases" in str(caught.value)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"{peak:,} bytes used to refuse a few hundred bytes of aliases"
    line = one_line(run(["validate", str(shipped)]))
    assert line.endswith("billion_laughs.yaml: line 7: expands to more than 100,000 values through '*' aliases. "
                         "Write the values out instead of nesting '*anchor' references."), line


def test_a_few_aliases_are_still_fine(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(f"extends: {SCENARIOS / 'base.yaml'}\nrules:\n  tiers:\n    nano: &cap {{max_spend_share: 0.5}}\n"
                    "    micro: *cap\n", encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.rules.tiers["micro"].max_spend_share == 0.5


def test_a_scenario_over_the_size_limit_is_refused_and_the_limit_can_be_raised(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "padded.yaml"
    path.write_text(f"extends: {SCENARIOS / 'awareness_launch.yaml'}\n" + "# padding\n" * 250_000, encoding="utf-8")
    size = path.stat().st_size
    assert one_line(run(["validate", str(path)])) == (
        f"{path}: (file): is {size:,} bytes, over the 2,000,000-byte limit for a scenario file. Check that this is the "
        f"right file, or raise the limit with MIXOPT_MAX_SCENARIO_BYTES={size}.")
    monkeypatch.setenv("MIXOPT_MAX_SCENARIO_BYTES", str(size))
    assert run(["validate", str(path)]).exit_code == 0
    monkeypatch.setenv("MIXOPT_MAX_SCENARIO_BYTES", "lots")
    assert one_line(run(["validate", str(path)])) == (
        "(environment): MIXOPT_MAX_SCENARIO_BYTES: must be a positive whole number of bytes (got 'lots'). Set it to "
        "e.g. 2000000 or unset it.")


def test_a_utf16_scenario_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes("budget: 100\n".encode("utf-16"))
    assert one_line(run(["validate", str(path)])) == (
        f"{path}: (file): is UTF-16 text, not UTF-8. Save the file as UTF-8 text (plain .yaml, not a document).")


# ----------------------------------------------------------------------------- extends: and what it may read


def _child(tmp_path: Path, target: str) -> Path:
    """A scenario extending ``target``, named relative to ``tmp_path`` (the working folder of these tests)."""
    (tmp_path / "child.yaml").write_text(f"extends: {target}\nbudget: 100\n", encoding="utf-8")
    return Path("child.yaml")


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("target", "expected"), [
    ("'" + "a" * 5000 + ".yaml'", "the path is longer than 4,096 characters"),
    ("'" + "a" * 300 + ".yaml'", "a folder or file name in the path is longer than 255 characters"),
    ('"a\\0b.yaml"', "the path contains a NUL character"),
    ("/dev/zero", "the base is not a .yaml or .yml file"),
    ("/etc/passwd", "the base is not a .yaml or .yml file"),
    ("secret.txt", "the base is not a .yaml or .yml file"),
], ids=["long-path", "long-name", "nul", "dev-zero", "passwd", "not-yaml"])
def test_extends_refuses_paths_that_cannot_be_a_base_scenario(target: str, expected: str, in_tmp: Path) -> None:
    tmp_path = in_tmp
    (tmp_path / "secret.txt").write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n", encoding="utf-8")
    child = _child(tmp_path, target)
    line = one_line(run(["validate", str(child)]))
    assert line.startswith(f"{child}: extends: {expected} (got '"), line
    assert SECRET not in line and "root:x" not in line


def test_extends_refuses_a_folder_and_a_pipe_without_blocking(in_tmp: Path) -> None:
    tmp_path = in_tmp
    (tmp_path / "folder.yaml").mkdir()
    child = _child(tmp_path, "folder.yaml")
    assert one_line(run(["validate", str(child)])) == (
        f"{child}: extends: the base is a folder, not a scenario file (got 'folder.yaml'). Name a .yaml file, e.g. "
        "'extends: base.yaml'.")
    if NO_FIFO:
        return
    os.mkfifo(tmp_path / "pipe.yaml")
    child = _child(tmp_path, "pipe.yaml")
    assert one_line(run(["validate", str(child)])) == (
        f"{child}: extends: the base is not a regular file (it is a device, pipe or socket) (got 'pipe.yaml'). Name a "
        "scenario file saved on disk, e.g. 'extends: base.yaml'.")
    assert one_line(run(["validate", "pipe.yaml"])) == (
        "pipe.yaml: (file): is not a regular file (it is a device, pipe or socket). Give the path of a "
        "scenario file saved on disk.")


def test_a_base_that_is_yaml_but_not_a_scenario_is_never_quoted(in_tmp: Path) -> None:
    tmp_path = in_tmp
    (tmp_path / "passwd.yaml").write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(f"{SECRET}: [\n", encoding="utf-8")
    for base in ("passwd.yaml", "broken.yaml"):
        result = run(["validate", str(_child(tmp_path, base))])
        assert result.exit_code == 1 and SECRET not in result.output and "Traceback" not in result.output


def test_a_file_of_key_lines_that_is_not_a_scenario_is_refused_without_quoting_a_key(in_tmp: Path) -> None:
    """An account list (every line a key ending in ':') read as the scenario, a base or a calibration."""
    tmp_path = in_tmp
    (tmp_path / "shadow.yaml").write_text(f"root:$6${SECRET}:20228:0:99999:7:::\nbin:*:20228:0:99999:7:::\n",
                                          encoding="utf-8")
    (tmp_path / "calibrated.yaml").write_text(f"root:$6${SECRET}:20228:0:99999:7:::\n", encoding="utf-8")
    (tmp_path / "uses.yaml").write_text("budget: 1000\nobjective: {maximize: reach}\nassumptions_from: "
                                        "calibrated.yaml\n", encoding="utf-8")
    refused = "(file): is not a scenario file: no top-level key is a scenario field (its lines are not shown)."
    assert one_line(run(["validate", "shadow.yaml"])) == f"shadow.yaml: {refused} Give the path of a scenario .yaml file."
    child = run(["validate", str(_child(tmp_path, "shadow.yaml"))])
    assert child.exit_code == 1 and SECRET not in child.output and "Traceback" not in child.output
    assert f"shadow.yaml: {refused}" in child.output
    calibration = one_line(run(["validate", "uses.yaml"]))
    assert SECRET not in calibration and "is not a calibration file" in calibration


def test_control_characters_in_keys_values_and_file_names_are_shown_as_escapes(in_tmp: Path) -> None:
    """Quoted YAML keys may hold ESC or NUL: an error line shows them as escapes, never raw."""
    (in_tmp / "keys.yaml").write_text('budget: 1000\n"bud\\eget": 5\n"a\\0b": 3\nplatforms: {"x\\ey": 1}\n',
                                      encoding="utf-8")
    result = run(["validate", "keys.yaml"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "keys.yaml: bud\\x1bget: unknown key. Did you mean 'budget'?" in lines
    assert any(line.startswith("keys.yaml: a\\x00b: unknown key.") for line in lines)
    assert any(line.startswith("keys.yaml: platforms: must be a list (got {x\\x1by: 1})") for line in lines)
    name = "odd\x1bname.yaml"
    (in_tmp / name).write_text("budget: 1000\n", encoding="utf-8")
    ok = run(["validate", name])
    assert ok.exit_code == 0 and ok.output.startswith("odd\\x1bname.yaml: ok (")
    missing = run(["validate", "gone\x1b.yaml"])
    assert missing.exit_code == 1 and missing.output.startswith("gone\\x1b.yaml: ")
    for output in (result.output, ok.output, missing.output):
        assert "\x1b" not in output and "\x00" not in output


def test_a_shared_base_in_a_sibling_folder_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "plans").mkdir()
    shutil.copy(SCENARIOS / "base.yaml", tmp_path / "shared" / "base.yaml")
    child = tmp_path / "plans" / "launch.yaml"
    child.write_text("extends: ../shared/base.yaml\nobjective: {maximize: reach}\n", encoding="utf-8")
    assert run(["validate", str(child)]).exit_code == 0


def test_an_extends_chain_longer_than_twenty_files_is_refused(tmp_path: Path) -> None:
    shutil.copy(SCENARIOS / "base.yaml", tmp_path / "s0.yaml")
    for number in range(1, 25):
        (tmp_path / f"s{number}.yaml").write_text(f"extends: s{number - 1}.yaml\n", encoding="utf-8")
    line = one_line(run(["validate", str(tmp_path / "s24.yaml")]))
    assert line.endswith("extends: the 'extends:' chain is longer than 20 files (got 's4.yaml'). Merge some of the "
                         "base files.")


# ----------------------------------------------------------------------------- creator tables


@pytest.mark.parametrize(("table", "expected"), [
    (b"id,ID,platform,followers\na,b,tiktok,5000\n",
     "id: the column is written twice (columns 1 and 2, ignoring case and spaces). Keep one 'id' column."),
    (b"id,platform,followers,followers\na,tiktok,5000,3\n",
     "followers: the column is written twice (columns 3 and 4, ignoring case and spaces). Keep one 'followers' "
     "column."),
    (b"id,platform,followers\n", "(rows): the creator table has no creators. Add one row per creator below the "
                                 "header row."),
    (b"", "(file): the creator table is empty. Write a header row (id, platform, followers) and one row per creator."),
    ("id,platform,followers\na,tiktok,5000\n".encode("utf-16"),
     "(file): is UTF-16 text, not UTF-8. Save it as CSV UTF-8 (comma separated)."),
    (b"id,platform,followers\na,tiktok,5000\n\xff\xfe\xfa,tiktok,3\n",
     "(file): is not UTF-8 text. Save it as CSV UTF-8 (comma separated)."),
    (b"\x00\x01\x02garbage\xff" * 50, "(file): is not a text file (it holds NUL bytes). Save it as CSV (UTF-8, comma "
                                      "separated) or XLSX with one header row."),
    (b"id|platform|followers\na|tiktok|5000\n", "(file): the header row is one column: the table is not comma "
                                               "separated. Save it as CSV with commas between the columns, or set "
                                               "'delimiter: \"|\"' under roster:."),
    (b"id,platform,followers\na,tiktok,5000,extra\n",
     "(file): some rows have more cells than the header row's 3 columns. Put values that contain commas in quotes, "
     "or name every column in the header row."),
    (b"id," * 20_000 + b"\n", "(file): the header row has more than 1,000 columns. Keep the creator columns only."),
], ids=["id-and-ID", "twice", "no-rows", "empty", "utf16", "not-utf8", "binary", "bars", "wide-row",
        "many-columns"])
def test_odd_creator_tables_get_one_line(table: bytes, expected: str, tmp_path: Path) -> None:
    scenario = with_table(roster_folder(tmp_path), table)
    for command in ("validate", "solve"):
        assert one_line(run([command, str(scenario)])) == f"{scenario.parent / 'creators' / 'odd.csv'}: {expected}"


def test_a_creator_table_with_a_huge_cell_is_read(tmp_path: Path) -> None:
    text = (HOSTILE / "creators" / "small.csv").read_text(encoding="utf-8").replace("c0000000", "c" * 2_000_000, 1)
    scenario = with_table(roster_folder(tmp_path), text.encode())
    roster = load_roster(load_scenario(scenario))
    assert len(roster) == 24 and len(roster.table["id"].iloc[0]) == 2_000_000


def test_a_creator_table_that_is_a_folder_a_pipe_or_a_device_is_refused(tmp_path: Path) -> None:
    scenario = roster_folder(tmp_path)
    text = scenario.read_text(encoding="utf-8")
    (tmp_path / "creators" / "folder.csv").mkdir()
    targets = {"creators/folder.csv": "is a folder, not a file. Give the path of a creator table.",
               "/dev/zero": "is not a regular file (it is a device, pipe or socket). Give the path of a creator table "
                            "saved on disk."}
    if not NO_FIFO:
        os.mkfifo(tmp_path / "creators" / "pipe.csv")
        targets["creators/pipe.csv"] = targets["/dev/zero"]
    for target, expected in targets.items():
        scenario.write_text(text.replace("creators/small.csv", target), encoding="utf-8")
        shown = target if target.startswith("/") else str(tmp_path / target)
        assert one_line(run(["validate", str(scenario)])) == f"{shown}: (file): {expected}"


def test_a_missing_creator_table_names_the_scenario_field_the_value_and_a_close_name(tmp_path: Path) -> None:
    scenario = roster_folder(tmp_path)
    text = scenario.read_text(encoding="utf-8")
    for written, fix in (("creators/smal.csv", "Did you mean 'creators/small.csv'?"),
                         ("elsewhere/roster.csv", "Check the path: it is read from the folder of the scenario file "
                          "that names it (from the current folder when given with --set).")):
        scenario.write_text(text.replace("creators/small.csv", written), encoding="utf-8")
        for command in ("validate", "solve"):
            assert one_line(run([command, str(scenario)])) == (
                f"{scenario}: roster.file: no creator table at {tmp_path / written} (got '{written}'). {fix}")


def test_a_roster_file_with_a_nul_names_the_scenario_field(tmp_path: Path) -> None:
    scenario = roster_folder(tmp_path)
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("creators/small.csv", '"a\\0b.csv"'),
                        encoding="utf-8")
    assert one_line(run(["validate", str(scenario)])) == (
        f"{scenario}: roster.file: the path contains a NUL character (got 'a\\x00b.csv'). Name the creator table, "
        "e.g. 'roster: {file: creators.csv}'.")


# ----------------------------------------------------------------------------- the internal-error guard


def test_a_bug_gives_one_line_exit_5_and_a_log_with_the_traceback(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: object) -> None:
        raise RuntimeError("a bug in the scenario reader\nwith a second line")

    monkeypatch.setattr(mixopt, "load_scenario", broken)
    monkeypatch.setenv("MIXOPT_LOG_DIR", str(tmp_path / "logs"))
    line = one_line(run(["validate", str(SCENARIOS / "awareness_launch.yaml")]), code=5)
    match = re.fullmatch(r"mixopt \S+: internal error \(RuntimeError: a bug in the scenario reader\); details are in "
                         r"(?P<log>.+mixopt-internal-error-\d+-\d+\.log)\. Please report it with the scenario\.", line)
    assert match, line
    log = Path(match["log"])
    assert log.parent == tmp_path / "logs"
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "with a second line" in text and "command: mixopt validate" in text
    second = one_line(run(["validate", str(SCENARIOS / "awareness_launch.yaml")]), code=5)
    assert match["log"] not in second, "a second error must not overwrite the first log"


def test_a_bug_still_gives_one_line_when_no_log_can_be_written(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setattr(mixopt, "load_scenario", lambda path: {}["missing"])
    monkeypatch.setenv("MIXOPT_LOG_DIR", str(blocker / "logs"))
    line = one_line(run(["validate", str(SCENARIOS / "awareness_launch.yaml")]), code=5)
    assert line.startswith("mixopt ") and "internal error (KeyError: 'missing'); no log could be written" in line


def test_a_planner_error_that_escapes_a_command_keeps_its_line_and_code(monkeypatch: pytest.MonkeyPatch) -> None:
    import mixopt.scenario.defaults
    from mixopt.errors import Issue

    def refuse() -> None:
        raise ScenarioError([Issue("x.yaml", "budget", "must not be negative", "Use 0 or more", -1)])

    monkeypatch.setattr(mixopt.scenario.defaults, "defaults_table", refuse)
    result = run(["defaults"])
    assert one_line(result) == "x.yaml: budget: must not be negative (got -1). Use 0 or more."


def test_usage_errors_and_help_pass_through_the_guard() -> None:
    assert run(["solve"]).exit_code == 2
    assert run(["--help"]).exit_code == 0
    assert run(["--version"]).exit_code == 0


@pytest.mark.parametrize(("args", "expected"), [
    (["frontier", "s.yaml", "--x", "reech"], "--x: 'reech' is not one of 'reach', 'impressions', 'engagements', "
                                             "'conversions'. See 'mixopt frontier --help' for the options."),
    (["simulate", "s.yaml", "--samples", "0"], "--samples: 0 is not in the range 1<=x<=1000000. See 'mixopt "
                                               "simulate --help' for the options."),
    (["solve"], "SCENARIO: is missing. See 'mixopt solve --help' for the options."),
    (["solv", "s.yaml"], "(usage): No such command 'solv'. Did you mean 'solve'? See 'mixopt --help' for the "
                         "options."),
    (["solve", "s.yaml", "--mip-gapp", "0.1"], "--mip-gapp: no such option. Did you mean --mip-gap? See 'mixopt "
                                               "solve --help' for the options."),
    (["sweep", "s.yaml", "--budget"], "--budget: needs a value. See 'mixopt sweep --help' for the options."),
], ids=["choice", "range", "missing", "command", "option", "no-value"])
def test_command_line_mistakes_caught_by_the_parser_get_one_line_and_exit_2(args: list[str], expected: str) -> None:
    result = run(args)
    assert one_line(result, 2) == f"(command line): {expected}"


# ----------------------------------------------------------------------------- property: mutated files

CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff", "\ufffe",
           "\t", "\r", "\u202e"]
TAGS = ["!!int ", "!!float ", "!!bool ", "!!str ", "!!null ", "!!binary ", "!!timestamp ", "!!set ", "!!omap ",
        "!!seq ", "!!map ", "!!python/object:os.system ", "!foo ", "! ", "!<tag:yaml.org,2002:int> "]
NUMBERS = ["1e400", "-1e400", ".nan", ".inf", "-.inf", "9" * 5000, "9" * 99, "0x" + "f" * 300, "0b" + "1" * 200,
           "1_000_000_000_000_000_000", "-0", "1e-300", "12x", "1,000", "50%", "2024-13-45", "2024-02-29", "1:30",
           "0o777", "+5", "-5", "3.5", "0", "1e15", "-1", "4.4e38"]
VALUES = ["[1, 2]", "{a: 1}", "'text'", "null", "true", "~", "[]", "{}", "", "[[[[]]]]", "'" + "x" * 10_000 + "'",
          "*undefined", "&a", "|\n  block", ">", "@", "`", "%", "'unclosed", "[unclosed", "{x: [1, {y: *z}]}",
          '"\\ud800"', '"a\\udfffb"', '"\\x00"', '"\\u202e"', '"\\U0001F600"', '"\\e[31m"']
EXTENDS = ["/dev/zero", "/dev/null", "/dev/stdin", "/proc/self/environ", "fifo.yaml", "folder.yaml", "missing.yaml",
           "scenario.yaml", "secret.txt", "secret.yaml", "../shared/base.yaml", "base.yaml", "'" + "a" * 300 + ".yaml'",
           "'" + "x/" * 2100 + "'", '"a\\0b.yaml"', "''", "[a.yaml]", "{a: 1}", "~", "123", "/", ".", "..",
           "/etc/passwd", "'C:\\\\x.yaml'", "'~/base.yaml'", "'%s'" % ("b" * 200 + ".yaml")]
TABLES = ["/dev/zero", "/dev/null", "fifo.csv", "folder.csv", "missing.csv", "secret.txt", "secret.yaml",
          "creators/small.csv", "creators/small.xlsx", "scenario.yaml", "'" + "x" * 5000 + ".csv'", '"a\\0b.csv"',
          "/proc/self/status", "''", "creators", "creators/"]
CELLS = ["", "nan", "NaN", "-1", "1e400", "inf", "-inf", "1,200", "abc", "x" * 5000, "0x10", "TRUE", "yes", "  5 ",
         '"unclosed', '"a,b"', "\x00", "\x07", "1e-320", "99999999999999999999999", "-0", "2", "0.5", "1.5", "=1+1"]


def _key_line(lines: list[str], index: int) -> int | None:
    """The index of a 'key: value' line at or after ``index`` (wrapping), or None."""
    for step in range(len(lines)):
        i = (index + step) % len(lines)
        if re.match(r"^\s*[\w.\-]+:\s*\S", lines[i]) and not lines[i].lstrip().startswith("#"):
            return i
    return None


def _mutate_lines(data: st.DataObject, text: str, *, extends: bool, table: bool) -> str:
    lines = text.splitlines(keepends=True) or ["\n"]
    kinds = ["control", "tag", "number", "value", "delete", "duplicate", "swap", "indent", "anchor", "laughs",
             "random", "cycle"] + ["scale"] * 8 + ["extends"] * extends + ["table"] * table
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        kind = data.draw(st.sampled_from(kinds), label="mutation")
        at = data.draw(st.integers(0, len(lines) - 1), label="line")
        key = _key_line(lines, at)
        if kind == "control":
            line = lines[at]
            pos = data.draw(st.integers(0, len(line)), label="pos")
            lines[at] = line[:pos] + data.draw(st.sampled_from(CONTROL), label="char") + line[pos:]
        elif kind in ("tag", "number", "value") and key is not None:
            name, _, value = lines[key].partition(":")
            new = {"tag": lambda: data.draw(st.sampled_from(TAGS), label="tag") + value.strip(),
                   "number": lambda: data.draw(st.sampled_from(NUMBERS), label="number"),
                   "value": lambda: data.draw(st.sampled_from(VALUES), label="value")}[kind]()
            lines[key] = f"{name}: {new}\n"
        elif kind == "scale":  # a plausible planner's edit: a number made smaller or larger
            numbered = [i for i, line in enumerate(lines) if re.search(r":\s*-?\d", line) and not line.lstrip().startswith("#")]
            if numbered:
                i = numbered[at % len(numbered)]
                factor = data.draw(st.sampled_from([0, 0.1, 0.5, 0.9, 1.1, 2, 10]), label="factor")
                lines[i] = re.sub(r"(?<=[:\s\[,{])(-?\d+(?:\.\d+)?)(?=[\s,\]}]|$)",
                                  lambda m: _scaled(m.group(1), factor), lines[i], count=1)
        elif kind == "delete" and len(lines) > 1:
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap":
            other = data.draw(st.integers(0, len(lines) - 1), label="other")
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "indent":
            lines[at] = (" " * data.draw(st.integers(1, 5), label="spaces") + lines[at]
                         if data.draw(st.booleans(), label="deeper") else lines[at].lstrip())
        elif kind == "anchor" and key is not None:
            name, _, value = lines[key].partition(":")
            lines[key] = f"{name}: &hx {value.strip() or '1'}\n"
            lines.append(f"{data.draw(st.sampled_from(['budget', 'name', 'rules', 'extra']), label='alias')}: *hx\n")
        elif kind == "laughs":
            levels = data.draw(st.integers(2, 12), label="levels")
            lines.append("l0: &l0 [x, x, x, x, x, x, x, x, x]\n")
            lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, levels)]
        elif kind == "cycle":
            lines.append("loop: &loop [1, {again: *loop}]\n")
        elif kind == "random":
            lines.insert(at, data.draw(st.text(max_size=40), label="text") + "\n")
        elif kind == "extends":
            target = data.draw(st.sampled_from(EXTENDS), label="extends")
            lines = [line for line in lines if not line.startswith("extends:")]
            lines.insert(0, f"extends: {target}\n")
        elif kind == "table":
            target = data.draw(st.sampled_from(TABLES), label="table")
            lines = [line.replace("creators/small.csv", target) for line in lines]
    return "".join(lines)


def _scaled(number: str, factor: float) -> str:
    value = float(number) * factor
    if not math.isfinite(value):  # a number too long for a float: keep it as written
        return number
    return str(round(value)) if "." not in number else f"{value:.4g}"


def _mutate_bytes(data: st.DataObject, text: str) -> bytes:
    raw = text.encode("utf-8", errors="surrogatepass")
    kind = data.draw(st.sampled_from(["none"] * 6 + ["truncate", "bytes", "utf16", "latin1", "bom", "crlf"]),
                     label="bytes")
    if kind == "truncate":
        return raw[: data.draw(st.integers(0, len(raw)), label="cut")]
    if kind == "bytes":
        pos = data.draw(st.integers(0, len(raw)), label="at")
        return raw[:pos] + data.draw(st.binary(min_size=1, max_size=16), label="junk") + raw[pos:]
    if kind == "utf16":
        return text.encode("utf-16", errors="surrogatepass")
    if kind == "latin1":
        return text.replace("a", "\u00e9", 1).encode("latin-1", errors="replace")
    if kind == "bom":
        return b"\xef\xbb\xbf" + raw
    if kind == "crlf":
        return raw.replace(b"\n", b"\r\n")
    return raw


def _mutate_table(data: st.DataObject, text: str) -> bytes:
    rows = [line.split(",") for line in text.splitlines()]
    for _ in range(data.draw(st.integers(1, 3), label="table mutations")):
        if not rows:
            break
        kind = data.draw(st.sampled_from(["cell", "header", "drop column", "double column", "drop rows",
                                          "double row", "extra cell", "case", "control"]), label="table mutation")
        r = data.draw(st.integers(0, len(rows) - 1), label="row")
        c = data.draw(st.integers(0, max(len(rows[0]) - 1, 0)), label="column")
        if kind == "cell" and rows[r] and c < len(rows[r]):
            rows[r][c] = data.draw(st.sampled_from(CELLS), label="cell value")
        elif kind == "header" and rows[0] and c < len(rows[0]):
            rows[0][c] = data.draw(st.sampled_from(["id", "ID", " Id ", "platform", "followers", "", "category",
                                                    "must_include", "x" * 300, "fee_per_post"]), label="name")
        elif kind == "drop column":
            rows = [row[:c] + row[c + 1:] for row in rows]
        elif kind == "double column":
            rows = [row[: c + 1] + row[c:] for row in rows]
        elif kind == "drop rows":
            rows = rows[: data.draw(st.integers(0, len(rows)), label="keep")]
        elif kind == "double row" and r > 0:
            rows.insert(r, list(rows[r]))
        elif kind == "extra cell":
            rows[r] = [*rows[r], "surplus"]
        elif kind == "case" and rows:
            rows[0] = [name.upper() for name in rows[0]]
        elif kind == "control" and rows[r]:
            rows[r][0] = rows[r][0] + data.draw(st.sampled_from(CONTROL), label="control char")
    return _mutate_bytes(data, "\n".join(",".join(row) for row in rows) + "\n")


def _playground(root: Path) -> Path:
    """A scenario folder with the shipped files plus hostile neighbours (a pipe, a folder, a secret)."""
    work = root / "plans"
    shutil.copytree(SCENARIOS, work, ignore=shutil.ignore_patterns("creators"))
    (work / "creators").mkdir()
    shutil.copy(HOSTILE / "roster_small.yaml", work / "roster.yaml")
    shutil.copy(HOSTILE / "creators" / "small.csv", work / "creators" / "small.csv")
    shutil.copy(HOSTILE / "creators" / "small.xlsx", work / "creators" / "small.xlsx")
    (root / "shared").mkdir()
    shutil.copy(SCENARIOS / "base.yaml", root / "shared" / "base.yaml")
    for name in ("folder.yaml", "folder.csv"):
        (work / name).mkdir()
    if not NO_FIFO:
        for name in ("fifo.yaml", "fifo.csv"):
            os.mkfifo(work / name)
    for name in ("secret.txt", "secret.yaml"):
        (work / name).write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n", encoding="utf-8")
    return work


#: ``FILE: field.path: what is wrong ... How to fix.``; the field part may hold any key a mutation made.
ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+|\(environment\)): (?P<rest>\S.*): \S.*$")


def _check_lines(result: Result, work: Path, args: list[str]) -> None:
    output = result.output
    note(f"{args} -> {result.exit_code}\n{output[:2000]}")
    assert result.exit_code in (0, 1, 3, 4), output
    assert "Traceback" not in output and "internal error" not in output
    assert SECRET not in output, "the text of a file that is not a scenario was printed"
    if result.exit_code == 0:
        return
    lines = result.stderr.splitlines()
    assert lines, "a failure must say why"
    checked = lines if result.exit_code == 1 else lines[:1]
    for line in checked:
        match = ERROR_LINE.match(line)
        assert match, f"not 'FILE: field.path: problem': {line!r}"
        file = match["file"]
        assert file == "(environment)" or (work / file).exists() or file.endswith((".yaml", ".yml", ".csv")) or \
            file.startswith("/"), f"the line does not name a file: {line!r}"


def _accepted_plan_checks_out(path: Path) -> None:
    scenario = load_scenario(path)
    options = solver_options_for(scenario, time_limit_s=5.0)
    plan = mixopt.optimize(scenario, options, explain=False)
    if plan.status.has_plan:
        assert plan.feasible, [str(c) for c in plan.checks if not c.holds]


def _run_both(work: Path, target: str) -> None:
    with inside(work):
        for args in (["validate", target], ["solve", "--no-explain", "--time-limit", "5", target]):
            result = CliRunner().invoke(cli, args, catch_exceptions=True)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise result.exception
            _check_lines(result, work, args)
            event(f"{args[0]} exit {result.exit_code}")
            if args[0] == "solve" and result.exit_code == 0:
                _accepted_plan_checks_out(work / target)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _playground(tmp_path_factory.mktemp("hostile"))


@contextlib.contextmanager
def playground(template: Path) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="mixopt-hostile-"))
    try:
        work = root / "plans"
        shutil.copytree(template, work, symlinks=True, ignore=shutil.ignore_patterns("fifo.*"))
        shutil.copytree(template.parent / "shared", root / "shared")
        if not NO_FIFO:
            for name in ("fifo.yaml", "fifo.csv"):
                os.mkfifo(work / name)
        yield work
    finally:
        shutil.rmtree(root, ignore_errors=True)


TIER_FILES = sorted(p.name for p in SCENARIOS.glob("*.yaml") if p.name != "roster_skincare.yaml")


@fuzz(TIER_CASES)
@given(data=st.data())
def test_mutated_tier_scenarios_never_crash(template: Path, data: st.DataObject) -> None:
    scenario = data.draw(st.sampled_from([name for name in TIER_FILES if name != "base.yaml"]), label="scenario")
    victim = data.draw(st.sampled_from([scenario, "base.yaml"]), label="mutated file")
    with playground(template) as work:
        text = (work / victim).read_text(encoding="utf-8")
        mutated = _mutate_bytes(data, _mutate_lines(data, text, extends=True, table=False))
        (work / victim).write_bytes(mutated)
        _run_both(work, scenario)


@fuzz(ROSTER_CASES)
@given(data=st.data())
def test_mutated_roster_scenarios_never_crash(template: Path, data: st.DataObject) -> None:
    with playground(template) as work:
        text = (work / "roster.yaml").read_text(encoding="utf-8")
        mutated = _mutate_bytes(data, _mutate_lines(data, text, extends=True, table=True))
        (work / "roster.yaml").write_bytes(mutated)
        _run_both(work, "roster.yaml")


@fuzz(TABLE_CASES)
@given(data=st.data())
def test_mutated_creator_tables_never_crash(template: Path, data: st.DataObject) -> None:
    with playground(template) as work:
        table = work / "creators" / "small.csv"
        table.write_bytes(_mutate_table(data, table.read_text(encoding="utf-8")))
        if data.draw(st.booleans(), label="as workbook"):
            _to_workbook(table, work / "creators" / "small.xlsx")
            (work / "roster.yaml").write_text((work / "roster.yaml").read_text(encoding="utf-8").replace(
                "creators/small.csv", "creators/small.xlsx"), encoding="utf-8")
        _run_both(work, "roster.yaml")


def _to_workbook(table: Path, workbook: Path) -> None:
    """The mutated CSV's cells as a workbook (raw bytes when they are not CSV at all)."""
    import csv

    from openpyxl import Workbook

    try:
        rows = list(csv.reader(table.read_text(encoding="utf-8").splitlines()))
    except (UnicodeDecodeError, csv.Error):
        workbook.write_bytes(table.read_bytes())
        return
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", cell) for cell in row])
    book.save(workbook)
    book.close()


if sys.platform == "win32":  # pragma: no cover - pipes and /dev are POSIX
    pytestmark = pytest.mark.skip(reason="hostile-file tests use POSIX pipes and devices")
