"""Partitioned roster solves on a Dask cluster: each worker reads and keeps its partitions.

What is sent to the workers: the scenario (a few kilobytes), each partition's place in the
Parquet table (file paths and row-group numbers: every worker must see the table at the same
path), and, once per round, the master's duals (one number per rule) and the positions of the
creators already in the master. What comes back: a partition's summary when it is read, its
best columns each round (at most a few thousand creators' coefficients on the rules), its
smallest reduced costs, and at the end the table rows of the core and of the chosen creators.
The creator table itself never travels: workers read it from the path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from mixopt.analysis.batch_run import Where, _check_versions, _connect
from mixopt.roster.partitions import check_partitionable, optimize_partitioned
from mixopt.roster.partitions_read import PartitionSpec, load_partition, partition_rows
from mixopt.roster.plan import RosterPlan
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions

__all__ = ["DaskRunner", "dask_runner", "partitioned_plan"]


class DaskRunner:
    """Partitions kept on a Dask cluster's workers (as futures), spread over the workers in turn; every
    later call on a partition asks for the worker that holds it (so the partition stays where it is read)."""

    def __init__(self, client: Any, address: str) -> None:
        self.client = client
        self.where = f"on the Dask scheduler at {address}"
        self.workers = sorted(client.scheduler_info()["workers"])
        self.placed: dict[str, str] = {}  # future key -> the worker holding it

    def _submit(self, function: Callable[..., Any], worker: str, *args: Any) -> Any:
        # preferred, not required: a lost worker's partitions are read again by another (their lineage)
        future = self.client.submit(function, *args, pure=False, workers=[worker], allow_other_workers=True)
        self.placed[future.key] = worker
        return future

    def load(self, specs: Sequence[PartitionSpec], scenario: Scenario, shown: str) -> list[Any]:
        return [self._submit(load_partition, self.workers[k % len(self.workers)], spec, scenario, shown)
                for k, spec in enumerate(specs)]

    def each(self, function: Callable[..., Any], handles: Sequence[Any], args: Sequence[tuple[Any, ...]]) -> list[Any]:
        futures = self.update(function, handles, args)
        try:
            return list(self.client.gather(futures))
        finally:
            for future in futures:
                self.placed.pop(future.key, None)

    def update(self, function: Callable[..., Any], handles: Sequence[Any],
               args: Sequence[tuple[Any, ...]]) -> list[Any]:
        return [self._submit(function, self.placed[handle.key], handle, *a) for handle, a in zip(handles, args)]

    def rows(self, specs: Sequence[PartitionSpec], scenario: Scenario, shown: str,
             local: Sequence[np.ndarray]) -> list[pd.DataFrame]:
        futures = [self._submit(partition_rows, self.workers[k % len(self.workers)], spec, scenario, shown, idx)
                   for k, (spec, idx) in enumerate(zip(specs, local))]
        return list(self.client.gather(futures))


@contextmanager
def dask_runner(address: str, connect_timeout_s: float = 10.0) -> Iterator[DaskRunner]:
    """A runner on the Dask scheduler at ``address`` (its workers must run this mixopt)."""
    client = _connect(Where(scheduler=address, connect_timeout_s=connect_timeout_s))
    try:
        _check_versions(client, address)
        yield DaskRunner(client, address)
    finally:
        client.close()


def partitioned_plan(scenario: Scenario, options: SolverOptions | None = None, *, scheduler: str | None = None,
                     mip_gap: float | None = None, partitions: int | None = None) -> RosterPlan:
    """A roster plan from the partitions of its Parquet table: here, or on the Dask scheduler given."""
    check_partitionable(scenario)  # before connecting: a rule or a table the partitions cannot take
    if scheduler is None:
        return optimize_partitioned(scenario, options, mip_gap=mip_gap, partitions=partitions)
    with dask_runner(scheduler) as runner:
        return optimize_partitioned(scenario, options, runner=runner, mip_gap=mip_gap, partitions=partitions)
