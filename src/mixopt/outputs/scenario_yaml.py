"""Write a scenario as YAML: the commented starter of ``mixopt init`` and a converted workbook
(``mixopt convert B.xlsx A.yaml``), in the schema's field order, the same bytes for the same data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mixopt.outputs.files import write_text
from mixopt.scenario.schema import Scenario

__all__ = ["STARTER_YAML", "starter_data", "scenario_yaml", "write_scenario_yaml"]

#: The starter scenario of ``mixopt init`` (and the values a template workbook starts with):
#: every common field, commented, and it solves as it is.
STARTER_YAML = """\
# A starter scenario, written by 'mixopt init'. It solves as it is: run
#   mixopt solve {file}
# then change the numbers. Every field is optional except what the goal needs. Rates are
# fractions (0.05, not 5%); money is in the scenario's currency. 'mixopt defaults' lists the
# built-in assumptions (with their ranges and sources) that you can override below.
name: My campaign
currency: USD
budget: 20000                    # media budget: fees + product + handling (not commission)
objective:
  maximize: reach                # reach | impressions | engagements | conversions | revenue | profit
  # minimize: spend              # or: the least spend that meets every target
targets:                         # minimum outcomes (also impressions, engagements, revenue)
  conversions: 50
economics:
  average_order_value: 45        # revenue per conversion
  margin_rate: 0.6               # share of revenue kept after cost of goods
  commission_per_conversion: 0   # affiliate commission, paid out of sales
platforms: [instagram, tiktok, youtube]
tiers:                           # follower bands [from, to)
  pico: [0, 1000]
  nano: [1000, 10000]
  micro: [10000, 100000]
assumptions:                     # override a built-in default: per tier, platform or tier.platform cell
  nano: {product_cost: 20}       # product sent to each nano creator
  # nano.tiktok:
  #   fee_per_post: {low: 40, base: 70, high: 150}
rules:
  max_creators: 40               # creators the team can brief and pay at once
  tiers:
    micro: {max_spend_share: 0.6}   # at most 60% of spend on micro creators
  # platforms:
  #   youtube: {max_spend_share: 0.3}
  # cells:
  #   nano.tiktok: {min_if_used: 5} # at least 5 creators or none
baseline:                        # your own mix, shown beside the optimised plan
  nano.instagram: {creators: 15, posts: 30}
solver: {name: highs, mip_gap: 0}
"""


def starter_data() -> dict[str, Any]:
    """The starter scenario as plain data."""
    data = yaml.safe_load(STARTER_YAML)
    assert isinstance(data, dict)
    return data


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    """Top-level fields in the schema's order (unknown ones last, as written)."""
    order = list(Scenario.model_fields)
    return dict(sorted(data.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))


def scenario_yaml(data: dict[str, Any], header: list[str]) -> str:
    """A scenario's plain data as YAML text, led by ``header`` comment lines."""
    body = yaml.safe_dump(_ordered(data), sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)
    return "".join(f"# {line}\n" for line in header) + body


def write_scenario_yaml(target: Path, data: dict[str, Any], header: list[str]) -> Path:
    """Write ``data`` as a YAML scenario file at ``target`` (atomically)."""
    write_text(Path(target), scenario_yaml(data, header))
    return Path(target)
