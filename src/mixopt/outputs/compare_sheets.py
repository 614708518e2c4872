"""The comparison workbook: plans labelled A, B, C (the Summary is the legend), "B minus A"
columns, one Assumptions sheet with a column saying whose assumption each row is, and a bar
chart of creators per cell for every plan."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pandas as pd

from mixopt.analysis.compare import PLAN_KINDS, Comparison
from mixopt.outputs.labels import kind_of
from mixopt.outputs.sheets import Book
from mixopt.outputs.standard_sheets import (
    PROVENANCE_LABELS,
    assumptions_sheet,
    dictionary_sheet,
    summary_sheet,
    tier_docs,
)
from mixopt.tier.plan import assumptions_table

__all__ = ["plan_letters", "write_comparison"]


def plan_letters(count: int) -> list[str]:
    """A, B, ..., Z, then AA, AB, ... (spreadsheet style)."""
    letters = list(string.ascii_uppercase)
    out = []
    for i in range(count):
        out.append(letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26])
    return out


def _row_kind(section: str, item: str) -> str:
    if section == "totals":
        return kind_of(item)
    if section == "goal":
        return "gap" if item == "gap" else "text"
    return "money" if section == "spend" else "count"


def _currency(c: Comparison) -> str:
    codes = {p.scenario.currency for p in c.plans}
    return codes.pop() if len(codes) == 1 else ""


def write_comparison(target: Path, c: Comparison, version: str) -> None:
    """Summary (legend), Comparison (with a bar chart), Assumptions, Data dictionary."""
    letters = plan_letters(len(c.plans))
    currency = _currency(c)
    book = Book(target, "mixopt comparison: " + ", ".join(f"{x} {p.scenario.name}" for x, p in zip(letters, c.plans)),
                currency=currency)
    facts: list[tuple[str, Any, str]] = [(PROVENANCE_LABELS["mixopt_version"], version, "text"),
                                         ("Contents", "comparison", "text"),
                                         ("Currency", currency or "differs between the plans", "text")]
    for letter, plan in zip(letters, c.plans):
        s = plan.scenario
        facts += [(f"Plan {letter}", s.name, "text"), (f"Plan {letter} file", s.source_file, "text"),
                  (f"Plan {letter} file SHA-256", s.content_hash, "text"),
                  (f"Plan {letter} solver", plan.solver_version, "text")]
        if c.has_roster:
            facts.append((f"Plan {letter} decides", PLAN_KINDS[plan.mode], "text"))
    facts += [(f"{x} minus A", f"plan {x} minus plan A, row by row", "text") for x in letters[1:]]
    summary_sheet(book, facts)

    table = c.table()
    renamed = {name: letter for name, letter in zip(c.names, letters)}
    renamed |= {f"{name} - {c.names[0]}": f"{letter} minus A" for name, letter in zip(c.names[1:], letters[1:])}
    table = table.rename(columns=renamed)
    kinds = [_row_kind(str(s), str(i)) for s, i in zip(table["section"], table["item"])]
    value_cols = [x for x in table.columns if x not in ("section", "item")]
    ws = book.sheet("Comparison")
    t = book.table(ws, table, row_kinds={x: kinds for x in value_cols}, kinds={x: "number" for x in value_cols},
                   headers={x: x for x in value_cols})
    rows = [i for i, s in enumerate(table["section"]) if s == "creators"]
    if rows:
        first, last = t.first_row + rows[0], t.first_row + rows[-1]
        item = t.col("item")
        book.column_chart(ws, (1, len(table.columns) + 1), "Comparison", (first, last, item),
                          [((0, t.col(x)), (first, last, t.col(x))) for x in letters],
                          title="Creators per cell, plan by plan", y_title="creators", x_title="tier.platform",
                          size=(620, 340))

    frames = [assumptions_table(p.cells).assign(scenario=letter) for letter, p in zip(letters, c.plans)]
    assumptions = pd.concat(frames, ignore_index=True)
    assumptions = assumptions[["scenario"] + [x for x in assumptions.columns if x != "scenario"]]
    assumptions_sheet(book, assumptions, currency)

    names = dict(zip(letters, c.names))

    def docs(code: str) -> tuple[str, str]:
        if code in names:
            return "as the row", f"values of plan {code}: {names[code]}"
        if code.endswith(" minus A") and code.split(" ")[0] in names:
            return "as the row", f"plan {code.split(' ')[0]} minus plan A (numbers only, not for the goal rows)"
        return tier_docs(code)

    dictionary_sheet(book, docs)
    book.close()
