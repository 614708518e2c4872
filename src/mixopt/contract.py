"""What every plan shares, in tier and roster mode alike.

A tier ``Plan`` (creators per cell) and a ``RosterPlan`` (named creators) both offer the
attributes of :class:`PlanView`, so every analysis (sweeps, frontiers, comparisons, marginal
values, exports of totals) is written once against this contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import pandas as pd

from mixopt.scenario.money import exact, half_unit, is_currency_code
from mixopt.solvers.types import SolveStatus

__all__ = ["PlanView", "RuleCheck", "Marginal", "rule_check", "objective_label", "efficiency_checks", "budget_share_checks",
           "keeps_text"]

_REL_TOL = 1e-6


@dataclass(frozen=True)
class RuleCheck:
    """One rule evaluated on a mix: its value, its limit, the room left and whether it holds."""

    rule: str  # stable identifier, e.g. "budget", "tier_spend_share_min[micro]"
    label: str  # planner words
    unit: str
    value: float
    limit: float
    sense: str  # "<=", ">=", "=="
    slack: float  # room left (>= 0 when the rule holds)
    holds: bool


def rule_check(rule: str, label: str, unit: str, value: float, sense: str, limit: float, *,
               exact: tuple[Fraction, Fraction] | None = None, tolerance: float | Fraction | None = None) -> RuleCheck:
    """One rule on a mix. Money rules (``unit`` a currency code such as USD) hold to half a minor
    unit of that currency, absolute at any magnitude; ``exact`` (value, limit as fractions) decides
    them without float rounding. ``tolerance`` sets another absolute tolerance (0.5 for whole-valued
    resource columns); every other rule keeps a relative 1e-6 of its limit."""
    if sense == "<=":
        slack = limit - value
    elif sense == ">=":
        slack = value - limit
    else:
        slack = -abs(value - limit)
    if tolerance is None and is_currency_code(unit):
        tolerance = half_unit(unit)
    if tolerance is None:
        tol = _REL_TOL * max(1.0, abs(limit))
        return RuleCheck(rule, label, unit, float(value), float(limit), sense, float(slack), slack >= -tol)
    if exact is not None:
        got, bound = exact
        room = bound - got if sense == "<=" else got - bound if sense == ">=" else -abs(got - bound)
        holds = room >= -Fraction(tolerance)
    else:
        holds = slack >= -float(tolerance)
    return RuleCheck(rule, label, unit, float(value), float(limit), sense, float(slack), bool(holds))


def efficiency_checks(s: Any, totals: dict[str, float]) -> list[RuleCheck]:
    """Profit and ROI floors and the CPA / CPE / CPM ceilings, each in its linear form (money
    against money, to half a minor unit): profit >= floor, profit >= roi x spend, spend <= cpa x
    conversions, spend <= cpe x engagements, spend <= cpm x impressions / 1,000. The same in roster mode."""
    cur = s.currency
    checks = []
    if s.targets.profit is not None:
        checks.append(rule_check("target[profit]", f"profit target ({s.targets.profit:,.0f} {cur})", cur,
                                 totals["profit"], ">=", s.targets.profit))
    if s.targets.roi is not None:
        checks.append(rule_check("target[roi]", f"ROI at least {s.targets.roi:g} (profit >= {s.targets.roi:g} x spend)",
                                 cur, totals["profit"], ">=", s.targets.roi * totals["spend"]))
    for name, kpi, per in (("cpa", "conversions", 1.0), ("cpe", "engagements", 1.0), ("cpm", "impressions", 1000.0)):
        limit = getattr(s.limits, name)
        if limit is not None:
            checks.append(rule_check(f"limit[{name}]", f"{name.upper()} at most {limit:,.2f} {cur} (spend <= {limit:g} x "
                                     f"{kpi}{' / 1,000' if per > 1 else ''})", cur, totals["spend"], "<=",
                                     limit * totals[kpi] / per))
    return checks


def budget_share_checks(group: str, name: str, band: object, budget: float, cur: str, spend: float,
                        money: Fraction) -> list[RuleCheck]:
    """A tier's or platform's spend against a share of the budget (a fixed denominator), exactly."""
    checks = []
    low, high = getattr(band, "min_budget_share", None), getattr(band, "max_budget_share", None)
    if low is not None:
        checks.append(rule_check(f"{group}_budget_share_min[{name}]", f"{name} at least {low:.0%} of the budget", cur,
                                 spend, ">=", low * budget, exact=(money, exact(low) * exact(budget))))
    if high is not None:
        checks.append(rule_check(f"{group}_budget_share_max[{name}]", f"{name} at most {high:.0%} of the budget", cur,
                                 spend, "<=", high * budget, exact=(money, exact(high) * exact(budget))))
    return checks


@dataclass(frozen=True)
class Marginal:
    """What one more unit of a binding rule is worth, found by re-solving."""

    rule: str
    label: str
    step: str  # e.g. "+1,000 USD of budget"
    change: float | None  # change of the objective (None when the re-solve found no plan)
    explanation: str
    change_low: float | None = None  # the certified range of the change (roster re-solves stop within a gap)
    change_high: float | None = None


def keeps_text(check: RuleCheck) -> str:
    """'keep micro under 60% of spend' from a spend-share rule's label (padding notes, tier and roster)."""
    name, _, rest = check.label.partition(" at most ")
    if rest:
        return f"keep {name} under {rest}"
    name, _, rest = check.label.partition(" at least ")
    return f"keep {name} at {rest} or more" if rest else f"meet '{check.label}'"


def objective_label(scenario: Any) -> str:
    """What a plan optimises, in planner words: spend, reach, ..., or the creator-table column maximised."""
    obj = scenario.objective
    if obj.minimize == "spend":
        return "spend"
    if obj.maximize == "column" and obj.column:
        return str(obj.column)
    return str(obj.maximize)


class PlanView(Protocol):
    """The plan contract of both modes."""

    mode: str  # "tier" or "roster"
    scenario: Any  # the validated Scenario the plan answers
    totals: dict[str, float]  # creators, posts, spend, reach, ..., profit, roi, cpe, cpa (same keys in both modes)
    checks: tuple[RuleCheck, ...]  # every rule, re-checked independently of the model
    allocation: pd.DataFrame  # creators, posts, spend and KPIs per (tier, platform) cell
    marginals: tuple[Marginal, ...]
    notes: tuple[str, ...]

    @property
    def status(self) -> SolveStatus: ...

    @property
    def objective_label(self) -> str: ...

    @property
    def objective_value(self) -> float | None: ...

    @property
    def bound(self) -> float | None: ...

    @property
    def gap(self) -> float | None: ...

    @property
    def feasible(self) -> bool: ...

    @property
    def binding_rules(self) -> list[RuleCheck]: ...

    def creators_and_posts(self) -> tuple[dict[str, int], dict[str, int]]: ...
