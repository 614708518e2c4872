"""Where a batch runs: in this process, on a local pool of processes using every core, or on an
existing Dask cluster (``dask.distributed``). Each task is a few points' data (plain dicts) and
comes back as their rows (plain dicts); nothing else crosses a process boundary.

The local pool is a ``concurrent.futures.ProcessPoolExecutor`` whose workers are forked from a
``forkserver`` that has already imported mixopt (safe after solves in the parent). A
``dask.distributed.LocalCluster`` gives the same rows, but starts a scheduler and a nanny per
worker first: measured on the 2-core machine (busy), a 2-point batch on 2 workers took 2.8 s
with the pool and 13.6 s with a LocalCluster, and on the 1,000-point batch of
bench/bench_batch.py the LocalCluster cost 6 to 9 s of start-up and no throughput gain once
running. So the pool is the default and ``local="dask"`` is only for measuring.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mixopt.analysis.batch import (
    BatchPoint,
    failed_row,
    installed_version,
    solve_points,
    worker_version,
)
from mixopt.errors import Issue, ScenarioError

__all__ = ["Where", "BatchRun", "run_batch", "pending", "compute_rows", "default_workers", "chunks_of",
           "check_scheduler_address", "NETWORK_PROTOCOLS"]

Rows = list[dict[str, Any]]
COMMAND_LINE = "(command line)"
_MAX_CHUNK = 16


@dataclass(frozen=True)
class Where:
    """Where to compute: ``workers`` processes here (1 = this process), or a Dask scheduler."""

    workers: int = 0  # 0: every core
    scheduler: str | None = None  # tcp://HOST:PORT of a running dask scheduler
    local: str = "process"  # the local pool: "process" (ProcessPoolExecutor) or "dask" (LocalCluster)
    connect_timeout_s: float = 10.0


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def chunks_of(payloads: Sequence[dict[str, Any]], workers: int) -> list[list[dict[str, Any]]]:
    """Points grouped into tasks: about eight tasks per worker, at most 16 points each, in order."""
    size = max(1, min(_MAX_CHUNK, math.ceil(len(payloads) / max(1, workers * 8))))
    return [list(payloads[i:i + size]) for i in range(0, len(payloads), size)]


def _lost(chunk: list[dict[str, Any]], err: BaseException) -> Rows:
    reason = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err).strip() else 'no message'}"
    return [failed_row(p["key"], f"the worker computing this point stopped ({reason}); run the batch again "
                                 "with --resume to retry it") for p in chunk]


def _in_process(payloads: Sequence[dict[str, Any]]) -> Iterator[Rows]:
    for payload in payloads:
        yield solve_points([payload])


def _ignore_interrupts() -> None:
    """In a pool worker: Ctrl-C is for the coordinator, which stops the pool (no traceback per worker)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """Processes started inside inherit an ignored Ctrl-C (the forkserver, and the workers it forks)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _process_pool(payloads: Sequence[dict[str, Any]], workers: int) -> Iterator[Rows]:
    import multiprocessing
    import multiprocessing.forkserver
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["mixopt.analysis.batch", "mixopt.api"])
    with _interrupts_ignored():  # only while the server process starts (it imports mixopt after)
        multiprocessing.forkserver.ensure_running()
    chunks = chunks_of(payloads, workers)
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context,
                             initializer=_ignore_interrupts) as pool:
        futures = {pool.submit(solve_points, chunk): chunk for chunk in chunks}
        try:
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as err:  # noqa: BLE001  a lost worker fails its points, not the batch
                    yield _lost(futures[future], err)
        except BaseException:
            for future in futures:
                future.cancel()
            raise


_START = ("Start one with 'dask scheduler' and at least one 'dask worker ADDRESS', then pass its address, "
          "e.g. --scheduler tcp://10.0.0.5:8786")


def _scheduler_issue(address: str, problem: str, fix: str = _START) -> ScenarioError:
    return ScenarioError([Issue(COMMAND_LINE, "--scheduler", problem, fix, address)])


#: The Dask protocols that reach a scheduler over the network.
NETWORK_PROTOCOLS = ("tcp", "tls", "ws", "wss")


def check_scheduler_address(address: str) -> None:
    """Refuse an address a cluster cannot be reached at: no port, or a protocol other than the network
    ones (http://; inproc:// names a scheduler inside this very process, so no cluster)."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    try:
        scheme, location = parse_address(address)
        if scheme not in NETWORK_PROTOCOLS or scheme not in backends:
            raise ValueError(scheme)
        parse_host_port(location)
    except ValueError:
        fix = "Give the address 'dask scheduler' prints, e.g. --scheduler tcp://10.0.0.5:8786"
        raise _scheduler_issue(address, "is not a Dask scheduler address (PROTOCOL://HOST:PORT)", fix) from None


def _connect(where: Where) -> Any:
    from distributed import Client

    address = where.scheduler or ""
    check_scheduler_address(address)  # before a Client exists: a half-made one reports its own failure when collected
    try:
        client = Client(address, timeout=where.connect_timeout_s, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise _scheduler_issue(address, f"cannot reach a Dask scheduler there ({type(err).__name__})") from None
    try:
        client.wait_for_workers(1, timeout=where.connect_timeout_s)
    except (OSError, TimeoutError):
        client.close()
        raise _scheduler_issue(address, "no worker is connected to this scheduler") from None
    return client


def _check_versions(client: Any, address: str) -> None:
    """Every worker must run this mixopt version (the same code gives the same rows)."""
    theirs = client.run(worker_version)
    mine = installed_version()  # as the files are now, read right after the workers read theirs
    other = sorted((worker, version) for worker, version in theirs.items() if version != mine)
    if other:
        worker, version = other[0]
        raise _scheduler_issue(address, f"worker {worker} runs mixopt {version}, this machine {mine}",
                               "Install the same mixopt on every worker and restart the workers")


def _dask(payloads: Sequence[dict[str, Any]], client: Any, workers: int) -> Iterator[Rows]:
    from distributed import as_completed

    chunks = chunks_of(payloads, workers)
    futures = client.map(solve_points, chunks, pure=False)
    by_future = {future.key: chunk for future, chunk in zip(futures, chunks)}
    try:
        for future in as_completed(futures, loop=client.loop):
            try:
                yield future.result()
            except Exception as err:  # noqa: BLE001  a lost worker fails its points, not the batch
                yield _lost(by_future[future.key], err)
    except BaseException:
        client.cancel(futures)
        raise


def _local_cluster(workers: int) -> Any:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=50)
    return cluster, Client(cluster, set_as_default=False)


def compute_rows(payloads: Sequence[dict[str, Any]], where: Where,
                 progress: Callable[[int, int], None] | None = None) -> Iterator[Rows]:
    """The rows of ``payloads``, a few at a time, in the order they finish (not grid order).

    ``progress(done, total)`` is called once the caller has taken each batch of rows.
    """
    total = len(payloads)
    if total == 0:
        return
    workers = where.workers or default_workers()
    client = cluster = None
    try:
        if where.scheduler is not None:
            client = _connect(where)
            _check_versions(client, where.scheduler)
            count = max(1, len(client.scheduler_info().get("workers", {})))
            source: Iterator[Rows] = _dask(payloads, client, count)
        elif workers == 1 or total == 1:
            source = _in_process(payloads)
        elif where.local == "dask":
            cluster, client = _local_cluster(workers)
            source = _dask(payloads, client, workers)
        else:
            source = _process_pool(payloads, workers)
        done = 0
        try:
            for rows in source:
                yield rows
                done += len(rows)
                if progress is not None:
                    progress(done, total)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()  # cancel what has not started and stop the pool now, not when collected
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


# ----------------------------------------------------------------------------- the whole batch


@dataclass(frozen=True)
class BatchRun:
    """A finished (or interrupted) batch: one row per point done, in grid order."""

    rows: list[dict[str, Any]]
    total: int  # points in the batch
    solved: int  # distinct scenarios solved in this run
    reused: int  # points whose row came from the earlier output (--resume)


def _full_row(point: BatchPoint, result: dict[str, Any]) -> dict[str, Any]:
    """A point's row: where it sits (point, scenario, grid values) and what its scenario gave."""
    skip = {"point", "scenario", *point.values}
    return {"point": point.index, "scenario": point.scenario, **point.values,
            **{k: v for k, v in result.items() if k not in skip}}


def _reusable(earlier: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Earlier rows that need no new solve, by point key (failed points are tried again)."""
    return {row["point_key"]: row for row in earlier if row.get("status") != "error" and row.get("point_key")}


def pending(points: Sequence[BatchPoint], earlier: Sequence[dict[str, Any]] = ()) -> int:
    """How many distinct scenarios a batch still has to solve."""
    done = _reusable(earlier)
    return len({p.key for p in points if p.payload is not None and p.key not in done})


def run_batch(points: Sequence[BatchPoint], where: Where, *, earlier: Sequence[dict[str, Any]] = (),
              progress: Callable[[int, int], None] | None = None,
              checkpoint: Callable[[list[dict[str, Any]]], None] | None = None,
              checkpoint_every_s: float = 10.0) -> BatchRun:
    """Every point's row, in grid order whatever order they finish in.

    Points whose key has a row in ``earlier`` that did not fail are not solved again (failed
    points are retried); points with the same resolved scenario are solved once. ``checkpoint``
    receives the rows done so far every ``checkpoint_every_s`` seconds (and when interrupted),
    so an interrupted batch can be resumed.
    """
    import time

    done_before = _reusable(earlier)
    results: dict[str, dict[str, Any]] = {}
    for point in points:
        if point.error is not None:
            results[point.key] = failed_row(point.key, point.error)
        elif point.key in done_before:
            results[point.key] = done_before[point.key]
    reused = sum(1 for p in points if p.error is None and p.key in done_before)
    todo: dict[str, dict[str, Any]] = {}
    for point in points:
        if point.key not in results and point.payload is not None:
            todo.setdefault(point.key, point.payload)

    def rows_so_far() -> list[dict[str, Any]]:
        return [_full_row(p, results[p.key]) for p in points if p.key in results]

    last = time.monotonic()
    try:
        for rows in compute_rows(list(todo.values()), where, progress):
            for row in rows:
                results[row["point_key"]] = row
            if checkpoint is not None and time.monotonic() - last >= checkpoint_every_s:
                checkpoint(rows_so_far())
                last = time.monotonic()
    except KeyboardInterrupt:
        if checkpoint is not None:
            checkpoint(rows_so_far())
        raise
    return BatchRun(rows=rows_so_far(), total=len(points), solved=len(todo), reused=reused)
