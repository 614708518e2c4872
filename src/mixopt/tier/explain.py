"""Why the plan looks the way it does: what one more unit of each binding rule is worth.

In a mixed-integer programme, LP duals are not marginal values, so each binding rule is
relaxed by one planner-sized unit (budget + 1,000, team capacity + 1, target + 1%, ...) and
the scenario re-solved; the change of the optimum is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from mixopt.contract import RuleCheck
from mixopt.scenario.cells import Cell
from mixopt.scenario.schema import Assumption, CellAssumptions, Scenario

__all__ = ["relaxations", "describe_change"]

Relax = tuple[str, Callable[[Scenario], Scenario]]


def _rules(s: Scenario, **update: object) -> Scenario:
    return s.model_copy(update={"rules": s.rules.model_copy(update=update)})


def _band(s: Scenario, group: str, name: str, field: str, value: float | None) -> Scenario:
    bands = dict(getattr(s.rules, group))
    bands[name] = bands[name].model_copy(update={field: value})
    return _rules(s, **{group: bands})


def _cell_rule(s: Scenario, key: str, field: str, value: int | None) -> Scenario:
    cells = dict(s.rules.cells)
    cells[key] = cells[key].model_copy(update={field: value})
    return _rules(s, cells=cells)


def _more_pool(s: Scenario, cell: Cell) -> Scenario:
    target = cell.accepting_pool + 1
    pool = math.ceil(target / cell.acceptance_rate - 1e-9)
    while math.floor(cell.acceptance_rate * pool + 1e-9) < target:
        pool += 1
    assumptions = dict(s.assumptions)
    block = assumptions.get(cell.key, CellAssumptions())
    assumptions[cell.key] = block.model_copy(update={"pool": Assumption(base=float(pool))})
    return s.model_copy(update={"assumptions": assumptions})


def _inner(rule: str) -> str:
    return rule[rule.index("[") + 1 : -1]


def relaxations(scenario: Scenario, cells: tuple[Cell, ...], check: RuleCheck) -> Relax | None:
    """The one-unit relaxation of a binding rule, as (step in words, scenario transformer)."""
    s = scenario
    rule = check.rule
    cur = s.currency
    group = "tiers" if rule.startswith("tier_") else "platforms"
    if rule == "budget":
        return f"+1,000 {cur} of budget", lambda x: x.model_copy(update={"budget": (x.budget or 0) + 1000})
    if rule == "team_capacity":
        return "+1 creator of team capacity", lambda x: _rules(x, max_creators=(x.rules.max_creators or 0) + 1)
    if rule.startswith("target["):
        kpi = _inner(rule)
        return (f"+1% on the {kpi} target",
                lambda x: x.model_copy(update={"targets": x.targets.model_copy(
                    update={kpi: getattr(x.targets, kpi) * 1.01})}))
    if rule.startswith(("tier_", "platform_")):
        name = _inner(rule)
        band = getattr(s.rules, group)[name]
        if "_spend_share_min" in rule:
            return (f"{name} minimum share 1 point lower",
                    lambda x: _band(x, group, name, "min_spend_share", max(band.min_spend_share - 0.01, 0.0)))
        if "_spend_share_max" in rule:
            return (f"{name} maximum share 1 point higher",
                    lambda x: _band(x, group, name, "max_spend_share", min(band.max_spend_share + 0.01, 1.0)))
        if "_spend_min" in rule:
            return (f"{name} minimum spend 1,000 {cur} lower",
                    lambda x: _band(x, group, name, "min_spend", max(band.min_spend - 1000, 0.0)))
        if "_spend_max" in rule:
            return f"{name} maximum spend +1,000 {cur}", lambda x: _band(x, group, name, "max_spend", band.max_spend + 1000)
        if "_creators_min" in rule:
            return (f"{name} minimum creators 1 lower",
                    lambda x: _band(x, group, name, "min_creators", max(band.min_creators - 1, 0)))
        if "_creators_max" in rule:
            return f"{name} maximum creators +1", lambda x: _band(x, group, name, "max_creators", band.max_creators + 1)
    if rule.startswith("cell_"):
        key = _inner(rule)
        cell_rule = s.rules.cells[key]
        if rule.startswith("cell_lock"):
            return f"{key} not locked", lambda x: _cell_rule(x, key, "lock", None)
        if rule.startswith("cell_creators_min"):
            return f"{key} minimum 1 lower", lambda x: _cell_rule(x, key, "min_creators", max(cell_rule.min_creators - 1, 0))
        if rule.startswith("cell_creators_max"):
            return f"{key} maximum +1", lambda x: _cell_rule(x, key, "max_creators", cell_rule.max_creators + 1)
    if rule.startswith("pool["):
        key = _inner(rule)
        cell = next(c for c in cells if c.key == key)
        return f"one more accepting {key} creator", lambda x: _more_pool(x, cell)
    return None


def describe_change(label: str, step: str, objective: str, change: float | None, currency: str) -> str:
    """One sentence in planner words for a marginal value."""
    if change is None:
        return f"{label}: the re-solve with {step} did not finish in time (allow more with --time-limit)."
    if objective == "spend":
        if abs(change) < 0.005:
            return f"{label}: {step} would not lower the cost."
        verb = "saves" if change < 0 else "costs"
        return f"{label}: {step} {verb} {abs(change):,.0f} {currency}."
    unit = currency if objective in ("revenue", "profit", "value") else objective
    if abs(change) < 1e-6:
        return f"{label}: {step} would not change {objective}."
    verb = "adds" if change > 0 else "costs"
    return f"{label}: {step} {verb} {abs(change):,.0f} {unit}."
