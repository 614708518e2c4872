"""The public pipeline in one place: scenario -> model -> solution -> plan, for tier and roster
scenarios alike (a scenario with a ``roster:`` block chooses named creators).

The command line and notebooks call the same functions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mixopt.contract import Marginal
from mixopt.errors import InfeasibleError, SolverError
from mixopt.roster.optimize import optimize_roster, resolve_each
from mixopt.roster.padding import find_roster_padding, roster_padding_text
from mixopt.roster.plan import RosterPlan
from mixopt.roster.table import Roster, load_roster
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.load import load_scenario
from mixopt.scenario.relax import describe_change, relaxations, without_share_rule
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions, SolveStatus
from mixopt.tier.model import build_model
from mixopt.tier.plan import (
    Plan,
    evaluate_plan,
    find_padding,
    make_plan,
    objective_label,
    padding_text,
)
from mixopt.tier.solve import solve

__all__ = ["optimize", "solver_options_for", "evaluate_baseline", "marginal_values", "padding_notes"]


def solver_options_for(scenario: Scenario, **override: object) -> SolverOptions:
    """Solver options from the scenario's ``solver:`` block, with explicit overrides applied."""
    settings = scenario.solver
    gap = scenario.roster.mip_gap if scenario.roster is not None else settings.mip_gap
    options = SolverOptions(solver=settings.name, time_limit_s=settings.time_limit_s, mip_gap=gap)
    changes = {k: v for k, v in override.items() if v is not None}
    return dataclasses.replace(options, **changes)


def _best_plan(scenario: Scenario, options: SolverOptions, roster: Roster | None) -> Plan | RosterPlan:
    """The plan of a (relaxed) scenario, without marginal values, tie-break stages or reserves
    (only its value and bound are compared)."""
    if scenario.roster is not None:
        return optimize_roster(scenario, options, mip_gap=options.mip_gap, roster=roster, reserves=False)
    model = build_model(scenario)
    return make_plan(model, solve(model, dataclasses.replace(options, tie_break=False)))


def _change_range(plan: Plan | RosterPlan, other: Plan | RosterPlan) -> tuple[float, float]:
    """The certified range of the change of the optimum, from both plans' values and proven bounds.

    Each optimum lies between its plan's value and its bound; with gap 0 the range is one point.
    """
    def interval(p: Plan | RosterPlan) -> tuple[float, float]:
        value = float(p.objective_value or 0.0)
        bound = value if p.bound is None or p.gap in (None, 0.0) else float(p.bound)
        return (min(value, bound), max(value, bound))

    low_a, high_a = interval(plan)
    low_b, high_b = interval(other)
    return low_b - high_a, high_b - low_a


def _solve_all(scenarios: list[Scenario], options: SolverOptions, roster: Roster | None) -> list[Plan | RosterPlan]:
    """``_best_plan`` of each scenario, in order (a roster's two at a time: ``resolve_each``)."""
    if roster is None:
        return [_best_plan(s, options, None) for s in scenarios]
    return list(resolve_each(lambda s: _best_plan(s, options, roster), scenarios, roster))


def marginal_values(plan: Plan | RosterPlan, options: SolverOptions, *,
                    roster: Roster | None = None) -> tuple[Marginal, ...]:
    """What one more unit of each binding rule is worth, by re-solving (exact, not LP duals).

    In roster mode each re-solve is certified within the roster's gap, so the change is known to
    lie in a range (``Marginal.change_low`` to ``change_high``); ``change`` is its midpoint.
    """
    if not plan.status.has_plan or plan.objective_value is None:
        return ()
    scenario = plan.scenario
    if scenario.roster is not None and roster is None:
        roster = load_roster(scenario)
    cells = plan.cells if isinstance(plan, Plan) else resolve_cells(scenario)
    out = []
    seen = set()
    candidates = list(plan.binding_rules)
    budget_check = next((c for c in plan.checks if c.rule == "budget"), None)
    if budget_check is not None and budget_check not in candidates:
        candidates.insert(0, budget_check)
    jobs = []
    for check in candidates:
        relax = relaxations(scenario, cells, check.rule)
        if relax is None or check.rule in seen:
            continue
        seen.add(check.rule)
        step, transform = relax
        jobs.append((check, step, transform(scenario)))
    others = _solve_all([job[2] for job in jobs], options, roster)
    for (check, step, _), other in zip(jobs, others):
        change = low = high = None
        if other.status.has_plan and other.objective_value is not None:
            low, high = _change_range(plan, other)
            change = (low + high) / 2 if low != high else other.objective_value - plan.objective_value
        out.append(
            Marginal(
                rule=check.rule,
                label=check.label,
                step=step,
                change=change,
                explanation=describe_change(check.label, step, objective_label(scenario), change, scenario.currency,
                                            (low, high) if low != high else None),
                change_low=low,
                change_high=high,
            )
        )
    return tuple(out)


def padding_notes(plan: Plan | RosterPlan, options: SolverOptions | None) -> tuple[str, ...]:
    """One note per cell with spend that adds nothing to the goal and only keeps a spend-share rule,
    with what that rule costs (the goal given up: re-solved without the rule) when ``options`` are given.
    A roster plan gets one note per rule kept, naming the creators (:mod:`mixopt.roster.padding`)."""
    if isinstance(plan, RosterPlan):
        return _roster_padding_notes(plan, options)
    out = []
    costs: dict[str, float | None] = {}
    for pad in find_padding(plan):
        cost = None
        if options is not None and len(pad.rules) == 1:
            rule = pad.rules[0].rule
            if rule not in costs:
                freer = without_share_rule(plan.scenario, rule)
                other = _best_plan(freer, options, None) if freer is not None else None
                costs[rule] = (other.objective_value - plan.objective_value
                               if other is not None and other.status.has_plan and other.objective_value is not None
                               and plan.objective_value is not None else None)
            cost = costs[rule]
        out.append(padding_text(pad, plan.objective_label, plan.scenario.currency, cost))
    return tuple(out)


def _roster_padding_notes(plan: RosterPlan, options: SolverOptions | None) -> tuple[str, ...]:
    """Padding of a roster plan; the rule's cost is the certified range of the optimum's change."""
    out = []
    costs: dict[str, tuple[float, float] | None] = {}
    for pad in find_roster_padding(plan.scenario, plan.roster.table, plan.solution.chosen, plan.solution.posts):
        cost = None
        if options is not None and len(pad.rules) == 1:
            rule = pad.rules[0].rule
            if rule not in costs:
                freer = without_share_rule(plan.scenario, rule)
                other = (optimize_roster(freer, options, mip_gap=options.mip_gap, roster=plan.roster, reserves=False)
                         if freer is not None else None)
                costs[rule] = (_change_range(plan, other) if other is not None and other.status.has_plan
                               and other.objective_value is not None and plan.objective_value is not None else None)
            cost = costs[rule]
        out.append(roster_padding_text(pad, plan.objective_label, plan.scenario.currency, cost))
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
) -> Plan | RosterPlan:
    """Find the best plan for a scenario.

    A tier scenario gives a :class:`~mixopt.tier.plan.Plan` (creators per cell); a roster
    scenario a :class:`~mixopt.roster.plan.RosterPlan` (named creators). Both follow
    :class:`~mixopt.contract.PlanView`.

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
    if scenario.roster is not None:
        roster = load_roster(scenario)
        found = optimize_roster(scenario, options, mip_gap=options.mip_gap, roster=roster)
        if explain and found.status.has_plan and found.feasible:
            found = dataclasses.replace(found, marginals=marginal_values(found, options, roster=roster))
        if found.status.has_plan and found.feasible:
            found = dataclasses.replace(found, notes=found.notes + padding_notes(found, options if explain else None))
        if require_plan and not found.status.has_plan:
            raise no_plan_error(found)
        return found
    model = build_model(scenario)
    solution = solve(model, options)
    plan = make_plan(model, solution)
    if explain and plan.status.has_plan:
        plan = dataclasses.replace(plan, marginals=marginal_values(plan, options))
    if plan.status.has_plan and plan.feasible:
        plan = dataclasses.replace(plan, notes=plan.notes + padding_notes(plan, options if explain else None))
    baseline = evaluate_baseline(scenario)
    if baseline is not None:
        plan = dataclasses.replace(plan, baseline=baseline)
    if require_plan and not plan.status.has_plan:
        raise no_plan_error(plan)
    return plan


def no_plan_error(plan: Plan | RosterPlan) -> InfeasibleError | SolverError:
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
