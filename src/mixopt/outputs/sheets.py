"""The one sheet style of every mixopt workbook: print setup, planner headers, fitted widths,
number formats by kind, total rows, notes and charts.

Every workbook writer (plan, roster plan, sweep, frontier, comparison, simulation) builds on
``Book``::

    book = Book(path, "mixopt: Skincare launch", currency="USD")
    ws = book.sheet("Plan")
    book.table(ws, frame, total={"tier": "Total", "creators": 70, ...})
    book.close()

- Text from inputs is always written as text (``write_string``; XlsxWriter's
  strings-to-formulas and strings-to-URLs conversions are off), never as a formula or a link.
- Print setup on every sheet: landscape, one page wide, the header row repeated on each page,
  sheet name and page number in the footer (``print_setup``; the Summary fits on one page).
- Headers in planner words (``labels.header_of``); codes go to the Data dictionary.
- Number formats by kind (``labels.KINDS``): whole counts, years without separators, money in
  the scenario's currency, shares as percentages.
- The document properties carry a fixed date, so the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mixopt.outputs.labels import header_of, kind_of

__all__ = ["Book", "Table", "print_setup", "scale_to_width", "LINES_PER_PAGE", "safe_currency", "header_footer_text", "CHART_COLOURS", "number_formats"]

_FIXED_TIME = _dt.datetime(2000, 1, 1)

#: Series colours of every chart, in order (tier and roster workbooks share them).
CHART_COLOURS = ("#1F4E79", "#C55A11", "#548235", "#BF9000", "#7030A0", "#2E75B6", "#A5A5A5", "#843C0C")

_CAP = 60  # widest column, in characters; longer text wraps
#: Printed lines per landscape page a table sheet is scaled to at most (a readable size).
LINES_PER_PAGE = 44


def safe_currency(currency: str) -> str:
    """The currency code as it may appear inside a number format (letters, digits, symbols)."""
    return "".join(ch for ch in str(currency) if ch.isalnum() or ch in "$€£¥₹₩₽ ").strip()[:12]


def header_footer_text(text: str) -> str:
    """``text`` for a print header or footer: ``&`` doubled (a single one starts a code)."""
    return printable_text(text).replace("&", "&&")[:100]


def printable_text(text: str) -> str:
    from mixopt.outputs.cells import printable

    return printable(text)


def number_formats(currency: str) -> dict[str, str]:
    """The number format of each kind; money carries the currency code."""
    code = safe_currency(currency)
    money = f'#,##0.00 "{code}"' if code else "#,##0.00"
    return {"text": "@", "count": "#,##0", "year": "0", "money": money, "measure": "#,##0", "decimal1": "#,##0.0",
            "decimal2": "#,##0.00", "number": "#,##0.00##", "percent": "0.0%", "gap": "0.000%", "ratio": "0.00",
            "score": "0.000", "yesno": "@"}


def _shown(kind: str, value: float, currency: str) -> str:
    """About what a number looks like in its format (for column widths)."""
    if kind in ("count", "measure"):
        return f"{value:,.0f}"
    if kind == "year":
        return f"{value:.0f}"
    if kind == "money":
        return f"{value:,.2f} {currency}".strip()
    if kind == "decimal1":
        return f"{value:,.1f}"
    if kind in ("percent", "gap"):
        return f"{100 * value:.{1 if kind == 'percent' else 3}f}%"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "score":
        return f"{value:.3f}"
    text = f"{value:,.4f}".rstrip("0")
    return text + "0" * max(0, 2 - len(text.split(".")[1])) if "." in text else text


def scale_to_width(characters: int) -> int:
    """The print scale (percent) at which ``characters`` of column width fit across a landscape
    A4 page with mixopt's margins (for sheets with manual page breaks, which fit-to-page ignores)."""
    pixels = characters * 7 + 5
    return max(10, min(100, int(100 * 1040 / pixels)))


def print_setup(ws: Any, *, header_rows: int = 1, pages_tall: int | None = 0, title: str = "") -> None:
    """Landscape, one page wide (``pages_tall`` 0: as many pages down as needed; None: no fitting,
    the caller sets a scale), the first ``header_rows`` rows repeated on every page, the title top
    left, sheet and page at the foot."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    if pages_tall is not None:
        ws.fit_to_pages(1, pages_tall)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    ws.set_header(f"&L{header_footer_text(title)}" if title else "", {"margin": 0.25})
    ws.set_footer("&L&A&RPage &P of &N", {"margin": 0.25})


@dataclass(frozen=True)
class Table:
    """Where a table landed: its sheet, header row, first and last data rows, and column codes."""

    ws: Any
    name: str
    header_row: int
    first_row: int
    last_row: int
    codes: tuple[str, ...]
    lines: int = 0  # printed lines, header and wrapped rows included
    width: int = 0  # characters across all columns

    def col(self, code: str) -> int:
        return self.codes.index(code)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series) or (
        series.dtype == object and bool(len(series.dropna())) and all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in series.dropna()))


def _wrap_lines(text: str, width: int) -> int:
    """About how many lines ``text`` takes wrapped in ``width`` characters (a word longer than a
    line, such as a link, is broken across lines)."""
    width = max(width, 1)
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, 0
        used += (1 if used else 0) + len(word)
        while used > width:
            lines, used = lines + 1, used - width
    return lines


class Book:
    """An XlsxWriter workbook in mixopt's style (see the module text)."""

    def __init__(self, target: Any, title: str, currency: str = "") -> None:
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(target), {"nan_inf_to_errors": False, "strings_to_formulas": False,
                                                    "strings_to_urls": False, "strings_to_numbers": False})
        self.wb.set_properties({"title": printable_text(title)[:250], "creator": "mixopt", "created": _FIXED_TIME})
        self.title = title
        self.currency = safe_currency(currency)
        base = {"font_name": "Calibri", "font_size": 11, "valign": "top"}
        self.header = self.wb.add_format(base | {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True,
                                                 "bottom": 1, "indent": 1})
        self.number_header = self.wb.add_format(base | {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True,
                                                        "bottom": 1, "align": "right"})
        self.heading = self.wb.add_format(base | {"bold": True, "font_size": 13})
        self.label = self.wb.add_format(base | {"bold": True})
        self.note = self.wb.add_format(base | {"italic": True, "text_wrap": True})
        self.wrap = self.wb.add_format(base | {"text_wrap": True, "indent": 1})
        self.text = self.wb.add_format(base | {"indent": 1})
        #: left-aligned formats for the value column of a label / value list
        self.left = {k: self.wb.add_format(base | {"num_format": f, "align": "left", "indent": 1})
                     for k, f in number_formats(currency).items()}
        self.formats = {k: self.wb.add_format(base | {"num_format": f, **({"align": "center"} if k == "year" else {})})
                        for k, f in number_formats(currency).items()}
        self.totals = {k: self.wb.add_format(base | {"num_format": f, "bold": True, "top": 1})
                       for k, f in number_formats(currency).items()}
        self.wrapped_total = self.wb.add_format(base | {"bold": True, "top": 1, "text_wrap": True, "indent": 1})
        #: (sheet, header, code) of every table column written, for the Data dictionary.
        self.columns_seen: list[tuple[str, str, str]] = []

    def close(self) -> None:
        self.wb.close()

    # ------------------------------------------------------------------ sheets and cells

    def sheet(self, name: str, *, pages_tall: int | None = 0, header_rows: int = 1) -> Any:
        """A new worksheet with the print setup."""
        ws = self.wb.add_worksheet(name)
        print_setup(ws, header_rows=header_rows, pages_tall=pages_tall, title=self.title)
        return ws

    def put(self, ws: Any, row: int, col: int, value: Any, kind: str = "number", fmt: Any = None) -> None:
        """One cell: text as text, numbers as numbers in the kind's format, blanks for missing."""
        if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, (bool, np.bool_)):
            ws.write_string(row, col, "yes" if value else "no", fmt)
        elif isinstance(value, (int, float, np.integer, np.floating)) and kind not in ("text", "yesno"):
            ws.write_number(row, col, float(value), fmt if fmt is not None else self.formats[kind])
        else:
            ws.write_string(row, col, str(value), fmt)

    def heading_row(self, ws: Any, row: int, text: str) -> None:
        ws.write_string(row, 0, text, self.heading)

    def facts(self, ws: Any, row: int, facts: Sequence[tuple[str, Any, str]], label_col: int = 0,
              value_width: int = 62) -> int:
        """Label / value rows from ``row`` (``(label, value, kind)``), the values left-aligned and
        long text wrapped in ``value_width`` characters; returns the next free row."""
        for label, value, kind in facts:
            ws.write_string(row, label_col, label, self.label)
            fmt = self.wrap if kind == "text" else self.left[kind]
            self.put(ws, row, label_col + 1, value, kind, fmt)
            lines = _wrap_lines(str(value), int(value_width * 1.05) - 2) if kind == "text" and value is not None else 1
            if lines > 1:
                ws.set_row(row, 15 * lines)
            row += 1
        return row

    def note_rows(self, ws: Any, row: int, lines: Iterable[str], col: int = 0) -> int:
        for line in lines:
            ws.write_string(row, col, line, self.note)
            row += 1
        return row

    # ------------------------------------------------------------------ tables

    def table(self, ws: Any, frame: pd.DataFrame, *, name: str | None = None, row: int = 0, col: int = 0,
              kinds: dict[str, str] | None = None, headers: dict[str, str] | None = None,
              total: dict[str, Any] | None = None, widths: dict[str, int] | None = None,
              row_kinds: dict[str, Sequence[str]] | None = None, fit: bool = True,
              document: bool = True, paginate: bool = True) -> Table:
        """Write ``frame`` at (``row``, ``col``): planner headers, typed cells, an optional bold
        ``total`` row (values by column code), widths fitted to the content; returns where it is.
        ``row_kinds`` gives a column one kind per row (a column of mixed units)."""
        codes = tuple(str(c) for c in frame.columns)
        kinds = {c: (kinds or {}).get(c, kind_of(c)) for c in codes}
        row_kinds = row_kinds or {}
        shown = [(headers or {}).get(c, header_of(c)) for c in codes]
        for j, (text, c) in enumerate(zip(shown, codes)):
            numeric = kinds[c] not in ("text", "yesno") and _is_numeric(frame[c])
            ws.write_string(row, col + j, text, self.number_header if numeric else self.header)
        values = frame.astype(object).to_numpy() if len(codes) else np.empty((len(frame), 0), dtype=object)
        bools = [pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns]
        width = {c: int((widths or {}).get(c) or max(self._width(frame[c], k, shown[j])
                                                     for k in set(row_kinds.get(c, ())) | {kinds[c]}))
                 for j, c in enumerate(codes)}
        wraps = [kinds[c] == "text" and self._longest(frame[c]) > width[c] for c in codes]
        writers = [self._writer(kinds[c], bools[j], wraps[j]) for j, c in enumerate(codes)]
        for c, per_row in row_kinds.items():
            j = codes.index(c)
            cache = {k: self._writer(k, bools[j], wraps[j]) for k in set(per_row)}
            for i, k in enumerate(per_row, start=row + 1):
                cache[k](ws, i, col + j, values[i - row - 1][j])
        mixed = {codes.index(c) for c in row_kinds}
        for i, record in enumerate(values, start=row + 1):
            for j, value in enumerate(record):
                if j not in mixed:
                    writers[j](ws, i, col + j, value)
        last = row + len(frame)
        if total is not None:
            last += 1
            for j, c in enumerate(codes):
                value = total.get(c)
                kind = kinds[c] if not isinstance(value, str) else "text"
                self.put(ws, last, col + j, value, kind, self.wrapped_total if kind == "text" else self.totals[kind])
        lines = 0
        if fit:
            for j, c in enumerate(codes):
                ws.set_column(col + j, col + j, width[c])
            head = max((_wrap_lines(text, max(width[c] - 1, 1)) for text, c in zip(shown, codes)), default=1)
            ws.set_row(row, 15 * head)
            lines = head + last - row
            wrapped = [j for j in range(len(codes)) if wraps[j]]
            for i, record in enumerate(values, start=row + 1):
                tall = max((_wrap_lines(str(record[j]), int(width[codes[j]] * 1.05) - 2) for j in wrapped
                            if isinstance(record[j], str)), default=1)
                if tall > 1:
                    ws.set_row(i, 15 * tall)
                    lines += tall - 1
        if row == 0 and col == 0 and paginate:
            ws.fit_to_pages(1, max(1, math.ceil(lines / LINES_PER_PAGE)))
        if row == 0 and col == 0:
            ws.freeze_panes(1, 0)
        sheet = name or ws.get_name()
        if document:
            self.columns_seen += [(sheet, text, c) for text, c in zip(shown, codes)]
        return Table(ws, sheet, row, row + 1, last, codes, lines, sum(width.values()))

    def _writer(self, kind: str, is_bool: bool, wrap: bool) -> Callable[[Any, int, int, Any], None]:
        fmt = self.formats[kind]
        text_fmt = self.wrap if wrap else self.text

        def write(ws: Any, r: int, c: int, value: Any) -> None:
            if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
                ws.write_blank(r, c, None, text_fmt if kind in ("text", "yesno") else fmt)
            elif is_bool or isinstance(value, (bool, np.bool_)):
                ws.write_string(r, c, "yes" if value else "no")
            elif isinstance(value, (int, float, np.integer, np.floating)) and kind not in ("text", "yesno"):
                ws.write_number(r, c, float(value), fmt)
            else:
                ws.write_string(r, c, str(value), text_fmt)

        return write

    @staticmethod
    def _longest(series: pd.Series) -> int:
        text = series.dropna()
        return int(text.astype(str).str.len().max()) if len(text) else 0

    def _width(self, series: pd.Series, kind: str, header: str) -> int:
        longest_word = max((len(w) for w in header.split()), default=4)
        need = max(longest_word + 1, min(len(header), 10))
        numbers = pd.to_numeric(series, errors="coerce") if kind not in ("text", "yesno") else None
        if numbers is not None and numbers.notna().any() and not pd.api.types.is_bool_dtype(series):
            finite = numbers[np.isfinite(numbers.astype(float))].astype(float)
            if len(finite):
                widest = max(len(_shown(kind, float(finite.abs().max()), self.currency)),
                             len(_shown(kind, float(finite.abs().min()), self.currency)))
                need = max(need, widest + (1 if (finite < 0).any() else 0))
        text = series[series.map(lambda v: isinstance(v, str))] if series.dtype == object or kind == "text" else None
        if text is not None and len(text):
            need = max(need, int(text.astype(str).str.len().max()))
        if kind == "yesno":
            need = max(need, 3)
        return min(need + 2, _CAP)

    # ------------------------------------------------------------------ charts

    def column_chart(self, ws: Any, anchor: tuple[int, int], sheet: str, categories: tuple[int, int, int],
                     series: Sequence[tuple[tuple[int, int], tuple[int, int, int]]], *, title: str, y_title: str,
                     y_kind: str = "count", x_title: str = "", stacked: bool = False,
                     size: tuple[int, int] = (560, 320), x_offset: int = 4) -> None:
        """A column chart in the house style. ``categories``: (first row, last row, column);
        each series: ((row, column) of its name cell, (first row, last row, column) of values).
        Names come from cells, so text from inputs is never read as a formula."""
        chart = self.wb.add_chart({"type": "column", **({"subtype": "stacked"} if stacked else {})})
        first, last, cat_col = categories
        for i, ((name_row, name_col), (v_first, v_last, v_col)) in enumerate(series):
            colour = CHART_COLOURS[i % len(CHART_COLOURS)]
            chart.add_series({"name": [sheet, name_row, name_col], "categories": [sheet, first, cat_col, last, cat_col],
                              "values": [sheet, v_first, v_col, v_last, v_col], "fill": {"color": colour},
                              "border": {"none": True}, "gap": 80, **({"overlap": 100} if stacked else {})})
        self._style(chart, title, x_title, y_title, y_kind, len(series) > 1, "#,##0")
        chart.set_size({"width": size[0], "height": size[1]})
        ws.insert_chart(anchor[0], anchor[1], chart, {"x_offset": x_offset, "y_offset": 4})

    def line_chart(self, ws: Any, anchor: tuple[int, int], sheet: str, x: tuple[int, int, int],
                   y: tuple[int, int, int], name_cell: tuple[int, int], *, title: str, x_title: str, y_title: str,
                   x_kind: str, y_kind: str, size: tuple[int, int] = (560, 320)) -> None:
        """A line with markers (scatter, so the x axis keeps its values) in the house style."""
        chart = self.wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
        chart.add_series({"name": [sheet, *name_cell], "categories": [sheet, x[0], x[2], x[1], x[2]],
                          "values": [sheet, y[0], y[2], y[1], y[2]],
                          "line": {"color": CHART_COLOURS[0], "width": 2},
                          "marker": {"type": "circle", "size": 6, "fill": {"color": CHART_COLOURS[0]},
                                     "border": {"color": CHART_COLOURS[0]}}})
        self._style(chart, title, self.axis_title(x_title, x_kind), self.axis_title(y_title, y_kind), y_kind, False,
                    self._axis_format(x_kind))
        chart.set_size({"width": size[0], "height": size[1]})
        ws.insert_chart(anchor[0], anchor[1], chart, {"x_offset": 4, "y_offset": 4})

    @staticmethod
    def _axis_format(kind: str) -> str:
        """Axis numbers: whole with separators (the currency goes in the axis title), shares as
        percentages."""
        if kind in ("percent", "gap"):
            return "0%"
        if kind in ("ratio", "score"):
            return "0.0#"
        return "0" if kind == "year" else "#,##0"

    def axis_title(self, title: str, kind: str) -> str:
        """``budget`` -> ``budget (USD)`` for money; ``share (%)`` for percentages."""
        if kind == "money" and self.currency:
            return f"{title} ({self.currency})"
        return f"{title} (%)" if kind in ("percent", "gap") else title

    def _style(self, chart: Any, title: str, x_title: str, y_title: str, y_kind: str, legend: bool,
               x_format: str) -> None:
        font = {"name": "Calibri", "size": 10}
        chart.set_title({"name": _chart_text(title), "name_font": {"name": "Calibri", "size": 12, "bold": True}})
        chart.set_x_axis({"name": _chart_text(x_title), "name_font": font, "num_font": font, "num_format": x_format})
        chart.set_y_axis({"name": _chart_text(y_title), "name_font": font, "num_font": font,
                          "num_format": self._axis_format(y_kind),
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_legend({"position": "bottom", "font": font} if legend else {"none": True})
        chart.set_chartarea({"border": {"color": "#BFBFBF"}})


def _chart_text(text: str) -> str:
    """Chart titles are never formulas: XlsxWriter reads a leading ``=`` as a cell reference."""
    text = printable_text(text)
    return "\u200b" + text if text.startswith("=") else text
