"""Whole output sets: whatever happens to a run (killed at any moment, disk full, a read-only
folder, a second run on the same folder), its --out folder holds a complete old set or a complete
new set per run.json, and the next run cleans what a killed run left."""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mixopt.cli import cli
from mixopt.outputs.output_set import (
    LOCK_NAME,
    MANIFEST,
    STAGING_PREFIX,
    OutputSet,
    read_manifest,
    verify_output_set,
)
from tests.conftest import ROOT, minimal_scenario

SPEC_A = "1000:2000:1000"
SPEC_B = "1500:2500:1000"
PLAN = ["plan.csv", "plan.json", "plan.xlsx", "tracking.csv"]


@pytest.fixture
def brief(write_scenario: Any) -> str:
    """A small scenario: quick to solve, so the tests spend their time on the files."""
    return str(write_scenario(minimal_scenario(), name="brief.yaml"))


def _run(*args: object) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _solve(brief: str, out: Path, budget: int = 2000) -> Any:
    result = _run("solve", brief, "--no-explain", "--set", f"budget={budget}", "--out", out)
    assert result.exit_code == 0, result.output
    return result


def _files(folder: Path) -> list[dict[str, Any]]:
    manifest = read_manifest(folder)
    assert manifest is not None, f"no {MANIFEST} in {folder}"
    return manifest["files"]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((STAGING_PREFIX, LOCK_NAME))
                  or p.name.endswith(".tmp"))


# ----------------------------------------------------------------------------- a run's set


def test_a_run_writes_its_files_with_run_json_listing_their_sizes_hashes_and_the_command(tmp_path: Path,
                                                                                        brief: str) -> None:
    out = tmp_path / "results"
    result = _solve(brief, out)
    assert verify_output_set(out) == []
    manifest = read_manifest(out)
    assert manifest is not None
    assert [f["name"] for f in manifest["files"]] == PLAN
    for f in manifest["files"]:
        assert f["bytes"] == (out / f["name"]).stat().st_size
    assert manifest["arguments"] == ["mixopt", "solve", brief, "--no-explain", "--set", "budget=2000", "--out",
                                     str(out)]
    assert manifest["command"].startswith("mixopt solve ") and manifest["mixopt_version"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*PLAN, "run.json"])
    assert result.stdout.rstrip().endswith(f"Wrote {out / 'plan.csv'}, {out / 'plan.json'}, {out / 'plan.xlsx'}, {out / 'tracking.csv'}, "
                                           f"{out / 'run.json'}")


def test_identical_runs_give_identical_run_json_bytes(tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    _solve(brief, out)
    first = (out / MANIFEST).read_bytes()
    _solve(brief, out)
    assert (out / MANIFEST).read_bytes() == first


def test_a_changed_file_no_longer_matches_run_json(tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    _solve(brief, out)
    (out / "plan.csv").write_text("edited\n", encoding="utf-8")
    assert verify_output_set(out) == [f"{out / 'plan.csv'}: differs from run.json (7 bytes, sha256 "
                                      f"{__import__('hashlib').sha256(b'edited' + chr(10).encode()).hexdigest()[:12]}...)"]


def test_the_earlier_runs_other_files_are_removed_and_files_mixopt_did_not_write_are_named(tmp_path: Path,
                                                                                          brief: str) -> None:
    out = tmp_path / "results"
    earlier = _run("compare", brief, brief, "--out", out)
    assert earlier.exit_code == 0, earlier.output
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = _solve(brief, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(["notes.txt", *PLAN, "run.json"])
    assert verify_output_set(out) == []
    assert result.stderr == f"{out}: note: 1 stale file not from this run, left untouched: notes.txt\n"


def test_an_earlier_file_changed_since_is_kept(tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    assert _run("compare", brief, brief, "--out", out).exit_code == 0
    (out / "comparison.csv").write_text("edited by hand\n", encoding="utf-8")
    result = _solve(brief, out)
    assert (out / "comparison.csv").read_text(encoding="utf-8") == "edited by hand\n"
    assert not (out / "comparison.json").exists()
    assert result.stderr == (f"{out}: note: 1 stale file not from this run, left untouched (files of an earlier run "
                             "that were changed since are kept): comparison.csv\n")


def test_an_input_inside_the_folder_is_never_removed(tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    result = _run("solve", brief, "--set", "budget=500", "--set", "targets.reach=8000", "--out", out)
    assert result.exit_code == 3, result.output
    assert [f["name"] for f in _files(out)] == ["relaxed.yaml"]
    result = _run("solve", out / "relaxed.yaml", "--out", out, "--no-explain")
    assert result.exit_code == 0, result.output
    assert (out / "relaxed.yaml").is_file()  # read by this run: kept although the earlier run wrote it
    assert [f["name"] for f in _files(out)] == PLAN
    assert result.stderr == ""  # and not called stale


def test_a_folder_where_a_file_goes_stops_the_run_with_one_line_and_nothing_moved(tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    assert _run("compare", brief, brief, "--out", out).exit_code == 0
    before = _files(out)
    (out / "plan.csv").mkdir()
    result = _run("solve", brief, "--out", out, "--no-explain")
    assert result.exit_code == 2
    assert result.stderr == (f"{out / 'plan.csv'}: --out: is a folder; this run writes its plan.csv there; nothing "
                             f"in {out} was changed. Move it away, or choose another folder.\n")
    assert _files(out) == before and verify_output_set(out) == [] and _leftovers(out) == []


@pytest.mark.parametrize("command", ["solve", "sweep", "calibrate"])
def test_an_out_that_is_a_file_stops_the_run_with_one_line_and_the_file_unchanged(tmp_path: Path, brief: str,
                                                                                  command: str) -> None:
    out = tmp_path / "results"
    out.write_text("a planner's notes\n", encoding="utf-8")
    args = {"solve": [brief], "sweep": [brief, "--budget", "1000:2000:1000"],
            "calibrate": [brief]}[command]
    result = _run(command, *args, "--out", out)
    assert result.exit_code == 2
    assert result.stderr == (f"{out}: --out: is a file, not a folder; mixopt writes a run's files into a folder. "
                             "Choose another name, e.g. --out results/\n")
    assert out.read_text(encoding="utf-8") == "a planner's notes\n"


def test_another_programs_run_json_is_never_overwritten(tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / MANIFEST).write_text('{"mine": true}\n', encoding="utf-8")
    result = _run("solve", brief, "--out", out)
    assert result.exit_code == 2
    assert result.stderr == (f"{out / MANIFEST}: --out: is not a mixopt manifest; mixopt writes its run.json there. "
                             "Move it away, or choose another folder.\n")
    assert (out / MANIFEST).read_text(encoding="utf-8") == '{"mine": true}\n'


# ----------------------------------------------------------------------------- one run per folder


def test_a_second_run_on_the_same_folder_fails_with_one_line_naming_the_folder_and_the_other_run(
        tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    _solve(brief, out)
    before = _files(out)
    holder = OutputSet(out, ("mixopt", "sweep", "other.yaml", "--out", str(out))).begin()
    try:
        result = _run("sweep", brief, "--budget", SPEC_A, "--out", out)
    finally:
        holder.abort()
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"{out}: --out: another mixopt run is writing to this folder (pid {os.getpid()}: mixopt "
                             f"sweep other.yaml --out {out}). Wait for it to finish, or choose another folder.\n")
    assert _files(out) == before and _leftovers(out) == []
    _solve(brief, out, 1500)  # free again


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_killed_run_leaves_no_stale_lock(tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    ready, told = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: holds the folder until it is killed
        try:
            held = OutputSet(out, ("mixopt", "x")).begin()
            (held.folder / "half.csv").write_text("1", encoding="utf-8")
            os.write(told, b"1")
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(told)
    try:
        assert os.read(ready, 1) == b"1"
        assert _run("solve", brief, "--out", out).exit_code == 1  # held
    finally:
        os.close(ready)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert (out / LOCK_NAME).exists() and any(p.name.startswith(STAGING_PREFIX) for p in out.iterdir())
    _solve(brief, out)  # the lock died with its run; the staging folder it left is removed
    assert verify_output_set(out) == [] and _leftovers(out) == []


# ----------------------------------------------------------------------------- killed at any step


def _mutations(limit: int) -> None:
    """From here on, die (as SIGKILL would: no cleanup) at the ``limit``-th change to the filesystem."""
    count = [0]
    for name in ("replace", "rename", "unlink", "rmdir", "remove", "mkdir"):
        real = getattr(os, name)

        def guarded(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            count[0] += 1
            if count[0] >= limit:
                os._exit(9)
            return _real(*args, **kwargs)

        setattr(os, name, guarded)


def _new_set(out: Path, limit: int) -> int:
    """In a child process: stage three files over the earlier set and commit, killed at step ``limit``."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            out_set = OutputSet(out, ("mixopt", "test", "new")).begin()
            for name, text in (("a.csv", "new a\n"), ("c.csv", "new c\n"), ("d.csv", "new d\n")):
                (out_set.folder / name).write_text(text, encoding="utf-8")
            _mutations(limit)
            out_set.commit()
        finally:
            os._exit(0)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _names(folder: Path) -> list[str]:
    return [f["name"] for f in _files(folder)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_killed_at_every_step_of_the_move_the_folder_is_the_old_set_or_the_new_once_the_next_run_starts(
        tmp_path: Path) -> None:
    outcomes = set()
    for limit in range(1, 40):
        out = tmp_path / f"r{limit}"
        old = OutputSet(out, ("mixopt", "test", "old")).begin()
        for name in ("a.csv", "b.csv"):
            (old.folder / name).write_text(f"old {name}\n", encoding="utf-8")
        old.commit()
        code = _new_set(out, limit)
        if (out / MANIFEST).exists():  # a reader that sees run.json sees a whole set
            assert verify_output_set(out) == [], limit
            assert _names(out) in (["a.csv", "b.csv"], ["a.csv", "c.csv", "d.csv"]), limit
        else:  # killed while moving: the staged rest and its manifest wait for the next run
            staged = [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
            assert len(staged) == 1 and (staged[0] / MANIFEST).is_file(), limit
        OutputSet(out, ("mixopt", "test", "next")).begin().abort()  # the next run on the folder
        assert verify_output_set(out) == [], limit
        assert _leftovers(out) == [], limit
        names = _names(out)
        assert names in (["a.csv", "b.csv"], ["a.csv", "c.csv", "d.csv"]), limit
        if names == ["a.csv", "c.csv", "d.csv"]:
            assert not (out / "b.csv").exists()  # the earlier run's other file is gone
        outcomes.add((code, tuple(names)))
        if code == 0:
            break
    assert code == 0, "the commit never finished within the steps tried"
    assert (9, ("a.csv", "b.csv")) in outcomes and (9, ("a.csv", "c.csv", "d.csv")) in outcomes


def test_sweeps_killed_at_random_moments_leave_a_whole_old_or_new_set_and_the_next_run_cleans_up(
        tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    command = ["sweep", brief, "--out", str(out), "--budget"]
    first = _run(*command, SPEC_A)
    assert first.exit_code == 0, first.output
    sets = {SPEC_A: _files(out)}
    seen = []
    rng = random.Random(20240612)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for trial in range(5):
        spec = (SPEC_B, SPEC_A)[trial % 2]
        child = subprocess.Popen([sys.executable, "-m", "mixopt", *command, spec], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=env)
        if trial:  # a random moment once the run writes its files (whatever the machine's speed) ...
            while child.poll() is None and not any(p.name.startswith(STAGING_PREFIX) for p in out.iterdir()):
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.6))
        else:  # ... or while it is still starting
            time.sleep(rng.uniform(0.1, 0.5))
        child.send_signal(signal.SIGKILL)
        child.wait()
        if (out / MANIFEST).exists():  # a reader that sees run.json sees a whole set
            assert verify_output_set(out) == [], trial
            seen.append(_files(out))
        else:  # killed while moving files: the staged rest waits with its manifest
            staged = [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
            assert staged and all((p / MANIFEST).is_file() for p in staged), trial
    last = _run(*command, SPEC_B)  # the next run finishes or cleans what the killed ones left
    assert last.exit_code == 0, last.output
    assert verify_output_set(out) == [] and _leftovers(out) == []
    sets[SPEC_B] = _files(out)
    assert all(files in sets.values() for files in seen)  # each was the whole set of one of the two runs
    assert sorted(p.name for p in out.iterdir()) == ["run.json", "sweep.csv", "sweep.json", "sweep.png",
                                                     "sweep.xlsx"]


def test_tmp_files_and_staging_folders_of_killed_runs_are_removed_by_the_next_run(tmp_path: Path,
                                                                                 brief: str) -> None:
    out = tmp_path / "results"
    _solve(brief, out)
    (out / ".plan.csv.a1b2c3d4.tmp").write_text("half", encoding="utf-8")
    (out / f"{STAGING_PREFIX}999999").mkdir()
    (out / f"{STAGING_PREFIX}999999" / "plan.csv").write_text("half", encoding="utf-8")
    _solve(brief, out, 1500)
    assert _leftovers(out) == [] and verify_output_set(out) == []


# ----------------------------------------------------------------------------- disk full, read-only


class _FullDisk:
    """``open`` for writing under ``folder`` gives files that take ``room`` bytes, then ENOSPC."""

    def __init__(self, folder: Path, room: int) -> None:
        self.folder = str(folder)
        self.room = room
        self.real = builtins.open

    def __call__(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = self.real(file, mode, *args, **kwargs)
        if isinstance(file, (str, os.PathLike)) and str(os.fspath(file)).startswith(self.folder) \
                and any(c in mode for c in "wax+"):
            return _Limited(handle, self)
        return handle


class _Limited:
    def __init__(self, handle: Any, disk: _FullDisk) -> None:
        self._handle = handle
        self._disk = disk

    def write(self, data: Any) -> int:
        size = len(data)
        if size > self._disk.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._disk.room -= size
        return self._handle.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> _Limited:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __iter__(self) -> Any:
        return iter(self._handle)


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_a_full_disk_ends_in_one_line_with_the_earlier_set_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 brief: str, share: float) -> None:
    out = tmp_path / "results"
    _solve(brief, out)
    before = _files(out)
    room = int(share * sum(f["bytes"] for f in before)) + (100 if share == 1.0 else 0)  # 1.0: full at run.json
    disk = _FullDisk(out, room)
    monkeypatch.setattr(builtins, "open", disk)
    monkeypatch.setattr(io, "open", disk)
    result = _run("solve", brief, "--no-explain", "--set", "budget=1500", "--out", out)
    monkeypatch.undo()
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == (f"{out}: --out: cannot write there (No space left on device); nothing in it was "
                             "changed. Free some disk space, or choose another folder.\n")
    assert _files(out) == before and verify_output_set(out) == [] and _leftovers(out) == []


def test_a_read_only_folder_ends_in_one_line_with_the_earlier_set_whole(tmp_path: Path, brief: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "results"
    _solve(brief, out)
    before = _files(out)
    real_open, real_mkdir = os.open, os.mkdir

    def refuse(path: Any) -> None:
        if str(os.fspath(path)).startswith(str(out)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    def ro_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    def ro_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        refuse(path)
        real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", ro_open)
    monkeypatch.setattr(os, "mkdir", ro_mkdir)
    result = _run("solve", brief, "--set", "budget=1500", "--out", out)
    monkeypatch.undo()
    assert result.exit_code == 2
    assert result.stderr == (f"{out}: --out: cannot write there (Read-only file system). Choose a folder you can "
                             "write to.\n")
    assert _files(out) == before and verify_output_set(out) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="permissions do not bind root")
def test_a_folder_without_write_permission_ends_in_one_line(tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    _solve(brief, out)
    before = _files(out)
    out.chmod(0o555)
    try:
        result = _run("solve", brief, "--set", "budget=1500", "--out", out)
    finally:
        out.chmod(0o755)
    assert result.exit_code == 2
    assert result.stderr == (f"{out}: --out: cannot write there (Permission denied). Choose a folder you can "
                             "write to.\n")
    assert _files(out) == before and verify_output_set(out) == []


def test_run_json_is_read_back_as_json_with_every_field(tmp_path: Path, brief: str) -> None:
    out = tmp_path / "results"
    _solve(brief, out)
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert set(data) == {"format", "mixopt_version", "command", "arguments", "files", "about"}
    assert all(set(f) == {"name", "bytes", "sha256"} and len(f["sha256"]) == 64 for f in data["files"])


def _writer_command(fail: bool) -> Any:
    """A command written the way a command adopts output sets by writing into ``out.folder``."""
    import click

    from mixopt.cli.common import commit_out, open_out, write_or_fail, wrote_text
    from mixopt.outputs.files import write_text

    @click.command()
    @click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
    def command(out_dir: Path) -> None:
        out = open_out(out_dir)
        out_dir = out.folder if out is not None else out_dir

        def write() -> list[Path]:
            if fail:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            write_text(out_dir / "a.csv", "a\n")
            return [out_dir / "a.csv"]

        written = commit_out(out, write_or_fail(out_dir, write))
        click.echo(wrote_text(written), nl=False)

    return command


def test_a_command_writing_into_the_staging_folder_gets_the_whole_set_and_its_messages(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = CliRunner().invoke(_writer_command(fail=False), [str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"\nWrote {out / 'a.csv'}, {out / 'run.json'}\n"
    assert _files(out)[0]["name"] == "a.csv" and verify_output_set(out) == []
    result = CliRunner().invoke(_writer_command(fail=True), [str(out)])
    assert result.exit_code == 2
    assert result.stderr == (f"{out}: --out: cannot write there (No space left on device); nothing in it was "
                             "changed. Free some disk space, or choose another folder.\n")
    assert _files(out)[0]["name"] == "a.csv" and verify_output_set(out) == [] and _leftovers(out) == []
