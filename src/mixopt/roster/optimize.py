"""Roster mode end to end, for the ``mixopt solve`` command and notebooks:
creator table in, chosen creators and files out."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from mixopt.roster.model import build_roster_model
from mixopt.roster.plan import RosterPlan, make_roster_plan
from mixopt.roster.solve import solve_roster
from mixopt.roster.table import Roster, load_roster
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions

__all__ = ["optimize_roster", "resolve_each", "PARALLEL_RESOLVE_CREATORS"]

#: Independent re-solves of one roster (a rule's worth, frontier points) run two at a time when
#: the table is at most this big (HiGHS and CLP leave Python while they work); a bigger table
#: would need a second copy of a solve's memory, so its re-solves run one after another.
PARALLEL_RESOLVE_CREATORS = 1_000_000

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def optimize_roster(scenario: Scenario, options: SolverOptions | None = None, *,
                    mip_gap: float | None = None, roster: Roster | None = None,
                    reserves: bool = True) -> RosterPlan:
    """Read the scenario's creator table, choose the creators and check the choice.

    The gap is ``mip_gap`` when given (the command line's ``--mip-gap``), else the scenario's
    ``roster.mip_gap`` (default 0.001). ``options`` brings the time limit. ``roster`` is the
    creator table already read for this scenario (re-solves of the same brief reuse it);
    ``reserves=False`` skips the reserve list (re-solves that are compared, not signed).
    """
    assert scenario.roster is not None, "not a roster scenario: use mixopt.optimize"
    options = options or SolverOptions()
    gap = mip_gap if mip_gap is not None else scenario.roster.mip_gap
    timings: dict[str, float] = {}
    started = time.perf_counter()
    roster = roster if roster is not None else load_roster(scenario)
    timings["read"] = time.perf_counter() - started
    step = time.perf_counter()
    model = build_roster_model(scenario, roster)
    timings["build"] = time.perf_counter() - step
    solution = solve_roster(model, options, mip_gap=gap)
    step = time.perf_counter()
    plan = make_roster_plan(scenario, roster, solution, reserves=reserves)
    timings["verify"] = time.perf_counter() - step
    seconds = {**timings, **solution.seconds}
    return dataclasses.replace(plan, solution=dataclasses.replace(solution, seconds=seconds))


def resolve_each(solve: Callable[[_Item], _Result], items: Sequence[_Item], roster: Roster) -> Iterator[_Result]:
    """``solve(item)`` for each item, yielded in the items' order. Each solve is deterministic on
    its own (one solver thread, fixed seeds), so running two at once changes no figure, only the wait."""
    workers = min(2, os.cpu_count() or 1, len(items))
    if workers < 2 or len(roster.table) > PARALLEL_RESOLVE_CREATORS:
        yield from map(solve, items)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mixopt-resolve") as pool:
        yield from pool.map(solve, items)
