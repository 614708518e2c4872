"""Opening an input file safely (a scenario, a base, a creator table): regular files only,
opened without blocking, within a size limit an environment variable can change, and paths of
bounded length; each refusal is one planner's line."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

from mixopt.errors import Issue, ScenarioError

__all__ = ["MAX_NAME_CHARS", "MAX_PATH_CHARS", "MAX_LIMIT_BYTES", "InputFileError", "byte_limit", "open_input_file",
           "path_problem", "read_within"]

MAX_PATH_CHARS, MAX_NAME_CHARS = 4096, 255  # a whole path, and one folder or file name in it
MAX_LIMIT_BYTES = 10**15  # the largest limit a variable may set (1 PB): far beyond any real input
_BLOCK_BYTES = 1 << 20  # read in blocks, so a generous limit never reserves its size in memory


class InputFileError(Exception):
    """An input file mixopt refuses to read; ``reason`` (path, missing, folder, special, too_big or
    unreadable) lets a caller word the common cases its own way."""

    def __init__(self, reason: str, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.reason = reason
        self.problem = problem
        self.fix = fix


def byte_limit(variable: str, default: int) -> int:
    """A size limit in bytes: ``default``, or the whole number the environment ``variable`` holds.

    Raises
    ------
    ScenarioError
        When the variable is set to something other than a positive whole number of at most
        ``MAX_LIMIT_BYTES``.
    """
    text = os.environ.get(variable)
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise ScenarioError([Issue("(environment)", variable, "must be a positive whole number of bytes",
                                   f"Set it to e.g. {default} or unset it", text)])
    if value > MAX_LIMIT_BYTES:
        raise ScenarioError([Issue("(environment)", variable, f"must be at most {MAX_LIMIT_BYTES:,} bytes",
                                   f"Set it to e.g. {default} or unset it", text)])
    return value


def read_within(handle: BinaryIO, limit_bytes: int) -> bytes:
    """The file's bytes up to ``limit_bytes`` + 1 (one more shows it grew past the limit while read)."""
    blocks: list[bytes] = []
    left = limit_bytes + 1
    while left > 0:
        block = handle.read(min(left, _BLOCK_BYTES))
        if not block:
            break
        blocks.append(block)
        left -= len(block)
    return b"".join(blocks)


def path_problem(text: str) -> str | None:
    """Why a path cannot be a file name (a NUL character, too long), or None."""
    if "\x00" in text:
        return "the path contains a NUL character"
    if len(text) > MAX_PATH_CHARS:
        return f"the path is longer than {MAX_PATH_CHARS:,} characters"
    if any(len(part) > MAX_NAME_CHARS for part in re.split(r"[\\/]", text)):
        return f"a folder or file name in the path is longer than {MAX_NAME_CHARS} characters"
    return None


def open_input_file(path: Path, limit_bytes: int, limit_variable: str, kind: str) -> BinaryIO:
    """Open a regular file of at most ``limit_bytes`` for binary reading, without ever blocking.

    The file is opened non-blocking (a pipe with no writer cannot hang the run) and checked
    on the open handle, so a folder, device, pipe or socket is refused before anything is read.

    Raises
    ------
    InputFileError
        With the reason, the problem and the fix, in words about a ``kind`` ("scenario file").
    """
    problem = path_problem(str(path))
    if problem is not None:
        raise InputFileError("path", problem, "Check the path and the file name")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputFileError("missing", "file not found", "Check the path and the file name") from None
    except IsADirectoryError:
        raise InputFileError("folder", "is a folder, not a file", f"Give the path of a {kind}") from None
    except OSError as err:
        raise InputFileError("unreadable", f"cannot read the file ({err.strerror or type(err).__name__})",
                             "Check that the file can be read") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError("folder", "is a folder, not a file", f"Give the path of a {kind}")
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError("special", "is not a regular file (it is a device, pipe or socket)",
                                 f"Give the path of a {kind} saved on disk")
        if info.st_size > limit_bytes:
            raise InputFileError("too_big", f"is {info.st_size:,} bytes, over the {limit_bytes:,}-byte limit for a "
                                 f"{kind}", f"Check that this is the right file, or raise the limit with "
                                 f"{limit_variable}={info.st_size}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
