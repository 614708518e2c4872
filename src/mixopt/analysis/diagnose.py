"""When no plan exists: name the conflict in planner words and find the smallest change.

Three steps. Before solving, plain conflicts (minimum spends above the budget, minimum counts
above the team capacity or the pool, targets above what every accepting creator could deliver).
After an infeasible solve, exact re-solves: the most of each target KPI the rules allow, and the
least budget that meets every target. When the budget is not the whole story, an elastic model
lets every rule bend at a price proportional to its size and reports the rules it had to bend;
the change is offered as a ready-to-run relaxed scenario that ``extends`` the original.

A roster scenario gets the same :class:`Diagnosis`: the why from LP bounds and the smallest
change from an elastic roster model, confirmed by solving the relaxed roster scenario
(:mod:`mixopt.roster.diagnose`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.schema import Objective, Scenario
from mixopt.solvers.engine import solve_arrays
from mixopt.solvers.types import LinearArrays, SolverOptions
from mixopt.tier.model import CURVED_KPIS, build_model
from mixopt.tier.plan import evaluate_plan, make_plan
from mixopt.tier.solve import solve, to_arrays

__all__ = ["Diagnosis", "precheck", "diagnose", "relaxed_yaml", "apply_overrides"]

# model rows that are bookkeeping, not planner rules: never bent by the elastic model
_MONEY_ROWS = ("target_roi", "target_profit", "limit_")  # money rows whose right-hand side may be 0
_STRUCTURAL = ("posts_at_", "reach_curve", "impressions_curve", "engagements_curve", "conversions_curve",
               "cell_used_switch")


@dataclass(frozen=True)
class Diagnosis:
    """Why no plan exists and the smallest change found that makes one exist."""

    conflicts: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted path -> new value
    relaxed_objective: float | None = None

    @property
    def lines(self) -> list[str]:
        """Everything to tell the planner, one sentence each."""
        return list(self.conflicts) + list(self.findings)


def _money(value: float, currency: str) -> str:
    return f"{value:,.0f} {currency}"


def precheck(scenario: Scenario) -> list[str]:
    """Plain conflicts visible without solving, in planner words."""
    s = scenario
    cells = resolve_cells(s)
    out: list[str] = []
    for group, attr, bands in (("tier", "tier", s.rules.tiers), ("platform", "platform", s.rules.platforms)):
        total_min = sum(b.min_spend or 0 for b in bands.values())
        if s.budget is not None and total_min > s.budget + 1e-9:
            out.append(f"the {group} minimum spends add up to {_money(total_min, s.currency)}, more than the "
                       f"budget of {_money(s.budget, s.currency)}")
        total_creators = sum(b.min_creators or 0 for b in bands.values())
        if s.rules.max_creators is not None and total_creators > s.rules.max_creators:
            out.append(f"the {group} minimum creator counts add up to {total_creators}, more than the team "
                       f"capacity of {s.rules.max_creators}")
        for name, band in bands.items():
            pool = sum(c.accepting_pool for c in cells if getattr(c, attr) == name)
            if band.min_creators is not None and band.min_creators > pool:
                out.append(f"{name} needs at least {band.min_creators} creators but only {pool} would accept "
                           f"(pool x acceptance rate)")
    for key, rule in s.rules.cells.items():
        cell = next((c for c in cells if c.key == key), None)
        if cell is None:
            continue
        for label, need in (("is locked at", rule.lock), ("needs at least", rule.min_creators)):
            if need is not None and need > cell.accepting_pool:
                out.append(f"{key} {label} {need} creators but only {cell.accepting_pool} would accept")
    locked = sum((r.lock or r.min_creators or 0) for r in s.rules.cells.values())
    if s.rules.max_creators is not None and locked > s.rules.max_creators:
        out.append(f"the cell rules need at least {locked} creators, more than the team capacity of "
                   f"{s.rules.max_creators}")
    from mixopt.scenario.outcomes import evaluate_mix, totals_of

    everyone = evaluate_mix(cells, {c.key: c.accepting_pool for c in cells},
                            {c.key: c.accepting_pool * c.max_posts for c in cells}, s.economics)
    ceiling = totals_of(everyone, s.economics)
    for kpi in ("reach", "impressions", "engagements", "conversions", "revenue"):
        floor = getattr(s.targets, kpi)
        if floor and floor > ceiling[kpi] + 1e-6:
            out.append(f"the {kpi} target of {floor:,.0f} is more than every accepting creator in the pool could "
                       f"deliver ({ceiling[kpi]:,.0f}), whatever the budget")
    return out


def apply_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """The scenario with dotted-path overrides applied (no validation)."""
    from mixopt.scenario.fields import with_field

    result = scenario
    for path, value in overrides.items():
        if path.startswith("rules.") and value is None:
            continue
        result = with_field(result, path, value)
    return result


def _best(scenario: Scenario, objective: Objective, options: SolverOptions) -> Any:
    changed = scenario.model_copy(update={"objective": objective})
    model = build_model(changed)
    return make_plan(model, solve(model, replace(options, tie_break=False)))


def _rule_path(rule: str) -> str | None:
    """Scenario field behind a rule id of :mod:`mixopt.tier.check`."""
    if rule == "budget":
        return "budget"
    if rule == "team_capacity":
        return "rules.max_creators"
    inner = rule[rule.index("[") + 1 : -1] if "[" in rule else ""
    if rule.startswith("target["):
        return f"targets.{inner}"
    if rule.startswith("limit["):
        return f"limits.{inner}"
    for group in ("tier", "platform"):
        for part, attr in (("_spend_share_min", "min_spend_share"), ("_spend_share_max", "max_spend_share"),
                           ("_budget_share_min", "min_budget_share"), ("_budget_share_max", "max_budget_share"),
                           ("_spend_min", "min_spend"), ("_spend_max", "max_spend"),
                           ("_creators_min", "min_creators"), ("_creators_max", "max_creators")):
            if rule.startswith(group + part + "["):
                return f"rules.{group}s.{inner}.{attr}"
    for part, attr in (("cell_lock", "lock"), ("cell_creators_min", "min_creators"),
                       ("cell_creators_max", "max_creators")):
        if rule.startswith(part + "["):
            return f"rules.cells.{inner}.{attr}"
    return None


def _elastic(scenario: Scenario, options: SolverOptions) -> tuple[dict[str, Any], list[str]]:
    """Bend every planner rule at a price proportional to its size; report the bends."""
    model = build_model(scenario)
    arrays = to_arrays(model)
    bendable = [i for i, name in enumerate(arrays.row_names) if not name.startswith(_STRUCTURAL)]
    extra_cols: list[tuple[int, float]] = []  # (row, +1 or -1)
    for i in bendable:
        if np.isfinite(arrays.row_upper[i]):
            extra_cols.append((i, -1.0))
        if np.isfinite(arrays.row_lower[i]):
            extra_cols.append((i, 1.0))
    n0 = arrays.num_col
    rows: list[list[tuple[int, float]]] = [[] for _ in arrays.row_names]
    for i in range(len(arrays.row_names)):
        for k in range(arrays.starts[i], arrays.starts[i + 1]):
            rows[i].append((int(arrays.index[k]), float(arrays.value[k])))
    budget = scenario.budget or 1.0
    cost = np.zeros(n0 + len(extra_cols))
    for j, (i, sign) in enumerate(extra_cols):
        rows[i].append((n0 + j, sign))
        rhs = arrays.row_upper[i] if sign < 0 else arrays.row_lower[i]
        money = "spend" in arrays.row_names[i] or arrays.row_names[i].startswith(_MONEY_ROWS)
        cost[n0 + j] = 1.0 / max(abs(rhs), budget * 0.01 if money else 1.0)
    starts, index, value = [0], [], []
    for row in rows:
        for col, coef in row:
            index.append(col)
            value.append(coef)
        starts.append(len(index))
    elastic = LinearArrays(
        names=arrays.names + [f"bend_{j}" for j in range(len(extra_cols))],
        col_lower=np.concatenate([arrays.col_lower, np.zeros(len(extra_cols))]),
        col_upper=np.concatenate([arrays.col_upper, np.full(len(extra_cols), np.inf)]),
        integer=np.concatenate([arrays.integer, np.zeros(len(extra_cols), dtype=bool)]),
        row_names=arrays.row_names, row_lower=arrays.row_lower, row_upper=arrays.row_upper,
        starts=np.array(starts, dtype=np.int64), index=np.array(index, dtype=np.int64),
        value=np.array(value, dtype=float), costs=[cost], stage_labels=["least bending of the rules"],
    )
    result = solve_arrays(elastic, replace(options, tie_break=False))
    if result.x is None:
        return {}, []
    values = dict(zip(elastic.names, map(float, result.x)))
    creators = {k: int(round(values[v.name])) for k, v in model.creators.items()}
    posts = {k: int(round(values[v.name])) for k, v in model.posts.items()}
    plan = evaluate_plan(scenario, model.cells, creators, posts)
    overrides: dict[str, Any] = {}
    findings: list[str] = []
    for check in plan.broken_rules:
        path = _rule_path(check.rule)
        if path is None:
            continue
        new = _relaxed_limit(check, path, plan.totals["spend"], scenario)
        overrides[path] = new
        shown = f"{new:.1%}" if path.endswith("_share") else f"{new:,.2f}" if path.startswith(
            ("limits.", "targets.roi")) else f"{new:,.0f}"
        findings.append(f"{check.label}: change it to {shown} (the rule the least-bending plan had to give on)")
    return overrides, findings


def _relaxed_limit(check: Any, path: str, spend: float, scenario: Scenario) -> Any:
    value, budget = check.value, scenario.budget
    if path == "targets.roi":  # profit >= roi x spend: the ROI the bent plan reaches
        return math.floor(value / spend * 100) / 100 if spend > 0 else 0.0
    if path.startswith("limits."):  # spend <= limit x outcome: the ceiling the bent plan needs
        ratio = value / check.limit if check.limit > 0 else 1.0
        return math.ceil(float(getattr(scenario.limits, path.split(".")[1])) * ratio * 100) / 100
    if path.endswith("_budget_share"):
        share = value / budget if budget else 0.0
        return math.floor(share * 1000) / 1000 if check.sense == ">=" else math.ceil(share * 1000) / 1000
    if path.endswith("_share"):
        share = value / spend if spend > 0 else 0.0
        return math.floor(share * 1000) / 1000 if check.sense == ">=" else math.ceil(share * 1000) / 1000
    if path.endswith(("creators", "lock")):
        return int(math.floor(value + 1e-9)) if check.sense == ">=" else int(math.ceil(value - 1e-9))
    if check.sense == ">=":
        return float(math.floor(value))
    return float(math.ceil(value / 100.0) * 100.0) if path == "budget" or "spend" in path else float(math.ceil(value))


def _diagnose_roster(scenario: Scenario, options: SolverOptions | None) -> Diagnosis:
    """A roster scenario's diagnosis: LP bounds as the why, an elastic roster model for the change."""
    from mixopt.roster.diagnose import diagnose_roster, smallest_roster_change
    from mixopt.roster.model import build_roster_model
    from mixopt.roster.table import load_roster

    assert scenario.roster is not None
    options = options or SolverOptions(mip_gap=scenario.roster.mip_gap)
    model = build_roster_model(scenario, load_roster(scenario))
    conflicts = diagnose_roster(model)
    change = smallest_roster_change(model, options)
    findings = list(change.findings)
    if not conflicts and not findings:
        findings.append("the rules conflict with each other on this creator table in a way mixopt could not pin "
                        "down; try removing rules one at a time")
    return Diagnosis(tuple(conflicts), tuple(findings), change.overrides, change.relaxed_objective)


def diagnose(scenario: Scenario, options: SolverOptions | None = None) -> Diagnosis:
    """Explain an infeasible scenario and find the smallest change that makes it feasible.

    Tier and roster scenarios alike; a roster scenario's change is confirmed by a roster solve
    within ``options.mip_gap`` (the scenario's ``roster.mip_gap`` when no options are given).
    """
    if scenario.roster is not None:
        return _diagnose_roster(scenario, options)
    options = options or SolverOptions()
    s = scenario
    conflicts = precheck(s)
    findings: list[str] = []
    overrides: dict[str, Any] = {}
    best_plans = []
    for kpi in _KPIS:
        floor = getattr(s.targets, kpi)
        if not floor:
            continue
        without = s.model_copy(update={"targets": s.targets.model_copy(update={kpi: None})})
        goal = kpi if kpi in CURVED_KPIS else "revenue"
        best = _best(without, Objective(maximize=goal), options)  # type: ignore[arg-type]
        if best.status.has_plan and best.objective_value is not None and best.objective_value < floor - 1e-6:
            binds = _binds_text(best, kpi, options)
            findings.append(f"the {floor:,.0f} {kpi} target cannot be met{binds}; the most {kpi} "
                            f"the rules allow is {best.objective_value:,.0f}")
            best_plans.append(best)
    efficiency = [_efficiency_finding(s, name, options) for name in ("profit", "roi", "cpa", "cpe", "cpm")]
    fixes: dict[str, Any] = {}
    for found in efficiency:
        if found is not None:
            findings.append(found[0])
            fixes[found[1]] = found[2]
    has_targets = any(getattr(s.targets, k) for k in _KPIS) or s.targets.profit is not None or s.targets.roi is not None
    if s.budget is not None and has_targets:
        unlimited = s.model_copy(update={"budget": None})
        cheapest = _best(unlimited, Objective(minimize="spend"), options)
        if cheapest.status.has_plan:
            needed = math.ceil(cheapest.totals["spend"] / 100.0) * 100.0
            findings.append(f"the targets need a budget of {_money(cheapest.totals['spend'], s.currency)} "
                            f"(now {_money(s.budget, s.currency)})")
            overrides = {"budget": needed}
    if not overrides and fixes:
        overrides = dict(sorted(fixes.items())[:1])
    if not overrides and any(_binding(p, "team_capacity") for p in best_plans):
        team = _least_team(s, options)
        if team is not None:
            findings.append(f"the targets need a team capacity of {team} creators (now {s.rules.max_creators})")
            overrides = {"rules.max_creators": team}
    if not overrides:
        overrides, bends = _elastic(s, options)
        said = " ".join(findings)
        findings += [b for b in bends if not (b.split(" target")[0] in said and "target" in b)]
    relaxed_value = None
    if overrides:
        relaxed = apply_overrides(s, overrides)
        model = build_model(relaxed)
        plan = make_plan(model, solve(model, replace(options, tie_break=False)))
        if plan.status.has_plan:
            relaxed_value = plan.objective_value
        else:
            findings.append("mixopt could not confirm a relaxed scenario; loosen the rules named above by hand")
            overrides = {}
    if not conflicts and not findings:
        findings.append("the rules conflict with each other in a way mixopt could not pin down; "
                        "try removing rules one at a time")
    return Diagnosis(tuple(conflicts), tuple(findings), overrides, relaxed_value)


_KPIS = ("reach", "impressions", "engagements", "conversions", "revenue")


def _binding(plan: Any, rule: str) -> bool:
    return any(c.rule == rule for c in plan.binding_rules)


def _binds_text(best: Any, kpi: str, options: SolverOptions | None = None) -> str:
    """' with 40,000 USD' when the budget limits the best plan; otherwise the rules that do bind
    first (team capacity, a pool, the ROI target, ...), with what the best plan spends."""
    s = best.scenario
    tight = best.binding_rules
    if best.totals["spend"] <= 0:  # at an empty plan shares and switches are tight trivially: name the efficiency rules
        tight = [c for c in best.checks if c.rule.startswith(("target[", "limit["))]
        if not tight:
            return " with these rules"
    if s.budget is None:
        return " with these rules" if not tight else f": {_names(tight)} {_verb(tight)} first"
    if any(c.rule == "budget" for c in tight) or not tight or _budget_limits(best, options):
        return f" with {_money(s.budget, s.currency)}"
    if best.totals["spend"] <= 0:
        return f": {_names(tight)} {_verb(tight)} first (no plan that spends anything meets {_it(tight)})"
    return (f": {_names(tight)} {_verb(tight)} first, not the budget (the plan with the most {kpi} spends "
            f"{_money(best.totals['spend'], s.currency)} of {_money(s.budget, s.currency)})")


def _budget_limits(best: Any, options: SolverOptions | None) -> bool:
    """True when more budget would improve the best plan (re-solved with 10% + 1,000 more): the
    budget limits it too, even when a little of it is left and other rules are tight."""
    s = best.scenario
    if options is None or s.budget is None or best.objective_value is None:
        return False
    more = s.model_copy(update={"budget": s.budget * 1.1 + 1000.0})
    model = build_model(more)
    plan = make_plan(model, solve(model, replace(options, tie_break=False)))
    value = plan.objective_value
    return value is not None and value > best.objective_value + 1e-6 * max(1.0, abs(best.objective_value))


def _it(checks: list[Any]) -> str:
    return "it" if len(checks) == 1 else "them"


def _names(checks: list[Any]) -> str:
    labels = [c.label for c in checks[:3]]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _verb(checks: list[Any]) -> str:
    return "binds" if len(checks) == 1 else "bind"


def _feasible(scenario: Scenario, options: SolverOptions) -> Any:
    model = build_model(scenario)
    plan = make_plan(model, solve(model, replace(options, tie_break=False)))
    return plan if plan.status.has_plan else None


def _efficiency_finding(s: Scenario, name: str, options: SolverOptions) -> tuple[str, str, float] | None:
    """For a profit or ROI target or a CPA / CPE / CPM limit that alone keeps a plan from existing:
    the line naming it, its path and the tightest value that lets a plan exist (exact re-solves:
    the most profit, or a bisection to 0.01 on the ROI or the ceiling)."""
    from mixopt.scenario.fields import with_field

    is_target = name in ("profit", "roi")
    value = getattr(s.targets if is_target else s.limits, name)
    if value is None:
        return None
    path = f"targets.{name}" if is_target else f"limits.{name}"
    freed = s.model_copy(update={"targets": s.targets.model_copy(update={name: None})} if is_target else
                         {"limits": s.limits.model_copy(update={name: None})})
    base = _feasible(freed, options)
    if base is None or _feasible(s, options) is not None:
        return None
    cur = s.currency
    if name == "profit":
        best = _best(freed, Objective(maximize="profit"), options)
        if not best.status.has_plan or best.objective_value is None:
            return None
        most = math.floor(best.objective_value)
        binds = _binds_text(best, "profit", options)
        return (f"the profit target of {_money(value, cur)} cannot be met{binds}; the most "
                f"profit the rules allow is {_money(best.objective_value, cur)}", path, float(most))
    totals = base.totals
    if name == "roi":
        reached = totals["roi"] if totals["spend"] > 0 else value
        ok, bad = math.floor(reached * 100) / 100, value
    else:
        kpi, per = {"cpa": ("conversions", 1.0), "cpe": ("engagements", 1.0), "cpm": ("impressions", 1000.0)}[name]
        reached = per * totals["spend"] / totals[kpi] if totals[kpi] > 0 else math.inf
        if not math.isfinite(reached):
            return None
        ok, bad = math.ceil(reached * 100) / 100, value
    for _ in range(60):  # bisection on a 0.01 grid between a value with a plan and one without
        if abs(ok - bad) <= 0.01 + 1e-12:
            break
        mid = round((ok + bad) / 2, 2)
        if mid in (ok, bad):
            break
        if _feasible(with_field(s, path, mid), options) is not None:
            ok = mid
        else:
            bad = mid
    if name == "roi":
        return (f"the ROI target of {value:g} cannot be met together with the other rules; the best ROI they allow "
                f"is {ok:.2f} (to 0.01)", path, ok)
    return (f"the {name.upper()} limit of {value:,.2f} {cur} cannot be met together with the other rules; the lowest "
            f"{name.upper()} they allow is {ok:,.2f} {cur} (to 0.01)", path, ok)


def _least_team(s: Scenario, options: SolverOptions) -> int | None:
    """The smallest team capacity that lets a plan exist with every other rule (bisection), or None."""
    from mixopt.scenario.fields import with_field

    if s.rules.max_creators is None:
        return None
    high = sum(c.accepting_pool for c in resolve_cells(s))
    low = s.rules.max_creators  # no plan at the current capacity
    if high <= low or _feasible(with_field(s, "rules.max_creators", high), options) is None:
        return None
    while high - low > 1:
        mid = (low + high) // 2
        if _feasible(with_field(s, "rules.max_creators", mid), options) is not None:
            high = mid
        else:
            low = mid
    return high


def _nest(overrides: dict[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, value in overrides.items():
        node = tree
        parts = path.split(".")
        # cell keys such as nano.tiktok contain a dot: rules.cells.<tier>.<platform>.<field>
        if parts[:2] == ["rules", "cells"] and len(parts) == 5:
            parts = parts[:2] + [f"{parts[2]}.{parts[3]}", parts[4]]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def relaxed_yaml(scenario: Scenario, diagnosis: Diagnosis, target: Path) -> str:
    """A ready-to-run scenario file that extends the original with the relaxation."""
    source = Path(scenario.source_file).resolve()
    extends = os.path.relpath(source, Path(target).resolve().parent)
    lines = [f"# Relaxed version of {scenario.source_file}, written by mixopt: the smallest change found",
             "# that lets a plan exist."]
    lines += [f"#   {line}" for line in diagnosis.findings]
    body = {"extends": extends, "name": f"{scenario.name} (relaxed)", **_nest(diagnosis.overrides)}
    return "\n".join(lines) + "\n" + yaml.safe_dump(body, sort_keys=False, default_flow_style=False)
