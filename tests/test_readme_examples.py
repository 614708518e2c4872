"""Every terminal example in the README reproduces: each block that starts with ``$ mixopt ...``
on a shipped scenario is run, and its lines must match the command's output (a ``...`` line
skips output; the lines after it must follow, in order)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _examples() -> list[tuple[str, list[str]]]:
    found = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", README, re.S | re.M):
        lines = block.rstrip("\n").split("\n")
        if not lines[0].startswith("$ mixopt "):
            continue
        command = lines[0][2:].split("  #")[0].strip()
        paths = [a for a in shlex.split(command) if a.endswith((".yaml", ".xlsx"))]
        if all((ROOT / p).is_file() for p in paths):
            found.append((command, lines[1:]))
    return found


def _segments(expected: list[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == "...":
            parts.append([])
        else:
            parts[-1].append(line.rstrip())
    return [p for p in parts if p] if parts[0] else [[], *[p for p in parts if p]]


def _matches(expected: list[str], output: list[str]) -> bool:
    segments = _segments(expected)
    first, rest = segments[0], segments[1:]
    if output[: len(first)] != first:
        return False
    at = len(first)
    for segment in rest:
        while at + len(segment) <= len(output) and output[at: at + len(segment)] != segment:
            at += 1
        if at + len(segment) > len(output):
            return False
        at += len(segment)
    return True


def test_the_matcher_needs_every_shown_line_in_order() -> None:
    out = ["a", "b", "c", "d", "e"]
    assert _matches(["a", "b", "...", "d"], out)
    assert not _matches(["a", "...", "e", "d"], out)
    assert not _matches(["a", "x"], out)


def test_the_readme_has_runnable_examples() -> None:
    assert len(_examples()) >= 5


@pytest.mark.parametrize(("command", "expected"), _examples(), ids=[c for c, _ in _examples()])
def test_a_readme_example_reproduces(command: str, expected: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, shlex.split(command)[1:])
    output = [line.rstrip() for line in result.stdout.split("\n")]
    assert _matches(expected, output), "\n".join(output)
