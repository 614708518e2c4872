"""Property-based tests of the tier-mode pipeline (Hypothesis).

Valid scenarios are generated as plain dicts (as a notebook or a YAML file would give them)
and must pass ``scenario_from_dict``. For every one of them:

(a) ``optimize`` raises nothing but ``MixoptError`` subclasses;
(b) a returned plan with a plan status passes the independent rule check, in whole
    creators and posts, and an exact solve without a deadline ends optimal or infeasible;
(c) raising the budget never lowers a maximised optimum (nor raises a least spend);
(d) HiGHS and CBC reach the same objective value;
(e) ``model_dump`` -> ``scenario_from_dict`` (and a YAML file) gives the same scenario back;
and the optimum the solver reports equals the objective recomputed from the plan.

Broken scenarios (wrong types, negative numbers, unknown keys, out-of-range rates) must
raise ``ScenarioError`` whose every line names the file and a field path, and a scenario
broken in several places names every place at once.

The CI profile runs a fixed (derandomized) set of about 650 examples in ~15 s;
``MIXOPT_LONG_TESTS=1`` scales every property up 200x with fresh random examples (see
tests/conftest.py). The last section pins the library bugs these properties found, each as
a strict xfail with its minimal reproduction.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import mixopt
from mixopt import (
    MixoptError,
    ScenarioError,
    SolverOptions,
    SolveStatus,
    optimize,
    scenario_from_dict,
)
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.outcomes import apply_curve

# ----------------------------------------------------------------------------- budgets

#: MIXOPT_LONG_TESTS=1 selects the "long" profile in tests/conftest.py.
LONG = bool(os.environ.get("MIXOPT_LONG_TESTS"))
#: Examples per property in the loaded profile (100 in "ci", 20,000 in "long").
PROFILE_EXAMPLES = settings().max_examples
#: CI draws the same examples on every run (a red build is reproducible and a strict xfail is
#: stable); the long profile explores new random examples each time.
DERANDOMIZE = not LONG
#: CBC runs as a subprocess (~20-50 ms per solve), so its property gets a quarter.
CBC_EXAMPLES = max(10, PROFILE_EXAMPLES // 4)
#: Monotonicity solves twice per example.
PAIR_EXAMPLES = max(10, PROFILE_EXAMPLES // 2)
#: The recomputed objective: half, as (a) already solves a full profile drawn by the same generator.
RECOMPUTED_EXAMPLES = max(10, PROFILE_EXAMPLES // 2)

# ----------------------------------------------------------------------------- fenced regions
# A flag set to False keeps the generators out of one reported bug's region while the bug is
# pinned by a strict xfail test below. Both bugs found so far are fixed, so both flags are True
# and the properties cover those regions too.

#: 'maximize: value' without a positive conversions weight (was a KeyError in model._objective).
VALUE_BLEND_MAY_OMIT_CONVERSIONS = True
#: An out-of-range rate under a key that more specific keys override everywhere (was accepted).
SHADOWED_VALUES_ARE_CHECKED = True

# ----------------------------------------------------------------------------- generators

TIER_BANDS: dict[str, tuple[int, int]] = {"pico": (0, 1_000), "nano": (1_000, 10_000), "micro": (10_000, 100_000)}
PLATFORMS = ("instagram", "tiktok", "youtube")
CURVED = ("reach", "impressions", "engagements", "conversions")
MAXIMISE = ("reach", "impressions", "engagements", "conversions", "revenue", "profit", "value")

#: Sane ranges for overrides: (low, high, decimal places).
RANGES: dict[str, tuple[float, float, int]] = {
    "reach_rate": (0.01, 2.0, 3),
    "engagement_rate": (0.001, 0.2, 4),
    "conversion_rate": (0.001, 0.1, 4),
    "fee_per_post": (0, 2_000, 1),
    "product_cost": (0, 300, 1),
    "handling_cost": (0, 300, 1),
    "acceptance_rate": (0.05, 1.0, 2),
}
INT_RANGES: dict[str, tuple[int, int]] = {"pool": (1, 400), "max_posts": (1, 5)}
#: KPIs a scenario can set a floor on.
TARGET_KPIS = ("reach", "impressions", "engagements", "conversions", "revenue")


def num(low: float, high: float, places: int = 2) -> st.SearchStrategy[float]:
    """A decimal number in [low, high] with ``places`` decimals (plain values a planner writes)."""
    scale = 10**places
    return st.integers(math.ceil(low * scale), math.floor(high * scale)).map(lambda i: i / scale)


@st.composite
def curves(draw: st.DrawFn) -> list[list[float]]:
    """A valid diminishing-returns curve: rising end shares in (0, 1], first slope 1, slopes not rising."""
    shares = draw(st.lists(st.integers(1, 100), min_size=1, max_size=4, unique=True))
    shares.sort()
    slopes = [1.0]
    for _ in shares[1:]:
        slopes.append(draw(st.integers(0, round(slopes[-1] * 100))) / 100)
    return [[share / 100, slope] for share, slope in zip(shares, slopes)]


def curve_setting() -> st.SearchStrategy[Any]:
    return st.one_of(st.just("none"), curves())


@st.composite
def assumption_value(draw: st.DrawFn, low: float, high: float, places: int, whole: bool = False) -> Any:
    """A bare number, or {base, low, high} with low <= base <= high."""
    value = draw(st.integers(int(low), int(high))) if whole else draw(num(low, high, places))
    if draw(st.booleans()):
        return value
    out: dict[str, Any] = {"base": value}
    if draw(st.booleans()):
        out["low"] = value * draw(num(0.3, 1.0, 2))
    if draw(st.booleans()):
        out["high"] = value * draw(num(1.0, 3.0, 2))
    return out


@st.composite
def assumption_block(draw: st.DrawFn, tier: str | None) -> dict[str, Any]:
    """Overrides for one tier, platform or cell. ``tier`` is None for a platform-wide block
    (typical followers must lie in one tier's band, so platform blocks never set them)."""
    block: dict[str, Any] = {}
    names = list(RANGES) + list(INT_RANGES) + (["typical_followers"] if tier else [])
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=5)):
        if name in RANGES:
            block[name] = draw(assumption_value(*RANGES[name]))
        elif name in INT_RANGES:
            block[name] = draw(assumption_value(*INT_RANGES[name], 0, whole=True))
        else:
            assert tier is not None
            lo, hi = TIER_BANDS[tier]
            block[name] = draw(st.integers(max(lo, 50), hi - 1))
    if draw(st.integers(0, 5)) == 0:
        block["engagement_rate_per"] = draw(st.sampled_from(["followers", "views"]))
    if draw(st.integers(0, 5)) == 0:
        # A cell block takes a list only ('none' is top-level only); [[1.0, 1.0]] is a straight line.
        block["diminishing_returns"] = draw(st.one_of(st.just([[1.0, 1.0]]), curves()))
    return block


@st.composite
def band_rules(draw: st.DrawFn, budget: float | None, share_cap: float) -> dict[str, Any]:
    """A spend / creator band: every min <= its max, min_spend within the budget."""
    band: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        band["min_spend_share"] = draw(num(0, share_cap, 2))
    if draw(st.integers(0, 2)) == 0:
        band["max_spend_share"] = draw(num(band.get("min_spend_share", 0), 1, 2))
    if draw(st.integers(0, 4)) == 0:
        band["min_spend"] = draw(num(0, min(budget if budget is not None else 20_000, 20_000) / 4, 0))
    if draw(st.integers(0, 4)) == 0:
        band["max_spend"] = band.get("min_spend", 0) + draw(num(0, 40_000, 0))
    if draw(st.integers(0, 4)) == 0:
        band["min_creators"] = draw(st.integers(0, 8))
    if draw(st.integers(0, 4)) == 0:
        band["max_creators"] = band.get("min_creators", 0) + draw(st.integers(0, 60))
    return band


@st.composite
def cell_rules(draw: st.DrawFn, accepting: int) -> dict[str, Any]:
    """A lock, or any of min / max / min_if_used (a locked cell takes no other rule); locks and
    minimums within the cell's accepting pool, min_if_used at most the cell's max."""
    if draw(st.integers(0, 3)) == 0:
        return {"lock": draw(st.integers(0, min(accepting, 4)))}
    rule: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        rule["min_creators"] = draw(st.integers(0, min(accepting, 3)))
    if draw(st.booleans()):
        rule["max_creators"] = rule.get("min_creators", 0) + draw(st.integers(0, 30))
    if draw(st.booleans()):
        rule["min_if_used"] = draw(st.integers(1, min(10, rule.get("max_creators", 10)) or 1))
        if rule["min_if_used"] > rule.get("max_creators", math.inf):
            del rule["min_if_used"]
    return rule


@st.composite
def objectives(draw: st.DrawFn, kind: str | None) -> dict[str, Any]:
    goal = kind or draw(st.sampled_from([*MAXIMISE, "min_spend"]))
    if goal == "min_spend":
        return {"minimize": "spend"}
    if goal != "value":
        return {"maximize": goal}
    kpis = draw(st.lists(st.sampled_from(CURVED), min_size=1, max_size=4, unique=True))
    if not VALUE_BLEND_MAY_OMIT_CONVERSIONS and "conversions" not in kpis:
        kpis.append("conversions")
    weights = {}
    for kpi in kpis:
        low = 0.0 if VALUE_BLEND_MAY_OMIT_CONVERSIONS else 0.0001
        weights[kpi] = draw(num(low, {"conversions": 100.0}.get(kpi, 0.1), 4))
    return {"maximize": "value", "value_per_unit": weights}


def _resolved_cells(d: dict[str, Any]) -> tuple[Any, ...]:
    """The cells a scenario dict describes (numbers after defaults and overrides)."""
    probe = {k: d[k] for k in ("tiers", "platforms", "assumptions", "diminishing_returns") if k in d}
    try:
        return resolve_cells(scenario_from_dict({**probe, "budget": 1.0}))
    except ScenarioError as err:  # pragma: no cover - a generator or checks bug
        pytest.fail(f"generated assumptions were rejected:\n{err}\n{probe!r}")


def _most(cells: tuple[Any, ...], kpi: str) -> float:
    """The most of a KPI all accepting creators could deliver (each cell full, after its curve)."""
    return sum(apply_curve(c.curve, c.max_linear(kpi), c.max_linear(kpi)) for c in cells)


@st.composite
def scenario_dicts(draw: st.DrawFn, objective: str | None = None, need_budget: bool = False) -> dict[str, Any]:
    """A valid tier-mode scenario as a plain dict.

    ``objective``: one of MAXIMISE, "min_spend", "maximize" (any maximise goal) or None (any).
    Targets are drawn as shares of what the accepting pools could deliver and cell rules within
    the accepting pools, so that the scenario passes every meaning check.
    """
    if objective == "maximize":
        objective = draw(st.sampled_from(MAXIMISE))
    obj = draw(objectives(objective))
    minimise = "minimize" in obj
    d: dict[str, Any] = {"name": "generated", "objective": obj}

    budget: float | None = None
    if not minimise or need_budget or draw(st.booleans()):
        if draw(st.integers(0, 4)) == 0:  # any budget, down to 0 (Hypothesis favours the small end)
            budget = float(draw(st.one_of(st.integers(0, 100_000), num(0, 100_000, 2))))
        else:  # a working budget
            budget = float(draw(st.integers(2_000, 100_000)))
        d["budget"] = budget

    tiers = draw(st.lists(st.sampled_from(list(TIER_BANDS)), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        d["tiers"] = {t: list(TIER_BANDS[t]) for t in tiers}
    else:
        tiers = list(TIER_BANDS)
    platforms = draw(st.lists(st.sampled_from(PLATFORMS), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        d["platforms"] = platforms
    else:
        platforms = list(PLATFORMS)
    cell_keys = [f"{t}.{p}" for t in tiers for p in platforms]

    # Assumptions: overrides per tier, platform or cell; curves.
    assumptions: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from([*tiers, *platforms, *cell_keys]), unique=True, max_size=4)):
        tier = key.split(".")[0] if key.split(".")[0] in TIER_BANDS else None
        block = draw(assumption_block(tier))
        if block:
            assumptions[key] = block
    if assumptions:
        d["assumptions"] = assumptions
    curve = draw(st.one_of(st.none(), curve_setting()))
    if curve is not None:
        d["diminishing_returns"] = curve
    cells = {c.key: c for c in _resolved_cells(d)}

    # Targets: a share of the most the pools could deliver (small shares are the common case).
    economics: dict[str, Any] = {}
    if obj.get("maximize") in ("revenue", "profit") or draw(st.integers(0, 3)) == 0:
        economics["average_order_value"] = draw(num(1, 200, 2))
    wanted = draw(st.lists(st.sampled_from(list(TARGET_KPIS)), unique=True, max_size=3 if minimise else 2))
    if not minimise and draw(st.integers(0, 2)) > 0:
        wanted = []  # most maximise scenarios carry no floor
    if minimise and not wanted:
        wanted = [draw(st.sampled_from(list(TARGET_KPIS)))]
    targets: dict[str, float] = {}

    def most(kpi: str) -> float:
        if kpi == "revenue":
            return economics["average_order_value"] * _most(tuple(cells.values()), "conversions")
        return _most(tuple(cells.values()), kpi)

    for kpi in wanted:
        if kpi == "revenue" and "average_order_value" not in economics:
            economics["average_order_value"] = draw(num(1, 200, 2))
        share = draw(st.one_of(num(0, 0.01, 5), num(0, 0.05, 4), num(0, 1, 3)))
        targets[kpi] = math.floor(share * most(kpi) * 100) / 100
    if minimise and not any(targets.values()):
        targets[wanted[0]] = math.floor(most(wanted[0]) * 10) / 100  # a tenth of the most: above 0
        if not targets[wanted[0]]:  # no creator would accept anywhere: nothing to buy, so maximise
            d["objective"] = obj = {"maximize": "reach"}
            minimise = False
            if budget is None:
                budget = d["budget"] = 20_000.0  # above any min_spend drawn without a budget
    if targets:
        d["targets"] = targets
    if "average_order_value" in economics:
        aov = economics["average_order_value"]
        margin = None
        if draw(st.booleans()):
            margin = draw(num(0.05, 1, 2))
            economics["margin_rate"] = margin
        if draw(st.booleans()):
            kept = aov * (margin if margin is not None else 1.0)
            economics["commission_per_conversion"] = draw(num(0, kept, 2))
        d["economics"] = economics

    # Rules.
    rules: dict[str, Any] = {}
    if draw(st.booleans()):
        rules["max_creators"] = draw(st.integers(0, 120))
    floor_creators = 0  # the team cap must leave room for every minimum and lock
    for group, names in (("tiers", tiers), ("platforms", platforms)):
        chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=min(2, len(names))))
        bands = {}
        for name in chosen:
            band = draw(band_rules(budget, 1.0 / len(chosen)))
            if band:
                bands[name] = band
                floor_creators = max(floor_creators, band.get("min_creators", 0))
        if bands:
            rules[group] = bands
    cell_rule_map = {}
    for key in draw(st.lists(st.sampled_from(cell_keys), unique=True, max_size=2)):
        rule = draw(cell_rules(cells[key].accepting_pool))
        if rule:
            cell_rule_map[key] = rule
            floor_creators = max(floor_creators, rule.get("min_creators", 0))
    if cell_rule_map:
        rules["cells"] = cell_rule_map
        floor_creators = max(floor_creators, sum(r.get("lock", 0) for r in cell_rule_map.values()))
    if "max_creators" in rules:
        rules["max_creators"] = max(rules["max_creators"], floor_creators)
    if rules:
        d["rules"] = rules

    if draw(st.integers(0, 4)) == 0:
        baseline = {}
        for key in draw(st.lists(st.sampled_from(cell_keys), unique=True, min_size=1, max_size=3)):
            creators = draw(st.integers(0, 20))
            baseline[key] = {"creators": creators, "posts": creators + draw(st.integers(0, 20))}
        d["baseline"] = baseline
    return d


def _valid(d: dict[str, Any]) -> mixopt.Scenario:
    """Validate a generated dict; the generator only makes valid scenarios, so this must pass."""
    note(f"scenario dict: {d!r}")
    try:
        return scenario_from_dict(d)
    except ScenarioError as err:  # pragma: no cover - a generator or checks bug
        pytest.fail(f"a valid generated scenario was rejected:\n{err}\n{d!r}")


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


# ----------------------------------------------------------------------------- (a) + (b)


@settings(derandomize=DERANDOMIZE)
@given(scenario_dicts())
def test_optimize_raises_only_mixopt_errors_and_every_plan_passes_the_check(d: dict[str, Any]) -> None:
    scenario = _valid(d)
    try:
        plan = optimize(scenario, explain=False)
    except MixoptError:
        return
    # Any other exception propagates and fails the property, which is the point of (a).
    note(f"status {plan.status.value}, objective {plan.objective_value}, notes {plan.notes!r}")
    # Exact (gap 0) tier-mode solve without a deadline: proven optimal or proven without a plan.
    assert plan.status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED), (
        plan.status, plan.notes)
    if not plan.status.has_plan:
        return
    assert plan.checks, "a plan must carry its rule checks"
    broken = [(c.rule, c.value, c.sense, c.limit) for c in plan.checks if not c.holds]
    assert plan.feasible and not broken, broken
    for column in ("creators", "posts"):
        values = plan.allocation[column].tolist()
        assert all(isinstance(v, int) or float(v).is_integer() for v in values), (column, values)
        assert all(v >= 0 for v in values), (column, values)
    creators, posts = plan.creators_and_posts()
    for cell in plan.cells:
        n, p = creators[cell.key], posts[cell.key]
        assert n <= p <= cell.max_posts * n and n <= cell.accepting_pool, (cell.key, n, p)
    assert plan.objective_value is not None and math.isfinite(plan.objective_value)
    if scenario.budget is not None:
        assert plan.totals["spend"] <= scenario.budget * (1 + 1e-9) + 1e-6


@settings(max_examples=RECOMPUTED_EXAMPLES, derandomize=DERANDOMIZE)
@given(scenario_dicts())
def test_the_solvers_objective_is_the_plans_recomputed_objective(d: dict[str, Any]) -> None:
    """The optimum the solver reports equals the objective recomputed from the plan's mix by the
    formulas (make_plan notes any difference). With an exact solve a difference means the model
    and the formulas disagree, or a tie-break stage found a better plan than the "optimum"."""
    plan = optimize(_valid(d), explain=False)
    note(f"status {plan.status.value}, objective {plan.objective_value}, notes {plan.notes!r}")
    assert not [n for n in plan.notes if "differs from the recomputed" in n], plan.notes


# ----------------------------------------------------------------------------- (c)

_QUICK = SolverOptions(tie_break=False)  # the objective value does not depend on the tie-break stages


@settings(max_examples=PAIR_EXAMPLES, derandomize=DERANDOMIZE)
@given(scenario_dicts(need_budget=True), st.one_of(num(0, 5_000, 0), num(1.0, 3.0, 2).map(lambda f: -f)))
def test_raising_the_budget_never_worsens_the_optimum(d: dict[str, Any], raise_by: float) -> None:
    low = _valid(d)
    assert low.budget is not None
    # raise_by >= 0 adds that much; a negative value -f multiplies the budget by f.
    higher = low.budget + raise_by if raise_by >= 0 else low.budget * -raise_by
    high = _valid({**d, "budget": higher})
    plan_low = optimize(low, _QUICK, explain=False)
    plan_high = optimize(high, _QUICK, explain=False)
    note(f"budget {low.budget} -> {higher}: {plan_low.status.value} {plan_low.objective_value} -> "
         f"{plan_high.status.value} {plan_high.objective_value}")
    if not plan_low.status.has_plan:
        return
    assert plan_high.status.has_plan, "a plan within the lower budget also fits the higher one"
    assert plan_low.status is plan_high.status is SolveStatus.OPTIMAL  # exact: gap 0
    lo, hi = plan_low.objective_value, plan_high.objective_value
    assert lo is not None and hi is not None
    tol = 1e-6 * max(1.0, abs(lo))
    if low.objective.minimize == "spend":
        assert hi <= lo + tol
    else:
        assert hi >= lo - tol


# ----------------------------------------------------------------------------- (d)


@settings(max_examples=CBC_EXAMPLES, derandomize=DERANDOMIZE)
@given(scenario_dicts())
def test_highs_and_cbc_reach_the_same_optimum(d: dict[str, Any]) -> None:
    scenario = _valid(d)
    highs = optimize(scenario, SolverOptions(solver="highs", tie_break=False), explain=False)
    cbc = optimize(scenario, SolverOptions(solver="cbc", tie_break=False), explain=False)
    note(f"highs {highs.status.value} {highs.objective_value} {highs.notes!r}; "
         f"cbc {cbc.status.value} {cbc.objective_value} {cbc.notes!r}")
    assert highs.status.has_plan == cbc.status.has_plan
    if highs.status.has_plan:
        assert highs.status is cbc.status is SolveStatus.OPTIMAL
        assert highs.objective_value is not None and cbc.objective_value is not None
        assert _close(highs.objective_value, cbc.objective_value)


# ----------------------------------------------------------------------------- (e)


@settings(derandomize=DERANDOMIZE)
@given(scenario_dicts())
def test_model_dump_round_trip_keeps_the_scenario(d: dict[str, Any]) -> None:
    scenario = _valid(d)
    dumps = {
        "python": scenario.model_dump(),
        "json": scenario.model_dump(mode="json"),
        "exclude_none": scenario.model_dump(exclude_none=True),
        "exclude_defaults": scenario.model_dump(exclude_defaults=True),
    }
    for label, dump in dumps.items():
        again = scenario_from_dict(dump)
        # source_file and content_hash are provenance (excluded from dumps), not content.
        expected = scenario.model_copy(update={"source_file": again.source_file, "content_hash": again.content_hash})
        assert again == expected, label
        assert again.model_dump() == scenario.model_dump(), label
    # Through a YAML file, as the command line reads it.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roundtrip.yaml"
        path.write_text(yaml.safe_dump(dumps["json"], sort_keys=False), encoding="utf-8")
        loaded = mixopt.load_scenario(path)
    assert loaded.model_dump() == scenario.model_dump()


# ----------------------------------------------------------------------------- broken scenarios

FILE = "broken.yaml"
_SEGMENT = r"[A-Za-z_][A-Za-z0-9_\-]*"
_PATH = rf"{_SEGMENT}(?:\.{_SEGMENT}|\[\d+\])*"
_LINE = re.compile(rf"^{re.escape(FILE)}: (?P<path>{_PATH}): \S")

#: Mapping nodes with fixed field names, where any other key is unknown.
_MODEL_NODES = ("", "objective", "targets", "economics", "rules", "solver")


def _path_text(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _leaves(v, (*path, i))]
    return [(path, data)]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _related(a: str, b: str) -> bool:
    """True when one field path is the other or lies inside it."""
    short, long = sorted((a, b), key=len)
    return long == short or long.startswith(short + ".") or long.startswith(short + "[")


_WRONG_FOR_NUMBER = st.one_of(
    st.sampled_from(["12%", "1,000", "abc", "", "5k", "0.5"]), st.booleans(), st.just([1, 2]), st.just({"x": 1}),
)
_WRONG_FOR_TEXT = st.one_of(st.integers(-5, 5), st.booleans(), st.just(["reach"]), st.just({"x": 1}))
_UNKNOWN_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
    lambda k: k[0] != "_")
_RATE_BAD = {
    "acceptance_rate": st.one_of(st.just(0.0), num(1.01, 100, 2)),
    "engagement_rate": st.one_of(st.just(0.0), num(1.01, 100, 2)),
    "conversion_rate": st.one_of(st.just(0.0), num(1.01, 100, 2)),
    "reach_rate": st.one_of(st.just(0.0), num(10.01, 1_000, 2)),
}


@st.composite
def mutation(draw: st.DrawFn, d: dict[str, Any], kinds: tuple[str, ...]) -> tuple[str, tuple[Any, ...], Any]:
    """One breaking change to scenario dict ``d``: (kind, path, value). Unknown keys are new paths."""
    kind = draw(st.sampled_from(kinds))
    leaves = _leaves(d)
    if kind == "wrong_type":
        path, value = draw(st.sampled_from(leaves))
        return kind, path, draw(_WRONG_FOR_NUMBER if _is_number(value) else _WRONG_FOR_TEXT)
    if kind == "negative":
        numeric = [(p, v) for p, v in leaves if _is_number(v)]
        path, value = draw(st.sampled_from(numeric))  # every generated scenario has a number
        return kind, path, -(abs(value) + draw(num(0.01, 1_000, 2)))
    if kind == "unknown_key":
        node = draw(st.sampled_from([n for n in _MODEL_NODES if n == "" or n in d]))
        parent = tuple(node.split(".")) if node else ()
        here = d
        for part in parent:
            here = here[part]
        key = draw(_UNKNOWN_KEY.filter(lambda k: k not in _known_fields(node)))
        return kind, (*parent, key), draw(st.one_of(st.integers(0, 9), st.just("x")))
    assert kind == "bad_rate"
    rate = draw(st.sampled_from(list(_RATE_BAD) + ["margin_rate", "min_spend_share", "max_spend_share", "mip_gap"]))
    if rate == "margin_rate":
        return kind, ("economics", "margin_rate"), draw(num(1.01, 50, 2))
    if rate == "mip_gap":
        return kind, ("solver", "mip_gap"), draw(num(1.01, 50, 2))
    if rate in ("min_spend_share", "max_spend_share"):
        group = draw(st.sampled_from(["tiers", "platforms"]))
        names = list(d.get(group, TIER_BANDS if group == "tiers" else PLATFORMS))
        return kind, ("rules", group, draw(st.sampled_from(names)), rate), draw(num(1.01, 50, 2))
    tiers = list(d.get("tiers", TIER_BANDS))
    platforms = list(d.get("platforms", PLATFORMS))
    keys = [*tiers, *platforms, *(f"{t}.{p}" for t in tiers for p in platforms)]
    if not SHADOWED_VALUES_ARE_CHECKED:
        keys = [k for k in keys if not _shadowed(d, k, rate, tiers, platforms)] or [f"{tiers[0]}.{platforms[0]}"]
    key = draw(st.sampled_from(keys))
    return kind, ("assumptions", key, rate), draw(_RATE_BAD[rate])


def _shadowed(d: dict[str, Any], key: str, name: str, tiers: list[str], platforms: list[str]) -> bool:
    """True when every cell under ``key`` takes ``name`` from a more specific key
    (precedence, lowest first: tier, platform, cell)."""
    given = {k for k, block in d.get("assumptions", {}).items() if name in block}
    if key in tiers:
        return all(p in given or f"{key}.{p}" in given for p in platforms)
    if key in platforms:
        return all(f"{t}.{key}" in given for t in tiers)
    return False


def _known_fields(node: str) -> set[str]:
    model = {
        "": mixopt.Scenario,
        "objective": mixopt.scenario.Objective,
        "targets": mixopt.scenario.Targets,
        "economics": mixopt.scenario.Economics,
        "rules": mixopt.scenario.Rules,
        "solver": mixopt.scenario.SolverSettings,
    }[node]
    return set(model.model_fields)


def _apply(d: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set ``path`` to ``value``, creating mappings on the way."""
    here = d
    for part in path[:-1]:
        if isinstance(here, dict) and part not in here:
            here[part] = {}
        here = here[part]
    here[path[-1]] = value


def _note(text: str) -> None:
    """hypothesis.note, also usable from a plain test (where it is a no-op)."""
    try:
        note(text)
    except InvalidArgument:
        pass


def _assert_scenario_error(d: dict[str, Any], mutated: list[str]) -> ScenarioError:
    _note(f"broken dict: {d!r}")
    try:
        scenario_from_dict(d, file=FILE)
    except ScenarioError as err:
        error = err
    else:
        pytest.fail(f"no ScenarioError for a scenario broken at {mutated}")
    text = str(error)
    _note(text)
    lines = text.splitlines()
    assert lines and len(lines) == len(error.issues), text
    for line in lines:
        match = _LINE.match(line)
        assert match, f"error line does not start with '{FILE}: field.path: ': {line!r}"
    paths = [_LINE.match(line)["path"] for line in lines]  # type: ignore[index]
    for where in mutated:
        assert any(_related(where, p) for p in paths), f"no error names {where!r}: {paths}"
    return error


@settings(derandomize=DERANDOMIZE)
@given(st.data())
def test_a_broken_scenario_raises_scenario_error_naming_file_and_field(data: st.DataObject) -> None:
    d = _deep_copy(data.draw(scenario_dicts(), label="valid"))
    kind, path, value = data.draw(mutation(d, ("wrong_type", "negative", "unknown_key", "bad_rate")), label="mutation")
    _apply(d, path, value)
    _assert_scenario_error(d, [_path_text(path)])


@settings(derandomize=DERANDOMIZE)
@given(st.data())
def test_every_structural_problem_is_reported_at_once(data: st.DataObject) -> None:
    """Wrong types, negatives and unknown keys on distinct fields: one line names each of them."""
    d = _deep_copy(data.draw(scenario_dicts(), label="valid"))
    changes: dict[str, tuple[tuple[Any, ...], Any]] = {}
    for _ in range(data.draw(st.integers(2, 4), label="how many")):
        kind, path, value = data.draw(mutation(d, ("wrong_type", "negative", "unknown_key")), label="mutation")
        text = _path_text(path)
        if "diminishing_returns" in text and kind == "negative":
            continue  # curve numbers may be negative to the structure gate; the meaning gate rejects them
        if any(_related(text, other) for other in changes):
            continue
        changes[text] = (path, value)
    assume(changes)  # every drawn change may have been skipped
    for path, value in changes.values():
        _apply(d, path, value)
    _assert_scenario_error(d, list(changes))


# ----------------------------------------------------------------------------- reported library bugs
# Minimal reproductions found by the properties above, kept as regression tests now that each
# is fixed (HiGHS presolve left on; objective reads only built KPIs; CBC runs with
# '-boundPropLevel off'; row activity by bincount; every written value range-checked).

@pytest.mark.parametrize(
    ("label", "d", "true_optimum"),
    [
        # the built-in defaults, nothing else: HiGHS 759,475 "optimal", CBC 761,875
        ("defaults", {"objective": {"maximize": "reach"}, "budget": 82068}, 761_875.0),
        ("straight_lines", {
            "objective": {"maximize": "reach"}, "budget": 34950, "platforms": ["instagram", "tiktok"],
            "assumptions": {
                "pico": {"reach_rate": 0.241, "engagement_rate": 0.001, "product_cost": 0.0,
                         "diminishing_returns": [[1.0, 1.0]]},
                "nano": {"diminishing_returns": [[1.0, 1.0]]},
            },
        }, 484_950.0),
        ("profit", {
            "objective": {"maximize": "profit"}, "budget": 33905,
            "economics": {"average_order_value": 1.0, "margin_rate": 0.05},
            "rules": {"tiers": {"pico": {"min_spend": 256}}},
        }, -259.857),
    ],
)
def test_highs_labels_only_a_true_optimum_optimal(label: str, d: dict[str, Any], true_optimum: float) -> None:
    scenario = scenario_from_dict(d)
    cbc = optimize(scenario, SolverOptions(solver="cbc", tie_break=False), explain=False)
    highs = optimize(scenario, SolverOptions(solver="highs", tie_break=False), explain=False)
    # CBC's plan passes the independent check and is worth more than HiGHS' "optimum".
    assert cbc.status is SolveStatus.OPTIMAL and cbc.feasible
    assert cbc.objective_value is not None and _close(cbc.objective_value, true_optimum)
    assert highs.status is SolveStatus.OPTIMAL
    assert highs.objective_value is not None and _close(highs.objective_value, true_optimum), (
        f"HiGHS labelled {highs.objective_value} optimal; CBC found {cbc.objective_value}")


@pytest.mark.parametrize(
    "weights",
    [{"reach": 0.02}, {"reach": 0.02, "conversions": 0.0}, {"reach": 0.0, "conversions": 30.0}],
    ids=["reach_only", "zero_conversions_weight", "zero_reach_weight"],
)
def test_value_blend_without_a_conversions_weight(weights: dict[str, float]) -> None:
    scenario = scenario_from_dict({"budget": 1000, "objective": {"maximize": "value", "value_per_unit": weights}})
    plan = optimize(scenario, explain=False)
    assert plan.status is SolveStatus.OPTIMAL and plan.feasible


def test_a_numeric_key_beside_text_keys_raises_scenario_error() -> None:
    """Was a TypeError from scenario_from_dict's content hash (json.dumps with sort_keys); fixed."""
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict({"budget": 1000, 5: 3}, file=FILE)
    assert all(line.startswith(f"{FILE}: ") for line in str(caught.value).splitlines())


def test_an_out_of_range_rate_is_reported_even_when_a_cell_overrides_it() -> None:
    d = {
        "budget": 1000, "platforms": ["instagram"],
        "assumptions": {"nano": {"acceptance_rate": 5.0}, "nano.instagram": {"acceptance_rate": 0.3}},
    }
    error = _assert_scenario_error(d, ["assumptions.nano.acceptance_rate"])
    assert "acceptance_rate" in str(error)


@pytest.mark.parametrize(
    "rules",
    [{"platforms": {"instagram": {"max_spend_share": 1.0}}}, {"tiers": {"nano": {"min_spend_share": 1.0}}}],
    ids=["platform_max_share_1", "tier_min_share_1"],
)
def test_a_share_band_of_one_over_the_only_group_is_solved(rules: dict[str, Any]) -> None:
    scenario = scenario_from_dict({
        "budget": 1000, "objective": {"maximize": "reach"}, "platforms": ["instagram"],
        "tiers": {"nano": [1000, 10000]}, "rules": rules,
    })
    plan = optimize(scenario, explain=False)
    assert plan.status is SolveStatus.OPTIMAL and plan.feasible


@pytest.mark.parametrize(
    ("d", "optimum"),
    [
        ({  # no rule at all beyond a floor: 16 pico creators on each platform
            "objective": {"maximize": "reach"}, "budget": 2105, "tiers": {"pico": [0, 1000]},
            "assumptions": {"instagram": {"engagement_rate": 0.001}}, "diminishing_returns": "none",
            "targets": {"conversions": 19.71},
        }, 16_000.0),
        ({
            "objective": {"maximize": "revenue"}, "budget": 2000, "tiers": {"pico": [0, 1000]},
            "economics": {"average_order_value": 1.0}, "targets": {"engagements": 817.85},
            "rules": {"cells": {"pico.tiktok": {"lock": 1}}},
        }, 32.175),
    ],
    ids=["conversions_floor", "lock_and_engagements_floor"],
)
def test_cbc_does_not_call_a_feasible_scenario_infeasible(d: dict[str, Any], optimum: float) -> None:
    scenario = scenario_from_dict(d)
    highs = optimize(scenario, SolverOptions(solver="highs", tie_break=False), explain=False)
    assert highs.status is SolveStatus.OPTIMAL and highs.feasible  # the independent check holds
    assert highs.objective_value is not None and _close(highs.objective_value, optimum)
    cbc = optimize(scenario, SolverOptions(solver="cbc", tie_break=False), explain=False)
    assert cbc.status is SolveStatus.OPTIMAL, cbc.status
    assert cbc.objective_value is not None and _close(cbc.objective_value, optimum)
