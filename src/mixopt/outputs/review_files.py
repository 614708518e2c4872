"""A review (plan against actual) as a terminal report, review.csv, review_flags.csv and review.xlsx.

review.csv has one row per plan row (cell or creator) and measure, and a ``total`` row per
measure: planned, actual, gap, and the gap's volume, rate and cost parts (they add up to the gap).
The workbook holds both tables, the provenance and two charts: planned against actual conversions
per row, and the total gap of each figure split into its three parts. Nothing time-dependent.
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from mixopt.analysis.review import MEASURES, Review
from mixopt.outputs.files import clean, write_atomic, write_text
from mixopt.version import mixopt_version

__all__ = ["review_csv", "review_flags_csv", "review_text", "write_review", "REVIEW_COLUMNS"]

_FIXED_TIME = _dt.datetime(2000, 1, 1)
REVIEW_COLUMNS: dict[str, tuple[str, str]] = {
    "row": ("", "the plan's cell (tier.platform) or creator id; 'total' for the whole campaign"),
    "tier": ("", "tier"), "platform": ("", "platform"),
    "measure": ("", "creators, posts, spend, reach, engagements, conversions, revenue, profit, cpa or roi"),
    "planned": ("measure's unit", "what the plan expected"),
    "actual": ("measure's unit", "what the results show"),
    "gap": ("measure's unit", "actual - planned"),
    "volume": ("measure's unit", "part of the gap from creators signed, posts delivered and their followers"),
    "rate": ("measure's unit", "part of the gap from reach, engagement and conversion rates and revenue per order"),
    "cost": ("measure's unit", "part of the gap from fees per post and product and handling per creator"),
}
_DECIMALS = {"cpa": 2, "roi": 3, "conversions": 1}


def _n(value: float, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.{decimals}f}"


def review_csv(review: Review) -> str:
    frame = review.table[list(REVIEW_COLUMNS)].map(lambda v: clean(v) if isinstance(v, float) else v)
    return frame.to_csv(index=False, lineterminator="\n")


def review_flags_csv(review: Review) -> str:
    frame = review.flags.map(lambda v: clean(v) if isinstance(v, float) else v)
    return frame.to_csv(index=False, lineterminator="\n")


def review_text(review: Review, limit: int = 40) -> str:
    """The terminal report: planned / actual per row, the total gaps split, and the flagged creators."""
    t = review.table
    files = ", ".join(f for f, _ in review.results.files)
    lines = [f"mixopt {mixopt_version()}  review  plan: {review.plan_file}  results: {files}", ""]
    shown = ("creators", "posts", "spend", "reach", "engagements", "conversions", "cpa", "roi")
    header = ["row"] + [f"{m} plan/actual" for m in shown]
    wide = {m: t[t["measure"] == m].set_index("row") for m in shown}
    order = list(dict.fromkeys(t["row"]))
    body = []
    for row in order[:limit] + (["total"] if len(order) > limit else []):
        cells = [row]
        for m in shown:
            d = _DECIMALS.get(m, 0)
            cells.append(f"{_n(wide[m].at[row, 'planned'], d)} / {_n(wide[m].at[row, 'actual'], d)}")
        body.append(cells)
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]

    def fmt(r: list[str]) -> str:
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))

    lines += [fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in body]
    if len(order) > limit + 1:
        lines.append(f"... {len(order) - limit - 1:,} more rows in review.csv")
    lines += ["", f"Where the gaps come from (total; volume + rate + cost = gap, {review.currency} for money):"]
    totals = t[t["row"] == "total"].set_index("measure")
    for m in MEASURES:
        r = totals.loc[m]
        d = _DECIMALS.get(m, 0)
        lines.append(f"  {m:<12} planned {_n(r['planned'], d):>10}  actual {_n(r['actual'], d):>10}  gap "
                     f"{_n(r['gap'], d):>10} = volume {_n(r['volume'], d)} + rate {_n(r['rate'], d)} + cost "
                     f"{_n(r['cost'], d)}")
    f = review.flags
    if len(f):
        lines += ["", f"Far outside the prediction ({len(f):,} creator results beyond twice the P10-P90 distance):"]
        for r in f.head(20).itertuples(index=False):
            lines.append(f"  {r.creator_id} ({r.tier}.{r.platform}): {r.what} {r.actual:.4g} is far {r.direction} "
                         f"the predicted {r.low:.4g}-{r.high:.4g}")
        if len(f) > 20:
            lines.append(f"  ... {len(f) - 20:,} more in review_flags.csv")
    lines += [f"note: {n}" for n in review.notes]
    return "\n".join(lines) + "\n"


def _write_xlsx(review: Review, target: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(target), {"nan_inf_to_errors": False})
    wb.set_properties({"title": "mixopt review", "creator": "mixopt", "created": _FIXED_TIME})
    bold = wb.add_format({"bold": True, "bg_color": "#EEEEEE"})
    number = wb.add_format({"num_format": "#,##0.00"})

    def sheet(name: str, frame: pd.DataFrame, width: int = 14):  # noqa: ANN202
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, [str(c) for c in frame.columns], bold)
        for r, record in enumerate(frame.itertuples(index=False), start=1):
            for c, value in enumerate(record):
                if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
                    if math.isfinite(float(value)):
                        ws.write_number(r, c, float(value), number)
                    else:
                        ws.write_blank(r, c, None)
                else:
                    ws.write_string(r, c, str(value))
        ws.freeze_panes(1, 0)
        ws.set_column(0, max(len(frame.columns) - 1, 0), width)
        return ws

    table = review.table[list(REVIEW_COLUMNS)]
    sheet("Review", table)
    sheet("Far outside", review.flags)
    provenance = [("mixopt_version", mixopt_version()), ("plan_file", review.plan_file), ("mode", review.mode),
                  ("currency", review.currency)]
    provenance += [(f"results_file_{i + 1}", f"{f}  sha256 {h}") for i, (f, h) in enumerate(review.results.files)]
    provenance += [(f"column_{k}", f"{u}: {m}" if u else m) for k, (u, m) in REVIEW_COLUMNS.items()]
    provenance += [("note", n) for n in review.notes]
    sheet("Provenance", pd.DataFrame(provenance, columns=["field", "value"]), width=40)
    ws = wb.add_worksheet("Charts")
    conv = table[(table["measure"] == "conversions") & (table["row"] != "total")]
    ws.write_row(0, 0, ["row", "planned conversions", "actual conversions"], bold)
    for r, row in enumerate(conv.itertuples(index=False), start=1):
        ws.write_string(r, 0, str(row.row))
        for c, value in ((1, row.planned), (2, row.actual)):
            ws.write_number(r, c, float(value), number) if math.isfinite(value) else ws.write_blank(r, c, None)
    n = max(len(conv), 1)
    chart = wb.add_chart({"type": "column"})
    for c, name in ((1, "planned"), (2, "actual")):
        chart.add_series({"name": name, "categories": ["Charts", 1, 0, n, 0], "values": ["Charts", 1, c, n, c]})
    chart.set_title({"name": "Conversions: planned against actual"})
    chart.set_size({"width": 760, "height": 380})
    ws.insert_chart(1, 4, chart)
    totals = table[(table["row"] == "total") & table["measure"].isin(["spend", "reach", "engagements", "conversions"])]
    start = n + 3
    ws.write_row(start, 0, ["measure", "volume (share of plan)", "rate (share of plan)", "cost (share of plan)"], bold)
    for r, row in enumerate(totals.itertuples(index=False), start=start + 1):
        ws.write_string(r, 0, row.measure)
        for c, value in ((1, row.volume), (2, row.rate), (3, row.cost)):
            share = value / row.planned if row.planned else math.nan
            ws.write_number(r, c, share, number) if math.isfinite(share) else ws.write_blank(r, c, None)
    split = wb.add_chart({"type": "column", "subtype": "stacked"})
    for c, name in ((1, "volume"), (2, "rate"), (3, "cost")):
        split.add_series({"name": name, "categories": ["Charts", start + 1, 0, start + len(totals), 0],
                          "values": ["Charts", start + 1, c, start + len(totals), c]})
    split.set_title({"name": "Total gap split into volume, rate and cost (share of the plan)"})
    split.set_size({"width": 760, "height": 380})
    ws.insert_chart(start + 1, 4, split)
    wb.close()


def write_review(review: Review, out_dir: Path) -> list[Path]:
    """review.csv, review_flags.csv and review.xlsx in ``out_dir`` (each atomically)."""
    out_dir = Path(out_dir)
    written = []
    for name, text in (("review.csv", review_csv(review)), ("review_flags.csv", review_flags_csv(review))):
        write_text(out_dir / name, text)
        written.append(out_dir / name)
    write_atomic(out_dir / "review.xlsx", lambda tmp: _write_xlsx(review, tmp))
    written.append(out_dir / "review.xlsx")
    return written
