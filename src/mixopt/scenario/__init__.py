"""Scenario files in, a validated ``Scenario`` out: YAML reading (``reading``), the schema
(``schema``), structural messages (``messages``), meaning checks (``checks``), the built-in
defaults (``defaults``), each cell's resolved numbers (``cells``) and what a mix of them
delivers (``outcomes``), and fields by path (``fields``)."""

from mixopt.scenario.load import load_scenario, scenario_from_dict
from mixopt.scenario.schema import (
    KPIS,
    MAX_KPIS,
    PARAMETERS,
    Assumption,
    BandRules,
    BaselineCell,
    CategoryRule,
    CellAssumptions,
    CellRules,
    Economics,
    Objective,
    RosterSettings,
    Rules,
    Scenario,
    SolverSettings,
    SweepSettings,
    Targets,
)

__all__ = [
    "KPIS", "MAX_KPIS", "PARAMETERS", "Assumption", "BandRules", "BaselineCell", "CategoryRule", "CellAssumptions",
    "CellRules", "Economics", "Objective", "RosterSettings", "Rules", "Scenario", "SolverSettings", "SweepSettings",
    "Targets", "load_scenario", "scenario_from_dict",
]
