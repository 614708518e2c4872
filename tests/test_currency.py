"""Currency: the built-in money defaults are USD; another currency converts them at fx_per_usd, or
sets every money assumption it uses, or is refused with one line naming the defaults and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

import mixopt
from mixopt.errors import ScenarioError
from mixopt.roster.model import table_issues
from mixopt.roster.table import load_roster
from mixopt.scenario.cells import resolve_cells
from mixopt.scenario.defaults import default_value
from mixopt.scenario.money import round_money
from mixopt.tier.plan import assumptions_table
from tests.conftest import SCENARIOS


def _load(write_scenario, text: str, base: str = "awareness_launch.yaml") -> mixopt.Scenario:
    return mixopt.load_scenario(write_scenario(f"extends: {(SCENARIOS / base).resolve()}\n" + text))


def _problems(write_scenario, text: str, base: str = "awareness_launch.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as err:
        _load(write_scenario, text, base)
    return [str(issue) for issue in err.value.issues]


def test_a_currency_without_a_rate_is_refused_naming_the_usd_defaults_and_the_fix(write_scenario) -> None:
    lines = _problems(write_scenario, "currency: IDR\nbudget: 600000000\n")
    assert len(lines) == 1
    line = lines[0]
    assert ": currency: is not USD, but the built-in USD defaults of fee_per_post and handling_cost" in line
    assert "(got 'IDR')" in line and "fx_per_usd: RATE" in line and "under 'assumptions:'" in line


def test_fx_per_usd_converts_every_money_default_to_the_minor_unit(write_scenario) -> None:
    s = _load(write_scenario, "currency: IDR\nfx_per_usd: 16250.5\nbudget: 600000000\n")
    for cell in resolve_cells(s):
        for name in ("fee_per_post", "handling_cost"):
            default = default_value(cell.tier, cell.platform, name)
            if cell.origins[name] == "default" and default is not None:
                assert getattr(cell, name) == round_money(default.base * 16250.5, "IDR")  # IDR: whole rupiah
                assert getattr(cell, name) == int(getattr(cell, name))
        assert cell.currency == "IDR" and cell.fx_per_usd == 16250.5
    table = assumptions_table(resolve_cells(s))
    money = table[table["parameter"].isin(["fee_per_post", "product_cost", "handling_cost"])]
    assert set(money["unit"]) == {"IDR"}
    converted = money[money["set_by"] == "default"]
    assert converted["source"].str.contains("converted from USD at 16,250.5 IDR per USD").all()


def test_a_plan_in_another_currency_is_the_usd_plan_scaled_by_the_rate(write_scenario) -> None:
    usd = mixopt.optimize(SCENARIOS / "awareness_launch.yaml", explain=False)
    # every money value the scenario files write is restated in yen; the built-in defaults are converted
    jpy = mixopt.optimize(_load(write_scenario, "currency: JPY\nfx_per_usd: 150\nbudget: 6000000\n"
                                "economics: {average_order_value: 14250, commission_per_conversion: 750}\n"
                                "assumptions: {pico: {product_cost: 3000}, nano: {product_cost: 3000}, "
                                "micro: {product_cost: 4500}}\n"), explain=False)
    assert usd.scenario.budget * 150 == jpy.scenario.budget
    assert jpy.creators_and_posts() == usd.creators_and_posts()
    assert jpy.totals["spend"] == pytest.approx(150 * usd.totals["spend"], abs=0.5)
    assert next(c for c in jpy.checks if c.rule == "budget").unit == "JPY"


def test_every_money_assumption_set_needs_no_rate(write_scenario) -> None:
    s = _load(write_scenario, "currency: EUR\nassumptions:\n"
                              "  instagram: {fee_per_post: 50, product_cost: 10, handling_cost: 20}\n"
                              "  tiktok: {fee_per_post: 40, product_cost: 10, handling_cost: 20}\n"
                              "  youtube: {fee_per_post: 90, product_cost: 10, handling_cost: 20}\n")
    assert all(c.fx_per_usd is None and c.currency == "EUR" for c in resolve_cells(s))


@pytest.mark.parametrize(("text", "expected"), [
    ("currency: usd\n", "currency: must be a three-letter ISO 4217 code (got 'usd'). Write it in capitals, 'currency: USD'."),
    ("currency: euro\n", "currency: must be a three-letter ISO 4217 code (got 'euro'). Write an ISO 4217 code such as 'currency: EUR'."),
    ("fx_per_usd: 0.92\n", "fx_per_usd: converts the built-in USD defaults, but the scenario's currency is USD (got 0.92)."),
    ("currency: EUR\nfx_per_usd: 0\n", "fx_per_usd: must be above 0 (got 0)"),
])
def test_bad_currency_inputs_get_one_line_each(write_scenario, text: str, expected: str) -> None:
    lines = _problems(write_scenario, text)
    assert len(lines) == 1 and expected in lines[0]


def test_a_roster_in_another_currency_is_refused_when_creators_lack_fees(write_scenario, tmp_path: Path) -> None:
    table = tmp_path / "creators.csv"
    table.write_text("id,platform,followers,fee_per_post,product_cost\na,instagram,5000,100,0\nb,tiktok,20000,,0\n",
                     encoding="utf-8")
    s = mixopt.load_scenario(write_scenario(f"currency: EUR\nbudget: 1000\nroster: {{file: {table}}}\n"))
    lines = [str(i) for i in table_issues(s, load_roster(s).table)]
    assert len(lines) == 1 and "built-in USD defaults of fee_per_post and handling_cost" in lines[0]
    assert "for creators the table gives none" in lines[0]
    converted = mixopt.load_scenario(write_scenario(f"currency: EUR\nfx_per_usd: 0.9\nbudget: 1000\n"
                                                    f"roster: {{file: {table}}}\n", name="fx.yaml"))
    assert table_issues(converted, load_roster(converted).table) == []
    fees = load_roster(converted).table.set_index("id")["fee_per_post"]
    nano_tiktok = next(c for c in resolve_cells(converted) if c.key == "micro.tiktok")
    assert fees["b"] == nano_tiktok.fee_per_post == round(default_value("micro", "tiktok", "fee_per_post").base * 0.9, 2)
