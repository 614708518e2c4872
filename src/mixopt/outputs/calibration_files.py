"""A calibration as calibrated.yaml, a terminal table, calibration.csv and calibration.xlsx.

``calibrated.yaml`` is an ``assumptions:`` block in the scenario format, keyed by cell, with a
comment header saying what it rests on; a scenario uses it with ``assumptions_from:``. The
workbook has the table, the creators and posts per cell, the provenance, and one sheet per
parameter with a chart of the default against the calibrated value (P10-P90 of one creator as
error bars, the creators behind each cell in its label). Nothing time-dependent goes into a file.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pandas as pd

from mixopt.analysis.calibrate import CALIBRATED, Calibration
from mixopt.outputs.files import clean, write_atomic, write_text
from mixopt.version import mixopt_version

__all__ = ["calibrated_yaml", "calibration_csv", "calibration_text", "write_calibration", "CSV_COLUMNS"]

_FIXED_TIME = _dt.datetime(2000, 1, 1)
#: calibration.csv columns: (unit, meaning).
CSV_COLUMNS: dict[str, tuple[str, str]] = {
    "tier": ("", "tier"), "platform": ("", "platform"), "cell": ("", "tier.platform"),
    "parameter": ("", "the assumption"), "unit": ("", "share (a fraction) or money (the currency)"),
    "per": ("", "what a rate is per"), "family": ("", "beta-binomial, gamma-Poisson or log-normal"),
    "creators": ("creators", "creators with results for this parameter"),
    "exposure": ("parameter's 'per'", "followers, engagements or invites the rate rests on (creators for costs)"),
    "observed": ("unit", "the cell's own average from the results, before pooling"),
    "default_low": ("unit", "P10 of the value planned before (built-in default or the scenario's)"),
    "default_base": ("unit", "the value planned before"),
    "default_high": ("unit", "P90 of the value planned before"),
    "low": ("unit", "P10 for one new creator of the cell"),
    "base": ("unit", "calibrated planning value: posterior mean for a new creator"),
    "high": ("unit", "P90 for one new creator of the cell"),
    "mean_low": ("unit", "P10 of the cell average"),
    "mean_high": ("unit", "P90 of the cell average"),
}
_LIMITS = {"engagement_rate": 1.0, "conversion_rate": 1.0, "acceptance_rate": 1.0, "reach_rate": 10.0,
           "click_rate": 10.0}


def _number(value: float, money: bool) -> str:
    """A plain YAML number: 2 decimals for money, 4 significant digits for rates, never an exponent."""
    if money:
        return f"{value:.2f}"
    text = np.format_float_positional(float(value), precision=4, unique=False, fractional=False, trim="-")
    return text + "0" if text.endswith(".") else text


def calibrated_yaml(calibration: Calibration) -> str:
    """The calibrated.yaml text: a provenance header, ``grade: calibrated``, tiers and assumptions."""
    c = calibration
    lines = [f"# Calibrated assumptions from past campaign results (mixopt {mixopt_version()} calibrate).",
             "# Use them in a scenario with 'assumptions_from: calibrated.yaml': they replace the built-in",
             "# defaults, and the scenario's own assumptions still win over them.",
             "# base = posterior mean for a new creator of the cell; low / high = P10 / P90 for one creator;",
             "# mean_low / mean_high = P10 / P90 of the cell average.",
             f"# method: {c.method}", "# results:"]
    for file, digest in c.results.files:
        lines.append(f"#   {file}  sha256 {digest}")
    lines.append(f"# rows read {c.results.rows_read:,}, skipped {c.results.skipped_rows:,} bad rows")
    lines.append("# creators (signed) and posts per cell:")
    width = max([len(k) for k in c.cells["cell"]] + [4])
    calibrated = set(c.estimates["cell"])
    for row in c.cells.itertuples(index=False):
        state = "" if row.creators else ("   (none signed: acceptance only)" if row.cell in calibrated else
                                         "   (no results: not calibrated)")
        lines.append(f"#   {row.cell:<{width}}  {row.creators:>6,} creators  {row.posts:>7,.0f} posts{state}")
    lines += ["grade: calibrated", "tiers:"]
    for tier, (low, high) in sorted(c.tiers.items(), key=lambda kv: kv[1][0]):
        lines.append(f"  {tier}: [{low:.0f}, {high:.0f}]")
    lines.append("assumptions:" + ("" if len(c.estimates) else " {}"))
    for cell, block in c.estimates.groupby("cell", sort=False):
        lines.append(f"  {cell}:")
        if "engagement_rate" in set(block["parameter"]):
            lines.append("    engagement_rate_per: followers")
        for row in block.itertuples(index=False):
            money = CALIBRATED[row.parameter][1] == "money"
            cap = _LIMITS.get(row.parameter, np.inf)
            values = {k: min(float(getattr(row, k)), cap) for k in ("base", "low", "high", "mean_low", "mean_high")}
            text = ", ".join(f"{k}: {_number(v, money)}" for k, v in values.items())
            lines.append(f"    {row.parameter}: {{{text}}}  # {row.creators:,} creators")
    return "\n".join(lines) + "\n"


def _frame(calibration: Calibration) -> pd.DataFrame:
    frame = calibration.estimates[list(CSV_COLUMNS)].copy()
    return frame


def calibration_csv(calibration: Calibration) -> str:
    """calibration.csv: one row per cell and parameter (columns in ``CSV_COLUMNS``)."""
    frame = _frame(calibration).map(lambda v: clean(v) if isinstance(v, float) else v)
    return frame.to_csv(index=False, lineterminator="\n")


def _fmt(value: float, money: bool) -> str:
    return f"{value:,.2f}" if money else f"{value:.4g}"


def calibration_text(calibration: Calibration) -> str:
    """The terminal report: per cell and parameter, the default against the calibrated value."""
    c = calibration
    files = ", ".join(f for f, _ in c.results.files)
    lines = [f"mixopt {mixopt_version()}  calibrate  results: {files}",
             f"{c.results.rows_read:,} rows, {int(c.cells['creators'].sum()):,} creators who signed, "
             f"{c.results.skipped_rows:,} bad rows skipped", ""]
    header = ["cell", "parameter", "creators", "default", "observed", "calibrated", "P10-P90 creator",
              "P10-P90 average"]
    body = []
    for r in c.estimates.itertuples(index=False):
        money = r.unit == "money"
        body.append([r.cell, r.parameter, f"{r.creators:,}", _fmt(r.default_base, money), _fmt(r.observed, money),
                     _fmt(r.base, money), f"{_fmt(r.low, money)}-{_fmt(r.high, money)}",
                     f"{_fmt(r.mean_low, money)}-{_fmt(r.mean_high, money)}"])
    widths = [max(len(row[i]) for row in [header] + body) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        return "  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths)))

    lines += [fmt(header), fmt(["-" * w for w in widths])] + [fmt(row) for row in body]
    empty = [cell for cell in c.cells["cell"] if cell not in set(c.estimates["cell"])]
    if empty:
        lines += ["", f"No results for {', '.join(empty)}: their assumptions stay as they were."]
    lines += [f"note: {n}" for n in c.notes]
    lines += [f"skipped: {issue}" for issue in c.results.skipped]
    return "\n".join(lines) + "\n"


def _write_xlsx(calibration: Calibration, target: Path) -> None:
    import xlsxwriter

    c = calibration
    wb = xlsxwriter.Workbook(str(target), {"nan_inf_to_errors": False})
    wb.set_properties({"title": "mixopt calibration", "creator": "mixopt", "created": _FIXED_TIME})
    bold = wb.add_format({"bold": True, "bg_color": "#EEEEEE"})
    number = wb.add_format({"num_format": "0.0000"})
    money = wb.add_format({"num_format": "#,##0.00"})

    def sheet(name: str, frame: pd.DataFrame, width: int = 14) -> object:
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, [str(col) for col in frame.columns], bold)
        for r, record in enumerate(frame.itertuples(index=False), start=1):
            for col, value in enumerate(record):
                if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
                    if np.isfinite(value):
                        ws.write_number(r, col, float(value), number)
                    else:
                        ws.write_blank(r, col, None)
                else:
                    ws.write_string(r, col, str(value))
        ws.freeze_panes(1, 0)
        ws.set_column(0, max(len(frame.columns) - 1, 0), width)
        return ws

    sheet("Calibration", _frame(c))
    sheet("Cells", c.cells)
    provenance = [("mixopt_version", mixopt_version()), ("method", c.method), ("currency", c.currency),
                  ("rows_read", str(c.results.rows_read)), ("bad_rows_skipped", str(c.results.skipped_rows))]
    provenance += [(f"results_file_{i + 1}", f"{f}  sha256 {h}") for i, (f, h) in enumerate(c.results.files)]
    provenance += [(f"column_{k}", f"{u}: {m}" if u else m) for k, (u, m) in CSV_COLUMNS.items()]
    sheet("Provenance", pd.DataFrame(provenance, columns=["field", "value"]), width=40)
    for name in CALIBRATED:
        block = c.estimates[c.estimates["parameter"] == name]
        if block.empty:
            continue
        fmt = money if CALIBRATED[name][1] == "money" else number
        ws = wb.add_worksheet(name[:31])
        cols = ["cell (creators)", "default", "default minus", "default plus", "calibrated", "minus", "plus",
                "mean_low", "mean_high"]
        ws.write_row(0, 0, cols, bold)
        for r, row in enumerate(block.itertuples(index=False), start=1):
            ws.write_string(r, 0, f"{row.cell} ({row.creators:,})")
            values = [row.default_base, row.default_base - row.default_low, row.default_high - row.default_base,
                      row.base, row.base - row.low, row.high - row.base, row.mean_low, row.mean_high]
            for col, value in enumerate(values, start=1):
                ws.write_number(r, col, float(value), fmt)
        ws.set_column(0, 0, 24)
        ws.set_column(1, len(cols) - 1, 13)
        n = len(block)
        chart = wb.add_chart({"type": "column"})
        for label, col in (("default", 1), ("calibrated", 4)):
            chart.add_series({
                "name": label, "categories": [name[:31], 1, 0, n, 0], "values": [name[:31], 1, col, n, col],
                "y_error_bars": {"type": "custom", "minus_values": [name[:31], 1, col + 1, n, col + 1],
                                 "plus_values": [name[:31], 1, col + 2, n, col + 2]},
            })
        chart.set_title({"name": f"{name}: default against calibrated (bars: P10-P90 of one creator)"})
        chart.set_y_axis({"name": f"{name} ({CALIBRATED[name][1]} per {CALIBRATED[name][2]})"})
        chart.set_size({"width": 760, "height": 380})
        ws.insert_chart(n + 3, 0, chart)
    wb.close()


def write_calibration(calibration: Calibration, out_dir: Path) -> list[Path]:
    """calibrated.yaml, calibration.csv and calibration.xlsx in ``out_dir`` (each atomically)."""
    out_dir = Path(out_dir)
    written = []
    for name, text in (("calibrated.yaml", calibrated_yaml(calibration)),
                       ("calibration.csv", calibration_csv(calibration))):
        write_text(out_dir / name, text)
        written.append(out_dir / name)
    write_atomic(out_dir / "calibration.xlsx", lambda tmp: _write_xlsx(calibration, tmp))
    written.append(out_dir / "calibration.xlsx")
    return written
