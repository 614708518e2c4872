"""Independent roster re-solves (a rule's worth, frontier points, a sweep's 1,000 more) run two at a
time; the figures must be those of one at a time, in the same order."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import mixopt
import mixopt.roster.optimize as roster_optimize
from mixopt.analysis.frontier import trace_frontier
from mixopt.analysis.sweep_roster import run_roster_sweep
from mixopt.api import marginal_values, solver_options_for
from mixopt.roster.optimize import resolve_each
from mixopt.roster.table import load_roster

ROSTER = Path("tests") / "data" / "compare" / "roster_small.yaml"


def _figures(scenario: mixopt.Scenario) -> tuple[object, ...]:
    options = solver_options_for(scenario)
    plan = mixopt.optimize(scenario, explain=False)
    worth = tuple((m.rule, m.change, m.change_low, m.change_high) for m in marginal_values(plan, options))
    frontier = tuple((p.floor, p.x_value, p.y_value, p.y_bound, p.repeats_floor)
                     for p in trace_frontier(scenario, "reach", "conversions", points=2).points)
    sweep = tuple((p.value, p.objective, p.marginal_per_1000)
                  for p in run_roster_sweep(scenario, "budget", [4500.0, 5000.0], options).points)
    return worth, frontier, sweep


def test_two_at_a_time_re_solves_give_the_figures_of_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = mixopt.load_scenario(ROSTER)
    threads: set[str] = set()
    real = roster_optimize.optimize_roster

    def noting_thread(*args: object, **kwargs: object) -> object:
        threads.add(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(roster_optimize.os, "cpu_count", lambda: 2)  # as on the 2-core reference machine
    for module in ("mixopt.api", "mixopt.analysis.frontier", "mixopt.analysis.sweep_roster"):
        monkeypatch.setattr(f"{module}.optimize_roster", noting_thread)
    two_at_a_time = _figures(scenario)
    assert any(name.startswith("mixopt-resolve") for name in threads)  # the pool was used
    monkeypatch.setattr(roster_optimize, "PARALLEL_RESOLVE_CREATORS", 0)  # every table counts as too big
    threads.clear()
    one_at_a_time = _figures(scenario)
    assert threads == {threading.main_thread().name}
    assert two_at_a_time == one_at_a_time
    assert len(two_at_a_time[0]) >= 2 and len(two_at_a_time[1]) == 2


def test_resolve_each_yields_in_the_items_order_and_passes_a_solve_error_on() -> None:
    roster = load_roster(mixopt.load_scenario(ROSTER))
    assert list(resolve_each(lambda i: i * i, list(range(7)), roster)) == [i * i for i in range(7)]

    def failing(i: int) -> int:
        if i == 3:
            raise ValueError("item 3")
        return i

    with pytest.raises(ValueError, match="item 3"):
        list(resolve_each(failing, list(range(6)), roster))
