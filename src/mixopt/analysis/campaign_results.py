"""A past campaign's results with known true rates: the seeded generator behind the shipped example.

Each (tier, platform) cell gets true averages: the scenario's planning value (the built-in default
unless the scenario sets one) times a brand-wide factor and a cell factor (log-normal, 25% and
20% spread), the way a real brand differs from industry benchmarks. Each invited creator then
draws its own rates around the cell averages and its results are counted from them:

* accepts the invitation with its own chance (beta around the cell's acceptance rate);
* followers log-uniform within the tier band, posts 1 to the cell's maximum;
* reach ~ Poisson(followers x own reach rate), own rate gamma (CV 0.4) around the average;
* engagements ~ Poisson(followers x posts x own engagement rate), gamma (CV 0.5);
* conversions ~ Binomial(engagements, own conversion rate), beta (rho 0.002);
  clicks = conversions + Poisson(engagements x 3 x the conversion average) (non-buying clicks);
* fee per post log-normal (log spread 0.35) with the cell's average; product and handling costs
  log-normal (0.25); revenue = conversions x order value x log-normal (0.15).

Creators who decline are rows with ``accepted`` 0 and no posts. ``truth`` holds the true cell
averages (the mean over the cell's creators of each rate), which a calibration should recover.

Run it as ``python -m mixopt.analysis.campaign_results --seed 11 --out results.csv`` (the shipped
``scenarios/results/spring_campaign.csv``; ``--truth`` also writes the true averages), or with
``--plan plan.json --wave 1`` to "run" a plan with the same brand: up to the plan's invites per cell,
stopping once the plan's creators have signed (a roster plan invites its chosen creators).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.schema import Scenario

__all__ = ["Campaign", "generate_campaign", "plan_cells", "SPRING_CREATORS", "main"]

#: Invited creators per cell of the shipped spring campaign: busy cells, sparse cells, empty cells.
SPRING_CREATORS: dict[str, int] = {
    "pico.instagram": 60, "pico.tiktok": 30, "nano.instagram": 120, "nano.tiktok": 90, "nano.youtube": 6,
    "micro.instagram": 40, "micro.tiktok": 25, "micro.youtube": 3,
}
BRAND_SPREAD, CELL_SPREAD = 0.25, 0.20
REACH_CV, ENGAGEMENT_CV, CONVERSION_RHO, ACCEPTANCE_RHO = 0.4, 0.5, 0.002, 0.05
FEE_SIGMA, COST_SIGMA, REVENUE_SIGMA = 0.35, 0.25, 0.15
CLICKS_PER_CONVERSION = 3.0
ORDER_VALUE = 95.0
TRUE_PARAMETERS = ("reach_rate", "engagement_rate", "conversion_rate", "click_rate", "acceptance_rate",
                   "fee_per_post", "product_cost", "handling_cost")


@dataclass(frozen=True)
class Campaign:
    """A generated results table and the true cell averages behind it."""

    table: pd.DataFrame
    truth: pd.DataFrame  # cell, tier, platform, parameter, true_average
    seed: int


def _beta(rng: np.random.Generator, mean: np.ndarray, rho: float) -> np.ndarray:
    scale = 1 / rho - 1
    return rng.beta(mean * scale, (1 - mean) * scale)


def generate_campaign(seed: int, creators: dict[str, int] | None = None, scenario: Scenario | None = None,
                      wave: int = 0, signed: dict[str, int] | None = None,
                      names: dict[str, list[str]] | None = None) -> Campaign:
    """One campaign's results (one row per invited creator) and its true averages.

    ``seed`` fixes the brand (its true averages); ``wave`` the creators of one campaign of that
    brand (wave 1 is a second campaign with the same true rates). With ``signed``, invitations in
    a cell stop once that many creators have accepted (a plan's creators: no one signs beyond it).
    ``names``: the creator ids to invite per cell (a roster plan's chosen creators), in place of
    generated ones.
    """
    scenario = scenario or Scenario()
    creators = SPRING_CREATORS if creators is None else creators
    rng = np.random.default_rng(seed)
    brand = {name: math.exp(rng.normal(0, BRAND_SPREAD)) for name in TRUE_PARAMETERS}
    cells = resolve_cells(scenario)
    factors = [{name: brand[name] * math.exp(rng.normal(0, CELL_SPREAD)) for name in TRUE_PARAMETERS}
               for _cell in cells]
    rng = np.random.default_rng((seed, wave))  # the creators of this wave
    frames, truths = [], []
    for cell, factor in zip(cells, factors):
        count = creators.get(cell.key, 0)
        engagement = cell.engagement_rate  # per follower per post
        truth = {
            "reach_rate": min(cell.reach_rate * factor["reach_rate"], 5.0),
            "engagement_rate": min(engagement * factor["engagement_rate"], 0.5),
            "conversion_rate": min(cell.conversion_rate * factor["conversion_rate"], 0.2),
            "acceptance_rate": min(cell.acceptance_rate * factor["acceptance_rate"], 0.9),
            "fee_per_post": max(cell.fee_per_post, 5.0) * factor["fee_per_post"],
            "product_cost": max(cell.product_cost, 5.0) * factor["product_cost"],
            "handling_cost": max(cell.handling_cost, 5.0) * factor["handling_cost"],
        }
        truth["click_rate"] = truth["conversion_rate"] * (1 + CLICKS_PER_CONVERSION)
        truths += [{"cell": cell.key, "tier": cell.tier, "platform": cell.platform, "parameter": p,
                    "true_average": truth[p]} for p in TRUE_PARAMETERS]
        if count == 0:
            continue
        low, high = scenario.tiers[cell.tier]
        followers = np.floor(np.exp(rng.uniform(math.log(max(low, 50.0)), math.log(high), count)))
        accepts = rng.random(count) < _beta(rng, np.full(count, truth["acceptance_rate"]), ACCEPTANCE_RHO)
        posts = np.where(accepts, rng.integers(1, max(cell.max_posts, 1) + 1, count), 0)
        reach_rate = rng.gamma(1 / REACH_CV ** 2, truth["reach_rate"] * REACH_CV ** 2, count)
        reach = np.where(accepts, rng.poisson(followers * reach_rate), 0)
        rate = rng.gamma(1 / ENGAGEMENT_CV ** 2, truth["engagement_rate"] * ENGAGEMENT_CV ** 2, count)
        engagements = rng.poisson(followers * posts * rate)
        conversions = rng.binomial(engagements, _beta(rng, np.full(count, truth["conversion_rate"]), CONVERSION_RHO))
        clicks = conversions + rng.poisson(engagements * CLICKS_PER_CONVERSION * truth["conversion_rate"])

        def lognormal(mean: float, sigma: float) -> np.ndarray:
            return np.exp(rng.normal(math.log(mean) - sigma ** 2 / 2, sigma, count))

        fee = lognormal(truth["fee_per_post"], FEE_SIGMA) * posts
        product = np.where(accepts, lognormal(truth["product_cost"], COST_SIGMA), 0.0)
        handling = np.where(accepts, lognormal(truth["handling_cost"], COST_SIGMA), 0.0)
        revenue = conversions * ORDER_VALUE * lognormal(1.0, REVENUE_SIGMA)
        prefix = f"{cell.tier[0]}{cell.platform[:2]}"
        invited = count
        if signed is not None and cell.key in signed:  # stop inviting once the plan's creators have signed
            enough = np.flatnonzero(np.cumsum(accepts) >= signed[cell.key])
            invited = int(enough[0]) + 1 if len(enough) else count
        frames.append(pd.DataFrame({
            "creator_id": (names or {}).get(cell.key) or [f"{prefix}{seed % 100:02d}{wave % 10}{i:04d}"
                                                          for i in range(count)],
            "platform": cell.platform, "followers": followers.astype(int), "invited": 1,
            "accepted": accepts.astype(int), "posts": posts, "reach": reach, "engagements": engagements,
            "clicks": clicks, "conversions": conversions, "revenue": np.round(revenue, 2),
            "fee_paid": np.round(fee, 2), "product_cost": np.round(product, 2),
            "handling_cost": np.round(handling, 2),
        }).iloc[:invited])
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Campaign(table=table, truth=pd.DataFrame(truths), seed=seed)


def _write(path: Path, text: str) -> None:
    """Write through a temporary file and rename (never a torn file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


def plan_cells(plan: dict[str, Any]) -> tuple[dict[str, int], dict[str, int], dict[str, list[str]] | None]:
    """Invitations, creators to sign and (roster plans) creator ids per cell of a plan.json: a
    tier plan's ``invites`` and ``creators``; a roster plan's chosen creators, each invited by
    name (declines are the reserve list's to cover)."""
    if plan.get("mode") == "roster":
        names: dict[str, list[str]] = {}
        for creator in plan["selected"]:
            names.setdefault(f"{creator['tier']}.{creator['platform']}", []).append(str(creator["id"]))
        sizes = {cell: len(ids) for cell, ids in names.items()}
        return sizes, dict(sizes), names
    sizes = {f"{a['tier']}.{a['platform']}": int(a["invites"]) for a in plan["allocation"]}
    return sizes, {f"{a['tier']}.{a['platform']}": int(a["creators"]) for a in plan["allocation"]}, None


def main(argv: list[str] | None = None) -> None:
    """Write a generated campaign's results (and its true averages with --truth)."""
    parser = argparse.ArgumentParser(prog="python -m mixopt.analysis.campaign_results",
                                     description="Write a past campaign's results with known true rates.")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--wave", type=int, default=0, help="another campaign of the same brand (same true rates)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the creators per cell")
    parser.add_argument("--out", type=Path, required=True, help="results CSV to write")
    parser.add_argument("--truth", type=Path, default=None, help="also write the true cell averages here")
    parser.add_argument("--plan", type=Path, default=None,
                        help="a plan.json: invite as many creators per cell as the plan says (its 'invites')")
    args = parser.parse_args(argv)
    sizes = {k: int(round(v * args.scale)) for k, v in SPRING_CREATORS.items()}
    cap, names = None, None
    if args.plan is not None:
        try:
            sizes, cap, names = plan_cells(json.loads(args.plan.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
            raise SystemExit(f"{args.plan}: (file): not a plan.json written by mixopt solve ({type(err).__name__}). "
                             "Pass the plan.json of a solve's --out folder") from None
    campaign = generate_campaign(args.seed, sizes, wave=args.wave, signed=cap, names=names)
    _write(args.out, campaign.table.to_csv(index=False, lineterminator="\n"))
    if args.truth is not None:
        _write(args.truth, campaign.truth.to_csv(index=False, lineterminator="\n", float_format="%.6g"))
    print(f"wrote {args.out} ({len(campaign.table):,} creators, seed {args.seed})")


if __name__ == "__main__":
    main()
