"""Writing scenarios: ``mixopt init`` (a starter that solves as it is), ``mixopt template`` (a fill-in
scenario workbook) and ``mixopt convert`` (YAML to a scenario workbook and back, checked lossless)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from mixopt.cli.app import cli
from mixopt.cli.common import cannot_write, planner_errors, usage_error
from mixopt.errors import Issue, MixoptError, ScenarioError
from mixopt.scenario.schema import Scenario

YAML_SUFFIXES = (".yaml", ".yml")
WORKBOOK_SUFFIXES = (".xlsx",)
_FORCE = click.option("--force", is_flag=True, help="Replace FILE if it exists (by default an existing file is "
                                                    "never replaced).")


def _kind(path: Path, argument: str) -> str:
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix in WORKBOOK_SUFFIXES:
        return "xlsx"
    usage_error(argument, "must end in .yaml, .yml or .xlsx", "Name a YAML scenario or a scenario workbook, e.g. "
                "scenario.yaml or scenario.xlsx", str(path))


def _refuse_existing(path: Path, command: str, force: bool, argument: str = "FILE") -> None:
    try:
        exists, regular = path.exists(), path.is_file()
    except OSError as err:  # e.g. a name too long for the file system
        cannot_write(path, argument, err)
    if exists and not force:
        raise ScenarioError([Issue(str(path), "(file)", f"already exists; mixopt {command} does not replace a file",
                                   "Choose another name, or add --force to replace it")])
    if exists and not regular:
        raise ScenarioError([Issue(str(path), "(file)", "is not a regular file", "Choose another name")])


def _starter(path: Path, roster: str | None = None) -> tuple[dict[str, Any], Scenario]:
    from mixopt.outputs.scenario_yaml import starter_data
    from mixopt.scenario.load import scenario_from_dict

    data = starter_data()
    if roster is not None:
        table = Path(roster).resolve()  # as typed: from the current folder
        try:
            found = table.is_file()
        except OSError:  # e.g. a name too long for the file system: no such table either way
            found = False
        if not found:
            usage_error("--roster", "no such creator table (a path from the current folder)",
                        "Give the creator table's path, e.g. --roster creators/roster.csv (CSV, XLSX or Parquet)",
                        roster)
        data.pop("baseline", None)  # a roster plan names creators: no mix per cell to compare
        data["roster"] = {"file": _path_from(table, path.parent.resolve())}  # the workbook reads it from its folder
    return data, scenario_from_dict(data, str(path))


def _write(path: Path, argument: str, write: Any) -> None:
    try:
        write()
    except OSError as err:
        cannot_write(path, argument, err)


def _template_note(path: Path) -> str:
    return (f"A fill-in scenario workbook written by mixopt. It holds a starter scenario that solves as it is "
            f"(mixopt solve {path}); change the yellow cells to make it yours.")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--roster", "roster", metavar="TABLE", default=None,
              help="Plan named creators: the creator table (CSV, XLSX or Parquet) for the Roster sheet; the "
                   "workbook names it from its own folder.")
@_FORCE
def template(file: Path, roster: str | None, force: bool) -> None:
    """Write a fill-in scenario workbook FILE.xlsx.

    Sheets: Instructions, Scenario (name, currency, budget, goal, targets, economics), Tiers,
    Platforms, Rules, Assumptions (every built-in number with its range, unit and source, to edit
    in place), Baseline and Roster, with drop-down lists. It holds a starter scenario that solves
    as it is; every command reads it like a YAML scenario.

    \b
    Example:
      mixopt template campaign.xlsx
      mixopt solve campaign.xlsx
    """
    from mixopt.outputs.scenario_workbook import write_scenario_workbook

    if _kind(file, "FILE") != "xlsx":
        usage_error("FILE", "a template is a workbook: the name must end in .xlsx",
                    "Write e.g. mixopt template campaign.xlsx (mixopt init writes a YAML starter)", str(file))
    with planner_errors():
        _refuse_existing(file, "template", force)
        data, scenario = _starter(file, roster)
        _write(file, "FILE", lambda: write_scenario_workbook(file, data, scenario, _template_note(file)))
    click.echo(f"Wrote {file}: a scenario workbook to fill in (it solves as it is). Next: mixopt solve {file}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), default="scenario.yaml", required=False)
@_FORCE
def init(file: Path, force: bool) -> None:
    """Write a commented starter scenario FILE (default scenario.yaml) that solves as it is.

    A name ending in .xlsx writes the same starter as a scenario workbook (see mixopt template).
    An existing file is never replaced (unless --force).

    \b
    Example:
      mixopt init
      mixopt init campaign.xlsx
    """
    from mixopt.outputs.files import write_text
    from mixopt.outputs.scenario_workbook import write_scenario_workbook
    from mixopt.outputs.scenario_yaml import STARTER_YAML

    kind = _kind(file, "FILE")
    with planner_errors():
        _refuse_existing(file, "init", force)
        if kind == "yaml":
            _write(file, "FILE", lambda: write_text(file, STARTER_YAML.replace("{file}", str(file))))
        else:
            data, scenario = _starter(file)
            _write(file, "FILE", lambda: write_scenario_workbook(file, data, scenario, _template_note(file)))
    click.echo(f"Wrote {file}: a starter scenario that solves as it is. Next: mixopt solve {file}")


# ----------------------------------------------------------------------------- convert


def _resolved(written: str, folder: Path) -> Path:
    path = Path(written)
    return (path if path.is_absolute() else folder / path).resolve()


def _path_from(where: Path, folder: Path) -> str:
    """``where`` relative to ``folder`` when they share a folder below the root, else in full."""
    try:
        shared = os.path.commonpath([where, folder])
    except ValueError:  # different drives
        return str(where)
    return str(where) if Path(shared) == Path(shared).anchor or Path(shared) == Path(where.anchor) else \
        os.path.relpath(where, folder)


def _rebased(data: dict[str, Any], scenario: Scenario, source_folder: Path, target: Path) -> dict[str, Any]:
    """The data with file paths (the creator table, a calibrated layer) still naming the same files
    from the target's folder."""
    out = dict(data)
    target_folder = target.parent.resolve()
    roster = out.get("roster")
    if isinstance(roster, dict) and isinstance(roster.get("file"), str) and scenario.roster_path:
        where = Path(scenario.roster_path).resolve()
        if _resolved(roster["file"], target_folder) != where:
            out["roster"] = {**roster, "file": _path_from(where, target_folder)}
    linked = out.get("assumptions_from")
    if isinstance(linked, str) and not Path(linked).is_absolute():
        where = _resolved(linked, source_folder)
        if _resolved(linked, target_folder) != where:
            out["assumptions_from"] = _path_from(where, target_folder)
    return out


def _meaning(scenario: Scenario) -> Any:
    """What a scenario means, for the lossless check: every value, file paths resolved, blanks dropped."""
    def prune(value: Any) -> Any:
        if isinstance(value, dict):
            kept = {k: prune(v) for k, v in value.items()}
            return {k: v for k, v in kept.items() if v not in ({}, None)}
        if isinstance(value, list):
            return [prune(v) for v in value]
        return value

    dump = scenario.model_dump(mode="json", exclude_none=True)
    folder = Path(scenario.source_file).parent
    if scenario.roster is not None:
        dump["roster"]["file"] = str(Path(scenario.roster_path).resolve())
    if isinstance(dump.get("assumptions_from"), str):
        dump["assumptions_from"] = str(_resolved(dump["assumptions_from"], folder))
    return prune(dump)


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in dict.fromkeys([*a, *b]):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
    return f"{path or '(scenario)'} (was {a!r}, would be {b!r})"


def _converted(source: Path, target: Path, raw_files: list[str]) -> tuple[str, list[str]]:
    inherited = [f for f in raw_files if f != str(source)]
    merged = f" (which extends {', '.join(inherited)})" if inherited else ""
    note = (f"Converted from {source}{merged} by mixopt convert. This workbook holds the whole scenario, with "
            f"everything inherited through extends: merged in; editing it changes none of those files.")
    header = [f"Converted from {source} by mixopt convert."]
    if source.suffix.lower() in YAML_SUFFIXES:
        header = [f"Converted from {source} by mixopt convert: the whole scenario, with everything inherited",
                  "through extends: merged in."]
    return note, header


@cli.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@_FORCE
def convert(source: Path, target: Path, force: bool) -> None:
    """Translate a scenario between YAML and a scenario workbook (SOURCE.yaml TARGET.xlsx, or back).

    The scenario is validated first; the file written is read back and must mean exactly the
    same scenario. A YAML file's extends: chain is merged in: the workbook holds the resolved
    scenario. A creator table's path is rewritten to be found from TARGET's folder.

    \b
    Example:
      mixopt convert scenarios/sales_push.yaml sales_push.xlsx
      mixopt convert sales_push.xlsx sales_push_edited.yaml
    """
    from mixopt.outputs.scenario_workbook import write_scenario_workbook
    from mixopt.outputs.scenario_yaml import write_scenario_yaml
    from mixopt.scenario.load import read_scenario

    kinds = (_kind(source, "SOURCE"), _kind(target, "TARGET"))
    if kinds[0] == kinds[1]:
        usage_error("TARGET", "must be the other kind of file than SOURCE",
                    "Convert .yaml to .xlsx or .xlsx to .yaml", str(target))
    with planner_errors():
        raw, scenario = read_scenario(source)
        _refuse_existing(target, "convert", force, "TARGET")
        data = _rebased(raw.data, scenario, source.parent.resolve(), target)
        note, header = _converted(source, target, list(dict.fromkeys([raw.file, *raw.origins.values()])))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
            os.close(handle)
        except OSError as err:
            cannot_write(target, "TARGET", err)
        partial = Path(name)
        try:
            if kinds[1] == "xlsx":
                _write(target, "TARGET", lambda: write_scenario_workbook(partial, data, scenario, note))
            else:
                _write(target, "TARGET", lambda: write_scenario_yaml(partial, data, header))
            _check_same(scenario, partial, read_scenario)
            os.replace(partial, target)
        finally:
            if partial.exists():
                partial.unlink()
    click.echo(f"Wrote {target}: the same scenario as {source}. Check it with: mixopt validate {target}")


def _check_same(scenario: Scenario, written: Path, read: Any) -> None:
    try:
        _, again = read(written)
    except ScenarioError as err:
        raise MixoptError(f"convert: the converted file does not read back ({err.issues[0]}); nothing was "
                          "written") from None
    before, after = _meaning(scenario), _meaning(again)
    if before != after:
        raise MixoptError(f"convert: the converted file would change {_first_difference(before, after)}, so nothing "
                          "was written. Round the value (a workbook keeps 16 significant digits) and convert again.")
