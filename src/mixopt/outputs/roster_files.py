"""Roster plans out: terminal table, plan.csv (the chosen creators), plan.json, plan.xlsx,
reserves.csv, and for a re-plan changes.csv. Same conventions as tier mode: fixed rounding,
stable order, provenance in every file, atomic writes, no timestamps."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from mixopt.contract import RuleCheck
from mixopt.outputs.cells import frame_csv, printable, printable_frame
from mixopt.outputs.files import clean, write_atomic, write_text
from mixopt.outputs.labels import objective_kind
from mixopt.outputs.sheets import Book
from mixopt.outputs.standard_sheets import (
    PROVENANCE_LABELS,
    dictionary_sheet,
    mix_block,
    plan_facts,
    summary_sheet,
    tier_docs,
)
from mixopt.roster.plan import RosterPlan
from mixopt.roster.replan import Replan
from mixopt.version import mixopt_version

__all__ = ["roster_plan_csv", "roster_plan_json", "roster_plan_dict", "format_roster_table", "write_roster_outputs",
           "ROSTER_COLUMN_DOCS", "replan_dict", "replan_json", "changes_csv", "format_replan_table",
           "write_replan_outputs"]

#: Unit and meaning of the roster-only columns (tier-mode columns: standard_sheets.COLUMN_DOCS).
ROSTER_COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "id": ("", "the creator's id from the creator table"),
    "platform": ("", "instagram, tiktok, youtube, ..."),
    "tier": ("", "tier from followers and the scenario's thresholds"),
    "followers": ("followers", "from the creator table"),
    "category": ("", "category / niche from the creator table"),
    "country": ("", "from the creator table"),
    "overlap_group": ("", "audience overlap group from the creator table"),
    "fee_per_post": ("currency per post", "fee per post (table, else tier default)"),
    "product_cost": ("currency per creator", "product / gifting cost (table, else tier default)"),
    "handling_cost": ("currency per creator", "handling cost (table, else tier default)"),
    "fit_score": ("score", "the planner's fit score from the table (0 when absent)"),
    "acceptance_rate": ("share", "chance the creator says yes (table, else tier default)"),
    "must_include": ("yes/no", "flagged must-include in the table"),
    "filled_from_defaults": ("", "metrics that came from tier defaults, not the table"),
    "for_id": ("", "the chosen creator this reserve replaces"),
    "rank": ("", "reserve order for that creator: call rank 1 first (empty: no replacement keeps every rule)"),
    "spend_change": ("currency", "what the swap changes in total spend (replacement minus the chosen creator)"),
    "objective_change": ("goal's unit", "what the swap (reserves) or change (changes.csv) does to the goal"),
    "checked": ("yes/no", "the swapped set re-passed the independent rule check"),
    "note": ("", "why a chosen creator has no replacement"),
    "change": ("", "added, dropped, or posts (other posts for a creator kept)"),
    "why": ("", "signed, declined, swapped (re-optimised), re-optimised (posts)"),
    "holds": ("yes/no", "the rule holds on the chosen creators (independent check)"),
    "sense": ("", "<=, >= or =="),
    "limit": ("rule's unit", "the rule's limit"),
    "slack": ("rule's unit", "room left before the rule binds"),
}


def _provenance(plan: RosterPlan) -> dict[str, Any]:
    s = plan.scenario
    sol = plan.solution
    return {
        "mixopt_version": mixopt_version(),
        "scenario_name": s.name,
        "scenario_file": s.source_file,
        "scenario_sha256": s.content_hash,
        "creator_table": plan.roster.source_file,
        "creator_table_sha256": plan.roster.sha256,
        "solver": sol.solver,
        "solver_version": sol.solver_version,
        "method": sol.method,
    }


def _goal(plan: RosterPlan) -> str:
    obj = plan.scenario.objective
    if obj.minimize:
        return "minimise spend"
    return f"maximise {obj.column}" if obj.maximize == "column" else f"maximise {obj.maximize}"


def roster_plan_csv(plan: RosterPlan) -> str:
    """plan.csv in roster mode: one row per chosen creator, in roster order (followers and posts
    as whole numbers, text cells neutralised against spreadsheet formulas)."""
    return frame_csv(plan.selected)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        out.append({str(k): (None if v is pd.NA or (isinstance(v, float) and (math.isnan(v) or math.isinf(v)))
                             else clean(v)) for k, v in row.items()})
    return out


def roster_plan_dict(plan: RosterPlan) -> dict[str, Any]:
    sol = plan.solution
    return {
        "provenance": _provenance(plan),
        "mode": "roster",
        "goal": _goal(plan),
        "status": sol.status.value,
        "objective_value": clean(sol.objective),
        "bound": clean(sol.bound),
        "gap": clean(sol.gap),
        "lp_relaxation": clean(sol.lp_objective),
        "creators_in_table": len(plan.roster),
        "skipped_rows": plan.roster.skipped_rows,
        "totals": {k: (None if isinstance(v, float) and math.isnan(v) else clean(v)) for k, v in plan.totals.items()},
        "by_tier": _records(plan.by_tier),
        "by_platform": _records(plan.by_platform),
        "rules": [{"rule": c.rule, "label": c.label, "value": clean(c.value), "sense": c.sense,
                   "limit": clean(c.limit), "slack": clean(c.slack), "holds": c.holds} for c in plan.checks],
        "marginal_values": [
            {"rule": m.rule, "label": m.label, "step": m.step, "change": clean(m.change),
             "change_low": clean(m.change_low), "change_high": clean(m.change_high), "explanation": m.explanation}
            for m in plan.marginals
        ],
        "notes": list(plan.notes),
        "selected": _records(plan.selected),
        "reserves": _records(plan.reserves),
    }


def roster_plan_json(plan: RosterPlan) -> str:
    # Compact (json's C encoder): a million-creator roster chooses tens of thousands, and the
    # indented encoder is pure Python. 'python -m json.tool plan.json' pretty-prints it.
    return json.dumps(roster_plan_dict(plan), separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


def _n(value: float | None, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "-"
    return f"{value:,.{decimals}f}"


def _decimals(check: RuleCheck) -> int:
    """Counts (creators) and whole amounts without decimals; other amounts to the cent."""
    whole = all(float(v).is_integer() for v in (check.value, check.limit) if v is not None and math.isfinite(v))
    return 0 if check.unit == "creators" or whole else 2


def format_roster_table(plan: RosterPlan, top: int = 15) -> str:
    """What ``mixopt solve`` prints for a roster scenario."""
    s = plan.scenario
    sol = plan.solution
    t = plan.totals
    lines = [f"mixopt {mixopt_version()}  scenario: {printable(s.name)}  ({printable(s.source_file)})",
             f"Creator table: {printable(plan.roster.source_file)}  ({len(plan.roster):,} creators"
             + (f", {plan.roster.skipped_rows:,} bad rows skipped" if plan.roster.skipped_rows else "") + ")",
             f"Status: {sol.status.value}, certified gap {100 * (sol.gap or 0):.3f}% "
             f"(best possible {_n(sol.bound, 2)})   goal: {_goal(plan)}   method: {sol.method}", ""]
    lines.append(f"Chosen: {int(t['creators']):,} creators, spend {_n(t['spend'])} {s.currency}"
                 + (f" of {_n(s.budget)}" if s.budget is not None else "")
                 + f", reach {_n(t['reach'])}"
                 + (f", unique reach {_n(t['unique_reach'])}, frequency {_n(t['frequency'], 2)}"
                    if math.isfinite(t.get("unique_reach", math.nan)) and t.get("unique_reach", 0) > 0 else "")
                 + f", engagements {_n(t['engagements'])}, conversions {_n(t['conversions'], 1)}"
                 + (f", revenue {_n(t['revenue'])} {s.currency}, ROI {_n(t['roi'], 2)}" if not math.isnan(t['revenue'])
                    else "")
                 + f", CPE {_n(t['cpe'], 2)}, CPA {_n(t['cpa'], 2)}")
    lines += ["", "By tier:", printable_frame(plan.by_tier).to_string(index=False, float_format=lambda v: f"{v:,.0f}"),
              "", "By platform:",
              printable_frame(plan.by_platform).to_string(index=False, float_format=lambda v: f"{v:,.0f}")]
    shown = plan.selected.sort_values("spend", ascending=False, kind="stable").head(top).copy()
    shown["followers"] = shown["followers"].map(lambda v: f"{v:,.0f}")
    shown["posts"] = shown["posts"].map(lambda v: f"{v:.0f}")
    lines += ["", f"Top {len(shown)} chosen creators by spend (all {len(plan.selected):,} in plan.csv):",
              printable_frame(shown[["id", "platform", "tier", "followers", "category", "posts", "spend", "reach",
                                     "engagements", "conversions"]]).to_string(index=False,
                                                                               float_format=lambda v: f"{v:,.1f}")]
    binding = [c for c in plan.checks if abs(c.slack) <= 1e-6 * max(1.0, abs(c.limit)) and c.rule not in
               ("must_include", "exclude", "posts_per_creator")]
    if binding:
        lines += ["", "Rules at their limit:"] + [f"  - {printable(c.label)}: {_n(c.value, _decimals(c))} {c.sense} "
                                                  f"{_n(c.limit, _decimals(c))}" for c in binding]
    if plan.marginals:
        lines += ["", "What limits the plan (one more unit of each rule, re-solved):"]
        lines += [f"  - {printable(m.explanation)}" for m in plan.marginals]
    lines += _reserve_lines(plan)
    lines += ["", "Every rule re-checked on the chosen creators: "
              + ("all hold." if plan.feasible else "BROKEN: " + "; ".join(printable(c.label) for c in plan.checks
                                                                          if not c.holds))]
    if plan.notes:
        lines += ["", "Notes:"] + [f"  - {printable(n)}" for n in plan.notes]
    return "\n".join(lines) + "\n"


def _reserve_lines(plan: RosterPlan) -> list[str]:
    """One line on the reserves: how many chosen creators have a rule-keeping replacement."""
    r = plan.reserves
    if not len(r):
        return []
    with_one = r.loc[r["rank"].notna(), "for_id"].nunique()
    without = r[r["rank"].isna()]
    total = r["for_id"].nunique()
    most = int(r["rank"].max()) if with_one else 0
    line = (f"Reserves (reserves.csv): {with_one:,} of {total:,} chosen creators have a replacement that keeps "
            "every rule" + (f" (up to {most} each, best for the goal first)" if most > 1 else " (the best for the goal)"))
    if len(without):
        kinds = [(int(without["note"].str.startswith(word).sum()), word) for word in ("signed", "must-include")]
        kinds.append((len(without) - sum(count for count, _word in kinds), "with no swap that keeps every rule"))
        why = ", ".join(f"{count:,} {word}" for count, word in kinds if count)
        line += f"; {len(without):,} have none" + (f" ({why})" if why else "")
    return ["", line + "."]


def _roster_docs(code: str) -> tuple[str, str]:
    return ROSTER_COLUMN_DOCS.get(code) or tier_docs(code)


def _write_xlsx(plan: RosterPlan, target: Path, changes: pd.DataFrame | None = None) -> None:
    s = plan.scenario
    book = Book(target, f"mixopt roster: {s.name}", currency=s.currency)
    prov = _provenance(plan)
    facts = [(PROVENANCE_LABELS.get(k, k), str(v), "text") for k, v in prov.items()]
    facts += [("Contents", "roster plan" + (", changes" if changes is not None else ""), "text"),
              ("Creators in the table", len(plan.roster), "count")]
    facts += plan_facts(plan, s)
    facts.insert(len(prov) + 5, ("Best possible (certified bound)", plan.solution.bound,
                                 objective_kind(plan.objective_label)))
    # what limits the plan is in plan.json and on the terminal; the workbook stays the same with
    # and without --no-explain
    facts += [("Note", n, "text") for n in plan.notes]
    ws = summary_sheet(book, facts)
    mix_block(book, ws, "Summary", plan.by_tier)
    book.table(book.sheet("Selected creators"), plan.selected)  # one row per creator (totals: By tier, Summary)
    if changes is not None:
        book.table(book.sheet("Changes"), changes)
    tiers = book.sheet("By tier")
    table = book.table(tiers, plan.by_tier, total=_total(plan.by_tier, plan.totals, "tier"))
    if len(plan.by_tier):
        book.column_chart(tiers, (1, len(plan.by_tier.columns) + 1), "By tier",
                          (table.first_row, table.first_row + len(plan.by_tier) - 1, 0),
                          [((0, table.col("spend")), (table.first_row, table.first_row + len(plan.by_tier) - 1,
                                                      table.col("spend")))],
                          title="Spend by tier", y_title=book.axis_title("spend", "money"), y_kind="money", x_title="tier",
                          size=(480, 300))
    book.table(book.sheet("By platform"), plan.by_platform, total=_total(plan.by_platform, plan.totals, "platform"))
    book.table(book.sheet("Reserves"), plan.reserves)
    checks = pd.DataFrame([{"rule": c.rule, "label": c.label, "value": c.value, "sense": c.sense, "limit": c.limit,
                            "slack": c.slack, "holds": c.holds} for c in plan.checks],
                          columns=["rule", "label", "value", "sense", "limit", "slack", "holds"])
    book.table(book.sheet("Rule checks"), checks, kinds={"value": "decimal2"})
    dictionary_sheet(book, _roster_docs)
    book.close()


def _total(frame: pd.DataFrame, totals: dict[str, float], label_column: str) -> dict[str, Any]:
    """The bold total row under a table: the plan's totals for the columns that are sums."""
    sums = ("creators", "posts", "spend", "fees", "product_cost", "handling_cost", "reach", "impressions",
            "engagements", "conversions", "revenue")
    return {label_column: "Total", **{c: totals.get(c) for c in frame.columns if c in sums}}


def write_roster_outputs(plan: RosterPlan, out_dir: Path, *, plan_json_text: str | None = None,
                         changes: pd.DataFrame | None = None) -> list[Path]:
    """plan.csv (chosen creators), plan.json, plan.xlsx, reserves.csv and tracking.csv, each written atomically
    (a re-plan passes its own plan.json text and its changes, for a Changes sheet)."""
    out_dir = Path(out_dir)
    from mixopt.outputs.tracking import tracking_csv

    paths = [out_dir / "plan.csv", out_dir / "plan.json", out_dir / "plan.xlsx", out_dir / "reserves.csv",
             out_dir / "tracking.csv"]
    write_text(paths[0], roster_plan_csv(plan))
    write_text(paths[1], plan_json_text if plan_json_text is not None else roster_plan_json(plan))
    write_atomic(paths[2], lambda tmp: _write_xlsx(plan, tmp, changes))
    write_text(paths[3], frame_csv(plan.reserves))
    write_text(paths[4], tracking_csv(plan))
    return paths


# ----------------------------------------------------------------------------- re-plans


def changes_csv(result: Replan) -> str:
    """changes.csv: one row per creator the re-plan adds, drops or gives other posts."""
    return frame_csv(result.changes)


def _id_source(ids: Any) -> dict[str, Any]:
    return {"file": ids.file, "ids": list(ids.ids)}


def replan_dict(result: Replan) -> dict[str, Any]:
    """The re-plan's plan.json: the new roster plan plus what changed against the original."""
    data = roster_plan_dict(result.plan)
    original = result.original
    data["replan"] = {
        "original_plan": "mixopt.optimize of the same scenario and solver settings, recomputed",
        "signed": _id_source(result.signed),
        "declined": _id_source(result.declined),
        "original": {"status": original.status.value, "objective_value": clean(original.objective_value),
                     "gap": clean(original.gap),
                     "totals": {k: (None if isinstance(v, float) and math.isnan(v) else clean(v))
                                for k, v in original.totals.items()}},
        "change_in_totals": _records(result.totals_change),
        "changes": _records(result.changes),
    }
    return data


def replan_json(result: Replan) -> str:
    return json.dumps(replan_dict(result), separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


def _change_rows(frame: pd.DataFrame, title: str, cur: str) -> list[str]:
    if not len(frame):
        return ["", f"{title}: none"]
    shown = frame[["id", "why", "platform", "tier", "category", "spend", "reach", "engagements", "conversions",
                   "objective_change"]].rename(columns={"spend": f"spend {cur}", "objective_change": "goal change"})
    return ["", f"{title} ({len(frame):,}):",
            printable_frame(shown).to_string(index=False, float_format=lambda v: f"{v:,.1f}")]


def format_replan_table(result: Replan) -> str:
    """What ``mixopt replan`` prints: what changed against the original plan, then the re-plan."""
    s = result.plan.scenario
    original = result.original
    lines = [f"mixopt {mixopt_version()}  replan  scenario: {printable(s.name)}  ({printable(s.source_file)})",
             f"Signed: {len(set(result.signed.ids)):,} creators kept in ({printable(result.signed.file)}); declined: "
             f"{len(set(result.declined.ids)):,} creators left out ({printable(result.declined.file)})",
             f"Original plan: what 'mixopt solve {printable(s.source_file)}' gives, recomputed ({original.status.value}, "
             f"certified gap {100 * (original.gap or 0):.3f}%)", "", "What changed:"]
    totals = result.totals_change.copy()
    decimals = [1 if m == "conversions" or m == "objective (conversions)" else 0 for m in totals["measure"]]
    for column in ("original", "replan", "change"):
        totals[column] = [_n(v, d) for v, d in zip(totals[column], decimals)]
    totals["measure"] = [f"{m} {s.currency}" if m in ("spend", "revenue", "profit") else m for m in totals["measure"]]
    lines.append(totals.rename(columns={"measure": "", "replan": "re-plan"}).to_string(index=False))
    changes = result.changes
    lines += ["", "Creators added and dropped (figures: what each adds to the plan; negative: what leaves with it):"]
    lines += _change_rows(changes[changes["change"] == "added"], "Creators added", s.currency)
    lines += _change_rows(changes[changes["change"] == "dropped"], "Creators dropped", s.currency)
    moved = changes[changes["change"] == "posts"]
    if len(moved):
        lines += _change_rows(moved, "Creators with other posts", s.currency)
    lines += ["", "The re-plan:", ""]
    return "\n".join(lines) + "\n" + format_roster_table(result.plan)


def write_replan_outputs(result: Replan, out_dir: Path) -> list[Path]:
    """The roster plan files of the re-plan (plan.json with the changes) and changes.csv."""
    out_dir = Path(out_dir)
    paths = write_roster_outputs(result.plan, out_dir, plan_json_text=replan_json(result), changes=result.changes)
    write_text(out_dir / "changes.csv", changes_csv(result))
    return paths + [out_dir / "changes.csv"]
