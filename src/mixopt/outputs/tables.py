"""A tier plan as the terminal table ``mixopt solve`` prints."""

from __future__ import annotations

import math

from mixopt.outputs.cells import printable
from mixopt.scenario.outcomes import posts_split_text, posts_splits
from mixopt.tier.plan import Plan

__all__ = ["format_table"]


def _n(value: float | None, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{decimals}f}"


def format_table(plan: Plan) -> str:
    """The plan as a terminal report a planner can read top to bottom."""
    s = plan.scenario
    cur = s.currency
    lines = [f"mixopt {plan.mixopt_version}  scenario: {printable(s.name)}  ({printable(s.source_file)})"]
    gap = "" if plan.gap is None or not plan.status.has_plan else f", gap {plan.gap:.2%}"
    goal = "minimise spend" if plan.objective_label == "spend" else f"maximise {printable(plan.objective_label)}"
    lines.append(f"Status: {plan.status.value}{gap}   goal: {goal}   solver: {plan.solver_version}")
    if not plan.status.has_plan:
        lines += [f"  note: {printable(n)}" for n in plan.notes]
        return "\n".join(lines) + "\n"
    used = plan.allocation[plan.allocation["creators"] > 0]
    header = ["tier", "platform", "creators", "posts", "creators x posts", "invites", f"spend {cur}", "reach",
              "engagements", "conversions", "CPE", "CPA"]
    body = [
        [printable(r.tier), printable(r.platform), _n(r.creators), _n(r.posts), posts_split_text(split, "+"), _n(r.invites), _n(r.spend),
         _n(r.reach), _n(r.engagements), _n(r.conversions, 1), _n(r.cpe, 2), _n(r.cpa, 2)]
        for r, split in zip(used.itertuples(index=False), posts_splits(used))
    ]
    t = plan.totals
    body.append(["total", "", _n(t["creators"]), _n(t["posts"]), "", _n(t["invites"]), _n(t["spend"]),
                 _n(t["reach"]), _n(t["engagements"]), _n(t["conversions"], 1), _n(t["cpe"], 2), _n(t["cpa"], 2)])
    widths = [max(len(str(row[i])) for row in [header] + body) for i in range(len(header))]

    def fmt_row(row: list[str]) -> str:
        return "  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths)))

    lines += ["", "Plan", fmt_row(header), fmt_row(["-" * w for w in widths])]
    lines += [fmt_row(row) for row in body[:-1]] + [fmt_row(["-" * w for w in widths]), fmt_row(body[-1])]
    budget = f" of {_n(s.budget)} ({t['spend'] / s.budget:.0%})" if s.budget else ""
    unique = t.get("unique_reach")
    audience = ([f"unique reach {_n(unique)}", f"frequency {_n(t['frequency'], 2)}"]
                if isinstance(unique, float) and math.isfinite(unique) and unique > 0 else [])
    kpis = [f"spend {_n(t['spend'])} {cur}{budget}", f"reach {_n(t['reach'])}", *audience,
            f"impressions {_n(t['impressions'])}",
            f"engagements {_n(t['engagements'])}", f"conversions {_n(t['conversions'], 1)}"]
    if s.economics.average_order_value is not None:
        kpis += [f"revenue {_n(t['revenue'])} {cur}", f"profit {_n(t['profit'])} {cur}", f"ROI {_n(t['roi'], 2)}"]
    kpis += [f"CPE {_n(t['cpe'], 2)}", f"CPA {_n(t['cpa'], 2)}"]
    lines += ["", "Totals: " + ", ".join(kpis)]
    if plan.marginals:
        lines += ["", "What limits the plan (one more unit of each rule, re-solved):"]
        lines += [f"  - {printable(m.explanation)}" for m in plan.marginals]
    if plan.baseline is not None:
        b = plan.baseline
        verdict = "follows every rule" if b.feasible else "breaks: " + "; ".join(printable(c.label) for c in b.broken_rules[:3])
        lines += ["", f"Your mix ({verdict}):",
                  f"  {plan.objective_label}: yours {_n(b.objective_value)} vs optimised {_n(plan.objective_value)}"
                  f"; spend yours {_n(b.totals['spend'])} vs optimised {_n(t['spend'])} {cur}"]
    if plan.notes:
        lines += ["", "Notes:"] + [f"  - {printable(n)}" for n in plan.notes]
    return "\n".join(lines) + "\n"
