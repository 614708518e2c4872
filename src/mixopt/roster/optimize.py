"""Roster mode end to end, for the ``mixopt solve`` command and notebooks:
creator table in, chosen creators and files out."""

from __future__ import annotations

import dataclasses
import time

from mixopt.roster.model import build_roster_model
from mixopt.roster.plan import RosterPlan, make_roster_plan
from mixopt.roster.solve import solve_roster
from mixopt.roster.table import Roster, load_roster
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions

__all__ = ["optimize_roster"]


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


