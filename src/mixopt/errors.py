"""Errors a planner can cause, and the one-line messages that explain them.

Every message follows one shape, ``FILE: field.path: what is wrong (got VALUE). How to fix.``,
so a planner can find the line in the scenario file and knows what to change.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Issue",
    "MixoptError",
    "ScenarioError",
    "InfeasibleError",
    "SolverError",
    "format_value",
    "printable",
]


_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: Any) -> str:
    """``text`` for a terminal: control, format (bidirectional overrides, zero-width) and line- or
    paragraph-separator characters shown as escapes, never raw."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(_escape(ch) if unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp")
                   else ch for ch in text)


def undecodable(text: str) -> bool:
    """True when ``text`` came from bytes that are not text in this system's encoding (a file name or a
    command-line argument that is not UTF-8): Python keeps such bytes as lone surrogates, which no file
    can be written with."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def format_value(value: object) -> str:
    """Show a planner's value the way they wrote it (text quoted, numbers plain, one line)."""
    if isinstance(value, bool):
        return "true" if value else "false"  # YAML's spelling (yes/no/on/off load as these)
    if value is None:
        return "nothing"
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= 60 else text[:56] + "...'"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (list, tuple)):
        text = "[" + ", ".join(format_value(v) for v in value) + "]"
        return text if len(text) <= 60 else text[:57] + "..."
    if isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
        return text if len(text) <= 60 else text[:57] + "..."
    return str(value)


_MISSING = object()


@dataclass(frozen=True)
class Issue:
    """One problem with a scenario: where it is, what is wrong, and how to fix it."""

    file: str
    path: str
    problem: str
    fix: str
    value: object = _MISSING

    def __str__(self) -> str:
        got = "" if self.value is _MISSING else f" (got {format_value(self.value)})"
        fix = self.fix if self.fix.endswith(("?", "!")) else self.fix.rstrip(".") + "." if self.fix else ""
        # a key, path or file name may hold control characters: shown as escapes, never raw
        return printable(f"{self.file}: {self.path}: {self.problem}{got}. {fix}".rstrip())

    @property
    def has_value(self) -> bool:
        """True when the issue quotes the planner's value."""
        return self.value is not _MISSING


class MixoptError(Exception):
    """Base class of every error a planner can cause; its text is ready to print."""

    exit_code = 1


class ScenarioError(MixoptError):
    """A scenario file (or creator table) is invalid: all problems, one line each."""

    exit_code = 1

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class InfeasibleError(MixoptError):
    """No plan satisfies every rule of the scenario; the message says why."""

    exit_code = 3


class SolverError(MixoptError):
    """The solver failed or ran out of time before finding any plan."""

    exit_code = 4
