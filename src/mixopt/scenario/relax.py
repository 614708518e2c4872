"""One planner-sized step on a rule of a scenario (budget + 1,000, team capacity + 1, target
+ 1%, a quota one creator wider, ...): the scenario a marginal value is re-solved on.

In a mixed-integer programme LP duals are not marginal values, so each binding rule is relaxed
by such a step and the scenario re-solved (see :func:`mixopt.api.marginal_values`). The same
steps serve tier and roster rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from mixopt.scenario.cells import Cell
from mixopt.scenario.schema import Assumption, CellAssumptions, Scenario

__all__ = ["relaxations", "describe_change", "without_share_rule"]

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


def relaxations(scenario: Scenario, cells: tuple[Cell, ...], rule: str) -> Relax | None:
    """The one-unit relaxation of a binding rule, as (step in words, scenario transformer)."""
    s = scenario
    cur = s.currency
    group = "tiers" if rule.startswith("tier_") else "platforms"
    if rule == "budget":
        return f"+1,000 {cur} of budget", lambda x: x.model_copy(update={"budget": (x.budget or 0) + 1000})
    if rule == "team_capacity":
        return "+1 creator of team capacity", lambda x: _rules(x, max_creators=(x.rules.max_creators or 0) + 1)
    if rule == "target[profit]":
        return (f"+1,000 {cur} on the profit target",
                lambda x: x.model_copy(update={"targets": x.targets.model_copy(update={"profit": x.targets.profit + 1000})}))
    if rule == "target[roi]":
        return ("ROI floor 0.01 higher",
                lambda x: x.model_copy(update={"targets": x.targets.model_copy(update={"roi": x.targets.roi + 0.01})}))
    if rule.startswith("limit["):
        name = _inner(rule)
        return (f"{name.upper()} ceiling 1% higher",
                lambda x: x.model_copy(update={"limits": x.limits.model_copy(
                    update={name: getattr(x.limits, name) * 1.01})}))
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
        if "_budget_share_min" in rule:
            return (f"{name} minimum budget share 1 point lower",
                    lambda x: _band(x, group, name, "min_budget_share", max(band.min_budget_share - 0.01, 0.0)))
        if "_budget_share_max" in rule:
            return (f"{name} maximum budget share 1 point higher",
                    lambda x: _band(x, group, name, "max_budget_share", min(band.max_budget_share + 0.01, 1.0)))
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
    roster_step = _roster_relaxation(s, rule)
    if roster_step is not None:
        return roster_step
    if rule.startswith("pool["):
        key = _inner(rule)
        cell = next(c for c in cells if c.key == key)
        return f"one more accepting {key} creator", lambda x: _more_pool(x, cell)
    return None


def without_share_rule(scenario: Scenario, rule: str) -> Scenario | None:
    """The scenario without one tier or platform share rule (``tier_spend_share_max[micro]``), or None."""
    for group in ("tier", "platform"):
        for part, field in (("_spend_share_min[", "min_spend_share"), ("_spend_share_max[", "max_spend_share"),
                            ("_budget_share_min[", "min_budget_share"), ("_budget_share_max[", "max_budget_share")):
            if rule.startswith(group + part):
                name = _inner(rule)
                if name in getattr(scenario.rules, group + "s"):
                    return _band(scenario, group + "s", name, field, None)
    return None


def _roster(s: Scenario, **update: object) -> Scenario:
    assert s.roster is not None
    return s.model_copy(update={"roster": s.roster.model_copy(update=update)})


def _category(s: Scenario, name: str, field: str, value: int) -> Scenario:
    assert s.roster is not None
    categories = dict(s.roster.categories)
    categories[name] = categories[name].model_copy(update={field: value})
    return _roster(s, categories=categories)


def _roster_relaxation(s: Scenario, rule: str) -> Relax | None:
    """Steps on the rules only roster scenarios have: category quotas, overlap groups, resource caps."""
    if s.roster is None:
        return None
    if rule.startswith("category_min["):
        name = _inner(rule)
        low = s.roster.categories[name].min_creators or 0
        return f"{name} quota 1 creator lower", lambda x: _category(x, name, "min_creators", max(low - 1, 0))
    if rule.startswith("category_max["):
        name = _inner(rule)
        high = s.roster.categories[name].max_creators or 0
        return f"{name} quota 1 creator higher", lambda x: _category(x, name, "max_creators", high + 1)
    if rule == "overlap_groups":
        most = s.roster.max_per_overlap_group or 0
        return "1 more creator per overlap group", lambda x: _roster(x, max_per_overlap_group=most + 1)
    if rule.startswith("resource["):
        column = _inner(rule)
        cap = s.roster.resource_caps[column]
        step = _step_of(cap)

        def wider(x: Scenario) -> Scenario:
            assert x.roster is not None
            return _roster(x, resource_caps={**x.roster.resource_caps, column: x.roster.resource_caps[column] + step})

        return f"+{step:,g} {column} on its cap", wider
    if rule.startswith("resource_floor["):
        column = _inner(rule)
        floor = s.roster.resource_floors[column]
        down = _step_of(floor)

        def lower(x: Scenario) -> Scenario:
            assert x.roster is not None
            floors = x.roster.resource_floors
            return _roster(x, resource_floors={**floors, column: max(floors[column] - down, 0.0)})

        return f"-{down:,g} {column} on its floor", lower
    return None


def _step_of(limit: float) -> float:
    """A round step of about 1% of a cap (at least 1): 1, 2, 5, 10, 20, 50, ..."""
    target = max(abs(limit) * 0.01, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= target))


def describe_change(label: str, step: str, objective: str, change: float | None, currency: str,
                    within: tuple[float, float] | None = None) -> str:
    """One sentence in planner words for a marginal value (``within``: its certified range, when not exact)."""
    if change is not None and within is not None:
        low, high = within
        unit = currency if objective in ("revenue", "profit", "value", "spend") else objective
        if max(abs(low), abs(high)) < 1e-6 * max(1.0, abs(change)) + 1e-9:
            return f"{label}: {step} would not change {objective}."
        verb, low, high = ("adds", low, high) if low >= 0 else ("costs", -high, -low) if high <= 0 else ("changes", low, high)
        if objective == "spend":
            verb = {"adds": "costs", "costs": "saves"}.get(verb, verb)
        digits = 1 if max(abs(low), abs(high)) < 10 else 0  # small changes keep a decimal ("0.4 to 0.7")
        ends = [f"{low:,.{digits}f}", f"{high:,.{digits}f}"]
        if float(ends[0].replace(",", "")) == 0 and float(ends[1].replace(",", "")) == 0:
            return (f"{label}: {step} changes {objective} by less than 0.05 either way (certified range: both plans "
                    "are within the roster's gap).")
        amount = ends[0] if ends[0] == ends[1] else f"{ends[0]} to {ends[1]}"
        if verb == "changes":
            amount = f"by {low:+,.{digits}f} to {high:+,.{digits}f}"
        return f"{label}: {step} {verb} {amount} {unit} (certified range: both plans are within the roster's gap)."
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
