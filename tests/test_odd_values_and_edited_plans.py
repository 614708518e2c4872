"""Odd option values, results files whose every row is bad, a plan.json edited by hand, integers no float
holds and odd --out and --scheduler values: each gets one line and its exit code (1 for a file, 2 for the
command line), never an internal error (exit 5)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import SCENARIOS
from tests.conftest import one_error_line as one_line
from tests.conftest import run_cli as run

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
RESULTS = SCENARIOS / "results" / "spring_campaign.csv"


def test_a_sweep_step_so_small_the_count_is_infinite_is_refused() -> None:
    line = one_line(run(["sweep", str(SCENARIOS / "hand_solvable.yaml"), "--budget", "1000:3000:1e-320"]), 2)
    assert line.startswith("(command line): --budget: that is too many points; at most 100,000 (got ")


def test_calibrating_results_whose_every_row_is_bad_says_so(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    results.write_text("creator_id,platform,followers,posts\na,twitter,5000,1\nb,twitter,300,2\n", encoding="utf-8")
    line = one_line(run(["calibrate", str(results), "--skip-bad-rows", "--out", str(tmp_path / "out")]), 1)
    assert line.startswith(f"{results}: (rows): all 2 of its rows are bad, so no results are left (the first: "
                           "row 2, platform: not a platform of this scenario")
    assert line.endswith("Fix the rows; --skip-bad-rows only skips some of them.")
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("plans")
    shutil.copy(HOSTILE / "roster_small.yaml", folder / "roster.yaml")
    shutil.copytree(HOSTILE / "creators", folder / "creators")
    for name, scenario in (("tier", SCENARIOS / "base.yaml"), ("roster", folder / "roster.yaml")):
        assert run(["solve", str(scenario), "--out", str(folder / name)]).exit_code == 0
    return {name: json.loads((folder / name / "plan.json").read_text(encoding="utf-8")) for name in ("tier", "roster")}


def _set(plan: dict, path: str, value: object) -> dict:
    edited = json.loads(json.dumps(plan))
    *parents, last = path.split(".")
    node = edited
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return edited


_DELETE = object()
_FIX = "Give the plan.json that 'mixopt solve --out DIR' wrote, as it wrote it."


@pytest.mark.parametrize(("kind", "path", "value", "expected"), [
    ("tier", "totals", None, "totals: is not a mapping (got nothing)"),
    ("tier", "provenance", 0, "provenance: is not a mapping (got 0)"),
    ("tier", "allocation.0.posts", "x", "allocation[0].posts: is not a number (got 'x')"),
    ("tier", "allocation.0.posts", -5, "allocation[0].posts: is negative (got -5)"),
    ("tier", "allocation.0.reach", [], "allocation[0].reach: is not a number (got [])"),
    ("tier", "allocation.0.platform", 0, "allocation[0].platform: is not text (got 0)"),
    ("tier", "allocation.0.tier", _DELETE, "allocation[0].tier: is missing"),
    ("tier", "allocation", 0, "allocation: is not a list (got 0)"),
    ("tier", "assumptions", 0, "assumptions: is not a list (got 0)"),
    ("tier", "allocation", [], "allocation: lists no cells, so the plan has nothing to review"),
    ("roster", "selected", [], "selected: lists no creators, so the plan has nothing to review"),
    ("roster", "selected.0.id", _DELETE, "selected[0].id: is missing"),
    ("roster", "selected.0.followers", "x", "selected[0].followers: is not a number (got 'x')"),
    ("roster", "selected.0.posts", [], "selected[0].posts: is not a number (got [])"),
], ids=lambda v: v if isinstance(v, str) and "." not in v and ":" not in v else None)
def test_a_plan_edited_by_hand_is_refused_naming_the_field(kind: str, path: str, value: object, expected: str,
                                                            plans: dict[str, dict], tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_set(plans[kind], path, value)), encoding="utf-8")
    line = one_line(run(["review", str(plan), str(RESULTS), "--out", str(tmp_path / "out")]), 1)
    fix = "Review a plan that chose creators." if "nothing to review" in expected else _FIX
    assert line == f"{plan}: {expected}. {fix}"


def test_a_plan_listing_a_cell_twice_is_refused(plans: dict[str, dict], tmp_path: Path) -> None:
    edited = json.loads(json.dumps(plans["tier"]))
    edited["allocation"].append(edited["allocation"][0])
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(edited), encoding="utf-8")
    first = edited["allocation"][0]
    line = one_line(run(["review", str(plan), str(RESULTS), "--out", str(tmp_path / "out")]), 1)
    assert line == (f"{plan}: allocation[{len(edited['allocation']) - 1}]: lists the cell "
                    f"'{first['tier']}.{first['platform']}' a second time. {_FIX}")


def test_an_unedited_plan_is_still_reviewed(plans: dict[str, dict], tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plans["tier"]), encoding="utf-8")
    assert run(["review", str(plan), str(RESULTS), "--out", str(tmp_path / "out")]).exit_code == 0
    assert (tmp_path / "out" / "review.csv").is_file()


def test_a_parquet_whole_number_no_float_holds_is_read_as_the_nearest_float(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": ["a", "b"], "platform": ["tiktok", "tiktok"],
                             "followers": pa.array([5000, 2**64 - 1], type=pa.uint64())}), tmp_path / "big.parquet")
    scenario = tmp_path / "big.yaml"
    scenario.write_text("name: t\nbudget: 4000\nobjective: {maximize: reach}\nroster: {file: big.parquet}\n",
                        encoding="utf-8")
    line = one_line(run(["validate", str(scenario)]), 1)
    assert line == (f"{tmp_path / 'big.parquet'}: row 2, followers: outside every tier band of the scenario (got "
                    "1.8446744073709552e+19). Add a tier for this follower count (e.g. macro) or remove the creator.")


def test_an_out_folder_name_too_long_for_the_file_system_gets_one_line(tmp_path: Path) -> None:
    out = tmp_path / ("d" * 300)
    line = one_line(run(["solve", str(SCENARIOS / "hand_solvable.yaml"), "--out", str(out)]), 2)
    assert line == f"{out}: --out: cannot write there (File name too long). Choose a folder you can write to."


@pytest.mark.parametrize("address", ["garbage", "http://10.0.0.5:8786", "tcp://10.0.0.5"])
def test_a_scheduler_address_dask_cannot_use_is_refused_before_connecting(address: str, tmp_path: Path) -> None:
    line = one_line(run(["batch", str(SCENARIOS / "hand_solvable.yaml"), "--grid", "budget=1000", "--scheduler",
                         address, "--out", str(tmp_path / "out")]), 2)
    assert line == (f"(command line): --scheduler: is not a Dask scheduler address (PROTOCOL://HOST:PORT) (got "
                    f"'{address}'). Give the address 'dask scheduler' prints, e.g. --scheduler tcp://10.0.0.5:8786.")
