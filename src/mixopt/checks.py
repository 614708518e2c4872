"""Meaning checks across fields of a structurally valid scenario, one function per rule.

Each check returns a list of :class:`~mixopt.errors.Issue`; all of them are collected and
raised together, so a planner fixes everything in one pass.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable

from mixopt.defaults import default_value
from mixopt.errors import Issue
from mixopt.scenario import PARAMETERS, Scenario
from mixopt.yamlio import RawScenario

__all__ = ["check_scenario"]

_RATE_LIMITS = {
    "reach_rate": (0.0, 10.0, "people reached per follower per post, e.g. 0.2"),
    "engagement_rate": (0.0, 1.0, "a fraction, e.g. 0.03 for 3%"),
    "conversion_rate": (0.0, 1.0, "a fraction, e.g. 0.02 for 2%"),
    "acceptance_rate": (0.0, 1.0, "a fraction, e.g. 0.4 for 40%"),
}


class _Ctx:
    def __init__(self, scenario: Scenario, raw: RawScenario | None) -> None:
        self.s = scenario
        self.raw = raw
        self.issues: list[Issue] = []

    def add(self, path: str, problem: str, fix: str, *value: object) -> None:
        origin = self.raw.origin_of(tuple(path.split("."))) if self.raw else self.s.source_file
        self.issues.append(Issue(origin, path, problem, fix, *value))


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    if close:
        return f"Did you mean '{close[0]}'?"
    return "Use one of: " + ", ".join(options)


def _check_tiers(c: _Ctx) -> None:
    s = c.s
    if not s.tiers:
        c.add("tiers", "at least one tier is needed", "Remove 'tiers:' to use pico, nano and micro")
        return
    bands = sorted(s.tiers.items(), key=lambda kv: kv[1][0])
    for name, (low, high) in bands:
        if high <= low:
            c.add(f"tiers.{name}", "the follower band's upper bound must be above its lower bound",
                  "Write [lower, upper], e.g. [1000, 10000]", [low, high])
    for (a, (_, a_hi)), (b, (b_lo, _)) in zip(bands, bands[1:]):
        if b_lo < a_hi:
            c.add(f"tiers.{b}", f"follower band overlaps tier {a} (which ends at {a_hi:g})",
                  f"Start {b} at {a_hi:g} or above", b_lo)
    if len(set(s.platforms)) != len(s.platforms):
        c.add("platforms", "a platform is listed twice", "List each platform once", list(s.platforms))
    if not s.platforms:
        c.add("platforms", "at least one platform is needed", "List platforms, e.g. [instagram, tiktok]")


def _check_assumption_keys(c: _Ctx) -> None:
    s = c.s
    tiers, platforms = list(s.tiers), list(s.platforms)
    cells = [f"{t}.{p}" for t in tiers for p in platforms]
    for key in s.assumptions:
        if key in tiers or key in platforms or key in cells:
            continue
        c.add(f"assumptions.{key}", "not a tier, platform or tier.platform cell of this scenario",
              _suggest(key, tiers + platforms + cells), key)


def _check_values(c: _Ctx) -> None:
    s = c.s
    for tier, platform in s.cells:
        for name in PARAMETERS:
            given = None
            where = ""
            for key in (tier, platform, f"{tier}.{platform}"):
                block = s.assumptions.get(key)
                if block is not None and getattr(block, name) is not None:
                    given, where = getattr(block, name), key
            if given is None:
                if default_value(tier, platform, name) is None:
                    c.add(f"assumptions.{tier}.{platform}.{name}",
                          f"no built-in default for {name} of {tier} creators on {platform}",
                          f"Add 'assumptions: {{{tier}.{platform}: {{{name}: VALUE}}}}' (see 'mixopt defaults')")
                continue
            path = f"assumptions.{where}.{name}"
            low = given.low if given.low is not None else given.base
            high = given.high if given.high is not None else given.base
            if not low <= given.base <= high:
                c.add(path, "must satisfy low <= base <= high", "Order the range as low, base, high",
                      [low, given.base, high])
            if name in _RATE_LIMITS:
                lo, hi, example = _RATE_LIMITS[name]
                if not lo < given.base <= hi:
                    c.add(f"{path}", f"must be above {lo:g} and at most {hi:g}", f"Write it as {example}",
                          given.base)
            if name in ("pool", "max_posts") and (given.base != int(given.base) or given.base < 1):
                c.add(path, "must be a whole number of at least 1", "Write a whole number, e.g. 3", given.base)
            if name == "typical_followers" and tier in s.tiers:
                band_lo, band_hi = s.tiers[tier]
                if not band_lo <= given.base < band_hi:
                    c.add(path, f"lies outside the {tier} follower band {band_lo:g}-{band_hi:g}",
                          "Use a follower count inside the band or change 'tiers:'", given.base)
        # defaults can fall outside a re-drawn band
        for name in ("typical_followers",):
            overridden = any(
                s.assumptions.get(k) is not None and getattr(s.assumptions[k], name) is not None
                for k in (tier, platform, f"{tier}.{platform}")
            )
            default = default_value(tier, platform, name)
            if not overridden and default is not None:
                band_lo, band_hi = s.tiers[tier]
                if not band_lo <= default.base < band_hi:
                    c.add(f"tiers.{tier}",
                          f"the default typical follower count {default.base:g} lies outside this band",
                          f"Set 'assumptions: {{{tier}: {{typical_followers: N}}}}' with N inside the band",
                          list(s.tiers[tier]))


def _check_curve(c: _Ctx, path: str, curve: object) -> None:
    if curve is None or curve == "none":
        return
    points = list(curve)  # type: ignore[call-overload]
    if not points:
        c.add(path, "needs at least one [share, slope] pair", "Write e.g. [[0.25, 1.0], [1.0, 0.7]] or 'none'")
        return
    fix = "Write [[end_share, slope], ...] with shares rising to 1 and slopes falling, first slope 1.0"
    if points[0][1] != 1.0:
        c.add(path, "the first slope must be 1.0 (full value for the first creators)", fix, points[0][1])
    shares = [p[0] for p in points]
    slopes = [p[1] for p in points]
    if any(not 0 < x <= 1 for x in shares) or any(b <= a for a, b in zip(shares, shares[1:])):
        c.add(path, "end shares must rise strictly and lie in (0, 1]", fix, shares)
    if any(x < 0 for x in slopes) or any(b > a for a, b in zip(slopes, slopes[1:])):
        c.add(path, "slopes must not rise and must be >= 0 (returns diminish)", fix, slopes)


def _check_curves(c: _Ctx) -> None:
    _check_curve(c, "diminishing_returns", c.s.diminishing_returns)
    for key, block in c.s.assumptions.items():
        _check_curve(c, f"assumptions.{key}.diminishing_returns", block.diminishing_returns)


def _check_objective(c: _Ctx) -> None:
    s = c.s
    obj = s.objective
    aov = s.economics.average_order_value
    if (obj.maximize is None) == (obj.minimize is None):
        c.add("objective", "give exactly one of 'maximize' or 'minimize'",
              "Write 'objective: {maximize: reach}' or 'objective: {minimize: spend}'")
        return
    if obj.maximize == "value" and not obj.value_per_unit:
        c.add("objective.value_per_unit", "maximize: value needs a value per unit of each KPI",
              "Add e.g. 'value_per_unit: {reach: 0.002, conversions: 30}'")
    if obj.value_per_unit and obj.maximize != "value":
        c.add("objective.value_per_unit", "only used with 'maximize: value'",
              "Remove it or set 'maximize: value'")
    if obj.maximize in ("revenue", "profit") and aov is None:
        c.add("economics.average_order_value", f"maximize: {obj.maximize} needs the revenue per conversion",
              "Add 'economics: {average_order_value: 45}'")
    if s.targets.revenue is not None and aov is None:
        c.add("economics.average_order_value", "a revenue target needs the revenue per conversion",
              "Add 'economics: {average_order_value: 45}'")
    if obj.maximize == "profit" and aov is not None:
        kept = aov * s.economics.margin_rate
        if s.economics.commission_per_conversion > kept:
            c.add("economics.commission_per_conversion",
                  f"is more than the margin kept per conversion ({kept:g}), so every sale loses money",
                  "Lower the commission or raise average_order_value / margin_rate",
                  s.economics.commission_per_conversion)
    if obj.maximize is not None and s.budget is None:
        c.add("budget", "a budget is required when maximising", "Add 'budget: 50000' (in the scenario currency)")
    if obj.minimize == "spend":
        t = s.targets
        if all(v is None or v == 0 for v in (t.reach, t.impressions, t.engagements, t.conversions, t.revenue)):
            c.add("targets", "minimize: spend needs at least one target above 0, or the best plan is empty",
                  "Add e.g. 'targets: {reach: 1000000}'")


def _check_band(c: _Ctx, path: str, band: object) -> None:
    b = band
    pairs = (("min_spend_share", "max_spend_share"), ("min_spend", "max_spend"), ("min_creators", "max_creators"))
    for lo_name, hi_name in pairs:
        lo, hi = getattr(b, lo_name), getattr(b, hi_name)
        if lo is not None and hi is not None and lo > hi:
            c.add(f"{path}.{hi_name}", f"must be >= {lo_name} ({lo:g} > {hi:g})",
                  f"Lower {lo_name} or raise {hi_name}", hi)
    budget = c.s.budget
    if getattr(b, "min_spend", None) is not None and budget is not None and b.min_spend > budget:  # type: ignore[attr-defined]
        c.add(f"{path}.min_spend", f"is above the whole budget ({budget:g})", "Lower min_spend or raise budget",
              b.min_spend)  # type: ignore[attr-defined]


def _check_rules(c: _Ctx) -> None:
    s = c.s
    rules = s.rules
    tiers, platforms = list(s.tiers), list(s.platforms)
    cells = [f"{t}.{p}" for t in tiers for p in platforms]
    for group, names, label in (("tiers", tiers, "tier"), ("platforms", platforms, "platform")):
        bands = getattr(rules, group)
        for key, band in bands.items():
            if key not in names:
                c.add(f"rules.{group}.{key}", f"not a {label} of this scenario", _suggest(key, names), key)
                continue
            _check_band(c, f"rules.{group}.{key}", band)
        total_min = sum(b.min_spend_share or 0 for b in bands.values())
        if total_min > 1 + 1e-9:
            c.add(f"rules.{group}", f"minimum spend shares add up to {total_min:.0%}, more than 100%",
                  "Lower some min_spend_share values", round(total_min, 4))
    for key, rule in rules.cells.items():
        path = f"rules.cells.{key}"
        if key not in cells:
            c.add(path, "not a tier.platform cell of this scenario", _suggest(key, cells), key)
            continue
        if rule.lock is not None and any(v is not None for v in (rule.min_creators, rule.max_creators, rule.min_if_used)):
            c.add(f"{path}.lock", "a locked cell cannot also have min/max rules", "Keep either lock or the min/max rules",
                  rule.lock)
        if rule.min_creators is not None and rule.max_creators is not None and rule.min_creators > rule.max_creators:
            c.add(f"{path}.max_creators", f"must be >= min_creators ({rule.min_creators} > {rule.max_creators})",
                  "Lower min_creators or raise max_creators", rule.max_creators)
    if rules.max_creators is not None:
        locked = sum(r.lock or 0 for r in rules.cells.values())
        if locked > rules.max_creators:
            c.add("rules.max_creators", f"is below the {locked} creators locked in rules.cells",
                  "Raise max_creators or lower the locks", rules.max_creators)


def _check_baseline(c: _Ctx) -> None:
    s = c.s
    cells = [f"{t}.{p}" for t, p in s.cells]
    for key, mix in s.baseline.items():
        path = f"baseline.{key}"
        if key not in cells:
            c.add(path, "not a tier.platform cell of this scenario", _suggest(key, cells), key)
            continue
        if mix.posts is not None and mix.posts < mix.creators:
            c.add(f"{path}.posts", "must be at least the number of creators (each posts at least once)",
                  f"Use posts >= {mix.creators}", mix.posts)


def _check_budget(c: _Ctx) -> None:
    if c.s.budget is not None and not math.isfinite(c.s.budget):
        c.add("budget", "must be a finite number", "Write a plain number, e.g. 50000", c.s.budget)


_CHECKS: tuple[Callable[[_Ctx], None], ...] = (
    _check_tiers,
    _check_assumption_keys,
    _check_values,
    _check_curves,
    _check_objective,
    _check_rules,
    _check_baseline,
    _check_budget,
)


def check_scenario(scenario: Scenario, raw: RawScenario | None = None) -> list[Issue]:
    """Every meaning problem of a scenario (an empty list when it is sound)."""
    ctx = _Ctx(scenario, raw)
    for check in _CHECKS:
        check(ctx)
        if check is _check_tiers and ctx.issues:
            break  # later checks rely on sound tiers
    return ctx.issues
