"""Efficiency rules and floors: CPA / CPE / CPM ceilings, profit and ROI floors, value weights on
revenue and profit, and floors on creator-table columns; each one checked independently, priced by
a re-solve, and refused in one line when it cannot mean anything."""

from __future__ import annotations

from pathlib import Path

import pytest

import mixopt
from mixopt.errors import ScenarioError
from mixopt.roster.optimize import optimize_roster
from mixopt.synth import synthetic_roster
from tests.conftest import SCENARIOS


def _load(write_scenario, text: str, base: str = "sales_push.yaml", name: str = "scenario.yaml") -> mixopt.Scenario:
    return mixopt.load_scenario(write_scenario(f"extends: {(SCENARIOS / base).resolve()}\n" + text, name=name))


def _check(plan, rule: str):
    return next(c for c in plan.checks if c.rule == rule)


def test_a_cpa_ceiling_holds_and_is_priced_when_it_binds(write_scenario) -> None:
    free = mixopt.optimize(_load(write_scenario, "objective: {maximize: reach}\ntargets: {reach: 0}\n"), explain=False)
    ceiling = round(free.totals["cpa"] * 0.8, 2)
    plan = mixopt.optimize(_load(write_scenario, f"objective: {{maximize: reach}}\ntargets: {{reach: 0}}\n"
                                                 f"limits: {{cpa: {ceiling}}}\n", name="cpa.yaml"))
    assert plan.status.has_plan and plan.feasible
    assert plan.totals["cpa"] <= ceiling + 1e-9
    check = _check(plan, "limit[cpa]")
    assert check.holds and check.unit == "USD" and check.label.startswith(f"CPA at most {ceiling:,.2f} USD")
    assert plan.objective_value < free.objective_value  # it binds: the cheaper conversions cost reach
    if any(c.rule == "limit[cpa]" for c in plan.binding_rules):  # priced by a re-solve when it has no room left
        marginal = next(m for m in plan.marginals if m.rule == "limit[cpa]")
        assert marginal.step == "CPA ceiling 1% higher" and marginal.change is not None and marginal.change >= 0


@pytest.mark.parametrize(("limit", "ratio"), [("cpe", "cpe"), ("cpm", "cpm")])
def test_cpe_and_cpm_ceilings_hold(write_scenario, limit: str, ratio: str) -> None:
    free = mixopt.optimize(_load(write_scenario, "objective: {maximize: reach}\ntargets: {reach: 0}\n"), explain=False)
    value = free.totals["cpe"] * 0.8 if limit == "cpe" else 1000 * free.totals["spend"] / free.totals["impressions"] * 0.8
    plan = mixopt.optimize(_load(write_scenario, f"objective: {{maximize: reach}}\ntargets: {{reach: 0}}\n"
                                                 f"limits: {{{limit}: {value:.4f}}}\n", name="l.yaml"), explain=False)
    assert plan.status.has_plan and plan.feasible and _check(plan, f"limit[{limit}]").holds
    got = plan.totals["cpe"] if limit == "cpe" else 1000 * plan.totals["spend"] / plan.totals["impressions"]
    assert got <= float(f"{value:.4f}") + 1e-9


def test_roi_and_profit_floors_hold_in_their_linear_form(write_scenario) -> None:
    base = mixopt.optimize(_load(write_scenario, "objective: {maximize: reach}\n"), explain=False)
    floor = round(base.totals["roi"] + 0.1, 2)
    plan = mixopt.optimize(_load(write_scenario, f"objective: {{maximize: reach}}\ntargets: {{roi: {floor}}}\n",
                                 name="roi.yaml"))
    assert plan.status.has_plan and plan.totals["roi"] >= floor - 1e-9 and _check(plan, "target[roi]").holds
    assert all(any(m.rule == c.rule for m in plan.marginals) for c in plan.binding_rules if c.rule == "target[roi]")
    profit = mixopt.optimize(_load(write_scenario, "objective: {maximize: reach}\ntargets: {profit: 12000}\n",
                                   name="profit.yaml"), explain=False)
    assert profit.totals["profit"] >= 12000 - 0.005 and _check(profit, "target[profit]").holds


def test_value_weights_on_revenue_and_profit_price_them_in_money(write_scenario) -> None:
    revenue = mixopt.optimize(_load(write_scenario, "objective: {maximize: revenue}\n"), explain=False)
    valued = mixopt.optimize(_load(write_scenario, "objective: {maximize: value, value_per_unit: {revenue: 2}}\n",
                                   name="v.yaml"), explain=False)
    assert valued.objective_value == pytest.approx(2 * revenue.objective_value, rel=1e-9)
    profit = mixopt.optimize(_load(write_scenario, "objective: {maximize: profit}\n", name="p.yaml"), explain=False)
    blend = mixopt.optimize(_load(write_scenario, "objective: {maximize: value, value_per_unit: {profit: 1}}\n",
                                  name="b.yaml"), explain=False)
    assert blend.objective_value == pytest.approx(profit.objective_value, rel=1e-9)


def _roster(tmp_path: Path, text: str) -> mixopt.Scenario:
    table = tmp_path / "creators.csv"
    frame = synthetic_roster(300, 3)
    frame["agency_hours"] = (frame.index % 5 + 1).astype(int)
    frame.to_csv(table, index=False)
    path = tmp_path / "roster.yaml"
    path.write_text(f"budget: 6000\nobjective: {{maximize: reach}}\nroster: {{file: {table.name}{text}}}\n",
                    encoding="utf-8")
    return mixopt.load_scenario(path)


def test_a_floor_on_a_creator_table_column_holds_exactly(tmp_path: Path) -> None:
    free = optimize_roster(_roster(tmp_path, ""))
    used = float(free.selected["id"].map(free.roster.table.set_index("id")["agency_hours"]).sum())
    plan = optimize_roster(_roster(tmp_path, f", resource_floors: {{agency_hours: {used + 40:g}}}"))
    assert plan.status.has_plan and plan.feasible
    hours = plan.selected["id"].map(plan.roster.table.set_index("id")["agency_hours"]).sum()
    assert hours >= used + 40
    check = _check(plan, "resource_floor[agency_hours]")
    assert check.holds and check.sense == ">=" and check.label == f"total agency_hours at least {used + 40:,.6g}"


def test_efficiency_rules_hold_on_named_creators(tmp_path: Path) -> None:
    free = optimize_roster(_roster(tmp_path, ""))
    cpe = round(free.totals["cpe"] * 0.9, 4)
    table = tmp_path / "creators.csv"
    path = tmp_path / "cpe.yaml"
    path.write_text(f"budget: 6000\nobjective: {{maximize: reach}}\nlimits: {{cpe: {cpe}}}\n"
                    f"economics: {{average_order_value: 40}}\ntargets: {{roi: 0.5}}\n"
                    f"roster: {{file: {table.name}}}\n", encoding="utf-8")
    plan = optimize_roster(mixopt.load_scenario(path))
    assert plan.status.has_plan and plan.feasible
    assert plan.totals["cpe"] <= cpe + 1e-9 and plan.totals["roi"] >= 0.5 - 1e-9
    assert {"limit[cpe]", "target[roi]"} <= {c.rule for c in plan.checks}


@pytest.mark.parametrize(("text", "expected"), [
    ("budget: null\nobjective: {minimize: spend}\ntargets: {reach: 1000}\nrules: {tiers: {micro: {max_budget_share: 0.5}}}\n",
     "rules.tiers.micro.max_budget_share: is a share of the budget, and the scenario has no budget (got 0.5). "
     "Add 'budget: 50000', or use max_spend_share (a share of the plan's own spend)."),
    ("economics: {average_order_value: null}\nobjective: {maximize: reach}\ntargets: {roi: 0.3}\n",
     "economics.average_order_value: is needed for the roi target (revenue per conversion)"),
    ("limits: {cpa: 0}\n", "limits.cpa: must be above 0 (got 0)"),
    ("targets: {roi: -2}\n", "targets.roi: must be at least -1 (got -2)"),
    ("rules: {tiers: {nano: {min_budget_share: 0.7}, micro: {min_budget_share: 0.5}}}\n",
     "rules.tiers: the min_budget_share values add up to more than 1 (100% of the budget) (got 1.2)."),
])
def test_bad_efficiency_inputs_get_one_line(write_scenario, text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(write_scenario, text)
    lines = [str(i) for i in err.value.issues]
    assert any(expected in line for line in lines), lines


def test_a_floor_on_a_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        optimize_roster(_roster(tmp_path, ", resource_floors: {agency_hour: 10}"))
    assert "roster.resource_floors.agency_hour: is not a numeric column of the creator table (got 'agency_hour'). " \
           "Did you mean 'agency_hours'?" in str(err.value.issues[0])
