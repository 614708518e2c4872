"""Batches: many plans, one table. The points of a grid (the product of several field ranges) or
a list of scenario files, each sent to a worker as plain data and answered as one plain row.

A point travels as a dict: the resolved scenario (``Scenario.model_dump``: every ``extends:``
merged, every default filled in, the command line's solver settings written into its
``solver:`` / ``roster:`` blocks), the creator table's absolute path in roster mode, and a
label. A worker rebuilds the ``Scenario`` from it, checks it, solves it with
:func:`mixopt.api.optimize` and returns a dict of numbers and text (:data:`RESULT_COLUMNS`),
rounded here, so a row is the same bytes whichever process or machine computed it.

The point key is the sha256 of the point's resolved scenario (and of its creator table's
bytes in roster mode, and the mixopt version): ``--resume`` skips points whose key already has
a row that did not fail.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixopt.errors import MixoptError, ScenarioError
from mixopt.scenario.schema import Scenario

__all__ = ["BatchPoint", "RESULT_COLUMNS", "grid_points", "file_points", "solve_point", "solve_points",
           "point_key", "one_line", "tier_columns", "failed_row", "worker_version", "installed_version"]

#: The columns every worker fills, in order (``creators_<tier>`` columns follow ``posts``).
RESULT_COLUMNS: tuple[str, ...] = (
    "status", "objective", "objective_value", "best_possible", "gap", "spend", "creators", "posts", "reach",
    "engagements", "conversions", "revenue", "profit", "roi", "cpe", "cpa",
)
_TOTALS = ("spend", "reach", "engagements", "conversions", "revenue", "profit", "roi", "cpe", "cpa")
_DECIMALS = 6


@dataclass(frozen=True)
class BatchPoint:
    """One point of a batch: where it sits, what it sets, and the data a worker needs."""

    index: int  # 1-based, in grid order (first grid outermost) or the order the files were given
    scenario: str  # the scenario file the point comes from
    values: dict[str, float | int] = field(default_factory=dict)  # grid field -> value at this point
    key: str = ""  # sha256 of the resolved scenario (and creator table)
    payload: dict[str, Any] | None = None  # what is sent to a worker; None when the file could not be read
    error: str | None = None  # why the point could not even be prepared (an unreadable scenario file)
    tiers: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if not self.values:
            return self.scenario
        return ", ".join(f"{k}={_value_text(v)}" for k, v in self.values.items())


def _value_text(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def one_line(err: BaseException) -> str:
    """An error as one line: its first line, and how many more problems it lists."""
    lines = [line for line in str(err).splitlines() if line.strip()] or [type(err).__name__]
    more = len(lines) - 1
    return lines[0] + (f" (and {more} more problem{'s' if more > 1 else ''}: 'mixopt solve' lists them all)"
                       if more else "")


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return "unreadable"
    return digest.hexdigest()


def point_key(data: dict[str, Any], table_digest: str | None) -> str:
    """The sha256 of a resolved scenario (its dump, keys sorted), of its creator table's bytes and of
    the mixopt version (whose defaults fill what the scenario leaves out)."""
    from mixopt.version import mixopt_version

    text = json.dumps({"scenario": data, "creator_table_sha256": table_digest, "mixopt": mixopt_version()},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _with_solver_settings(scenario: Scenario, solver: str | None, time_limit_s: float | None,
                          mip_gap: float | None) -> Scenario:
    """The command line's solver settings written into the scenario, so the point key covers them."""
    update: dict[str, Any] = {}
    if solver is not None:
        update["name"] = solver
    if time_limit_s is not None:
        update["time_limit_s"] = float(time_limit_s)
    if mip_gap is not None and scenario.roster is None:
        update["mip_gap"] = float(mip_gap)
    if update:
        scenario = scenario.model_copy(update={"solver": scenario.solver.model_copy(update=update)})
    if mip_gap is not None and scenario.roster is not None:
        scenario = scenario.model_copy(update={"roster": scenario.roster.model_copy(update={"mip_gap": float(mip_gap)})})
    return scenario


def _prepare(index: int, scenario: Scenario, values: dict[str, float | int], check: bool,
             digests: dict[str, str], settings: Sequence[str]) -> BatchPoint:
    data = scenario.model_dump(mode="json")
    table = ""
    digest = None
    if scenario.roster is not None:
        table = str(Path(scenario.roster_path or scenario.roster.file).resolve())
        if table not in digests:
            digests[table] = _file_digest(table)
        digest = digests[table]
    key = point_key(data, digest)
    label = BatchPoint(index=index, scenario=scenario.source_file, values=values).label
    sets = [*settings, *(f"{k}={_value_text(v)}" for k, v in values.items())]  # for 'mixopt solve' in messages
    payload = {"scenario": data, "source_file": scenario.source_file, "roster_path": table, "key": key,
               "label": label, "check": check, "sets": sets}
    return BatchPoint(index=index, scenario=scenario.source_file, values=values, key=key, payload=payload,
                      tiers=scenario.tier_names)


def grid_points(scenario: Scenario, grids: Sequence[tuple[str, Sequence[float]]], *, solver: str | None = None,
                time_limit_s: float | None = None, mip_gap: float | None = None,
                settings: Sequence[str] = ()) -> list[BatchPoint]:
    """Every point of the product of ``grids`` (first grid outermost), each field checked as a sweep
    checks it: a known numeric field, whole values for counts, a valid scenario at both ends.
    ``settings`` are the ``--set`` texts the scenario was read with (named in messages)."""
    from mixopt.analysis.sweep import _validate_endpoints
    from mixopt.scenario.fields import field_value, with_field

    for path, values in grids:
        _validate_endpoints(scenario, path, list(values))
    base = _with_solver_settings(scenario, solver, time_limit_s, mip_gap)
    digests: dict[str, str] = {}
    points = []
    for index, combo in enumerate(itertools.product(*(values for _, values in grids)), start=1):
        point = base
        for (path, _), value in zip(grids, combo):
            point = with_field(point, path, value)
        set_values = {path: _plain(field_value(point, path)) for path, _ in grids}
        points.append(_prepare(index, point, set_values, True, digests, settings))
    return points


def _plain(value: object) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    return value


def file_points(paths: Sequence[Path], settings: Sequence[str] = (), *, solver: str | None = None,
                time_limit_s: float | None = None, mip_gap: float | None = None) -> list[BatchPoint]:
    """One point per scenario file, read and validated here (with the ``--set`` ``settings`` applied
    to each); a file that cannot be read is a failed point (its error line), never the end of the batch."""
    from mixopt.scenario.load import load_scenario

    digests: dict[str, str] = {}
    points = []
    for index, path in enumerate(paths, start=1):
        try:
            loaded = load_scenario(path, settings) if settings else load_scenario(path)
        except MixoptError as err:
            key = hashlib.sha256(f"unreadable scenario {path} {_file_digest(str(path))}".encode()).hexdigest()
            points.append(BatchPoint(index=index, scenario=str(path), key=key, error=one_line(err)))
            continue
        scenario = _with_solver_settings(loaded, solver, time_limit_s, mip_gap)
        points.append(_prepare(index, scenario, {}, False, digests, settings))
    return points


def tier_columns(points: Sequence[BatchPoint]) -> list[str]:
    """``creators_<tier>`` for every tier of the batch's scenarios, in the order they first appear."""
    seen: dict[str, None] = {}
    for point in points:
        for tier in point.tiers:
            seen.setdefault(tier, None)
    return [f"creators_{tier}" for tier in seen]


# ----------------------------------------------------------------------------- on a worker


def _round(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    rounded = round(value, _DECIMALS)
    return 0.0 if rounded == 0 else rounded


def failed_row(key: str, message: str) -> dict[str, Any]:
    """The row of a point that failed: its key, status 'error' and the one-line reason."""
    return {"point_key": key, "status": "error", "objective": None, "error": message}


def _point_scenario(payload: dict[str, Any]) -> Scenario:
    """The ``Scenario`` of a point, rebuilt from its data and checked like a loaded file."""
    from pydantic import ValidationError

    from mixopt.scenario.checks import check_scenario
    from mixopt.scenario.messages import _validation_issues
    from mixopt.scenario.reading import RawScenario

    data = payload["scenario"]
    provenance = {"source_file": payload["source_file"], "content_hash": payload["key"],
                  "roster_path": payload["roster_path"]}
    try:
        scenario = Scenario.model_validate({**data, **provenance})
    except ValidationError as err:
        raw = RawScenario(data=data, origins={}, file=payload["source_file"], content_hash=payload["key"])
        issues, _ = _validation_issues(raw, err)
        if issues:
            raise ScenarioError(issues) from None
        raise
    if payload.get("check"):
        problems = check_scenario(scenario, reachable=False)
        if problems:
            raise ScenarioError(problems)
    return scenario


def _no_plan_line(scenario: Scenario, status: str, label: str, sets: Sequence[str]) -> str:
    import shlex

    file = scenario.source_file
    where = "" if label == file else f" at {label}"
    command = shlex.join(["mixopt", "solve", file, *(part for text in sets for part in ("--set", text))])
    if status in ("infeasible", "infeasible_or_unbounded"):
        return (f"{file}: rules: no plan satisfies every rule{where} (status {status}). "
                f"Run '{command}' to see why and the smallest change.")
    if status == "unbounded":
        return f"{file}: budget: the objective can grow without limit{where}. Set a budget or a team capacity."
    return (f"{file}: solver: stopped before finding any plan{where} (status {status}). "
            "Allow more time with --time-limit or accept a gap with --mip-gap 0.01.")


def solve_point(payload: dict[str, Any]) -> dict[str, Any]:
    """One point's row: status, objective, gap, spend, KPIs and creators by tier, or its error line.

    Takes and returns plain data only; never raises for a planner's mistake or a solver failure.
    """
    from mixopt.api import optimize, solver_options_for

    key = payload["key"]
    try:
        scenario = _point_scenario(payload)
        plan = optimize(scenario, solver_options_for(scenario), explain=False)
    except MixoptError as err:
        return failed_row(key, one_line(err))
    except Exception as err:  # noqa: BLE001  a bug at one point must not end the batch
        return failed_row(key, f"internal error at this point ({type(err).__name__}: {one_line(err)}); "
                               "please report it with this scenario")
    status = plan.status.value
    row: dict[str, Any] = {"point_key": key, "status": status, "objective": plan.objective_label}
    if not plan.status.has_plan:
        row["error"] = _no_plan_line(scenario, status, payload["label"], payload.get("sets", ()))
        return row
    totals = plan.totals
    row.update({
        "objective_value": _round(plan.objective_value),
        "best_possible": _round(plan.bound if plan.bound is not None else plan.objective_value),
        "gap": _round(plan.gap if plan.gap is not None else 0.0),
        "creators": int(round(totals["creators"])),
        "posts": int(round(totals["posts"])),
        **{name: _round(totals.get(name)) for name in _TOTALS},
    })
    by_tier = plan.allocation.groupby("tier", sort=False)["creators"].sum()
    for tier in scenario.tier_names:
        row[f"creators_{tier}"] = int(round(float(by_tier.get(tier, 0.0))))
    if not plan.feasible:
        row["error"] = "the plan breaks a rule: " + "; ".join(c.label for c in plan.checks if not c.holds)[:300]
    return row


def solve_points(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of several points (one task on a worker: fewer round trips)."""
    return [solve_point(payload) for payload in payloads]


def _code_digest() -> str:
    """The sha256 of mixopt's files (code and shipped defaults) as they were when this module was loaded."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


_CODE = _code_digest()


def installed_version() -> str:
    """The mixopt version and the digest of its files as they are on disk now."""
    from mixopt.version import mixopt_version

    return f"{mixopt_version()} (code {_code_digest()[:12]})"


def worker_version() -> str:
    """The mixopt a worker runs: :func:`installed_version`, or a note that its files changed since the
    worker loaded them (a batch refuses workers running other code: the same rows need the same
    code and defaults)."""
    from mixopt.version import mixopt_version

    now = installed_version()
    if now.endswith(f"(code {_CODE[:12]})"):
        return now
    return f"{mixopt_version()} (code {_CODE[:12]}, changed on disk since this worker loaded it)"
