"""Meaning checks across fields of a structurally valid scenario, one function per rule.

Each check returns a list of :class:`~mixopt.errors.Issue`; all of them are collected and
raised together, so a planner fixes everything in one pass.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable

from mixopt.errors import Issue, format_value
from mixopt.scenario.defaults import default_value, known_platforms, known_tiers
from mixopt.scenario.money import MONEY_PARAMETERS, USD, is_currency_code
from mixopt.scenario.reading import RawScenario
from mixopt.scenario.schema import PARAMETERS, Scenario

__all__ = ["check_scenario", "scenario_warnings", "usd_defaults_problem", "usd_defaults_fix"]

_RATE_LIMITS = {
    "reach_rate": (0.0, 10.0, "people reached per follower per post, e.g. 0.2"),
    "engagement_rate": (0.0, 1.0, "a fraction, e.g. 0.03 for 3%"),
    "conversion_rate": (0.0, 1.0, "a fraction, e.g. 0.02 for 2%"),
    "acceptance_rate": (0.0, 1.0, "a fraction, e.g. 0.4 for 40%"),
}
_TARGET_KPIS = ("reach", "impressions", "engagements", "conversions", "revenue")


def _n(value: float) -> str:
    """A number in a message: whole numbers without decimals, others as written."""
    return format_value(float(value))


class _Ctx:
    def __init__(self, scenario: Scenario, raw: RawScenario | None) -> None:
        self.s = scenario
        self.raw = raw
        self.issues: list[Issue] = []
        self.misspelt: dict[str, str] = {}  # built-in platform -> the scenario's near-miss of it

    def add(self, path: str, problem: str, fix: str, *value: object) -> None:
        origin = self.raw.origin_of_text(path) if self.raw else self.s.source_file
        self.issues.append(Issue(origin, path, problem, fix, *value))


def _platform_hint(c: _Ctx, key: str, options: list[str]) -> str:
    """Did-you-mean for a platform or cell key; when it names a built-in platform that the
    scenario's ``platforms`` list misspells, the list is what to fix (never suggest the typo)."""
    typo = c.misspelt.get(key.rpartition(".")[2])
    if typo is not None:
        return f"It is not in platforms, which lists '{typo}' instead: correct that name first"
    return _suggest(key, options)


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
            c.add(f"tiers.{b}", f"the follower band overlaps tier {a}, which ends at {_n(a_hi)}",
                  f"Start {b} at {_n(a_hi)} or above", list(s.tiers[b]))
    seen: set[str] = set()
    for index, platform in enumerate(s.platforms):
        if platform in seen:
            c.add(f"platforms[{index}]", "this platform is already listed", "List each platform once", platform)
        seen.add(platform)
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


def _given(s: Scenario, tier: str, platform: str, name: str) -> tuple[object, str]:
    """The most specific value the scenario sets for one cell's parameter, and its key."""
    given, where = None, ""
    for key in (tier, platform, f"{tier}.{platform}"):
        block = s.assumptions.get(key)
        if block is not None and getattr(block, name) is not None:
            given, where = getattr(block, name), key
    return given, where


def _check_missing_defaults(c: _Ctx) -> None:
    """Tiers and platforms without built-in defaults need their numbers in the scenario."""
    s = c.s
    missing: dict[tuple[str, str], list[str]] = {}
    for tier, platform in s.cells:
        for name in PARAMETERS:
            if _given(s, tier, platform, name)[0] is None and default_value(tier, platform, name) is None:
                missing.setdefault((tier, platform), []).append(name)
    if not missing:
        return
    covered: set[tuple[str, str]] = set()
    tiers, platforms = list(known_tiers()), list(known_platforms())
    for index, platform in enumerate(s.platforms):
        names = _ordered({n for (_, p), ns in missing.items() if p == platform for n in ns})
        if platform in platforms or not names:
            continue
        close = difflib.get_close_matches(platform, platforms, n=1, cutoff=0.6)
        hint = f"Did you mean '{close[0]}'? If not," if close else f"Use one of {', '.join(platforms)}, or"
        c.add(f"platforms[{index}]", "mixopt has no built-in numbers for this platform",
              f"{hint} set {_list(names)} under 'assumptions: {{{platform}: ...}}'", platform)
        if close and close[0] not in s.platforms:
            c.misspelt[close[0]] = platform
        covered |= {key for key in missing if key[1] == platform}
    for tier in s.tier_names:
        names = _ordered({n for (t, _), ns in missing.items() if t == tier for n in ns})
        if tier in tiers or not names:
            continue
        c.add(f"tiers.{tier}", "mixopt has no built-in numbers for this tier",
              f"Use a tier with built-in numbers ({', '.join(tiers)}), or set {_list(names)} under "
              f"'assumptions: {{{tier}: ...}}'",
              list(s.tiers[tier]))
        covered |= {key for key in missing if key[0] == tier}
    for (tier, platform), names in missing.items():
        if (tier, platform) not in covered:
            c.add(f"assumptions.{tier}.{platform}", f"no built-in default for {_list(names)}",
                  f"Set them under 'assumptions: {{{tier}.{platform}: ...}}' (see 'mixopt defaults')")


def _ordered(names: set[str]) -> list[str]:
    return [n for n in PARAMETERS if n in names]


def _list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _check_values(c: _Ctx) -> None:
    s = c.s
    keys = set(s.tiers) | set(s.platforms) | {f"{t}.{p}" for t, p in s.cells}
    # Every value written is checked, also one that a more specific key overrides everywhere.
    for key, block in s.assumptions.items():
        if key not in keys:
            continue  # reported by _check_assumption_keys
        for name in PARAMETERS:
            given = getattr(block, name)
            if given is None:
                continue
            path = f"assumptions.{key}.{name}"
            base = given.base
            low = given.low if given.low is not None else base
            high = given.high if given.high is not None else base
            if not low <= base <= high:
                c.add(path, "the range must run low <= base <= high", "Order the range as low, base, high",
                      {"low": low, "base": base, "high": high})
            if name in _RATE_LIMITS:
                lo, hi, example = _RATE_LIMITS[name]
                if not lo < base <= hi:
                    if hi == 1 and 1 < base <= 100:
                        example = (f"a fraction of 1 (1 is 100%, the most it can be): for {base:g}%, "
                                   f"write {_n(base / 100)}")
                    c.add(path, f"must be above {lo:g} and at most {hi:g}", f"Write it as {example}", base)
            if name in ("pool", "max_posts") and (base != int(base) or base < 1):
                c.add(path, "must be a whole number of at least 1", "Write a whole number, e.g. 3", base)
    # Typical followers must fit the tier's band wherever they apply.
    reported: set[tuple[str, str]] = set()
    for tier, platform in s.cells:
        band_lo, band_hi = s.tiers[tier]
        given, where = _given(s, tier, platform, "typical_followers")
        if given is not None:
            base = given.base  # type: ignore[attr-defined]
            if (where, tier) not in reported and not band_lo <= base < band_hi:
                reported.add((where, tier))
                c.add(f"assumptions.{where}.typical_followers",
                      f"lies outside the {tier} follower band {_n(band_lo)}-{_n(band_hi)}",
                      "Use a follower count inside the band or change 'tiers:'", base)
            continue
        default = default_value(tier, platform, "typical_followers")
        if default is not None and not band_lo <= default.base < band_hi and ("", tier) not in reported:
            reported.add(("", tier))  # a re-drawn band that the built-in default no longer fits
            c.add(f"tiers.{tier}",
                  f"the built-in typical follower count {_n(default.base)} lies outside this band",
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
        c.add(path, "end shares must rise strictly and lie between 0 and 1", fix, shares)
    if any(x < 0 for x in slopes) or any(b > a for a, b in zip(slopes, slopes[1:])):
        c.add(path, "slopes must not rise or go below 0 (returns diminish)", fix, slopes)


def _check_curves(c: _Ctx) -> None:
    _check_curve(c, "diminishing_returns", c.s.diminishing_returns)
    for key, block in c.s.assumptions.items():
        _check_curve(c, f"assumptions.{key}.diminishing_returns", block.diminishing_returns)


def _check_objective(c: _Ctx) -> None:
    s = c.s
    obj = s.objective
    aov = s.economics.average_order_value
    if obj.maximize is not None and obj.minimize is not None:
        c.add("objective", "has both 'maximize' and 'minimize'",
              "Keep one goal: 'objective: {maximize: reach}' or 'objective: {minimize: spend}'")
        return
    if obj.maximize is None and obj.minimize is None:
        c.add("objective", "has no goal", "Write 'objective: {maximize: reach}' or 'objective: {minimize: spend}'")
        return
    if obj.maximize == "value" and not obj.value_per_unit:
        c.add("objective.value_per_unit", "is needed to maximise value (money per unit of each KPI)",
              "Add e.g. 'value_per_unit: {reach: 0.002, conversions: 30}'")
    if obj.value_per_unit and obj.maximize != "value":
        c.add("objective.value_per_unit", "is only used with 'maximize: value'",
              "Remove it or set 'maximize: value'")
    valued = {k for k, w in (obj.value_per_unit or {}).items() if w > 0 and k in ("revenue", "profit")}
    if aov is None:
        uses = [f"to maximise {obj.maximize}"] if obj.maximize in ("revenue", "profit") else []
        uses += ["for the revenue target"] if s.targets.revenue is not None else []
        uses += [f"for the {k} target" for k in ("profit", "roi") if getattr(s.targets, k) is not None]
        uses += [f"to value {k}" for k in sorted(valued)] if obj.maximize == "value" else []
        if uses:
            c.add("economics.average_order_value", f"is needed {' and '.join(uses)} (revenue per conversion)",
                  "Add 'economics: {average_order_value: 45}' in the scenario currency")
    rewards_profit = (obj.maximize == "profit" or s.targets.profit is not None or s.targets.roi is not None
                      or (obj.maximize == "value" and "profit" in valued))
    if rewards_profit and aov is not None:
        kept = aov * s.economics.margin_rate
        if s.economics.commission_per_conversion > kept:
            c.add("economics.commission_per_conversion",
                  f"is more than the margin kept per sale ({_n(aov)} x {s.economics.margin_rate:g} = {_n(kept)}), "
                  "so every sale loses money",
                  "Lower the commission or raise average_order_value or margin_rate",
                  s.economics.commission_per_conversion)
    if obj.maximize is not None and s.budget is None:
        c.add("budget", f"is needed to maximise {obj.maximize} (the media budget caps spend)",
              "Add 'budget: 50000' in the scenario currency")
    if obj.minimize == "spend":
        t = s.targets
        if all(v is None or v == 0 for v in (t.reach, t.impressions, t.engagements, t.conversions, t.revenue,
                                             t.unique_reach)):
            c.add("targets", "minimising spend needs at least one target above 0, or the cheapest plan is empty",
                  "Add e.g. 'targets: {reach: 1000000}'")


def _check_band(c: _Ctx, path: str, band: object) -> None:
    b = band
    pairs = (("min_spend_share", "max_spend_share"), ("min_budget_share", "max_budget_share"), ("min_spend", "max_spend"),
             ("min_creators", "max_creators"))
    for lo_name, hi_name in pairs:
        lo, hi = getattr(b, lo_name), getattr(b, hi_name)
        if lo is not None and hi is not None and lo > hi:
            c.add(f"{path}.{hi_name}", f"is below {lo_name}, {_n(lo)}", f"Lower {lo_name} or raise {hi_name}", hi)
    budget = c.s.budget
    for name in ("min_budget_share", "max_budget_share"):
        if getattr(b, name, None) is not None and budget is None:
            c.add(f"{path}.{name}", "is a share of the budget, and the scenario has no budget",
                  f"Add 'budget: 50000', or use {name.replace('budget', 'spend')} (a share of the plan's own spend)",
                  getattr(b, name))
    min_spend = getattr(b, "min_spend", None)
    if min_spend is not None and budget is not None and min_spend > budget:
        c.add(f"{path}.min_spend", f"is above the whole budget, {_n(budget)}", "Lower min_spend or raise budget",
              min_spend)
    cap = c.s.rules.max_creators
    min_creators = getattr(b, "min_creators", None)
    if min_creators is not None and cap is not None and min_creators > cap:
        c.add(f"{path}.min_creators", f"is above the team capacity rules.max_creators, {cap}",
              "Lower min_creators or raise rules.max_creators", min_creators)


def _check_rules(c: _Ctx) -> None:
    s = c.s
    rules = s.rules
    tiers, platforms = list(s.tiers), list(s.platforms)
    cells = [f"{t}.{p}" for t in tiers for p in platforms]
    for group, names, label in (("tiers", tiers, "tier"), ("platforms", platforms, "platform")):
        bands = getattr(rules, group)
        for key, band in bands.items():
            if key not in names:
                c.add(f"rules.{group}.{key}", f"not a {label} of this scenario",
                      _platform_hint(c, key, names) if group == "platforms" else _suggest(key, names), key)
                continue
            _check_band(c, f"rules.{group}.{key}", band)
        total_min = sum(b.min_spend_share or 0 for b in bands.values())
        if total_min > 1 + 1e-9:
            c.add(f"rules.{group}", "the min_spend_share values add up to more than 1 (100% of spend)",
                  "Lower some min_spend_share values", round(total_min, 4))
        budget_min = sum(b.min_budget_share or 0 for b in bands.values())
        if budget_min > 1 + 1e-9:
            c.add(f"rules.{group}", "the min_budget_share values add up to more than 1 (100% of the budget)",
                  "Lower some min_budget_share values", round(budget_min, 4))
    for key, rule in rules.cells.items():
        path = f"rules.cells.{key}"
        if key not in cells:
            c.add(path, "not a tier.platform cell of this scenario", _platform_hint(c, key, cells), key)
            continue
        others = (rule.min_creators, rule.max_creators, rule.min_if_used)
        if rule.lock is not None and any(v is not None for v in others):
            c.add(f"{path}.lock", "a locked cell cannot also have min/max rules",
                  "Keep either lock or the min/max rules", rule.lock)
        if rule.min_creators is not None and rule.max_creators is not None and rule.min_creators > rule.max_creators:
            c.add(f"{path}.max_creators", f"is below min_creators, {rule.min_creators}",
                  "Lower min_creators or raise max_creators", rule.max_creators)
        cap = rules.max_creators
        if rule.min_creators is not None and cap is not None and rule.min_creators > cap:
            c.add(f"{path}.min_creators", f"is above the team capacity rules.max_creators, {cap}",
                  "Lower min_creators or raise rules.max_creators", rule.min_creators)
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
            c.add(path, "not a tier.platform cell of this scenario", _platform_hint(c, key, cells), key)
            continue
        if mix.posts is not None and mix.posts < mix.creators:
            c.add(f"{path}.posts", f"is below the {mix.creators} creators (each creator posts at least once)",
                  f"Use posts of at least {mix.creators}", mix.posts)


def _check_budget(c: _Ctx) -> None:
    if c.s.budget is not None and not math.isfinite(c.s.budget):
        c.add("budget", "must be a finite number", "Write a plain number, e.g. 50000", c.s.budget)


def _check_reachable(c: _Ctx) -> None:
    """Targets and locks that no plan could meet whatever the budget (the pools are too small)."""
    from mixopt.scenario.cells import resolve_cells
    from mixopt.scenario.outcomes import evaluate_mix, totals_of

    s = c.s
    cells = resolve_cells(s)
    for cell in cells:
        rule = s.rules.cells.get(cell.key)
        if rule is None:
            continue
        why = (f"{cell.accepting_pool} creators who would accept in {cell.key}, "
               f"pool {_n(cell.pool)} x acceptance_rate {cell.acceptance_rate:g}")
        for name in ("lock", "min_creators"):
            value = getattr(rule, name)
            if value is not None and value > cell.accepting_pool:
                c.add(f"rules.cells.{cell.key}.{name}", f"is more than the {why}",
                      f"Lower {name} or raise pool / acceptance_rate for {cell.key}", value)
    # everyone who would accept, each posting the most, after diminishing returns
    everyone = evaluate_mix(cells, {cell.key: cell.accepting_pool for cell in cells},
                            {cell.key: cell.accepting_pool * cell.max_posts for cell in cells}, s.economics)
    most = totals_of(everyone, s.economics)
    for kpi in _TARGET_KPIS:
        top = most[kpi]
        floor = getattr(s.targets, kpi)
        if floor and floor > top * (1 + 1e-9) + 1e-9:
            c.add(f"targets.{kpi}",
                  f"is more than the {_n(round(top, 2))} that all creators who would accept could deliver",
                  "Lower the target, add platforms or tiers, or raise pool / acceptance_rate / max_posts", floor)


def _check_roster(c: _Ctx) -> None:
    s = c.s
    obj = s.objective
    if obj.maximize == "column" and not obj.column:
        c.add("objective.column", "is needed to maximise a column (the creator-table column to sum)",
              "Add e.g. 'column: fit_score' under objective")
    if obj.column and obj.maximize != "column":
        c.add("objective.column", "is only used with 'maximize: column'", "Remove it or set 'maximize: column'",
              obj.column)
    if s.roster is None:
        if obj.maximize == "column":
            c.add("objective.maximize", "a column can only be maximised in roster mode",
                  "Add a 'roster: {file: creators.csv}' block, or maximise a KPI such as reach", "column")
        return
    for cell, rule in s.rules.cells.items():
        if rule.min_if_used is not None:
            c.add(f"rules.cells.{cell}.min_if_used", "is tier mode only (in roster mode each creator is one choice)",
                  "Use min_creators, or remove it", rule.min_if_used)
    most = s.roster.max_posts_per_creator
    if most is not None and most < s.roster.posts_per_creator:
        c.add("roster.max_posts_per_creator", f"is below posts_per_creator, {s.roster.posts_per_creator}",
              "Raise max_posts_per_creator or lower posts_per_creator", most)
    for name, rule in s.roster.categories.items():
        if rule.min_creators is not None and rule.max_creators is not None and rule.min_creators > rule.max_creators:
            c.add(f"roster.categories.{name}.max_creators", f"is below min_creators, {rule.min_creators}",
                  "Lower min_creators or raise max_creators", rule.max_creators)
    if s.baseline:
        c.add("baseline", "is tier mode only (a roster plan names creators)", "Remove the baseline block")


def _check_currency(c: _Ctx) -> None:
    """Built-in money defaults are USD: another currency needs fx_per_usd or its own money assumptions."""
    s = c.s
    if not is_currency_code(s.currency):
        fix = (f"Write it in capitals, 'currency: {s.currency.strip().upper()}'" if is_currency_code(s.currency.strip().upper())
               else "Write an ISO 4217 code such as 'currency: EUR'")
        c.add("currency", "must be a three-letter ISO 4217 code", fix, s.currency)
        return
    if s.currency == USD:
        if s.fx_per_usd is not None and s.fx_per_usd != 1:
            c.add("fx_per_usd", "converts the built-in USD defaults, but the scenario's currency is USD",
                  "Set 'currency:' to the currency the scenario's money is written in (e.g. 'currency: EUR'), or "
                  "remove fx_per_usd", s.fx_per_usd)
        return
    if s.fx_per_usd is not None or s.roster is not None or (c.raw is not None and "fx_per_usd" in c.raw.data):
        return  # roster mode: the creator table may carry every fee (checked when it is read); a bad rate is reported
    used = [(f"{t}.{p}", name) for t, p in s.cells for name in MONEY_PARAMETERS
            if _given(s, t, p, name)[0] is None and default_value(t, p, name) is not None]
    if used:
        c.add("currency", usd_defaults_problem(used), usd_defaults_fix(s.currency), s.currency)


def usd_defaults_problem(used: list[tuple[str, str]]) -> str:
    """The problem text when a non-USD scenario would use built-in USD money defaults (cell, parameter)."""
    names = _ordered({name for _, name in used})
    cells = list(dict.fromkeys(cell for cell, _ in used))
    first = cells[0]
    example = next(name for cell, name in used if cell == first)
    tier, platform = first.split(".", 1)
    value = default_value(tier, platform, example)
    shown = f"{first}.{example} {_n(value.base)} USD" if value is not None else first
    more = f" and {len(cells) - 1} more cells" if len(cells) > 1 else ""
    return (f"is not USD, but the built-in USD defaults of {_list(names)} would be used ({shown}{more}) "
            "without conversion")


def usd_defaults_fix(currency: str) -> str:
    """How to fix a non-USD scenario that would use built-in USD money defaults."""
    return (f"Add 'fx_per_usd: RATE' ({currency} per US dollar, e.g. 'fx_per_usd: 0.92' for EUR or 16000 for IDR) "
            "to convert them, or set fee_per_post, product_cost and handling_cost under 'assumptions:' in "
            f"{currency}")


def _check_sweep(c: _Ctx) -> None:
    s = c.s
    if s.sweep is None:
        return
    from mixopt.errors import ScenarioError
    from mixopt.scenario.fields import field_value, parse_values, row_for

    values = s.sweep.values
    if isinstance(values, str):
        try:
            parse_values(values, "sweep.values")
        except ScenarioError as err:
            c.add("sweep.values", err.issues[0].problem,
                  "Write 'start:stop:step' such as '10000:100000:5000', or a list such as [20000, 40000]", values)
    elif not values:
        c.add("sweep.values", "is empty", "List at least one value, e.g. [20000, 40000]")
    if field_value(s, s.sweep.field) is None and row_for(s.sweep.field) is None:
        c.add("sweep.field", "is not a numeric field this scenario sets",
              "Sweep budget, targets.<kpi>, rules.max_creators, or a field the scenario already sets",
              s.sweep.field)


_CHECKS: tuple[Callable[[_Ctx], None], ...] = (
    _check_tiers,
    _check_assumption_keys,
    _check_missing_defaults,
    _check_values,
    _check_curves,
    _check_objective,
    _check_rules,
    _check_baseline,
    _check_budget,
    _check_roster,
    _check_sweep,
    _check_currency,
)


def check_scenario(scenario: Scenario, raw: RawScenario | None = None, *, reachable: bool = True) -> list[Issue]:
    """Every meaning problem of a scenario (an empty list when it is sound).

    ``reachable=False`` skips the checks that need every cell's numbers: targets above what all
    accepting creators could deliver, and cell locks or minimums above the accepting pool
    (a sweep may want to show such points as "no plan" instead).
    """
    ctx = _Ctx(scenario, raw)
    for check in _CHECKS:
        check(ctx)
        if check is _check_tiers and ctx.issues:
            break  # later checks rely on sound tiers
    if reachable and not ctx.issues and scenario.roster is None:
        _check_reachable(ctx)  # needs every cell's numbers, so only on an otherwise sound scenario
    return ctx.issues


def scenario_warnings(scenario: Scenario, raw: RawScenario | None = None) -> list[Issue]:
    """Values that are valid but probably not what the planner meant (the run goes on).

    A budget of 0 (only creators who cost nothing can be planned) and, in tier mode, a cell's
    ``min_if_used`` above the creators who would accept there (no plan can use that cell). Each
    is an issue whose problem starts with ``warning:``.
    """
    ctx = _Ctx(scenario, raw)
    if scenario.budget is not None and scenario.budget == 0:
        ctx.add("budget", "warning: is 0, so only creators who cost nothing can be in the plan",
                "Check the budget, e.g. 'budget: 50000'", 0)
    if scenario.roster is None and any(r.min_if_used for r in scenario.rules.cells.values()):
        from mixopt.scenario.cells import resolve_cells

        for cell in resolve_cells(scenario):
            rule = scenario.rules.cells.get(cell.key)
            if rule is not None and rule.min_if_used is not None and rule.min_if_used > cell.accepting_pool:
                ctx.add(f"rules.cells.{cell.key}.min_if_used",
                        f"warning: is more than the {cell.accepting_pool} creators who would accept in {cell.key} "
                        f"(pool {_n(cell.pool)} x acceptance_rate {cell.acceptance_rate:g}), so no plan can use "
                        f"{cell.key}", f"Lower min_if_used or raise pool / acceptance_rate for {cell.key}",
                        rule.min_if_used)
    return ctx.issues

