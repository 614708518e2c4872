"""Re-plan after creators answer: keep the creators who signed, leave out those who declined,
choose the rest again under every rule of the scenario, and say what changed.

The original plan is recomputed: it is what ``mixopt.optimize(scenario)`` (``mixopt solve``)
gives for the same scenario and solver settings. The re-plan is the same solve with the signed
creators forced in (as if flagged ``must_include``) and the declined ones forced out (as if
flagged ``exclude``); the flags are set on the creator table in memory, never in the file.
"""

from __future__ import annotations

import dataclasses
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mixopt.errors import InfeasibleError, Issue, ScenarioError
from mixopt.roster.check import at_posts, check_roster_choice
from mixopt.roster.model import ROSTER_KPIS, objective_vector
from mixopt.roster.optimize import optimize_roster
from mixopt.roster.plan import RosterPlan
from mixopt.roster.table import Roster, load_roster
from mixopt.scenario.schema import Scenario
from mixopt.solvers.types import SolverOptions

__all__ = ["IdList", "Replan", "replan", "read_id_list", "forced_roster", "CHANGE_COLUMNS", "TOTAL_MEASURES"]

#: Columns of changes.csv: one row per creator the re-plan adds, drops or gives other posts.
CHANGE_COLUMNS = ("id", "change", "why", "platform", "tier", "category", "posts", "spend", *ROSTER_KPIS,
                  "objective_change")
#: The totals compared between the original plan and the re-plan, in order.
TOTAL_MEASURES = ("creators", "posts", "spend", *ROSTER_KPIS, "revenue", "profit")


@dataclass(frozen=True)
class IdList:
    """Creator ids with where each came from (``file`` and a spreadsheet row, or a list position)."""

    file: str
    ids: tuple[str, ...]
    places: tuple[str, ...]  # e.g. 'row 3' (the header is row 1) or 'item 2'

    @classmethod
    def of(cls, ids: Sequence[str] | IdList, file: str) -> IdList:
        if isinstance(ids, IdList):
            return ids
        values = tuple(str(i).strip() for i in ids)
        return cls(file, values, tuple(f"item {k + 1}" for k in range(len(values))))


def read_id_list(path: str | Path, option: str = "--signed") -> IdList:
    """Creator ids from a CSV or XLSX file with an ``id`` column (other columns are ignored)."""
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise ScenarioError([Issue(shown, "(file)", "file not found", f"Check the path given to {option}")])
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, zipfile.BadZipFile, KeyError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ScenarioError([Issue(shown, "(file)", f"cannot read the creator list: {first}",
                                   "Save it as CSV (UTF-8, comma separated) or XLSX with one header row")]) from None
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if "id" not in columns:
        found = ", ".join(str(c) for c in frame.columns) or "none"
        raise ScenarioError([Issue(shown, "id", f"column missing (columns: {found})",
                                   "Add an 'id' column holding the creator ids of the creator table")])
    ids = frame[columns["id"]].fillna("").astype(str).str.strip()
    empty = [f"row {k + 2}" for k in np.flatnonzero((ids == "").to_numpy())]
    if empty:
        raise ScenarioError([Issue(shown, f"{place}, id", "is empty", "Fill in the creator's id or delete the row")
                             for place in empty])
    return IdList(shown, tuple(ids), tuple(f"row {k + 2}" for k in range(len(ids))))


@dataclass(frozen=True)
class Replan:
    """A re-plan: the new roster plan, the original one, and what changed between them."""

    plan: RosterPlan  # signed creators kept, declined ones left out, the rest chosen again
    original: RosterPlan  # mixopt.optimize of the same scenario, recomputed
    signed: IdList
    declined: IdList
    changes: pd.DataFrame  # CHANGE_COLUMNS, one row per changed creator (empty without both plans)
    totals_change: pd.DataFrame  # measure, original, replan, change (TOTAL_MEASURES and the objective)

    @property
    def has_plans(self) -> bool:
        return _chosen(self.plan) is not None and _chosen(self.original) is not None


def _chosen(plan: RosterPlan) -> np.ndarray | None:
    return plan.solution.chosen if plan.status.has_plan else None


def _id_issues(table: pd.DataFrame, signed: IdList, declined: IdList) -> list[Issue]:
    """Unknown ids, ids in both lists, signed creators the creator table excludes: all at once."""
    position = pd.Index(table["id"])
    exclude = table["exclude"].to_numpy(dtype=bool)
    example = f" (ids match exactly, e.g. '{table['id'].iloc[0]}')" if len(table) else ""
    issues: list[Issue] = []
    for found in (signed, declined):
        for value, place in zip(found.ids, found.places):
            if value not in position:
                issues.append(Issue(found.file, f"{place}, id", "not a creator of the creator table",
                                    f"Use an id from the creator table{example}", value))
    first_signed = dict(zip(reversed(signed.ids), reversed(signed.places)))
    for value, place in zip(declined.ids, declined.places):
        if value in first_signed:
            issues.append(Issue(declined.file, f"{place}, id",
                                f"is also signed ({signed.file}, {first_signed[value]})",
                                "Keep the creator in one list: signed or declined", value))
    for value, place in zip(signed.ids, signed.places):
        if value in position and exclude[position.get_loc(value)]:
            issues.append(Issue(signed.file, f"{place}, id", "is flagged exclude in the creator table",
                                "Remove it from the signed list, or clear its exclude flag in the creator table",
                                value))
    return issues


def forced_roster(roster: Roster, signed: Sequence[str], declined: Sequence[str]) -> Roster:
    """The roster with signed creators flagged must-include and declined ones flagged exclude (in
    memory; a declined creator loses a must-include flag of the table: it cannot be in the plan)."""
    table = roster.table.copy()
    ids = table["id"]
    is_signed = ids.isin(list(signed)).to_numpy()
    is_declined = ids.isin(list(declined)).to_numpy()
    lost = int((table["must_include"].to_numpy(dtype=bool) & is_declined).sum())
    table["must_include"] = (table["must_include"].to_numpy(dtype=bool) | is_signed) & ~is_declined
    table["exclude"] = table["exclude"].to_numpy(dtype=bool) | is_declined
    note = (f"re-plan: {int(is_signed.sum()):,} signed creators kept in, {int(is_declined.sum()):,} declined creators "
            "left out (flags set on the creator table in memory; the file is unchanged)")
    notes = [note] + ([f"{lost} declined creators were flagged must-include in the creator table: left out"]
                      if lost else [])
    return dataclasses.replace(roster, table=table, notes=roster.notes + tuple(notes))


#: Rules that more creators can only strain: a signed set that breaks one already has no plan.
def _rule_path(rule: str) -> str | None:
    inner = rule[rule.find("[") + 1:-1] if "[" in rule else ""
    fixed = {"budget": "budget", "team_capacity": "rules.max_creators",
             "overlap_groups": "roster.max_per_overlap_group"}
    if rule in fixed:
        return fixed[rule]
    for prefix, path in (("tier_spend_max", "rules.tiers.{}.max_spend"),
                         ("tier_creators_max", "rules.tiers.{}.max_creators"),
                         ("platform_spend_max", "rules.platforms.{}.max_spend"),
                         ("platform_creators_max", "rules.platforms.{}.max_creators"),
                         ("cell_creators_max", "rules.cells.{}.max_creators"), ("cell_lock", "rules.cells.{}.lock"),
                         ("category_max", "roster.categories.{}.max_creators"),
                         ("resource", "roster.resource_caps.{}")):
        if rule.startswith(prefix + "["):
            return path.format(inner)
    return None


def _signed_conflicts(scenario: Scenario, table: pd.DataFrame, signed: IdList) -> list[str]:
    """The rules the signed creators (with the table's must-include ones) break on their own."""
    forced = table["must_include"].to_numpy(dtype=bool)
    if not signed.ids or not forced.any():
        return []
    n_signed = int(table["id"].isin(list(signed.ids)).sum())
    others = int(forced.sum()) - n_signed
    who = f"the {n_signed} signed creators" + (f" (with the creator table's {others} must-include ones)"
                                                if others > 0 else "")
    lines = []
    for c in check_roster_choice(scenario, table, forced):  # at the fewest posts: the least they can cost
        path = _rule_path(c.rule)
        if c.holds or path is None or (c.sense == "==" and c.value < c.limit):
            continue
        whole = c.unit in (scenario.currency, "creators")

        def shown(value: float, whole: bool = whole) -> str:
            return f"{value:,.0f}" if whole else f"{value:,.6g}"

        lines.append(str(Issue(
            signed.file, path,
            f"{who} already break '{c.label}': {shown(c.value)} {c.unit} against {shown(c.limit)}, "
            f"{shown(c.value - c.limit)} over", f"Drop signed creators or raise '{path}' in {scenario.source_file}",
            round(c.value, 2))))
    return lines


def _figures(scenario: Scenario, plan: RosterPlan, mask: np.ndarray) -> pd.DataFrame:
    table = plan.roster.table
    assert plan.solution.chosen is not None
    picked = at_posts(table, plan.solution.chosen & mask, plan.solution.posts)
    picked["objective_change"] = objective_vector(scenario, picked)
    return picked


def _changes(scenario: Scenario, original: RosterPlan, new: RosterPlan, signed: set[str],
             declined: set[str]) -> pd.DataFrame:
    """One row per creator added, dropped or given other posts; figures are what the change adds
    to the plan (a dropped creator's are negative), so the rows add up to the change in totals."""
    before, after = original.solution.chosen, new.solution.chosen
    assert before is not None and after is not None
    ids = original.roster.table["id"].to_numpy()
    numbers = ["posts", "spend", *ROSTER_KPIS, "objective_change"]
    parts = []
    dropped = _figures(scenario, original, before & ~after)
    dropped[numbers] = -dropped[numbers]
    dropped["change"] = "dropped"
    dropped["why"] = np.where(dropped["id"].isin(declined), "declined", "swapped")
    added = _figures(scenario, new, after & ~before)
    added["change"] = "added"
    added["why"] = np.where(added["id"].isin(signed), "signed", "swapped")
    parts += [dropped, added]
    if original.solution.posts is not None and new.solution.posts is not None:
        moved = before & after & (np.asarray(original.solution.posts) != np.asarray(new.solution.posts))
        if moved.any():
            now, was = _figures(scenario, new, moved), _figures(scenario, original, moved)
            now[numbers] = now[numbers].to_numpy() - was[numbers].to_numpy()
            now["change"] = "posts"
            now["why"] = "re-optimised"
            parts.append(now)
    frame = pd.concat([p for p in parts if len(p)] or [added], ignore_index=False)
    order = {"dropped": 0, "added": 1, "posts": 2}
    why = {"declined": 0, "signed": 0, "swapped": 1, "re-optimised": 2}
    position = pd.Series(np.arange(len(ids)), index=ids)
    frame = frame.assign(_a=frame["change"].map(order), _b=frame["why"].map(why),
                         _c=position.reindex(frame["id"]).to_numpy())
    frame = frame.sort_values(["_a", "_b", "_c"], kind="stable")
    frame["posts"] = np.round(frame["posts"].to_numpy(dtype=float)).astype(np.int64)
    return frame[list(CHANGE_COLUMNS)].reset_index(drop=True)


def _totals_change(original: RosterPlan, new: RosterPlan) -> pd.DataFrame:
    rows = []
    for measure in TOTAL_MEASURES:
        a, b = original.totals.get(measure, math.nan), new.totals.get(measure, math.nan)
        rows.append((measure, a, b, b - a))
    a, b = original.objective_value, new.objective_value
    a_value = math.nan if a is None else float(a)
    b_value = math.nan if b is None else float(b)
    rows.append((f"objective ({original.objective_label})", a_value, b_value, b_value - a_value))
    return pd.DataFrame(rows, columns=["measure", "original", "replan", "change"])


def replan(scenario: Scenario, signed: Sequence[str] | IdList = (), declined: Sequence[str] | IdList = (),
           options: SolverOptions | None = None, *, roster: Roster | None = None) -> Replan:
    """Keep the signed creators, drop the declined ones, and choose the rest again.

    ``signed`` and ``declined`` are creator ids (or :class:`IdList` from :func:`read_id_list`,
    so messages name the file and row). ``options`` defaults to the scenario's own settings
    (``solver.time_limit_s``, ``roster.mip_gap``), as ``mixopt.optimize`` uses them.

    Raises
    ------
    ScenarioError
        An id not in the creator table, an id both signed and declined, a signed creator the
        creator table excludes (exit 1), every problem at once.
    InfeasibleError
        The signed creators alone break a rule that more creators can only strain (the budget,
        team capacity, a maximum count or spend, an overlap group, a resource cap): exit 3.
    """
    s = scenario
    if s.roster is None:
        raise ScenarioError([Issue(s.source_file, "roster", "re-planning is for roster scenarios (named creators)",
                                   "Add a 'roster:' block naming the creator table")])
    signed_list = IdList.of(signed, "(signed ids)")
    declined_list = IdList.of(declined, "(declined ids)")
    if not signed_list.ids and not declined_list.ids:
        raise ScenarioError([Issue(signed_list.file, "id", "no signed and no declined creators given",
                                   "Give the ids of the creators who signed, who declined, or both")])
    if options is None:
        options = SolverOptions(solver=s.solver.name, time_limit_s=s.solver.time_limit_s, mip_gap=s.roster.mip_gap)
    roster = roster if roster is not None else load_roster(s)
    issues = _id_issues(roster.table, signed_list, declined_list)
    if issues:
        raise ScenarioError(issues)
    forced = forced_roster(roster, signed_list.ids, declined_list.ids)
    conflicts = _signed_conflicts(s, forced.table, signed_list)
    if conflicts:
        raise InfeasibleError("\n".join(conflicts))
    original = optimize_roster(s, options, mip_gap=options.mip_gap, roster=roster, reserves=False)  # compared only
    plan = optimize_roster(s, options, mip_gap=options.mip_gap, roster=forced)
    if len(plan.reserves):  # a signed creator needs no reserve
        reserves = plan.reserves.copy()
        kept = reserves["for_id"].isin(list(signed_list.ids)).to_numpy() & reserves["rank"].isna().to_numpy()
        reserves.loc[kept, "note"] = "signed: stays in the plan, no replacement needed"
        plan = dataclasses.replace(plan, reserves=reserves)
    result = Replan(plan, original, signed_list, declined_list, pd.DataFrame(columns=list(CHANGE_COLUMNS)),
                    _totals_change(original, plan))
    if result.has_plans:
        changes = _changes(s, original, plan, set(signed_list.ids), set(declined_list.ids))
        result = dataclasses.replace(result, changes=changes)
    return result
