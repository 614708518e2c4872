"""Review a campaign: the plan (plan.json) against what its creators delivered (a results table).

Rows are the plan's cells (tier plans) or creators (roster plans); results of creators the plan did
not name are rows of their own, planned at zero. For each row and the total: creators signed,
posts, spend, reach, engagements, conversions, revenue, CPA and ROI, planned and actual.

How a gap is split
------------------
Every figure is a function of three groups of drivers:

* **volume**: creators signed, posts delivered, and the followers behind them (followers of the
  signed creators for reach, followers x posts for engagements and sales);
* **rate**: reach per follower, engagements per follower-post, conversions per engagement,
  revenue per conversion;
* **cost**: fee per post, product and handling cost per creator.

``spend = posts x fee + creators x cost``; ``reach = followers x reach rate``;
``engagements = follower-posts x engagement rate``; ``conversions = engagements x conversion
rate``; ``revenue = conversions x revenue per conversion``; ``profit = revenue x margin - spend -
commission``; ``CPA = spend / conversions``; ``ROI = profit / spend``.

A gap (actual - planned) is split by the Shapley value of the three groups: each group's part is
the average, over the six orders of switching the groups from planned to actual, of the change
when that group switches. The three parts add up to the gap exactly (for sums and for ratios
such as CPA and ROI alike) and do not depend on an arbitrary order. A row the plan did not have
takes the actual rates and costs as its planned ones (its whole gap is volume); a planned row
with no results keeps its planned rates (its whole gap is volume too).

Far outside the prediction
--------------------------
Each creator's rates (reach, engagement, conversion) and fee per post are compared with its
cell's P10 / P90 range (the plan's Assumptions table; a roster creator's own planned value with
its cell's default spread). A creator is flagged when it lies more than twice as far from the
base as the P10 or P90 edge, on the log scale (about a 1-in-100 result when the range is right),
and, for counts, when even that far edge would give so few (or so many) with less than a 5%
chance (so 0 sales from 20 engagements is not flagged: it is counting noise).
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixopt.analysis.plan_file import check_plan_file
from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.defaults import default_value
from mixopt.scenario.results import ResultsTable

__all__ = ["MEASURES", "Review", "read_plan", "review_plan"]

#: Figures reviewed, in report order.
MEASURES = ("creators", "posts", "spend", "reach", "engagements", "conversions", "revenue", "profit", "cpa", "roi")
_ADDITIVE = ("creators", "posts", "spend", "reach", "engagements", "conversions", "revenue", "commission")
_VOLUME = ("C", "P", "F", "FP")
_RATE = ("r", "e", "k", "v")
_COST = ("f", "c")
_FLAGGED = (("reach_rate", "reach per follower"), ("engagement_rate", "engagements per follower-post"),
            ("conversion_rate", "conversions per engagement"), ("fee_per_post", "fee per post"))


@dataclass(frozen=True)
class Review:
    """Planned against actual per row and in total, each gap split into volume, rate and cost."""

    mode: str  # "tier" or "roster"
    table: pd.DataFrame  # row, tier, platform, measure, planned, actual, gap, volume, rate, cost
    flags: pd.DataFrame  # creator_id, tier, platform, measure, actual, low, base, high, direction
    plan_file: str
    results: ResultsTable
    currency: str = "USD"
    notes: tuple[str, ...] = field(default_factory=tuple)


def read_plan(path: str | Path) -> dict[str, Any]:
    """A plan.json written by ``mixopt solve --out`` (tier or roster)."""
    shown = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([Issue(shown, "(file)", "plan file not found",
                                   "Give the plan.json that 'mixopt solve --out DIR' wrote")]) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ScenarioError([Issue(shown, "(file)", f"cannot read the plan ({type(err).__name__})",
                                   "Give the plan.json that 'mixopt solve --out DIR' wrote")]) from None
    if not isinstance(data, dict) or not ("allocation" in data or data.get("mode") == "roster"):
        raise ScenarioError([Issue(shown, "(file)", "is not a mixopt plan.json (no allocation or selected creators)",
                                   "Give the plan.json that 'mixopt solve --out DIR' wrote")])
    check_plan_file(data, shown)
    return data


# ----------------------------------------------------------------------------- drivers per row


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _planned_tier(plan: dict[str, Any]) -> pd.DataFrame:
    alloc = pd.DataFrame(plan["allocation"])
    assumptions = pd.DataFrame(plan.get("assumptions", []))
    typical = {(a["tier"], a["platform"]): a["base"] for a in plan.get("assumptions", [])
               if a["parameter"] == "typical_followers"}
    followers = np.array([typical.get((t, p), np.nan) for t, p in zip(alloc["tier"], alloc["platform"])])
    frame = pd.DataFrame({"row": alloc["tier"] + "." + alloc["platform"], "tier": alloc["tier"],
                          "platform": alloc["platform"]})
    frame["C"] = alloc["creators"].astype(float)
    frame["P"] = alloc["posts"].astype(float)
    frame["F"] = followers * frame["C"]
    frame["FP"] = followers * frame["P"]
    _rates(frame, alloc)
    frame.attrs["assumptions"] = assumptions
    return frame


def _rates(frame: pd.DataFrame, source: pd.DataFrame) -> None:
    """Rates and unit costs from summed figures (NaN where a figure is missing or its base is 0)."""
    def col(name: str) -> np.ndarray:
        return source[name].to_numpy(dtype=float) if name in source else np.full(len(source), np.nan)

    frame["r"] = _ratio(col("reach"), frame["F"].to_numpy())
    frame["e"] = _ratio(col("engagements"), frame["FP"].to_numpy())
    frame["k"] = _ratio(col("conversions"), col("engagements"))
    frame["v"] = _ratio(col("revenue"), col("conversions"))
    fees = col("fees") if "fees" in source else col("fee_paid")
    frame["f"] = _ratio(fees, frame["P"].to_numpy())
    frame["c"] = _ratio(col("product_cost") + col("handling_cost"), frame["C"].to_numpy())


def _planned_roster(plan: dict[str, Any]) -> pd.DataFrame:
    sel = pd.DataFrame(plan["selected"])
    frame = pd.DataFrame({"row": sel["id"].astype(str), "tier": sel["tier"], "platform": sel["platform"]})
    frame["C"] = 1.0
    frame["P"] = sel["posts"].astype(float)
    frame["F"] = sel["followers"].astype(float)
    frame["FP"] = frame["F"] * frame["P"]
    source = sel.assign(fees=sel["fee_per_post"] * sel["posts"])
    _rates(frame, source)
    return frame


def _actual(results: ResultsTable, mode: str) -> pd.DataFrame:
    t = results.table[results.table["signed"]]
    if mode == "tier":
        keys = t["tier"] + "." + t["platform"]
    else:
        keys = t["creator_id"].astype(str)
    work = pd.DataFrame({"row": keys, "tier": t["tier"], "platform": t["platform"], "C": 1.0,
                         "P": t["posts"], "F": t["followers"], "FP": t["followers"] * t["posts"]})
    for c in ("reach", "engagements", "conversions", "revenue", "fee_paid", "product_cost", "handling_cost"):
        work[c] = t[c]
    sums = work.groupby("row", sort=False).agg(
        tier=("tier", "first"), platform=("platform", "first"), C=("C", "sum"), P=("P", "sum"), F=("F", "sum"),
        FP=("FP", "sum"), **{c: (c, lambda s: s.sum(min_count=1)) for c in
                             ("reach", "engagements", "conversions", "revenue", "fee_paid", "product_cost",
                              "handling_cost")}).reset_index()
    frame = sums[["row", "tier", "platform", "C", "P", "F", "FP"]].copy()
    _rates(frame, sums)
    return frame


# ----------------------------------------------------------------------------- figures and the split


def _figures(state: dict[str, np.ndarray], economics: dict[str, float]) -> dict[str, np.ndarray]:
    """Every additive figure of each row from its drivers (NaN rates of a row with no volume count as 0)."""
    def times(volume: np.ndarray, rate: np.ndarray) -> np.ndarray:
        return np.where(volume == 0, 0.0, volume * rate)

    spend = times(state["P"], state["f"]) + times(state["C"], state["c"])
    engagements = times(state["FP"], state["e"])
    conversions = times(engagements, state["k"])
    revenue = times(conversions, state["v"])
    return {"creators": state["C"], "posts": state["P"], "spend": spend, "reach": times(state["F"], state["r"]),
            "engagements": engagements, "conversions": conversions, "revenue": revenue,
            "commission": conversions * economics["commission"]}


def _with_ratios(sums: dict[str, np.ndarray], economics: dict[str, float]) -> dict[str, np.ndarray]:
    out = dict(sums)
    margin = economics["margin"]
    out["profit"] = sums["revenue"] * margin - sums["spend"] - sums["commission"]
    out["cpa"] = _ratio(sums["spend"], sums["conversions"])
    out["roi"] = _ratio(out["profit"], sums["spend"])
    return out


def _shapley(values: dict[tuple[int, int, int], np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each group's Shapley part from the figure at the 8 planned/actual combinations of the groups."""
    parts = []
    for g in range(3):
        total = 0.0
        for order in itertools.permutations(range(3)):
            before = tuple(1 if order.index(h) < order.index(g) else 0 for h in range(3))
            after = tuple(1 if h == g else before[h] for h in range(3))
            total = total + (values[after] - values[before])
        parts.append(total / 6)
    return parts[0], parts[1], parts[2]


def _economics(plan: dict[str, Any]) -> dict[str, float]:
    t = plan.get("totals", {})
    revenue, conversions = t.get("revenue") or 0.0, t.get("conversions") or 0.0
    commission = (t.get("commission") or 0.0) / conversions if conversions else 0.0
    if revenue and t.get("profit") is not None:
        margin = (t["profit"] + t["spend"] + (t.get("commission") or 0.0)) / revenue
    else:
        margin = math.nan
    return {"margin": margin, "commission": commission, "value": revenue / conversions if conversions else math.nan}


def _flags(results: ResultsTable, plan: dict[str, Any], planned: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Creators far outside their predicted P10-P90 range."""
    from scipy import stats  # noqa: I001  (imported here: a second to import, and a solve never needs it)

    t = results.table[results.table["signed"] & (results.table["posts"] > 0)]
    ranges: dict[tuple[str, str, str], tuple[float, float, float]] = {}
    views: dict[tuple[str, str], float] = {}
    for a in plan.get("assumptions", []):
        ranges[(a["tier"], a["platform"], a["parameter"])] = (a["low"], a["base"], a["high"])
    for a in plan.get("assumptions", []):
        if a["parameter"] == "engagement_rate" and a.get("denominator") == "views":
            views[(a["tier"], a["platform"])] = ranges[(a["tier"], a["platform"], "reach_rate")][1]
    own = planned.set_index("row") if mode == "roster" else None
    actual = {"reach_rate": _ratio(t["reach"].to_numpy(float), t["followers"].to_numpy(float)),
              "engagement_rate": _ratio(t["engagements"].to_numpy(float), (t["followers"] * t["posts"]).to_numpy(float)),
              "conversion_rate": _ratio(t["conversions"].to_numpy(float), t["engagements"].to_numpy(float)),
              "fee_per_post": _ratio(t["fee_paid"].to_numpy(float), t["posts"].to_numpy(float))}
    own_column = {"reach_rate": "r", "engagement_rate": "e", "conversion_rate": "k", "fee_per_post": "f"}
    successes = {"reach_rate": t["reach"].to_numpy(float), "engagement_rate": t["engagements"].to_numpy(float),
                 "conversion_rate": t["conversions"].to_numpy(float)}
    exposure = {"reach_rate": t["followers"].to_numpy(float),
                "engagement_rate": (t["followers"] * t["posts"]).to_numpy(float),
                "conversion_rate": t["engagements"].to_numpy(float)}
    rows = []
    for name, label in _FLAGGED:
        low, base, high = np.full(len(t), np.nan), np.full(len(t), np.nan), np.full(len(t), np.nan)
        for i, (tier, platform, cid) in enumerate(zip(t["tier"], t["platform"], t["creator_id"].astype(str))):
            found = ranges.get((tier, platform, name))
            if found is not None and name == "engagement_rate" and (tier, platform) in views:
                found = tuple(x * views[(tier, platform)] for x in found)
            if mode == "roster" and own is not None:
                default = default_value(tier, platform, name)
                b = float(own.at[cid, own_column[name]]) if cid in own.index else math.nan
                if default is not None and default.base > 0:
                    if not np.isfinite(b):  # a creator the plan did not name: its cell's default
                        reach = default_value(tier, platform, "reach_rate")
                        per_view = name == "engagement_rate" and default.denominator == "views" and reach
                        b = default.base * (reach.base if per_view else 1.0)  # type: ignore[union-attr]
                    found = (b * default.low / default.base, b, b * default.high / default.base)
            if found is not None:
                low[i], base[i], high[i] = found
        value = actual[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            far_high, far_low = high * high / base, low * low / base  # twice as far as the edge, log scale
            above = (value > far_high) & (high > base)
            below = (value < far_low) & (low > 0)
            if name in exposure:  # a count: also beyond counting noise at that far edge (5%)
                k, n = successes[name], exposure[name]
                above &= stats.poisson.sf(k - 1, n * far_high) < 0.05
                below &= stats.poisson.cdf(k, n * far_low) < 0.05
        for i in np.flatnonzero(above | below):
            rows.append({"creator_id": str(t["creator_id"].iloc[i]), "tier": t["tier"].iloc[i],
                         "platform": t["platform"].iloc[i], "measure": name, "what": label,
                         "actual": float(value[i]), "low": float(low[i]), "base": float(base[i]),
                         "high": float(high[i]), "direction": "above" if above[i] else "below"})
    columns = ["creator_id", "tier", "platform", "measure", "what", "actual", "low", "base", "high", "direction"]
    return pd.DataFrame(rows, columns=columns)


def review_plan(plan: dict[str, Any], results: ResultsTable, plan_file: str = "plan.json") -> Review:
    """Planned against actual, per row and in total, each gap split into volume, rate and cost."""
    mode = "roster" if plan.get("mode") == "roster" else "tier"
    planned = _planned_roster(plan) if mode == "roster" else _planned_tier(plan)
    actual = _actual(results, mode)
    rows = pd.concat([planned[["row", "tier", "platform"]], actual[["row", "tier", "platform"]]]).drop_duplicates(
        "row", keep="first").reset_index(drop=True)
    p = rows[["row"]].merge(planned.drop(columns=["tier", "platform"]), on="row", how="left")
    a = rows[["row"]].merge(actual.drop(columns=["tier", "platform"]), on="row", how="left")
    for v in _VOLUME:
        p[v], a[v] = p[v].fillna(0.0), a[v].fillna(0.0)
    used = ((p["C"] > 0) | (a["C"] > 0)).to_numpy()  # cells neither planned nor in the results are left out
    rows, p, a = rows[used].reset_index(drop=True), p[used].reset_index(drop=True), a[used].reset_index(drop=True)
    notes = []
    for d in _RATE + _COST:
        if d == "c" and results.table[["product_cost", "handling_cost"]].isna().all().all():
            a[d] = p[d].fillna(0.0)
            p[d] = p[d].fillna(0.0)
            notes.append("the results have no product or handling costs: the planned amounts per creator are used "
                         "(none for creators the plan did not have)")
            continue
        no_plan, no_result = p["C"] == 0, a["C"] == 0
        p.loc[no_plan, d] = a.loc[no_plan, d]  # an unplanned row: its whole gap is volume
        a.loc[no_result, d] = p.loc[no_result, d]  # a planned row without results: likewise
        given = {"r": "reach", "e": "engagements", "k": "conversions", "v": "revenue", "f": "fee_paid"}.get(d)
        if given is not None and results.table[given].isna().all():
            a[d] = np.nan
    economics = _economics(plan)
    if results.table["revenue"].isna().all() and np.isfinite(economics["value"]):
        a["v"] = economics["value"]
        notes.append("the results have no revenue: conversions are valued at the plan's revenue per conversion")
    groups = (_VOLUME, _RATE, _COST)
    per_row: dict[tuple[int, int, int], dict[str, np.ndarray]] = {}
    for combo in itertools.product((0, 1), repeat=3):
        state = {}
        for g, names in enumerate(groups):
            for n in names:
                state[n] = (a if combo[g] else p)[n].to_numpy(dtype=float)
        per_row[combo] = _figures(state, economics)
    records = []
    levels = [(i, rows.at[i, "row"], rows.at[i, "tier"], rows.at[i, "platform"]) for i in range(len(rows))]
    totals = {combo: _with_ratios({k: np.array([np.sum(v)]) for k, v in sums.items()}, economics)
              for combo, sums in per_row.items()}
    row_figures = {combo: _with_ratios(sums, economics) for combo, sums in per_row.items()}
    for measure in MEASURES:
        volume, rate, cost = _shapley({c: row_figures[c][measure] for c in row_figures})
        for i, row, tier, platform in levels:
            planned_value = float(row_figures[(0, 0, 0)][measure][i])
            actual_value = float(row_figures[(1, 1, 1)][measure][i])
            records.append({"row": row, "tier": tier, "platform": platform, "measure": measure,
                            "planned": planned_value, "actual": actual_value, "gap": actual_value - planned_value,
                            "volume": float(volume[i]), "rate": float(rate[i]), "cost": float(cost[i])})
        tv, tr, tc = _shapley({c: totals[c][measure] for c in totals})
        planned_total, actual_total = float(totals[(0, 0, 0)][measure][0]), float(totals[(1, 1, 1)][measure][0])
        records.append({"row": "total", "tier": "", "platform": "", "measure": measure, "planned": planned_total,
                        "actual": actual_total, "gap": actual_total - planned_total, "volume": float(tv[0]),
                        "rate": float(tr[0]), "cost": float(tc[0])})
    table = pd.DataFrame(records)
    order = {m: i for i, m in enumerate(MEASURES)}
    table["_m"] = table["measure"].map(order)
    table["_r"] = table["row"].map({r: i for i, r in enumerate(list(rows["row"]) + ["total"])})
    table = table.sort_values(["_r", "_m"]).drop(columns=["_m", "_r"]).reset_index(drop=True)
    unplanned = int((p["C"] == 0).sum() - ((p["C"] == 0) & (a["C"] == 0)).sum())
    if unplanned:
        notes.append(f"{unplanned} {'cells' if mode == 'tier' else 'creators'} in the results were not in the plan "
                     "(planned at zero)")
    return Review(mode=mode, table=table, flags=_flags(results, plan, planned, mode), plan_file=plan_file,
                  results=results, currency=str(plan.get("currency", "USD")), notes=tuple(notes) + results.notes)
