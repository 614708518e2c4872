"""Scenario -> MixModel: the tier-mode mixed-integer programme, built with PuLP's 4.0-safe API.

No solving and no I/O here. Variables and constraints carry planner names
(``creators_nano_tiktok``, ``budget``, ``team_capacity``) so an exported LP file reads
like the scenario. Handles are kept on the ``MixModel``; nothing is looked up inside PuLP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulp

from mixopt.scenario.cells import Cell, resolve_cells
from mixopt.scenario.outcomes import apply_curve, unique_within_cell
from mixopt.scenario.schema import Scenario

__all__ = ["MixModel", "Stage", "build_model", "add_risk_rules", "CURVED_KPIS", "unique_reach_points"]

#: KPIs computed per cell through the diminishing-returns curve.
CURVED_KPIS = ("reach", "impressions", "engagements", "conversions")


@dataclass(frozen=True)
class Stage:
    """One objective of the lexicographic solve: the main goal, then tie-breakers."""

    label: str
    sense: int  # pulp.LpMaximize or pulp.LpMinimize
    expression: pulp.LpAffineExpression


@dataclass
class MixModel:
    """A built model: the PuLP problem plus named handles to its parts."""

    scenario: Scenario
    cells: tuple[Cell, ...]
    problem: pulp.LpProblem
    creators: dict[str, pulp.LpVariable]
    posts: dict[str, pulp.LpVariable]
    used: dict[str, pulp.LpVariable]
    variables: list[pulp.LpVariable] = field(default_factory=list)
    constraints: list[tuple[str, pulp.LpConstraint]] = field(default_factory=list)
    kpi_totals: dict[str, pulp.LpAffineExpression] = field(default_factory=dict)
    spend_total: pulp.LpAffineExpression | None = None
    stages: list[Stage] = field(default_factory=list)
    rule_rows: dict[str, str] = field(default_factory=dict)  # rule check id -> the row that models it


    def _var(self, name: str, low: float | None, up: float | None, cat: str) -> pulp.LpVariable:
        var = self.problem.add_variable(name, low, up, cat)
        self.variables.append(var)
        return var

    def _add(self, constraint: pulp.LpConstraint, name: str, rule: str | None = None) -> None:
        self.problem.addConstraint(constraint, name=name)
        self.constraints.append((name, constraint))
        if rule is not None:
            self.rule_rows[rule] = name


def _safe(text: str) -> str:
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def _expr(terms: list[tuple[pulp.LpVariable, float]], constant: float = 0.0) -> pulp.LpAffineExpression:
    """A linear expression; repeated variables are summed (LpAffineExpression keeps only the last)."""
    summed: dict[str, list] = {}
    for var, coef in terms:
        if var.name in summed:
            summed[var.name][1] += coef
        else:
            summed[var.name] = [var, coef]
    expr = pulp.LpAffineExpression([(v, c) for v, c in summed.values() if c != 0])
    if constant:
        expr = expr + constant
    return expr


def _add_decisions(m: MixModel) -> None:
    for cell in m.cells:
        key = _safe(cell.key)
        cap = cell.accepting_pool
        m.creators[cell.key] = m._var(f"creators_{key}", 0, cap, pulp.LpInteger)
        m.posts[cell.key] = m._var(f"posts_{key}", 0, cap * cell.max_posts, pulp.LpInteger)


def _add_post_links(m: MixModel) -> None:
    for cell in m.cells:
        n, p = m.creators[cell.key], m.posts[cell.key]
        key = _safe(cell.key)
        m._add(_expr([(n, 1.0), (p, -1.0)]) <= 0, f"posts_at_least_one_per_creator_{key}")
        m._add(_expr([(p, 1.0), (n, -float(cell.max_posts))]) <= 0, f"posts_at_most_max_per_creator_{key}")


def _linear_terms(m: MixModel, cell: Cell, kpi: str) -> list[tuple[pulp.LpVariable, float]]:
    if kpi == "reach":
        return [(m.creators[cell.key], cell.reach_per_creator)]
    per_post = {
        "impressions": cell.impressions_per_post,
        "engagements": cell.engagements_per_post,
        "conversions": cell.conversions_per_post,
    }[kpi]
    return [(m.posts[cell.key], per_post)]


def _add_outcomes(m: MixModel, kpis: set[str]) -> None:
    """One variable per rewarded or floored outcome, bounded by every piece of the curve."""
    for kpi in CURVED_KPIS:
        if kpi not in kpis:
            continue
        total: list[tuple[pulp.LpVariable, float]] = []
        for cell in m.cells:
            key = _safe(cell.key)
            linear = _linear_terms(m, cell, kpi)
            top = cell.max_linear(kpi)
            outcome = m._var(f"{kpi}_{key}", 0, None, pulp.LpContinuous)
            start, value_at_start = 0.0, 0.0
            for index, (end_share, slope) in enumerate(cell.curve):
                # piece: slope * (L - start) + value_at_start
                terms = [(outcome, 1.0)] + [(v, -slope * c) for v, c in linear]
                m._add(_expr(terms) <= value_at_start - slope * start, f"{kpi}_curve_{key}_piece{index + 1}")
                end = end_share * top
                value_at_start += slope * (end - start)
                start = end
            total.append((outcome, 1.0))
        m.kpi_totals[kpi] = _expr(total)


def unique_reach_points(cell: Cell) -> list[float]:
    """A cell's unique reach at 0, 1, ..., accepting_pool creators (see ``unique_within_cell``)."""
    top = cell.max_linear("reach")
    return [unique_within_cell(apply_curve(cell.curve, top, cell.reach_per_creator * n), cell.reach_per_creator,
                               cell.audience) for n in range(cell.accepting_pool + 1)]


def _add_unique_reach(m: MixModel) -> None:
    """Unique reach, exact at every whole number of creators (the people each cell adds, then the
    overlap across platforms).

    Within a cell, unique reach ``V(n)`` is concave in its creators ``n`` (random duplication
    over the curve's summed reach; see :func:`mixopt.scenario.outcomes.unique_within_cell`), so
    its values at whole ``n`` lie on a concave sequence: the chord through ``V(k)`` and
    ``V(k + 1)`` lies on or above every other point of it and passes through both. So one
    variable per cell bounded above by the chords from ``k = 0, 2, 4, ...`` and by ``V(N)`` (its
    upper bound, ``N`` the accepting pool) is at most ``V(n)`` at every whole ``n`` (each ``n`` is
    an end of a kept chord, or ``N``) and the solver can take it up to ``V(n)`` (a hypograph,
    like the curves). A chord on the same line as the one kept before it is left out. Exact
    because unique reach is only rewarded or floored, never capped.

    Across platforms the campaign reaches ``(1 - s) x sum + s x largest`` of the platforms'
    unique reach (``s`` = ``audience.cross_platform_overlap``). The largest platform is chosen
    by one binary per platform, ``largest <= W_p + B (1 - z_p)`` with ``sum z = 1`` and ``B`` the
    most any platform can reach: the goal or a floor pushes ``largest`` up to the largest ``W_p``.
    Without overlap (``audience: {overlap: false}``) unique reach is the summed reach.
    """
    if all(cell.audience == float("inf") for cell in m.cells) and not any(c.cross_platform_overlap for c in m.cells):
        m.kpi_totals["unique_reach"] = _expr(list(m.kpi_totals["reach"].items()))
        return
    by_platform: dict[str, list[tuple[pulp.LpVariable, float]]] = {}
    most: dict[str, float] = {}
    for cell in m.cells:
        key = _safe(cell.key)
        points = unique_reach_points(cell)
        u = m._var(f"unique_reach_{key}", 0, points[-1], pulp.LpContinuous)
        n = m.creators[cell.key]
        last = None
        for k in range(0, len(points) - 1, 2):  # every other chord: each is exact at both its ends
            slope = points[k + 1] - points[k]
            line = (slope, points[k] - slope * k)
            if line == last:
                continue
            last = line
            # u <= V(k) + slope x (n - k)
            m._add(_expr([(u, 1.0), (n, -slope)]) <= line[1], f"unique_reach_{key}_chord{k}")
        if len(points) == 1:
            m._add(_expr([(u, 1.0)]) <= 0, f"unique_reach_{key}_none")
        by_platform.setdefault(cell.platform, []).append((u, 1.0))
        most[cell.platform] = most.get(cell.platform, 0.0) + points[-1]
    share = m.cells[0].cross_platform_overlap if m.cells else 0.0
    everything = [term for terms in by_platform.values() for term in terms]
    if share <= 0 or len(by_platform) < 2:
        m.kpi_totals["unique_reach"] = _expr(everything)
        return
    bound = max(most.values())
    largest = m._var("unique_reach_largest_platform", 0, bound, pulp.LpContinuous)
    picks = []
    for platform, terms in by_platform.items():
        z = m._var(f"largest_platform_{_safe(platform)}", 0, 1, pulp.LpBinary)
        picks.append((z, 1.0))
        # largest <= W_p + B (1 - z_p)
        m._add(_expr([(largest, 1.0), (z, bound)] + [(v, -c) for v, c in terms]) <= bound,
               f"unique_reach_largest_at_most_{_safe(platform)}")
    m._add(_expr(picks) == 1, "unique_reach_one_largest_platform")
    m.kpi_totals["unique_reach"] = _expr([(v, (1.0 - share) * c) for v, c in everything] + [(largest, share)])


def _spend_terms(m: MixModel, cells: list[Cell]) -> list[tuple[pulp.LpVariable, float]]:
    terms: list[tuple[pulp.LpVariable, float]] = []
    for cell in cells:
        terms.append((m.posts[cell.key], cell.fee_per_post))
        terms.append((m.creators[cell.key], cell.cost_per_creator))
    return terms


def _add_budget(m: MixModel) -> None:
    s = m.scenario
    m.spend_total = _expr(_spend_terms(m, list(m.cells)))
    if s.budget is not None:
        m._add(_expr(_spend_terms(m, list(m.cells))) <= s.budget, "budget", "budget")


def _add_targets(m: MixModel) -> None:
    s = m.scenario
    aov = s.economics.average_order_value or 0.0
    for kpi in ("reach", "impressions", "engagements", "conversions"):
        floor = getattr(s.targets, kpi)
        if floor:
            m._add(_expr([(v, c) for v, c in m.kpi_totals[kpi].items()]) >= floor, f"target_{kpi}")
    if s.targets.revenue:
        m._add(_expr([(v, aov * c) for v, c in m.kpi_totals["conversions"].items()]) >= s.targets.revenue,
               "target_revenue")
    if s.targets.unique_reach:
        m._add(_expr(list(m.kpi_totals["unique_reach"].items())) >= s.targets.unique_reach, "target_unique_reach")
    spend = _spend_terms(m, list(m.cells))
    if s.targets.profit is not None:
        m._add(_expr(_profit_terms(m)) >= s.targets.profit, "target_profit", "target[profit]")
    if s.targets.roi is not None:  # profit >= roi x spend, linear
        terms = _profit_terms(m) + [(v, -s.targets.roi * c) for v, c in spend]
        m._add(_expr(terms) >= 0, "target_roi", "target[roi]")
    ceilings = (("cpa", "conversions", 1.0), ("cpe", "engagements", 1.0), ("cpm", "impressions", 1000.0))
    for name, kpi, per in ceilings:
        limit = getattr(s.limits, name)
        if limit is not None:  # spend <= limit x outcome / per, linear
            terms = spend + [(v, -limit / per * c) for v, c in m.kpi_totals[kpi].items()]
            m._add(_expr(terms) <= 0, f"limit_{name}", f"limit[{name}]")


def _profit_terms(m: MixModel) -> list[tuple[pulp.LpVariable, float]]:
    """Profit as terms: (aov x margin - commission) x conversions - spend."""
    eco = m.scenario.economics
    per_conversion = (eco.average_order_value or 0.0) * eco.margin_rate - eco.commission_per_conversion
    terms = [(v, per_conversion * c) for v, c in m.kpi_totals["conversions"].items()]
    return terms + [(v, -c) for v, c in _spend_terms(m, list(m.cells))]


def _add_bands(m: MixModel) -> None:
    s = m.scenario
    total = _spend_terms(m, list(m.cells))
    for group, attr in (("tier", "tier"), ("platform", "platform")):
        bands = s.rules.tiers if group == "tier" else s.rules.platforms
        for name, band in bands.items():
            members = [c for c in m.cells if getattr(c, attr) == name]
            part = _spend_terms(m, members)
            key = _safe(name)
            if band.min_spend_share is not None:
                terms = part + [(v, -band.min_spend_share * c) for v, c in total]
                m._add(_expr(terms) >= 0, f"{group}_spend_share_min_{key}", f"{group}_spend_share_min[{name}]")
            if band.max_spend_share is not None:
                terms = part + [(v, -band.max_spend_share * c) for v, c in total]
                m._add(_expr(terms) <= 0, f"{group}_spend_share_max_{key}", f"{group}_spend_share_max[{name}]")
            if band.min_budget_share is not None and s.budget is not None:
                m._add(_expr(part) >= band.min_budget_share * s.budget, f"{group}_budget_share_min_{key}",
                       f"{group}_budget_share_min[{name}]")
            if band.max_budget_share is not None and s.budget is not None:
                m._add(_expr(part) <= band.max_budget_share * s.budget, f"{group}_budget_share_max_{key}",
                       f"{group}_budget_share_max[{name}]")
            if band.min_spend is not None:
                m._add(_expr(part) >= band.min_spend, f"{group}_spend_min_{key}", f"{group}_spend_min[{name}]")
            if band.max_spend is not None:
                m._add(_expr(part) <= band.max_spend, f"{group}_spend_max_{key}", f"{group}_spend_max[{name}]")
            count = [(m.creators[c.key], 1.0) for c in members]
            if band.min_creators is not None:
                m._add(_expr(count) >= band.min_creators, f"{group}_creators_min_{key}")
            if band.max_creators is not None:
                m._add(_expr(count) <= band.max_creators, f"{group}_creators_max_{key}")


def _add_capacity_and_cells(m: MixModel) -> None:
    s = m.scenario
    if s.rules.max_creators is not None:
        m._add(_expr([(m.creators[c.key], 1.0) for c in m.cells]) <= s.rules.max_creators, "team_capacity")
    for cell in m.cells:
        rule = s.rules.cells.get(cell.key)
        if rule is None:
            continue
        n = m.creators[cell.key]
        key = _safe(cell.key)
        if rule.lock is not None:
            m._add(_expr([(n, 1.0)]) == rule.lock, f"cell_lock_{key}")
        if rule.min_creators is not None:
            m._add(_expr([(n, 1.0)]) >= rule.min_creators, f"cell_creators_min_{key}")
        if rule.max_creators is not None:
            m._add(_expr([(n, 1.0)]) <= rule.max_creators, f"cell_creators_max_{key}")
        if rule.min_if_used is not None:
            used = m._var(f"used_{key}", 0, 1, pulp.LpBinary)
            m.used[cell.key] = used
            m._add(_expr([(n, 1.0), (used, -float(rule.min_if_used))]) >= 0, f"cell_min_if_used_{key}")
            m._add(_expr([(n, 1.0), (used, -float(cell.accepting_pool))]) <= 0, f"cell_used_switch_{key}")


def _objective(m: MixModel) -> pulp.LpAffineExpression:
    s = m.scenario
    obj = s.objective
    aov = s.economics.average_order_value or 0.0
    if obj.minimize == "spend":
        assert m.spend_total is not None
        return m.spend_total
    goal = obj.maximize
    if goal in CURVED_KPIS or goal == "unique_reach":
        return m.kpi_totals[goal]
    if goal == "value":
        assert obj.value_per_unit
        terms = []
        for kpi, weight in obj.value_per_unit.items():
            if weight > 0 and (kpi in CURVED_KPIS or kpi == "unique_reach"):
                terms += [(v, weight * c) for v, c in m.kpi_totals[kpi].items()]
            elif weight > 0 and kpi == "revenue":
                terms += [(v, weight * aov * c) for v, c in m.kpi_totals["conversions"].items()]
            elif weight > 0 and kpi == "profit":
                terms += [(v, weight * c) for v, c in _profit_terms(m)]
        return _expr(terms)
    conversions = m.kpi_totals["conversions"]
    if goal == "revenue":
        return _expr([(v, aov * c) for v, c in conversions.items()])
    if goal == "profit":
        per_conversion = aov * s.economics.margin_rate - s.economics.commission_per_conversion
        terms = [(v, per_conversion * c) for v, c in conversions.items()]
        terms += [(v, -c) for v, c in _spend_terms(m, list(m.cells))]
        return _expr(terms)
    raise AssertionError(f"unknown goal {goal}")


def _needed_kpis(s: Scenario) -> set[str]:
    needed = {k for k in CURVED_KPIS if getattr(s.targets, k)}
    goal = s.objective.maximize
    if goal in CURVED_KPIS:
        needed.add(goal)
    if goal in ("revenue", "profit") or s.targets.revenue:
        needed.add("conversions")
    if goal == "value" and s.objective.value_per_unit:
        valued = {k for k, w in s.objective.value_per_unit.items() if w > 0}
        needed |= valued & set(CURVED_KPIS)
        needed |= {"conversions"} if valued & {"revenue", "profit"} else set()
    if s.targets.profit is not None or s.targets.roi is not None or s.limits.cpa is not None:
        needed.add("conversions")
    if s.limits.cpe is not None:
        needed.add("engagements")
    if s.limits.cpm is not None:
        needed.add("impressions")
    if (s.targets.unique_reach or goal == "unique_reach"
            or (goal == "value" and (s.objective.value_per_unit or {}).get("unique_reach", 0) > 0)):
        needed |= {"unique_reach", "reach"}
    return needed


def _add_stages(m: MixModel) -> None:
    s = m.scenario
    main = _objective(m)
    if s.objective.minimize == "spend":
        m.stages.append(Stage("least spend", pulp.LpMinimize, main))
    else:
        m.stages.append(Stage(f"most {s.objective.maximize}", pulp.LpMaximize, main))
        assert m.spend_total is not None
        m.stages.append(Stage("least spend for that optimum", pulp.LpMinimize, m.spend_total))
    # A fixed cell order breaks what remains, so equal plans repeat exactly across solvers.
    order = []
    for index, cell in enumerate(m.cells):
        order.append((m.creators[cell.key], float(index + 1)))
        order.append((m.posts[cell.key], 1.0 / (index + 2)))
    m.stages.append(Stage("fixed cell order tie-break", pulp.LpMinimize, _expr(order)))
    m.problem.setObjective(main)


def build_model(scenario: Scenario) -> MixModel:
    """Build the tier-mode model of a validated scenario.

    Examples
    --------
    >>> from mixopt import load_scenario, build_model
    >>> model = build_model(load_scenario("scenarios/hand_solvable.yaml"))  # doctest: +SKIP
    >>> [name for name, _ in model.constraints][:1]  # doctest: +SKIP
    ['posts_at_least_one_per_creator_nano_instagram']
    """
    sense = pulp.LpMinimize if scenario.objective.minimize == "spend" else pulp.LpMaximize
    problem = pulp.LpProblem(_safe(scenario.name) or "mixopt", sense)
    m = MixModel(scenario=scenario, cells=resolve_cells(scenario), problem=problem, creators={}, posts={}, used={})
    _add_decisions(m)
    _add_post_links(m)
    needed = _needed_kpis(scenario)
    _add_outcomes(m, needed)
    if "unique_reach" in needed:
        _add_unique_reach(m)
    _add_budget(m)
    _add_targets(m)
    _add_bands(m)
    _add_capacity_and_cells(m)
    _add_stages(m)
    return m


def add_risk_rules(
    m: MixModel,
    draws: dict[str, Any],
    confidence: float,
) -> None:
    """Make the plan robust with scenario-based CVaR, still a linear model.

    ``draws`` holds sampled assumptions, arrays of shape (samples, cells) in ``m.cells`` order
    (see :func:`mixopt.simulate.draw_parameters`). For each target, the average shortfall over
    the worst ``1 - confidence`` share of samples must be zero (CVaR, a safe stand-in for "met
    with probability ``confidence``"); likewise spend over the budget. Without targets, the goal
    becomes the average of the worst ``1 - confidence`` share of outcomes (a pessimistic goal).
    Each sampled outcome is bounded by its own curve pieces; that stays exact because sampled
    outcomes are only ever rewarded.
    """
    import numpy as np

    s = m.scenario
    samples = next(iter(draws.values())).shape[0]
    tail = max(1.0 - confidence, 1.0 / samples)
    weight = 1.0 / (tail * samples)
    max_posts = np.array([c.max_posts for c in m.cells], dtype=float)
    accepting = np.floor(draws["acceptance_rate"] * draws["pool"] + 1e-9)
    f, r, e, k = draws["typical_followers"], draws["reach_rate"], draws["engagement_rate"], draws["conversion_rate"]
    per_unit = {"reach": f * r, "impressions": f * r, "engagements": f * e, "conversions": f * e * k}
    tops = {"reach": f * r * accepting, "impressions": f * r * accepting * max_posts,
            "engagements": f * e * accepting * max_posts, "conversions": f * e * k * accepting * max_posts}

    def sampled_total(kpi: str, i: int) -> pulp.LpAffineExpression:
        terms = []
        for j, cell in enumerate(m.cells):
            decision = m.creators[cell.key] if kpi == "reach" else m.posts[cell.key]
            coef = float(per_unit[kpi][i, j])
            top = float(tops[kpi][i, j])
            y = m._var(f"risk_{kpi}_s{i:04d}_{_safe(cell.key)}", 0, None, pulp.LpContinuous)
            start, at_start = 0.0, 0.0
            for index, (share, slope) in enumerate(cell.curve):
                m._add(_expr([(y, 1.0), (decision, -slope * coef)]) <= at_start - slope * start,
                       f"risk_{kpi}_curve_s{i:04d}_{_safe(cell.key)}_piece{index + 1}")
                end = share * top
                at_start += slope * (end - start)
                start = end
            terms.append((y, 1.0))
        return _expr(terms)

    totals: dict[tuple[str, int], pulp.LpAffineExpression] = {}

    def total_of(kpi: str, i: int) -> pulp.LpAffineExpression:
        if (kpi, i) not in totals:
            totals[(kpi, i)] = sampled_total(kpi, i)
        return totals[(kpi, i)]

    def cvar_floor(label: str, kpi: str, floor: float, scale: float = 1.0) -> None:
        # CVaR of the shortfall (floor - outcome) at most 0: t + weight * sum(u) <= 0
        t = m._var(f"risk_{label}_threshold", None, None, pulp.LpContinuous)
        tail_terms = [(t, 1.0)]
        for i in range(samples):
            u = m._var(f"risk_{label}_excess_s{i:04d}", 0, None, pulp.LpContinuous)
            terms = [(u, 1.0), (t, 1.0)] + [(v, scale * c) for v, c in total_of(kpi, i).items()]
            m._add(_expr(terms) >= floor, f"risk_{label}_shortfall_s{i:04d}")
            tail_terms.append((u, weight))
        m._add(_expr(tail_terms) <= 0, f"risk_{label}_target_cvar")

    aov = s.economics.average_order_value or 0.0
    for kpi in ("reach", "impressions", "engagements", "conversions"):
        floor = getattr(s.targets, kpi)
        if floor:
            cvar_floor(kpi, kpi, floor)
    if s.targets.unique_reach:
        grids = [risk_unique_grid(cell) for cell in m.cells]
        for i in range(samples):
            totals[("unique_reach", i)] = _risk_unique_reach(m, i, grids, f[i] * r[i], accepting[i],
                                                             lambda i=i: total_of("reach", i))
        cvar_floor("unique_reach", "unique_reach", s.targets.unique_reach)
    if s.targets.revenue and aov:
        cvar_floor("revenue", "conversions", s.targets.revenue, scale=aov)
    if s.budget is not None:
        fee, per_creator = draws["fee_per_post"], draws["product_cost"] + draws["handling_cost"]
        t = m._var("risk_spend_threshold", None, None, pulp.LpContinuous)
        tail_terms = [(t, 1.0)]
        for i in range(samples):
            v = m._var(f"risk_spend_excess_s{i:04d}", 0, None, pulp.LpContinuous)
            terms = [(v, 1.0), (t, 1.0)]
            for j, cell in enumerate(m.cells):
                terms += [(m.posts[cell.key], -float(fee[i, j])), (m.creators[cell.key], -float(per_creator[i, j]))]
            m._add(_expr(terms) >= -s.budget, f"risk_spend_s{i:04d}")
            tail_terms.append((v, weight))
        m._add(_expr(tail_terms) <= 0, "risk_budget_cvar")
    goal = s.objective.maximize
    has_targets = any(getattr(s.targets, k) for k in ("reach", "unique_reach", "impressions", "engagements",
                                                          "conversions", "revenue"))
    if goal in CURVED_KPIS and not has_targets:
        # maximise the average of the worst (1 - confidence) share of outcomes
        t = m._var(f"risk_{goal}_level", None, None, pulp.LpContinuous)
        objective = [(t, 1.0)]
        for i in range(samples):
            u = m._var(f"risk_{goal}_below_s{i:04d}", 0, None, pulp.LpContinuous)
            m._add(_expr([(u, 1.0), (t, -1.0)] + [(v, c) for v, c in total_of(goal, i).items()]) >= 0,
                   f"risk_{goal}_tail_s{i:04d}")
            objective.append((u, -weight))
        main = _expr(objective)
        m.stages[0] = Stage(f"most {goal} in the worst {tail:.0%} of cases", pulp.LpMaximize, main)
        m.problem.setObjective(main)


#: Relative room between the sampled unique reach of a cell and its chords through a grid of whole
#: creator counts (between grid points the chord lies below the concave count: on the safe side).
RISK_UNIQUE_TOLERANCE = 0.002


def risk_unique_grid(cell: Cell) -> list[int]:
    """Whole creator counts ``0 .. accepting pool`` whose chords stay within
    :data:`RISK_UNIQUE_TOLERANCE` of the cell's unique reach at the planning values in between."""
    import numpy as np

    points = np.array(unique_reach_points(cell))
    top = len(points) - 1
    grid, a = [0], 0
    while a < top:
        b = a + 1
        while b < top:  # can the chord from a reach b + 1 and stay close at every count in between?
            c = b + 1
            between = np.arange(a + 1, c)
            chord = points[a] + (points[c] - points[a]) / (c - a) * (between - a)
            if np.all(chord >= (1 - RISK_UNIQUE_TOLERANCE) * points[between]):
                b = c
            else:
                break
        grid.append(b)
        a = b
    return grid


def _risk_unique_reach(m: MixModel, i: int, grids: list[list[int]], per_creator: Any, accepting: Any,
                       reach: Any) -> pulp.LpAffineExpression:
    """Draw ``i``'s unique reach (the safe plan's unique-reach floor), as the plan counts it.

    Per cell, the draw's unique reach at a grid of whole creator counts (:func:`risk_unique_grid`,
    the draw's reach per creator and accepting pool through the cell's curve); a variable below
    the chords through consecutive grid points is at most the true count at every whole count
    (exact at the grid points, within the tolerance between). Across platforms, the draw's
    largest platform is the plan's (its binaries ``largest_platform_*``): a draw in which
    another platform is larger is under-counted, so the floor errs on the safe side.
    """
    import numpy as np

    cells = m.cells
    if all(c.audience == float("inf") for c in cells) and not any(c.cross_platform_overlap for c in cells):
        return reach()
    by_platform: dict[str, list[tuple[pulp.LpVariable, float]]] = {}
    most: dict[str, float] = {}
    for j, cell in enumerate(cells):
        key = _safe(cell.key)
        grid = np.array(grids[j], dtype=float)
        one = float(per_creator[j])
        gross = np.array([apply_curve(cell.curve, one * float(accepting[j]), one * k) for k in grid])
        values = np.array([unique_within_cell(g, one, cell.audience) for g in gross])
        u = m._var(f"risk_unique_reach_s{i:04d}_{key}", 0, float(values[-1]), pulp.LpContinuous)
        n = m.creators[cell.key]
        for k in range(len(grid) - 1):
            slope = (values[k + 1] - values[k]) / (grid[k + 1] - grid[k])
            m._add(_expr([(u, 1.0), (n, -slope)]) <= float(values[k] - slope * grid[k]),
                   f"risk_unique_reach_s{i:04d}_{key}_chord{k}")
        by_platform.setdefault(cell.platform, []).append((u, 1.0))
        most[cell.platform] = most.get(cell.platform, 0.0) + float(values[-1])
    share = cells[0].cross_platform_overlap if cells else 0.0
    everything = [term for terms in by_platform.values() for term in terms]
    picks = {v.name: v for v in m.variables if v.name.startswith("largest_platform_")}
    if share <= 0 or len(by_platform) < 2 or not picks:
        return _expr(everything)
    bound = max(most.values())
    largest = m._var(f"risk_unique_reach_s{i:04d}_largest_platform", 0, bound, pulp.LpContinuous)
    for platform, terms in by_platform.items():
        z = picks[f"largest_platform_{_safe(platform)}"]
        m._add(_expr([(largest, 1.0), (z, bound)] + [(v, -c) for v, c in terms]) <= bound,
               f"risk_unique_reach_s{i:04d}_largest_at_most_{_safe(platform)}")
    return _expr([(v, (1.0 - share) * c) for v, c in everything] + [(largest, share)])
