"""A risk-aware plan beside the expected-value plan, kept linear with scenario-based CVaR.

The expected-value plan uses each assumption's planning (base) value. The safe plan is solved
on the same model plus, for a sample of joint draws of every assumption (the same
distributions as ``mixopt simulate``), CVaR rules: the average shortfall of each target over
the worst ``1 - confidence`` share of draws must be zero, and likewise spend over the budget
(a safe, linear stand-in for "met with probability ``confidence``"). Without targets, the safe
plan maximises the average of the worst ``1 - confidence`` share of outcomes instead. Both
plans are then simulated on fresh draws, so the probabilities shown are out of sample.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from mixopt.analysis.simulate import SimulationResult, draw_parameters, simulate_plan
from mixopt.api import optimize
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions
from mixopt.tier.model import add_risk_rules, build_model
from mixopt.tier.plan import Plan, make_plan
from mixopt.tier.solve import solve

__all__ = ["RiskComparison", "safe_plan", "compare_risk"]


@dataclass(frozen=True)
class RiskComparison:
    """The expected-value plan and the safe plan, each with an out-of-sample simulation."""

    confidence: float
    model_samples: int
    seed: int
    expected: Plan
    safe: Plan
    expected_simulation: SimulationResult | None
    safe_simulation: SimulationResult | None


def safe_plan(scenario: Scenario, confidence: float = 0.9, model_samples: int = 200, seed: int = 0,
              options: SolverOptions | None = None) -> Plan:
    """The plan whose targets and budget hold in CVaR over ``model_samples`` joint draws."""
    if not 0.5 <= confidence < 1:
        raise ValueError("confidence must be in [0.5, 1)")
    model = build_model(scenario)
    draws = draw_parameters(model.cells, model_samples, np.random.default_rng(seed))
    add_risk_rules(model, draws, confidence)
    # tie-break stages cost 5x here and HiGHS is deterministic without them
    options = dataclasses.replace(options or SolverOptions(), tie_break=False)
    plan = make_plan(model, solve(model, options))
    # the figures shown are at the planning values, like the expected plan's
    return plan


def compare_risk(scenario: Scenario, confidence: float = 0.9, samples: int = 10_000, seed: int = 0,
                 model_samples: int = 200, options: SolverOptions | None = None) -> RiskComparison:
    """Both plans, simulated on the same fresh draws (seed + 1) so the comparison is like for like."""
    expected = optimize(scenario, options, explain=False)
    safe = safe_plan(scenario, confidence, model_samples, seed, options)
    check_seed = seed + 1
    return RiskComparison(
        confidence=confidence,
        model_samples=model_samples,
        seed=seed,
        expected=expected,
        safe=safe,
        expected_simulation=simulate_plan(expected, samples, check_seed) if expected.status.has_plan else None,
        safe_simulation=simulate_plan(safe, samples, check_seed) if safe.status.has_plan else None,
    )
