"""Whole output sets: a run's files in an ``--out`` folder appear together or not at all.

A command writes its files into a staging folder inside the target (``DIR/.mixopt-staging-PID``,
so on the same filesystem), then :meth:`OutputSet.commit` moves them into ``DIR`` and writes the
manifest ``DIR/run.json`` last. The manifest is the commit marker:

* Whenever ``DIR/run.json`` exists, every file it lists is in ``DIR`` with exactly the size and
  sha256 it records, all from one finished run.
* While a run moves its files into place (a few renames), ``DIR/run.json`` is absent; a run
  killed in that moment leaves its staging folder with the manifest in it, and the next run on
  ``DIR`` finishes the move (the files are checked against the manifest first) before it starts.
* A file is never half-written: each is written in full in the staging folder, flushed to disk,
  and renamed into place.
* Files of the earlier run (listed in the earlier ``run.json``) that this run does not write are
  removed, unless they were changed since or are an input of this run; files mixopt did not write
  are never removed, only named in a note.
* Staging folders and ``.tmp`` files of killed runs are removed by the next run on ``DIR``.
* One run at a time per folder: ``DIR/.mixopt-lock`` is locked (``flock``; released by the
  system when the process ends, so a killed run never leaves a stale lock) and holds the pid and
  command line of the run that has it, for the message a second run gets; a run removes it when
  it ends.

Use::

    out = OutputSet(Path("results"), command=("mixopt", "solve", "s.yaml", "--out", "results"))
    out.begin()                                   # OutputSetError: busy, cannot write, ...
    try:
        write_outputs(plan, out.folder)           # any writer, given the staging folder
        written = out.commit()                    # the final paths, run.json last
    finally:
        out.abort()                               # no-op after commit; else the old set stays
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from mixopt.version import mixopt_version

try:  # POSIX: an advisory lock the system releases when the process ends
    import fcntl
except ImportError:  # pragma: no cover - Windows: a lock file made with O_EXCL, holding the pid
    fcntl = None  # type: ignore[assignment]

__all__ = ["OutputSet", "OutputSetError", "MANIFEST", "LOCK_NAME", "STAGING_PREFIX", "FORMAT",
           "read_manifest", "verify_output_set"]

MANIFEST = "run.json"
LOCK_NAME = ".mixopt-lock"
STAGING_PREFIX = ".mixopt-staging-"
FORMAT = "mixopt output set 1"
_REMOVE = ".remove.json"  # in a staging folder: the earlier run's files this run removes
_TMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # write_atomic's temporary names: .NAME.XXXXXXXX.tmp
_CHUNK = 1 << 20


class OutputSetError(Exception):
    """An output folder that cannot take the run's files; ``kind`` is one of ``busy`` (another run
    has the folder), ``unwritable`` (it cannot be created or written: ``err`` holds the OSError),
    ``blocked`` (a folder or another program's ``run.json`` is where a file goes) or ``incomplete``
    (the files could not all be moved into place; the next run finishes the move)."""

    def __init__(self, kind: str, folder: Path, problem: str, err: OSError | None = None) -> None:
        super().__init__(problem)
        self.kind = kind
        self.folder = folder
        self.problem = problem
        self.err = err


# ----------------------------------------------------------------------------- the manifest


def _digest(path: Path, sync: bool = False) -> tuple[int, str]:
    """Size and sha256 of a file (flushed to disk first with ``sync``)."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        if sync:
            os.fsync(handle.fileno())
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def _plain_name(name: object) -> bool:
    return (isinstance(name, str) and name not in ("", ".", "..", MANIFEST) and "/" not in name and "\\" not in name
            and "\x00" not in name and not name.startswith(".mixopt"))


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The output set's manifest in ``folder`` (``run.json``), or None when there is none.

    Raises
    ------
    ValueError
        When ``run.json`` exists but is not a mixopt manifest (another program's file, or edited).
    """
    path = Path(folder) / MANIFEST
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ValueError("is a folder, not a mixopt manifest") from None
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("is not a mixopt manifest (not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), list):
        raise ValueError("is not a mixopt manifest")
    for entry in data["files"]:
        if not (isinstance(entry, dict) and _plain_name(entry.get("name")) and isinstance(entry.get("bytes"), int)
                and isinstance(entry.get("sha256"), str)):
            raise ValueError("is not a mixopt manifest (a file entry is malformed)")
    return data


def verify_output_set(folder: Path) -> list[str]:
    """What is wrong with the output set in ``folder``: an empty list when ``run.json`` exists and
    every file it lists is there with its size and sha256; else one line per problem."""
    folder = Path(folder)
    try:
        manifest = read_manifest(folder)
    except ValueError as err:
        return [f"{folder / MANIFEST}: {err}"]
    if manifest is None:
        return [f"{folder}: no {MANIFEST}: no complete output set"]
    problems = []
    for entry in manifest["files"]:
        path = folder / entry["name"]
        try:
            found = _digest(path)
        except OSError as err:
            problems.append(f"{path}: listed in {MANIFEST} but cannot be read ({err.strerror or type(err).__name__})")
            continue
        if found != (entry["bytes"], entry["sha256"]):
            problems.append(f"{path}: differs from {MANIFEST} ({found[0]} bytes, sha256 {found[1][:12]}...)")
    return problems


def _manifest_bytes(command: Sequence[str], files: list[dict[str, Any]]) -> bytes:
    import shlex

    data = {"format": FORMAT, "mixopt_version": mixopt_version(), "command": shlex.join(command),
            "arguments": list(command), "files": files,
            "about": "The files of one finished mixopt run in this folder: each listed file has exactly this size "
                     "and sha256. Written last; while it is absent a run is moving its files into place."}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_synced(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary name, flushed, then renamed."""
    tmp = path.with_name(f".{path.name}.partial")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except OSError:
            pass


# ----------------------------------------------------------------------------- the lock


class _Lock:
    """``DIR/.mixopt-lock``: held for the whole run, naming the run that holds it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self.fd: int | None = None

    def acquire(self, holder: str) -> str | None:
        """Take the lock; None when taken, else the text naming the run that holds it."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        if fcntl is None:  # pragma: no cover - without flock: O_EXCL and the pid of a live holder
            for _attempt in range(2):
                try:
                    fd = os.open(self.path, flags | os.O_EXCL, 0o666)
                except FileExistsError:
                    text = self._text()
                    pid = re.match(r"pid (\d+)", text)
                    if pid and _alive(int(pid.group(1))):
                        return text or "another mixopt run"
                    self.path.unlink(missing_ok=True)  # a stale lock: its run is gone
                    continue
                self.fd = fd
                os.write(fd, holder.encode("utf-8", "backslashreplace"))
                return None
            return self._text() or "another mixopt run"
        for _attempt in range(20):
            fd = os.open(self.path, flags, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                os.close(fd)
                if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    return self._text() or "another mixopt run"
                raise
            try:  # the run before may have removed the file while this one waited for it: lock the new one
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                os.ftruncate(fd, 0)
                os.write(fd, holder.encode("utf-8", "backslashreplace"))
                return None
            os.close(fd)
        return self._text() or "another mixopt run"

    def _text(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0][:300]
        except (OSError, IndexError):
            return ""

    def release(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            self.path.unlink(missing_ok=True)  # while still locked: a waiting run then locks a new file
        except OSError:
            pass
        finally:
            os.close(fd)  # closing the descriptor releases the flock


def _alive(pid: int) -> bool:  # pragma: no cover - only without flock
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ----------------------------------------------------------------------------- the output set


class OutputSet:
    """One run's files for the folder ``target``: staged, then moved into place with ``run.json`` last.

    ``command`` is recorded in ``run.json`` (as given: no time, no absolute program path, so
    identical runs give identical bytes); ``inputs`` are files this run reads, never removed
    even when an earlier run wrote them.
    """

    def __init__(self, target: Path, command: Sequence[str], inputs: Iterable[Path] = ()) -> None:
        self.target = Path(target)
        self.command = tuple(command)
        self.inputs = {self._key(Path(p)) for p in inputs}
        self.notes: list[str] = []
        self._lock = _Lock(self.target)
        self._folder: Path | None = None
        self._earlier: dict[str, tuple[int, str]] = {}
        self.committed = False

    @staticmethod
    def _key(path: Path) -> str:
        try:
            return str(path.resolve())
        except (OSError, RuntimeError):
            return str(path.absolute())

    @property
    def folder(self) -> Path:
        """The staging folder: write the run's files here (after :meth:`begin`)."""
        if self._folder is None:
            raise RuntimeError("OutputSet.begin() was not called")
        return self._folder

    def final(self, paths: Iterable[Path]) -> list[Path]:
        """Where files written under :attr:`folder` end up once committed."""
        out = []
        for path in paths:
            path = Path(path)
            out.append(self.target / path.name if self._folder is not None and path.parent == self._folder else path)
        return out

    # -- start

    def begin(self) -> OutputSet:
        """Create the folder, take its lock, finish or remove what killed runs left, start staging.

        Raises
        ------
        OutputSetError
            ``busy`` when another run holds the folder, ``unwritable`` when it cannot be created or
            written, ``blocked`` when its ``run.json`` is not a mixopt manifest.
        """
        try:
            self.target.mkdir(parents=True, exist_ok=True)
            holder = self._lock.acquire(f"pid {os.getpid()}: {' '.join(self.command)}\n")
        except OSError as err:
            raise OutputSetError("unwritable", self.target, "cannot write there", err) from None
        if holder is not None:
            raise OutputSetError("busy", self.target, f"another mixopt run is writing to this folder ({holder})")
        try:
            self._recover()
            try:
                manifest = read_manifest(self.target)
            except ValueError as err:
                raise OutputSetError("blocked", self.target / MANIFEST, f"{err}; mixopt writes its run.json there")
            self._earlier = {e["name"]: (e["bytes"], e["sha256"]) for e in (manifest or {}).get("files", [])}
            folder = self.target / f"{STAGING_PREFIX}{os.getpid()}"
            _remove_tree(folder)
            folder.mkdir()
            self._folder = folder
        except OSError as err:
            self._lock.release()
            raise OutputSetError("unwritable", self.target, "cannot write there", err) from None
        except BaseException:
            self._lock.release()
            raise
        return self

    def _recover(self) -> None:
        """Finish the move of a run killed while moving its files; remove staging and ``.tmp`` leftovers."""
        for entry in sorted(os.listdir(self.target)):
            path = self.target / entry
            if entry.startswith(STAGING_PREFIX):
                if path.is_dir() and not path.is_symlink() and (path / MANIFEST).is_file():
                    if not self._move_into_place(path, verify=True):
                        self.notes.append(f"{self.target}: note: a killed run's files could not be completed; its "
                                          f"files here are not a complete set until this run finishes")
                _remove_tree(path)
            elif _TMP.match(entry) and path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)

    # -- finish

    def commit(self) -> list[Path]:
        """Move the staged files into place, remove the earlier run's other files, write ``run.json``.

        Returns the final paths of the run's files (``run.json`` last).

        Raises
        ------
        OSError
            When the manifest cannot be written in the staging folder (disk full): nothing has
            moved, the earlier set is whole (call :meth:`abort`).
        OutputSetError
            ``blocked`` when a folder stands where a file goes (nothing moved), ``incomplete`` when a
            rename failed midway (the next run on the folder finishes the move).
        """
        folder = self.folder
        names = sorted(e for e in os.listdir(folder) if e != _REMOVE and not e.endswith((".tmp", ".partial")))
        for name in names:
            source = folder / name
            if not source.is_file() or source.is_symlink() or not _plain_name(name):
                raise OutputSetError("blocked", source, "is not a plain file a run can write")
            dest = self.target / name
            if dest.is_dir() and not dest.is_symlink():
                raise OutputSetError("blocked", dest, f"is a folder; this run writes its {name} there")
        files = []
        for name in names:
            size, sha = _digest(folder / name, sync=True)
            files.append({"name": name, "bytes": size, "sha256": sha})
        remove, kept = self._stale(set(names))
        _write_synced(folder / _REMOVE, (json.dumps(remove) + "\n").encode("utf-8"))
        _write_synced(folder / MANIFEST, _manifest_bytes(self.command, files))  # from here the set is decided
        _sync_folder(folder)
        try:
            self._move_into_place(folder, verify=False)
        except OSError as err:
            self._folder = None
            self._lock.release()
            raise OutputSetError("incomplete", self.target, "the new files could not all be moved into place", err
                                 ) from None
        self.committed = True
        self._folder = None
        self._note_others(set(names), kept)
        self._lock.release()
        return [self.target / n for n in names] + [self.target / MANIFEST]

    def _stale(self, new: set[str]) -> tuple[list[str], list[str]]:
        """The earlier run's files to remove (unchanged since, not an input), and those kept."""
        remove, kept = [], []
        for name, (size, sha) in sorted(self._earlier.items()):
            if name in new:
                continue
            path = self.target / name
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(info.st_mode) or self._key(path) in self.inputs or info.st_size != size \
                    or _digest(path)[1] != sha:
                kept.append(name)
            else:
                remove.append(name)
        return remove, kept

    def _move_into_place(self, folder: Path, verify: bool) -> bool:
        """Move a staging folder's files (listed in its manifest) into the target, ``run.json`` last.

        With ``verify`` (finishing a killed run's move) ``run.json`` is written only when every
        file it lists is in place with its size and sha256; returns whether it was.
        """
        manifest = read_manifest(folder)
        assert manifest is not None
        try:
            remove = json.loads((folder / _REMOVE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            remove = []
        (self.target / MANIFEST).unlink(missing_ok=True)  # the earlier set is no longer whole
        for entry in manifest["files"]:
            source = folder / entry["name"]
            if source.is_file():
                os.replace(source, self.target / entry["name"])
        for name in remove if isinstance(remove, list) else []:
            path = self.target / str(name)
            if _plain_name(name) and path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
        _sync_folder(self.target)
        if verify:
            for entry in manifest["files"]:
                try:
                    if _digest(self.target / entry["name"]) != (entry["bytes"], entry["sha256"]):
                        return False
                except OSError:
                    return False
        os.replace(folder / MANIFEST, self.target / MANIFEST)
        _sync_folder(self.target)
        _remove_tree(folder)
        return True

    def _note_others(self, new: set[str], kept: list[str]) -> None:
        others = []
        for entry in sorted(os.listdir(self.target)):
            if entry in new or entry == MANIFEST or entry.startswith(".mixopt") \
                    or self._key(self.target / entry) in self.inputs:  # what this run reads is not stale
                continue
            others.append(entry + ("/" if (self.target / entry).is_dir() else ""))
        if others:
            shown = ", ".join(others[:8]) + (f" and {len(others) - 8} more" if len(others) > 8 else "")
            changed = [name for name in kept if name in others]
            why = " (files of an earlier run that were changed since are kept)" if changed else ""
            self.notes.append(f"{self.target}: note: {len(others)} stale file{'s' if len(others) > 1 else ''} not "
                              f"from this run, left untouched{why}: {shown}")

    def abort(self) -> None:
        """Drop the staged files (the earlier set stays as it was) and release the lock; no-op after commit."""
        if self._folder is not None:
            _remove_tree(self._folder)
            self._folder = None
        self._lock.release()

    def __enter__(self) -> OutputSet:
        return self.begin()

    def __exit__(self, *_exc: object) -> None:
        self.abort()
