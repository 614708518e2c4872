"""The rows of the reserve list (RESERVE_COLUMNS): per chosen creator its replacements by rank,
or one row saying why it has none."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from mixopt.roster.model import ROSTER_KPIS

__all__ = ["RESERVE_COLUMNS", "MAX_SWAPS_SEARCHED", "no_replacement", "reserve_rows"]

#: Columns of reserves.csv (and the Reserves sheet), in order.
RESERVE_COLUMNS = ("for_id", "rank", "id", "platform", "tier", "followers", "category", "posts", "spend", *ROSTER_KPIS,
                   "acceptance_rate", "spend_change", "objective_change", "checked", "note")
#: The search stops after this many (chosen creator, candidate) swaps; a chosen creator still
#: without a replacement then says that none was found among the candidates searched.
MAX_SWAPS_SEARCHED = 60_000_000


def no_replacement(any_candidate: bool, cut: bool, labels: list[str], broken: np.ndarray) -> str:
    if not any_candidate:
        return "no unchosen creator is left to call"
    if cut:
        return ("no rule-keeping replacement among the candidates searched (a very large roster: the search stops "
                f"after {MAX_SWAPS_SEARCHED:,} swaps)")
    return (f"no unchosen creator can take its place and keep every rule (the rule the best candidates break most "
            f"often: {labels[int(np.argmax(broken))]})")


def reserve_rows(mine: pd.DataFrame, cand: pd.DataFrame, picks: dict[int, list[tuple[int, int]]], confirmed: set[int],
                 must: np.ndarray, reasons: dict[int, str], option_posts: np.ndarray,
                 objective_change: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> pd.DataFrame:
    """The reserve rows, built column by column: per chosen creator (roster order) its replacements
    by rank, or one row saying why it has none. ``objective_change(chosen, options)``: what each
    swap does to the goal."""
    for_k, ranks, options, none_k, notes = [], [], [], [], []
    for k in range(len(mine)):
        found = picks.get(k, [])
        if must[k]:
            none_k.append(k)
            notes.append("must-include creator: swapping it out breaks 'every must-include creator chosen'")
        elif found:
            for rank, (_position, option) in enumerate(found, start=1):
                for_k.append(k)
                ranks.append(rank)
                options.append(option)
        else:
            none_k.append(k)
            notes.append(reasons[k])
    ids = mine["id"].to_numpy()
    k_arr, opt, rank_arr = (np.asarray(v, dtype=np.int64) for v in (for_k, options, ranks))
    spend_in = cand["spend"].to_numpy(float)[opt]
    found_frame = pd.DataFrame({
        "for_id": ids[k_arr], "rank": rank_arr, "id": cand["id"].to_numpy()[opt],
        "platform": cand["platform"].to_numpy()[opt], "tier": cand["tier"].to_numpy()[opt],
        "followers": cand["followers"].to_numpy(float)[opt], "category": cand["category"].to_numpy()[opt],
        "posts": option_posts[opt].astype(np.int64), "spend": spend_in,
        **{kpi: cand[kpi].to_numpy(float)[opt] for kpi in ROSTER_KPIS},
        "acceptance_rate": cand["acceptance_rate"].to_numpy(float)[opt],
        "spend_change": spend_in - mine["spend"].to_numpy(float)[k_arr],
        "objective_change": objective_change(k_arr, opt),
        "checked": (rank_arr == 1) & np.isin(k_arr, np.fromiter(confirmed, dtype=np.int64, count=len(confirmed))),
        "note": "", "_order": k_arr * (len(mine) + 1) + rank_arr})
    none_frame = pd.DataFrame({"for_id": ids[np.asarray(none_k, dtype=np.int64)], "checked": False, "note": notes,
                               "_order": np.asarray(none_k, dtype=np.int64) * (len(mine) + 1)})
    frame = pd.concat([f.astype({"checked": bool}) for f in (found_frame, none_frame) if len(f)] or [found_frame],
                      ignore_index=True)
    frame = frame.sort_values("_order", kind="stable").reset_index(drop=True).reindex(columns=list(RESERVE_COLUMNS))
    frame["rank"] = frame["rank"].astype("Int64")
    frame["posts"] = frame["posts"].astype("Int64")
    for text in ("id", "platform", "tier", "category", "note"):
        frame[text] = frame[text].astype(object).where(frame[text].notna(), "")
    frame["checked"] = frame["checked"].fillna(False).astype(bool)
    return frame
