"""A batch's table as ``batch.csv``, ``batch.parquet`` (pyarrow) and ``batch.xlsx`` (with a native
chart of the objective over the first grid field), the rows done so far of a running batch
(``.mixopt-batch-partial.parquet``), and both read back for ``--resume``.

One row per point in grid order; the same rows give the same bytes (fixed rounding, no
timestamps). Every file is written atomically (a temporary file, then a rename); the command line writes them
into the run's output set (``mixopt.outputs.output_set``: staged, then moved into ``--out``
together with ``run.json`` last).
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixopt.analysis.batch import RESULT_COLUMNS
from mixopt.errors import Issue, ScenarioError
from mixopt.outputs.files import write_atomic, write_text

__all__ = ["BatchLayout", "batch_csv", "batch_table", "write_batch", "write_checkpoint", "read_batch", "BATCH_FILES",
           "PARTIAL", "COLUMN_MEANINGS"]

BATCH_FILES = ("batch.csv", "batch.parquet", "batch.xlsx")
PARTIAL = ".mixopt-batch-partial.parquet"  # the rows done so far while a batch runs (not part of the output set)
_FIXED_TIME = _dt.datetime(2000, 1, 1)
_MAX_SERIES = 16
_INT_COLUMNS = {"point", "creators", "posts"}
_TEXT_COLUMNS = {"scenario", "point_key", "status", "objective", "error"}

#: Unit and meaning of the fixed columns (``creators_<tier>`` and grid fields are described per batch).
COLUMN_MEANINGS: dict[str, tuple[str, str]] = {
    "point": ("", "the point's number: grid order (first grid outermost) or the order the scenarios were given"),
    "scenario": ("", "the scenario file the point comes from"),
    "point_key": ("", "sha256 of the point's resolved scenario (and creator table): what --resume matches"),
    "status": ("", "optimal, feasible (stopped within a gap), infeasible (no plan meets every rule), "
                   "time_limit, ..., or error (the point could not be solved: see error)"),
    "objective": ("", "what the plan maximises (or 'spend' when it minimises spend)"),
    "objective_value": ("objective's unit", "the plan's value of the objective"),
    "best_possible": ("objective's unit", "the proven best value at this point (equal to objective_value when exact)"),
    "gap": ("share", "certified relative gap between the plan and the best possible (0 = proven best)"),
    "spend": ("currency", "media budget used: fees + product + handling"),
    "creators": ("creators", "creators signed"),
    "posts": ("posts", "sponsored posts"),
    "reach": ("people", "unique people reached, after diminishing returns"),
    "engagements": ("engagements", "likes, comments, shares, saves, after diminishing returns"),
    "conversions": ("conversions", "purchases: engagements x conversion_rate"),
    "revenue": ("currency", "conversions x average_order_value"),
    "profit": ("currency", "margin_rate x revenue - commission - spend (empty without an order value)"),
    "roi": ("ratio", "return on investment: profit / spend (empty without an order value)"),
    "cpe": ("currency per engagement", "cost per engagement: spend / engagements"),
    "cpa": ("currency per conversion", "cost per acquisition: spend / conversions"),
    "error": ("", "why the point has no plan or failed, in one line (empty when it has a plan)"),
}


@dataclass(frozen=True)
class BatchLayout:
    """The columns of one batch's table and which hold whole numbers."""

    grid_fields: tuple[str, ...]
    count_fields: tuple[str, ...]  # grid fields that are counts (whole numbers)
    tier_columns: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        results = list(RESULT_COLUMNS)
        at = results.index("posts") + 1
        return (["point", "scenario", *self.grid_fields, "point_key"] + results[:at] + list(self.tier_columns)
                + results[at:] + ["error"])

    def kind(self, column: str) -> str:
        if column in _TEXT_COLUMNS:
            return "text"
        if column in _INT_COLUMNS or column in self.tier_columns or column in self.count_fields:
            return "int"
        return "float"


def batch_table(rows: Sequence[dict[str, Any]], layout: BatchLayout) -> Any:
    """The rows as a pyarrow Table with fixed column types (int64, float64, string)."""
    import pyarrow as pa

    types = {"text": pa.string(), "int": pa.int64(), "float": pa.float64()}
    arrays = []
    for column in layout.columns:
        kind = layout.kind(column)
        values = [row.get(column) for row in rows]
        if kind == "int":
            values = [None if v is None else int(v) for v in values]
        elif kind == "float":
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=types[kind]))
    return pa.table(arrays, names=layout.columns)


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "int":
        return str(int(value))
    if kind == "float":
        return f"{float(value):.6f}"
    return str(value)


def batch_csv(rows: Sequence[dict[str, Any]], layout: BatchLayout) -> str:
    """The rows as CSV text: floats with 6 decimals, counts as whole numbers, empty for none."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = layout.columns
    writer.writerow(columns)
    kinds = [layout.kind(c) for c in columns]
    for row in rows:
        writer.writerow([_cell(row.get(c), k) for c, k in zip(columns, kinds)])
    return buffer.getvalue()


def _write_parquet(path: Path, rows: Sequence[dict[str, Any]], layout: BatchLayout) -> None:
    import pyarrow.parquet as pq

    table = batch_table(rows, layout)
    write_atomic(path, lambda tmp: pq.write_table(table, str(tmp)))


def _write_xlsx(path: Path, rows: Sequence[dict[str, Any]], layout: BatchLayout, title: str) -> None:
    write_atomic(path, lambda tmp: _xlsx(tmp, rows, layout, title))


def _xlsx(target: Path, rows: Sequence[dict[str, Any]], layout: BatchLayout, title: str) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(target), {"nan_inf_to_errors": False})
    wb.set_properties({"title": title, "creator": "mixopt", "created": _FIXED_TIME})
    bold = wb.add_format({"bold": True, "bg_color": "#EEEEEE"})
    formats = {"int": wb.add_format({"num_format": "#,##0"}), "float": wb.add_format({"num_format": "#,##0.00"}),
               "share": wb.add_format({"num_format": "0.000000"})}
    ws = wb.add_worksheet("Batch")
    columns = layout.columns
    ws.write_row(0, 0, columns, bold)
    for r, row in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            value, kind = row.get(column), layout.kind(column)
            if value is None:
                ws.write_blank(r, c, None)
            elif kind == "text":
                ws.write_string(r, c, str(value))
            else:
                ws.write_number(r, c, float(value), formats["share" if column == "gap" else kind])
    ws.freeze_panes(1, 0)
    ws.set_column(0, len(columns) - 1, 14)
    if rows:
        _chart(wb, bold, rows, layout)
    docs = wb.add_worksheet("Data dictionary")
    docs.write_row(0, 0, ["column", "unit", "meaning"], bold)
    docs.set_column(0, 1, 22)
    docs.set_column(2, 2, 90)
    for r, column in enumerate(columns, start=1):
        docs.write_row(r, 0, [column, *_meaning(column, layout)])
    wb.close()


def _meaning(column: str, layout: BatchLayout) -> tuple[str, str]:
    if column in COLUMN_MEANINGS:
        return COLUMN_MEANINGS[column]
    if column in layout.tier_columns:
        return "creators", f"creators of the {column[len('creators_'):]} tier in this point's plan"
    return "field's unit", f"the value of the scenario field {column} at this point"


def _chart(wb: Any, bold: Any, rows: Sequence[dict[str, Any]], layout: BatchLayout) -> None:
    """A native chart: the objective over the first grid field, one line per combination of the
    other fields (at most 16); by scenario when the batch is a list of files."""
    goals = sorted({str(r["objective"]) for r in rows if r.get("objective")})
    goal = goals[0] if len(goals) == 1 else "objective"
    ws = wb.add_worksheet("Chart")
    if not layout.grid_fields:
        ws.write_row(0, 0, ["scenario", goal], bold)
        for i, row in enumerate(rows, start=1):
            ws.write_string(i, 0, f"{row['point']}: {row['scenario']}")
            if row.get("objective_value") is not None:
                ws.write_number(i, 1, float(row["objective_value"]))
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"name": goal, "categories": ["Chart", 1, 0, len(rows), 0],
                          "values": ["Chart", 1, 1, len(rows), 1]})
        chart.set_title({"name": f"{goal} by scenario"})
        chart.set_legend({"none": True})
    else:
        first, others = layout.grid_fields[0], layout.grid_fields[1:]
        xs: dict[Any, None] = {}
        series: dict[tuple[Any, ...], dict[Any, Any]] = {}
        for row in rows:
            xs.setdefault(row[first], None)
            series.setdefault(tuple(row[f] for f in others), {})[row[first]] = row.get("objective_value")
        names = list(series)[:_MAX_SERIES]
        ws.write_string(0, 0, first, bold)
        for j, combo in enumerate(names, start=1):
            label = ", ".join(f"{f}={v}" for f, v in zip(others, combo)) or goal
            ws.write_string(0, j, label, bold)
        for i, x in enumerate(xs, start=1):
            ws.write_number(i, 0, float(x))
            for j, combo in enumerate(names, start=1):
                value = series[combo].get(x)
                if value is not None:
                    ws.write_number(i, j, float(value))
        if len(series) > len(names):
            ws.write_string(len(xs) + 2, 0, f"The chart shows the first {len(names)} of {len(series)} combinations "
                                            "of the other grid fields; every point is on the Batch sheet.")
        chart = wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
        for j, _ in enumerate(names, start=1):
            chart.add_series({"name": ["Chart", 0, j], "categories": ["Chart", 1, 0, len(xs), 0],
                              "values": ["Chart", 1, j, len(xs), j], "marker": {"type": "circle", "size": 5}})
        chart.set_title({"name": f"{goal} by {first}"})
        chart.set_x_axis({"name": first, "num_format": "#,##0"})
        if not others:
            chart.set_legend({"none": True})
    chart.set_y_axis({"name": goal, "num_format": "#,##0"})
    chart.set_size({"width": 720, "height": 400})
    ws.insert_chart("L2" if layout.grid_fields else "D2", chart)
    ws.set_column(0, 0, 18)


def write_batch(out_dir: Path, rows: Sequence[dict[str, Any]], layout: BatchLayout, title: str) -> list[Path]:
    """Write batch.csv, batch.parquet and batch.xlsx into ``out_dir``."""
    out_dir = Path(out_dir)
    write_text(out_dir / "batch.csv", batch_csv(rows, layout))
    _write_parquet(out_dir / "batch.parquet", rows, layout)
    _write_xlsx(out_dir / "batch.xlsx", rows, layout, title)
    return [out_dir / name for name in BATCH_FILES]


def write_checkpoint(out_dir: Path, rows: Sequence[dict[str, Any]], layout: BatchLayout) -> Path:
    """The rows done so far of a running batch, as ``.mixopt-batch-partial.parquet`` (what ``--resume``
    reads after an interruption; removed once the batch's files are in place)."""
    path = Path(out_dir) / PARTIAL
    _write_parquet(path, rows, layout)
    return path


def _read_table(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(str(path))
    except Exception as err:  # noqa: BLE001  any unreadable file: one line
        raise ScenarioError([Issue(str(path), "--resume", f"cannot be read as a batch table ({type(err).__name__})",
                                   "Remove it, or choose another --out folder")]) from None
    if "point_key" not in table.column_names or "status" not in table.column_names:
        raise ScenarioError([Issue(str(path), "--resume", "is not a mixopt batch table (no point_key column)",
                                   "Remove it, or choose another --out folder")])
    return table.to_pylist()


def read_batch(out_dir: Path) -> list[dict[str, Any]]:
    """The rows of an earlier run in ``out_dir``: its ``batch.parquet`` and, after an interruption,
    its ``.mixopt-batch-partial.parquet`` (none when there is neither)."""
    rows: list[dict[str, Any]] = []
    for name in ("batch.parquet", PARTIAL):
        path = Path(out_dir) / name
        if path.is_file():
            rows += _read_table(path)
    return rows
