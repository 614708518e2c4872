"""The independent roster check reads a creator table's columns however pandas stores them: text
as plain objects, categories or pandas strings, numbers as floats or nullable floats, with missing
values; every rule then gives the same figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixopt.roster.check import check_roster_choice
from mixopt.roster.table import load_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.synth import synthetic_roster

TEXT = ("tier", "platform", "category", "overlap_group")
NUMBERS = ("reach", "fee_per_post", "product_cost", "handling_cost", "impressions_per_post", "engagements_per_post",
           "conversions_per_post", "posts", "spend", "impressions", "engagements", "conversions", "hours")


def _restored(table: pd.DataFrame, storage: str) -> pd.DataFrame:
    table = table.copy()
    for column in TEXT:
        values = table[column].astype(object).where(table[column] != "", None)  # missing overlap groups and categories
        table[column] = {"object": values, "category": values.astype("category"),
                         "string": values.astype("string")}[storage]
    if storage != "object":
        for column in NUMBERS:
            table[column] = table[column].astype("Float64")
    return table


@pytest.mark.parametrize("storage", ["category", "string"])
def test_the_rule_check_gives_the_same_figures_for_every_column_storage(tmp_path: Path, storage: str) -> None:
    frame = synthetic_roster(120, 5)
    frame["overlap_group"] = [f"g{k % 7}" if k % 3 else "" for k in range(len(frame))]
    frame["category"] = [c if k % 11 else "" for k, c in enumerate(frame["category"])]
    frame["hours"] = np.arange(len(frame)) % 4
    frame.to_csv(tmp_path / "table.csv", index=False)
    scenario = scenario_from_dict({
        "budget": 9000, "objective": {"maximize": "conversions"}, "targets": {"reach": 1000, "engagements": 10},
        "rules": {"max_creators": 40, "tiers": {"micro": {"max_spend_share": 0.6, "min_creators": 1}},
                  "platforms": {"youtube": {"max_spend_share": 0.3}},
                  "cells": {"nano.instagram": {"min_creators": 1}}},
        "roster": {"file": "table.csv", "categories": {"beauty": {"min_creators": 2}, "gaming": {"max_creators": 1}},
                   "max_per_overlap_group": 2, "resource_caps": {"hours": 30}, "max_posts_per_creator": 3},
    }, file=str(tmp_path / "scenario.yaml"))
    table = load_roster(scenario).table
    chosen = np.zeros(len(table), dtype=bool)
    chosen[::2] = True
    posts = np.where(chosen, 1 + np.arange(len(table)) % 3, 0)
    plain = check_roster_choice(scenario, _restored(table, "object"), chosen, posts)
    stored = check_roster_choice(scenario, _restored(table, storage), chosen, posts)
    assert [(c.rule, c.value, c.limit, c.holds) for c in stored] == [(c.rule, c.value, c.limit, c.holds) for c in plain]
    by_rule = {c.rule: c for c in plain}
    picked = _restored(table, "object")[chosen]
    assert by_rule["overlap_groups"].value == picked["overlap_group"].value_counts().max()  # missing: no group
    assert by_rule["category_min[beauty]"].value == (picked["category"] == "beauty").sum()
    assert by_rule["team_capacity"].value == chosen.sum()
    assert by_rule["resource[hours]"].value == picked["hours"].sum()
