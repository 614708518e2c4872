"""A seeded synthetic creator roster for examples, tests and benchmarks.

Followers are log-uniform over the default bands (pico 100-1k, nano 1k-10k, micro 10k-100k);
platform, category, country and overlap group are drawn at random; engagement rate, reach,
fee and product cost are drawn around the documented tier defaults (the same split lognormal
as ``mixopt simulate``), with fees scaled by followers within a tier. Same seed, same roster.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mixopt.analysis.simulate import quantile_of
from mixopt.scenario.defaults import default_value

__all__ = ["synthetic_roster", "write_roster", "CATEGORIES"]

CATEGORIES = ("beauty", "fitness", "food", "fashion", "gaming", "travel", "tech", "parenting")
_PLATFORMS = ("instagram", "tiktok", "youtube")
_PLATFORM_SHARE = (0.5, 0.35, 0.15)
_COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT")


def _tier_of(followers: np.ndarray) -> np.ndarray:
    return np.where(followers < 1_000, "pico", np.where(followers < 10_000, "nano", "micro"))


def _draw(tier: np.ndarray, platform: np.ndarray, name: str, z: np.ndarray) -> np.ndarray:
    out = np.empty(len(tier))
    for t in ("pico", "nano", "micro"):
        for p in _PLATFORMS:
            mask = (tier == t) & (platform == p)
            if mask.any():
                d = default_value(t, p, name)
                assert d is not None
                out[mask] = quantile_of(d.low, d.base, d.high, z[mask])
    return out


def synthetic_roster(n: int, seed: int = 0, *, views_share: float = 0.3, flag_share: float = 0.001) -> pd.DataFrame:
    """A roster of ``n`` creators with the columns a marketplace export would have.

    Columns: id, platform, followers, engagement_rate (per follower), average_views (for a
    ``views_share`` of creators, else empty), fee_per_post, product_cost, category, country,
    fit_score, overlap_group, must_include, exclude.
    """
    rng = np.random.default_rng(seed)
    followers = np.floor(10 ** rng.uniform(2.0, 5.0, n)).astype(np.int64)
    platform = rng.choice(np.array(_PLATFORMS), size=n, p=_PLATFORM_SHARE)
    tier = _tier_of(followers)
    # engagement per follower: views-based defaults (TikTok) are converted with the reach rate
    reach_rate = _draw(tier, platform, "reach_rate", rng.standard_normal(n) * 0.5)
    engagement = _draw(tier, platform, "engagement_rate", rng.standard_normal(n) * 0.5)
    engagement = np.where(platform == "tiktok", engagement * reach_rate, engagement)
    engagement = np.minimum(engagement, 0.5)  # the lognormal tail would otherwise pass 100%
    typical = _draw(tier, platform, "typical_followers", np.zeros(n))
    fee = _draw(tier, platform, "fee_per_post", rng.standard_normal(n) * 0.5) * (followers / typical) ** 0.8
    pico_free = (tier == "pico") & (rng.random(n) < 0.4)  # many pico creators take product only
    fee = np.where(pico_free, 0.0, np.round(fee, 2))
    product = np.round(_draw(tier, platform, "product_cost", rng.standard_normal(n) * 0.3), 2)
    views = np.where(rng.random(n) < views_share, np.round(followers * reach_rate), np.nan)
    frame = pd.DataFrame({
        "id": [f"c{i:07d}" for i in range(n)],
        "platform": platform,
        "followers": followers,
        "engagement_rate": np.round(engagement, 5),
        "average_views": views,
        "fee_per_post": fee,
        "product_cost": product,
        "category": rng.choice(np.array(CATEGORIES), size=n),
        "country": rng.choice(np.array(_COUNTRIES), size=n),
        "fit_score": np.round(rng.random(n), 3),
        "overlap_group": [f"g{g:05d}" for g in rng.integers(0, max(n // 25, 1), n)],
        "must_include": (rng.random(n) < flag_share).astype(int),
        "exclude": (rng.random(n) < flag_share).astype(int),
    })
    both = (frame["must_include"] == 1) & (frame["exclude"] == 1)
    frame.loc[both, "exclude"] = 0
    return frame


def write_roster(frame: pd.DataFrame, out: Path, parts: int = 8, *, folder: bool = False) -> None:
    """Write a creator table: CSV (``.csv``), one Parquet file (``.parquet``), or a folder of ``parts`` Parquet
    files (``folder``, or an existing folder), each written atomically; the same frame gives the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mixopt.outputs.files import write_atomic

    if folder or out.is_dir():
        if out.exists() and any(out.iterdir()):
            raise SystemExit(f"{out}: the folder exists and is not empty; remove it or name another folder")
        out.mkdir(parents=True, exist_ok=True)
        bounds = np.linspace(0, len(frame), max(parts, 1) + 1).astype(int)
        for k in range(max(parts, 1)):
            piece = pa.Table.from_pandas(frame.iloc[bounds[k]:bounds[k + 1]], preserve_index=False)
            write_atomic(out / f"part-{k:05d}.parquet", lambda tmp, t=piece: pq.write_table(t, tmp))
    elif out.suffix.lower() in (".parquet", ".pq"):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        write_atomic(out, lambda tmp: pq.write_table(table, tmp))
    else:
        write_atomic(out, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))


def main(argv: list[str] | None = None) -> None:
    """``python -m mixopt.synth N OUT [--seed S] [--parts K]``: write a synthetic creator table.

    OUT ending in ``.csv`` is a CSV file, ``.parquet`` one Parquet file, ``/`` a folder of K Parquet files.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mixopt.synth", description="Write a seeded synthetic creator "
                                     "table: OUT.csv, OUT.parquet, or OUT/ (a folder of Parquet files).")
    parser.add_argument("creators", type=int, help="number of creators, e.g. 100000")
    parser.add_argument("out", help="file to write: .csv, .parquet, or a folder ending in /")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parts", type=int, default=8, help="Parquet files in a folder (default 8)")
    args = parser.parse_args(argv)
    if args.creators < 1:
        parser.error("the number of creators must be at least 1")
    write_roster(synthetic_roster(args.creators, args.seed), Path(args.out), args.parts,
                 folder=args.out.endswith(("/", "\\")))


if __name__ == "__main__":
    main()
