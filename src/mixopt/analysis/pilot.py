"""Pilot then scale: is a test wave worth it, and which one, judged by simulation.

The question: spend about ``share`` of the budget on a pilot now, measure it, recalibrate and
plan the rest of the budget with what it taught; or commit the whole budget to today's plan?

**Worlds.** ``worlds`` possible truths are drawn from the current belief (the assumptions'
ranges, the shared / cell-average part; see :mod:`mixopt.analysis.pilot_worlds`), seeded.

**Commit now.** The expected-value plan of the scenario (``mixopt solve``), its goal evaluated
in each world.

**Pilot then scale, per world.** (1) The pilot's results are simulated from the world's true
rates; (2) they are calibrated with :func:`mixopt.analysis.calibrate.calibrate` (hierarchical
empirical Bayes, the scenario's own numbers as the prior, exactly what ``mixopt calibrate``
writes), applied with the precedence of ``assumptions_from:`` (a calibrated value is used only
where the scenario sets none); (3) the scale wave is planned with the remaining budget (the
budget minus the pilot's spend), the team capacity ``rules.max_creators`` minus the pilot's
creators and the targets minus what the pilot delivered; (4) pilot plus scale wave are
evaluated together in the world (a cell's diminishing returns on both waves' creators). A world
whose scale wave has no plan keeps the pilot alone (counted in ``scale_without_plan``).

**Choosing the pilot.** A pilot teaches about the cells it books, so it should book the cells
the full plan might use. Candidate cells are those of the expected-value plan and of the plans
that would be best in the first :data:`PROBE_WORLDS` worlds. Candidate pilot designs are the
plan for ``share`` x budget with the scenario's goal (targets dropped: a pilot is a test, every
other rule kept) with at least ``m`` creators in every candidate cell, for ``m`` in
:data:`SPREADS` (0: no spreading); each design runs through the same worlds (the same pilot
results noise per world) and the one with the highest mean goal is kept (ties: the higher P10,
then the first). Designs whose rules leave no plan are reported and skipped.

The value of the pilot is the pilot strategy's mean (and P10) minus commit-now's, over the same
worlds. Deterministic for a seed: the same scenario, share, worlds and seed give the same report.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from mixopt.analysis.calibrate import calibrate
from mixopt.analysis.pilot_worlds import (
    LEARNED,
    draw_worlds,
    goal_in_worlds,
    kpis_in_worlds,
    pilot_results,
    with_truth,
)
from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.cells import Cell, resolve_cells
from mixopt.scenario.schema import (
    Assumption,
    BandRules,
    CellAssumptions,
    CellRules,
    Scenario,
    Targets,
)
from mixopt.solvers.types import SolverOptions
from mixopt.tier.model import build_model
from mixopt.tier.plan import Plan, make_plan, objective_label
from mixopt.tier.solve import solve

__all__ = ["PilotDesign", "PilotStudy", "plan_pilot", "SPREADS", "PROBE_WORLDS", "pilot_scenario",
           "scale_scenario", "scale_settings", "check_share"]

#: Minimum creators per candidate cell of the compared pilot designs (0: the plain share plan).
SPREADS = (0, 1, 2, 3)
#: Worlds whose best full plans name the candidate cells.
PROBE_WORLDS = 8
_VOLUME_TARGETS = ("reach", "impressions", "engagements", "conversions", "revenue")


@dataclass(frozen=True)
class PilotDesign:
    """One candidate pilot: its plan and the whole campaign's goal per world with it."""

    name: str
    min_creators: int
    plan: Plan | None  # None: no plan satisfies the design's rules
    goal: np.ndarray  # per world (empty without a plan)
    scale_without_plan: int = 0


@dataclass(frozen=True)
class PilotStudy:
    """The chosen pilot, the strategies' outcomes over the worlds and what the pilot is worth."""

    scenario: Scenario
    share: float
    worlds: int
    seed: int
    goal_label: str
    pilot: PilotDesign
    designs: tuple[PilotDesign, ...]
    commit: Plan
    commit_goal: np.ndarray
    candidate_cells: tuple[str, ...]
    pilot_budget: float
    remaining_budget: float
    remaining_creators: int | None
    scale_settings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def quantiles(self, values: np.ndarray) -> dict[str, float]:
        p10, p50, p90 = np.quantile(values, [0.1, 0.5, 0.9])
        return {"p10": float(p10), "p50": float(p50), "p90": float(p90), "mean": float(np.mean(values))}

    @property
    def value_mean(self) -> float:
        """What the pilot adds to the mean goal (negative: it costs more than it teaches)."""
        return float(np.mean(self.pilot.goal) - np.mean(self.commit_goal))

    @property
    def value_p10(self) -> float:
        """What the pilot adds to the goal's P10 (the bad worlds)."""
        return self.quantiles(self.pilot.goal)["p10"] - self.quantiles(self.commit_goal)["p10"]


def check_share(share: float, where: str, field_name: str = "--share") -> None:
    """A share of the budget for the pilot: more than 0 and less than 1."""
    if not (isinstance(share, (int, float)) and math.isfinite(share) and 0 < share < 1):
        raise ScenarioError([Issue(where, field_name, "must be a share of the budget above 0 and below 1",
                                   "Give e.g. --share 0.2 for a pilot of 20% of the budget", share)])


def _options(options: SolverOptions, tie_break: bool) -> SolverOptions:
    return dataclasses.replace(options, tie_break=tie_break)


def _solve(scenario: Scenario, options: SolverOptions) -> Plan | None:
    model = build_model(scenario)
    plan = make_plan(model, solve(model, options))
    return plan if plan.status.has_plan and plan.feasible else None


def _mix(plan: Plan | None, cells: tuple[Cell, ...]) -> tuple[np.ndarray, np.ndarray]:
    if plan is None:
        return np.zeros(len(cells)), np.zeros(len(cells))
    creators, posts = plan.creators_and_posts()
    return (np.array([creators.get(c.key, 0) for c in cells], dtype=float),
            np.array([posts.get(c.key, 0) for c in cells], dtype=float))


def _cents_down(value: float) -> float:
    return math.floor(round(value * 100, 6)) / 100


def pilot_scenario(scenario: Scenario, share: float, candidates: tuple[str, ...], min_creators: int) -> Scenario:
    """The pilot's scenario: ``share`` x budget, no targets, ``min_creators`` in every candidate cell."""
    cells = dict(scenario.rules.cells)
    for key in candidates if min_creators > 0 else ():
        rule = cells.get(key) or CellRules()
        if rule.lock is not None:
            continue
        floor = max(rule.min_creators or 0, min_creators)
        if rule.max_creators is not None:
            floor = min(floor, rule.max_creators)
        cells[key] = rule.model_copy(update={"min_creators": floor})
    rules = scenario.rules.model_copy(update={"cells": cells})
    return scenario.model_copy(update={"budget": _cents_down(share * float(scenario.budget or 0.0)),
                                       "targets": Targets(), "rules": rules})


def _less(value: float | int | None, used: float) -> float | int | None:
    if value is None:
        return None
    left = max(value - used, 0)
    return int(round(left)) if isinstance(value, int) else _cents_down(left) if used else value


def _band_left(band: BandRules, creators: int, spend: float) -> BandRules:
    return band.model_copy(update={"max_creators": _less(band.max_creators, creators),
                                   "min_creators": _less(band.min_creators, creators),
                                   "max_spend": _less(band.max_spend, spend), "min_spend": _less(band.min_spend, spend)})


def scale_scenario(scenario: Scenario, pilot: Plan, delivered: dict[str, float] | None = None) -> Scenario:
    """The scale wave's scenario: what the pilot left of the budget, the team capacity, the tier,
    platform and cell creator and spend limits and each cell's pool (its invites are used up), and
    the targets less what the pilot delivered (``delivered``, default the pilot's planned totals)."""
    spend = float(pilot.totals["spend"])
    alloc = pilot.allocation
    used = {f"{r.tier}.{r.platform}": (int(r.creators), float(r.spend), int(r.invites))
            for r in alloc.itertuples(index=False) if r.creators > 0}

    def summed(column: str, value: str) -> tuple[int, float]:
        part = alloc[alloc[column] == value]
        return int(part["creators"].sum()), float(part["spend"].sum())

    rules = scenario.rules
    tiers = {t: _band_left(b, *summed("tier", t)) for t, b in rules.tiers.items()}
    platforms = {q: _band_left(b, *summed("platform", q)) for q, b in rules.platforms.items()}
    cells = dict(rules.cells)
    for key, rule in rules.cells.items():
        n = used.get(key, (0, 0.0, 0))[0]
        cells[key] = rule.model_copy(update={"max_creators": _less(rule.max_creators, n),
                                             "min_creators": _less(rule.min_creators, n), "lock": _less(rule.lock, n)})
    rule_update: dict[str, object] = {"tiers": tiers, "platforms": platforms, "cells": cells}
    if rules.max_creators is not None:
        rule_update["max_creators"] = _less(rules.max_creators, int(round(pilot.totals["creators"])))
    assumptions = dict(scenario.assumptions)
    for cell in pilot.cells:
        if cell.key in used:
            block = assumptions.get(cell.key) or CellAssumptions()
            assumptions[cell.key] = block.model_copy(update={"pool": Assumption(base=float(max(cell.pool -
                                                                                            used[cell.key][2], 0)))})
    update: dict[str, object] = {"budget": _cents_down(float(scenario.budget or 0.0) - spend),
                                 "rules": rules.model_copy(update=rule_update), "assumptions": assumptions}
    delivered = delivered if delivered is not None else pilot.totals
    targets = {k: max(float(getattr(scenario.targets, k)) - float(delivered.get(k, 0.0)), 0.0)
               for k in _VOLUME_TARGETS if getattr(scenario.targets, k) is not None}
    if targets:
        update["targets"] = scenario.targets.model_copy(update=targets)
    return scenario.model_copy(update=update)


def scale_settings(scenario: Scenario, scale: Scenario) -> tuple[str, ...]:
    """The ``--set`` values that turn the scenario into the scale wave's (budget, limits, pools)."""
    out = [f"budget={_number(float(scale.budget or 0.0))}"]
    if scale.rules.max_creators != scenario.rules.max_creators:
        out.append(f"rules.max_creators={scale.rules.max_creators}")
    for group in ("tiers", "platforms", "cells"):
        for key, band in getattr(scale.rules, group).items():
            before = getattr(scenario.rules, group)[key]
            for name, value in band.model_dump(exclude_none=True).items():
                if getattr(before, name) != value:
                    out.append(f"rules.{group}.{key}.{name}={_number(value)}")
    before_cells = {c.key: c for c in resolve_cells(scenario)}
    for cell in resolve_cells(scale):
        if cell.pool != before_cells[cell.key].pool:
            out.append(f"assumptions.{cell.key}.pool={cell.pool}")
    return tuple(out)


def _number(value: float | int) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _recalibrated(scenario: Scenario, cells: tuple[Cell, ...], pilot: Plan, truth: dict[str, np.ndarray],
                  rng: np.random.Generator) -> Scenario:
    """The scenario with the calibration of one world's simulated pilot results as its layer."""
    creators, posts = pilot.creators_and_posts()
    table = pilot_results(scenario, cells, creators, posts, truth, rng)
    estimates = calibrate(table, scenario).estimates
    keys = [c.key for c in cells]
    values = {name: np.full(len(cells), np.nan) for name in LEARNED}
    ranges = {name: np.full((2, len(cells)), np.nan) for name in LEARNED}
    for row in estimates.itertuples(index=False):
        if row.parameter in values:
            j = keys.index(row.cell)
            values[row.parameter][j] = row.base
            ranges[row.parameter][:, j] = (row.low, row.high)
    return with_truth(scenario, cells, values, ranges, only_unset=True)


def _run_design(scenario: Scenario, cells: tuple[Cell, ...], pilot: Plan, truths: dict[str, np.ndarray],
                seed: int, options: SolverOptions) -> tuple[np.ndarray, int]:
    """The whole campaign's goal per world with this pilot, and the worlds whose scale wave had no plan."""
    count = truths[LEARNED[0]].shape[0]
    n_pilot, p_pilot = _mix(pilot, cells)
    delivered = kpis_in_worlds(scenario, cells, n_pilot[None, :], p_pilot[None, :], truths)
    n_all, p_all = np.zeros((count, len(cells))), np.zeros((count, len(cells)))
    failed = 0
    for i in range(count):
        truth = {name: truths[name][i] for name in LEARNED}
        rng = np.random.default_rng((seed, i, 1))
        learned = _recalibrated(scenario, cells, pilot, truth, rng)
        scale = _solve(scale_scenario(learned, pilot, {k: float(v[i]) for k, v in delivered.items()}), options)
        failed += scale is None
        n_scale, p_scale = _mix(scale, cells)
        n_all[i], p_all[i] = n_pilot + n_scale, p_pilot + p_scale
    return goal_in_worlds(scenario, kpis_in_worlds(scenario, cells, n_all, p_all, truths)), failed


def _candidates(scenario: Scenario, cells: tuple[Cell, ...], commit: Plan, worlds: dict[str, np.ndarray],
                options: SolverOptions) -> tuple[str, ...]:
    used = {k for k, v in commit.creators_and_posts()[0].items() if v > 0}
    for i in range(min(PROBE_WORLDS, worlds[LEARNED[0]].shape[0])):
        best = _solve(with_truth(scenario, cells, {name: worlds[name][i] for name in LEARNED}), options)
        if best is not None:
            used |= {k for k, v in best.creators_and_posts()[0].items() if v > 0}
    return tuple(c.key for c in cells if c.key in used)


def _supported(scenario: Scenario) -> None:
    file = scenario.source_file
    if scenario.roster is not None:
        raise ScenarioError([Issue(file, "roster", "'mixopt pilot' plans tier scenarios only (not supported yet for "
                                   "a roster)", f"Plan a roster scenario with 'mixopt solve {file}'")])
    if scenario.objective.minimize is not None:
        raise ScenarioError([Issue(file, "objective", "'mixopt pilot' needs a goal to maximise (a pilot of a "
                                   "least-cost plan is not supported yet)", "Use e.g. 'objective: {maximize: "
                                   "conversions}'", "minimize: spend")])
    if scenario.budget is None or scenario.budget <= 0:
        raise ScenarioError([Issue(file, "budget", "a pilot spends a share of the budget, and there is none",
                                   "Set a budget, e.g. 'budget: 40000'", scenario.budget)])


def plan_pilot(scenario: Scenario, share: float, options: SolverOptions, *, worlds: int = 40, seed: int = 0,
               truths: dict[str, np.ndarray] | None = None) -> PilotStudy:
    """Choose a pilot of about ``share`` of the budget and compare pilot-then-scale with committing now.

    ``truths`` (optional; per learned rate a (worlds, cells) array of true cell averages) replaces
    the drawn worlds for the comparison; the pilot is still chosen over ``worlds`` drawn worlds.

    Raises
    ------
    ScenarioError
        A roster or least-cost scenario, no budget, a share outside (0, 1), or no pilot plan.
    """
    _supported(scenario)
    check_share(share, "(command line)")
    if worlds < 1:
        raise ScenarioError([Issue("(command line)", "--worlds", "must be at least 1", "Give e.g. --worlds 40",
                                   worlds)])
    cells = resolve_cells(scenario)
    fast = _options(options, tie_break=False)
    commit = _solve(scenario, options)
    if commit is None:
        raise ScenarioError([Issue(scenario.source_file, "rules", "no plan satisfies every rule, so there is no "
                                   "plan to pilot", f"Run 'mixopt solve {scenario.source_file}' for the diagnosis")])
    drawn = draw_worlds(scenario, cells, worlds, seed)
    candidates = _candidates(scenario, cells, commit, drawn, fast)
    designs, notes = [], []
    seen: set[tuple[tuple[str, int], ...]] = set()
    for m in SPREADS:
        name = "focused" if m == 0 else f"spread {m}+"
        plan = _solve(pilot_scenario(scenario, share, candidates, m), options)
        if plan is None or plan.totals["creators"] <= 0:
            notes.append(f"pilot design '{name}' (at least {m} creators in each of {len(candidates)} cells): no "
                         "plan within the pilot budget and rules")
            designs.append(PilotDesign(name, m, None, np.zeros(0)))
            continue
        mix = tuple(sorted(plan.creators_and_posts()[0].items()))
        if mix in seen:
            notes.append(f"pilot design '{name}' books the same creators as an earlier design")
            continue
        seen.add(mix)
        goal, failed = _run_design(scenario, cells, plan, drawn, seed, fast)
        designs.append(PilotDesign(name, m, plan, goal, failed))
    usable = [d for d in designs if d.plan is not None]
    if not usable:
        raise ScenarioError([Issue("(command line)", "--share", f"{share:g} of the budget "
                                   f"({_cents_down(share * float(scenario.budget or 0)):,.2f}) buys no pilot under "
                                   "this scenario's rules", "Raise --share, e.g. --share 0.3", share)])
    best = max(usable, key=lambda d: (round(float(np.mean(d.goal)), 9), round(float(np.quantile(d.goal, 0.1)), 9),
                                      -usable.index(d)))
    n_commit, p_commit = _mix(commit, cells)
    if truths is None:
        commit_goal, chosen = goal_in_worlds(scenario, kpis_in_worlds(scenario, cells, n_commit[None, :],
                                                                      p_commit[None, :], drawn)), best
    else:
        commit_goal = goal_in_worlds(scenario, kpis_in_worlds(scenario, cells, n_commit[None, :], p_commit[None, :],
                                                              truths))
        assert best.plan is not None
        goal, failed = _run_design(scenario, cells, best.plan, truths, seed, fast)
        chosen = dataclasses.replace(best, goal=goal, scale_without_plan=failed)
    if chosen.scale_without_plan:
        notes.append(f"in {chosen.scale_without_plan} of {len(chosen.goal)} worlds the scale wave had no plan "
                     "(the pilot alone counts there)")
    assert chosen.plan is not None
    scale = scale_scenario(scenario, chosen.plan)
    return PilotStudy(scenario=scenario, share=share, worlds=len(commit_goal), seed=seed,
                      goal_label=objective_label(scenario), pilot=chosen, designs=tuple(designs), commit=commit,
                      commit_goal=commit_goal, candidate_cells=candidates,
                      pilot_budget=_cents_down(share * float(scenario.budget or 0.0)),
                      remaining_budget=float(scale.budget or 0.0), remaining_creators=scale.rules.max_creators,
                      scale_settings=scale_settings(scenario, scale),
                      notes=tuple(notes))
