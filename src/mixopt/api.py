"""The public pipeline in one place: scenario -> model -> solution -> Plan.

The command line and notebooks call the same functions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mixopt.contract import Marginal
from mixopt.errors import InfeasibleError, SolverError
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.load import load_scenario
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions, SolveStatus
from mixopt.tier.explain import describe_change, relaxations
from mixopt.tier.model import build_model
from mixopt.tier.plan import Plan, evaluate_plan, make_plan, objective_label
from mixopt.tier.solve import solve

__all__ = ["optimize", "solver_options_for", "evaluate_baseline", "marginal_values"]


def solver_options_for(scenario: Scenario, **override: object) -> SolverOptions:
    """Solver options from the scenario's ``solver:`` block, with explicit overrides applied."""
    settings = scenario.solver
    options = SolverOptions(solver=settings.name, time_limit_s=settings.time_limit_s, mip_gap=settings.mip_gap)
    changes = {k: v for k, v in override.items() if v is not None}
    return dataclasses.replace(options, **changes)


def _objective_only(scenario: Scenario, options: SolverOptions) -> float | None:
    model = build_model(scenario)
    plan = make_plan(model, solve(model, dataclasses.replace(options, tie_break=False)))
    return plan.objective_value if plan.status.has_plan else None


def marginal_values(plan: Plan, options: SolverOptions) -> tuple[Marginal, ...]:
    """What one more unit of each binding rule is worth, by re-solving (exact, not LP duals)."""
    if not plan.status.has_plan or plan.objective_value is None:
        return ()
    scenario = plan.scenario
    quick = dataclasses.replace(options, tie_break=False)
    out = []
    seen = set()
    candidates = list(plan.binding_rules)
    budget_check = next((c for c in plan.checks if c.rule == "budget"), None)
    if budget_check is not None and budget_check not in candidates:
        candidates.insert(0, budget_check)
    for check in candidates:
        relax = relaxations(scenario, plan.cells, check)
        if relax is None or check.rule in seen:
            continue
        seen.add(check.rule)
        step, transform = relax
        relaxed = transform(scenario)
        new_value = _objective_only(relaxed, quick)
        change = None if new_value is None else new_value - plan.objective_value
        out.append(
            Marginal(
                rule=check.rule,
                label=check.label,
                step=step,
                change=change,
                explanation=describe_change(check.label, step, objective_label(scenario), change, scenario.currency),
            )
        )
    return tuple(out)


def evaluate_baseline(scenario: Scenario) -> Plan | None:
    """The planner's own mix (``baseline:``) evaluated with the same numbers, or None."""
    if not scenario.baseline:
        return None
    cells = resolve_cells(scenario)
    creators = {key: mix.creators for key, mix in scenario.baseline.items()}
    posts = {key: (mix.posts if mix.posts is not None else mix.creators) for key, mix in scenario.baseline.items()}
    plan = evaluate_plan(scenario, cells, creators, posts, status=SolveStatus.FEASIBLE, solver="your mix")
    if not plan.feasible:
        broken = "; ".join(c.label for c in plan.broken_rules[:4])
        plan = dataclasses.replace(plan, notes=(f"your mix breaks: {broken}",))
    return plan


def optimize(
    scenario: Scenario | str | Path,
    options: SolverOptions | None = None,
    *,
    explain: bool = True,
    require_plan: bool = False,
) -> Plan:
    """Find the best plan for a scenario.

    Parameters
    ----------
    scenario
        A validated ``Scenario`` or the path of a scenario file.
    options
        Solver settings; defaults come from the scenario's ``solver:`` block.
    explain
        Also compute marginal values of the binding rules (a few extra solves).
    require_plan
        Raise ``InfeasibleError`` / ``SolverError`` instead of returning a plan without a mix.

    Examples
    --------
    >>> from mixopt import optimize
    >>> plan = optimize("scenarios/hand_solvable.yaml")  # doctest: +SKIP
    >>> plan.status.value  # doctest: +SKIP
    'optimal'
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    options = options or solver_options_for(scenario)
    model = build_model(scenario)
    solution = solve(model, options)
    plan = make_plan(model, solution)
    if explain and plan.status.has_plan:
        plan = dataclasses.replace(plan, marginals=marginal_values(plan, options))
    baseline = evaluate_baseline(scenario)
    if baseline is not None:
        plan = dataclasses.replace(plan, baseline=baseline)
    if require_plan and not plan.status.has_plan:
        raise no_plan_error(plan)
    return plan


def no_plan_error(plan: Plan) -> InfeasibleError | SolverError:
    """The error that explains why a scenario produced no plan."""
    s = plan.scenario
    file = s.source_file
    if plan.status in (SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED):
        return InfeasibleError(
            f"{file}: rules: no plan satisfies every rule of this scenario (status {plan.status.value}). "
            f"Lower a target, widen a band or raise the budget; 'mixopt solve {file}' names the conflict "
            "and the smallest change that lets a plan exist."
        )
    if plan.status == SolveStatus.UNBOUNDED:
        return InfeasibleError(
            f"{file}: budget: the {plan.objective_label} can grow without limit (nothing caps spend or the number "
            "of creators). Set a budget, e.g. 'budget: 50000', or a team capacity, e.g. 'rules: {max_creators: 40}'."
        )
    if any("independent check failed" in note or "broke" in note for note in plan.notes):
        return SolverError(
            f"{file}: solver: the solver's answer failed mixopt's independent rule check, so no plan is reported. "
            "Try --solver cbc, and please report this scenario as a bug."
        )
    return SolverError(
        f"{file}: solver: stopped before finding any plan (status {plan.status.value}). "
        "Allow more time with --time-limit or accept a gap with --mip-gap 0.01."
    )
