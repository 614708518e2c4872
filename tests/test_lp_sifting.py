"""Sifting (the LP of a wide roster solved on growing working sets of creators) gives the whole LP's
answer: the same status and objective as CLP on every column, a bound that is still a bound, and
reduced costs for every creator. Shipped, it starts at 50,000 creators; here the first working set
is shrunk so that rosters of a few thousand creators take several rounds, and one first set misses a
floor and must grow."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest

import mixopt.solvers.clp as clp
from mixopt.roster.model import build_roster_model
from mixopt.roster.table import load_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.solvers.types import LinearArrays
from mixopt.synth import synthetic_roster

CREATORS = 3_000


def _arrays(tmp_path: Path, seed: int, rules: dict[str, Any], **goal: str) -> LinearArrays:
    table = tmp_path / "creators.csv"
    synthetic_roster(CREATORS, seed, flag_share=0.002).to_csv(table, index=False)
    data: dict[str, Any] = {"budget": 40_000.0, "objective": goal or {"maximize": "conversions"},
                            "rules": rules, "economics": {"average_order_value": 45},
                            "roster": {"file": str(table)}}
    scenario = scenario_from_dict(data, file=str(tmp_path / "s.yaml"))
    return build_roster_model(scenario, load_roster(scenario)).arrays


class _Sets:
    """Counts CLP's solves and the columns of each, around the real ``_simplex``."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.codes: list[int] = []
        self._real = clp._simplex

    def __call__(self, arrays: LinearArrays, a: Any, cols: np.ndarray | None, primal: bool) -> Any:
        answer = self._real(arrays, a, cols, primal)
        self.sizes.append(arrays.num_col if cols is None else len(cols))
        self.codes.append(answer[0])
        return answer


def _sifted(arrays: LinearArrays, first_set: int) -> tuple[clp.LpRelaxation, _Sets]:
    sets = _Sets()
    with mock.patch.object(clp, "_FIRST_SET", first_set), mock.patch.object(clp, "_simplex", sets):
        return clp.lp_relaxation(arrays, sifting=True), sets


SCENARIOS = [
    pytest.param(1, {"max_creators": 60, "tiers": {"micro": {"min_spend_share": 0.2, "max_spend_share": 0.6},
                                                   "pico": {"min_creators": 10}}},
                 {"maximize": "conversions"}, id="conversions, tier shares and a pico floor"),
    pytest.param(2, {"platforms": {"tiktok": {"max_spend_share": 0.3}}, "max_creators": 200},
                 {"maximize": "reach"}, id="reach, a platform cap"),
    pytest.param(3, {}, {"maximize": "profit"}, id="profit, budget only"),
]


@pytest.mark.parametrize(("seed", "rules", "goal"), SCENARIOS)
def test_sifting_gives_the_whole_lps_objective_and_a_bound_that_is_a_bound(
        tmp_path: Path, seed: int, rules: dict[str, Any], goal: dict[str, str]) -> None:
    arrays = _arrays(tmp_path, seed, rules, **goal)
    whole = clp.lp_relaxation(arrays, sifting=False)
    sifted, sets = _sifted(arrays, 40)
    assert whole.status == sifted.status == "optimal"
    assert len(sets.sizes) >= 2 and max(sets.sizes) < arrays.num_col  # several rounds, never the whole LP
    assert whole.objective is not None and sifted.objective is not None and sifted.bound is not None
    assert math.isclose(sifted.objective, whole.objective, rel_tol=1e-9, abs_tol=1e-9)
    assert sifted.bound <= whole.objective + 1e-9 * max(1.0, abs(whole.objective))  # minimisation form
    assert math.isclose(sifted.bound, sifted.objective, rel_tol=1e-9, abs_tol=1e-9)  # the LP's own optimum
    # every creator is priced against the final duals, and the sifted x keeps every row and bound
    assert sifted.x is not None and sifted.reduced_costs is not None and sifted.duals is not None
    assert sifted.reduced_costs.shape == (arrays.num_col,)
    np.testing.assert_allclose(sifted.reduced_costs, arrays.costs[0] - clp.csr_matrix_of(arrays).T @ sifted.duals)
    at_lower = sifted.x <= arrays.col_lower + 1e-9
    at_upper = sifted.x >= arrays.col_upper - 1e-9
    assert (sifted.reduced_costs[at_lower & ~at_upper] >= -1e-7).all()  # no creator left out would improve it
    assert (sifted.reduced_costs[at_upper & ~at_lower] <= 1e-7).all()
    activity = arrays.row_activity(sifted.x)
    assert (activity >= arrays.row_lower - 1e-6).all() and (activity <= arrays.row_upper + 1e-6).all()
    assert (sifted.x >= arrays.col_lower - 1e-9).all() and (sifted.x <= arrays.col_upper + 1e-9).all()


def test_a_first_set_that_misses_a_floor_grows_until_it_holds(tmp_path: Path) -> None:
    """Four creators in the first set (one per floor row) cannot meet a floor of 30 pico creators."""
    arrays = _arrays(tmp_path, 4, {"tiers": {"pico": {"min_creators": 30}}})
    whole = clp.lp_relaxation(arrays, sifting=False)
    sifted, sets = _sifted(arrays, 4)
    assert sets.codes[0] == 1 and 0 in sets.codes  # infeasible first, then solved on a larger set
    assert max(sets.sizes) < arrays.num_col
    assert sifted.status == "optimal" and whole.objective is not None and sifted.objective is not None
    assert math.isclose(sifted.objective, whole.objective, rel_tol=1e-9, abs_tol=1e-9)


def test_an_lp_no_choice_can_satisfy_is_infeasible_with_sifting(tmp_path: Path) -> None:
    arrays = _arrays(tmp_path, 5, {"tiers": {"pico": {"min_creators": CREATORS + 1}}})
    sifted, sets = _sifted(arrays, 40)
    assert sifted.status == "infeasible" and sifted.x is None and sifted.bound is None
    assert sets.sizes[-1] == arrays.num_col  # the whole LP decided
    assert all(size <= arrays.num_col // 8 for size in sets.sizes[:-1])  # sets grown no further than an eighth
    assert len(sets.sizes) >= 3  # 40 creators, then about 160 (both infeasible), then every creator


def test_sifting_is_the_default_only_for_wide_models_with_few_rows(tmp_path: Path) -> None:
    arrays = _arrays(tmp_path, 6, {"max_creators": 50})
    sets = _Sets()
    with mock.patch.object(clp, "_simplex", sets):
        clp.lp_relaxation(arrays)  # 3,000 columns: below SIFTING_COLUMNS
        assert sets.sizes == [arrays.num_col]
        with mock.patch.object(clp, "SIFTING_COLUMNS", 1_000), mock.patch.object(clp, "_FIRST_SET", 40):
            clp.lp_relaxation(arrays)
            assert len(sets.sizes) >= 3 and max(sets.sizes[1:]) < arrays.num_col
            sets.sizes.clear()
            clp.lp_relaxation(arrays, primal=True)  # a row per creator: the whole LP, by primal simplex
            assert sets.sizes == [arrays.num_col]
