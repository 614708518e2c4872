"""What every plan shares, in tier and roster mode alike: rule checks and marginal values."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RuleCheck", "Marginal", "rule_check"]

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


def rule_check(rule: str, label: str, unit: str, value: float, sense: str, limit: float) -> RuleCheck:
    if sense == "<=":
        slack = limit - value
    elif sense == ">=":
        slack = value - limit
    else:
        slack = -abs(value - limit)
    tol = _REL_TOL * max(1.0, abs(limit))
    return RuleCheck(rule, label, unit, float(value), float(limit), sense, float(slack), slack >= -tol)



@dataclass(frozen=True)
class Marginal:
    """What one more unit of a binding rule is worth, found by re-solving."""

    rule: str
    label: str
    step: str  # e.g. "+1,000 USD of budget"
    change: float | None  # change of the objective (None when the re-solve found no plan)
    explanation: str
