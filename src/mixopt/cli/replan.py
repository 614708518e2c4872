"""``mixopt replan``: after creators answer, keep the signed ones, drop the declined ones and
choose the rest again under every rule; print what changed against the original plan."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from mixopt.api import marginal_values, solver_options_for
from mixopt.cli.app import cli
from mixopt.cli.common import (
    OutFolder,
    Seconds,
    Share,
    commit_out,
    format_option,
    open_out,
    planner_errors,
    read_scenario,
    scenario_argument,
    set_option,
    stage,
    usage_error,
    wrote_text,
)
from mixopt.errors import (
    InfeasibleError,
    Issue,
    MixoptError,
    ScenarioError,
    SolverError,
)
from mixopt.roster.diagnose import diagnose_roster
from mixopt.roster.model import build_roster_model
from mixopt.roster.plan import RosterPlan
from mixopt.roster.replan import IdList, Replan, read_id_list
from mixopt.roster.replan import replan as replan_roster
from mixopt.solvers.types import SolveStatus


def _lists(signed: Path | None, declined: Path | None) -> tuple[IdList, IdList]:
    """Both id files read, every problem of both reported at once."""
    issues: list[Issue] = []
    found = []
    for path, option, empty in ((signed, "--signed", "(no signed file)"), (declined, "--declined",
                                                                            "(no declined file)")):
        if path is None:
            found.append(IdList(empty, (), ()))
            continue
        try:
            found.append(read_id_list(path, option))
        except ScenarioError as err:
            issues += err.issues
    if issues:
        raise ScenarioError(issues)
    return found[0], found[1]


def _no_plan(plan: RosterPlan, what: str) -> MixoptError | None:
    """The error for a solve without a plan: the diagnosis (exit 3) or the solver's stop (exit 4)."""
    s = plan.scenario
    if plan.status in (SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED):
        reasons = diagnose_roster(build_roster_model(s, plan.roster))
        return InfeasibleError("\n".join(f"{s.source_file}: no choice of creators {what}: {r}." for r in reasons))
    if not plan.status.has_plan:
        return SolverError(f"{s.source_file}: solver: no plan found ({plan.status.value}; "
                           f"{'; '.join(plan.solution.notes) or 'no detail'}). Raise --time-limit or --mip-gap.")
    if not plan.feasible:
        broken = "; ".join(c.label for c in plan.checks if not c.holds)
        return SolverError(f"{s.source_file}: solver: the plan found breaks a rule on independent check ({broken}); "
                           "no plan is reported. Please report this with the scenario.")
    return None


@cli.command()
@scenario_argument
@set_option
@click.option("--signed", "signed_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV or XLSX with an 'id' column: the creators who signed (kept in the plan).")
@click.option("--declined", "declined_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV or XLSX with an 'id' column: the creators who declined (left out).")
@click.option("--out", "out_dir", type=OutFolder(), default=None,
              help="Write plan.csv, plan.json, plan.xlsx, reserves.csv and changes.csv into this folder, all "
                   "together with run.json.")
@format_option
@click.option("--time-limit", "time_limit_s", type=Seconds(), default=None,
              help="Stop each solve after this many seconds and keep the best plan found.")
@click.option("--mip-gap", type=Share(0, 1, example="--mip-gap 0.01 or --mip-gap 1%"), default=None,
              help="Accept plans within this relative gap of the optimum, e.g. 0.01 or 1% (default: the "
                   "scenario's roster.mip_gap).")
@click.option("--no-explain", is_flag=True, help="Skip the marginal values of the re-plan's binding rules (faster).")
def replan(scenario: Path, settings: tuple[str, ...], signed_file: Path | None, declined_file: Path | None, out_dir: Path | None, fmt: str,
           time_limit_s: float | None, mip_gap: float | None, no_explain: bool) -> None:
    """Re-plan a roster SCENARIO after creators answer: keep the signed, drop the declined.

    The rest of the creators are chosen again under every rule of the scenario. The original
    plan (what 'mixopt solve SCENARIO' gives, recomputed) is compared with the re-plan: creators
    added, creators dropped (declined, or swapped out by the re-optimisation), and the change in
    spend, each KPI and the goal. --format csv prints changes.csv, --format json the re-plan's
    plan.json.

    \b
    Example:
      mixopt replan scenarios/roster_skincare.yaml --signed scenarios/creators/signed.csv \\
          --declined scenarios/creators/declined.csv --out results/replan/
    """
    from mixopt.outputs.roster_files import (
        changes_csv,
        format_replan_table,
        replan_json,
        write_replan_outputs,
    )

    with planner_errors():
        if signed_file is None and declined_file is None:
            usage_error("--signed", "no creator answers given",
                        "Add --signed FILE, --declined FILE or both (CSV or XLSX with an 'id' column)")
        loaded = read_scenario(scenario, settings)
        if loaded.roster is None:
            raise ScenarioError([Issue(loaded.source_file, "roster", "'mixopt replan' is for roster scenarios "
                                       "(named creators from a creator table)",
                                       "Add a 'roster:' block naming the creator table, or change the tier scenario "
                                       f"and run 'mixopt solve {loaded.source_file}' again")])
        options = solver_options_for(loaded, time_limit_s=time_limit_s, mip_gap=mip_gap)
        out = open_out(out_dir, loaded)
        signed, declined = _lists(signed_file, declined_file)
        result: Replan = replan_roster(loaded, signed, declined, options)
        error = _no_plan(result.original, "satisfies every rule (before any creator answered)")
        answers = [f"keeps the {len(set(signed.ids))} signed creators"] if signed.ids else []
        answers += [f"leaves out the {len(set(declined.ids))} declined ones"] if declined.ids else []
        error = error or _no_plan(result.plan, ", ".join(answers) + " and satisfies every rule")
        if error is not None:
            raise error
        if not no_explain:
            marginals = marginal_values(result.plan, options, roster=result.plan.roster)
            result = dataclasses.replace(result, plan=dataclasses.replace(result.plan, marginals=marginals))
        final = result
        written = [] if out is None else commit_out(out, stage(out, lambda folder: write_replan_outputs(final, folder)))
        if fmt == "table":
            text = format_replan_table(result)
            if written:
                text += wrote_text(written)
        else:
            text = changes_csv(result) if fmt == "csv" else replan_json(result)
        click.echo(text, nl=False)
