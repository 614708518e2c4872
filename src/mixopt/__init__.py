"""mixopt: plan influencer campaigns with a provably optimal blend of creator tiers.

The pipeline, each stage public::

    load_scenario(path) -> Scenario -> build_model -> MixModel -> solve -> Solution
        -> make_plan -> Plan -> export.write_outputs / format_table

``optimize(scenario)`` composes them, as the command line does.
"""

from __future__ import annotations

from mixopt.api import evaluate_baseline, marginal_values, optimize, solver_options_for
from mixopt.errors import (
    InfeasibleError,
    Issue,
    MixoptError,
    ScenarioError,
    SolverError,
)
from mixopt.scenario.load import load_scenario, scenario_from_dict
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import Solution, SolverOptions, SolveStatus
from mixopt.tier.model import MixModel, build_model
from mixopt.tier.plan import Plan, make_plan
from mixopt.tier.solve import solve

__all__ = [
    "InfeasibleError",
    "Issue",
    "MixModel",
    "MixoptError",
    "Plan",
    "Scenario",
    "ScenarioError",
    "Solution",
    "SolveStatus",
    "SolverError",
    "SolverOptions",
    "build_model",
    "evaluate_baseline",
    "load_scenario",
    "make_plan",
    "marginal_values",
    "optimize",
    "scenario_from_dict",
    "solve",
    "solver_options_for",
]
